"""Year range from the URL (?from=&to=) and the year filters built on it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from components.shaping.filters import YearRange, filter_years, parse_year_range

LO, HI = 2001, 2022


def notice_text(parsed: YearRange) -> str:
    """The notice as a reader sees it (in English): its message with its parameters."""
    message, params = parsed.notice
    return message.format(**params)


# --- parse_year_range ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, expected",
    [
        ({}, (LO, HI)),
        ({"from": None, "to": None}, (LO, HI)),
        ({"from": "", "to": "  "}, (LO, HI)),
        ({"from": [], "to": []}, (LO, HI)),
        ({"from": "2012", "to": "2016"}, (2012, 2016)),
        ({"from": " 2012 ", "to": "2016"}, (2012, 2016)),
        ({"from": "2012"}, (2012, HI)),
        ({"to": "2012"}, (LO, 2012)),
        ({"from": "2012", "to": "2012"}, (2012, 2012)),
        ({"from": str(LO), "to": str(HI)}, (LO, HI)),
        ({"from": ["2012"], "to": ("2014", "2020")}, (2012, 2014)),  # list values: first one counts
    ],
    ids=[
        "empty",
        "none",
        "blank",
        "empty-lists",
        "both",
        "padded",
        "only-from",
        "only-to",
        "one-year",
        "exact-bounds",
        "list-values",
    ],
)
def test_valid_or_missing_values_give_no_notice(params, expected):
    parsed = parse_year_range(params, LO, HI)
    assert (parsed.start, parsed.end) == expected
    assert parsed.notice is None


MALFORMED = [
    "abc",
    "20x0",
    "<script>",
    "<script>alert(1)</script>",
    "2012.5",
    "12",
    "20120",
    "-2012",
    "2012-2013",
    "'; DROP TABLE",
    ["abc"],
    ["<b>2012</b>"],
    "\u0662\u0660\u0661\u0662x",
]


@pytest.mark.parametrize("key", ["from", "to"])
@pytest.mark.parametrize("raw", MALFORMED, ids=repr)
def test_malformed_value_falls_back_to_full_range_with_notice(key, raw):
    parsed = parse_year_range({key: raw}, LO, HI)
    assert (parsed.start, parsed.end) == (LO, HI)
    assert parsed.notice is not None
    assert "not a valid year" in notice_text(parsed)
    assert f"{LO}–{HI}" in notice_text(parsed)


def test_malformed_value_with_a_valid_other_end_still_falls_back():
    parsed = parse_year_range({"from": "2012", "to": "abc"}, LO, HI)
    assert (parsed.start, parsed.end) == (LO, HI)
    assert parsed.notice is not None


def test_reversed_range_falls_back_to_full_range_with_notice():
    parsed = parse_year_range({"from": "2016", "to": "2012"}, LO, HI)
    assert (parsed.start, parsed.end) == (LO, HI)
    assert "reversed" in notice_text(parsed)
    assert f"{LO}–{HI}" in notice_text(parsed)


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"from": "1990", "to": "2012"}, (LO, 2012)),
        ({"from": "2012", "to": "2040"}, (2012, HI)),
        ({"from": "1990", "to": "2040"}, (LO, HI)),
        ({"from": "1990"}, (LO, HI)),
        ({"to": "2040"}, (LO, HI)),
        ({"from": "2030", "to": "2040"}, (HI, HI)),  # wholly after the data: the last year
        ({"from": "1980", "to": "1990"}, (LO, LO)),  # wholly before the data: the first year
    ],
)
def test_out_of_range_is_clamped_with_notice(params, expected):
    parsed = parse_year_range(params, LO, HI)
    assert (parsed.start, parsed.end) == expected
    assert "outside the data" in notice_text(parsed)
    assert f"({LO}–{HI})" in notice_text(parsed)
    assert notice_text(parsed).endswith(f"showing {YearRange(*expected).label()}.")


@pytest.mark.parametrize(
    "params, raw",
    [
        ({"from": "<script>alert(1)</script>"}, ["<script>alert(1)</script>", "script"]),
        ({"to": "javascript:alert(1)"}, ["javascript", "alert"]),
        ({"from": "abc", "to": "xyz"}, ["abc", "xyz"]),
        ({"from": ["<img src=x>"]}, ["<img src=x>", "img"]),
        ({"from": "2012.5"}, ["2012.5"]),
        ({"from": "1987", "to": "2012"}, ["1987"]),  # out of range: the raw year is not repeated back
        ({"from": "2012", "to": "2049"}, ["2049"]),
        ({"from": "2015", "to": "2013"}, ["2015", "2013"]),  # reversed: neither raw year is repeated back
    ],
)
def test_notice_never_contains_the_raw_input(params, raw):
    parsed = parse_year_range(params, LO, HI)
    assert parsed.notice is not None
    for text in raw:
        assert text not in notice_text(parsed)
    assert "<" not in parsed.notice and ">" not in notice_text(parsed)


@pytest.mark.parametrize("start, end, label", [(2012, 2012, "2012"), (2012, 2016, "2012–2016")])
def test_label(start, end, label):
    assert YearRange(start, end).label() == label


# --- filter_years ----------------------------------------------------------------------------------


@pytest.fixture
def rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "year": pd.array([2005, 2011, 2012, 2013, None, 2016], dtype="Int64"),
            "value": pd.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], dtype="Float64"),
        }
    )


@pytest.mark.parametrize(
    "start, end, years",
    [
        (2011, 2013, [2011, 2012, 2013]),  # both edges are included
        (2012, 2012, [2012]),
        (2005, 2016, [2005, 2011, 2012, 2013, 2016]),
        (2006, 2010, []),
        (2017, 2020, []),
    ],
)
def test_filter_years_is_inclusive(rows, start, end, years):
    out = filter_years(rows, start, end)
    assert out["year"].tolist() == years


def test_filter_years_keeps_rows_without_a_year_only_if_asked(rows):
    assert filter_years(rows, 2011, 2013)["value"].tolist() == [2.0, 3.0, 4.0]
    kept = filter_years(rows, 2011, 2013, keep_missing=True)
    assert kept["value"].tolist() == [2.0, 3.0, 4.0, 5.0]
    assert kept["year"].isna().sum() == 1


@pytest.mark.parametrize("keep_missing, expected", [(False, [2.0]), (True, [1.0, 2.0])])
def test_filter_years_keep_missing_with_a_float_year_column(keep_missing, expected):
    frame = pd.DataFrame({"year": [np.nan, 2012.0, 2020.0], "value": [1.0, 2.0, 3.0]})
    assert filter_years(frame, 2010, 2015, keep_missing=keep_missing)["value"].tolist() == expected


def test_filter_years_on_another_column_and_empty_frame():
    frame = pd.DataFrame({"opened": pd.array([1999, 2006], dtype="Int64")})
    assert filter_years(frame, 2000, 2010, column="opened")["opened"].tolist() == [2006]
    empty = pd.DataFrame({"year": pd.array([], dtype="Int64")})
    assert filter_years(empty, 2000, 2010, keep_missing=True).empty


# --- year_bounds -----------------------------------------------------------------------------------


def test_missing_values_default_to_the_default_start_not_the_first_year():
    parsed = parse_year_range({}, 1920, 2025, default_start=1991)
    assert (parsed.start, parsed.end, parsed.notice) == (1991, 2025, None)
    assert (parse_year_range({"from": "1926"}, 1920, 2025, default_start=1991).start) == 1926  # history by asking


def test_a_bad_link_falls_back_to_the_defaults_with_a_notice():
    parsed = parse_year_range({"from": "x"}, 1920, 2025, default_start=1991)
    assert (parsed.start, parsed.end) == (1991, 2025)
    assert notice_text(parsed) == "The link's year range was not a valid year; showing 1991–2025."
