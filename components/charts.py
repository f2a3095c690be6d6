"""Plotly figure builders: rows in, Figure out. Pure: no Streamlit.

Colours are the Okabe–Ito palette (distinct for colour-blind readers). Every figure has a
title with unit and period, labelled axes, a hover template and, when given, a source line.
"""
from __future__ import annotations

import functools
import json
import re
import textwrap

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7", "grey": "#7F7F7F",
}
FLOW_COLOURS = {"kz_to_az": OKABE_ITO["blue"], "az_to_kz": OKABE_ITO["orange"], "total": OKABE_ITO["black"]}
FLOW_NAMES = {"kz_to_az": "Kazakhstan → Azerbaijan", "az_to_kz": "Azerbaijan → Kazakhstan", "total": "Total turnover"}
LANE_STYLE = {  # timeline lanes: colour, marker symbol
    "AZ → KZ": (OKABE_ITO["blue"], "triangle-right"),
    "KZ → AZ": (OKABE_ITO["orange"], "triangle-left"),
    "meeting elsewhere": (OKABE_ITO["purple"], "diamond"),
    "agreement signed": (OKABE_ITO["green"], "square"),
}
SEQUENCE = [OKABE_ITO[c] for c in ("blue", "orange", "green", "vermillion", "purple", "sky", "yellow", "black")]
_GRID = "#EBF0F8"
# The parts of plotly_white we use, as a small template: assigning the full built-in one costs ~45 ms
# per figure (it is deep-copied and validated), which was most of a page's rerun time.
PLAIN = go.layout.Template(layout={
    "paper_bgcolor": "white", "plot_bgcolor": "white", "colorway": SEQUENCE,
    "font": {"color": "#2a3f5f"}, "hovermode": "closest", "hoverlabel": {"align": "left"},
    "xaxis": {"gridcolor": _GRID, "linecolor": _GRID, "zerolinecolor": _GRID, "ticks": "", "automargin": True,
              "zerolinewidth": 2, "title": {"standoff": 15}},
    "yaxis": {"gridcolor": _GRID, "linecolor": _GRID, "zerolinecolor": _GRID, "ticks": "", "automargin": True,
              "zerolinewidth": 2, "title": {"standoff": 15}},
})


def _wrap(text: str, width: int = 140) -> str:
    """Data text, escaped line by line, wrapped with <br> (escaping after wrapping shows a literal '<br>')."""
    return "<br>".join(_escape(line) for line in textwrap.wrap(text, width)) if text else ""


def _escape(text: object) -> str:
    """Plotly renders a subset of HTML in hover/labels: escape data text."""
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def _merge(base: dict, extra: dict) -> dict:
    """`base` updated in place by `extra`, nested dicts merged key by key (as Figure.update_layout does)."""
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
    return base


@functools.lru_cache(maxsize=16)
def _stacked_axes_cached(rows: int, row_heights: tuple[float, ...] | None, spacing: float,
                         titles: tuple[str, ...] | None) -> str:
    layout = make_subplots(rows=rows, cols=1, shared_xaxes=True, row_heights=list(row_heights) if row_heights
                           else None, vertical_spacing=spacing, subplot_titles=titles).layout.to_plotly_json()
    layout.pop("template", None)
    return json.dumps(layout)


def stacked_axes(rows: int, spacing: float, row_heights: tuple[float, ...] | None = None,
                 titles: tuple[str, ...] | None = None) -> dict:
    """Layout of `rows` panels stacked over one shared x axis (plotly's make_subplots), computed once per
    shape. Panel i (from 1) draws on axes x{i}/y{i} ("x"/"y" for the first): see `axis_refs`."""
    return json.loads(_stacked_axes_cached(rows, row_heights, spacing, titles))


def axis_refs(row: int) -> dict:
    """The trace keys that put a trace in panel `row` of `stacked_axes`."""
    suffix = "" if row == 1 else str(row)
    return {"xaxis": f"x{suffix}", "yaxis": f"y{suffix}"}


def finish(traces: list[dict], layout: dict, title: str, y_title: str, source: str | None = None,
           x_title: str | None = None, height: int = 440, source_width: int = 120,
           after: dict | None = None) -> go.Figure:
    """The figure, built once from plain dicts (plotly's property-by-property updates cost ~10x more).

    Common layout over the builder's `layout`: title (with unit and period), axes, legend under the title,
    source line at the bottom; then the builder's `after` overrides (merged like update_layout)."""
    source_lines = textwrap.wrap(source, source_width) if source else []
    bottom = (60 if x_title else 40) + 16 * len(source_lines)
    layout = _merge(layout, {
        "title": {"text": title, "x": 0, "xanchor": "left", "xref": "paper", "yref": "container",
                  "y": 1 - 14 / (height + 16 * len(source_lines)), "yanchor": "top", "font": {"size": 17}},
        "height": height + 16 * len(source_lines),
        "margin": {"l": 60, "r": 20, "t": 110, "b": bottom},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "xanchor": "left"},
        "hoverlabel": {"align": "left"},
        "template": PLAIN,
        "font": {"size": 13},
        # The first panel's value axis.
        "yaxis": {"title": {"text": y_title}, "rangemode": "tozero"},
    })
    if x_title:
        for name in [k for k in layout if _X_AXIS.fullmatch(k)] or ["xaxis"]:
            _merge(layout, {name: {"title": {"text": x_title}}})
    if source_lines:
        layout.setdefault("annotations", []).append({
            "text": "<br>".join(_escape(line) for line in source_lines), "xref": "paper", "yref": "paper",
            "x": 0, "y": 0, "yshift": -(52 if x_title else 30), "xanchor": "left", "yanchor": "top",
            "showarrow": False, "align": "left", "font": {"size": 11, "color": "#555"},
        })
    if after:
        _merge(layout, after)
    return go.Figure({"data": traces, "layout": layout})


_X_AXIS = re.compile(r"xaxis[0-9]*")


def marks_trace(x, y, name: str, hover: list[str], marker: dict, **extra) -> dict:
    """Markers on a time line (visits, agreements, milestones), each with its own hover text."""
    return {"type": "scatter", "x": x, "y": y, "mode": "markers", "name": name, "marker": marker,
            "hovertext": hover, "hovertemplate": "%{hovertext}<extra></extra>", **extra}


def turnover_figure(wide: pd.DataFrame, part_year: pd.DataFrame, period: str, source: str | None = None):
    """Annual turnover split by direction (stacked bars) with the total as a line; part-year figures
    drawn as hollow markers, labelled with their period, never as annual bars; derived values hatched."""
    traces = []
    derived = wide["derived"].fillna("")
    for flow in ("kz_to_az", "az_to_kz"):
        is_derived = derived.str.contains(flow)
        traces.append({
            "type": "bar", "x": wide["year"], "y": wide[flow], "name": FLOW_NAMES[flow],
            "marker": {"color": FLOW_COLOURS[flow], "pattern": {"shape": ["/" if d else "" for d in is_derived]}},
            "customdata": ["derived (see table note)" if d else "reported" for d in is_derived],
            "hovertemplate": "%{x}: %{y:,.1f} million USD<br>%{customdata}<extra>" + FLOW_NAMES[flow] + "</extra>",
        })
    has_total = wide["total"].notna()
    total_derived = derived.str.contains("total")
    traces.append({
        "type": "scatter", "x": wide.loc[has_total, "year"], "y": wide.loc[has_total, "total"],
        "name": "Total turnover (full year)", "mode": "lines+markers",
        "line": {"color": FLOW_COLOURS["total"], "width": 2},
        "marker": {"size": 8, "symbol": ["circle-open" if d else "circle" for d in total_derived[has_total]]},
        "customdata": ["derived (see table note)" if d else "reported" for d in total_derived[has_total]],
        "hovertemplate": "%{x}: %{y:,.1f} million USD<br>%{customdata}<extra>Total, full year</extra>",
    })
    totals = part_year[part_year["flow"] == "total"] if not part_year.empty else part_year
    if not totals.empty:
        labels = [f"{p} {y}" for p, y in zip(totals["period"], totals["year"])]
        traces.append({
            "type": "scatter", "x": totals["year"], "y": totals["value_usd_m"], "mode": "markers+text",
            "name": "Part-year total (not a full year)",
            "marker": {"symbol": "diamond-open", "size": 13, "color": OKABE_ITO["vermillion"], "line": {"width": 2}},
            "text": labels, "textposition": "top center", "textfont": {"color": OKABE_ITO["vermillion"]},
            "customdata": [["derived" if d else "reported"] for d in totals["is_derived"]],
            "hovertemplate": "%{text}: %{y:,.1f} million USD (part of the year only)<br>%{customdata[0]}"
                             "<extra></extra>",
        })
    return finish(traces, {"barmode": "stack", "bargap": 0.25, "xaxis": {"dtick": 1, "tickformat": "d"}},
                  f"Azerbaijan–Kazakhstan trade turnover by direction, {period} (million USD)",
                  "million USD (current)", source, x_title="Year", height=480)


def _signed_bars(rows: pd.DataFrame, column: str, colours: tuple[str, str], hover: str, title: str,
                 y_title: str, source: str | None) -> go.Figure:
    """Bars per year coloured by sign (positive, negative), axis free to go below zero."""
    bars = {"type": "bar", "x": rows["year"], "y": rows[column],
            "marker": {"color": [colours[0] if v >= 0 else colours[1] for v in rows[column]]},
            "hovertemplate": hover}
    return finish([bars], {"xaxis": {"dtick": 1, "tickformat": "d"}}, title, y_title, source, x_title="Year",
                  height=380, source_width=75, after={"yaxis": {"rangemode": "normal"}})


def balance_figure(wide: pd.DataFrame, period: str, source: str | None = None) -> go.Figure:
    """Azerbaijan's trade balance with Kazakhstan (exports − imports) per year."""
    return _signed_bars(wide.dropna(subset=["balance_az"]), "balance_az", (OKABE_ITO["orange"], OKABE_ITO["blue"]),
                        "%{x}: %{y:,.1f} million USD<extra>Azerbaijan's balance</extra>",
                        f"Azerbaijan's trade balance with Kazakhstan,<br>{period} (million USD)",
                        "million USD (AZ exports − imports)", source)


def change_figure(wide: pd.DataFrame, period: str, source: str | None = None) -> go.Figure:
    """Year-on-year change of total turnover (consecutive years only)."""
    return _signed_bars(wide.dropna(subset=["total_change_pct"]), "total_change_pct",
                        (OKABE_ITO["green"], OKABE_ITO["vermillion"]),
                        "%{x} vs previous year: %{y:+.1f}%<extra></extra>",
                        f"Year-on-year change of total turnover,<br>{period} (%)", "% change on previous year",
                        source)


def products_figure(products: pd.DataFrame, flow: str, source: str | None = None) -> go.Figure:
    """Top products in one direction of trade, largest at the top (million USD)."""
    rows = products.sort_values("rank", ascending=False)
    label = f"{rows['period'].iloc[0]} {int(rows['year'].iloc[0])}" if not rows.empty else ""
    labels = ["<br>".join(textwrap.wrap(_escape(p), 28)) for p in rows["product"]]
    # Bars get equal slots, each tall enough for the longest label's lines (13 px font): no overlaps.
    slots = len(labels) * max([34] + [17 * (label.count("<br>") + 1) + 8 for label in labels])
    bars = {
        "type": "bar", "x": rows["value_usd"] / 1e6, "y": labels, "orientation": "h",
        "marker": {"color": FLOW_COLOURS[flow]}, "text": [f"{v / 1e6:,.2f}" for v in rows["value_usd"]],
        "textposition": "outside", "hovertemplate": "%{y}: %{x:,.3f} million USD<extra></extra>", "cliponaxis": False,
    }
    after = {"yaxis": {"automargin": True}, "title": {"xref": "container", "x": 0.02},
             "xaxis": {"range": [0, float(rows["value_usd"].max()) / 1e6 * 1.2] if not rows.empty else None}}
    return finish([bars], {}, f"Top products, {FLOW_NAMES[flow]},<br>{label.replace('annual ', '')} (million USD)",
                  "", source, x_title="million USD", height=180 + max(slots, 34 * 3), source_width=55,
                  after=after)


def combined_timeline(wide: pd.DataFrame, marks: pd.DataFrame, period: str, source: str | None = None):
    """Trade and diplomacy together: annual turnover (top) over a strip of visits and agreements (bottom)."""
    layout = stacked_axes(2, 0.06, row_heights=(0.55, 0.45))
    has_total = wide.dropna(subset=["total"])
    mid_year = pd.to_datetime(has_total["year"].astype(int).astype(str) + "-07-01")
    traces = [{
        "type": "scatter", "x": mid_year, "y": has_total["total"], "mode": "lines+markers",
        "name": "Annual turnover (million USD)", "line": {"color": OKABE_ITO["black"], "width": 2},
        "marker": {"size": 7}, "customdata": has_total["year"],
        "hovertemplate": "%{customdata}: %{y:,.1f} million USD<extra>Turnover</extra>", **axis_refs(1),
    }]
    for lane, (colour, symbol) in LANE_STYLE.items():
        rows = marks[marks["lane"] == lane]
        if rows.empty:
            continue
        hover = [
            f"<b>{_escape(d)}</b><br>{_wrap(str(lab), 70)}<br>{_wrap(str(det), 70)}<br>"
            f"<i>Source: {_escape(c)}</i>"
            for d, lab, det, c in zip(rows["date"], rows["label"], rows["detail"], rows["cite"])
        ]
        traces.append(marks_trace(
            rows["date_start"], [lane] * len(rows), lane, hover,
            {"symbol": symbol, "size": 12, "color": colour, "line": {"width": 1, "color": "white"}}, **axis_refs(2)))
    _merge(layout, {"yaxis2": {"categoryorder": "array", "categoryarray": list(LANE_STYLE)[::-1]}})
    return finish(traces, layout, f"Trade and diplomacy together, {period}: turnover with visits and agreements",
                  "", source, x_title="Date", height=560,
                  after={"xaxis": {"title": {"text": None}}, "yaxis": {"title": {"text": "million USD"}}})


def visits_figure(visits: pd.DataFrame, period: str, source: str | None = None) -> go.Figure:
    """Visits on a time axis, one lane per direction, colour by visit type."""
    type_colours = {"official": OKABE_ITO["blue"], "working": OKABE_ITO["orange"], "summit": OKABE_ITO["purple"],
                    "other": OKABE_ITO["grey"]}
    traces = []
    for visit_type, colour in type_colours.items():
        rows = visits[visits["visit_type"] == visit_type]
        if rows.empty:
            continue
        hover = [
            f"<b>{_escape(d)}</b> · {_escape(v)} ({_escape(r)})<br>{_escape(lane)}, {_escape(city)}<br>"
            f"{_wrap(str(o), 70)}<br><i>Source: {_escape(c)}</i>"
            for d, v, r, lane, city, o, c in zip(rows["date"], rows["visitor"], rows["visitor_role"].fillna(""),
                                                 rows["direction"], rows["city"].fillna("—"), rows["occasion"],
                                                 rows["cite"])
        ]
        traces.append(marks_trace(
            rows["date_start"], rows["direction"], f"{visit_type} visit", hover,
            {"size": 12, "color": colour, "symbol": "circle", "line": {"width": 1, "color": "white"}}))
    return finish(traces, {}, f"Visits and meetings by direction, {period}", "", source, x_title="Date",
                  height=380, after={"yaxis": {"rangemode": "normal", "automargin": True}})


def agreements_figure(by_domain: pd.DataFrame, period: str, source: str | None = None) -> go.Figure:
    """Agreements signed per year, stacked by domain."""
    traces = []
    for i, domain in enumerate(sorted(by_domain["domain"].unique())):
        rows = by_domain[by_domain["domain"] == domain]
        traces.append({"type": "bar", "x": rows["year"], "y": rows["agreements"], "name": domain,
                       "marker": {"color": SEQUENCE[i % len(SEQUENCE)]},
                       "hovertemplate": "%{x}: %{y} document(s)<extra>" + _escape(domain) + "</extra>"})
    return finish(traces, {"barmode": "stack", "xaxis": {"dtick": 2, "tickformat": "d"}},
                  f"Agreements and documents signed per year by domain, {period} (count)",
                  "documents signed", source, x_title="Year", height=380)


MEASURE_STYLE = {"census": ("circle", OKABE_ITO["blue"]), "official": ("square", OKABE_ITO["green"]),
                 "estimate": ("diamond-open", OKABE_ITO["vermillion"])}


def diaspora_figure(diaspora: pd.DataFrame, period: str, source: str | None = None) -> go.Figure:
    """Population counts by kind of measure; a range from a source is drawn as an error bar."""
    traces = []
    for measure, (symbol, colour) in MEASURE_STYLE.items():
        rows = diaspora[diaspora["measure"] == measure].sort_values("year")
        if rows.empty:
            continue
        high = rows["population_high"].astype("float64")
        spread = (high - rows["population"].astype("float64")).fillna(0)
        hover = [
            f"{int(y)}: {int(p):,}" + (f"–{int(h):,}" if pd.notna(h) else "") + f" ({measure})<br>"
            f"<i>Source: {_escape(c)}</i>" + (f"<br>{_wrap(str(n), 70)}" if isinstance(n, str) else "")
            for y, p, h, c, n in zip(rows["year"], rows["population"], high, rows["cite"], rows["note"])
        ]
        traces.append({
            "type": "scatter", "x": rows["year"], "y": rows["population"], "name": measure,
            "mode": "lines+markers" if measure == "census" else "markers",
            "line": {"color": colour, "dash": "solid"}, "marker": {"symbol": symbol, "size": 11, "color": colour},
            "error_y": {"type": "data", "array": spread, "arrayminus": [0] * len(rows),
                        "visible": bool(spread.any()), "color": colour},
            "hovertext": hover, "hovertemplate": "%{hovertext}<extra></extra>",
        })
    return finish(traces, {"xaxis": {"tickformat": "d"}},
                  f"Azerbaijanis in Kazakhstan by source and measure, {period} (people)", "people", source,
                  x_title="Year")
