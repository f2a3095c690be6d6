"""The Streamlit layer: cached data access, the shared year filter, downloads, source lines, errors.

Everything here draws or caches; the logic it calls lives in pure modules.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import pickle
import re
from pathlib import Path

import pandas as pd
import streamlit as st

from components import export, filters, maps, provenance, schema, store
from components.loading import DataError, load_table

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[1] / "data"
APP_SCRIPT = Path(__file__).resolve().parents[1] / "app.py"


def data_dir() -> Path:
    """The data folder: AZKZ_DATA_DIR if set (tests point it at broken copies), else the repo's data/."""
    return Path(os.environ.get("AZKZ_DATA_DIR") or DEFAULT_DATA_DIR)
FALLBACK_YEARS = (1991, 2030)
YEARS_KEY = "years"  # the sidebar slider's widget key
_FRAME_FLAG = "frame.years"  # set by app.py each run, consumed by the page
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")

def plain(text: object) -> str:
    """Escape Markdown so data text shows literally in st.caption/st.markdown (never as markup)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


@functools.cache
def _table_file(name: str) -> str:
    """The table's file name from datapackage.json (read once; table_meta copies the whole entry per call)."""
    return schema.table_meta(name)["path"]


def _file_version(name: str) -> tuple[str, int, int]:
    path = data_dir() / _table_file(name)
    try:
        stat = path.stat()
    except OSError:
        return (str(path), -1, -1)
    return (str(path), stat.st_mtime_ns, stat.st_size)


def _dependencies(name: str) -> tuple[str, ...]:
    if name == "sources":
        return ()
    return ("sources", "routes") if name == "route_points" else ("sources",)


@st.cache_resource(show_spinner=False, max_entries=64)
def _load_cached(name: str, folder: str, key: str) -> pd.DataFrame | DataError:
    """Load and validate one table once per version of its file (and of the files it checks against).

    `key` (path, mtime, size of each file involved, as one string: Streamlit hashes a string much faster
    than nested tuples, and this runs for every table on every rerun) makes an edited CSV re-read.

    A table validated by an earlier server process from the very same bytes comes from the store
    (components/store.py) without validating again."""
    files = [Path(folder) / _table_file(n) for n in (name, *_dependencies(name))]
    store_key = store.table_key(name, files, schema.PACKAGE_PATH)
    stored = store.read(name, store_key)
    if stored is not None:
        return stored
    deps = {dep: _load_cached(dep, folder, _version_key(dep)) for dep in _dependencies(name)}
    source_ids = route_ids = None
    if isinstance(deps.get("sources"), pd.DataFrame):
        source_ids = frozenset(deps["sources"]["source_id"])
    if isinstance(deps.get("routes"), pd.DataFrame):
        route_ids = frozenset(deps["routes"]["route_id"])
    try:
        table = load_table(name, folder, source_ids=source_ids, route_ids=route_ids)
    except DataError as error:
        return error
    if store.table_key(name, files, schema.PACKAGE_PATH) == store_key:  # not edited while it was validated
        store.write(name, store_key, table)
    return table


def _versions(name: str) -> tuple:
    return tuple(_file_version(n) for n in (name, *_dependencies(name)))


def _version_key(name: str) -> str:
    return repr(_versions(name))


def load(name: str) -> pd.DataFrame | DataError:
    """A validated table, or the DataError explaining why it cannot be used. Never raises for bad data."""
    return _load_cached(name, str(data_dir()), _version_key(name))


def table(name: str, where=None) -> pd.DataFrame | None:
    """A validated table for this page, or None after showing the data error on the page (or in `where`,
    e.g. the tab that needed the table)."""
    result = load(name)
    if isinstance(result, DataError):
        show_data_error(result, where)
        return None
    return result


def show_data_error(error: DataError, where=None) -> None:
    lines = [f"**The data file `{error.table}.csv` has problems, so this part of the page cannot be shown.**"]
    lines += [f"- {plain(problem)}" for problem in error.problems[:12]]
    if len(error.problems) > 12:
        lines.append(f"- … and {len(error.problems) - 12} more (run `python -m components.validate`).")
    (where or st).error("\n".join(lines), icon="⚠️")


@st.cache_resource(show_spinner=False, max_entries=4)
def _basemap_cached(version: tuple) -> dict:
    return maps.load_basemap(version[0])


def basemap() -> dict:
    """The bundled country outlines, read once per file version."""
    path = data_dir() / "geo" / "countries.geojson"
    stat = path.stat()
    return _basemap_cached((str(path), stat.st_mtime_ns, stat.st_size))


def data_version() -> str:
    """One key for the current version of every data file (changes when any CSV is edited)."""
    return "|".join(_version_key(name) for name in schema.table_names())


@st.cache_resource(show_spinner=False, max_entries=4)
def _bundle_cached(version: str) -> bytes:
    tables = all_tables()
    loaded = {name: t[schema.contract_columns(name)] for name, t in tables.items() if isinstance(t, pd.DataFrame)}
    extra = {path.name: path.read_bytes() for path in (data_dir() / "datapackage.json", data_dir() / "README.md")
             if path.exists()}
    problems = "\n\n".join(str(t) for t in tables.values() if isinstance(t, DataError))
    if problems:
        extra["VALIDATION_PROBLEMS.txt"] = problems.encode("utf-8")
    return export.bundle_zip(loaded, extra)


def data_bundle() -> bytes:
    """A zip of every valid table (formula-safe CSV), the metadata and the data README; built once per data
    version. A table that fails validation is left out and its problems are listed in the zip."""
    return _bundle_cached(data_version())


@st.cache_resource(show_spinner=False, max_entries=128)
def _deck_cached(version: str, greyed: frozenset, modes: tuple[str, ...], statuses: tuple[str, ...], _year_to: int):
    routes, points = load("routes"), load("route_points")
    shown = routes[routes["mode"].isin(modes) & routes["status"].isin(statuses)]
    return maps.network_deck(shown, points, basemap(), year_to=_year_to)


def network_deck(year_to: int, modes: list[str], statuses: list[str]):
    """The route map for these layers and years, built (and serialised) once per data version and selection.

    The year only decides which routes are grey, so decks are shared by all years that grey the same
    routes. Call only after both routes and route_points loaded."""
    routes = load("routes")
    version = _version_key("routes") + _version_key("route_points")
    return _deck_cached(version, maps.not_open_routes(routes, year_to), tuple(sorted(modes)),
                        tuple(sorted(statuses)), year_to)


@st.cache_resource(show_spinner=False, max_entries=64)
def _map_selection_cached(version: str, modes: tuple[str, ...], statuses: tuple[str, ...]) -> dict:
    routes, points = load("routes"), load("route_points")
    shown = routes[routes["mode"].isin(modes) & routes["status"].isin(statuses)]
    shown_points = points[points["route_id"].isin(shown["route_id"])]
    geojson = json.dumps(maps.routes_geojson(shown, shown_points), ensure_ascii=False).encode("utf-8")
    return {"routes": shown, "points": shown_points, "routes_csv": export.to_safe_csv(shown),
            "points_csv": export.to_safe_csv(shown_points), "geojson": geojson,
            "source_line": plain(provenance.source_line(sources_frame(), shown))}


def map_selection(modes: list[str], statuses: list[str]) -> dict:
    """The routes and waypoints of these layers with their downloads (routes CSV, waypoints CSV, GeoJSON) and
    source line, built once per data version and selection: the year range never changes which routes are
    listed, only which are grey. Call only after both routes and route_points loaded."""
    version = _version_key("routes") + _version_key("route_points")
    return _map_selection_cached(version, tuple(sorted(modes)), tuple(sorted(statuses)))


def download_bytes(data: bytes, table_name: str, years: filters.YearRange, label: str, key: str,
                   mime: str = "text/csv", extension: str = "csv") -> None:
    """A download of prepared bytes named <table>_<from>-<to>.<extension> (no rerun on click)."""
    name = export.download_name(table_name, years.start, years.end).removesuffix(".csv") + "." + extension
    st.download_button(label, data=data, file_name=name, mime=mime, on_click="ignore", key=key,
                       icon=":material/download:")


@st.cache_resource(show_spinner=False, max_entries=4)
def _source_counts_cached(version: str) -> pd.DataFrame:
    tables = {n: t for n, t in all_tables().items() if isinstance(t, pd.DataFrame)}
    return provenance.rows_per_source(tables, tables["sources"])


def source_counts() -> pd.DataFrame:
    """Rows each source backs, per table (computed once per data version). Needs a valid sources.csv."""
    return _source_counts_cached(data_version())


@st.cache_resource(show_spinner=False, max_entries=4)
def _tables_overview_cached(version: str) -> pd.DataFrame:
    return pd.DataFrame([
        provenance.table_overview(name, None if isinstance(t, DataError) else t,
                                  str(t) if isinstance(t, DataError) else None, schema.table_meta(name))
        for name, t in all_tables().items()
    ])


def tables_overview() -> pd.DataFrame:
    """One row per table (rows, years, columns, problems), computed once per data version."""
    return _tables_overview_cached(data_version())


def all_tables() -> dict[str, pd.DataFrame | DataError]:
    return {name: load(name) for name in schema.table_names()}


@st.cache_resource(show_spinner=False, max_entries=16)
def _year_bounds_cached(key: str) -> tuple[int, int]:
    frames = {n: t for n, t in all_tables().items() if isinstance(t, pd.DataFrame)}
    return filters.year_bounds(frames, FALLBACK_YEARS)


def year_bounds() -> tuple[int, int]:
    """The years of all tables, computed once per version of the data files (not on every rerun)."""
    return _year_bounds_cached("\n".join(_version_key(n) for n in schema.table_names()))


def _sync_url(start: int, end: int) -> None:
    if st.query_params.get("from") != str(start) or st.query_params.get("to") != str(end):
        st.query_params.update({"from": str(start), "to": str(end)})


def _clear_notice() -> None:
    st.session_state.pop("years.notice", None)


def render_year_filter() -> filters.YearRange:
    """The one year range of the app, in the sidebar, kept in the URL as ?from=YYYY&to=YYYY."""
    lo, hi = year_bounds()
    if YEARS_KEY not in st.session_state:
        parsed = filters.parse_year_range(st.query_params.to_dict(), lo, hi)
        st.session_state[YEARS_KEY] = (parsed.start, parsed.end)
        if parsed.notice:
            st.session_state["years.notice"] = parsed.notice
    else:  # data bounds may have changed since the value was set
        start, end = st.session_state[YEARS_KEY]
        st.session_state[YEARS_KEY] = (max(lo, min(start, hi)), min(hi, max(end, lo)))
    start, end = st.sidebar.slider(
        "Year range", min_value=lo, max_value=hi, key=YEARS_KEY, on_change=_clear_notice,
        help="Applies to every page. The range is kept in the link, so a copied URL reopens this view.",
    )
    if st.session_state.get("years.notice"):
        st.sidebar.caption("⚠️ " + plain(st.session_state["years.notice"]))
    _sync_url(start, end)
    return filters.YearRange(start, end)


def mark_frame_years(years: filters.YearRange) -> None:
    """Called by app.py: tells the page this run's frame already drew the year filter."""
    st.session_state[_FRAME_FLAG] = years


def _reroute_through_app() -> None:
    """Make a page requested directly on a fresh server run inside app.py's frame.

    With a folder named pages/ next to app.py, Streamlit runs the very first script of a new
    server process in its legacy multipage mode (pages/<x>.py alone, a file-name sidebar) until
    app.py has called st.navigation once. When that happens, switch the legacy mode off and rerun:
    the rerun goes through app.py, which routes to the same URL path with the shared frame.
    """
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None or not PagesManager.uses_pages_directory:
        return
    if Path(ctx.main_script_path).resolve() == APP_SCRIPT:
        PagesManager.uses_pages_directory = False
        st.rerun()


def selected_years() -> filters.YearRange:
    """The year range for this run: from the app frame, or drawn here when a page runs on its own."""
    _reroute_through_app()
    years = st.session_state.pop(_FRAME_FLAG, None)
    return years if years is not None else render_year_filter()


def _fingerprint(df: pd.DataFrame) -> str:
    """Identity of a frame's content: a digest of its pickle (values, dtypes, index, columns).

    Equal pickles mean equal frames; two equal frames that pickle differently only cost a cache miss.
    About 10x cheaper than pandas' row hashing on these small frames of Arrow strings."""
    return hashlib.blake2b(pickle.dumps(df, protocol=pickle.HIGHEST_PROTOCOL), digest_size=20).hexdigest()


@st.cache_resource(show_spinner=False, max_entries=256)
def _safe_csv_cached(fingerprint: str, _df: pd.DataFrame) -> bytes:
    return export.to_safe_csv(_df)


def download_csv(df: pd.DataFrame, table_name: str, years: filters.YearRange, label: str = "Download CSV",
                 key: str | None = None) -> None:
    """Download exactly these rows as a formula-safe CSV named <table>_<from>-<to>.csv (no rerun).

    The CSV is written once per distinct set of rows shown (cached), not on every rerun. Not deferred
    (a callable `data=`): Streamlit 1.67 keeps the file a deferred click makes referenced by no session, so
    any other session's rerun can delete it before the browser fetches it (404s under load, bench/load.py)."""
    download_bytes(_safe_csv_cached(_fingerprint(df), df), table_name, years, label, key or f"dl.{table_name}")


def _arg_key(value: object) -> str:
    return _fingerprint(value) if isinstance(value, pd.DataFrame) else repr(value)


@st.cache_resource(show_spinner=False, max_entries=512)
def _figure_cached(builder: str, key: str, _build, _args: tuple):
    return _build(*_args)


def chart(build, *args, key: str) -> None:
    """Draw the Plotly figure `build(*args)`, built once per distinct arguments (rows and labels).

    Building a figure costs far more than checking whether its rows changed, and figures are never
    modified after they are built, so one object serves every rerun and session with the same inputs."""
    fingerprint = "|".join(_arg_key(arg) for arg in args)
    figure = _figure_cached(f"{build.__module__}.{build.__qualname__}", fingerprint, build, args)
    st.plotly_chart(figure, key=key)


@st.cache_resource(show_spinner=False, max_entries=1024)
def _source_line_cached(version: str, ids: tuple[str, ...], max_primary: int | None) -> str:
    return provenance.source_line(sources_frame(), pd.DataFrame({"source_id": list(ids)}), max_primary=max_primary)


def _source_line(frames: tuple[pd.DataFrame, ...], max_primary: int | None = None) -> str:
    """provenance.source_line of the frames, made once per sources.csv version and list of source ids."""
    ids = tuple(provenance.source_ids_in(*frames))
    return _source_line_cached(_version_key("sources"), ids, max_primary)


def source_text(*frames: pd.DataFrame) -> str:
    """The source line printed inside figures (plain text): articles and up to 4 primary sources by name."""
    return _source_line(frames, max_primary=4)


def source_footer(*frames: pd.DataFrame) -> None:
    """A source line naming the sources of the rows shown."""
    st.caption(plain(_source_line(frames)))


def sources_frame() -> pd.DataFrame | None:
    result = load("sources")
    return result if isinstance(result, pd.DataFrame) else None


@st.cache_resource(show_spinner=False, max_entries=4)
def _citation_names_cached(key: str) -> dict[str, str]:
    return provenance.citation_names(sources_frame())


def cite(df: pd.DataFrame) -> pd.DataFrame:
    """df with a `cite` column of short citations, for hover text (names built once per sources.csv version)."""
    names = _citation_names_cached(_version_key("sources"))
    return provenance.with_citations(df, sources_frame(), names=names)


def page_title(title: str, years: filters.YearRange, intro: str) -> None:
    st.title(title)
    st.caption(f"{plain(intro)} Showing **{years.label()}**.")


def keep_state(*keys: str) -> None:
    """Keep these widgets' values while they are not drawn (a closed tab's filters): Streamlit forgets the
    value of a widget that a run does not draw unless the value is set from the script."""
    for key in keys:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def view_tabs(page: str, labels: list[str]):
    """Tabs whose choice is kept in the URL (?<page>_view=<label>, so a copied link reopens the same view).

    Only the open tab's content should run (check `tab.open`): hidden tabs cost neither server time nor
    drawing. An unknown label in the URL is dropped by Streamlit and the first tab opens."""
    return st.tabs(labels, key=f"{page}_view", bind="query-params")


def table_view(df: pd.DataFrame, **kwargs) -> None:
    st.dataframe(df, hide_index=True, width="stretch", **kwargs)
