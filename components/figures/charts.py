"""Plotly figure builders for trade, diplomacy and the diaspora: rows in, Figure out. Pure: no streamlit.

Every figure has a title with unit and period, labelled axes, hover text in the reader's language and its
source line inside. The same marks mean the same thing everywhere (figures/style.py): direction = colour,
reporter = line dash and marker, derived = open marker, bound = triangle, approximate date = open marker on a
line spanning the period it stands for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import numpy as np
import pandas as pd

from components.figures.placement import Plot, label_positions
from components.figures.style import (
    DESKTOP_WIDTH,
    DIRECTION_COLOURS,
    INK,
    LEFT_NUMBERS,
    LEGEND_WRAP,
    MUTED,
    PALETTE,
    REPORTER_STYLE,
    RIGHT,
    axis_refs,
    date_axis,
    escape,
    finish,
    firmness,
    legend_key,
    merge,
    plot_height,
    stacked_axes,
    wrap,
)
from components.shaping.labels import Labels
from components.shaping.transforms import FLOWS, REPORTERS, series_with_gaps


def _value_text(labels: Labels, value: float, qualifier: object = None, digits: int = 1) -> str:
    return firmness(labels.lang, qualifier=qualifier).sign + labels.lang.number(value, digits)


def _point_hover(labels: Labels, row: dict, what: str, unit: str, digits: int = 1) -> str:
    """'<b>2019</b> · Kazakhstan → Azerbaijan: 205.0 million USD<br>Azerbaijani statistics · as reported<br>Source'"""
    _ = labels.lang._
    mark = firmness(labels.lang, derived=bool(row.get("is_derived")), qualifier=row.get("qualifier"))
    when = labels.period(row.get("period"), row.get("year"))
    value = _value_text(labels, row["value_usd_m"], row.get("qualifier"), digits)
    lines = [
        f"<b>{escape(when)}</b> · {escape(what)}: {escape(value)} {escape(unit)}",
        f"{escape(labels.name('reporter', row.get('reporter')))} · {escape(mark.label)}",
    ]
    if row.get("cite"):
        lines.append("<i>" + escape(_("Source: {source}").format(source=row["cite"])) + "</i>")
    return "<br>".join(lines)


def _on_shape(symbol: str, base: str) -> str:
    """A firmness marker drawn on a reporter's shape: plain or open; bounds keep their triangles."""
    if symbol == "circle":
        return base
    if symbol == "circle-open":
        return base + "-open"
    return symbol


def _symbols(rows: pd.DataFrame, base: str) -> list[str]:
    marks = (
        firmness(_EN, derived=bool(derived), qualifier=None if pd.isna(qualifier) else qualifier)
        for derived, qualifier in zip(rows["is_derived"].fillna(False), rows["qualifier"])
    )
    return [_on_shape(mark.symbol, base) for mark in marks]


from components.i18n import Lang as _Lang  # noqa: E402 - only the symbols of firmness are language-free

_EN = _Lang()


def broken_line(points: list[tuple], gap_symbol: object, blank: object = "") -> tuple[list, list, list, list]:
    """x, y, hover (or any per-point item) and marker of one line from its (year, value, hover, marker) points in
    year order, with a point at every missing year (y None, hover `blank`), so the line breaks there instead of
    joining 2001 to 2005; a point with no value gets `blank` too."""
    xs, ys, hovers, symbols, last = [], [], [], [], None
    for year, value, hover, symbol in points:
        if last is not None and year - last > 1:
            xs.append(last + 1)
            ys.append(None)
            hovers.append(blank)
            symbols.append(gap_symbol)
        missing = value is None or pd.isna(value)
        xs.append(year)
        ys.append(None if missing else float(value))
        hovers.append(blank if missing else hover)
        symbols.append(symbol)
        last = year
    return xs, ys, hovers, symbols


def firmness_keys(labels: Labels, rows: pd.DataFrame) -> list[dict]:
    """Legend entries explaining the markers that appear in `rows` (derived, bounds, approximate)."""
    derived = "is_derived" in rows and bool(rows["is_derived"].to_numpy(dtype=bool, na_value=False).any())
    return firmness_legend(labels, derived, set(rows["qualifier"]) if "qualifier" in rows else set())


def firmness_legend(labels: Labels, derived: bool, qualifiers: Collection) -> list[dict]:
    """Legend entries for derived values (if any) and the qualifiers present (bounds, approximate)."""
    _ = labels.lang._
    keys = []
    if derived:
        keys.append(legend_key(_("open marker: derived (computed by us)"), "circle-open"))
    if "upper_bound" in qualifiers:
        keys.append(legend_key(_("▼ upper bound (at most)"), "triangle-down"))
    if "lower_bound" in qualifiers:
        keys.append(legend_key(_("▲ lower bound (at least)"), "triangle-up"))
    if "about" in qualifiers:
        keys.append(legend_key(_("◎ approximate"), "circle-open-dot"))
    return keys


def reporter_keys(labels: Labels, reporters) -> list[dict]:
    """Legend entries for the line style of each reporter present (colour-free: colour means direction)."""
    out = []
    for reporter in REPORTERS:
        if reporter in set(reporters):
            style = REPORTER_STYLE[reporter]
            out.append(
                {
                    "type": "scatter",
                    "x": [None],
                    "y": [None],
                    "mode": "lines+markers",
                    "name": labels.name("reporter", reporter),
                    "legendgroup": "reporter",
                    "line": {"color": MUTED, "dash": style["dash"], "width": 2},
                    "marker": {"symbol": style["symbol"], "color": MUTED, "size": 8},
                    "hoverinfo": "skip",
                }
            )
    return out


def turnover_marks(
    annual: pd.DataFrame, part: pd.DataFrame, others: pd.DataFrame, labels: Labels
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The three frames of turnover_figure with each point's hover text (`_hover`) and marker (`_symbol`): they
    depend on the row and the language only, so a view makes them once for every year and cuts them to a range."""
    _ = labels.lang._
    unit = _("million USD")

    def hover(rows: pd.DataFrame, what) -> list[str]:
        return [_point_hover(labels, r, what(r), unit) for r in rows.to_dict("records")]

    flow_name = {f: labels.name("flow", f) for f in FLOWS}
    annual_symbols = [
        _on_shape(s, REPORTER_STYLE.get(reporter, REPORTER_STYLE["other"])["symbol"])
        for reporter, s in zip(annual["reporter"], _symbols(annual, "circle"))
    ]
    part_symbols = []
    for reporter, s in zip(part["reporter"], _symbols(part, "circle")):
        shape = REPORTER_STYLE.get(reporter, REPORTER_STYLE["other"])["symbol"]
        part_symbols.append(s if s.startswith("triangle") else shape + ("-open-dot" if s.endswith("dot") else "-open"))
    return (
        annual.assign(_hover=hover(annual, lambda r: flow_name.get(r["flow"], r["flow"])), _symbol=annual_symbols),
        part.assign(_hover=hover(part, lambda r: _("total, part of the year only")), _symbol=part_symbols),
        others.assign(
            _hover=hover(others, lambda r: labels.name("flow", r["flow"]) + " — " + _("another source")),
        ),
    )


YEAR_TICK_PX = 36  # a year's tick label (12 px digits) and the gap beside it


def turnover_figure(
    annual: pd.DataFrame,
    part: pd.DataFrame,
    others: pd.DataFrame,
    labels: Labels,
    period: str,
    source: str,
    width: float = DESKTOP_WIDTH,
) -> dict:
    """Full-year turnover by direction (colour) and reporter (line and marker); lines break at missing years;
    part-year figures as labelled hollow diamonds apart from the lines; other sources' values as crosses.
    The frames may come with their marks made already (turnover_marks); else they are made here. `width`: the
    chart's px as it will be drawn (a desktop's or a phone's), which the part-year labels are placed for."""
    _ = labels.lang._
    height, spacing, shares = 600, 0.12, (0.68, 0.32)  # px of the figure; the gap and the panels' shares of it
    if "_hover" not in annual:
        annual, part, others = turnover_marks(annual, part, others, labels)
    traces = []
    points: dict[tuple, list] = {}
    for flow, reporter, year, value, hover, symbol in zip(
        annual["flow"], annual["reporter"], annual["year"], annual["value_usd_m"], annual["_hover"], annual["_symbol"]
    ):
        points.setdefault((flow, reporter), []).append((int(year), value, hover, symbol))
    for flow in FLOWS:
        for reporter in REPORTERS:
            rows = sorted(points.get((flow, reporter), ()), key=lambda p: p[0])
            if not rows:
                continue
            style = REPORTER_STYLE[reporter]
            xs, ys, hovers, symbols = broken_line(rows, style["symbol"])
            name = labels.name("flow", flow)
            traces.append(
                {
                    "type": "scatter",
                    "x": xs,
                    "y": ys,
                    "mode": "lines+markers",
                    "connectgaps": False,
                    "name": f"{name} · {reporter}",
                    "legendgroup": flow,
                    "showlegend": False,
                    "line": {
                        "color": DIRECTION_COLOURS[flow],
                        "dash": style["dash"],
                        "width": 2.5 if flow == "total" else 2,
                    },
                    "marker": {
                        "size": 9,
                        "symbol": symbols,
                        "color": DIRECTION_COLOURS[flow],
                        "line": {"width": 2, "color": DIRECTION_COLOURS[flow]},
                    },
                    "hovertext": hovers,
                    "hovertemplate": "%{hovertext}<extra></extra>",
                }
            )
    for flow in FLOWS:  # one legend entry per direction (colour), one per reporter (line), below
        if (annual["flow"] == flow).any() or (part["flow"] == flow).any():
            traces.append(
                {
                    "type": "scatter",
                    "x": [None],
                    "y": [None],
                    "mode": "lines",
                    "legendgroup": flow,
                    "name": labels.name("flow", flow),
                    "line": {"color": DIRECTION_COLOURS[flow], "width": 3},
                    "hoverinfo": "skip",
                }
            )
    traces += reporter_keys(labels, pd.concat([annual["reporter"], part["reporter"]]))
    totals = part[part["flow"] == "total"]
    # at the month the period ends, within its year: Q1 early, Jan–Oct late
    part_x = [y + (period_end_month(p) - 6.5) / 12 for y, p in zip(totals["year"], totals["period"])]
    xs = [*annual["year"].dropna(), *others["year"].dropna(), *part_x]
    x_range = [min(xs) - 0.8, max(xs) + 0.8] if xs else None  # set, not guessed: the labels are placed on it
    y_range = [0, 1.06 * max(totals["value_usd_m"].max(), 1)] if not totals.empty else None
    if not totals.empty:
        hover = totals["_hover"].tolist()
        symbols = totals["_symbol"].tolist()
        texts = [labels.period(p, None) for p in totals["period"]]
        # the lower panel as it is drawn `width` px wide (a phone's is a third as wide as a desktop's: fewer labels)
        panel_px = (plot_height(height, x_title=True) * (1 - spacing) * shares[1], width - LEFT_NUMBERS - RIGHT)
        panel = Plot(panel_px[1], panel_px[0], tuple(x_range), tuple(y_range), above=20)
        positions = label_positions(part_x, totals["value_usd_m"].tolist(), texts, panel, symbols=symbols)
        traces.append(
            {
                "type": "scatter",
                "x": part_x,
                "y": totals["value_usd_m"],
                "mode": "markers+text",
                "name": _("part-year total (not a full year)"),
                "legendgroup": "key",
                "marker": {
                    "symbol": symbols,
                    "size": 11,
                    "color": PALETTE["red"],
                    "line": {"width": 2, "color": PALETTE["red"]},
                },
                # a label with no free place is left out (hover and table keep it): none printed over another
                "text": [escape(t) if where else "" for t, where in zip(texts, positions)],
                "textposition": [where or "top center" for where in positions],
                "textfont": {"color": PALETTE["red"], "size": 10},
                "cliponaxis": False,
                "hovertext": hover,
                "hovertemplate": "%{hovertext}<extra></extra>",
                **axis_refs(2),
            }
        )
    if not others.empty:
        hover = others["_hover"].tolist()
        traces.append(
            {
                "type": "scatter",
                "x": others["year"],
                "y": others["value_usd_m"],
                "mode": "markers",
                "name": _("× same reporter, another source"),
                "legendgroup": "key",
                "marker": {
                    "symbol": "x-thin-open",
                    "size": 10,
                    "color": [DIRECTION_COLOURS[f] for f in others["flow"]],
                    "line": {"width": 2, "color": [DIRECTION_COLOURS[f] for f in others["flow"]]},
                },
                "hovertext": hover,
                "hovertemplate": "%{hovertext}<extra></extra>",
            }
        )
    traces += firmness_keys(labels, pd.concat([annual, part]))
    years = pd.concat([annual["year"], part["year"]]).dropna()
    # a year every 1, 2, 5 or 10, the first whose labels fit side by side (36 px each): Plotly turns labels that
    # do not fit on end, and on a phone they then pushed the axis title into the legend
    span = years.max() - years.min() if years.nunique() else 0
    fits = (width - LEFT_NUMBERS - RIGHT) // YEAR_TICK_PX
    dtick = 1 if span <= 14 and span <= fits else next((d for d in (2, 5) if span / d <= fits), 10)
    layout = stacked_axes(2, spacing, heights=shares)
    ticks = {"dtick": dtick, "tickformat": "d"}
    merge(
        layout,
        {
            "xaxis": {**ticks, **({"range": x_range} if x_range else {})},
            "xaxis2": dict(ticks),
            "yaxis2": {
                "title": {"text": escape(_("part of the year"))},
                "rangemode": "tozero",
                **({"range": y_range} if y_range else {}),
            },
            "annotations": [
                {
                    # wrapped as a legend name is: one line of it is cut off at a phone's right edge
                    "text": wrap(_("Figures for part of a year only (not comparable with full years)"), LEGEND_WRAP),
                    "xref": "paper",
                    "yref": "y2 domain",
                    "x": 0,
                    "y": 1.02,
                    "xanchor": "left",
                    "yanchor": "bottom",
                    "align": "left",
                    "showarrow": False,
                    "font": {"size": 12, "color": MUTED},
                }
            ],
        },
    )
    return finish(
        traces,
        layout,
        _("Azerbaijan–Kazakhstan trade turnover by direction and reporter, {period} (million USD)").format(
            period=period
        ),
        labels.lang,
        y_title=_("million USD (current prices)"),
        x_title=_("Year"),
        source=source,
        height=height,
    )


def period_end_month(period: object) -> int:
    """The month a part of the year ends in: H1 6, Q3 9, 8M 8, Jan-Oct 10 (12 when unknown)."""
    import re

    text = str(period)
    if m := re.fullmatch(r"H([12])", text):
        return 6 * int(m.group(1))
    if m := re.fullmatch(r"Q([1-4])", text):
        return 3 * int(m.group(1))
    if m := re.fullmatch(r"(\d{1,2})M", text):
        return int(m.group(1))
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    if m := re.fullmatch(r"(?:[A-Z][a-z]{2}-)?([A-Z][a-z]{2})", text):
        return months.index(m.group(1)) + 1 if m.group(1) in months else 12
    return 12


def _reporter_lines(
    wide: pd.DataFrame,
    column: str,
    colour: str,
    labels: Labels,
    what: str,
    unit: str,
    digits: int,
    sign: bool = False,
    derived: str | None = None,
) -> list[dict]:
    """One line per reporter, broken at missing years; a value computed from derived figures has an open marker."""
    traces = []
    for reporter in REPORTERS:
        rows = wide[(wide["reporter"] == reporter)].dropna(subset=[column])
        if rows.empty:
            continue
        xs, ys = series_with_gaps(rows, "year", column)
        style = REPORTER_STYLE[reporter]
        flagged = set(rows.loc[rows[derived].astype(bool), "year"].astype(int)) if derived else set()
        symbols = [style["symbol"] + ("-open" if x in flagged else "") for x in xs]
        hover = [
            (
                ""
                if v is None
                else f"<b>{x}</b> · {escape(what)}: "
                f"{'+' if sign and v > 0 else ''}{escape(labels.lang.number(v, digits))} {escape(unit)}<br>"
                f"{escape(labels.name('reporter', reporter))}"
            )
            for x, v in zip(xs, ys)
        ]
        traces.append(
            {
                "type": "scatter",
                "x": xs,
                "y": ys,
                "mode": "lines+markers",
                "connectgaps": False,
                "name": labels.name("reporter", reporter),
                "line": {"color": colour, "dash": style["dash"], "width": 2},
                "marker": {"symbol": symbols, "size": 9, "color": colour, "line": {"width": 2, "color": colour}},
                "hovertext": hover,
                "hovertemplate": "%{hovertext}<extra></extra>",
            }
        )
    return traces


def _yearly_figure(
    wide: pd.DataFrame, labels: Labels, column: str, derived: str, colour: str, *, names: tuple[str, str, str, str],
    source: str, sign: bool,
) -> dict:  # fmt: skip
    """A yearly value around zero, one line per reporter (an open marker where it is derived by us). `names`: the
    series, its unit, the title and the y axis title, translated."""
    series, unit, title, y_title = names
    traces = _reporter_lines(wide, column, colour, labels, series, unit, 1, sign=sign, derived=derived)
    if wide[derived].any():
        traces.append(legend_key(labels.lang._("open marker: from derived values (computed by us)"), "circle-open"))
    return finish(
        traces,
        {"xaxis": {"tickformat": "d"}},
        title,
        labels.lang,
        y_title=y_title,
        x_title=labels.lang._("Year"),
        source=source,
        height=360,
        after={"yaxis": {"rangemode": "normal", "zeroline": True, "zerolinecolor": MUTED}},
    )


def balance_figure(wide: pd.DataFrame, labels: Labels, period: str, source: str) -> dict:
    """Azerbaijan's trade balance with Kazakhstan (its exports minus imports) per year, one line per reporter."""
    _ = labels.lang._
    names = (
        _("Azerbaijan's balance"),
        _("million USD"),
        _("Azerbaijan's trade balance with Kazakhstan, {period} (million USD)").format(period=period),
        _("million USD (exports − imports)"),
    )
    return _yearly_figure(
        wide, labels, "balance_az", "balance_derived", PALETTE["purple"], names=names, source=source, sign=False
    )


def change_figure(wide: pd.DataFrame, labels: Labels, period: str, source: str) -> dict:
    """Change of total turnover on the year before from the same reporter (consecutive years only)."""
    _ = labels.lang._
    names = (
        _("change on the year before"),
        "%",
        _("Year-on-year change of total turnover, {period} (%)").format(period=period),
        _("change on the year before, %"),
    )
    return _yearly_figure(
        wide, labels, "total_change_pct", "change_derived", PALETTE["green"], names=names, source=source, sign=True
    )


def products_figure(products: pd.DataFrame, flow: str, labels: Labels, source: str) -> dict:
    """Top products in one direction of trade, largest at the top (million USD)."""
    _ = labels.lang._
    rows = products.sort_values("rank", ascending=False)
    when = labels.period(rows["period"].iloc[0], rows["year"].iloc[0]) if not rows.empty else ""
    names = [wrap(p, 26) for p in rows["product"]]
    slots = len(names) * max([34] + [17 * (n.count("<br>") + 1) + 8 for n in names])
    bars = {
        "type": "bar",
        "x": rows["value_usd"] / 1e6,
        "y": names,
        "orientation": "h",
        "showlegend": False,
        "marker": {"color": DIRECTION_COLOURS[flow]},
        "text": [labels.lang.number(v / 1e6, 2) for v in rows["value_usd"]],
        "textposition": "outside",
        "cliponaxis": False,
        "textfont": {"color": INK},
        "hovertext": [
            f"{n}: {labels.lang.number(v / 1e6, 3)} {escape(_('million USD'))}"
            for n, v in zip(names, rows["value_usd"])
        ],
        "hovertemplate": "%{hovertext}<extra></extra>",
    }
    top = float(rows["value_usd"].max()) / 1e6 * 1.25 if not rows.empty else 1
    return finish(
        [bars],
        {"xaxis": {"range": [0, top]}, "yaxis": {"automargin": True}},
        _("Top products, {flow}, {period} (million USD)").format(flow=labels.name("flow", flow), period=when),
        labels.lang,
        x_title=_("million USD"),
        source=source,
        height=120 + max(slots, 100),
        # the names beside the bars: ~6.3 px a character at 12 px, 22 px to the bars (drawn: 26 characters took 188
        # px); asked for at 7 px a character so Plotly need not grow the margin and draw the chart again
        after={"margin": {"l": 22 + 7 * max((len(line) for n in names for line in n.split("<br>")), default=0)}},
    )


# --- dates ------------------------------------------------------------------------------------


def period_bounds(date_start: pd.Series, precision: pd.Series) -> tuple[list, list, list]:
    """(first day, middle, last day) of each partial date's period: a year stands for the whole year."""
    firsts, mids, lasts = [], [], []
    for start, prec in zip(pd.to_datetime(date_start), precision):
        start = start.date()
        if prec == "year":
            last = dt.date(start.year, 12, 31)
        elif prec == "month":
            nxt = dt.date(start.year + (start.month == 12), start.month % 12 + 1, 1)
            last = nxt - dt.timedelta(days=1)
        else:
            last = start
        firsts.append(start)
        lasts.append(last)
        mids.append(start + (last - start) / 2)
    return firsts, mids, lasts


def dated_marks(
    rows: pd.DataFrame,
    y: list,
    name: str,
    hover: list[str],
    colour: str | list[str],
    symbol: str,
    row: int | None = None,
    legend: bool = True,
    group: str | None = None,
) -> list[dict]:
    """Marks on a time line: exact dates filled at their day; a month or a year (a stand-in date) drawn open at
    the middle of its period, on a thin line spanning the period, so it never looks exact."""
    refs = axis_refs(row) if row else {}
    precision = rows["date_precision"].fillna("day").tolist()
    firsts, mids, lasts = period_bounds(rows["date_start"], precision)
    exact = [p == "day" for p in precision]
    traces = []
    seg_x, seg_y = [], []
    for f, last, yv, ex in zip(firsts, lasts, y, exact):
        if not ex:
            seg_x += [f, last, None]
            seg_y += [yv, yv, None]
    if seg_x:
        traces.append(
            {
                "type": "scatter",
                "x": seg_x,
                "y": seg_y,
                "mode": "lines",
                "showlegend": False,
                "legendgroup": group or name,
                "hoverinfo": "skip",
                "line": {"color": colour if isinstance(colour, str) else MUTED, "width": 2},
                **refs,
            }
        )
    traces.append(
        {
            "type": "scatter",
            "x": mids,
            "y": y,
            "mode": "markers",
            "name": name,
            "legendgroup": group or name,
            "showlegend": legend,
            "marker": {
                "symbol": [symbol if ex else symbol + "-open" for ex in exact],
                "size": 12,
                "color": colour,
                "line": {"width": 2, "color": colour},
            },
            "hovertext": hover,
            "hovertemplate": "%{hovertext}<extra></extra>",
            **refs,
        }
    )
    return traces


def approximate_key(labels: Labels, rows: pd.DataFrame) -> list[dict]:
    if (rows["date_precision"] != "day").any():
        return [
            legend_key(labels.lang._("open marker on a line: month or year only (not an exact day)"), "circle-open")
        ]
    return []


LANES = ("AZ → KZ", "KZ → AZ", "elsewhere", "agreement")
LANE_STYLE = {
    "AZ → KZ": (DIRECTION_COLOURS["az_to_kz"], "triangle-right"),
    "KZ → AZ": (DIRECTION_COLOURS["kz_to_az"], "triangle-left"),
    "elsewhere": (PALETTE["purple"], "diamond"),
    "agreement": (PALETTE["green"], "square"),
}


def lane_name(labels: Labels, lane: str) -> str:
    _ = labels.lang._
    return {
        "AZ → KZ": _("Azerbaijani leader in Kazakhstan"),
        "KZ → AZ": _("Kazakh leader in Azerbaijan"),
        "elsewhere": _("meeting elsewhere"),
        "agreement": _("document signed"),
    }[lane]


def mark_hover(marks: pd.DataFrame, labels: Labels) -> list[str]:
    """The hover text of each visit or document mark on the timeline: date, label, detail, source."""
    source = labels.lang._("Source: {source}")
    return [
        f"<b>{escape(labels.date(d, p))}</b><br>{wrap(lab, 70)}<br>{wrap(det, 70)}<br>"
        f"<i>{escape(source.format(source=c))}</i>"
        for d, p, lab, det, c in zip(
            marks["date"], marks["date_precision"], marks["label"], marks["detail"], marks["cite"]
        )
    ]


def combined_timeline(annual: pd.DataFrame, marks: pd.DataFrame, labels: Labels, period: str, source: str) -> dict:
    """Trade and diplomacy together: annual total turnover per reporter (top, lines broken at missing years)
    over lanes of visits and documents (bottom)."""
    _ = labels.lang._
    layout = stacked_axes(2, 0.08, heights=(0.5, 0.5))
    traces = []
    totals = annual[annual["flow"] == "total"]
    points: dict[str, list] = {}
    what, unit = _("total turnover"), _("million USD")
    read = [c for c in ("reporter", "year", "period", "value_usd_m", "is_derived", "qualifier", "cite") if c in totals]
    for row, mark in zip(totals[read].to_dict("records"), _symbols(totals, "circle")):
        base = REPORTER_STYLE.get(row["reporter"], REPORTER_STYLE["other"])["symbol"]
        hover = _point_hover(labels, row, what, unit)
        points.setdefault(row["reporter"], []).append(
            (int(row["year"]), row["value_usd_m"], hover, _on_shape(mark, base))
        )
    for reporter in REPORTERS:
        if reporter not in points:
            continue
        style = REPORTER_STYLE[reporter]
        xs, ys, hovers, symbols = broken_line(sorted(points[reporter], key=lambda p: p[0]), style["symbol"])
        traces.append(
            {
                "type": "scatter",
                "x": [None if x is None else dt.date(x, 7, 1) for x in xs],
                "y": ys,
                "mode": "lines+markers",
                "connectgaps": False,
                "name": _("Turnover, {reporter}").format(reporter=labels.name("reporter", reporter)),
                "line": {"color": DIRECTION_COLOURS["total"], "dash": style["dash"], "width": 2},
                "marker": {"size": 8, "symbol": symbols, "color": DIRECTION_COLOURS["total"]},
                "hovertext": hovers,
                "hovertemplate": "%{hovertext}<extra></extra>",
                **axis_refs(1),
            }
        )
    hovers = list(marks["hover"]) if "hover" in marks.columns else mark_hover(marks, labels)
    lane_of = marks["lane"].to_numpy()
    for lane in LANES:
        picked = np.flatnonzero(lane_of == lane)
        if not len(picked):
            continue
        rows = marks.iloc[picked]
        colour, symbol = LANE_STYLE[lane]
        hover = [hovers[i] for i in picked]
        traces += dated_marks(
            rows, [lane_name(labels, lane)] * len(rows), lane_name(labels, lane), hover, colour, symbol, row=2
        )
    traces += firmness_keys(labels, totals) + approximate_key(labels, marks)
    merge(
        layout,
        {
            "yaxis2": {
                "categoryorder": "array",
                "categoryarray": [lane_name(labels, lane) for lane in LANES][::-1],
                "rangemode": "normal",
                "automargin": True,
            },
            "xaxis": date_axis(period),
            "xaxis2": date_axis(period),
        },
    )
    return finish(
        traces,
        layout,
        _("Trade and diplomacy together, {period}").format(period=period),
        labels.lang,
        subtitle=_("total turnover (million USD) with visits and documents signed"),
        y_title=_("million USD"),
        x_title=_("Date"),
        source=source,
        height=560,
    )


def visit_hover(visits: pd.DataFrame, labels: Labels) -> list[str]:
    """The hover text of each visit on the visits chart: date, visitor, place, occasion, documents, source."""
    _ = labels.lang._
    hover = []
    for r in visits.to_dict("records"):
        docs = r.get("documents_signed")
        lines = [
            f"<b>{escape(labels.date(r['date'], r['date_precision']))}</b> · "
            f"{escape(labels.name('person', r['visitor']))}"
            + (f" ({escape(r['visitor_role'])})" if isinstance(r.get("visitor_role"), str) else ""),
            escape(
                ", ".join(
                    x for x in (labels.name("city", r.get("city")), labels.name("country", r["host_country"])) if x
                )
            ),
            wrap(r["occasion"], 70),
        ]
        if docs is not None and not pd.isna(docs):
            lines.append(
                escape(
                    labels.lang.ngettext("{n} document signed", "{n} documents signed", int(docs)).format(n=int(docs))
                )
            )
        lines.append("<i>" + escape(_("Source: {source}").format(source=r["cite"])) + "</i>")
        hover.append("<br>".join(lines))
    return hover


def visits_figure(visits: pd.DataFrame, labels: Labels, period: str, source: str) -> dict:
    """Visits on a time axis, one lane per direction, colour by kind of visit."""
    _ = labels.lang._
    type_colours = {
        "state": PALETTE["indigo"],
        "official": PALETTE["blue"],
        "working": PALETTE["orange"],
        "council": PALETTE["wine"],
        "summit": PALETTE["purple"],
        "other": PALETTE["grey"],
    }
    traces = []
    drawn = visits[["visit_type", "direction", "date_start", "date_precision"]].assign(
        hover=list(visits["_hover"]) if "_hover" in visits.columns else visit_hover(visits, labels)
    )
    for visit_type, colour in type_colours.items():
        rows = drawn[drawn["visit_type"] == visit_type]
        if rows.empty:
            continue
        lanes = [lane_name(labels, d) for d in rows["direction"]]
        traces += dated_marks(rows, lanes, labels.name("visit_type", visit_type), list(rows["hover"]), colour, "circle")
    traces += approximate_key(labels, visits)
    return finish(
        traces,
        {
            "yaxis": {
                "categoryorder": "array",
                "categoryarray": [lane_name(labels, lane) for lane in LANES[:3]][::-1],
                "automargin": True,
                "rangemode": "normal",
            },
            "xaxis": date_axis(period),
        },
        _("Visits and meetings by direction, {period}").format(period=period),
        labels.lang,
        x_title=_("Date"),
        source=source,
        height=360,
    )


def agreements_figure(by_domain: pd.DataFrame, labels: Labels, period: str, source: str) -> dict:
    """Documents signed per year and domain as a dot grid: one row per domain (named on the axis, so no colour
    has to be told apart), the dot's size and label the number of documents."""
    _ = labels.lang._
    domains = sorted(by_domain["domain"].unique(), key=lambda d: labels.name("domain", d))
    names = [labels.name("domain", d) for d in by_domain["domain"]]
    hover = [
        f"<b>{int(y)}</b> · {escape(n)}: "
        + escape(labels.lang.ngettext("{n} document", "{n} documents", int(c)).format(n=int(c)))
        for y, n, c in zip(by_domain["year"], names, by_domain["agreements"])
    ]
    dots = {
        "type": "scatter",
        "x": by_domain["year"],
        "y": names,
        "mode": "markers+text",
        "showlegend": False,
        "marker": {
            "size": [10 + 5 * min(int(c), 8) for c in by_domain["agreements"]],
            "color": PALETTE["green"],
            "line": {"width": 1, "color": "white"},
        },
        "text": [str(int(c)) for c in by_domain["agreements"]],
        "textfont": {"color": "white", "size": 11},
        "hovertext": hover,
        "hovertemplate": "%{hovertext}<extra></extra>",
    }
    return finish(
        [dots],
        {
            "xaxis": {"tickformat": "d"},
            "yaxis": {
                "categoryorder": "array",
                "categoryarray": [labels.name("domain", d) for d in domains][::-1],
                "automargin": True,
                "rangemode": "normal",
            },
        },
        _("Documents signed per year by domain, {period} (number of documents)").format(period=period),
        labels.lang,
        x_title=_("Year"),
        source=source,
        height=140 + 34 * max(3, len(domains)),
    )


MEASURE_STYLE = {
    "census": ("circle", PALETTE["blue"]),
    "official": ("square", PALETTE["green"]),
    "estimate": ("diamond-open", PALETTE["orange"]),
    "statement": ("star-open", PALETTE["purple"]),
}


def diaspora_hover(diaspora: pd.DataFrame, labels: Labels) -> list[str]:
    """The hover text of each population figure: year, value (as firm as it is), kind of count, source, note."""
    _ = labels.lang._
    hover = []
    for r in diaspora.to_dict("records"):
        mark = firmness(labels.lang, qualifier=r.get("qualifier"))
        value = mark.sign + labels.lang.number(r["population"], 0)
        if pd.notna(r.get("population_high")):
            value += "–" + labels.lang.number(r["population_high"], 0)
        line = f"<b>{int(r['year'])}</b>: {escape(value)} ({escape(labels.name('measure', r['measure']))})"
        hover.append(
            line
            + "<br><i>"
            + escape(_("Source: {source}").format(source=r["cite"]))
            + "</i>"
            + (f"<br>{wrap(r['note'], 70)}" if isinstance(r.get("note"), str) else "")
        )
    return hover


def diaspora_figure(diaspora: pd.DataFrame, labels: Labels, period: str, source: str) -> dict:
    """Population counts by kind of measure; a range a source gives is a bar from low to high; censuses joined
    by a line only between consecutive censuses (none is ten years from the next, so no line claims a year)."""
    _ = labels.lang._
    traces = []
    ordered = diaspora.sort_values("year", kind="stable")
    hovers = list(ordered["hover"]) if "hover" in ordered.columns else diaspora_hover(ordered, labels)
    columns = zip(
        ordered["measure"],
        ordered["year"].astype(int),
        ordered["population"].astype("float64"),
        ordered["population_high"].astype("float64"),
        ordered["qualifier"],
        hovers,
    )
    by_measure: dict[str, list[tuple]] = {}
    for row in columns:  # plain values, grouped in one pass (a 20-row table: pandas per group cost more)
        by_measure.setdefault(row[0], []).append(row)
    for measure, (symbol, colour) in MEASURE_STYLE.items():
        rows = by_measure.get(measure)
        if not rows:
            continue
        years = [r[1] for r in rows]
        values = [r[2] for r in rows]
        spread = [0.0 if pd.isna(h) else h - v for v, h in zip(values, (r[3] for r in rows))]
        symbols = [
            {"upper_bound": "triangle-down", "lower_bound": "triangle-up"}.get(q, symbol)
            if isinstance(q, str)
            else symbol
            for q in (r[4] for r in rows)
        ]
        # The legend shows each kind's own symbol (a trace's legend shows its first marker, which may be a bound).
        key = legend_key(labels.name("measure", measure), symbol, group=measure, colour=colour)
        if measure == "census":
            key.update(mode="lines+markers", line={"color": colour, "width": 2})
        traces.append(key)
        traces.append(
            {
                "type": "scatter",
                "x": years,
                "y": values,
                "name": labels.name("measure", measure),
                "legendgroup": measure,
                "showlegend": False,
                "mode": "lines+markers" if measure == "census" else "markers",
                "line": {"color": colour, "width": 2},
                "marker": {"symbol": symbols, "size": 11, "color": colour, "line": {"width": 2, "color": colour}},
                "error_y": {
                    "type": "data",
                    "array": spread,
                    "arrayminus": [0] * len(rows),
                    "visible": any(spread),
                    "color": colour,
                    "thickness": 2,
                    "width": 6,
                },
                "hovertext": [r[5] for r in rows],
                "hovertemplate": "%{hovertext}<extra></extra>",
            }
        )
    traces += firmness_keys(labels, diaspora.assign(is_derived=False))
    return finish(
        traces,
        {"xaxis": {"tickformat": "d"}},
        _("Azerbaijanis in Kazakhstan by source and kind of count, {period} (people)").format(period=period),
        labels.lang,
        y_title=_("people"),
        x_title=_("Year"),
        source=source,
        height=420,
    )


CATEGORY_COLOURS = {
    "diplomacy": PALETTE["blue"],
    "multilateral": PALETTE["indigo"],
    "caspian": PALETTE["wine"],
    "corridor": PALETTE["orange"],
    "energy": PALETTE["brown"],
    "economy": PALETTE["green"],
    "diaspora": PALETTE["purple"],
    "culture": PALETTE["purple"],
    "conflict": PALETTE["red"],
    "other": PALETTE["grey"],
    "visit": PALETTE["blue"],
    "agreement": PALETTE["green"],
}


def chronology_hover(items: pd.DataFrame, labels: Labels) -> list[str]:
    """The hover text of each chronology row: date, kind, what, source and any disagreement."""
    _ = labels.lang._
    source, disagree = _("Source: {source}"), escape(_("Sources disagree"))
    return [
        f"<b>{escape(labels.date(d, p))}</b> · {escape(k)}<br>{wrap(w, 70)}<br>"
        f"<i>{escape(source.format(source=c))}</i>" + (f"<br><b>{disagree}:</b> {wrap(x, 70)}" if x else "")
        for d, p, k, w, c, x in zip(
            items["date"],
            items["date_precision"],
            items["kind_label"],
            items["what"],
            items["cite"],
            items["disagreement"],
        )
    ]


def chronology_figure(items: pd.DataFrame, labels: Labels, period: str, source: str) -> dict:
    """Every event, visit and document on one time line, one lane per topic (lane names on the axis). Three
    traces in all (marks, the spans of approximate dates, the rings of disagreements): a browser draws a few
    hundred marks as fast as a bare chart."""
    _ = labels.lang._
    if "chart_order" in items.columns:  # each row's place in every row's order (see views.chronology._display)
        order = items.iloc[np.argsort(items["chart_order"].to_numpy(), kind="stable")]
    else:
        order = items.sort_values(["lane_order", "date_start"], kind="stable")
    lanes = list(dict.fromkeys(order["lane"]))
    hover = list(order["hover"]) if "hover" in order.columns else chronology_hover(order, labels)
    colours = [CATEGORY_COLOURS.get(k, PALETTE["grey"]) for k in order["colour_key"]]
    traces = dated_marks(order, list(order["lane"]), _("entry"), hover, colours, "circle", legend=False)
    flagged = order[order["disagreement"] != ""]
    if not flagged.empty:
        _firsts, mids, _lasts = period_bounds(flagged["date_start"], flagged["date_precision"].fillna("day"))
        traces.append(
            {
                "type": "scatter",
                "x": mids,
                "y": list(flagged["lane"]),
                "mode": "markers",
                "showlegend": False,
                "hoverinfo": "skip",
                "marker": {
                    "symbol": "circle-open",
                    "size": 20,
                    "color": PALETTE["red"],
                    "line": {"width": 2, "color": PALETTE["red"]},
                },
            }
        )
    traces += approximate_key(labels, items)
    if (items["disagreement"] != "").any():
        traces.append(
            legend_key(_("red ring: the sources disagree (see the table)"), "circle-open", colour=PALETTE["red"])
        )
    return finish(
        traces,
        {
            "xaxis": date_axis(period),
            "yaxis": {
                "categoryorder": "array",
                "categoryarray": lanes[::-1],
                "automargin": True,
                "rangemode": "normal",
            },
        },
        _("Chronology of Azerbaijan–Kazakhstan relations, {period}").format(period=period),
        labels.lang,
        subtitle=_("events, visits and documents by topic"),
        x_title=_("Date"),
        source=source,
        height=160 + 40 * max(3, len(lanes)),
    )


def indicator_hover(rows: pd.DataFrame, labels: Labels, unit: str | None = None) -> list[str]:
    """The hover text of each indicator point: when, value (as firm as it is) and unit, source. `unit`: the unit's
    name for every row (default: each row's own)."""
    _ = labels.lang._
    hover = []
    for r in rows.to_dict("records"):
        mark = firmness(labels.lang, derived=bool(r.get("is_derived")), qualifier=r.get("qualifier"))
        value = mark.sign + labels.lang.compact(r["value"])
        if pd.notna(r.get("value_high")):
            value += "–" + labels.lang.compact(r["value_high"])
        when = labels.period(r.get("period"), r.get("year"))
        stated = r.get("stated_year")
        extra = (" · " + _("stated in {year}").format(year=int(stated))) if pd.notna(stated) else ""
        name = unit if unit is not None else labels.name("unit", r.get("unit"))
        hover.append(
            f"<b>{escape(when)}</b>: {escape(value)} {escape(name)}{escape(extra)}<br>"
            f"<i>{escape(_('Source: {source}').format(source=r['cite']))}</i>"
        )
    return hover


def indicator_figure(rows: pd.DataFrame, labels: Labels, title: str, unit: str, period: str, source: str) -> dict:
    """One indicator over the years, one marker series per source; ranges as bars, bounds as triangles."""
    _ = labels.lang._
    traces = []
    for i, (sid, group) in enumerate(rows.sort_values("year").groupby("cite", sort=False)):
        colour = list(PALETTE.values())[i % 8]
        high = group["value_high"].astype("float64")
        spread = (high - group["value"].astype("float64")).fillna(0)
        hover = list(group["hover"]) if "hover" in group.columns else indicator_hover(group, labels, unit)
        symbols = []
        for d, q in zip(group["is_derived"].fillna(False), group["qualifier"]):
            symbols.append(firmness(labels.lang, derived=bool(d), qualifier=None if pd.isna(q) else q).symbol)
        traces.append(
            {
                "type": "scatter",
                "x": group["year"],
                "y": group["value"],
                "mode": "markers",
                "name": sid,
                "marker": {"symbol": symbols, "size": 11, "color": colour, "line": {"width": 2, "color": colour}},
                "error_y": {
                    "type": "data",
                    "array": spread,
                    "arrayminus": [0] * len(group),
                    "visible": bool(spread.any()),
                    "color": colour,
                    "thickness": 2,
                    "width": 6,
                },
                "hovertext": hover,
                "hovertemplate": "%{hovertext}<extra></extra>",
            }
        )
    traces += firmness_keys(labels, rows)
    return finish(
        traces,
        {"xaxis": {"tickformat": "d"}},
        f"{title}, {period} ({unit})",
        labels.lang,
        y_title=unit,
        x_title=_("Year"),
        source=source,
        height=380,
    )
