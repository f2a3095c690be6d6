"""Source citations: ids in rows, short citations, the source line, rows per source."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from components import provenance
from tests.frames import frame, sources, trade


@pytest.fixture
def src() -> pd.DataFrame:
    return sources()


def source_row(src: pd.DataFrame, source_id: str) -> pd.Series:
    return src.set_index("source_id", drop=False).loc[source_id]


@pytest.mark.parametrize(
    "value, ids",
    [
        ("huseynov2017", ["huseynov2017"]),
        ("huseynov2017;azstat_2016", ["huseynov2017", "azstat_2016"]),
        (" huseynov2017 ; azstat_2016 ;", ["huseynov2017", "azstat_2016"]),
        (";;", []),
        ("", []),
        (None, []),
        (np.nan, []),
        (pd.NA, []),
    ],
)
def test_split_ids(value, ids):
    assert provenance.split_ids(value) == ids


def test_source_ids_in_order_of_first_use_across_frames():
    first = trade((2011, "annual", "total", 276.0, False, "huseynov2017;azstat_2016"),
                  (2012, "annual", "total", 393.43, False, "huseynov2017;mineconomy_az_2012"))
    second = frame("visits", [{"date": "2022-08-24", "visitor": "Tokayev", "visitor_country": "KZ",
                               "host_country": "AZ", "visit_type": "official", "occasion": "State visit",
                               "source_id": "risbekkizi2022;azstat_2016"}])
    no_column = pd.DataFrame({"x": [1]})
    assert provenance.source_ids_in(first, no_column, second) == [
        "huseynov2017", "azstat_2016", "mineconomy_az_2012", "risbekkizi2022"]
    assert provenance.source_ids_in() == []
    assert provenance.source_ids_in(first.iloc[0:0]) == []


@pytest.mark.parametrize(
    "source_id, citation",
    [
        ("huseynov2017", "Huseynov (2017)"),  # article: surname and year
        ("egamberdiyev2023", "Egamberdiyev & Shaldarbekova (2023)"),  # two authors
        ("caspian2018", "Azerbaijan - Kazakhstan: Caspian cooperation and prospects (2018)"),  # no author: title
        ("mineconomy_az_2012", "Ministry of Economy of Azerbaijan (2012)"),  # primary: publisher
        ("azstat_2016", "Statistical Committee of the Republic of Azerbaijan (2016)"),  # primary author in full
        ("trend_2016_09_17", "Trend News Agency"),  # no year: no brackets
    ],
)
def test_short_citation(src, source_id, citation):
    assert provenance.short_citation(source_row(src, source_id)) == citation


def test_short_citation_three_authors_is_et_al():
    row = frame("sources", [{"source_id": "x", "kind": "article", "authors": "Ann Lee; Bo Kim; Cy Ray",
                             "title": "T", "year": 2020}]).iloc[0]
    assert provenance.short_citation(row) == "Lee et al. (2020)"


def test_short_citation_of_a_primary_source_without_publisher_is_its_title():
    row = frame("sources", [{"source_id": "x", "kind": "primary", "title": "Report on trade", "year": 2014}]).iloc[0]
    assert provenance.short_citation(row) == "Report on trade (2014)"


def test_source_line_names_the_sources_of_the_rows_shown(src):
    rows = trade((2012, "annual", "total", 393.43, False, "huseynov2017;mineconomy_az_2012"),
                 (2016, "H1", "total", 71.5, False, "huseynov2017;azstat_2016"))
    assert provenance.source_line(src, rows) == (
        "Sources: Huseynov (2017); Ministry of Economy of Azerbaijan (2012); "
        "Statistical Committee of the Republic of Azerbaijan (2016).")


def test_source_line_unknown_ids_missing_sources_and_no_rows(src):
    rows = trade((2012, "annual", "total", 393.43, False, "huseynov2017;not_in_sources"))
    assert provenance.source_line(src, rows) == "Sources: Huseynov (2017); not_in_sources."
    assert provenance.source_line(None, rows) == "Sources: huseynov2017; not_in_sources."
    assert provenance.source_line(src.iloc[0:0], rows) == "Sources: huseynov2017; not_in_sources."
    assert provenance.source_line(src, rows.iloc[0:0]) == "Sources: none (no rows shown)."


def test_rows_per_source_counts_across_tables_including_unused_sources(src):
    tables = {
        "sources": src,  # not counted as rows backed by sources
        "trade_turnover": trade((2011, "annual", "total", 276.0, False, "huseynov2017;azstat_2016"),
                                (2012, "annual", "total", 393.43, False, "huseynov2017;mineconomy_az_2012"),
                                (2016, "H1", "total", 71.5, False, "huseynov2017;azstat_2016")),
        "events": frame("events", [{"date": "2016-09", "category": "economy", "event": "Commission meets",
                                    "source_id": "huseynov2017"},
                                   {"date": "2018", "category": "caspian", "event": "Caspian talks",
                                    "source_id": "caspian2018"}]),
        "routes": None,  # a table that failed to load
        "route_points": pd.DataFrame({"place": ["Baku"]}),  # no source_id column
    }
    counts = provenance.rows_per_source(tables, src).set_index("source_id")
    assert list(counts.columns) == ["rows", "tables"]
    assert counts.loc["huseynov2017"].tolist() == [4, "events (1), trade_turnover (3)"]
    assert counts.loc["azstat_2016"].tolist() == [2, "trade_turnover (2)"]
    assert counts.loc["mineconomy_az_2012"].tolist() == [1, "trade_turnover (1)"]
    assert counts.loc["caspian2018"].tolist() == [1, "events (1)"]
    for unused in ("egamberdiyev2023", "trend_2016_09_17"):
        assert counts.loc[unused].tolist() == [0, ""]
    assert set(counts.index) == set(src["source_id"])
    assert counts["rows"].sum() == 8  # 3 trade rows x 2 ids + 2 events


def test_rows_per_source_lists_ids_missing_from_sources(src):
    tables = {"events": frame("events", [{"date": "2018", "category": "other", "event": "e",
                                          "source_id": "unknown_id"}])}
    counts = provenance.rows_per_source(tables, src).set_index("source_id")
    assert counts.loc["unknown_id"].tolist() == [1, "events (1)"]


def test_with_citations_adds_a_cite_column(src):
    rows = trade((2012, "annual", "total", 393.43, False, "huseynov2017;mineconomy_az_2012"),
                 (2016, "H1", "total", 71.5, False, "unknown_id"))
    cited = provenance.with_citations(rows, src)
    assert cited["cite"].tolist() == ["Huseynov (2017), Ministry of Economy of Azerbaijan (2012)", "unknown_id"]
    assert "cite" not in rows.columns  # a copy
    assert cited.drop(columns="cite").equals(rows)


def test_with_citations_without_sources_uses_the_ids(src):
    rows = trade((2012, "annual", "total", 393.43, False, "huseynov2017;mineconomy_az_2012"))
    assert provenance.with_citations(rows, None)["cite"].tolist() == ["huseynov2017, mineconomy_az_2012"]
    assert provenance.with_citations(rows.iloc[0:0], src)["cite"].tolist() == []


def test_table_overview_and_columns_explained():
    rows = trade((2011, "annual", "total", 276.0, False, "a"), (2016, "H1", "total", 71.5, False, "a"))
    meta = {"title": "Trade turnover", "description": "Bilateral trade",
            "fields": [{"name": "flow", "type": "string", "constraints": {"required": True,
                                                                          "enum": ["kz_to_az", "az_to_kz", "total"]}},
                       {"name": "value_usd_m", "type": "number", "unit": "million USD",
                        "constraints": {"minimum": 0}}]}
    overview = provenance.table_overview("trade_turnover", rows, None, meta)
    assert (overview["rows"], overview["years"], overview["status"]) == (2, "2011–2016", "ok")
    failed = provenance.table_overview("visits", None, "visits.csv: file not found\nmore", {})
    assert (failed["rows"], failed["status"], failed["title"]) == (None, "invalid: visits.csv: file not found",
                                                                  "visits")
    explained = provenance.columns_explained(meta).set_index("column")
    assert explained.loc["flow", "allowed"] == "kz_to_az, az_to_kz, total"
    assert bool(explained.loc["flow", "required"]) is True
    assert explained.loc["value_usd_m", "allowed"] == "0 …"
    assert explained.loc["value_usd_m", "unit"] == "million USD"


def test_source_line_inside_charts_counts_primary_sources_beyond_the_limit():
    sources = pd.DataFrame({
        "source_id": ["huseynov2017", "p1", "p2", "p3"], "kind": ["article", "primary", "primary", "primary"],
        "authors": ["Rusif Huseynov", None, None, None], "title": ["T", "One", "Two", "Three"],
        "publisher": [None, "Office A", "Office B", "Office C"], "year": [2017, 2012, 2013, 2014],
    })
    rows = pd.DataFrame({"source_id": ["huseynov2017;p1", "huseynov2017;p2", "huseynov2017;p3"]})
    line = provenance.source_line(sources, rows, max_primary=1)
    assert line == ("Sources: Huseynov (2017); Office A (2012); and 2 primary sources they cite "
                    "(listed under the chart).")
    assert provenance.source_line(sources, rows).count(";") == 3  # the full list names all four
