"""Corridors: one panel per unit, status styles, utilisation against capacity, milestones, disagreements."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import pytest

from components import corridors, provenance
from tests.frames import frame, sources

KEYS = ["corridor", "year", "period", "metric", "value", "unit", "status", "source_id"]


def volumes(*rows: tuple) -> pd.DataFrame:
    return frame("corridor_volumes", [dict(zip(KEYS, r)) for r in rows])


# One corridor reported in two units, with actual, planned, expected and target figures and a part-year value.
BTC = [
    ("btc", 2006, "annual", "throughput", 20.0, "million t", "actual", "huseynov2017"),
    ("btc", 2008, "annual", "throughput", 38.0, "million t", "actual", "huseynov2017"),
    ("btc", 2010, "annual", "throughput", 36.0, "million t", "actual", "huseynov2017;hamzaoglu2021"),
    ("btc", 2016, "H1", "throughput", 15.5, "million t", "actual", "huseynov2017"),
    ("btc", 2006, "annual", "capacity", 50.0, "million t", "actual", "hamzaoglu2021"),
    ("btc", 2009, "annual", "capacity", 60.0, "million t", "actual", "hamzaoglu2021"),
    ("btc", 2020, "annual", "capacity", 80.0, "million t", "planned", "hamzaoglu2021"),
    ("btc", 2025, "annual", "throughput", 70.0, "million t", "expected", "egamberdiyev2023"),
    ("btc", 2030, "annual", "throughput", 75.0, "million t", "target", "egamberdiyev2023"),
    ("btc", 2004, "annual", "capacity", 1000.0, "thousand bbl/d", "actual", "caspian2018"),
    ("btc", 2007, "annual", "throughput", 600.0, "thousand bbl/d", "actual", "caspian2018"),
    ("btc", 2012, "annual", "throughput", 700.0, "thousand bbl/d", "actual", "caspian2018"),
    ("btc", 2022, "annual", "capacity", 1200.0, "thousand bbl/d", "target", "caspian2018"),
]


@pytest.fixture(scope="module")
def btc() -> pd.DataFrame:
    return provenance.with_citations(volumes(*BTC), sources())


@pytest.fixture(scope="module")
def fig(btc) -> go.Figure:
    return corridors.corridor_figure(btc, "Baku–Tbilisi–Ceyhan", "2004–2030", "Sources: Huseynov (2017).")


def unit_of(fig: go.Figure, trace) -> str:
    axis = fig.layout[f"yaxis{(trace.yaxis or 'y')[1:]}"]
    return axis.title.text


def rows_of(btc: pd.DataFrame, fig: go.Figure, trace) -> pd.DataFrame:
    """The input rows this trace draws, found by (year, value) among the rows of its axis' unit."""
    in_unit = btc[btc["unit"] == unit_of(fig, trace)]
    points = set(zip(trace.x, trace.y))
    found = in_unit[[(y, v) in points for y, v in zip(in_unit["year"], in_unit["value"])]]
    assert len(found) == len(trace.x), f"every point of {trace.name} is a row in {unit_of(fig, trace)}"
    return found


# --- corridor_figure ---------------------------------------------------------------------------------------


def test_one_y_axis_per_unit(fig, btc):
    by_axis: dict[str, set] = {}
    for trace in fig.data:
        by_axis.setdefault(trace.yaxis or "y", set()).add(unit_of(fig, trace))
    assert len(by_axis) == btc["unit"].nunique() == 2
    assert all(len(units) == 1 for units in by_axis.values())
    assert sorted(u for units in by_axis.values() for u in units) == ["million t", "thousand bbl/d"]


def test_no_axis_mixes_units(fig, btc):
    for trace in fig.data:
        unit = unit_of(fig, trace)
        drawn = rows_of(btc, fig, trace)
        assert set(drawn["unit"]) == {unit}
        assert trace.name.endswith(f"[{unit}]")
    drawn_points = sum(len(t.x) for t in fig.data)
    assert drawn_points == len(btc)  # every row drawn once


def test_subplot_titles_name_the_units(fig):
    titles = [a.text for a in fig.layout.annotations]
    assert "in million t" in titles and "in thousand bbl/d" in titles


def test_actual_solid_and_filled_others_dashed_and_hollow(fig, btc):
    seen = set()
    for trace in fig.data:
        drawn = rows_of(btc, fig, trace)
        (status,) = set(drawn["status"])
        (period,) = set(drawn["period"])
        seen.add(status)
        symbol = trace.marker.symbol
        if status == "actual":
            assert trace.line.dash == "solid", trace.name
            if period == "annual":
                assert not symbol.endswith("-open"), trace.name
        else:
            assert trace.line.dash != "solid", trace.name
            assert symbol.endswith("-open"), trace.name
    assert seen == {"actual", "planned", "expected", "target"}


def test_part_year_values_get_their_own_marker_and_label(fig, btc):
    part = [t for t in fig.data if set(rows_of(btc, fig, t)["period"]) != {"annual"}]
    assert len(part) == 1
    (trace,) = part
    assert list(trace.x) == [2016] and list(trace.y) == [15.5]
    assert "H1 only" in trace.name
    annual_actual = [t for t in fig.data if t is not trace and unit_of(fig, t) == "million t"
                     and set(rows_of(btc, fig, t)["status"]) == {"actual"}]
    assert annual_actual
    assert all(trace.marker.symbol != t.marker.symbol for t in annual_actual)


def test_corridor_figure_titles_and_hover(fig):
    assert fig.layout.title.text == ("Baku–Tbilisi–Ceyhan<br><sup>volumes against capacity and targets, "
                                     "2004–2030</sup>")
    assert {fig.layout.yaxis.title.text, fig.layout.yaxis2.title.text} == {"million t", "thousand bbl/d"}
    assert "Sources: Huseynov (2017)." in [a.text for a in fig.layout.annotations]
    hover = next(t for t in fig.data if t.name == "throughput (actual) [thousand bbl/d]").hovertext
    assert hover[0].startswith("<b>2007</b> throughput (actual): 600 thousand bbl/d")
    assert "Source: Azerbaijan - Kazakhstan: Caspian cooperation and prospects (2018)" in hover[0]


def test_series_label():
    row = pd.Series({"metric": "throughput", "status": "expected", "period": "H1"})
    assert corridors.series_label(row) == "throughput (expected, H1 only)"


# --- utilisation -------------------------------------------------------------------------------------------


def test_utilisation_uses_same_or_latest_earlier_capacity_of_the_same_unit(btc):
    usage = corridors.utilisation(btc)
    got = {(r.year, r.unit): (r.capacity, r.capacity_basis[-4:], r.utilisation_pct) for r in usage.itertuples()}
    assert got == {
        (2006, "million t"): (50.0, "2006", 40.0),  # same year
        (2008, "million t"): (50.0, "2006", 76.0),  # latest earlier capacity
        (2010, "million t"): (60.0, "2009", 60.0),
        (2007, "thousand bbl/d"): (1000.0, "2004", 60.0),
        (2012, "thousand bbl/d"): (1000.0, "2004", 70.0),  # the 2022 target is later: not used
    }
    for r in usage.itertuples():
        assert r.utilisation_pct == pytest.approx(round(100 * r.throughput / r.capacity, 1))


def test_utilisation_falls_back_to_the_earliest_later_capacity_and_says_so():
    rows = volumes(
        ("titr", 2022, "annual", "throughput", 3.2, "million t", "actual", "a"),
        ("titr", 2023, "annual", "capacity", 10.0, "million t", "expected", "a"),
        ("titr", 2030, "annual", "capacity", 20.0, "million t", "target", "a"),
    )
    row = corridors.utilisation(rows).iloc[0]
    assert (row["capacity"], row["utilisation_pct"]) == (10.0, 32.0)
    assert row["capacity_basis"] == "expected capacity stated for 2023"


def test_normalise_units_puts_tonnes_on_one_scale_and_says_what_the_source_gave():
    rows = volumes(
        ("titr", 2021, "annual", "throughput", 530000.0, "t", "actual", "a"),
        ("titr", 2022, "annual", "throughput", 3.2, "million t", "actual", "a"),
        ("btc", 2007, "annual", "throughput", 600.0, "bbl/d", "actual", "a"),
        ("titr", 2016, "Jan", "count", 20.0, "containers", "actual", "a"),
    )
    out = corridors.normalise_units(rows).set_index(["corridor", "year"])
    assert out.loc[("titr", 2021), "value"] == pytest.approx(0.53)
    assert out.loc[("titr", 2021), "unit"] == "million t"
    assert out.loc[("titr", 2021), "note"].startswith("Source gives 530,000 t; shown in million t.")
    assert out.loc[("titr", 2022), "value"] == 3.2 and out.loc[("btc", 2007), "unit"] == "thousand bbl/d"
    assert out.loc[("btc", 2007), "value"] == pytest.approx(0.6)
    assert out.loc[("titr", 2016), "unit"] == "containers"
    assert rows.loc[0, "unit"] == "t"  # the input is not modified


def test_utilisation_never_crosses_units_or_corridors():
    rows = volumes(
        ("btc", 2010, "annual", "throughput", 36.0, "million t", "actual", "a"),
        ("btc", 2005, "annual", "capacity", 1000.0, "thousand bbl/d", "actual", "b"),  # other unit
        ("cpc", 2005, "annual", "capacity", 50.0, "million t", "actual", "c"),  # other corridor
    )
    assert corridors.utilisation(rows).empty


def test_utilisation_skips_part_year_planned_and_zero_capacity():
    rows = volumes(
        ("btc", 2016, "H1", "throughput", 15.5, "million t", "actual", "a"),  # part-year: not a year's use
        ("btc", 2030, "annual", "throughput", 75.0, "million t", "target", "a"),  # not actual
        ("aktau", 2012, "annual", "throughput", 5.0, "million t", "actual", "a"),
        ("aktau", 2010, "annual", "capacity", 0.0, "million t", "actual", "a"),
        ("btc", 2006, "annual", "capacity", 50.0, "million t", "actual", "b"),
    )
    assert corridors.utilisation(rows).empty


def test_utilisation_names_the_capacity_used_and_both_sources(btc):
    usage = corridors.utilisation(btc).set_index(["year", "unit"])
    row = usage.loc[(2010, "million t")]
    assert row["capacity_basis"] == "actual capacity stated for 2009"
    assert row["source_id"] == "huseynov2017;hamzaoglu2021"  # no id repeated


# --- names and summary --------------------------------------------------------------------------------------


def test_corridor_names_prefers_route_names():
    routes = frame("routes", [{"route_id": "btc", "name": "Baku–Tbilisi–Ceyhan pipeline"}])
    rows = volumes(*BTC[:1], ("aktau_port", 2012, "annual", "throughput", 5.0, "million t", "actual", "a"))
    assert corridors.corridor_names(rows, routes) == {"btc": "Baku–Tbilisi–Ceyhan pipeline",
                                                      "aktau_port": "Aktau port"}
    assert corridors.corridor_names(rows, None)["btc"] == "Btc"


def test_corridor_summary_per_unit(btc):
    summary = corridors.corridor_summary(btc, {"btc": "BTC"}).set_index("unit")
    assert summary.loc["million t", "latest_actual"] == 15.5
    assert summary.loc["million t", "latest_actual_year"] == "2016 (H1)"
    assert summary.loc["million t", "max_capacity_or_target"] == 80.0
    assert summary.loc["million t", "years"] == "2006–2030"
    assert summary.loc["thousand bbl/d", "latest_actual"] == 700.0
    assert summary.loc["thousand bbl/d", "max_capacity_or_target"] == 1200.0
    assert set(summary["corridor"]) == {"BTC"}


# --- milestones ---------------------------------------------------------------------------------------------


@pytest.fixture
def events() -> pd.DataFrame:
    return frame("events", [
        {"date": "2006-07-13", "category": "corridor", "event": "BTC opens", "route_id": "btc", "source_id": "a"},
        {"date": "2002-09", "category": "energy", "event": "BTC construction starts", "route_id": "btc",
         "source_id": "a"},
        {"date": "2008", "category": "diplomacy", "event": "BTC talks", "route_id": "btc", "source_id": "a"},
        {"date": "2001", "category": "corridor", "event": "CPC opens", "route_id": "cpc", "source_id": "b"},
        {"date": "2014", "category": "energy", "event": "Oil price falls", "route_id": None, "source_id": "c"},
        {"date": "2010", "category": "economy", "event": "Programme launched", "route_id": None, "source_id": "c"},
    ])


@pytest.fixture
def agreements() -> pd.DataFrame:
    return frame("agreements", [
        {"date": "2006-06-16", "title": "Agreement on oil via BTC", "parties": "AZ;KZ", "domain": "energy",
         "route_id": "btc", "source_id": "a"},
        {"date": "2018-08-12", "title": "Caspian convention", "parties": "AZ;KZ", "domain": "caspian",
         "route_id": None, "source_id": "d"},
    ])


def test_milestones_of_a_route(events, agreements):
    got = corridors.milestones(events, agreements, "btc")
    assert list(zip(got["date"], got["kind"], got["what"])) == [
        ("2002-09", "milestone", "BTC construction starts"),
        ("2006-06-16", "agreement", "Agreement on oil via BTC"),
        ("2006-07-13", "milestone", "BTC opens"),
        ("2008", "milestone", "BTC talks"),
    ]
    assert set(got["route_id"]) == {"btc"}


def test_milestones_without_a_route_are_corridor_and_energy_events(events, agreements):
    got = corridors.milestones(events, agreements, None)
    assert got["what"].tolist() == ["CPC opens", "BTC construction starts", "BTC opens", "Oil price falls"]
    assert set(got["kind"]) == {"milestone"}


@pytest.mark.parametrize("route", ["btc", "nowhere", None])
def test_milestones_with_no_tables(route):
    got = corridors.milestones(None, None, route)
    assert got.empty and "date_start" in got.columns


def test_milestones_of_an_unknown_route_is_empty(events, agreements):
    assert corridors.milestones(events, agreements, "nowhere").empty


# --- disagreements_side_by_side ----------------------------------------------------------------------------


def indicators(*rows: tuple) -> pd.DataFrame:
    keys = ["topic", "indicator", "label", "year", "value", "unit", "source_id"]
    return frame("indicators", [dict(zip(keys, r)) for r in rows])


def test_one_column_per_source_only_for_indicators_with_several_sources():
    rows = indicators(
        ("trade", "grain_imports", "Grain imports from Kazakhstan", 2022, 50.7, "percent", "risbekkizi2022"),
        ("trade", "grain_imports", "Grain imports from Kazakhstan", 2016, 50.0, "percent", "huseynov2017"),
        ("trade", "grain_imports", "Grain imports from Kazakhstan", 2015, 48.0, "percent", "huseynov2017"),
        ("economy", "companies", "Companies with Kazakh capital", 2013, 37.0, "count", "huseynov2017"),
        ("economy", "companies", "Companies with Kazakh capital", 2016, 40.0, "count", "huseynov2017"),
        ("energy", "budget_oil", "Oil and gas share of budget", None, 44.0, "percent", "egamberdiyev2023"),
        ("energy", "budget_oil", "Oil and gas share of budget", 2020, 1234567.0, "percent", "caspian2018"),
    )
    table = corridors.disagreements_side_by_side(rows).set_index("indicator")
    assert sorted(table.columns) == ["caspian2018", "egamberdiyev2023", "huseynov2017", "risbekkizi2022"]
    assert sorted(table.index) == ["Grain imports from Kazakhstan (percent)", "Oil and gas share of budget (percent)"]
    grain = table.loc["Grain imports from Kazakhstan (percent)"]
    assert grain["risbekkizi2022"] == "50.7 (2022)"
    assert sorted(grain["huseynov2017"].split("; ")) == ["48 (2015)", "50 (2016)"]
    assert pd.isna(grain["caspian2018"])
    budget = table.loc["Oil and gas share of budget (percent)"]
    assert budget["egamberdiyev2023"] == "44 (n.d.)"  # no year given
    assert budget["caspian2018"] == "1.235e+06 (2020)"


def test_no_disagreements_when_each_indicator_has_one_source():
    rows = indicators(("economy", "companies", "Companies", 2013, 37.0, "count", "huseynov2017"),
                      ("economy", "companies", "Companies", 2016, 40.0, "count", "huseynov2017"))
    assert corridors.disagreements_side_by_side(rows).empty
    assert corridors.disagreements_side_by_side(rows.iloc[0:0]).empty


def test_milestone_figure_lanes(events, agreements):
    marks = provenance.with_citations(corridors.milestones(events, agreements, "btc"), None)
    fig = corridors.milestone_figure(marks, "BTC", "2002–2008")
    assert [t.name for t in fig.data] == ["milestone", "agreement"]
    assert len(fig.data[0].x) == 3 and len(fig.data[1].x) == 1
    assert fig.layout.title.text == "BTC<br><sup>milestones and agreements, 2002–2008</sup>"
    assert fig.data[1].hovertext[0] == "<b>2006-06-16</b><br>Agreement on oil via BTC<br><i>Source: a</i>"
