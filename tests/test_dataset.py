"""The real dataset: values a reader checks first, asserted against the article text; provenance rules."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest

from components.data import dictionary
from components.data.loading import load_dataset
from components.data.package import Package

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"
ARTICLE_FILES = {
    "hamzaoglu2021": "000_7e0742fedd9a5f5a.txt",
    "huseynov2017": "001_730680fc83fa3560.txt",
    "caspian2018": "002_cdf9a0b871e88b18.txt",
    "egamberdiyev2023": "003_496da33424e5fd9e.txt",
    "risbekkizi2022": "004_987aefdd48646593.txt",
}


@pytest.fixture(scope="module")
def data():
    tables = load_dataset(ROOT / "data")
    bad = {name: str(t) for name, t in tables.items() if isinstance(t, Exception)}
    assert not bad, bad
    return tables


@pytest.fixture(scope="module")
def articles():
    if not SEEDS.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"the source articles are missing at {SEEDS}; CI must check the data against them")
        pytest.skip("source articles not beside this checkout (../shared/seeds)")
    return {sid: (SEEDS / name).read_text(encoding="utf-8") for sid, name in ARTICLE_FILES.items()}


# Huseynov (2017), table "Trade turnover between Azerbaijan and Kazakhstan (by years)", million USD.
TRADE_TABLE = {
    (2005, "kz_to_az"): 129,
    (2005, "az_to_kz"): 3,
    (2005, "total"): 132,
    (2009, "total"): 236,
    (2011, "kz_to_az"): 218,
    (2011, "az_to_kz"): 58,
    (2011, "total"): 276,
    (2012, "kz_to_az"): 340.56,
    (2012, "az_to_kz"): 52.87,
    (2012, "total"): 393.43,
    (2013, "kz_to_az"): 306.76,
    (2013, "az_to_kz"): 64.23,
    (2013, "total"): 370.99,
    (2014, "kz_to_az"): 220.03,
    (2014, "az_to_kz"): 32.1,
    (2014, "total"): 252.1,
    (2015, "kz_to_az"): 98.92,
    (2015, "az_to_kz"): 17.96,
    (2015, "total"): 116.88,
}


@pytest.mark.parametrize(("key", "value"), TRADE_TABLE.items(), ids=lambda k: str(k))
def test_annual_trade_table_matches_the_article(data, articles, key, value):
    year, flow = key
    trade = data["trade_turnover"]
    rows = trade[
        (trade["year"] == year)
        & (trade["flow"] == flow)
        & (trade["period"] == "annual")
        & ~trade["is_derived"]
        & trade["source_id"].str.startswith("huseynov2017")
    ]
    assert rows["value_usd_m"].tolist() == [pytest.approx(value)]
    assert f"{value:g}" in articles["huseynov2017"].replace(",", "")


def test_part_year_figures_keep_their_period(data, articles):
    trade = data["trade_turnover"]
    h1_2016 = trade[(trade["year"] == 2016) & (trade["flow"] == "total") & trade["source_id"].str.contains("huseynov")]
    assert h1_2016["period"].tolist() == ["H1"]  # January–June, never 'annual'
    assert h1_2016["value_usd_m"].iloc[0] == pytest.approx(71.5, abs=0.01)
    assert "January–June" in articles["huseynov2017"]
    h1_2022 = trade[
        (trade["year"] == 2022)
        & (trade["flow"] == "total")
        & ~trade["is_derived"]
        & trade["source_id"].str.startswith("risbekkizi2022")
    ]
    assert h1_2022[["period", "value_usd_m"]].values.tolist() == [["H1", 326.6]]
    assert "326.6 million dollars" in articles["risbekkizi2022"]


def test_derived_values_are_flagged_with_their_method(data):
    trade = data["trade_turnover"]
    derived = trade[trade["is_derived"]]
    assert not derived.empty
    assert derived["note"].notna().all() and derived["note"].str.len().gt(20).all()
    total_2001 = derived[(derived["year"] == 2001) & (derived["flow"] == "total")]
    assert total_2001["value_usd_m"].iloc[0] == pytest.approx(276 / 2.6, abs=0.01)  # "increased by 2.6 times"
    assert total_2001["qualifier"].iloc[0] == "about"  # the multiple is rounded: drawn as approximate
    bound = derived[(derived["year"] == 2021) & (derived["period"] == "H1")]
    assert bound[["value_usd_m", "qualifier"]].values.tolist() == [[pytest.approx(54.43), "upper_bound"]]


def test_nazarbayev_visit_to_baku_in_september_1996(data, articles):
    visits = data["visits"]
    row = visits[(visits["visitor"] == "Nursultan Nazarbayev") & (visits["date"] == "1996-09-16")]
    assert len(row) == 1
    row = row.iloc[0]
    assert (row["end_date"], row["city"], row["visitor_country"], row["host_country"], row["visit_type"]) == (
        "1996-09-17",
        "Baku",
        "KZ",
        "AZ",
        "official",
    )
    assert "official visit to Baku on 16-17 September 1996" in articles["hamzaoglu2021"]
    agreements = data["agreements"]
    signed = agreements[agreements["date"].str.startswith("1996-09")]
    assert (
        "Agreement on the Basics of Relations between the Republic of Azerbaijan and the Republic of "
        "Kazakhstan" in set(signed["title"])
    )
    assert len(signed) >= 4  # basics of relations, investments, oil and gas, air transport, Caspian declaration


def test_first_kazakh_oil_through_btc_keeps_both_dates(data):
    events = data["events"]
    btc = events[(events["route_id"] == "btc") & events["date"].str.startswith("2008")]
    assert {"2008-11-03", "2008-10"} <= set(btc["date"])
    pair = data["discrepancies"]
    assert pair["topic"].str.contains("BTC").any()


def test_diaspora_census_counts(data, articles):
    diaspora = data["diaspora"].set_index(["year", "measure"])
    for year, count in ((1939, 12996), (1970, 56166), (1979, 73345), (1989, 90083)):
        assert diaspora.loc[(year, "census"), "population"] == count
        assert f"{count:,}" in articles["huseynov2017"] or str(count) in articles["huseynov2017"]


def test_middle_corridor_2022_the_article_and_the_ministry_both_kept(data):
    titr = data["corridor_volumes"].query("corridor == 'titr' and unit == 'million t' and metric == 'throughput'")
    actual_2022 = titr.query("year == 2022 and status == 'actual' and period == 'annual'")
    by_source = dict(zip(actual_2022["source_id"], actual_2022["value"]))
    assert by_source["egamberdiyev2023;chang_middle_corridor"] == 3.2  # as the article prints it
    assert by_source["report_2026_03_10"] == 1.485  # the Kazakh transport ministry's series
    disagreement = data["discrepancies"]["subjects"].fillna("").str.contains("corridor_volumes:titr:2022:throughput")
    assert disagreement.any(), "the two 2022 figures are a recorded disagreement"


def test_every_row_cites_a_source_and_web_rows_cite_web_pages_fully(data):
    sources = data["sources"].set_index("source_id")
    for name, frame in data.items():
        if name == "sources" or "source_id" not in frame:
            continue
        assert frame["source_id"].notna().all() or name == "route_points", name
    web = sources[sources["kind"] == "web"]
    assert len(web) >= 25
    assert web["doi_or_url"].str.match(r"^https?://\S+$").all()
    assert web["date"].notna().all() and web["accessed"].notna().all()
    assert sources["doi_or_url"].dropna().str.match(r"^https?://").all(), "only http(s) addresses: no javascript:"


def test_trade_has_a_full_year_total_for_every_year_2018_to_2024(data):
    trade = data["trade_turnover"]
    totals = trade[(trade["period"] == "annual") & (trade["flow"] == "total") & trade["qualifier"].isna()]
    assert set(range(2018, 2025)) <= set(totals["year"])
    assert set(trade["reporter"]) == {"AZ", "KZ", "other"}


def test_middle_corridor_tonnage_for_every_year_2019_to_2025(data):
    titr = data["corridor_volumes"].query(
        "corridor == 'titr' and metric == 'throughput' and status == 'actual' "
        "and period == 'annual' and unit in ('t', 'thousand t', 'million t')"
    )
    assert set(range(2019, 2026)) <= set(titr["year"])


# Figures checked against the pages they were read on (the merge report's spot checks: value as the page states it).
WEB_SPOT_CHECKS = [
    (
        "trade_turnover",
        {"year": 2018, "period": "annual", "flow": "total", "reporter": "KZ"},
        "value_usd_m",
        258.26,
        "azernews_2019",
    ),
    (
        "trade_turnover",
        {"year": 2019, "period": "annual", "flow": "total", "reporter": "AZ"},
        "value_usd_m",
        229.6,
        "azernews_2020_01_16",
    ),
    (
        "trade_turnover",
        {"year": 2022, "period": "annual", "flow": "total", "reporter": "KZ"},
        "value_usd_m",
        461.9,
        "astanatimes_2023_04",
    ),
    (
        "trade_turnover",
        {"year": 2023, "period": "annual", "flow": "total", "reporter": "KZ"},
        "value_usd_m",
        529.4,
        "inform_kz_2024_08_08",
    ),
    (
        "trade_turnover",
        {"year": 2024, "period": "annual", "flow": "total", "reporter": "other"},
        "value_usd_m",
        470.0,
        "azertag_2025_10_14;eurasianstar_2025_10;day_az_2025_10_20",
    ),
    (
        "trade_turnover",
        {"year": 2025, "period": "7M", "flow": "total", "reporter": "AZ"},
        "value_usd_m",
        517.1,
        "trend_2025_08_28",
    ),
    (
        "corridor_volumes",
        {
            "corridor": "titr",
            "year": 2022,
            "period": "annual",
            "metric": "throughput",
            "status": "actual",
            "unit": "million t",
        },
        "value",
        1.485,
        "report_2026_03_10",
    ),
    (
        "corridor_volumes",
        {
            "corridor": "port_baku",
            "year": 2025,
            "period": "annual",
            "metric": "throughput",
            "status": "actual",
            "unit": "TEU",
        },
        "value",
        107054,
        "report_2026_01_06",
    ),
    (
        "corridor_volumes",
        {
            "corridor": "btc",
            "year": 2025,
            "period": "H1",
            "metric": "throughput",
            "status": "actual",
            "unit": "thousand t",
        },
        "value",
        785,
        "bairdmaritime_2025_08_27",
    ),
    ("diaspora", {"group": "az_in_kz", "year": 1959, "measure": "census"}, "population", 38362, "encycloreader_azkz"),
    (
        "diaspora",
        {"group": "az_in_kz", "year": 2024, "measure": "official"},
        "population",
        152800,
        "bizmedia_2024_05_01;diasporatv_2024_05_01",
    ),
]


@pytest.mark.parametrize(
    ("table", "key", "column", "value", "source"),
    WEB_SPOT_CHECKS,
    ids=[f"{t}-{'-'.join(map(str, k.values()))}" for t, k, *_ in WEB_SPOT_CHECKS],
)
def test_web_figures_are_stored_as_their_pages_state_them(data, table, key, column, value, source):
    frame = data[table]
    rows = frame[(frame[list(key)] == pd.Series(key)).all(axis=1) & (frame["source_id"] == source)]
    assert rows[column].astype(float).tolist() == [pytest.approx(value)]
    page = data["sources"].set_index("source_id").loc[source.split(";")[0]]
    assert page["kind"] in ("web", "primary") and page["doi_or_url"].startswith("http")


def test_two_state_visits_with_their_dates(data):
    visits = data["visits"]
    tokayev = visits[(visits["visitor"] == "Kassym-Jomart Tokayev") & (visits["date"] == "2024-03-11")].iloc[0]
    assert (tokayev["end_date"], tokayev["host_country"], tokayev["visit_type"]) == ("2024-03-12", "AZ", "state")
    aliyev = visits[(visits["visitor"] == "Ilham Aliyev") & (visits["date"] == "2025-10-20")].iloc[0]
    assert (aliyev["end_date"], aliyev["host_country"], aliyev["visit_type"]) == ("2025-10-21", "KZ", "state")
    councils = visits[visits["visit_type"] == "council"]
    assert set(councils["date"].str[:7]) >= {"2024-03", "2025-10"}  # the Supreme Interstate Council's meetings


def test_every_disagreement_names_rows_that_exist(data):
    from components.shaping.corridors import keys_of

    known = set()
    for name in (
        "trade_turnover",
        "corridor_volumes",
        "indicators",
        "diaspora",
        "visits",
        "agreements",
        "events",
        "commission_sessions",
    ):
        known |= keys_of(name, data[name])
    known |= {f"sources:{s}" for s in data["sources"]["source_id"]} | {
        f"routes:{r}" for r in data["routes"]["route_id"]
    }
    known |= {f"facilities:{f}" for f in data["facilities"]["facility_id"]}
    missing = []
    for topic, subjects in zip(data["discrepancies"]["topic"], data["discrepancies"]["subjects"]):
        keys = [k.strip() for k in str(subjects).split(";") if k.strip()]
        assert keys, f"{topic!r} names no rows"
        missing += [(topic, k) for k in keys if k not in known and not k.startswith("trade_products:")]
    assert not missing, missing[:10]


def test_coverage_is_the_years_the_data_has(data):
    start, end = Package.read(ROOT / "data").coverage
    years = pd.concat(
        [
            frame[c].dropna()
            for name, frame in data.items()
            if name != "sources"
            for c in ("year", "stated_year")
            if c in frame
        ]
    )
    assert (start, end) == (int(years.min()), int(years.max()))


def test_primary_sources_say_which_article_cites_them(data):
    sources = data["sources"]
    primary = sources[sources["kind"] == "primary"]
    assert len(primary) > 20
    assert primary["cited_in"].notna().all()


def test_data_readme_is_generated_from_the_metadata():
    assert (ROOT / "data" / "README.md").read_text(encoding="utf-8") == dictionary.render(), (
        "data/README.md is stale: run `python -m components.data.dictionary`"
    )


_WORD = re.compile(r"[a-z0-9]+")
TEXT_COLUMNS = {"occasion", "event", "note", "description", "label", "claim_a", "claim_b", "geometry_note"}


def _ngrams(words: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def test_no_sentence_is_copied_from_an_article(data, articles):
    """Descriptions are ours: no text cell shares 8 or more consecutive words with an article."""
    n = 8
    seen = set().union(*(_ngrams(_WORD.findall(text.lower()), n) for text in articles.values()))
    copied = []
    for name, frame in data.items():
        for column in TEXT_COLUMNS & set(frame.columns):
            for value in frame[column].dropna():
                if _ngrams(_WORD.findall(str(value).lower()), n) & seen:
                    copied.append((name, column, str(value)[:80]))
    assert not copied, copied
