"""Corridor figures: volumes against capacity and targets, milestones. Rows in, Figure out. Pure."""

from __future__ import annotations

import pandas as pd

from components.figures.charts import approximate_key, broken_line, dated_marks, firmness_legend, period_end_month
from components.figures.style import (
    INK,
    PALETTE,
    approximate_year_bars,
    axis_refs,
    date_axis,
    escape,
    finish,
    firmness,
    legend_key,
    merge,
    stacked_axes,
    wrap,
)
from components.shaping.labels import Labels

STATUS_STYLE = {  # actual solid and filled; plans, expectations and targets hollow and dashed
    "actual": {"symbol": "circle", "dash": "solid"},
    "planned": {"symbol": "square-open", "dash": "dash"},
    "expected": {"symbol": "diamond-open", "dash": "dot"},
    "target": {"symbol": "star-open", "dash": "dashdot"},
}
METRIC_COLOURS = {
    "throughput": PALETTE["blue"],
    "capacity": PALETTE["red"],
    "count": PALETTE["green"],
    "transit_time": PALETTE["purple"],
    "other": PALETTE["grey"],
}


KINDS = ("year", "point", "part_year", "part_flow")


def figure_kind(period: object, scope: object) -> str:
    """What a figure covers: a whole year of the whole route ('year'), no span (a capacity at a date, a transit
    time: 'point'), part of a year ('part_year'), or part of the route's traffic ('part_flow')."""
    if isinstance(scope, str) and scope:
        return "part_flow"
    if not isinstance(period, str) or not period:
        return "point"
    return "year" if period == "annual" else "part_year"


def series_name(labels: Labels, metric: str, status: str, kind: str) -> str:
    _ = labels.lang._
    parts = [labels.name("metric", metric), labels.name("volume_status", status)]
    parts += {"part_year": [_("part of the year")], "part_flow": [_("part of the traffic")]}.get(kind, [])
    return " · ".join(parts)


def _hover(labels: Labels, r: dict, unit: str) -> str:
    _ = labels.lang._
    mark = firmness(labels.lang, qualifier=r.get("qualifier"))
    value = mark.sign + labels.lang.compact(r["value"])
    if pd.notna(r.get("value_high")):
        value += "–" + labels.lang.compact(r["value_high"])
    when = labels.period(r.get("period"), r.get("year"))
    lines = [
        f"<b>{escape(when)}</b> · {escape(series_name(labels, r['metric'], r['status'], r['kind']))}"
        f": {escape(value)} {escape(unit)}"
    ]
    if isinstance(r.get("scope"), str) and r["scope"]:
        lines.append(escape(_("counts only: {scope}").format(scope=r["scope"])))
    if pd.notna(r.get("stated_year")) and r["status"] != "actual":
        lines.append(
            escape(_("stated in {stated} for {year}").format(stated=int(r["stated_year"]), year=int(r["year"])))
        )
    if r.get("year_approx") is True:
        lines.append(escape(_("the year is approximate (the source gives none, or only about when)")))
    if r.get("given"):
        lines.append(escape(_("the source gives {value}").format(value=r["given"])))
    lines.append("<i>" + escape(_("Source: {source}").format(source=r["cite"])) + "</i>")
    if isinstance(r.get("note"), str) and r["note"]:
        lines.append(wrap(r["note"], 70))
    return "<br>".join(lines)


def encoding_keys(labels: Labels, records: list[dict]) -> list[dict]:
    """Legend entries for what the marks encode: colour = what is measured, line and marker = actual, planned,
    expected or target, an own marker for part of a year or of the traffic (the unit is each panel's axis).
    `records`: marked() rows."""
    _ = labels.lang._
    keys = []
    present = {r["metric"] for r in records if not pd.isna(r["metric"])}
    for metric in [m for m in METRIC_COLOURS if m in present] + sorted(present - set(METRIC_COLOURS)):
        colour = METRIC_COLOURS.get(metric, PALETTE["grey"])
        keys.append(legend_key(labels.name("metric", metric), "square", group=metric, colour=colour))
    statuses = {r["status"] for r in records}
    for status, style in STATUS_STYLE.items():
        if status in statuses:
            key = legend_key(labels.name("volume_status", status), style["symbol"], group=f"status:{status}")
            key.update(mode="lines+markers", line={"color": INK, "dash": style["dash"], "width": 2})
            keys.append(key)
    kinds = {r["kind"] for r in records}
    if "part_year" in kinds:
        keys.append(legend_key(_("part of the year"), "x-open", group="kind:part_year"))
    if "part_flow" in kinds:
        keys.append(legend_key(_("part of the traffic"), "hexagon-open", group="kind:part_flow"))
    return keys


def marked(rows: pd.DataFrame, labels: Labels) -> list[dict]:
    """The rows as corridor_figure reads them: one dict each, with what it covers (`kind`) and its hover text. A
    row's own: a view makes them once for every year and gives each range its rows' dicts (never changed)."""
    records = rows.to_dict("records")  # grouped in Python: a pandas groupby and to_dict per series cost 10x
    for r in records:
        r["kind"] = figure_kind(r["period"], r["scope"])
        r["hover"] = _hover(labels, r, labels.name("unit", r["unit"]))
    return records


def corridor_figure(
    rows: pd.DataFrame, labels: Labels, name: str, period: str, source: str, records: list[dict] | None = None
) -> dict:
    """One corridor: one panel per unit (never two units on one axis); within a panel one series per metric,
    status, part of year and scope. Lines break at missing years; a range is a bar from its low to its high
    end; a plan, expectation or target sits at the year it is for (its hover says when it was stated).
    `records`: marked(rows), if made already."""
    _ = labels.lang._
    records = marked(rows, labels) if records is None else records
    units = sorted({r["unit"] for r in records})
    layout = stacked_axes(len(units), 0.1)
    traces = []
    for i, unit in enumerate(units, start=1):
        in_unit = [r for r in records if r["unit"] == unit]
        unit_name = labels.name("unit", unit)
        series: dict[tuple, list[dict]] = {}
        for r in in_unit:
            series.setdefault((r["metric"], r["status"], r["kind"]), []).append(r)
        for (metric, status, kind), group in sorted(series.items(), key=lambda kv: kv[0]):
            group = sorted(group, key=lambda r: r["year"])
            style = STATUS_STYLE[status]
            colour = METRIC_COLOURS.get(metric, PALETTE["grey"])
            if kind == "year":  # one figure a year: a line broken at missing years
                # each point keeps its own row (two figures in one year: each its own hover)
                points = [(int(r["year"]), r["value"], r, None) for r in group]
                xs, ys, recs, _markers = broken_line(points, None, blank=None)
            else:  # several a year are possible: marks only, a part of the year at the month it ends
                recs = group
                xs = [
                    r["year"] + ((period_end_month(r["period"]) - 6.5) / 12 if kind == "part_year" else 0) for r in recs
                ]
                ys = [float(r["value"]) for r in recs]
            symbols = []
            for r in recs:
                mark = firmness(labels.lang, qualifier=None if r is None else r.get("qualifier")).symbol
                base = {"part_year": "x-open", "part_flow": "hexagon-open"}.get(kind, style["symbol"])
                symbols.append(base if mark == "circle" else mark)
            high = [
                None if r is None or pd.isna(r.get("value_high")) else float(r["value_high"]) - float(r["value"])
                for r in recs
            ]
            traces.append(
                {
                    "type": "scatter",
                    "x": xs,
                    "y": ys,
                    "connectgaps": False,
                    "mode": "lines+markers" if kind == "year" and len(group) > 1 else "markers",
                    "name": series_name(labels, metric, status, kind) + f" [{unit_name}]",
                    "line": {"dash": style["dash"], "color": colour, "width": 2},
                    "marker": {"symbol": symbols, "size": 11, "color": colour, "line": {"width": 2, "color": colour}},
                    "error_x": {**approximate_year_bars(recs), "color": colour},
                    "error_y": {
                        "type": "data",
                        "array": [h or 0 for h in high],
                        "arrayminus": [0] * len(xs),
                        "visible": any(high),
                        "color": colour,
                        "thickness": 2,
                        "width": 7,
                    },
                    "hovertext": [r["hover"] if r else "" for r in recs],
                    "hovertemplate": "%{hovertext}<extra></extra>",
                    "showlegend": False,  # the legend explains the encoding (below), not each of up to 40 series
                    "legendgroup": metric,  # a click on the metric's colour hides its series
                    **axis_refs(i),
                }
            )
    traces += encoding_keys(labels, records)
    if any(not pd.isna(r["value_high"]) for r in records):
        traces.append(legend_key(_("vertical bar: a range (low to high end)"), "line-ns-open"))
    traces += firmness_legend(labels, False, {r["qualifier"] for r in records})
    if any(r["year_approx"] is True for r in records):
        traces.append(legend_key(_("horizontal bar: the year is approximate"), "line-ew-open"))
    x_axes = [k for k in layout if k.startswith("xaxis")]
    y_axes = {("yaxis" if i == 1 else f"yaxis{i}"): labels.name("unit", u) for i, u in enumerate(units, start=1)}
    years = [r["year"] for r in records]
    span = max(years) - min(years)
    ticks = {"tickformat": "d", "dtick": 1 if span < 14 else 2}
    merge(
        layout,
        {
            **{k: dict(ticks) for k in x_axes},
            **{k: {"rangemode": "tozero", "title": {"text": escape(u)}} for k, u in y_axes.items()},
        },
    )
    return finish(
        traces,
        layout,
        _("{name}: volumes against capacity and targets, {period}").format(name=name, period=period),
        labels.lang,
        subtitle=_("colour: what is measured; line and marker: actual, planned, expected or target; a panel per unit"),
        x_title=_("Year"),
        source=source,
        height=220 + 220 * len(units),
        after={"yaxis": {"title": {"text": escape(y_axes["yaxis"])}}},
    )


def milestone_figure(marks: pd.DataFrame, labels: Labels, name: str, period: str, source: str) -> dict:
    """Milestones and documents of one route on a time line (marks need date_start and cite)."""
    _ = labels.lang._
    kinds = {
        "milestone": (_("milestone"), PALETTE["blue"], "circle"),
        "agreement": (_("document signed"), PALETTE["green"], "square"),
    }
    traces, lanes = [], []
    for kind, (label, colour, symbol) in kinds.items():
        rows = marks[marks["kind"] == kind]
        if rows.empty:
            continue
        lanes.append(label)
        hover = [
            f"<b>{escape(labels.date(d, p))}</b><br>{wrap(w, 70)}<br>"
            f"<i>{escape(_('Source: {source}').format(source=c))}</i>"
            + (f"<br><b>{escape(_('Sources disagree'))}:</b> {wrap(x, 70)}" if x else "")
            for d, p, w, c, x in zip(
                rows["date"], rows["date_precision"], rows["what"], rows["cite"], rows["disagreement"]
            )
        ]
        traces += dated_marks(rows, [label] * len(rows), label, hover, colour, symbol)
    traces += approximate_key(labels, marks)
    return finish(
        traces,
        # a lane per kind, named above it (finish): beside the axis the names took 50-125 px from the plot
        {
            "xaxis": date_axis(period),
            "yaxis": {"rangemode": "normal", "categoryorder": "array", "categoryarray": lanes[::-1]},
        },
        _("{name}: milestones and documents, {period}").format(name=name, period=period),
        labels.lang,
        x_title=_("Date"),
        source=source,
        height=260,
    )
