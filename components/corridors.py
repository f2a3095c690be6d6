"""Corridor volumes against capacity, milestones and energy context. Pure: no Streamlit."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from components.charts import OKABE_ITO, _escape, _merge, _wrap, axis_refs, finish, marks_trace, stacked_axes

STATUS_STYLE = {  # how each status is drawn: actual solid and filled; the rest hollow and dashed
    "actual": {"symbol": "circle", "dash": "solid", "label": "actual"},
    "planned": {"symbol": "square-open", "dash": "dash", "label": "planned"},
    "expected": {"symbol": "diamond-open", "dash": "dot", "label": "expected"},
    "target": {"symbol": "star-open", "dash": "dashdot", "label": "target"},
}
METRIC_COLOURS = {"throughput": OKABE_ITO["blue"], "capacity": OKABE_ITO["vermillion"],
                  "count": OKABE_ITO["green"], "transit_time": OKABE_ITO["purple"], "other": OKABE_ITO["grey"]}


# Scales of one unit that are put on one axis: value in `unit` x factor = value in the common unit.
COMMON_UNITS = {
    "t": ("million t", 1e-6), "thousand t": ("million t", 1e-3), "million t": ("million t", 1.0),
    "bbl/d": ("thousand bbl/d", 1e-3), "thousand bbl/d": ("thousand bbl/d", 1.0),
}


def normalise_units(volumes: pd.DataFrame) -> pd.DataFrame:
    """Tonnes (t, thousand t) shown as million t, barrels/day as thousand bbl/d, so one quantity has one axis.

    A conversion of scale only; the note says what the source gave. Other units are left as they are."""
    out = volumes.copy()
    for unit, (common, factor) in COMMON_UNITS.items():
        rows = out["unit"] == unit
        if unit == common or not rows.any():
            continue
        given = out.loc[rows, "value"].map(lambda v, given_unit=unit: f"{v:,.10g} {given_unit}")
        out.loc[rows, "note"] = ("Source gives " + given + "; shown in " + common + ". "
                                 + out.loc[rows, "note"].fillna("")).str.strip()
        out.loc[rows, "value"] = out.loc[rows, "value"] * factor
        out.loc[rows, "unit"] = common
    return out


def corridor_names(volumes: pd.DataFrame, routes: pd.DataFrame | None) -> dict[str, str]:
    """corridor id -> readable name (route name, or the id made readable for ports and fields)."""
    names = {} if routes is None else dict(zip(routes["route_id"], routes["name"]))
    return {cid: names.get(cid, cid.replace("_", " ").capitalize()) for cid in volumes["corridor"].unique()}


def series_label(row: pd.Series) -> str:
    period = "" if row["period"] == "annual" else f", {row['period']} only"
    return f"{row['metric']} ({STATUS_STYLE[row['status']]['label']}{period})"


def corridor_figure(rows: pd.DataFrame, title_name: str, period: str, source: str | None = None) -> go.Figure:
    """One corridor: one panel per unit (never two units on one axis); within a panel one trace per
    metric/status/period. Actual values solid and filled; planned, expected and target hollow and dashed."""
    units = list(dict.fromkeys(rows.sort_values("unit")["unit"]))
    layout = stacked_axes(len(units), 0.08, titles=tuple(f"in {u}" for u in units))
    traces = []
    for i, unit in enumerate(units, start=1):
        in_unit = rows[rows["unit"] == unit]
        for (metric, status, part), trace_rows in in_unit.groupby(["metric", "status", "period"], sort=True):
            trace_rows = trace_rows.sort_values("year")
            style = STATUS_STYLE[status]
            label = series_label(trace_rows.iloc[0])
            hover = [
                f"<b>{int(y)}</b> {_escape(label)}: {v:,.4g} {_escape(unit)}<br><i>Source: {_escape(c)}</i>"
                + (f"<br>{_wrap(n, 70)}" if isinstance(n, str) and n else "")
                for y, v, c, n in zip(trace_rows["year"], trace_rows["value"], trace_rows["cite"], trace_rows["note"])
            ]
            colour = METRIC_COLOURS.get(metric, OKABE_ITO["grey"])
            traces.append({
                "type": "scatter", "x": trace_rows["year"], "y": trace_rows["value"], "name": f"{label} [{unit}]",
                "mode": "lines+markers" if len(trace_rows) > 1 else "markers",
                "line": {"dash": style["dash"], "color": colour, "width": 2},
                "marker": {"symbol": style["symbol"] if part == "annual" else "x-open", "size": 12, "color": colour,
                           "line": {"width": 2}},
                "hovertext": hover, "hovertemplate": "%{hovertext}<extra></extra>", "legendgroup": unit,
                **axis_refs(i),
            })
    x_axes = [k for k in layout if k.startswith("xaxis")]
    y_axes = {("yaxis" if i == 1 else f"yaxis{i}"): unit for i, unit in enumerate(units, start=1)}
    ticks = {"tickformat": "d", "dtick": 1 if rows["year"].nunique() < 15 else 2, "showticklabels": True}
    _merge(layout, {**{k: ticks.copy() for k in x_axes}, **{k: {"rangemode": "tozero"} for k in y_axes}})
    height = 260 + 240 * len(units)
    bottom_axis = "xaxis" if len(units) == 1 else f"xaxis{len(units)}"
    # Above the panels: the title, then the legend (up to 3 rows), then the first panel's unit title.
    legend_rows = -(-len(traces) // 3)
    top = 90 + 20 * legend_rows
    after = {**{k: {"title": {"text": unit}} for k, unit in y_axes.items()},
             **{k: {"title": {"text": None}} for k in x_axes if k != bottom_axis},  # "Year" once, at the bottom
             "margin": {"t": top}, "legend": {"y": 1 + 28 / (height - top - 100)}}
    return finish(traces, layout,
                  f"{_escape(title_name)}<br><sup>volumes against capacity and targets, {period}</sup>", "", source,
                  x_title="Year", height=height, after=after)


def utilisation(volumes: pd.DataFrame) -> pd.DataFrame:
    """Actual annual throughput as a share of the capacity stated for the same corridor and unit.

    Computed by us. The capacity used is the one stated for that year or the latest year before;
    where none is, the earliest one stated for a later year (e.g. a capacity expected next year),
    and `capacity_basis` says which. Call normalise_units first so tonnes at any scale compare."""
    columns = ["corridor", "year", "unit", "throughput", "capacity", "capacity_basis", "utilisation_pct",
               "source_id"]
    annual = volumes[volumes["period"] == "annual"]
    actual = annual[(annual["metric"] == "throughput") & (annual["status"] == "actual")]
    capacity = annual[annual["metric"] == "capacity"]
    priority = {"target": 0, "expected": 1, "planned": 2, "actual": 3}
    rows = []
    for _, flow in actual.iterrows():
        same = capacity[(capacity["corridor"] == flow["corridor"]) & (capacity["unit"] == flow["unit"])
                        & (capacity["value"] > 0)]
        if same.empty:
            continue
        ranked = same.assign(_p=same["status"].map(priority))
        before = ranked[ranked["year"] <= flow["year"]]
        # Latest year first; within a year an existing (actual) capacity beats a planned one, then targets.
        cap = (before.sort_values(["year", "_p"]).iloc[-1] if not before.empty
               else ranked.sort_values(["year", "_p"], ascending=[True, False]).iloc[0])
        rows.append({
            "corridor": flow["corridor"], "year": int(flow["year"]), "unit": flow["unit"],
            "throughput": flow["value"], "capacity": cap["value"],
            "capacity_basis": f"{cap['status']} capacity stated for {int(cap['year'])}",
            "utilisation_pct": round(100 * flow["value"] / cap["value"], 1),
            "source_id": ";".join(dict.fromkeys(f"{flow['source_id']};{cap['source_id']}".split(";"))),
        })
    return pd.DataFrame(rows, columns=columns)


def corridor_summary(volumes: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """One row per corridor and unit: latest actual figure, largest capacity/target stated, years covered."""
    rows = []
    for (corridor, unit), group in volumes.groupby(["corridor", "unit"], sort=True):
        actual = group[(group["status"] == "actual") & (group["metric"] == "throughput")].sort_values("year")
        ahead = group[group["metric"].isin(["capacity"]) | group["status"].isin(["planned", "expected", "target"])]
        last = actual.iloc[-1] if not actual.empty else None
        rows.append({
            "corridor": names.get(corridor, corridor), "unit": unit,
            "latest_actual": None if last is None else last["value"],
            "latest_actual_year": None if last is None else f"{int(last['year'])}"
            + ("" if last["period"] == "annual" else f" ({last['period']})"),
            "max_capacity_or_target": ahead["value"].max() if not ahead.empty else None,
            "figures": len(group), "years": f"{int(group['year'].min())}–{int(group['year'].max())}",
        })
    return pd.DataFrame(rows)


def milestones(events: pd.DataFrame | None, agreements: pd.DataFrame | None, route_id: str | None) -> pd.DataFrame:
    """Dated milestones (events) and the agreements behind a route, oldest first."""
    frames = []
    if events is not None and not events.empty:
        e = events if route_id is None else events[events["route_id"] == route_id]
        e = e[e["category"].isin(["corridor", "energy"])] if route_id is None else e
        frames.append(e.assign(kind="milestone", what=e["event"])[["date", "kind", "what", "route_id",
                                                                   "source_id", "date_start"]])
    if agreements is not None and not agreements.empty and route_id is not None:
        a = agreements[agreements["route_id"] == route_id]
        frames.append(a.assign(kind="agreement", what=a["title"])[["date", "kind", "what", "route_id", "source_id",
                                                                   "date_start"]])
    if not frames:
        return pd.DataFrame(columns=["date", "kind", "what", "route_id", "source_id", "date_start"])
    joined = pd.concat(frames, ignore_index=True).sort_values("date_start", kind="stable")
    return joined.reset_index(drop=True)


def milestone_figure(marks: pd.DataFrame, title_name: str, period: str, source: str | None = None) -> go.Figure:
    """Milestones and agreements of a route on a time line (marks need date_start and cite)."""
    traces = []
    for kind, colour, symbol in (("milestone", OKABE_ITO["blue"], "circle"),
                                 ("agreement", OKABE_ITO["green"], "square")):
        rows = marks[marks["kind"] == kind]
        if rows.empty:
            continue
        hover = [f"<b>{_escape(d)}</b><br>{_wrap(str(w), 70)}<br><i>Source: {_escape(c)}</i>"
                 for d, w, c in zip(rows["date"], rows["what"], rows["cite"])]
        traces.append(marks_trace(rows["date_start"], [kind] * len(rows), kind, hover,
                                  {"size": 13, "color": colour, "symbol": symbol}))
    return finish(traces, {}, f"{_escape(title_name)}<br><sup>milestones and agreements, {period}</sup>", "",
                  source, x_title="Date", height=300, after={"yaxis": {"rangemode": "normal"}})


def disagreements_side_by_side(indicators: pd.DataFrame) -> pd.DataFrame:
    """Indicators reported by more than one source (or several values), one column per source."""
    if indicators.empty:
        return pd.DataFrame()
    keyed = indicators.assign(
        key=indicators["label"] + " (" + indicators["unit"] + ")",
        when=indicators["year"].astype("Int64").astype(str).replace("<NA>", "n.d.").fillna("n.d."),
    )
    multi = keyed.groupby("indicator")["source_id"].transform("nunique") > 1
    keyed = keyed[multi]
    if keyed.empty:
        return pd.DataFrame()
    keyed = keyed.assign(value_text=keyed["value"].map(lambda v: f"{v:,.4g}") + " (" + keyed["when"] + ")")
    table = keyed.pivot_table(index="key", columns="source_id", values="value_text",
                              aggfunc=lambda v: "; ".join(v))
    return table.reset_index().rename(columns={"key": "indicator"})
