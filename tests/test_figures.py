"""Figure builders on small frames: the marks say exactly how firm each value is (trace data, not pixels)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pytest

from components.figures import charts, maps, placement, style
from components.figures import corridors as corridor_figures
from components.figures.style import DIRECTION_COLOURS, REPORTER_STYLE, finish
from components.i18n import Lang
from components.shaping import transforms
from components.shaping.labels import Labels
from tests.test_shaping import trade, volumes

NAMES = pd.read_csv(Path(__file__).resolve().parents[1] / "data" / "names.csv", dtype=str, keep_default_na=False)
EN = Labels.build(Lang(), NAMES.replace("", None))


def is_key(trace) -> bool:
    """A legend-only entry (no data on the plot)."""
    return list(trace.x or []) == [None]


def traces(figure, name_part: str) -> list:
    """The traces drawing data whose name contains name_part (legend-only keys left out)."""
    return [t for t in figure.data if name_part in (t.name or "") and not is_key(t)]


def cited(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(cite=df["source_id"])


def test_turnover_lines_break_at_missing_years_and_mark_derived_and_bounds():
    df = cited(
        trade(
            (2001, "annual", "total", "AZ", 106.15, None, True),
            (2005, "annual", "total", "AZ", 132.0),
            (2006, "annual", "total", "AZ", 140.0),
            (2021, "H1", "total", "other", 54.43, "upper_bound", True),
            (2022, "H1", "total", "other", 326.6),
        )
    )
    annual = transforms.annual_turnover(df)
    part = transforms.part_year_turnover(df)
    fig = charts.turnover_figure(annual, part, transforms.other_versions(df), EN, "2001–2022", "Sources: x.")
    fig = go.Figure(fig)  # the spec, validated by plotly
    line = next(t for t in fig.data if t.name == "Total turnover · AZ")
    assert list(line.x) == [2001, 2002, 2005, 2006] and list(line.y) == [106.15, None, 132.0, 140.0]
    assert line.connectgaps is False
    assert line.marker.symbol[0] == "circle-open" and line.marker.symbol[2] == "circle"  # derived 2001 only
    assert line.line.dash == REPORTER_STYLE["AZ"]["dash"] and line.line.color == DIRECTION_COLOURS["total"]
    parts = traces(fig, "part-year")[0]
    assert list(parts.text) == ["H1", "H1"] and parts.xaxis == "x2"
    assert parts.marker.symbol[0] == "triangle-down-open"  # a derived upper bound
    assert "≤ 54.4" in parts.hovertext[0] and "upper bound" in parts.hovertext[0]
    legend = [t.name for t in fig.data if t.showlegend is not False]
    assert "open marker: derived (computed by us)" in legend and "▼ upper bound (at most)" in legend
    assert fig.layout.title.text.replace("<br>", " ").startswith("Azerbaijan–Kazakhstan trade turnover by direction")
    assert "Sources: x." in fig.layout.annotations[-1].text  # the source line is inside the figure (and its PNG)


def test_derived_marker_only_on_derived_values():
    df = cited(
        trade(
            (2011, "annual", "kz_to_az", "AZ", 218.0),
            (2011, "annual", "az_to_kz", "AZ", 58.0),
            (2011, "annual", "total", "AZ", 276.0),
        )
    )
    fig = charts.turnover_figure(
        transforms.annual_turnover(df), transforms.part_year_turnover(df), transforms.other_versions(df), EN, "2011", ""
    )
    fig = go.Figure(fig)  # the spec, validated by plotly
    symbols = [
        s
        for t in fig.data
        if t.x and t.x[0] is not None and t.marker and t.marker.symbol
        for s in (t.marker.symbol if isinstance(t.marker.symbol, tuple) else [t.marker.symbol])
    ]
    assert symbols and not any("open" in s for s in symbols)
    assert "open marker: derived (computed by us)" not in [t.name for t in fig.data]


def test_other_reporters_share_the_colour_of_the_direction_but_not_the_line():
    df = cited(
        trade(
            (2022, "annual", "total", "KZ", 461.9),
            (2023, "annual", "total", "KZ", 529.4),
            (2023, "annual", "total", "other", 470.0),
        )
    )
    fig = charts.turnover_figure(
        transforms.annual_turnover(df),
        transforms.part_year_turnover(df),
        transforms.other_versions(df),
        EN,
        "2022–2023",
        "",
    )
    fig = go.Figure(fig)  # the spec, validated by plotly
    kz, other = (next(t for t in fig.data if t.name == f"Total turnover · {r}") for r in ("KZ", "other"))
    assert kz.line.color == other.line.color == DIRECTION_COLOURS["total"]
    assert kz.line.dash != other.line.dash and kz.marker.symbol[0] != other.marker.symbol[0]


def marks(precisions: list[str]) -> pd.DataFrame:
    dates = {"day": "2005-05-24", "month": "2008-10", "year": "2002"}
    rows = [
        {
            "date": dates[p],
            "date_precision": p,
            "lane": "agreement",
            "label": "x",
            "detail": "y",
            "cite": "c",
            "date_start": pd.Timestamp(dates[p] + ("-01" * (3 - len(dates[p].split("-"))))),
            "year": 2005,
        }
        for p in precisions
    ]
    return pd.DataFrame(rows)


def test_approximate_dates_are_open_markers_on_a_line_spanning_their_period():
    fig = charts.combined_timeline(
        transforms.annual_turnover(cited(trade((2005, "annual", "total", "AZ", 132.0)))),
        marks(["day", "month", "year"]),
        EN,
        "2002–2008",
        "",
    )
    fig = go.Figure(fig)  # the spec, validated by plotly
    dots = next(t for t in fig.data if t.name == "document signed" and t.mode == "markers" and not is_key(t))
    assert list(dots.marker.symbol) == ["square", "square-open", "square-open"]
    assert dots.x[2] == dt.date(2002, 7, 2)  # a year stands at its middle, not on 1 January
    spans = next(t for t in fig.data if t.mode == "lines" and t.legendgroup == "document signed")
    assert list(spans.x) == [
        dt.date(2008, 10, 1),
        dt.date(2008, 10, 31),
        None,
        dt.date(2002, 1, 1),
        dt.date(2002, 12, 31),
        None,
    ]
    names = [(t.name or "").replace("<br>", " ") for t in fig.data]  # long legend names are wrapped to fit a phone
    assert "open marker on a line: month or year only (not an exact day)" in names


def test_corridor_ranges_are_bars_and_plans_stand_at_the_year_they_are_for():
    rows = volumes(
        ("kcts", 2016, "annual", "capacity", 23, 25, "million t", None, "planned", 2014, None, "oil", "a", None, None),
        (
            "titr",
            2027,
            "annual",
            "throughput",
            10,
            None,
            "million t",
            None,
            "target",
            2023,
            None,
            "mixed",
            "b",
            None,
            None,
        ),
    ).assign(cite="c", given="")
    fig = corridor_figures.corridor_figure(rows, EN, "Test", "2016–2027", "")
    fig = go.Figure(fig)  # the spec, validated by plotly
    capacity = traces(fig, "capacity")[0]
    assert list(capacity.error_y.array) == [2]  # 23 to 25
    target = traces(fig, "target")[0]
    assert list(target.x) == [2027]
    assert "stated in 2023 for 2027" in target.hovertext[0]
    assert "vertical bar: a range (low to high end)" in [t.name for t in fig.data]


def test_two_figures_for_one_year_each_keep_their_own_hover():
    """Two sources giving one route's throughput for the same year: two points, each naming its own value and
    source (the hover of the first was shown on both)."""

    def row(value, source):
        return (
            "titr",
            2022,
            "annual",
            "throughput",
            value,
            None,
            "TEU",
            None,
            "actual",
            None,
            None,
            "mixed",
            source,
            None,
            None,
        )

    rows = volumes(row(33000.0, "a"), row(35000.0, "b"))
    rows = rows.assign(cite=["Source A", "Source B"], given="")
    fig = go.Figure(corridor_figures.corridor_figure(rows, EN, "Test", "2022", ""))
    (line,) = traces(fig, "throughput")
    by_value = dict(zip(line.y, line.hovertext, strict=True))
    assert "33,000" in by_value[33000.0] and "Source A" in by_value[33000.0]
    assert "35,000" in by_value[35000.0] and "Source B" in by_value[35000.0]


def test_agreement_domains_are_named_on_the_axis_not_told_apart_by_colour():
    by_domain = pd.DataFrame(
        {"year": [2005, 2005, 2022], "domain": ["energy", "political", "energy"], "agreements": [3, 1, 10]}
    )
    fig = charts.agreements_figure(by_domain, EN, "2005–2022", "")
    fig = go.Figure(fig)  # the spec, validated by plotly
    (dots,) = fig.data
    assert list(dots.y) == ["energy", "political", "energy"] and list(dots.text) == ["3", "1", "10"]
    assert isinstance(dots.marker.color, str)  # one colour: the axis names the domain


def routes_frame(opened=(2005, None, 2030), status=("operating", "operating", "planned")) -> tuple:
    routes = pd.DataFrame(
        {
            "route_id": ["a", "b", "c"],
            "name": ["A", "B", "C"],
            "mode": ["pipeline", "rail", "sea"],
            "cargo": ["oil", "freight", "mixed"],
            "status": list(status),
            "opened_year": list(opened),
            "length_km": [None] * 3,
            "capacity": [None] * 3,
            "capacity_unit": [None] * 3,
            "countries": ["AZ;GE"] * 3,
            "geometry_accuracy": ["waypoints"] * 3,
            "source_id": ["s"] * 3,
        }
    ).astype({"opened_year": "Int64"})
    points = pd.DataFrame(
        {
            "route_id": list("aabbcc"),
            "seq": [1, 2] * 3,
            "place": list("pqrstu"),
            "point_type": ["port"] * 6,
            "country": ["AZ"] * 6,
            "lat": [40, 41, 42, 43, 44, 45],
            "lon": [30, 50, 60, 70, 80, 85],
        }
    )
    return routes, points


def test_a_route_with_no_known_opening_year_has_a_style_of_its_own():
    routes, points = routes_frame()
    paths = maps.route_paths(routes, points, EN, year_to=2020).set_index("route_id")
    assert paths.loc["b", "opened"] == "opening year unknown"
    assert tuple(paths.loc["b", "dash"]) == maps.UNKNOWN_YEAR["dash"]  # never drawn as if always there
    assert paths.loc["a", "dash"] is None and not paths.loc["a", "not_open"]
    assert paths.loc["c", "not_open"] and paths.loc["c", "colour"][:3] == list(maps.NOT_OPEN_COLOUR)


def test_the_map_is_fitted_to_every_route_at_a_phone_width():
    routes, points = routes_frame()
    paths = maps.route_paths(routes, points, EN)
    wide, narrow = maps.fitted_view(paths, 900), maps.fitted_view(paths, 340)
    assert narrow["zoom"] < wide["zoom"]
    span_px = (85 - 30) / 360 * 512 * 2 ** narrow["zoom"]  # the routes' width in pixels at that zoom
    assert span_px <= 340
    assert 30 < narrow["longitude"] < 85


def map_places(*rows) -> pd.DataFrame:
    """Places as place_points gives them: (name, lon, lat, routes through it)."""
    return pd.DataFrame(
        {
            "name": [r[0] for r in rows],
            "position": [[r[1], r[2]] for r in rows],
            "point_type": ["port"] * len(rows),
            "n_routes": [r[3] for r in rows],
            "radius": [3.5 + min(r[3], 5) for r in rows],
        }
    )


MAP_VIEW = {"longitude": 50.0, "latitude": 42.0, "zoom": 3.3}


def label_boxes(labelled: pd.DataFrame) -> list[tuple]:
    """The px boxes the map's labels take (y up), from the anchor, baseline and offset the TextLayer is given."""
    found = []
    for name, pos, anchor, baseline, (dx, dy) in zip(*(labelled[c] for c in ("name", "position", "anchor",
                                                                            "baseline", "offset"))):  # fmt: skip
        x, y = maps.screen_px(pos, MAP_VIEW, 900, 560)
        x, y = x + dx, y - dy
        w, h = len(name) * maps.LABEL_CHAR_PX + 2 * maps.LABEL_PAD_PX, maps.LABEL_LINE_PX
        left = {"start": x, "middle": x - w / 2, "end": x - w}[anchor]
        bottom = {"bottom": y, "center": y - h / 2, "top": y - h}[baseline]
        found.append((left, bottom, left + w, bottom + h))
    return found


def test_map_names_keep_clear_of_each_other_and_the_edge_busiest_first():
    """Baku (most routes) keeps its name above its dot; Sangachal, 40 km off, is named beside it, not over it;
    a place at the map's left edge is named to its right, inside the map; the fourth name is past the limit."""
    places = map_places(
        ("Baku port", 49.87, 40.37, 6), ("Sangachal terminal", 49.47, 40.18, 4), ("Edge", 19.0, 42.0, 1),
        ("Aktau port", 51.2, 43.65, 5), ("Last", 60.0, 45.0, 1),
    )  # fmt: skip
    assert maps.screen_px([19.0, 42.0], MAP_VIEW, 900, 560)[0] < 40  # the edge place is within 40 px of it
    labelled = maps.label_places(places, MAP_VIEW, 900, 560, max_labels=4).set_index("name")
    assert list(labelled.index) == ["Baku port", "Aktau port", "Sangachal terminal", "Edge"]
    assert (labelled.loc["Baku port", "anchor"], labelled.loc["Baku port", "baseline"]) == ("middle", "bottom")
    assert labelled.loc["Edge", "anchor"] == "start"
    boxes = label_boxes(labelled.reset_index())
    assert all(b[0] >= 0 and b[2] <= 900 for b in boxes), boxes
    assert not any(placement._overlap(a, b, 0) for i, a in enumerate(boxes) for b in boxes[i + 1 :]), boxes
    dots = [maps.screen_px(p, MAP_VIEW, 900, 560) for p in places["position"]]
    for box, name in zip(boxes, labelled.index):
        for (x, y), r, other in zip(dots, places["radius"], places["name"]):
            if other != name:
                assert not placement._overlap(box, (x - r, y - r, x + r, y + r), 0), (name, other)


def test_a_map_with_no_places_names_none():
    assert maps.label_places(map_places(), MAP_VIEW, 900, 560).empty


def test_legend_names_every_style_including_unknown_years():
    rows = maps.legend_rows(EN)
    assert {r["key"] for r in rows} >= {*maps.MODES, *maps.STATUSES, "unknown_year", "not_open"}


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_numbers_in_hover_follow_the_language(lang):
    df = cited(trade((2023, "annual", "total", "KZ", 1234.5)))
    fig = charts.turnover_figure(
        transforms.annual_turnover(df),
        transforms.part_year_turnover(df),
        transforms.other_versions(df),
        Labels.build(Lang(lang), NAMES.replace("", None)),
        "2023",
        "",
    )
    fig = go.Figure(fig)  # the spec, validated by plotly
    hover = next(t for t in fig.data if (t.name or "").endswith(" · KZ")).hovertext[0]
    assert ("1,234.5" if lang == "en" else "1\u00a0234,5") in hover
    assert fig.layout.separators == (".," if lang == "en" else ",\u00a0")


def test_the_diaspora_legend_shows_each_kind_of_count_by_its_own_symbol_not_its_first_marker():
    # the first estimate is a lower bound (a triangle on the plot); the legend must still show the estimate's diamond
    rows = pd.DataFrame(
        {
            "year": [2008, 2015, 2009],
            "measure": ["estimate", "estimate", "census"],
            "population": [300000, 100000, 85292],
            "population_high": [None, None, None],
            "qualifier": ["lower_bound", None, None],
            "cite": ["A", "B", "C"],
            "note": [None, None, None],
        }
    )
    fig = charts.diaspora_figure(rows, Labels.build(Lang(), None), "2008–2015", "Sources: A; B; C.")
    fig = go.Figure(fig)  # the spec, validated by plotly
    shown = {t.name: t for t in fig.data if t.showlegend is not False and t.name}
    assert shown["estimate"].marker.symbol == "diamond-open"
    assert shown["census"].marker.symbol == "circle" and "lines" in shown["census"].mode
    drawn = next(t for t in fig.data if t.name == "estimate" and t.showlegend is False)
    assert list(drawn.marker.symbol) == ["triangle-up", "diamond-open"]
    assert drawn.legendgroup == shown["estimate"].legendgroup  # a click on the key hides the points too


def test_a_series_with_bounds_shows_its_usual_marker_in_the_legend():
    series = {
        "type": "scatter",
        "x": [2018, 2019, 2020],
        "y": [1.0, 2.0, 3.0],
        "name": "throughput · actual [million t]",
        "mode": "lines+markers",
        "line": {"color": "#123456", "dash": "dot"},
        "marker": {"symbol": ["triangle-up", "diamond-open", "diamond-open"], "color": "#123456"},
        "legendgroup": "t",
    }
    fig = finish([series], {}, "Volumes, 2018–2020", Lang(), source="Sources: x.")
    fig = go.Figure(fig)  # the spec, validated by plotly
    drawn = next(t for t in fig.data if not is_key(t))
    key = next(t for t in fig.data if is_key(t))
    assert drawn.showlegend is False and list(drawn.marker.symbol) == ["triangle-up", "diamond-open", "diamond-open"]
    assert key.name == drawn.name and key.marker.symbol == "diamond-open"  # not the first point's triangle
    assert key.legendgroup == drawn.legendgroup == "t" and key.line.dash == "dot" and key.mode == "lines+markers"


def test_a_chart_of_numbers_starts_with_the_margin_its_axis_labels_take():
    """Plotly draws a chart twice when its axis labels push the left margin (automargin): a y axis of numbers gets
    the margin four-character labels take under Streamlit's theme from the start (the browser test
    test_every_chart_is_drawn_once checks that Plotly keeps it). Names up the axis (lanes, horizontal
    bars) keep the narrow margin: their labels are drawn above each lane, or grow it as before."""
    from components.figures.style import LEFT, LEFT_NUMBERS

    def left(trace: dict) -> int:
        return finish([trace], {}, "A chart, 2018–2020", Lang())["layout"]["margin"]["l"]

    assert left({"type": "scatter", "x": [2018, 2019], "y": [1.5, 2.0]}) == LEFT_NUMBERS
    assert left({"type": "bar", "x": [2018, 2019], "y": pd.Series([300, 400])}) == LEFT_NUMBERS
    assert left({"type": "scatter", "x": [2018, 2019], "y": [None, 7]}) == LEFT_NUMBERS
    assert left({"type": "scatter", "x": [2018, 2019], "y": ["state visit", "working visit"]}) == LEFT
    assert left({"type": "bar", "orientation": "h", "x": [3.0, 1.0], "y": ["Wheat", "Oil"]}) == LEFT
    assert left({"type": "scatter", "x": [None], "y": [None]}) == LEFT  # a legend-only key
    assert LEFT_NUMBERS > LEFT


def test_the_bottom_margin_holds_the_legend_plotly_draws():
    """Plotly's legend (12 px names) is 19 px a row plus 10 px of padding, its entries in trace order, so many to a
    row: a bottom margin shorter than that grows (a second draw) and the legend runs into the source line. With
    its default order for legend groups ("grouped") Plotly gave each group a row of its own (seen on the
    corridors' volumes: seven rows where four were reserved)."""
    from components.figures.style import LEGEND_PAD, LEGEND_ROW

    for names in (1, 2, 3, 4, 7):
        traces = [
            {"type": "scatter", "x": [2018], "y": [1.0], "name": f"s{i}", "legendgroup": f"g{i}"} for i in range(names)
        ]
        layout = finish(traces, {}, "A chart, 2018", Lang(), x_title="Year", source="Somebody")["layout"]
        rows = -(-names // 2)  # short names: two to a row
        assert layout["legend"]["traceorder"] == "normal" and layout["legend"]["entrywidth"] == 0.5
        legend_bottom = 48 + LEGEND_ROW * rows + LEGEND_PAD  # the legend starts 48 px below a titled x axis
        source = layout["annotations"][-1]
        plot = layout["height"] - layout["margin"]["t"] - layout["margin"]["b"]
        assert source["yanchor"] == "top" and -source["y"] * plot == pytest.approx(legend_bottom)  # under it
        assert layout["margin"]["b"] >= legend_bottom + 15, names  # and in the margin
    bars = {"type": "bar", "orientation": "h", "x": [3.0], "y": ["Wheat"], "showlegend": False}
    layout = finish([bars], {}, "Top products, 2018", Lang(), x_title="million USD", source="Somebody")["layout"]
    source = layout["annotations"][-1]
    plot = layout["height"] - layout["margin"]["t"] - layout["margin"]["b"]
    assert -source["y"] * plot == pytest.approx(48)  # no legend: under the x axis's title (it ran over it)


def test_a_point_without_a_range_gets_no_bar():
    """Plotly draws a bar of length 0 as a cap across the marker (seen on the corridors' transit times): only the
    points with a range carry a bar; a series whose every point has one keeps its own."""
    series = {
        "type": "scatter",
        "x": [2018, 2019, 2020],
        "y": [10.0, 12.0, 9.0],
        "name": "transit time · actual [days]",
        "mode": "markers",
        "error_y": {"type": "data", "array": [0, 3.0, 0], "arrayminus": [0, 0, 0], "visible": True, "width": 7},
        "error_x": {"type": "data", "array": [0.5, 0.5, 0.5], "visible": True},
        "xaxis": "x2",
        "yaxis": "y2",
    }
    fig = go.Figure(finish([series], {}, "Transit times, 2018–2020", Lang()))  # validated by plotly
    drawn = next(t for t in fig.data if t.name)
    bars = [t for t in fig.data if not t.name]
    assert list(drawn.y) == [10.0, 12.0, 9.0] and drawn.error_y.visible is False
    assert list(drawn.error_x.array) == [0.5, 0.5, 0.5] and drawn.error_x.visible  # every point: its own bars
    assert len(bars) == 1 and list(bars[0].x) == [2019] and list(bars[0].y) == [12.0]
    assert list(bars[0].error_y.array) == [3.0] and list(bars[0].error_y.arrayminus) == [0]
    assert bars[0].error_y.width == 7 and bars[0].marker.opacity == 0 and bars[0].hoverinfo == "skip"
    assert bars[0].legendgroup == drawn.legendgroup and (bars[0].xaxis, bars[0].yaxis) == ("x2", "y2")
    assert fig.data.index(bars[0]) < fig.data.index(drawn)  # drawn first: under the markers


def test_series_without_a_legend_group_keep_their_own_when_bars_move():
    """Indicator figures name each source in the legend with no legend group: moving one series' bars must not put
    it in the group another series gets for its legend key (a click on one source would hide the other)."""

    def source(name: str, symbols: list[str], spread: list[float]) -> dict:
        return {
            "type": "scatter",
            "x": [2018, 2019],
            "y": [1.0, 2.0],
            "name": name,
            "mode": "markers",
            "marker": {"symbol": symbols},
            "error_y": {"type": "data", "array": spread, "arrayminus": [0, 0], "visible": any(spread)},
        }

    sources = [
        source("A", ["circle", "circle"], [0, 1.0]),
        source("B", ["circle", "triangle-up"], [0, 0]),
        source("C", ["circle", "circle"], [0, 1.0]),
    ]
    fig = go.Figure(finish(sources, {}, "An indicator, 2018–2019", Lang()))
    groups = {t.name: t.legendgroup for t in fig.data if t.name and not is_key(t)}
    assert len(set(groups.values())) == 3, groups


# --- labels beside points ---------------------------------------------------------------------------------------

PANEL = placement.Plot(width=400, height=150, x_range=(2000, 2010), y_range=(0, 600), above=0)  # 40 px a year


def boxes(xs, ys, texts, positions, plot=PANEL) -> list[tuple]:
    """The px boxes the placed labels take, as label_positions reckons them."""
    sx, sy = plot.width / 10, plot.height / 600
    return [
        placement.box_at(p, (x - 2000) * sx, y * sy, (len(t) * 5.2, 13), 11 / 1.6 + 1)
        for x, y, t, p in zip(xs, ys, texts, positions)
        if p
    ]


def test_labels_of_points_far_apart_go_above_them():
    assert (
        placement.label_positions([2001, 2005, 2009], [100, 200, 300], ["H1", "Q1", "Jan–Aug"], PANEL)
        == ["top center"] * 3
    )


def test_labels_of_close_points_move_out_of_each_others_way():
    xs, ys, texts = [2004, 2004.3, 2004.6], [300, 310, 290], ["Jan–Aug", "Jan–Oct", "H1"]
    positions = placement.label_positions(xs, ys, texts, PANEL)
    assert all(positions) and len(set(positions)) > 1, positions
    placed = boxes(xs, ys, texts, positions)
    assert not any(placement._overlap(a, b, 0) for i, a in enumerate(placed) for b in placed[i + 1 :]), placed


def test_a_label_with_no_free_place_is_left_out_not_printed_over_another():
    xs = [2005 + d for d in (-0.2, -0.1, 0, 0.1, 0.2)]  # five points within 16 px, each label ~36 px wide
    positions = placement.label_positions(
        xs, [300] * 5, ["Jan–Aug"] * 5, placement.Plot(400, 40, (2000, 2010), (0, 600))
    )
    assert None in positions and any(positions), positions
    placed = boxes(xs, [300] * 5, ["Jan–Aug"] * 5, positions, placement.Plot(400, 40, (2000, 2010), (0, 600)))
    assert not any(placement._overlap(a, b, 0) for i, a in enumerate(placed) for b in placed[i + 1 :])


def test_a_label_stays_inside_the_plot():
    """A point at the top goes below it (no room above it), one at the right edge to the left of it."""
    assert placement.label_positions([2005], [600], ["H1"], PANEL) == ["bottom center"]
    assert placement.label_positions([2010], [300], ["Jan–Aug"], PANEL) == ["middle left"]
    assert placement.label_positions([2005], [600], ["H1"], replace(PANEL, above=25)) == ["top center"]


def test_the_same_value_from_two_sources_does_not_block_its_own_label():
    positions = placement.label_positions([2005, 2005], [300, 301], ["Jan–Aug", "Jan–Aug"], PANEL)
    assert positions[0] == "top center" and positions[1] is not None, positions


def test_a_label_does_not_cross_a_point_that_partly_covers_its_own():
    """Two markers 6 px and 5 px apart (one partly over the other, as 2025's Jan-Jul and Jan-Aug totals are drawn): each
    label keeps clear of the other's marker, or is left out."""
    xs, ys, texts = [2005, 2005.15], [300, 320], ["Jan–Jul", "Jan–Aug"]
    positions = placement.label_positions(xs, ys, texts, PANEL)
    assert any(positions), positions
    half = 11 / 2 + 1
    markers = [((x - 2000) * 40 - half, y / 4 - half, (x - 2000) * 40 + half, y / 4 + half) for x, y in zip(xs, ys)]
    for i, p in enumerate(positions):
        if p:
            (label,) = boxes([xs[i]], [ys[i]], [texts[i]], [p])
            assert not placement._overlap(label, markers[1 - i], 0), (i, p, label, markers[1 - i])


def test_a_diamond_takes_more_room_than_a_circle():
    """A diamond is drawn 1.3 times its size across (plotly.js): a label that clears a circle 30 px above its
    point does not clear a diamond there, and moves."""
    xs, ys, texts = [2005, 2005], [300, 420], ["H1", "H1"]
    assert placement.label_positions(xs, ys, texts, PANEL, symbols=["circle", "circle-open"])[0] == "top center"
    assert placement.label_positions(xs, ys, texts, PANEL, symbols=["circle", "diamond-open"])[0] != "top center"


def test_a_point_without_a_label_takes_none():
    assert placement.label_positions([2005], [300], [""], PANEL) == [None]


def test_the_turnover_chart_leaves_out_labels_it_cannot_place_and_hover_keeps_them():
    """Six part-year totals of one year at about one value, on 2001–2022 (~37 px a year on a desktop): not all
    six labels fit beside them; those left out are empty text, and their hover still names the period."""
    periods = ["Q1", "H1", "Jan-Aug", "Jan-Oct", "9M", "Jan-Jul"]
    rows = [(2022, p, "total", r, 300.0 + i) for i, p in enumerate(periods) for r in ("AZ",)]
    df = cited(trade((2001, "annual", "total", "AZ", 106.0), *rows))
    fig = charts.turnover_figure(
        transforms.annual_turnover(df), transforms.part_year_turnover(df), transforms.other_versions(df), EN, "x", ""
    )
    parts = traces(go.Figure(fig), "part-year")[0]
    printed = [t for t in parts.text if t]
    assert 0 < len(printed) < len(periods), parts.text
    left_out = [h for t, h in zip(parts.text, parts.hovertext) if not t]
    names = [EN.period(p, None) for p in periods]
    assert all(sum(n in h for n in names) == 1 for h in left_out), (names, left_out)


def test_year_ticks_on_a_phone_are_as_many_as_fit_upright():
    """2001–2025 on a desktop: a year every 2 (12 labels of 36 px in 833 px); on a phone's 251 px a year every 5,
    or Plotly turns them on end and the axis title runs into the legend."""
    df = cited(trade((2001, "annual", "total", "AZ", 106.0), (2025, "annual", "total", "AZ", 500.0)))
    frames = transforms.annual_turnover(df), transforms.part_year_turnover(df), transforms.other_versions(df)
    desktop = charts.turnover_figure(*frames, EN, "x", "")
    phone = charts.turnover_figure(*frames, EN, "x", "", width=style.PHONE_WIDTH)
    assert (desktop["layout"]["xaxis"]["dtick"], phone["layout"]["xaxis"]["dtick"]) == (2, 5)
    assert phone["layout"]["xaxis2"]["dtick"] == 5
