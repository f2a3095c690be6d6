"""The Streamlit layer: the frame (language, year range, chart image format), tabs, and drawing what a view
returns (charts, tables, downloads, source lines, notices, data errors). Logic lives in pure modules.

Every piece of data text that reaches a Streamlit call taking Markdown goes through `text()` (one escaping
path): labels, captions, notices, expander titles and help strings show data literally, never as markup.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import streamlit as st

from components import app_data, i18n
from components.data.loading import DataError
from components.shaping import filters, provenance
from components.views import base

YEARS_KEY = "frame.years"  # the sidebar slider
LANG_KEY = "frame.lang"  # the language selector
FORMAT_KEY = "frame.image_format"
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&=\"'])")
MAX_LISTED = 12


_AUTOLINK = re.compile(r"(?i)(www)(\.)|(https?|ftp)(:)|(@)")
JOINER = "\u2060"  # WORD JOINER: invisible, and no Markdown autolink can start across it


def text(value: object) -> str:
    """Data text made literal for any st.* call that renders Markdown (no links, images, colour, KaTeX).

    Markdown escapes stop [links](…), ![images](…), :colour[…] and $maths$; GitHub's autolinks (www.x.y, http://,
    name@host) ignore escapes, so a word joiner is put where they would start."""
    unlinked = _AUTOLINK.sub(
        lambda m: JOINER.join(g for g in m.groups() if g) if not m.group(5) else "@" + JOINER, str(value)
    )
    return _MD_SPECIAL.sub(r"\\\1", unlinked).replace("\n", " ")


# --- the frame (frame/main.py draws it once per run; pages read it) ------------------------------------------


def lang() -> i18n.Lang:
    return i18n.lang(st.session_state.get(LANG_KEY))


def _(message: str) -> str:
    """gettext in the reader's language (pages use it for their own strings)."""
    return lang()._(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return lang().ngettext(singular, plural, n)


def _first(value: object) -> str | None:
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    return None if value is None else str(value)


def _initial_lang() -> str:
    """The URL's ?lang= if it is one of the four, else the browser's language if it is, else English."""
    from_url = i18n.normalise(_first(st.query_params.get("lang")))
    if from_url:
        return from_url
    return i18n.normalise(getattr(st.context, "locale", None)) or i18n.DEFAULT


def _clear_notice() -> None:
    st.session_state.pop("frame.notice", None)


def frame() -> tuple[filters.YearRange, i18n.Lang]:
    """The app's one frame, in the sidebar: language, year range (both kept in the URL), chart image format.

    The year range is not Streamlit's `bind="query-params"`: that would store ?frame.years=2012&frame.years=2013
    and drop a bad value silently, where users have ?from=2012&to=2013 links and a hostile value must fall back
    to the defaults with a notice. So the sync is ours, here and nowhere else."""
    if LANG_KEY not in st.session_state:
        st.session_state[LANG_KEY] = _initial_lang()
    choice = st.sidebar.selectbox(
        "Language · Язык · Dil · Тіл", list(i18n.NAMES), key=LANG_KEY, format_func=i18n.NAMES.get
    )
    tr = i18n.Lang(choice)
    pkg = app_data.package()
    lo, hi = pkg.coverage if not isinstance(pkg, DataError) else (1991, dt.date.today().year)
    default_start = pkg.default_start if not isinstance(pkg, DataError) else lo
    if YEARS_KEY not in st.session_state:
        parsed = filters.parse_year_range(st.query_params.to_dict(), lo, hi, default_start=default_start)
        st.session_state[YEARS_KEY] = (parsed.start, parsed.end)
        if parsed.notice:
            st.session_state["frame.notice"] = parsed.notice
    else:  # data bounds may have changed since the value was set
        start, end = st.session_state[YEARS_KEY]
        st.session_state[YEARS_KEY] = (max(lo, min(start, hi)), min(hi, max(end, lo)))
    start, end = st.sidebar.slider(
        tr._("Year range"),
        min_value=lo,
        max_value=hi,
        key=YEARS_KEY,
        on_change=_clear_notice,
        help=tr._(
            "Applies to every page. It is kept in the link, so a copied URL reopens this view. The data "
            "goes back to {start}: widen the range to see the history."
        ).format(start=lo),
    )
    notice = st.session_state.get("frame.notice")
    if notice:
        st.sidebar.warning(text(tr._(notice[0]).format(**notice[1])), icon="⚠️")
    st.sidebar.radio(
        tr._("Chart images download as"),
        ["png", "svg"],
        key=FORMAT_KEY,
        horizontal=True,
        format_func=str.upper,
        help=tr._("The camera button above each chart saves it in this format."),
    )
    wanted = {"from": str(start), "to": str(end), "lang": choice}
    if any(st.query_params.get(k) != v for k, v in wanted.items()):
        st.query_params.update(wanted)
    st.html(
        f"<script>document.documentElement.lang = {i18n.HTML_LANG[choice]!r};</script>",
        unsafe_allow_javascript=True,
        width="content",
    )
    st.html(FOCUS_CSS)
    return filters.YearRange(start, end), tr


# A visible focus ring on every link, button, tab and field (Streamlit's sidebar links have none).
FOCUS_CSS = """<style>
a:focus-visible, button:focus-visible, [role="tab"]:focus-visible, [role="option"]:focus-visible,
input:focus-visible, [tabindex]:focus-visible { outline: 3px solid #B3261E !important; outline-offset: 2px; }
</style>"""


def years() -> filters.YearRange:
    """The year range the frame drew for this run."""
    start, end = st.session_state[YEARS_KEY]
    return filters.YearRange(start, end)


def page_title(title: str, intro: str) -> None:
    st.title(title)
    st.caption(intro + " " + _("Showing {years}.").format(years=years().label()))


def view_tabs(page: str, tabs: list[tuple[str, str]]) -> list:
    """Tabs whose choice is kept in the URL by a stable id (?<page>_view=<id>, the same in every language, so a
    copied link reopens the same view); an unknown id opens the first tab. Only the open tab's content should run
    (check `tab.open`)."""
    key = f"{page}_view"
    ids, labels = [t for t, _label in tabs], [label for _id, label in tabs]
    wanted = _first(st.query_params.get(key))
    state = f"frame.tab.{page}"
    if state not in st.session_state and wanted in ids:
        st.session_state[state] = labels[ids.index(wanted)]
    elif st.session_state.get(state) not in labels:  # a language switch renames the tabs
        previous = st.session_state.get(f"{state}.id")
        st.session_state[state] = labels[ids.index(previous)] if previous in ids else labels[0]
    containers = st.tabs(labels, key=state, on_change="rerun")
    chosen = ids[labels.index(st.session_state[state])] if st.session_state.get(state) in labels else ids[0]
    st.session_state[f"{state}.id"] = chosen
    _write_url(key, [chosen] if chosen != ids[0] else [])
    return containers


# --- filters kept in the URL by id (Streamlit's bind="query-params" would store the translated labels) --------


def _write_url(key: str, values: list[str]) -> None:
    if values:
        if st.query_params.get_all(key) != values:
            st.query_params[key] = values if len(values) > 1 else values[0]
    elif key in st.query_params:
        del st.query_params[key]


def _from_url(key: str, allowed: list[str], multi: bool) -> None:
    """First run of a filter: take its value from the link, keeping only known ids."""
    if key in st.session_state:
        return
    given = [v for v in st.query_params.get_all(key) if v in allowed]
    if multi:
        st.session_state[key] = given
    elif given:
        st.session_state[key] = given[0]


def bound(key: str, default: str = "") -> str:
    """The current value of a URL-kept single choice before it is drawn (views need it to build what the widget
    then shows): its session value, else the link's, else `default`."""
    value = st.session_state.get(key)
    if value is None:
        value = _first(st.query_params.get(key))
    return str(value) if value is not None else default


def bound_many(key: str) -> tuple[str, ...]:
    """The same for a URL-kept multiple choice."""
    value = st.session_state.get(key)
    if value is None:
        value = st.query_params.get_all(key)
    return tuple(str(v) for v in value)


# --- views -----------------------------------------------------------------------------------------------------


def view(build: Callable, **filters: Any) -> Any:
    """The view for this run's years and language (built once per inputs, shared by all sessions)."""
    return app_data.view(build, years(), lang().code, **filters)


def view_all_years(build: Callable, **filters: Any) -> Any:
    """A view the year range does not filter (Sources & data): built once for the data's whole coverage, not
    once per range a reader picks."""
    pkg = app_data.package()
    span = filters_years_of(pkg) if not isinstance(pkg, DataError) else years()
    return app_data.view(build, span, lang().code, **filters)


def filters_years_of(pkg) -> filters.YearRange:
    start, end = pkg.coverage
    return filters.YearRange(start, end)


def guard(result: Any, where: Any = None) -> bool:
    """True when `result` can be drawn; otherwise says why (the data problems, or that nothing matches)."""
    target = where or st
    if isinstance(result, app_data.Failed):
        for error in result.errors:
            data_error(error, target)
        return False
    if isinstance(result, base.Empty):
        target.info(text(result.message), icon=":material/info:")
        return False
    return True


def stale_notice(tables: Sequence[str], where: Any = None) -> None:
    for name, error in app_data.stale(tuple(tables)).items():
        (where or st).warning(
            text(
                _(
                    "The file {file} changed and does not validate now ({n} problems); the last valid version is shown."
                ).format(file=f"{name}.csv", n=error.total)
            ),
            icon="⚠️",
        )


def data_error(error: DataError, where: Any = None) -> None:
    lines = [
        "**"
        + text(
            _("The data file {file} has problems, so this part of the page cannot be shown.").format(
                file=f"{error.table}.csv"
                if error.table not in ("package", "basemap")
                else {"package": "datapackage.json", "basemap": "geo/countries.geojson"}[error.table]
            )
        )
        + "**"
    ]
    lines += [f"- {text(problem)}" for problem in error.problems[:MAX_LISTED]]
    if error.total > MAX_LISTED:
        lines.append(
            "- " + text(_("… and {n} more (run python -m components.data.validate)").format(n=error.total - MAX_LISTED))
        )
    (where or st).error("\n".join(lines), icon="⚠️")


def chart(item: base.Chart) -> None:
    """A figure with its accessible name, its one-sentence summary and an export carrying its file name."""
    fmt = st.session_state.get(FORMAT_KEY, "png")
    # Two toolbar buttons (save the image, reset the view): each button is a keyboard tab stop.
    config = {
        "displaylogo": False,
        "modeBarButtons": [["toImage", "resetScale2d"]],
        "toImageButtonOptions": {"format": fmt, "filename": item.file_stem, "scale": 2},
    }
    st.plotly_chart(item.prepared, key=item.key, config=config, alt=item.title)
    st.caption(text(item.summary))


# Streamlit cuts a metric's label, value and change to one line with "…" (a Kazakh label then loses its unit):
# they wrap instead, and every label takes as many lines as the longest needs at a desktop's four columns, so the
# values stay level. `.stMarkdownEllipsis` is Streamlit's own class for that text (a browser test fails the day
# it is renamed: tests/browser/test_languages.py, metric_format).
METRIC_CSS = """<style>
[data-testid="stMetric"] .stMarkdownEllipsis, [data-testid="stMetric"] .stMarkdownEllipsis p {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }
[data-testid="stMetricLabel"] { min-height: calc(%(lines)d * 1.4em); align-items: flex-start; }
</style>"""
METRIC_LABEL_PX = 200  # a label's width in one of four columns of the main column at 1400 px, its (?) left out


def _label_px(label: str) -> float:
    """14 px Source Sans, measured in Chromium: Cyrillic ~7.05 px a character, Latin ~6.0."""
    return sum(7.1 if "\u0400" <= c <= "\u04ff" else 6.1 for c in label)


def metrics(items: Sequence[Any]) -> None:
    """Headline figures side by side (each with label, value, delta, help, caption), none of their text cut."""
    lines = max((-(-_label_px(m.label) // METRIC_LABEL_PX) for m in items), default=1)
    st.html(METRIC_CSS % {"lines": max(1, int(lines))})
    for column, metric in zip(st.columns(len(items)), items):
        with column:
            st.metric(text(metric.label), metric.value, metric.delta, help=metric.help and text(metric.help))
            if metric.caption:
                st.caption(text(metric.caption))


def table(label: str, key: str, expanded: bool = False):
    """An expander holding a view's table, open or closed as the reader left it. Streamlit makes an expander anew,
    in the state `expanded` gives, when its label or `expanded` changes: a filter that changed the count in the
    label closed an opened table. The reader's choice is kept in `<key>.open` and given as `expanded` when the
    label changes; while it does not, `expanded` stays as it was, so a click does not make the expander (and its
    table) anew. A click reruns the page, so `.open` tells whether the table is open: a page can send its rows only
    when it is."""
    chosen, made = f"{key}.open", f"{key}.made"  # the reader's choice; (label, expanded) the expander was made with
    if key in st.session_state and st.session_state.get(made, (None,))[0] == label:
        expanded = st.session_state[made][1]
    else:
        expanded = st.session_state.get(chosen, expanded)
    st.session_state[made] = (label, expanded)
    return st.expander(label, expanded=expanded, key=key, on_change=_keep_open, args=(key, chosen))


def _keep_open(key: str, chosen: str) -> None:
    st.session_state[chosen] = bool(st.session_state[key])


def grid(item: base.Grid, label: str | None = None) -> None:
    config = {name: st.column_config.LinkColumn(name) for name in item.links}
    st.dataframe(item.rows, hide_index=True, width="stretch", column_config=config or None, alt=label)


def download(item: base.Download, help: str | None = None) -> None:
    st.download_button(
        text(item.label),  # a label is Markdown: a route's name in it must stay text
        # Bytes, made once per view (base.MadeOnce). Not Streamlit's deferred download (data=<callable>): in 1.67
        # the file it makes belongs to no session, and the next two script runs of any session delete it, so on a
        # busy server the browser's GET can come too late (404: bench/load.py saw 252 at 30 sessions).
        data=item.data,
        file_name=item.file_name,
        mime=item.mime,
        key=item.key,
        on_click="ignore",
        icon=":material/download:",
        help=help,
    )


FOOTER_ENTRIES = 12  # sources named under a view before the rest go into an expander


def footer(line: str) -> None:
    """The source line naming the sources of the rows on screen; a long one shows its first entries and the whole
    list in an expander (every source stays one click away, and in sources.csv)."""
    head, rest = provenance.shortened(line, FOOTER_ENTRIES)
    st.caption(text(head))
    if rest:
        with st.expander(
            ngettext("All sources of this view ({n} more)", "All sources of this view ({n} more)", rest).format(n=rest)
        ):
            st.caption(text(line))


def multiselect(label: str, options: Iterable[tuple[str, str]], key: str, placeholder: str) -> tuple[str, ...]:
    """A filter kept in the URL by id (?<key>=a&<key>=b) and while its tab is closed; returns the chosen ids."""
    options = list(options)
    names = dict(options)
    ids = [k for k, _n in options]
    _from_url(key, ids, multi=True)
    if key in st.session_state:  # ids no longer offered (another year range) are dropped, not an error
        st.session_state[key] = [v for v in st.session_state[key] if v in ids]
    chosen = st.multiselect(
        label, ids, key=key, format_func=lambda k: names.get(k, k), placeholder=placeholder, persist_state="page"
    )
    _write_url(key, list(chosen))
    return tuple(chosen)


def search_box(label: str, key: str, placeholder: str) -> str:
    """A text filter kept in the URL (?<key>=...) and while its tab is closed."""
    if key not in st.session_state:
        st.session_state[key] = (_first(st.query_params.get(key)) or "")[:100]
    value = st.text_input(label, key=key, placeholder=placeholder, persist_state="page", max_chars=100).strip()
    _write_url(key, [value] if value else [])
    return value


def choice(label: str, options: list[tuple[str, str]], key: str, help: str | None = None) -> str:
    """A single choice kept in the URL by id (?<key>=<id>); an unknown id falls back to the first option."""
    names = dict(options)
    ids = [k for k, _n in options]
    _from_url(key, ids, multi=False)
    if st.session_state.get(key) not in ids:
        st.session_state.pop(key, None)
    value = st.selectbox(label, ids, key=key, format_func=lambda k: names.get(k, k), help=help)
    _write_url(key, [value] if value != ids[0] else [])
    return value


def pills(label: str, options: Sequence[str], names: dict[str, str], key: str) -> tuple[str, ...]:
    """Toggles kept in the URL by id when some are off (?<key>=a&<key>=b); all on by default."""
    options = list(options)
    if key not in st.session_state:
        given = [v for v in st.query_params.get_all(key) if v in options]
        st.session_state[key] = given or options
    chosen = st.pills(
        label,
        options,
        selection_mode="multi",
        key=key,  # pill labels are Markdown: escaped
        format_func=lambda k: text(names.get(k, k)),
    )
    chosen = [o for o in options if o in (chosen or ())]
    _write_url(key, chosen if len(chosen) != len(options) else [])
    return tuple(chosen)


def base_url() -> str:
    """scheme://host[:port] of this page, for the data addresses shown on Sources & data."""
    from urllib.parse import urlsplit

    parts = urlsplit(str(st.context.url or ""))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""


def is_phone() -> bool:
    """A phone's browser (its User-Agent says Mobile): the map is fitted and the part-year labels placed for a
    narrow screen."""
    agent = (st.context.headers or {}).get("User-Agent", "")
    return "Mobi" in agent or "Android" in agent
