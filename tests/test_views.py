"""Every view of every page, on the real data, for the full range, one year, years with nothing, and each
language: it builds (never raises), and what it returns is drawable or says why not."""

from __future__ import annotations

import base64
import json
import re

import numpy as np
import pandas as pd
import plotly.io
import pytest

from components import app_data
from components.figures import maps, style
from components.shaping import corridors as shaping_corridors
from components.shaping import export, transforms
from components.shaping.filters import YearRange
from components.views import base, chronology, corridors, diaspora, facts, overview, sources, trade, visits
from components.views import map as route_map

VIEWS = [
    overview.overview,
    trade.turnover,
    trade.balance,
    trade.products,
    trade.figures,
    visits.visits,
    visits.documents,
    visits.commission,
    chronology.chronology,
    corridors.choice,
    corridors.glance,
    corridors.energy,
    diaspora.diaspora,
    facts.facts,
    facts.topics,
    sources.sources,
    route_map.names,
]


def full() -> YearRange:
    return YearRange(*app_data.package().coverage)


RANGES = {
    "full": None,
    "one-year": YearRange(2014, 2014),
    "empty": YearRange(1927, 1930),
    "recent": YearRange(2018, 2025),
}


def charts_of(result) -> list[base.Chart]:
    """Every chart a view returns, however deep in its tuples (trade.products: (heading, (chart, ...)) pairs)."""

    def within(value) -> list[base.Chart]:
        if isinstance(value, base.Chart):
            return [value]
        return [c for item in value for c in within(item)] if isinstance(value, tuple) else []

    return within(tuple(vars(result).values())) if hasattr(result, "__dict__") else []


def assert_spec_is_valid(chart: base.Chart) -> None:
    """The spec the page hands to plotly.js unvalidated (style.finish) is what plotly's validation makes of it:
    every property known and well-typed, nothing that validation would coerce, to the same JSON."""
    validated = json.loads(chart.figure.to_json())  # go.Figure(spec) raises on an unknown or ill-typed property
    sent = json.loads(plotly.io.to_json(chart.prepared.to_dict(), validate=False))  # what st.plotly_chart sends
    assert sent == _plain_arrays(validated), chart.key


def _plain_arrays(value):
    """Plotly's validation sends numeric arrays as typed arrays ({"dtype", "bdata": base64}); plotly.js reads
    both forms alike, so they are compared as lists."""
    if isinstance(value, dict):
        if set(value) in ({"dtype", "bdata"}, {"dtype", "bdata", "shape"}):
            flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
            shape = [int(n) for n in str(value.get("shape", len(flat))).split(",")]
            return flat.reshape(shape).tolist()
        return {k: _plain_arrays(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_arrays(v) for v in value]
    return value


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("span", list(RANGES), ids=list(RANGES))
@pytest.mark.parametrize("view", VIEWS, ids=lambda v: f"{v.__module__.split('.')[-1]}.{v.__name__}")
def test_every_view_builds_for_any_years(view, span, lang):
    years = RANGES[span] or full()
    result = app_data.view(view, years, lang)
    assert not isinstance(result, app_data.Failed), [str(e) for e in result.errors]
    for chart in charts_of(result):
        assert chart.title and chart.summary and chart.file_stem
        assert chart.figure.layout.title.text, chart.key
        assert chart.figure.data, f"{chart.key}: a chart with nothing on it (should have been an Empty)"
        assert_spec_is_valid(chart)


@pytest.mark.parametrize("span", ["full", "one-year", "empty"])
def test_every_corridor_builds_its_volumes_and_milestones(span):
    years = RANGES[span] or full()
    choice = app_data.view(corridors.choice, years, "en")
    for cid, _label in choice.corridors:
        for view in (corridors.volumes, corridors.milestones):
            result = app_data.view(view, years, "en", corridor=cid)
            assert isinstance(result, base.Empty) or charts_of(result), (view.__name__, cid)
            for chart in charts_of(result):
                assert_spec_is_valid(chart)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_milestones_name_their_lanes_above_them_not_beside_the_axis(lang):
    """Beside the axis 'подписанный документ' took 125 px of a phone's 350, and Plotly drew the chart twice to
    make room (automargin): the kinds are lanes, named above each like the overview's."""
    chart = charts_of(app_data.view(corridors.milestones, full(), lang, corridor="titr"))[0]
    layout = chart.spec["layout"]
    lanes = layout["yaxis"]["categoryarray"]
    assert len(lanes) == 2 and layout["yaxis"]["showticklabels"] is False
    assert [a["text"] for a in layout["annotations"] if a.get("yref") == "y"] == lanes
    assert layout["margin"]["l"] == style.LEFT


def test_the_map_builds_for_every_layer_and_none():
    years = full()
    shown = app_data.view(route_map.route_map, years, "en", modes=maps.MODES, statuses=maps.STATUSES)
    assert shown.count == len(app_data.table("routes"))
    assert {d.file_name.rsplit(".", 1)[1] for d in shown.downloads} == {"csv", "geojson", "png"}
    none = app_data.view(route_map.route_map, years, "en", modes=(), statuses=maps.STATUSES)
    assert isinstance(none, base.Empty)


def test_the_map_is_drawn_once_for_every_range_that_greys_the_same_routes():
    """The year changes the map only through the routes opened after the range's end (Context.shared)."""
    opened = app_data.table("routes")["opened_year"].dropna()
    last = int(opened.max())
    late = YearRange(2000, last + 1), YearRange(1995, last + 3)  # nothing grey in either
    early = YearRange(2000, int(opened.min()) - 1)  # every route with a year grey
    a, b, c = (app_data.view(route_map.route_map, y, "en") for y in (*late, early))
    assert a.deck is b.deck and a.grid is b.grid, "the same map built twice"
    assert c.deck is not a.deck and c.not_open and not a.not_open
    assert f"opened after {early.end}" in c.not_open
    png = {d.key: d for d in b.downloads}["dl.map_png"]
    assert png.file_name == f"routes_map_{late[1].start}-{late[1].end}.png"
    assert png.data[:8] == b"\x89PNG\r\n\x1a\n"


def test_diaspora_ranges_holding_the_same_rows_share_one_build_but_name_their_own_files():
    def rows_in(table, a, b, keep_missing=False):
        years = app_data.table(table).query("topic == 'diaspora'" if table == "indicators" else "index == index")[
            "year"
        ]
        return frozenset(years.index[years.between(a, b) | (keep_missing & years.isna())])

    def key(a, b):
        return rows_in("diaspora", a, b), rows_in("indicators", a, b, keep_missing=True)

    pairs = [((a, 2020), (a + 1, 2020)) for a in range(1990, 2019)]
    same = next(p for p in pairs if key(*p[0]) == key(*p[1]) and key(*p[0])[0])
    differ = next(p for p in pairs if key(*p[0]) != key(*p[1]))
    a, b = (app_data.view(diaspora.diaspora, YearRange(*r), "en") for r in same)
    assert a.chart is b.chart, "the same rows drawn twice"
    assert a.grid.rows.equals(b.grid.rows) and a.spread.rows.equals(b.spread.rows)  # cut from every year's, once
    assert a.download.file_name != b.download.file_name, "a download named after another range"
    c, d = (app_data.view(diaspora.diaspora, YearRange(*r), "en") for r in differ)
    assert (c.grid.rows, getattr(c.others, "rows", None)) != (d.grid.rows, getattr(d.others, "rows", None))


def test_a_download_is_made_when_first_asked_for_and_only_once():
    calls = []
    item = base.Download(lambda: calls.append(1) or b"a,b\r\n", "x.csv", "X", "dl.x")
    assert calls == [], "made before anyone asked"
    assert item.data == b"a,b\r\n" and item.data == b"a,b\r\n"
    assert calls == [1], "made again for a second reader"
    view = app_data.view(diaspora.diaspora, full(), "en")
    assert callable(view.download.content), "the page would build the CSV on every rerun"
    assert pd.read_csv(pd.io.common.BytesIO(view.download.data)).shape[0] == view.count


def test_a_single_year_gives_messages_not_empty_charts():
    year = YearRange(2014, 2014)
    balance = app_data.view(trade.balance, year, "en")
    assert isinstance(balance, base.Empty) or isinstance(balance.change, base.Empty), (
        "one year has no change on the year before: a message, not an empty chart with axes −1…6"
    )
    timeline = app_data.view(overview.overview, year, "en").timeline
    assert isinstance(timeline, base.Empty) or timeline.figure.layout.xaxis.range, "a date axis spanning the year"


def test_nothing_in_the_years_says_so():
    empty = RANGES["empty"]
    assert isinstance(app_data.view(trade.turnover, empty, "en"), base.Empty)
    assert app_data.view(visits.visits, empty, "en").chart is None


def test_on_screen_tables_show_readable_labels_and_no_none():
    view = app_data.view(trade.turnover, full(), "en")
    table = view.full_years.rows.to_pandas()
    assert "Whose statistics" in table.columns and "reporter" not in table.columns
    assert not table.isin(["None", "nan", "<NA>"]).any().any()
    assert set(table["Whose statistics"]) <= {"Azerbaijani statistics", "Kazakh statistics", "Officials' statements"}


def test_downloads_keep_machine_names_and_dot_decimals_in_every_language():
    ru = app_data.view(trade.turnover, full(), "ru")
    header = ru.download_long.data.decode("utf-8").splitlines()[0]
    assert header.split(",")[:5] == ["year", "period", "flow", "reporter", "value_usd_m"]
    assert "," not in ru.download_long.data.decode().splitlines()[1].split(",")[4]
    rows = pd.read_csv(pd.io.common.BytesIO(ru.download_shown.data))
    assert rows["total"].dtype.kind == "f"


def test_download_names_say_what_was_filtered():
    v = app_data.view(visits.visits, full(), "en", leaders=("Ilham Aliyev",), query="Astana")
    assert v.download.file_name == f"visits_{full().start}-{full().end}_ilham-aliyev_astana.csv"
    assert v.chart.file_stem.endswith("_ilham-aliyev_astana")


def test_the_chronology_shows_every_event_and_the_disagreements_beside_them():
    view = app_data.view(chronology.chronology, full(), "en")
    events = app_data.table("events")
    assert view.count >= len(events)
    rows = view.grid.rows.to_pandas()
    assert (rows["Where sources disagree"] != "").sum() > 0


def test_an_indicators_disagreement_is_beside_it_on_the_energy_tab():
    view = app_data.view(corridors.energy, full(), "en")
    topics = set(view.disagreements.rows.to_pandas()["What"])
    assert any("Kashagan" in t for t in topics), "the Kashagan 13 / 38 / 10 bn bbl claims are side by side"


def test_trade_page_offers_the_table_shown_and_the_long_form():
    view = app_data.view(trade.turnover, full(), "en")
    shown = pd.read_csv(pd.io.common.BytesIO(view.download_shown.data))
    long = pd.read_csv(pd.io.common.BytesIO(view.download_long.data))
    assert {"reporter", "year", "kz_to_az", "az_to_kz", "total", "balance_az"} <= set(shown.columns)
    assert len(long) == len(app_data.table("trade_turnover"))


def test_overview_timeline_download_holds_the_turnover_values_drawn():
    view = app_data.view(overview.overview, full(), "en")
    rows = pd.read_csv(pd.io.common.BytesIO(view.download.data))
    turnover = rows[rows["lane"] == "turnover"]
    assert turnover["value_usd_m"].notna().all() and len(turnover) > 5


@pytest.mark.parametrize("years", [YearRange(1991, 2030), YearRange(2018, 2025), YearRange(2001, 2015)])
def test_trade_summary_counts_the_same_full_years_as_its_table(years):
    view = app_data.view(trade.turnover, years, "en")
    full_rows, _part = view.counts
    assert view.full_years.rows.num_rows == full_rows
    assert f"; {full_rows} full-year totals from " in view.chart.summary, view.chart.summary


def _from_scratch(build, years: YearRange, lang: str, cut: tuple[str, ...] = (), **filters):
    """The view built from the range's rows alone: the tables in `cut` hold only the rows of these years (and
    those with no year), and nothing is shared (Context without derive/memo), so every part that the app makes
    once for every year and cuts to the range is made here from the range's rows."""
    names = (*build.tables, *build.optional)
    given = {n: t for n, t in app_data.tables(*names).items() if not isinstance(t, app_data.DataError)}
    given.update({n: transforms.in_years(given[n], years, keep_missing=True) for n in cut})
    sources = given.get("sources")
    ctx = base.Context(
        given,
        years,
        app_data._labels(lang, given.get("names")),
        app_data._citations(sources),
        app_data._source_rows(sources),
    )
    return build(ctx, **filters)


def _drawn(value):
    """What a page draws of a view: figures as JSON, tables as rows, downloads as bytes."""
    if isinstance(value, base.Chart):
        return (value.key, value.title, value.summary, value.file_stem, plotly.io.to_json(value.spec, validate=False))
    if isinstance(value, base.Grid):
        return (value.rows.schema.names, value.rows.to_pylist(), value.links)
    if isinstance(value, base.Download):
        return (value.file_name, value.label, value.key, value.data)
    if isinstance(value, tuple):
        return tuple(_drawn(v) for v in value)
    if hasattr(value, "__dataclass_fields__"):
        return (type(value).__name__, {k: _drawn(getattr(value, k)) for k in value.__dataclass_fields__})
    return value


# Views that make their every-year, per-language parts once (Context.shared, Context.once) and cut them to each
# range, or share a part between ranges holding the same rows; with the tables whose rows they cut to the range.
CUT_VIEWS = {
    chronology.chronology: ("events", "visits", "agreements", "commission_sessions"),
    trade.turnover: ("trade_turnover",),
    trade.balance: ("trade_turnover",),
    overview.overview: ("trade_turnover", "visits", "agreements", "corridor_volumes"),
    visits.visits: ("visits",),
    facts.facts: ("indicators",),
    corridors.energy: ("indicators",),
    corridors.choice: (),  # every year, whatever the range: nothing to cut
    corridors.volumes: ("corridor_volumes",),
}
FILTERS = {
    visits.visits: [{"leaders": ("Ilham Aliyev",)}, {"types": ("state", "working")}, {"query": "Астана"}],
    facts.facts: [{"topic": "energy"}, {"indicator": "kz_grain_exports_to_az"}],
}
# Views that need a filter: no run without one. Corridors with two figures in one year and measure, ranges,
# parts of the traffic, stated plans and several units.
REQUIRED = {corridors.volumes: [{"corridor": c} for c in ("titr", "btc", "port_baku", "aktau_baku_sea", "cpc")]}
CUT_RANGES = [(1991, 2030), (1996, 2005), (2001, 2001), (2012, 2016), (2013, 2022), (2022, 2024), (1927, 1994)]


@pytest.mark.parametrize("lang", ["en", "kk"])
@pytest.mark.parametrize("view", list(CUT_VIEWS), ids=lambda v: f"{v.__module__.split('.')[-1]}.{v.__name__}")
def test_a_view_cut_from_its_shared_parts_is_the_view_made_for_the_range(view, lang):
    for a, b in CUT_RANGES:
        years = YearRange(a, b)
        for filters in REQUIRED.get(view) or [{}, *FILTERS.get(view, [])]:
            made = _from_scratch(view, years, lang, CUT_VIEWS[view], **filters)
            if isinstance(made, base.Empty) and view in REQUIRED:
                continue  # its message names the years outside the range, which the cut tables have not
            assert _drawn(app_data.view(view, years, lang, **filters)) == _drawn(made), (a, b, filters)
            if view is corridors.volumes:  # the cut keeps every figure of the range, and only those
                stored = app_data.table("corridor_volumes")
                assert made.count == len(transforms.in_years(stored[stored["corridor"] == filters["corridor"]], years))


def test_reading_a_charts_figure_leaves_the_shared_spec_as_it_was():
    chart = app_data.view(trade.turnover, full(), "en").chart
    before = plotly.io.to_json(chart.spec, validate=False)
    assert chart.figure.data
    assert plotly.io.to_json(chart.spec, validate=False) == before


@pytest.mark.parametrize("keep_missing", [False, True])
def test_a_year_grid_cut_to_a_range_is_the_grid_of_that_ranges_rows(keep_missing):
    rows = pd.DataFrame({"year": pd.array([2001, None, 2005, 2010, None, 2003], dtype="Int64"), "what": list("abcdef")})
    ctx = base.Context({}, full(), app_data._labels("en", app_data.table("names")))
    every = ctx.year_grid(rows, {"what": "What", "year": "Year"}, keep_missing=keep_missing)
    for a, b in [(2000, 2004), (2005, 2005), (2011, 2020), (1990, 2030)]:
        span = YearRange(a, b)
        want = ctx.grid(transforms.in_years(rows, span, keep_missing=keep_missing), {"what": "What", "year": "Year"})
        assert every.cut(span).rows.to_pylist() == want.rows.to_pylist(), (a, b)
    assert every.cut(YearRange(2011, 2020)).num_rows == (2 if keep_missing else 0)


def test_a_visits_search_looks_at_the_visits_own_text_not_at_what_is_made_for_display():
    """Searched: the table's text columns and every spelling of the names in them; not the hover text, date
    text or translated labels made beside each row (every row's hover says "Source:")."""
    assert app_data.view(visits.visits, full(), "en", query="Source:").count == 0
    assert app_data.view(visits.visits, full(), "en", query="<br>").count == 0
    assert app_data.view(visits.visits, full(), "en", query="Астана").count > 0


@pytest.mark.parametrize(
    ("view", "indicator"),
    [
        (facts.facts, "kz_grain_exports_to_az"),
        (corridors.energy, "kz_az_rail_cargo"),
        (facts.facts, "cpc_intake_tengiz"),
    ],
)
def test_a_figure_whose_sources_give_different_scales_is_drawn_in_one_unit(view, indicator):
    """569 thousand t of grain is 0.569 on the chart's million-t axis, not 569 million t; each point's hover
    keeps the value and unit its source gives."""
    from components.shaping.corridors import COMMON_UNITS

    result = app_data.view(view, full(), "en", indicator=indicator)
    assert result.chosen == indicator
    rows = app_data.table("indicators").query("indicator == @indicator and year.notna()")
    assert rows["unit"].nunique() > 1, "the data no longer mixes scales here: pick another figure"
    unit = {COMMON_UNITS[u][0] for u in rows["unit"]}
    assert len(unit) == 1 and result.chart.title.endswith(f"({unit.pop()})")
    drawn = sorted(
        (int(x), round(float(y), 9))
        for t in result.chart.spec["data"]
        if t.get("hovertext")
        for x, y in zip(t["x"], t["y"])
    )
    expected = sorted(
        (int(y), round(float(v) * COMMON_UNITS[u][1], 9)) for y, v, u in zip(rows["year"], rows["value"], rows["unit"])
    )
    assert drawn == expected
    hovers = [h for t in result.chart.spec["data"] for h in (t.get("hovertext") or [])]
    units_said = {re.match(r"<b>[^<]*</b>: (?:[≤≥≈] )?\S+ (.+?)(?: · |<br>)", h).group(1) for h in hovers}
    assert units_said == set(rows["unit"]), units_said  # each point says its value as its source gives it


@pytest.mark.parametrize(
    "table, pick",
    [
        ("trade_turnover", lambda t: t[t["year"].between(2010, 2016)]),
        ("trade_turnover", lambda t: t[t["year"] == 1995]),
        ("corridor_volumes", lambda t: t[t["corridor"] == "titr"]),
        ("indicators", lambda t: t.head(40)),
        ("visits", lambda t: t[t["year"] >= 2019]),
        ("diaspora", lambda t: t),
        ("visits", lambda t: t.head(0)),
    ],
)
def test_a_views_disagreements_are_the_discrepancies_about_its_rows(table, pick):
    """Context.disagreements picks from every discrepancy's cells made once: the same grid as matching the
    discrepancies against the rows' keys and making their cells for those rows."""
    given = {n: app_data.table(n) for n in (table, "discrepancies", "sources", "names")}
    ctx = base.Context(given, full(), app_data._labels("en", given["names"]), app_data._citations(given["sources"]))
    rows = pick(given[table])
    keys = shaping_corridors.keys_of(table, rows)
    want = ctx.disagreement_grid(shaping_corridors.matching_disagreements(given["discrepancies"], keys))
    got = ctx.disagreements(table, rows)
    assert got.rows.to_pylist() == want.rows.to_pylist()
    assert got.rows.schema.names == want.rows.schema.names
    if table == "corridor_volumes":
        assert got.num_rows > 0  # TITR's 2022 throughput is given two ways


def test_a_view_shows_no_disagreements_when_there_are_none_to_show():
    ctx = base.Context({"discrepancies": None}, full(), app_data._labels("en", app_data.table("names")))
    rows = app_data.table("visits")
    assert ctx.disagreements("visits", rows).num_rows == 0
    sample = pd.DataFrame(
        {
            "topic": ["a", "b", "c"],
            "subjects": ["visits:2019-01-01 ; visits:2020-02-02", None, "trade_turnover:2019:annual:total"],
            "claim_a": ["x", "y", "z"],
            "claim_b": ["x2", "y2", "z2"],
            "source_a": ["s1", "s2", "s3"],
            "source_b": ["s4", "s5", "s6"],
            "note": ["", "", ""],
        }
    )
    ctx = base.Context({"discrepancies": sample}, full(), app_data._labels("en", app_data.table("names")))
    two = pd.DataFrame({"date": ["2020-02-02", "2021-01-01"]})
    assert [r["What"] for r in ctx.disagreements("visits", two).rows.to_pylist()] == ["a"]  # spaces around ';'
    assert ctx.disagreements("visits", two.head(0)).num_rows == 0


def test_a_cuttable_frame_cuts_to_the_same_rows_values_and_files():
    """transforms.cuttable changes how text columns are held, not what a cut of them shows or downloads."""
    for name in ("visits", "indicators", "trade_turnover", "corridor_volumes"):
        frame = app_data.table(name)
        held = transforms.cuttable(frame)
        assert list(held.columns) == list(frame.columns)
        for span in (YearRange(1991, 2030), YearRange(2005, 2012), YearRange(2019, 2019)):
            a, b = transforms.in_years(frame, span), transforms.in_years(held, span)
            assert a.index.equals(b.index)
            assert export.to_safe_csv(a) == export.to_safe_csv(b), (name, span)
            assert _cells(a) == _cells(b), (name, span)


def _cells(frame: pd.DataFrame) -> list[list]:
    return frame.astype(object).where(frame.notna(), None).values.tolist()


def test_the_wide_trade_download_cut_from_every_years_records_is_the_ranges_table():
    wide = transforms.every_year_table(app_data.table("trade_turnover"))
    records = trade._WideRecords.of(wide)
    for a in range(1990, 2028, 3):
        for b in range(a, 2030, 4):
            span = YearRange(a, b)
            want = export.to_safe_csv(transforms.table_in_years(wide, span).drop(columns=["qualified"]))
            assert records.of_years(span) == want, (a, b)
            assert records.count(span) == len(transforms.table_in_years(wide, span))


@pytest.mark.parametrize("filters", [{"countries": ("TR",)}, {"topics": ("energy",)}, {"routes": ("btc",)}])
def test_a_chronology_filter_on_years_with_no_entries_says_so(filters):
    """A shared link can name a country for years that hold no entry: the page says nothing matches."""
    span = YearRange(2028, 2030)
    assert chronology.chronology(_context_for(chronology.chronology, span), **filters).count == 0
    view = app_data.view(chronology.chronology, span, "en", **filters)
    assert view.count == 0 and view.chart is None and "Nothing matches" in view.empty


def _context_for(build, years: YearRange) -> base.Context:
    given = {n: app_data.table(n) for n in (*build.tables, *build.optional)}
    sources = given.get("sources")
    return base.Context(given, years, app_data._labels("en", given.get("names")), app_data._citations(sources))
