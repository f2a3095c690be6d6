"""Figure builders: what a reader sees in titles, axes, traces, hover text and the source line."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import pytest

from components import charts, corridors, provenance, transforms
from tests.frames import REAL_TRADE, frame, sources, trade

PERIOD = "2001–2022"
SOURCE = "Sources: Huseynov (2017); Statistical Committee of the Republic of Azerbaijan (2016)."
NASTY = "<b>x</b>"
ESCAPED = "&lt;b&gt;x&lt;/b&gt;"


def cite(df: pd.DataFrame) -> pd.DataFrame:
    return provenance.with_citations(df, sources())


@pytest.fixture
def real_trade() -> pd.DataFrame:
    return trade(*REAL_TRADE)


@pytest.fixture
def wide(real_trade) -> pd.DataFrame:
    return transforms.turnover_table(transforms.annual_turnover(real_trade))


@pytest.fixture
def part(real_trade) -> pd.DataFrame:
    return transforms.part_year_turnover(real_trade)


def visits(occasion: str = "Opening of the BTC pipeline", visitor: str = "Nursultan Nazarbayev") -> pd.DataFrame:
    rows = frame("visits", [
        {"date": "2005-05-25", "visitor": visitor, "visitor_role": "President", "visitor_country": "KZ",
         "host_country": "AZ", "city": "Baku", "visit_type": "working", "occasion": occasion,
         "source_id": "huseynov2017"},
        {"date": "2008", "visitor": "Ilham Aliyev", "visitor_role": None, "visitor_country": "AZ",
         "host_country": "KZ", "city": None, "visit_type": "official", "occasion": "State visit",
         "source_id": "huseynov2017;azstat_2016"},
    ])
    return rows.assign(direction=transforms.visit_direction(rows))


def agreements(title: str = "Agreement on oil transport via BTC", domain: str = "energy") -> pd.DataFrame:
    return frame("agreements", [
        {"date": "2006-06-16", "title": title, "parties": "AZ;KZ", "domain": domain, "city": "Almaty",
         "source_id": "huseynov2017"},
        {"date": "2012-06", "title": "Economic cooperation programme", "parties": "AZ;KZ", "domain": "economy",
         "source_id": "huseynov2017"},
    ])


def products(product: str = "Wheat") -> pd.DataFrame:
    return frame("trade_products", [
        {"year": 2016, "period": "H1", "flow": "kz_to_az", "rank": 1, "product": product, "value_usd": 30.1e6,
         "source_id": "huseynov2017;azstat_2016"},
        {"year": 2016, "period": "H1", "flow": "kz_to_az", "rank": 2, "product": "Oil products",
         "value_usd": 12.4e6, "source_id": "huseynov2017;azstat_2016"},
    ])


def diaspora(note: str | None = "Census") -> pd.DataFrame:
    return frame("diaspora", [
        {"group": "az_in_kz", "year": 1999, "population": 78295, "measure": "census", "source_id": "huseynov2017",
         "note": note},
        {"group": "az_in_kz", "year": 2009, "population": 85292, "measure": "census", "source_id": "huseynov2017"},
        {"group": "az_in_kz", "year": 2009, "population": 80000, "population_high": 100000, "measure": "estimate",
         "source_id": "caspian2018"},
    ])


def volumes(note: str | None = None) -> pd.DataFrame:
    keys = ["corridor", "year", "period", "metric", "value", "unit", "status", "source_id", "note"]
    rows = [("btc", 2006, "annual", "throughput", 20.0, "million t", "actual", "huseynov2017", note),
            ("btc", 2008, "annual", "throughput", 38.0, "million t", "actual", "huseynov2017", None),
            ("btc", 2006, "annual", "capacity", 50.0, "million t", "actual", "huseynov2017", None)]
    return frame("corridor_volumes", [dict(zip(keys, r)) for r in rows])


def milestone_marks(what: str = "BTC pipeline opens") -> pd.DataFrame:
    events = frame("events", [{"date": "2006-07-13", "category": "corridor", "event": what, "route_id": "btc",
                               "source_id": "huseynov2017"}])
    return corridors.milestones(events, agreements().assign(route_id="btc"), "btc")


def marks(visit_rows: pd.DataFrame | None = None, agreement_rows: pd.DataFrame | None = None) -> pd.DataFrame:
    v = visits() if visit_rows is None else visit_rows
    a = agreements() if agreement_rows is None else agreement_rows
    return cite(transforms.timeline_marks(v, a))


BUILDERS = {
    "turnover": lambda w, p, s: charts.turnover_figure(w, p, PERIOD, s),
    "balance": lambda w, p, s: charts.balance_figure(w, PERIOD, s),
    "change": lambda w, p, s: charts.change_figure(w, PERIOD, s),
    "products": lambda w, p, s: charts.products_figure(products(), "kz_to_az", s),
    "combined_timeline": lambda w, p, s: charts.combined_timeline(w, marks(), PERIOD, s),
    "visits": lambda w, p, s: charts.visits_figure(cite(visits()), PERIOD, s),
    "agreements": lambda w, p, s: charts.agreements_figure(transforms.agreements_by_domain(agreements()), PERIOD, s),
    "diaspora": lambda w, p, s: charts.diaspora_figure(cite(diaspora()), PERIOD, s),
    "corridor": lambda w, p, s: corridors.corridor_figure(cite(volumes()), "Baku–Tbilisi–Ceyhan", PERIOD, s),
    "milestones": lambda w, p, s: corridors.milestone_figure(cite(milestone_marks()), "Baku–Tbilisi–Ceyhan",
                                                             PERIOD, s),
}


@pytest.fixture(scope="module")
def sourced() -> dict[str, go.Figure]:
    """Every figure, built once with a source line (figures are slow to build)."""
    w = transforms.turnover_table(transforms.annual_turnover(trade(*REAL_TRADE)))
    p = transforms.part_year_turnover(trade(*REAL_TRADE))
    return {name: build(w, p, SOURCE) for name, build in BUILDERS.items()}


def axes(fig: go.Figure, letter: str) -> dict[str, tuple[dict, list]]:
    """Layout axes of one kind ('x' or 'y') that traces use: name -> (axis, traces on it)."""
    layout = fig.layout.to_plotly_json()
    out: dict[str, tuple[dict, list]] = {}
    for trace in fig.data:
        ref = getattr(trace, f"{letter}axis") or letter
        out.setdefault(ref, (layout.get(f"{letter}axis{ref[1:]}", {}), []))[1].append(trace)
    return out


def axis_title(axis: dict) -> str:
    return (axis.get("title") or {}).get("text") or ""


def is_category_axis(traces: list, letter: str) -> bool:
    """An axis of named categories (lanes, products): its tick labels say what it shows."""
    return all(isinstance(v, str) for t in traces for v in getattr(t, letter))


def hover_texts(fig: go.Figure) -> list[str]:
    out = []
    for trace in fig.data:
        out += list(trace.hovertext or []) if not isinstance(trace.hovertext, str) else [trace.hovertext]
        out.append(trace.hovertemplate or "")
    return out


# --- every figure builder ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(BUILDERS))
def test_every_figure_has_a_title_and_axis_titles(name, sourced):
    fig = sourced[name]
    assert fig.data, "the figure draws something"
    title = fig.layout.title.text
    assert title and title.strip()
    assert PERIOD in title or name == "products"  # products name their own year and period
    assert any(axis_title(axis) for axis, _ in axes(fig, "x").values()), "some x axis has a title"
    for ref, (axis, traces) in axes(fig, "y").items():
        if not is_category_axis(traces, "y"):  # every value axis says what (and in which unit) it measures
            assert axis_title(axis), f"y axis {ref} has no title"


@pytest.mark.parametrize(
    "name, y_title",
    [("turnover", "million USD (current)"), ("balance", "million USD (AZ exports − imports)"),
     ("change", "% change on previous year"), ("agreements", "documents signed"), ("diaspora", "people")],
)
def test_value_axis_titles_of_single_panel_figures(name, y_title, sourced):
    assert sourced[name].layout.yaxis.title.text == y_title


@pytest.mark.parametrize("name", list(BUILDERS))
def test_source_line_appears_when_given(name, sourced):
    # the line may be wrapped onto several lines (<br>) to fit the figure's width
    assert SOURCE in [(a.text or "").replace("<br>", " ") for a in sourced[name].layout.annotations]


@pytest.mark.parametrize("name", ["balance", "corridor"])
def test_no_source_line_when_not_given(name, wide, part):
    fig = BUILDERS[name](wide, part, None)
    assert not any("Sources:" in (a.text or "") for a in fig.layout.annotations)


def test_long_source_line_is_wrapped_not_cut():
    long = "Sources: " + "; ".join(f"Author{i} ({2000 + i})" for i in range(30)) + "."
    fig = charts.balance_figure(pd.DataFrame({"year": [2012], "balance_az": [-10.0]}), PERIOD, long)
    text = fig.layout.annotations[0].text
    assert "<br>" in text
    assert text.replace("<br>", " ") == long


def test_source_line_with_markup_is_escaped():
    fig = charts.balance_figure(pd.DataFrame({"year": [2012], "balance_az": [-10.0]}), PERIOD,
                                "Sources: A & B <script>; " + NASTY)
    text = fig.layout.annotations[0].text
    assert "<script>" not in text and NASTY not in text
    assert "A &amp; B &lt;script&gt;" in text and ESCAPED in text


# --- turnover ------------------------------------------------------------------------------------------


def test_turnover_title_names_unit_and_period(sourced):
    title = sourced["turnover"].layout.title.text
    assert "million USD" in title
    assert PERIOD in title


def test_part_year_rows_only_in_the_hollow_marker_trace(sourced):
    fig = sourced["turnover"]
    bars = [t for t in fig.data if t.type == "bar"]
    assert [t.name for t in bars] == ["Kazakhstan → Azerbaijan", "Azerbaijan → Kazakhstan"]
    annual_years = [2001, 2005, 2009, 2011, 2012]
    for bar in bars:
        assert list(bar.x) == annual_years
        assert 2016 not in list(bar.x) and 2022 not in list(bar.x)
        assert 71.50562 not in list(bar.y) and 63.84781 not in list(bar.y)
    line = next(t for t in fig.data if t.name == "Total turnover (full year)")
    assert list(line.x) == annual_years
    assert list(line.y) == [106.15, 132.0, 236.0, 276.0, 393.43]

    hollow = [t for t in fig.data if t.type == "scatter" and str(t.marker.symbol).endswith("-open")]
    assert len(hollow) == 1
    part_trace = hollow[0]
    assert "Part-year" in part_trace.name
    assert list(part_trace.x) == [2016, 2022]
    assert list(part_trace.y) == [71.50562, 326.6]
    assert list(part_trace.text) == ["H1 2016", "H1 2022"]


def test_no_part_year_trace_without_part_year_rows(wide, part):
    fig = charts.turnover_figure(wide, part.iloc[0:0], PERIOD)
    assert not any("Part-year" in (t.name or "") for t in fig.data)


def test_derived_bars_carry_a_hatch_pattern(sourced):
    fig = sourced["turnover"]
    for bar in (t for t in fig.data if t.type == "bar"):
        pattern = dict(zip(bar.x, bar.marker.pattern.shape))
        assert pattern[2001] == "/"  # back-computed from growth multiples
        assert all(pattern[y] == "" for y in (2005, 2009, 2011, 2012))
        status = dict(zip(bar.x, bar.customdata))
        assert status[2001].startswith("derived") and status[2012] == "reported"
    line = next(t for t in fig.data if t.name == "Total turnover (full year)")
    assert list(line.marker.symbol) == ["circle-open", "circle", "circle", "circle", "circle"]


def test_balance_and_change_figures(sourced):
    balance = sourced["balance"]
    assert list(balance.data[0].x) == [2001, 2005, 2011, 2012]  # 2009 has only a total: no balance
    assert list(balance.data[0].y) == pytest.approx([6.59 - 99.09, -126.0, -160.0, -287.69])
    change = sourced["change"]
    assert list(change.data[0].x) == [2012]
    assert list(change.data[0].y) == [42.5]
    assert "%" in change.layout.title.text and PERIOD in change.layout.title.text


# --- hover text escaping ---------------------------------------------------------------------------------

# Markup in data must show as text; a long text is wrapped with real line breaks (never a visible "<br>").
LONG = ("Opening ceremony of the Baku–Tbilisi–Ceyhan pipeline with the presidents of Azerbaijan, Georgia "
        "and Turkey <attended by Kazakhstan> & others")
LONG_ESCAPED = "&lt;attended by Kazakhstan&gt; &amp; others"
TOTALS = pd.DataFrame({"year": [2005], "total": [132.0]})

ESCAPE_CASES = {
    "combined_timeline/visit": lambda: charts.combined_timeline(
        TOTALS, marks(visit_rows=visits(occasion=LONG, visitor=NASTY)), PERIOD),
    "combined_timeline/agreement": lambda: charts.combined_timeline(
        TOTALS, marks(agreement_rows=agreements(title=NASTY + " " + LONG)), PERIOD),
    "visits": lambda: charts.visits_figure(cite(visits(occasion=NASTY + " " + LONG, visitor=NASTY)), PERIOD),
    "diaspora": lambda: charts.diaspora_figure(cite(diaspora(note=NASTY + " " + LONG)), PERIOD),
    "corridor": lambda: corridors.corridor_figure(cite(volumes(note=NASTY + " " + LONG)), "BTC", PERIOD),
    "milestones": lambda: corridors.milestone_figure(cite(milestone_marks(what=NASTY + " " + LONG)), "BTC",
                                                     PERIOD),
}


@pytest.mark.parametrize("name", list(ESCAPE_CASES))
def test_markup_in_data_is_escaped_and_long_text_wrapped_in_hover(name):
    texts = hover_texts(ESCAPE_CASES[name]())
    assert any(ESCAPED in t for t in texts)
    assert not any(NASTY in t for t in texts)
    long = [t for t in texts if "Kazakhstan&gt;" in t]
    assert long, "the long text is in the hover"
    for text in long:
        assert "&lt;br&gt;" not in text  # the wrapped line breaks are real, not escaped into visible text
        assert "<attended" not in text
        assert LONG_ESCAPED in text.replace("<br>", " ")


def test_agreement_domain_is_escaped_in_hover():
    fig = charts.agreements_figure(transforms.agreements_by_domain(agreements(domain=NASTY)), PERIOD)
    texts = hover_texts(fig)
    assert any(ESCAPED in t for t in texts) and not any(NASTY in t for t in texts)


def test_product_names_are_escaped():
    fig = charts.products_figure(products(product=NASTY), "kz_to_az")
    assert ESCAPED in list(fig.data[0].y)
    assert NASTY not in list(fig.data[0].y)


# --- combined timeline, visits, agreements, products, diaspora --------------------------------------------


def test_combined_timeline_has_turnover_and_one_trace_per_lane_present(sourced):
    fig = sourced["combined_timeline"]
    names = [t.name for t in fig.data]
    assert names == ["Annual turnover (million USD)", "AZ → KZ", "KZ → AZ", "agreement signed"]
    turnover = fig.data[0]
    assert list(turnover.y) == [106.15, 132.0, 236.0, 276.0, 393.43]
    assert [pd.Timestamp(x).year for x in turnover.x] == [2001, 2005, 2009, 2011, 2012]
    lanes = {t.name: t for t in fig.data[1:]}
    assert list(lanes["agreement signed"].y) == ["agreement signed"] * 2
    assert len(lanes["KZ → AZ"].x) == 1 and len(lanes["AZ → KZ"].x) == 1
    assert "meeting elsewhere" not in names
    assert turnover.yaxis != lanes["agreement signed"].yaxis  # turnover above, marks in a strip below


def test_combined_timeline_hover_cites_the_source(sourced):
    fig = sourced["combined_timeline"]
    hover = next(t for t in fig.data if t.name == "AZ → KZ").hovertext[0]
    assert "Source: Huseynov (2017), Statistical Committee of the Republic of Azerbaijan (2016)" in hover


def test_visits_figure_one_trace_per_visit_type(sourced):
    fig = sourced["visits"]
    assert [t.name for t in fig.data] == ["official visit", "working visit"]
    assert list(fig.data[0].y) == ["AZ → KZ"] and list(fig.data[1].y) == ["KZ → AZ"]


def test_agreements_figure_stacks_domains(sourced):
    fig = sourced["agreements"]
    assert sorted(t.name for t in fig.data) == ["economy", "energy"]
    assert fig.layout.barmode == "stack"
    assert "(count)" in fig.layout.title.text


def test_products_figure_largest_on_top_in_million_usd(sourced):
    fig = sourced["products"]
    bar = fig.data[0]
    assert list(bar.y) == ["Oil products", "Wheat"]  # plotly draws the last category at the top
    assert list(bar.x) == pytest.approx([12.4, 30.1])
    assert "H1 2016" in fig.layout.title.text and "million USD" in fig.layout.title.text


def test_diaspora_figure_draws_source_range_as_error_bar(sourced):
    fig = sourced["diaspora"]
    by_name = {t.name: t for t in fig.data}
    assert set(by_name) == {"census", "estimate"}
    estimate = by_name["estimate"]
    assert list(estimate.error_y.array) == [20000.0]
    assert estimate.error_y.visible is True
    assert by_name["census"].error_y.visible is False
    assert "80,000–100,000" in estimate.hovertext[0]
