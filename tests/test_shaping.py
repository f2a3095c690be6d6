"""Pure shaping on small frames built here: trade series per reporter, corridors, labels, provenance."""

from __future__ import annotations

import pandas as pd
import pytest

from components.i18n import Lang
from components.shaping import corridors, provenance, transforms
from components.shaping.labels import Labels


def trade(*rows) -> pd.DataFrame:
    """(year, period, flow, reporter, value[, qualifier[, derived]])."""
    out = []
    for r in rows:
        year, period, flow, reporter, value, *rest = r
        out.append(
            {
                "year": year,
                "period": period,
                "flow": flow,
                "reporter": reporter,
                "value_usd_m": value,
                "qualifier": rest[0] if rest else None,
                "is_derived": bool(rest[1]) if len(rest) > 1 else False,
                "source_id": f"src_{reporter.lower()}_{year}",
                "note": None,
            }
        )
    df = pd.DataFrame(out)
    return df.astype({"year": "Int64", "value_usd_m": "Float64", "is_derived": "boolean", "qualifier": "str"})


def test_reporters_are_never_blended_in_the_table_or_the_change():
    df = trade(
        (2022, "annual", "total", "KZ", 460.0),
        (2023, "annual", "total", "KZ", 529.4),
        (2023, "annual", "total", "AZ", 313.0),
        (2024, "annual", "total", "other", 470.0),
    )
    wide = transforms.turnover_table(transforms.annual_turnover(df))
    assert set(zip(wide["reporter"], wide["year"])) == {("KZ", 2022), ("KZ", 2023), ("AZ", 2023), ("other", 2024)}
    change = dict(zip(zip(wide["reporter"], wide["year"]), wide["total_change_pct"]))
    assert change[("KZ", 2023)] == pytest.approx(15.1)
    assert pd.isna(change[("AZ", 2023)]) and pd.isna(change[("other", 2024)])  # no same-reporter year before


def test_change_needs_consecutive_years_of_one_reporter():
    df = trade((2019, "annual", "total", "AZ", 229.6), (2021, "annual", "total", "AZ", 135.7))
    wide = transforms.turnover_table(transforms.annual_turnover(df))
    assert wide["total_change_pct"].isna().all()


def test_balance_only_from_plain_figures_of_one_reporter():
    df = trade(
        (2019, "annual", "kz_to_az", "AZ", 205.0),
        (2019, "annual", "az_to_kz", "AZ", 24.0, "lower_bound"),
        (2018, "annual", "kz_to_az", "KZ", 211.9),
        (2018, "annual", "az_to_kz", "KZ", 46.36),
    )
    wide = transforms.turnover_table(transforms.annual_turnover(df)).set_index(["reporter", "year"])
    assert pd.isna(wide.loc[("AZ", 2019), "balance_az"])  # "more than 24" is a bound: no balance claimed
    assert wide.loc[("KZ", 2018), "balance_az"] == pytest.approx(46.36 - 211.9)
    assert wide.loc[("AZ", 2019), "qualified"] == "az_to_kz:lower_bound"


def test_latest_turnover_compares_with_the_same_reporter():
    df = trade(
        (2022, "annual", "total", "KZ", 461.9),
        (2023, "annual", "total", "AZ", 300.0),
        (2023, "annual", "total", "KZ", 529.4),
        (2021, "annual", "total", "AZ", 200.0),
    )
    latest = transforms.latest_turnover(transforms.annual_turnover(df))
    assert (latest["year"], latest["reporter"], latest["value"]) == (2023, "AZ", 300.0)
    assert (latest["base_year"], latest["delta"]) == (2021, 100.0)  # AZ's previous year, never KZ's 2022
    assert latest["others"] == [("KZ", 529.4)]


def test_latest_turnover_ignores_bounds_and_part_years():
    df = trade(
        (2021, "H1", "total", "other", 54.43, "upper_bound", True),
        (2020, "annual", "total", "other", 109.0),
        (2021, "annual", "total", "other", 150.0, "about"),
    )
    latest = transforms.latest_turnover(transforms.annual_turnover(df))
    assert (latest["year"], latest["value"], latest["delta"]) == (2020, 109.0, None)


def test_other_versions_keep_a_second_page_for_the_same_figure():
    df = pd.concat(
        [
            trade((2023, "annual", "total", "KZ", 529.4)),
            trade((2023, "annual", "total", "KZ", 598.47)).assign(source_id="other_page"),
        ],
        ignore_index=True,
    )
    chosen = transforms.annual_turnover(df)
    others = transforms.other_versions(df)
    assert len(chosen) == 1 and len(others) == 1
    assert {float(chosen["value_usd_m"].iloc[0]), float(others["value_usd_m"].iloc[0])} == {529.4, 598.47}


def test_series_break_at_missing_years():
    xs, ys = transforms.series_with_gaps(pd.DataFrame({"year": [2001, 2005, 2006, 2009], "value": [1, 5, 6, 9]}))
    assert xs == [2001, 2002, 2005, 2006, 2007, 2009]
    assert ys == [1.0, None, 5.0, 6.0, None, 9.0]


def volumes(*rows) -> pd.DataFrame:
    cols = [
        "corridor",
        "year",
        "period",
        "metric",
        "value",
        "value_high",
        "unit",
        "qualifier",
        "status",
        "stated_year",
        "scope",
        "cargo",
        "source_id",
        "note",
        "year_approx",
    ]
    df = pd.DataFrame([dict(zip(cols, r)) for r in rows], columns=cols)
    return df.astype({"year": "Int64", "value": "Float64", "value_high": "Float64", "stated_year": "Int64"})


def test_units_of_one_quantity_share_one_scale_and_keep_what_the_source_gave():
    df = volumes(
        ("titr", 2021, "annual", "throughput", 530000, None, "t", None, "actual", None, None, "mixed", "a", None, True),
        (
            "titr",
            2022,
            "annual",
            "throughput",
            1.485,
            None,
            "million t",
            None,
            "actual",
            None,
            None,
            "mixed",
            "b",
            None,
            None,
        ),
        ("kcts", 2016, "annual", "capacity", 23, 25, "million t", None, "planned", 2016, None, "oil", "c", None, None),
    )
    out = corridors.normalise_units(df)
    assert out["unit"].tolist() == ["million t"] * 3
    assert out["value"].tolist() == pytest.approx([0.53, 1.485, 23])
    assert out["given"].tolist() == ["530,000 t", "", ""]
    assert float(out["value_high"].iloc[2]) == 25


def test_utilisation_uses_the_same_year_capacity_and_names_it():
    df = volumes(
        ("x", 2019, "annual", "capacity", 4, None, "million t", None, "actual", None, None, "mixed", "c1", None, None),
        (
            "x",
            2020,
            "annual",
            "capacity",
            10,
            None,
            "million t",
            None,
            "planned",
            2018,
            None,
            "mixed",
            "c2",
            None,
            None,
        ),
        (
            "x",
            2020,
            "annual",
            "throughput",
            5,
            None,
            "million t",
            None,
            "actual",
            None,
            None,
            "mixed",
            "t1",
            None,
            None,
        ),
        (
            "x",
            2021,
            "annual",
            "throughput",
            6,
            None,
            "million t",
            None,
            "actual",
            None,
            None,
            "mixed",
            "t2",
            None,
            None,
        ),
    )
    usage = corridors.utilisation(df).set_index("year")
    assert usage.loc[2020, "utilisation_pct"] == 50.0  # 5 / 10, the capacity of the same year
    assert usage.loc[2020, "capacity_basis"] == "planned capacity 10 million t for 2020"
    assert usage.loc[2021, "capacity_basis"] == "planned capacity 10 million t for 2020"  # latest before
    assert usage.loc[2021, "utilisation_pct"] == 60.0


def test_utilisation_skips_partial_scopes_and_bounds():
    df = volumes(
        (
            "btc",
            2023,
            "annual",
            "throughput",
            1.4,
            None,
            "million t",
            None,
            "actual",
            None,
            "Kazakh oil only",
            "oil",
            "a",
            None,
            None,
        ),
        ("btc", 2023, "annual", "capacity", 60, None, "million t", None, "actual", None, None, "oil", "b", None, None),
    )
    assert corridors.utilisation(df).empty


def test_milestones_never_show_another_corridors_rows():
    events = pd.DataFrame(
        {
            "date": ["2008-10", "2016"],
            "date_precision": ["month", "year"],
            "date_start": pd.to_datetime(["2008-10-01", "2016-01-01"]),
            "year": [2008, 2016],
            "event": ["first oil", "ferry"],
            "route_id": ["btc", None],
            "source_id": ["a", "b"],
        }
    )
    agreements = events.rename(columns={"event": "title"}).iloc[0:0]
    assert corridors.milestones(events, agreements, "port_kuryk").empty  # the "Port kuryk" bug: nothing, not all
    assert corridors.milestones(events, agreements, "btc")["what"].tolist() == ["first oil"]


def test_catalogue_lists_every_route_and_facility_with_what_it_has():
    routes = pd.DataFrame({"route_id": ["btc", "cpc"], "name": ["BTC", "CPC"]})
    facilities = pd.DataFrame({"facility_id": ["port_kuryk"], "name": ["Port of Kuryk"]})
    vols = volumes(
        (
            "port_kuryk",
            2016,
            "annual",
            "capacity",
            4,
            None,
            "million t",
            None,
            "expected",
            2016,
            None,
            "freight",
            "a",
            None,
            None,
        )
    )
    events = pd.DataFrame({"route_id": ["btc", "btc"]})
    cat = corridors.catalogue(routes, facilities, vols, events, pd.DataFrame({"route_id": []}))
    assert set(cat["corridor"]) == {"btc", "cpc", "port_kuryk"}
    row = cat.set_index("corridor")
    assert row.loc["port_kuryk", "name"] == "Port of Kuryk" and row.loc["port_kuryk", "figures"] == 1
    assert row.loc["btc", "milestones"] == 2 and row.loc["cpc", "figures"] == 0


def test_disagreements_are_found_by_the_rows_they_concern():
    found = pd.DataFrame(
        {
            "topic": ["Kashagan reserves", "other"],
            "subjects": [
                "indicators:kashagan_oil_reserves_estimated;indicators:kashagan_oil_reserves_total",
                "visits:1996-09-16",
            ],
        }
    )
    hit = corridors.matching_disagreements(found, {"indicators:kashagan_oil_reserves_total"})
    assert hit["topic"].tolist() == ["Kashagan reserves"]


def test_labels_name_in_the_readers_language_and_fall_back_to_english():
    names = pd.DataFrame(
        {
            "kind": ["city", "city"],
            "key": ["Astana", "Baku"],
            "en": ["Astana", "Baku"],
            "ru": ["Астана", None],
            "az": [None, None],
            "kk": [None, None],
            "aliases": ["Nur-Sultan;Akmola", None],
            "note": [None, None],
        }
    )
    ru = Labels.build(Lang("ru"), names)
    assert ru.name("city", "Astana") == "Астана"
    assert ru.name("city", "Baku") == "Baku"  # no Russian name yet: English
    assert ru.name("city", "Aktau") == "Aktau"  # unknown: the key
    assert set(ru.spellings("city", "Astana")) == {"Astana", "Астана", "Nur-Sultan", "Akmola"}


@pytest.mark.parametrize(
    ("lang", "period", "year", "text"),
    [
        ("en", "H1", 2022, "H1 2022"),
        ("en", "Jan-Oct", 2021, "Jan–Oct 2021"),
        ("en", "9M", 2018, "Jan–Sept 2018"),
        ("en", "annual", 2019, "2019"),
        ("ru", "Jan-Oct", 2021, "янв.–окт. 2021"),
    ],
)
def test_periods_are_named_in_the_readers_language(lang, period, year, text):
    assert Labels.build(Lang(lang), None).period(period, year) == text


def test_compact_source_line_names_every_outlet_once():
    sources = pd.DataFrame(
        [
            {
                "source_id": "huseynov2017",
                "kind": "article",
                "authors": "Rusif Huseynov",
                "title": "t",
                "publisher": "p",
                "year": 2017,
                "date": None,
                "doi_or_url": None,
            },
            {
                "source_id": "trend_a",
                "kind": "web",
                "authors": None,
                "title": "x",
                "publisher": "Trend",
                "year": 2023,
                "date": "2023-01-02",
                "doi_or_url": "https://en.trend.az/1",
            },
            {
                "source_id": "trend_b",
                "kind": "web",
                "authors": None,
                "title": "y",
                "publisher": "Trend",
                "year": 2024,
                "date": "2024-05-06",
                "doi_or_url": "https://en.trend.az/2",
            },
        ]
    )
    ids = ["huseynov2017", "trend_a", "trend_b"]
    assert provenance.source_line(sources, ids, Lang(), compact=True) == "Sources: Huseynov (2017); Trend."
    assert (
        provenance.source_line(sources, ids, Lang())
        == "Sources: Huseynov (2017); Trend, 2023-01-02; Trend, 2024-05-06."
    )


def test_compact_source_line_names_the_articles_first_and_counts_the_outlets_past_the_cap():
    web = [
        {"source_id": f"w{i}", "kind": "web", "publisher": f"Outlet {i}", "year": 2024, "date": "2024-01-01"}
        for i in range(provenance.MAX_NAMED + 3)
    ]
    article = {"source_id": "huseynov2017", "kind": "article", "authors": "Rusif Huseynov", "year": 2017}
    sources = pd.DataFrame([*web, article])
    ids = [r["source_id"] for r in web] + ["huseynov2017"]
    line = provenance.source_line(sources, ids, Lang(), compact=True)
    named = [f"Outlet {i}" for i in range(provenance.MAX_NAMED - 1)]
    assert line == (
        "Sources: Huseynov (2017); "
        + "; ".join(named)
        + "; and 4 more outlets (all in sources.csv and on Sources & data)."
    )
    one_more = provenance.source_line(sources, [*ids[: provenance.MAX_NAMED], "huseynov2017"], Lang(), compact=True)
    assert one_more.endswith("; and 1 more outlet (all in sources.csv and on Sources & data).")
    russian = provenance.source_line(sources, ids, Lang("ru"), compact=True)
    assert russian.startswith("Источники: Huseynov (2017); Outlet 0;")
    assert "и ещё 4 издания (все — в sources.csv" in russian  # the plural form for 4 in Russian


def test_a_long_source_line_is_shortened_after_its_first_entries():
    line = "Sources: A (2017); B, 2023-01-02; C; D."
    assert provenance.shortened(line, 4) == (line, 0)
    assert provenance.shortened(line, 2) == ("Sources: A (2017); B, 2023-01-02; …", 2)
    assert provenance.shortened("Источники: А; Б; В.", 1) == ("Источники: А; …", 2)


def test_the_every_year_table_cut_to_a_range_is_the_table_of_that_range():
    """table_in_years(every_year_table(t)) is turnover_table of the range's rows, for every range of the data:
    the change on the year before is blank in the range's first year, as if the year before were not there."""
    from components import app_data
    from components.shaping.filters import YearRange

    trade = app_data.table("trade_turnover")
    every = transforms.every_year_table(trade)
    for start in range(1990, 2027):
        for end in range(start, 2027, 3):
            years = YearRange(start, end)
            want = transforms.turnover_table(transforms.annual_turnover(transforms.in_years(trade, years)))
            got = transforms.table_in_years(every, years)
            if want.empty:
                assert got.empty, (start, end)
                continue
            pd.testing.assert_frame_equal(got, want, obj=f"{start}-{end}")
    assert every["total_change_pct"].notna().any(), "no change on the year before in the data: nothing checked"


def test_the_largest_volume_is_an_actual_whole_year_throughput_in_tonnes_where_there_is_one():
    def row(corridor, year, value, unit="million t", status="actual", metric="throughput", period="annual", scope=None):
        return {
            "corridor": corridor,
            "year": year,
            "value": value,
            "unit": unit,
            "status": status,
            "metric": metric,
            "period": period,
            "scope": scope,
            "qualifier": None,
        }

    volumes = pd.DataFrame(
        [
            row("btc", 2019, 30.0),
            row("btc", 2021, 30.0),  # equal value: the later year wins
            row("cpc", 2021, 60.0, status="planned"),  # a plan is not a throughput
            row("cpc", 2020, 55.0, metric="capacity"),
            row("titr", 2022, 99.0, period="9M"),  # part of a year
            row("kcts", 2022, 80.0, scope="oil only"),  # part of the traffic
            row("ports", 2023, 900000.0, unit="TEU"),  # not in tonnes, while some row is
        ]
    )
    top = transforms.largest_volume(volumes)
    assert (top["corridor"], top["year"], top["value"]) == ("btc", 2021, 30.0)
    teu = transforms.largest_volume(volumes[volumes["unit"] == "TEU"])
    assert (teu["corridor"], teu["unit"]) == ("ports", "TEU")  # no tonnes at all: the largest in any unit
    assert transforms.largest_volume(volumes[volumes["status"] == "planned"]) is None
