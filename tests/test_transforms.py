"""Shaping tables for pages: annual turnover, the wide trade table, headline figures, visits, search."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from components import transforms
from components.filters import YearRange
from tests.frames import REAL_TRADE, frame, trade


@pytest.fixture
def real_trade() -> pd.DataFrame:
    return trade(*REAL_TRADE)


# --- annual / part-year turnover -------------------------------------------------------------------


def test_annual_turnover_excludes_part_year_rows(real_trade):
    more = pd.concat([real_trade, trade((2013, "Jan-May", "total", 120.0, False, "x"),
                                        (2013, "Q1", "total", 80.0, False, "x"))], ignore_index=True)
    annual = transforms.annual_turnover(more)
    assert set(annual["period"]) == {"annual"}
    assert sorted(annual["year"].unique()) == [2001, 2005, 2009, 2011, 2012]
    assert 71.50562 not in annual["value_usd_m"].tolist()
    assert len(annual) == 13  # one row per year and flow
    assert not annual.duplicated(["year", "flow"]).any()


def test_part_year_turnover_keeps_only_part_year_rows(real_trade):
    part = transforms.part_year_turnover(real_trade)
    assert list(zip(part["year"], part["period"], part["flow"])) == [
        (2016, "H1", "az_to_kz"), (2016, "H1", "kz_to_az"), (2016, "H1", "total"), (2022, "H1", "total")]


@pytest.mark.parametrize("derived_first", [True, False])
def test_reported_value_is_preferred_over_derived_for_the_same_year_and_flow(derived_first):
    derived = (2015, "annual", "total", 500.0, True, "huseynov2017;azstat_2016;mineconomy_az_2015")
    reported = (2015, "annual", "total", 480.0, False, "mineconomy_az_2015")
    rows = trade(derived, reported) if derived_first else trade(reported, derived)
    annual = transforms.annual_turnover(rows)
    assert annual["value_usd_m"].tolist() == [480.0]
    assert annual["is_derived"].tolist() == [False]


def test_among_reported_values_the_one_with_more_sources_wins():
    rows = trade((2015, "annual", "total", 470.0, False, "a"), (2015, "annual", "total", 480.0, False, "a;b"))
    assert transforms.annual_turnover(rows)["value_usd_m"].tolist() == [480.0]


# --- turnover_table --------------------------------------------------------------------------------


@pytest.fixture
def wide(real_trade) -> pd.DataFrame:
    return transforms.turnover_table(transforms.annual_turnover(real_trade))


def row(wide: pd.DataFrame, year: int) -> pd.Series:
    return wide.set_index("year").loc[year]


def test_turnover_table_has_one_row_per_annual_year(wide):
    assert wide["year"].tolist() == [2001, 2005, 2009, 2011, 2012]
    assert list(wide.columns) == ["year", "kz_to_az", "az_to_kz", "total", "balance_az", "total_change_pct",
                                  "derived"]


@pytest.mark.parametrize("year, balance", [(2005, 3.0 - 129.0), (2011, 58.0 - 218.0), (2012, 52.87 - 340.56)])
def test_balance_is_azerbaijan_exports_minus_imports(wide, year, balance):
    assert row(wide, year)["balance_az"] == pytest.approx(balance)


def test_balance_is_missing_when_a_flow_is_missing(wide):
    assert math.isnan(row(wide, 2009)["balance_az"])
    assert math.isnan(row(wide, 2009)["kz_to_az"])
    assert row(wide, 2009)["total"] == 236.0


def test_change_only_between_consecutive_years(wide):
    assert row(wide, 2012)["total_change_pct"] == pytest.approx(round((393.43 / 276 - 1) * 100, 1))
    assert row(wide, 2012)["total_change_pct"] == 42.5
    for year in (2001, 2005, 2009, 2011):  # first year, and each year after a gap (2001→2005, 2005→2009, ...)
        assert math.isnan(row(wide, year)["total_change_pct"]), year


def test_change_2011_to_2012_and_gap_2005_to_2009():
    rows = trade((2005, "annual", "total", 132.0, False, "s"), (2009, "annual", "total", 236.0, False, "s"),
                 (2011, "annual", "total", 276.0, False, "s"), (2012, "annual", "total", 393.43, False, "s"),
                 (2013, "annual", "total", 314.0, False, "s"))
    wide = transforms.turnover_table(transforms.annual_turnover(rows))
    change = dict(zip(wide["year"], wide["total_change_pct"]))
    assert math.isnan(change[2009]) and math.isnan(change[2011])
    assert change[2012] == 42.5
    assert change[2013] == pytest.approx(round((314.0 / 393.43 - 1) * 100, 1))


def test_derived_flags_name_the_derived_flows(wide):
    assert row(wide, 2001)["derived"] == "az_to_kz, kz_to_az, total"
    assert row(wide, 2012)["derived"] == ""


def test_turnover_table_of_nothing_is_empty_with_columns():
    empty = transforms.turnover_table(transforms.annual_turnover(trade()))
    assert empty.empty
    assert "balance_az" in empty.columns


# --- latest_turnover -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "years, expected",
    [
        (YearRange(2001, 2022), {"year": 2012, "value": 393.43, "base_year": 2011, "delta": 393.43 - 276.0}),
        (YearRange(2005, 2011), {"year": 2011, "value": 276.0, "base_year": 2009, "delta": 40.0}),
        (YearRange(2005, 2009), {"year": 2009, "value": 236.0, "base_year": 2005, "delta": 104.0}),
        (YearRange(2009, 2010), {"year": 2009, "value": 236.0, "base_year": None, "delta": None}),
    ],
)
def test_latest_turnover_in_a_range(real_trade, years, expected):
    latest = transforms.latest_turnover(transforms.annual_turnover(transforms.in_years(real_trade, years)))
    assert latest["year"] == expected["year"]
    assert latest["value"] == pytest.approx(expected["value"])
    assert latest["base_year"] == expected["base_year"]
    if expected["delta"] is None:
        assert latest["delta"] is None
    else:
        assert latest["delta"] == pytest.approx(expected["delta"])
    assert latest["is_derived"] is False


def test_latest_turnover_ignores_part_year_and_reports_derived(real_trade):
    assert transforms.latest_turnover(
        transforms.annual_turnover(transforms.in_years(real_trade, YearRange(2013, 2022)))) is None
    latest = transforms.latest_turnover(transforms.annual_turnover(transforms.in_years(real_trade,
                                                                                       YearRange(2001, 2004))))
    assert (latest["year"], latest["is_derived"], latest["source_id"]) == (2001, True, "huseynov2017")


# --- visits ----------------------------------------------------------------------------------------


@pytest.fixture
def visits() -> pd.DataFrame:
    return frame("visits", [
        {"date": "1997-06-09", "visitor": "Heydar Aliyev", "visitor_role": "President", "visitor_country": "AZ",
         "host_country": "KZ", "city": "Almaty", "visit_type": "official", "occasion": "First official visit",
         "source_id": "hamzaoglu2021"},
        {"date": "2005-05", "visitor": "Nursultan Nazarbayev", "visitor_role": "President", "visitor_country": "KZ",
         "host_country": "AZ", "city": "Baku", "visit_type": "working", "occasion": "Opening of the BTC pipeline",
         "source_id": "huseynov2017"},
        {"date": "2008", "visitor": "Ilham Aliyev", "visitor_role": None, "visitor_country": "AZ",
         "host_country": "KZ", "city": None, "visit_type": "official", "occasion": "State visit (Astana)",
         "source_id": "huseynov2017;hamzaoglu2021"},
        {"date": "2014-09-12", "visitor": "Nursultan Nazarbayev", "visitor_role": "President",
         "visitor_country": "KZ", "host_country": "TJ", "city": "Dushanbe", "visit_type": "summit",
         "occasion": "SCO summit", "source_id": "hamzaoglu2021"},
        {"date": "2022-08-24", "visitor": "Kassym-Jomart Tokayev", "visitor_role": "President",
         "visitor_country": "KZ", "host_country": "AZ", "city": "Baku", "visit_type": "official",
         "occasion": "State visit", "source_id": "risbekkizi2022"},
    ])


@pytest.fixture
def agreements() -> pd.DataFrame:
    return frame("agreements", [
        {"date": "2005-05", "title": "Agreement on oil transport via BTC", "parties": "AZ;KZ", "domain": "energy",
         "city": "Baku", "source_id": "huseynov2017"},
        {"date": "2008", "title": "Treaty on strategic partnership", "parties": "AZ;KZ", "domain": "political",
         "city": None, "source_id": "hamzaoglu2021"},
        {"date": "2008-11-20", "title": "Caspian shipping memorandum", "parties": "AZ;KZ", "domain": "transport",
         "city": "Astana", "source_id": "hamzaoglu2021"},
        {"date": "2012-06-05", "title": "Economic cooperation programme", "parties": "AZ;KZ", "domain": "economy",
         "city": "Astana", "source_id": "huseynov2017"},
        {"date": "2012-11", "title": "Protocol on energy", "parties": "AZ;KZ", "domain": "energy",
         "city": "Baku", "source_id": "huseynov2017"},
    ])


def test_visit_direction(visits):
    assert transforms.visit_direction(visits).tolist() == [
        "AZ → KZ", "KZ → AZ", "AZ → KZ", "KZ leader in TJ", "KZ → AZ"]


def test_visit_counts(visits):
    assert transforms.visit_counts(visits) == {"AZ → KZ": 2, "KZ → AZ": 2, "elsewhere": 1}


def test_visit_counts_of_no_visits(visits):
    assert transforms.visit_counts(visits.iloc[0:0]) == {"AZ → KZ": 0, "KZ → AZ": 0, "elsewhere": 0}


def test_timeline_marks_lanes_and_order(visits, agreements):
    marks = transforms.timeline_marks(visits, agreements)
    assert len(marks) == len(visits) + len(agreements)
    assert marks["date_start"].is_monotonic_increasing
    assert list(zip(marks["date"], marks["lane"])) == [
        ("1997-06-09", "AZ → KZ"),
        ("2005-05", "KZ → AZ"),  # same day as the agreement: visits come first
        ("2005-05", "agreement signed"),
        ("2008", "AZ → KZ"),
        ("2008", "agreement signed"),
        ("2008-11-20", "agreement signed"),
        ("2012-06-05", "agreement signed"),
        ("2012-11", "agreement signed"),
        ("2014-09-12", "meeting elsewhere"),
        ("2022-08-24", "KZ → AZ"),
    ]


def test_timeline_marks_labels_and_details(visits, agreements):
    marks = transforms.timeline_marks(visits, agreements).set_index("date")
    assert marks.loc["1997-06-09", "label"] == "Heydar Aliyev (President) in Almaty"
    visit_2008 = marks[(marks.index == "2008") & (marks["lane"] == "AZ → KZ")].iloc[0]
    assert visit_2008["label"] == "Ilham Aliyev () in KZ"  # no city: the host country
    agreement_2008 = marks[(marks.index == "2008") & (marks["lane"] == "agreement signed")].iloc[0]
    assert agreement_2008["detail"] == "Domain: political"  # no city given
    assert marks.loc["2012-11", "detail"] == "Domain: energy; signed in Baku"
    assert marks.loc["2012-11", "label"] == "Protocol on energy"


@pytest.mark.parametrize("which", ["visits", "agreements", "both"])
def test_timeline_marks_with_a_table_empty(visits, agreements, which):
    v = visits.iloc[0:0] if which in ("visits", "both") else visits
    a = agreements.iloc[0:0] if which in ("agreements", "both") else agreements
    marks = transforms.timeline_marks(v, a)
    assert len(marks) == len(v) + len(a)
    assert {"date_start", "lane", "label", "detail", "source_id"} <= set(marks.columns)


def test_agreements_by_domain(agreements):
    counts = transforms.agreements_by_domain(agreements)
    assert list(zip(counts["year"], counts["domain"], counts["agreements"])) == [
        (2005, "energy", 1), (2008, "political", 1), (2008, "transport", 1), (2012, "economy", 1),
        (2012, "energy", 1)]
    assert counts["agreements"].sum() == len(agreements)
    assert transforms.agreements_by_domain(agreements.iloc[0:0]).empty


def test_agreements_by_domain_counts_several_in_one_year(agreements):
    more = pd.concat([agreements, agreements.iloc[[4]]], ignore_index=True)
    counts = transforms.agreements_by_domain(more).set_index(["year", "domain"])["agreements"]
    assert counts[(2012, "energy")] == 2


# --- diaspora ---------------------------------------------------------------------------------------


def test_diaspora_ranges_span_sources_and_measures():
    diaspora = frame("diaspora", [
        {"group": "az_in_kz", "year": 1999, "population": 78295, "measure": "census", "source_id": "huseynov2017"},
        {"group": "az_in_kz", "year": 2009, "population": 85292, "measure": "census", "source_id": "huseynov2017"},
        {"group": "az_in_kz", "year": 2009, "population": 80000, "population_high": 100000, "measure": "estimate",
         "source_id": "hamzaoglu2021"},
        {"group": "az_in_kz", "year": 2009, "population": 90000, "measure": "official", "source_id": "mfa_az_2021"},
        {"group": "kz_in_az", "year": 2009, "population": 1000, "measure": "estimate", "source_id": "x"},
    ])
    ranges = transforms.diaspora_ranges(diaspora).set_index(["group", "year"])
    assert ranges.loc[("az_in_kz", 2009)].tolist() == [80000, 100000, 3]
    assert ranges.loc[("az_in_kz", 1999)].tolist() == [78295, 78295, 1]
    assert ranges.loc[("kz_in_az", 2009)].tolist() == [1000, 1000, 1]
    assert transforms.diaspora_ranges(diaspora.iloc[0:0]).empty


# --- search -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, dates",
    [
        ("", ["1997-06-09", "2005-05", "2008", "2014-09-12", "2022-08-24"]),
        ("   ", ["1997-06-09", "2005-05", "2008", "2014-09-12", "2022-08-24"]),
        ("baku", ["2005-05", "2022-08-24"]),
        ("BAKU", ["2005-05", "2022-08-24"]),
        ("  Baku ", ["2005-05", "2022-08-24"]),
        ("(astana)", ["2008"]),
        ("(", ["2008"]),
        ("state visit (", ["2008"]),
        (".", []),  # a literal dot, not "any character"
        (".*", []),
        ("[", []),
        ("a+", []),
        ("nazarbayev", ["2005-05", "2014-09-12"]),
        ("2005", ["2005-05"]),  # the date text is searchable
        ("huseynov2017;hamzaoglu2021", ["2008"]),
        ("nan", []),  # missing cells do not match as the text 'nan'
        ("tashkent", []),
    ],
)
def test_search_rows_literal_and_case_insensitive(visits, query, dates):
    assert transforms.search_rows(visits, query)["date"].tolist() == dates


def test_search_rows_on_empty_frame(visits):
    assert transforms.search_rows(visits.iloc[0:0], "baku").empty


# --- largest_volume ----------------------------------------------------------------------------------


def volumes(*rows: tuple) -> pd.DataFrame:
    keys = ["corridor", "year", "period", "metric", "value", "unit", "status", "source_id"]
    return frame("corridor_volumes", [dict(zip(keys, r)) for r in rows])


def test_largest_volume_is_the_largest_actual_throughput_in_million_t():
    rows = volumes(
        ("btc", 2010, "annual", "throughput", 38.0, "million t", "actual", "s"),
        ("btc", 2012, "annual", "throughput", 30.0, "million t", "actual", "s"),
        ("btc", 2015, "annual", "capacity", 60.0, "million t", "actual", "s"),  # capacity, not throughput
        ("btc", 2020, "annual", "throughput", 80.0, "million t", "target", "s"),  # not actual
        ("cpc", 2012, "annual", "throughput", 1400.0, "thousand bbl/d", "actual", "s"),  # another unit
    )
    top = transforms.largest_volume(rows)
    assert (top["corridor"], top["year"], top["value"], top["unit"]) == ("btc", 2010, 38.0, "million t")


def test_largest_volume_without_million_t_and_without_actual_rows():
    rows = volumes(("aktau", 2012, "annual", "throughput", 500.0, "thousand t", "actual", "s"),
                   ("aktau", 2013, "annual", "throughput", 700.0, "thousand t", "actual", "s"))
    assert transforms.largest_volume(rows)["value"] == 700.0
    planned = volumes(("btc", 2030, "annual", "throughput", 90.0, "million t", "planned", "s"))
    assert transforms.largest_volume(planned) is None


def test_span_label_is_the_years_the_rows_cover_inside_the_range():
    from components.filters import YearRange
    rows = pd.DataFrame({"year": pd.array([2005, 2011, None, 2015], dtype="Int64")})
    assert transforms.span_label(rows, YearRange(1926, 2023)) == "2005–2015"
    assert transforms.span_label(rows.iloc[:1], YearRange(1926, 2023)) == "2005"
    assert transforms.span_label(rows.iloc[2:3], YearRange(2000, 2010)) == "2000–2010"  # no year: the range
