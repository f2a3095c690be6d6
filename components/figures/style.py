"""The look every figure shares: palette, marks for how firm a value is, the template, `finish`. Pure.

Colours are chosen for contrast on white (text ≥ 4.5:1, marks ≥ 3:1; tests/test_palette.py computes it) and
for colour-blind readers (hue families of Okabe–Ito, darkened). One meaning per colour across the app:
directions of trade keep their colour on every page; reporters are told apart by line and marker, never by
colour; how firm a value is (derived, bound, about, range) is told by the marker, the same on every chart.
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from dataclasses import dataclass

from components.i18n import Lang

INK = "#2a3f5f"  # text (10.6:1 on white)
MUTED = "#4d5b6b"  # secondary text: tick labels, source lines (≥ 6:1)
GRID = "#e3e8f0"
WHITE = "#ffffff"
PALETTE = {  # marks; each ≥ 3:1 on white
    "blue": "#0072B2",
    "orange": "#B35900",
    "green": "#007A5A",
    "purple": "#A2527F",
    "wine": "#882255",
    "indigo": "#332288",
    "brown": "#8C510A",
    "grey": "#595959",
    "black": "#000000",
    "red": "#C2271D",
}
DIRECTION_COLOURS = {"kz_to_az": PALETTE["blue"], "az_to_kz": PALETTE["orange"], "total": PALETTE["black"]}
# Reporters (whose statistics): line dash and marker symbol, the colour staying the direction's.
REPORTER_STYLE = {
    "AZ": {"dash": "solid", "symbol": "circle"},
    "KZ": {"dash": "dash", "symbol": "diamond"},
    "other": {"dash": "dot", "symbol": "square"},
}
SEQUENCE = [PALETTE[c] for c in ("blue", "orange", "green", "purple", "wine", "indigo", "brown", "grey")]
FONT = "Source Sans, Source Sans 3, Source Sans Pro, DejaVu Sans, Arial, sans-serif"  # the app's font first
TITLE_WIDTH = 34  # characters per title line: fits a 390 px phone (about 350 px for the chart) at 16 px bold
SOURCE_WIDTH = 60  # characters per source line: fits a 390 px phone at 11 px
LEGEND_NAME_WIDTH = 22  # legend names up to this long go two to a row
LEGEND_WRAP = 44  # a longer legend name is wrapped: one line of it fits a phone beside its symbol
# Left margin, px. Plotly grows a margin its axis labels do not fit (automargin) by drawing the chart a second time
# (~half of a chart's draw: bench/BROWSER.md). A y axis of numbers under Streamlit's theme (tick labels 12 px, its
# title 14 px, 24 px away) takes 55 px plus its widest label, 6 px a digit: 79 fits labels of four characters
# ('100k', '2000', '−200'), so those charts are drawn once. Wider labels still grow it.
LEFT = 56
LEFT_NUMBERS = 79
RIGHT = 28  # likewise: a date label at the plot's right end sticks out by half its width (28 px: a phone's milestones)
DESKTOP_WIDTH = 940  # px of a chart in the page's main column on a 1400 px desktop (the browser tests' view)
PHONE_WIDTH = 358  # px of a chart on a 390 px phone (the browser tests' iPhone 13)
# The legend (12 px names) is 19 px a row plus 10 px of padding; the bottom margin holds it and a few px of air
# above the source line. A legend taller than the margin grows it (a second draw) and runs into the source line.
LEGEND_ROW, LEGEND_PAD = 19, 14

_AXIS = {
    "gridcolor": GRID,
    "linecolor": GRID,
    "zerolinecolor": GRID,
    "ticks": "",
    "automargin": True,
    # Tick labels are not measured one by one to hide those past the chart's edge (Plotly's default for these
    # axes): that measuring was ~45 ms of each page's drawing, and the margins already hold the labels.
    "ticklabeloverflow": "allow",
    "zerolinewidth": 2,
    "title": {"standoff": 12},
    "tickfont": {"color": MUTED},
}
# The template every figure spec carries, as the plain dict plotly.js reads (a go.layout.Template cost ~0.1 s of
# validation at import; tests/test_views.py validates every chart's spec, this included, through go.Figure).
TEMPLATE_SPEC = {
    "layout": {
        "paper_bgcolor": WHITE,
        "plot_bgcolor": WHITE,
        "colorway": SEQUENCE,
        "font": {"color": INK, "family": FONT, "size": 13},
        "hovermode": "closest",
        "hoverlabel": {"align": "left"},
        "xaxis": _AXIS,
        "yaxis": _AXIS,
    }
}


def escape(text: object) -> str:
    """Plotly renders a subset of HTML in titles, hover text and labels: data text is escaped."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def wrap(text: object, width: int = 70) -> str:
    """Data text escaped line by line and wrapped with <br> (escaping after wrapping would show '<br>')."""
    return "<br>".join(escape(line) for line in textwrap.wrap(str(text), width)) if text else ""


def merge(base: dict, extra: dict) -> dict:
    """`base` updated in place by `extra`, nested dicts merged key by key (as Figure.update_layout does)."""
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = value
    return base


def stacked_axes(rows: int, spacing: float, heights: tuple[float, ...] | None = None) -> dict:
    """Layout of `rows` panels stacked over one shared x axis; panel i (from 1) draws on x{i}/y{i}."""
    heights = heights or tuple(1 / rows for _ in range(rows))
    total = sum(heights)
    usable = 1 - spacing * (rows - 1)
    layout, top = {}, 1.0
    for i, h in enumerate(heights, start=1):
        size = usable * h / total
        suffix = "" if i == 1 else str(i)
        layout[f"yaxis{suffix}"] = {"domain": [max(0.0, top - size), top], "anchor": f"x{suffix}"}
        layout[f"xaxis{suffix}"] = {
            "anchor": f"y{suffix}",
            "matches": "x" if i > 1 else None,
            "showticklabels": i == rows,
        }
        top -= size + spacing
    for value in layout.values():
        if value.get("matches") is None:
            value.pop("matches", None)
    return layout


def axis_refs(row: int) -> dict:
    suffix = "" if row == 1 else str(row)
    return {"xaxis": f"x{suffix}", "yaxis": f"y{suffix}"}


@dataclass(frozen=True)
class Firmness:
    """How a value is drawn: its marker, and the sign its hover and tables put before it."""

    symbol: str
    sign: str
    label: str


def firmness(lang: Lang, *, derived: bool = False, qualifier: object = None) -> Firmness:
    """Bounds point the way they bound (▼ at most, ▲ at least); derived values are open; 'about' is ≈."""
    _ = lang._
    if qualifier == "upper_bound":
        return Firmness("triangle-down-open" if derived else "triangle-down", "≤ ", _("upper bound"))
    if qualifier == "lower_bound":
        return Firmness("triangle-up-open" if derived else "triangle-up", "≥ ", _("lower bound"))
    if qualifier == "about":
        return Firmness("circle-open-dot", "≈ ", _("approximate"))
    if derived:
        return Firmness("circle-open", "", _("derived (computed by us)"))
    return Firmness("circle", "", _("as reported"))


def date_axis(period: str) -> dict:
    """A timeline's x axis spanning the whole years of its period ('2001–2022' or '2014'), a little wider:
    one year, or one event, still gets a readable date axis (never a lone dot with no dates)."""
    years = [int(y) for y in re.findall(r"\d{4}", period)] or [dt.date.today().year]
    first, last = dt.date(min(years), 1, 1), dt.date(max(years), 12, 31)
    pad = dt.timedelta(days=max(20, (last - first).days // 50))
    return {"type": "date", "range": [(first - pad).isoformat(), (last + pad).isoformat()]}


def approximate_year_bars(recs: list) -> dict:
    """Horizontal bars of ±half a year on the points whose year is a stand-in (year_approx)."""
    flags = [bool(r is not None and r.get("year_approx") is True) for r in recs]
    return {
        "type": "data",
        "array": [0.5 if f else 0 for f in flags],
        "visible": any(flags),
        "thickness": 1.5,
        "width": 4,
    }


def legend_key(name: str, symbol: str, group: str = "key", colour: str = INK) -> dict:
    """A legend-only entry explaining a marker (no data on the plot)."""
    return {
        "type": "scatter",
        "x": [None],
        "y": [None],
        "mode": "markers",
        "name": name,
        "legendgroup": group,
        "marker": {"symbol": symbol, "size": 10, "color": colour, "line": {"width": 2, "color": colour}},
        "hoverinfo": "skip",
        "showlegend": True,
    }


def title_text(title: str, subtitle: str | None = None) -> str:
    """The title wrapped to fit a phone, with an optional smaller second part (escaped)."""
    lines = [escape(line) for line in textwrap.wrap(title, TITLE_WIDTH)]
    if subtitle:
        lines += [f"<span style='font-size:13px'>{escape(part)}</span>" for part in textwrap.wrap(subtitle, 48)]
    return "<br>".join(lines)


def plot_height(height: int, *, x_title: bool) -> int:
    """The px of a figure's plot area, out of the `height` asked of `finish` (margins for title, legend, source
    line and the like are added to it)."""
    return height - 40 - (48 if x_title else 28)


def finish(
    traces: list[dict],
    layout: dict,
    title: str,
    lang: Lang,
    *,
    y_title: str = "",
    x_title: str | None = None,
    source: str | None = None,
    subtitle: str | None = None,
    height: int = 440,
    after: dict | None = None,
) -> dict:
    """The figure as the plain dict plotly.js draws (`{"data", "layout"}`), built once from plain dicts. Not a
    go.Figure: plotly's validation of every property cost a third of a chart's build on each new year range.
    `go.Figure(spec)` validates it (tests/test_views.py does, for every chart of every view, and checks the
    validated figure serialises to the same JSON).

    Title (unit and period in it) wrapped on top; legend under the plot, where it has the width it needs on any
    screen; the source line last, inside the figure, so an exported image carries it. `after` overrides."""
    title_lines = len(textwrap.wrap(title, TITLE_WIDTH)) + (len(textwrap.wrap(subtitle, 48)) if subtitle else 0)
    source_lines = textwrap.wrap(source, SOURCE_WIDTH) if source else []
    top = 40 + 22 * title_lines
    traces = _legend_by_common_symbol(_bars_where_given(traces))
    in_legend = [t for t in traces if t.get("showlegend", True) is not False and t.get("name")]
    names = [str(t["name"]) for t in in_legend]
    columns = 2 if all(len(n) <= LEGEND_NAME_WIDTH for n in names) else 1  # fixed: the same rows on any screen
    legend_rows = -(-len(names) // columns) if len(traces) > 1 or names else 0
    for trace, name in zip(in_legend, names):
        if len(name) > LEGEND_WRAP and "<br>" not in name:
            lines = textwrap.wrap(name, LEGEND_WRAP)
            trace["name"] = "<br>".join(lines)
            legend_rows += len(lines) - 1
    legend_height = LEGEND_ROW * legend_rows + LEGEND_PAD if legend_rows else 0  # a wrapped name's lines: rows
    under = (48 if x_title else 28) + legend_height  # px below the plot where the source line starts
    source_height = 15 * len(source_lines) + 4 * bool(source_lines)  # lines of 11 px (1.3 em), a foot under them
    bottom = under + source_height
    full_height = height + 22 * title_lines + legend_height + source_height
    layout = merge(
        layout,
        {
            # From the chart's own left edge (not the plot area's, which starts after the y axis), in a top margin
            # as tall as the wrapped lines: nothing is cut on a phone, nothing overlaps the plot.
            "title": {
                "text": title_text(title, subtitle),
                "x": 0.01,
                "xanchor": "left",
                "xref": "container",
                "yref": "container",
                "y": 1 - 26 / full_height,  # Plotly anchors a multi-line title by its first baseline: room above it
                "yanchor": "top",
                "font": {"size": 16},
            },
            "height": full_height,
            "margin": {"l": LEFT_NUMBERS if _numbers_on_y(traces) else LEFT, "r": RIGHT, "t": top, "b": bottom},
            "legend": {
                "orientation": "h",
                "yanchor": "top",
                "y": -((48 if x_title else 28) / plot_height(height, x_title=bool(x_title))),
                "x": 0,
                "xanchor": "left",
                "font": {"size": 12},
                "entrywidthmode": "fraction",
                "entrywidth": 1 / columns,
                "tracegroupgap": 0,
                # In trace order, so many to a row: Plotly's default for traces with legend groups ("grouped")
                # gives each group a row of its own, a legend taller than the rows reserved above
                "traceorder": "normal",
            },
            "template": TEMPLATE_SPEC,  # shared by every figure: never changed
            "separators": lang.separators,
            "yaxis": {"title": {"text": escape(y_title)}, "rangemode": "tozero"},
        },
    )
    _label_lanes(layout)
    if x_title:
        axes = [k for k in layout if k.startswith("xaxis")] or ["xaxis"]
        bottom_axis = max(axes, key=lambda k: int(k[5:] or 1))
        merge(layout, {bottom_axis: {"title": {"text": escape(x_title)}}})
    if source_lines:
        layout.setdefault("annotations", []).append(
            {
                "text": "<br>".join(escape(line) for line in source_lines),
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": -under / max(1, full_height - top - bottom),  # under the legend, or the x axis's title
                "xanchor": "left",
                "yanchor": "top",
                "showarrow": False,
                "align": "left",
                "font": {"size": 11, "color": MUTED},
            }
        )
    if after:
        merge(layout, after)
    return {"data": traces, "layout": layout}


def _bars_where_given(traces: list[dict]) -> list[dict]:
    """Plotly draws an error bar of length 0 too, as a cap across the marker: in a series where only some points
    have a range (or an approximate year), the others looked as if they had one. Such a series' bars move to a
    trace of those points alone, drawn first (under the markers), with no markers and no hover, in the series'
    legend group (a click on the legend hides both)."""
    out = []
    for index, trace in enumerate(traces):
        before = []
        for axis in ("error_x", "error_y"):
            bars = trace.get(axis)
            if not bars or not bars.get("visible"):
                continue
            high = list(bars["array"])
            low = list(bars["arrayminus"]) if "arrayminus" in bars else high
            given = [i for i, (h, lo) in enumerate(zip(high, low)) if (h or 0) > 0 or (lo or 0) > 0]
            if len(given) == len(high):
                continue
            xs, ys = list(trace["x"]), list(trace["y"])
            part = {**bars, "array": [high[i] for i in given]}
            if "arrayminus" in bars:
                part["arrayminus"] = [low[i] for i in given]
            group = trace.get("legendgroup") or f"bars-{index}"  # not _legend_by_common_symbol's trace-<index>
            trace = {**trace, axis: {**bars, "visible": False}, "legendgroup": group}
            before.append(
                {
                    "type": "scatter",
                    "x": [xs[i] for i in given],
                    "y": [ys[i] for i in given],
                    "mode": "markers",
                    "marker": {"opacity": 0},
                    axis: part,
                    "hoverinfo": "skip",
                    "showlegend": False,
                    "legendgroup": group,
                    **{k: trace[k] for k in ("xaxis", "yaxis") if k in trace},
                }
            )
        out += [*before, trace]
    return out


def _numbers_on_y(traces: list[dict]) -> bool:
    """Whether a trace draws numbers up a y axis (not names: lanes, horizontal bars)."""
    for trace in traces:
        y = trace.get("y")
        if y is None or trace.get("orientation") == "h":
            continue
        if hasattr(y, "dtype"):
            if y.dtype.kind in "iuf" and len(y):
                return True
        elif any(isinstance(v, (int, float)) and not isinstance(v, bool) for v in y):
            return True
    return False


def _legend_by_common_symbol(traces: list[dict]) -> list[dict]:
    """A trace whose markers differ (bounds as triangles, say) would show its *first* marker in the legend; it gets
    a legend-only key with its most common marker instead, in the same legend group (a click still hides it)."""
    out = []
    for index, trace in enumerate(traces):
        symbols = (trace.get("marker") or {}).get("symbol")
        if (
            not isinstance(symbols, list)
            or len(set(symbols)) < 2
            or trace.get("showlegend", True) is False
            or not trace.get("name")
        ):
            out.append(trace)
            continue
        common = max(dict.fromkeys(symbols), key=symbols.count)  # ties: the first drawn
        group = trace.get("legendgroup") or f"trace-{index}"
        key = legend_key(str(trace["name"]), common, group=group, colour=trace["marker"].get("color", INK))
        if "lines" in str(trace.get("mode", "")):
            key.update(mode="lines+markers", line=dict(trace.get("line") or {}))
        for axis in ("xaxis", "yaxis"):
            if axis in trace:
                key[axis] = trace[axis]
        out += [key, {**trace, "showlegend": False, "legendgroup": group}]
    return out


def _label_lanes(layout: dict) -> None:
    """Lanes (a y axis of named categories) get their names above each lane, from the plot's left edge, instead of
    as tick labels: long names beside the axis took half a phone's width from the plot, and pushed the legend and
    the source line (which start at the plot's edge) off the screen."""
    for key in [k for k in layout if k.startswith("yaxis")]:
        axis = layout[key]
        if axis.get("categoryorder") != "array" or not axis.get("categoryarray"):
            continue
        axis.update(showticklabels=False, automargin=False)
        ref = "y" + key[5:]
        layout.setdefault("annotations", []).extend(
            {
                "text": escape(name),
                "xref": "paper",
                "yref": ref,
                "x": 0,
                "y": name,
                "xanchor": "left",
                "yanchor": "bottom",
                "yshift": 7,
                "showarrow": False,
                "font": {"size": 11, "color": MUTED},
            }
            for name in axis["categoryarray"]
        )
