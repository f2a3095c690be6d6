"""The real dataset: values a reader checks first, asserted against the article text; provenance rules."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from components import dictionary, schema
from components.loading import load_dataset

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"
ARTICLE_FILES = {
    "hamzaoglu2021": "000_7e0742fedd9a5f5a.txt", "huseynov2017": "001_730680fc83fa3560.txt",
    "caspian2018": "002_cdf9a0b871e88b18.txt", "egamberdiyev2023": "003_496da33424e5fd9e.txt",
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
    (2005, "kz_to_az"): 129, (2005, "az_to_kz"): 3, (2005, "total"): 132, (2009, "total"): 236,
    (2011, "kz_to_az"): 218, (2011, "az_to_kz"): 58, (2011, "total"): 276,
    (2012, "kz_to_az"): 340.56, (2012, "az_to_kz"): 52.87, (2012, "total"): 393.43,
    (2013, "kz_to_az"): 306.76, (2013, "az_to_kz"): 64.23, (2013, "total"): 370.99,
    (2014, "kz_to_az"): 220.03, (2014, "az_to_kz"): 32.1, (2014, "total"): 252.1,
    (2015, "kz_to_az"): 98.92, (2015, "az_to_kz"): 17.96, (2015, "total"): 116.88,
}


@pytest.mark.parametrize(("key", "value"), TRADE_TABLE.items(), ids=lambda k: str(k))
def test_annual_trade_table_matches_the_article(data, articles, key, value):
    year, flow = key
    trade = data["trade_turnover"]
    rows = trade[(trade["year"] == year) & (trade["flow"] == flow) & (trade["period"] == "annual")
                 & ~trade["is_derived"] & trade["source_id"].str.contains("huseynov2017")]
    assert rows["value_usd_m"].tolist() == [pytest.approx(value)]
    assert f"{value:g}" in articles["huseynov2017"].replace(",", "")


def test_part_year_figures_keep_their_period(data, articles):
    trade = data["trade_turnover"]
    h1_2016 = trade[(trade["year"] == 2016) & (trade["flow"] == "total")]
    assert h1_2016["period"].tolist() == ["H1"]  # January–June, never 'annual'
    assert h1_2016["value_usd_m"].iloc[0] == pytest.approx(71.5, abs=0.01)
    assert "January–June" in articles["huseynov2017"]
    h1_2022 = trade[(trade["year"] == 2022) & (trade["flow"] == "total") & ~trade["is_derived"]]
    assert h1_2022[["period", "value_usd_m"]].values.tolist() == [["H1", 326.6]]
    assert "326.6 million dollars" in articles["risbekkizi2022"]


def test_derived_values_are_flagged_with_their_method(data):
    trade = data["trade_turnover"]
    derived = trade[trade["is_derived"]]
    assert not derived.empty
    assert derived["note"].notna().all() and derived["note"].str.len().gt(20).all()
    total_2001 = derived[(derived["year"] == 2001) & (derived["flow"] == "total")]
    assert total_2001["value_usd_m"].iloc[0] == pytest.approx(276 / 2.6, abs=0.01)  # "increased by 2.6 times"


def test_nazarbayev_visit_to_baku_in_september_1996(data, articles):
    visits = data["visits"]
    row = visits[(visits["visitor"] == "Nursultan Nazarbayev") & (visits["date"] == "1996-09-16")]
    assert len(row) == 1
    row = row.iloc[0]
    assert (row["end_date"], row["city"], row["visitor_country"], row["host_country"], row["visit_type"]) == (
        "1996-09-17", "Baku", "KZ", "AZ", "official")
    assert "official visit to Baku on 16-17 September 1996" in articles["hamzaoglu2021"]
    agreements = data["agreements"]
    signed = agreements[agreements["date"].str.startswith("1996-09")]
    assert "Agreement on the Basics of Relations between the Republic of Azerbaijan and the Republic of " \
           "Kazakhstan" in set(signed["title"])
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


def test_middle_corridor_2022_cargo_and_expected_capacity(data):
    titr = data["corridor_volumes"].query("corridor == 'titr' and unit == 'million t'")
    assert titr.query("year == 2022 and status == 'actual'")["value"].tolist() == [3.2]
    assert titr.query("metric == 'capacity'")["status"].isin(["expected", "planned", "target"]).all()


def test_every_row_cites_an_article_first(data):
    articles = set(data["sources"].query("kind == 'article'")["source_id"])
    for name, frame in data.items():
        if name in ("sources",) or "source_id" not in frame:
            continue
        first = frame["source_id"].str.split(";").str[0]
        assert first.isin(articles).all(), (name, frame.loc[~first.isin(articles), "source_id"].tolist()[:5])


def test_primary_sources_say_which_article_cites_them(data):
    sources = data["sources"]
    primary = sources[sources["kind"] == "primary"]
    assert len(primary) > 20
    assert primary["cited_in"].notna().all()


def test_data_readme_is_generated_from_the_metadata():
    assert (ROOT / "data" / "README.md").read_text(encoding="utf-8") == dictionary.render(), (
        "data/README.md is stale: run `python -m components.dictionary`")


_WORD = re.compile(r"[a-z0-9]+")
TEXT_COLUMNS = {"occasion", "event", "note", "description", "label", "claim_a", "claim_b", "geometry_note"}


def _ngrams(words: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def test_no_sentence_is_copied_from_an_article(data, articles):
    """Descriptions are ours: no text cell shares 8 or more consecutive words with an article."""
    n = 8
    seen = set().union(*(_ngrams(_WORD.findall(text.lower()), n) for text in articles.values()))
    copied = []
    for name, frame in data.items():
        for column in TEXT_COLUMNS & set(frame.columns) & set(schema.contract_columns(name)):
            for value in frame[column].dropna():
                if _ngrams(_WORD.findall(str(value).lower()), n) & seen:
                    copied.append((name, column, str(value)[:80]))
    assert not copied, copied
