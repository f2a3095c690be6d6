"""Loading and validation (components/data): the real data passes, each rule catches a deliberately broken copy,
and a broken file or datapackage.json becomes a DataError naming the file, line, column and value."""

from __future__ import annotations

import ast
import csv
import json
import pickle
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from components.data import loading, reading, schema
from components.data.loading import (
    MAX_KEPT,
    MAX_LISTED,
    DataError,
    Problem,
    Problems,
    expected_dtypes,
    load_dataset,
    load_table,
    read_typed,
)
from components.data.package import DTYPES, Package

ROOT = Path(__file__).parents[1]
DATA_DIR = ROOT / "data"
PKG = Package.read(DATA_DIR)
NAMES = PKG.names
DATA_MODULES = sorted(p.stem for p in (ROOT / "components" / "data").glob("*.py") if p.stem != "__init__")


# --- helpers: edit a CSV copy with the csv module and know the line of each row ----------------


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]], list[int]]:
    """Header, rows as dicts, and the physical start line of each row (header = line 1)."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows, lines = [], []
        while True:
            start = reader.line_num + 1
            row = next(reader, None)
            if row is None:
                break
            if row:
                rows.append(dict(zip(header, row)))
                lines.append(start)
    return header, rows, lines


def write_rows(path: Path, header: list[str], rows: list[dict[str, str]]) -> list[int]:
    """Write rows back; return the start line of each row as written."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return read_rows(path)[2]


def set_cells(path: Path, row: int, **values: str) -> int:
    """Set cells of data row `row` (0-based); return that row's CSV line."""
    header, rows, _ = read_rows(path)
    rows[row].update(values)
    return write_rows(path, header, rows)[row]


def append_rows(path: Path, *new: dict[str, str]) -> list[int]:
    """Append rows (missing cells empty); return their CSV lines."""
    header, rows, _ = read_rows(path)
    rows += [{c: r.get(c, "") for c in header} for r in new]
    return write_rows(path, header, rows)[-len(new) :]


def first_row(path: Path, **match: str) -> int:
    _, rows, _ = read_rows(path)
    return next(i for i, r in enumerate(rows) if all(r[k] == v for k, v in match.items()))


def n_rows(path: Path) -> int:
    """Data rows of a CSV, counted from the file itself (the real data grows while the tests run)."""
    return len(read_rows(path)[1])


def raw_frame(path: Path) -> pd.DataFrame | None:
    """A table read straight from its CSV as text (empty = missing): what a table is checked against, so a
    cross-table test does not depend on that table validating."""
    if not path.is_file():
        return None
    header, rows, _ = read_rows(path)
    return pd.DataFrame([{c: (r.get(c) or None) for c in header} for r in rows], columns=header, dtype=object)


def deps(folder: Path, name: str) -> dict[str, pd.DataFrame | None]:
    pkg = Package.read(folder)
    return {d: raw_frame(pkg.path(d)) for d in pkg.dependencies(name)}


def load(name: str, folder: Path) -> pd.DataFrame:
    return load_table(name, folder, deps(folder, name))


def cell(table: str, line: int, column: str, value: str, rule: str) -> str:
    return f"{table}.csv, line {line}, column {column}: value '{value}' breaks rule '{rule}"


def problems_of(name: str, folder: Path) -> DataError:
    with pytest.raises(DataError) as info:
        load(name, folder)
    return info.value


@pytest.fixture
def fresh_app_data(monkeypatch, tmp_path):
    """components.app_data with nothing cached (its caches are process-wide) and a store of its own."""
    from components import app_data

    monkeypatch.setenv("AZKZ_STORE_DIR", str(tmp_path / "store"))

    def clear():
        app_data._tables.clear()
        app_data._views.clear()
        app_data._last_good.clear()
        app_data._stale.clear()

    clear()
    yield app_data
    clear()


# --- the real data ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real() -> tuple[dict, dict]:
    """Every real table and, read at the same moment, the number of data rows of its CSV."""
    tables = load_dataset(DATA_DIR)
    return tables, {name: n_rows(PKG.path(name)) for name in NAMES if PKG.path(name).is_file()}


@pytest.mark.parametrize("name", NAMES)
def test_real_table_exists_and_passes_every_rule(real, name):
    tables, rows = real
    assert PKG.path(name).is_file(), f"{name}: CSV file missing"
    result = tables[name]
    if rows[name] == 0:  # a table still waiting for its rows: only that is wrong with it
        assert isinstance(result, DataError)
        assert [str(p) for p in result.problems] == [f"{PKG.file_name(name)}: file has a header but no rows"]
        return
    assert not isinstance(result, DataError), str(result)
    assert len(result) == rows[name]
    assert list(result.columns[: len(PKG.columns(name))]) == PKG.columns(name)


def test_real_frames_are_typed_per_contract(real):
    tables, _ = real
    for name, df in tables.items():
        if isinstance(df, DataError):
            continue
        for field in PKG.fields(name):
            assert str(df[field["name"]].dtype) == DTYPES[field.get("type", "string")], (name, field["name"])
        # what the store checks a stored copy against: a mismatch would make every stored copy a miss
        assert {c: str(t) for c, t in df.dtypes.items()} == expected_dtypes(PKG, name), name
        assert list(df.columns) == list(expected_dtypes(PKG, name)), name


def test_tables_with_a_date_get_year_and_date_start(data_copy):
    path = data_copy / "visits.csv"
    header, rows, _ = read_rows(path)
    rows[0].update(date="2019-09", date_precision="month", end_date="")
    rows[1].update(date="2018", date_precision="year", end_date="")
    write_rows(path, header, rows)
    df = load("visits", data_copy)
    assert list(df.columns) == [*PKG.columns("visits"), "year", "date_start"]
    assert str(df["year"].dtype) == "Int64"
    assert pd.api.types.is_datetime64_any_dtype(df["date_start"])
    assert (df.loc[0, "year"], df.loc[0, "date_start"]) == (2019, pd.Timestamp("2019-09-01"))
    assert (df.loc[1, "year"], df.loc[1, "date_start"]) == (2018, pd.Timestamp("2018-01-01"))
    assert isinstance(df.index, pd.RangeIndex)


# --- the package --------------------------------------------------------------------------------


def test_package_reads_foreign_keys_with_delimiter_and_alternative():
    refs = {r.fields: r for r in PKG.references("agreements")}
    source = refs[("source_id",)]
    assert (source.resource, source.target, source.delimiter, source.alternative) == (
        "sources",
        ("source_id",),
        ";",
        None,
    )
    route = refs[("route_id",)]
    assert (route.resource, route.target, route.alternative) == (
        "routes",
        ("route_id",),
        ("facilities", ("facility_id",)),
    )
    assert route.resources == ("routes", "facilities")
    [cited] = PKG.references("sources")
    assert (cited.fields, cited.resource, cited.delimiter) == (("cited_in",), "sources", ";")  # "" = itself
    assert PKG.dependencies("sources") == ()


def test_package_closure_puts_dependencies_first():
    order = PKG.closure(["route_points", "agreements"])
    assert set(order) == {"route_points", "agreements", "sources", "routes", "facilities"}
    for name in order:
        assert all(order.index(dep) < order.index(name) for dep in PKG.dependencies(name)), (name, order)
    assert PKG.closure(NAMES)[0] == "sources"


def test_package_coverage_comes_from_x_coverage():
    raw = json.loads((DATA_DIR / "datapackage.json").read_text(encoding="utf-8"))["x_coverage"]
    assert PKG.coverage == (raw["start"], raw["end"])
    assert PKG.default_start == raw.get("default_start", raw["start"])


def test_package_is_read_only():
    with pytest.raises(TypeError):
        PKG.raw["resources"] = ()  # type: ignore[index]
    assert isinstance(PKG.raw["resources"], tuple)


# --- the schema ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_pandera_schema_follows_datapackage(name):
    import pandera.pandas as pa

    sch = schema.pandera_schema(PKG, name)
    assert isinstance(sch, pa.DataFrameSchema)
    assert list(sch.columns) == PKG.columns(name)
    assert sch.strict is True and sch.ordered is True
    key = PKG.primary_key(name)
    assert list(sch.unique or []) == (key if len(key) > 1 else [])
    for field in PKG.fields(name):
        column = sch.columns[field["name"]]
        assert column.nullable is not field.get("constraints", {}).get("required", False)
        if key == [field["name"]]:
            assert column.unique


# --- each rule on a deliberately broken copy ----------------------------------------------------


def _wrong_integer(d):
    return "trade_turnover", cell(
        "trade_turnover", set_cells(d / "trade_turnover.csv", 0, year="abc"), "year", "abc", "type(integer"
    )


def _integer_too_long(d):  # 25 digits: beyond int64, must not be an OverflowError
    value = "1234567890123456789012345"
    line = set_cells(d / "trade_turnover.csv", 0, year=value)
    return "trade_turnover", cell("trade_turnover", line, "year", value, "type(integer, at most 18 digits)")


def _wrong_number(d):
    line = set_cells(d / "trade_turnover.csv", 0, value_usd_m="1,5")
    return "trade_turnover", cell("trade_turnover", line, "value_usd_m", "1,5", "type(number")


def _infinite_number(d):
    line = set_cells(d / "trade_turnover.csv", 0, value_usd_m="1e400")
    return "trade_turnover", cell("trade_turnover", line, "value_usd_m", "1e400", "type(number, finite)")


def _wrong_boolean(d):
    line = set_cells(d / "trade_turnover.csv", 0, is_derived="yes")
    return "trade_turnover", cell("trade_turnover", line, "is_derived", "yes", "type(boolean")


def _negative(d):
    line = set_cells(d / "trade_turnover.csv", 0, value_usd_m="-5")
    return "trade_turnover", cell("trade_turnover", line, "value_usd_m", "-5", "greater_than_or_equal_to(0)")


def _latitude(d):
    return "route_points", cell(
        "route_points", set_cells(d / "route_points.csv", 0, lat="95"), "lat", "95", "in_range(-90, 90)"
    )


def _enum(d):
    line = set_cells(d / "trade_turnover.csv", 0, flow="bogus")
    return "trade_turnover", cell("trade_turnover", line, "flow", "bogus", "isin(")


def _pattern(d):
    line = set_cells(d / "visits.csv", 0, visitor_country="Azerbaijan")
    return "visits", cell("visits", line, "visitor_country", "Azerbaijan", "str_matches(")


def _impossible_date(d):
    line = set_cells(d / "visits.csv", 0, date="2019-09-31", date_precision="day", end_date="")
    return "visits", cell("visits", line, "date", "2019-09-31", "partial_date(")


def _precision_mismatch(d):
    line = set_cells(d / "visits.csv", 0, date="2019-09", date_precision="day", end_date="")
    return "visits", cell("visits", line, "date", "2019-09", "date matches date_precision")


def _end_before_start(d):
    line = set_cells(d / "visits.csv", 0, date="2019-09-10", date_precision="day", end_date="2019-09-01")
    return "visits", cell("visits", line, "end_date", "2019-09-01", "end_date >= date")


def _impossible_date_type(d):  # a Table Schema `date` field (not a partial date): a real day
    row = first_row(d / "sources.csv", kind="web")
    line = set_cells(d / "sources.csv", row, accessed="2024-02-30")
    return "sources", cell("sources", line, "accessed", "2024-02-30", "type(date")


def _duplicate_key(d):
    path = d / "trade_turnover.csv"
    _, rows, lines = read_rows(path)
    [line] = append_rows(path, dict(rows[0], value_usd_m="1"))
    key = PKG.primary_key("trade_turnover")
    return "trade_turnover", cell(
        "trade_turnover",
        line,
        "+".join(key),
        " | ".join(rows[0][k] for k in key),
        f"primaryKey unique (same key as line {lines[0]})",
    )


def _duplicate_key_with_blanks(d):
    row = {
        "topic": "other",
        "indicator": "test_indicator",
        "label": "x",
        "value": "1",
        "unit": "count",
        "source_id": "hamzaoglu2021",
    }
    first, second = append_rows(d / "indicators.csv", row, dict(row, value="2"))
    return "indicators", cell(
        "indicators",
        second,
        "indicator+country+year+source_id",
        "test_indicator |  |  | hamzaoglu2021",
        f"primaryKey unique (same key as line {first})",
    )


def _duplicate_single_key(d):
    path = d / "sources.csv"
    _, rows, _ = read_rows(path)
    [line] = append_rows(path, dict(rows[0], title="another title"))
    return "sources", cell("sources", line, "source_id", rows[0]["source_id"], "field_uniqueness")


def _duplicate_header(d):
    path = d / "diaspora.csv"
    text = path.read_text(encoding="utf-8")
    header, rest = text.split("\n", 1)
    path.write_text(header.replace(",note", ",group") + "\n" + rest, encoding="utf-8")
    return "diaspora", "diaspora.csv, line 1, column group: breaks rule 'column names are unique"


def _unknown_source(d):
    line = set_cells(d / "visits.csv", 0, source_id="hamzaoglu2021;no_such_source")
    return "visits", cell("visits", line, "source_id", "no_such_source", "source_id exists in sources.csv")


def _unknown_cited_in(d):
    line = set_cells(d / "sources.csv", 0, cited_in="no_such_article")
    return "sources", cell("sources", line, "cited_in", "no_such_article", "cited_in exists in sources.csv")


def _bad_source_list(d):
    line = set_cells(d / "visits.csv", 0, source_id="hamzaoglu2021; huseynov2017")
    return "visits", cell("visits", line, "source_id", "hamzaoglu2021; huseynov2017", "str_matches(")


def _unknown_route_or_facility(d):  # x_or: an id of routes or of facilities
    line = set_cells(d / "agreements.csv", 0, route_id="no_such_place")
    return "agreements", cell(
        "agreements", line, "route_id", "no_such_place", "route_id exists in routes.csv or facilities.csv"
    )


def _missing_required(d):
    return "visits", cell("visits", set_cells(d / "visits.csv", 0, visitor=""), "visitor", "", "not_nullable")


def _missing_column(d):
    path = d / "visits.csv"
    header, rows, _ = read_rows(path)
    write_rows(path, [c for c in header if c != "city"], [{k: v for k, v in r.items() if k != "city"} for r in rows])
    return "visits", "visits.csv, line 1, column city: breaks rule 'column_in_dataframe"


def _extra_column(d):
    path = d / "visits.csv"
    header, rows, _ = read_rows(path)
    write_rows(path, [*header, "bogus_col"], [dict(r, bogus_col="x") for r in rows])
    return "visits", "visits.csv, line 1, column bogus_col: breaks rule 'column_in_schema"


def _column_order(d):
    path = d / "visits.csv"
    header, rows, _ = read_rows(path)
    write_rows(path, [header[1], header[0], *header[2:]], rows)
    return "visits", f"visits.csv, line 1, column {header[1]}: breaks rule 'column_ordered"


def _unknown_route(d):
    line = set_cells(d / "route_points.csv", 0, route_id="no_such_route")
    rule = "route_id exists in routes.csv"
    return "route_points", cell("route_points", line, "route_id", "no_such_route", rule)


def _single_point_route(d):
    path = d / "route_points.csv"
    header, rows, _ = read_rows(path)
    route = rows[0]["route_id"]
    rows = [r for i, r in enumerate(rows) if i == 0 or r["route_id"] != route]
    line = write_rows(path, header, rows)[0]
    rule = "a route has >= 2 points (this one has 1)"
    return "route_points", cell("route_points", line, "route_id", route, rule)


def _route_without_points(d):
    path = d / "route_points.csv"
    header, rows, _ = read_rows(path)
    route = rows[0]["route_id"]
    write_rows(path, header, [r for r in rows if r["route_id"] != route])
    return "route_points", f"route_points.csv, column route_id: value '{route}' breaks rule 'a route has >= 2"


def _total_not_sum(d):
    base = {
        "year": str(PKG.coverage[1]),
        "period": "annual",
        "reporter": "other",
        "is_derived": "false",
        "source_id": "hamzaoglu2021",
    }
    lines = append_rows(
        d / "trade_turnover.csv",
        dict(base, flow="kz_to_az", value_usd_m="10"),
        dict(base, flow="az_to_kz", value_usd_m="2.5"),
        dict(base, flow="total", value_usd_m="13"),
    )
    return "trade_turnover", cell(
        "trade_turnover",
        lines[2],
        "value_usd_m",
        "13",
        f"total = kz_to_az + az_to_kz within 0.15 (lines {lines[0]} + {lines[1]}",
    )


def _web_source_without_access_date(d):
    row = first_row(d / "sources.csv", kind="web")
    line = set_cells(d / "sources.csv", row, accessed="")
    return "sources", f"sources.csv, line {line}, column accessed: breaks rule 'a web source has accessed'"


def _year_outside_coverage(d):
    start, end = PKG.coverage
    line = set_cells(d / "diaspora.csv", 0, year=str(start - 1))
    return "diaspora", cell(
        "diaspora",
        line,
        "year",
        str(start - 1),
        f"year within the data's coverage {start}–{end} (datapackage.json x_coverage)",
    )


def _ragged_row(d):
    path = d / "visits.csv"
    line = read_rows(path)[2][0]
    with path.open(encoding="utf-8", newline="") as fh:
        records = list(csv.reader(fh))
    records[1].append("surplus")
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(records)
    return "visits", f"visits.csv, line {line}: row has {len(records[0]) + 1} fields, header has {len(records[0])}"


def _short_row(d):
    path = d / "visits.csv"
    text = path.read_text(encoding="utf-8")
    text += "" if text.endswith("\n") else "\n"
    path.write_text(text + "2020,year\n", encoding="utf-8")
    return "visits", f"visits.csv, line {text.count(chr(10)) + 1}: row has 2 fields, header has 13"


def _empty_file(d):
    (d / "visits.csv").write_bytes(b"")
    return "visits", "visits.csv: file is empty"


def _header_only(d):
    path = d / "visits.csv"
    path.write_text(path.read_text(encoding="utf-8").split("\n", 1)[0] + "\n", encoding="utf-8")
    return "visits", "visits.csv: file has a header but no rows"


def _not_utf8(d):
    path = d / "visits.csv"
    write_rows(path, *read_rows(path)[:2])  # ends with a newline
    line = path.read_bytes().count(b"\n") + 1
    path.write_bytes(path.read_bytes() + "Bak\u0131,\n".encode("cp1254"))
    return "visits", f"visits.csv, line {line}: file is not valid UTF-8"


def _nul_bytes(d):
    path = d / "visits.csv"
    write_rows(path, *read_rows(path)[:2])
    line = path.read_bytes().count(b"\n") + 1
    path.write_bytes(path.read_bytes() + b"2020\x00,year\n")
    return "visits", f"visits.csv, line {line}: file contains NUL bytes"


def _missing_file(d):
    (d / "visits.csv").unlink()
    return "visits", "visits.csv: file not found"


def _unreadable_file(d):
    (d / "visits.csv").unlink()
    (d / "visits.csv").mkdir()  # the tests run as root: a directory is what cannot be read
    return "visits", "visits.csv: file cannot be read ("


BREAKS = {
    f.__name__.lstrip("_"): f
    for f in [
        _wrong_integer,
        _integer_too_long,
        _wrong_number,
        _infinite_number,
        _wrong_boolean,
        _negative,
        _latitude,
        _enum,
        _pattern,
        _impossible_date,
        _precision_mismatch,
        _end_before_start,
        _impossible_date_type,
        _duplicate_key,
        _duplicate_key_with_blanks,
        _duplicate_single_key,
        _duplicate_header,
        _unknown_source,
        _unknown_cited_in,
        _bad_source_list,
        _unknown_route_or_facility,
        _missing_required,
        _missing_column,
        _extra_column,
        _column_order,
        _unknown_route,
        _single_point_route,
        _route_without_points,
        _total_not_sum,
        _web_source_without_access_date,
        _year_outside_coverage,
        _ragged_row,
        _short_row,
        _empty_file,
        _header_only,
        _not_utf8,
        _nul_bytes,
        _missing_file,
        _unreadable_file,
    ]
}


@pytest.mark.parametrize("break_", BREAKS.values(), ids=BREAKS.keys())
def test_each_rule_catches_a_broken_copy(data_copy, break_):
    table, expected = break_(data_copy)
    err = problems_of(table, data_copy)
    assert err.table == table
    assert all(isinstance(p, Problem) for p in err.problems)
    assert not any(p.rule.startswith("unexpected error") for p in err.problems), err
    listed = [str(p) for p in err.problems]
    assert any(p.startswith(expected) for p in listed), f"expected {expected!r} in:\n" + "\n".join(listed)
    if len(listed) <= MAX_LISTED:  # the message lists every problem (past MAX_LISTED it is capped)
        assert expected in str(err)
    assert err.total == len(err.problems) <= MAX_KEPT


def test_a_facility_id_is_a_valid_route_id_of_an_agreement(data_copy):
    """x_or: agreements.route_id may name a facility instead of a route."""
    header = read_rows(data_copy / "facilities.csv")[0]
    facility = {
        "facility_id": "test_port",
        "name": "Test port",
        "kind": "port",
        "country": "KZ",
        "lat": "43.6",
        "lon": "51.2",
        "description": "x",
        "source_id": "hamzaoglu2021",
    }
    append_rows(data_copy / "facilities.csv", {k: v for k, v in facility.items() if k in header})
    set_cells(data_copy / "agreements.csv", 0, route_id="test_port")
    assert load("agreements", data_copy).loc[0, "route_id"] == "test_port"
    set_cells(data_copy / "agreements.csv", 0, route_id="test_port_2")
    err = problems_of("agreements", data_copy)
    assert [(p.column, p.value) for p in err.problems] == [("route_id", "test_port_2")]


def test_exact_problems_of_an_infinite_number_and_a_25_digit_integer(data_copy):
    path = data_copy / "trade_turnover.csv"
    inf_line = set_cells(path, 0, value_usd_m="1e400")
    long_line = set_cells(path, 1, year="1234567890123456789012345")
    err = problems_of("trade_turnover", data_copy)
    assert Problem("trade_turnover.csv", inf_line, "value_usd_m", "1e400", "type(number, finite)") in err.problems
    assert (
        Problem(
            "trade_turnover.csv", long_line, "year", "1234567890123456789012345", "type(integer, at most 18 digits)"
        )
        in err.problems
    )
    assert not any("Overflow" in p.rule or "unexpected" in p.rule for p in err.problems), err
    _, typed = read_typed(Package.read(data_copy), "trade_turnover", Problems())
    assert pd.isna(typed.loc[inf_line, "value_usd_m"]), "1e400 is not infinity in the typed frame"
    assert pd.isna(typed.loc[long_line, "year"])


def test_largest_accepted_values_are_kept_exactly(data_copy):
    path = data_copy / "diaspora.csv"
    set_cells(path, 0, population="999999999999999999")  # 18 digits: the longest integer
    set_cells(path, 1, population="1000000000000000000")  # 19 digits
    err = problems_of("diaspora", data_copy)
    assert [(p.value, p.rule) for p in err.problems] == [("1000000000000000000", "type(integer, at most 18 digits)")]
    set_cells(path, 1, population="12")
    assert load("diaspora", data_copy).loc[0, "population"] == 999_999_999_999_999_999


# --- line numbers are the physical lines of the file ------------------------------------------


def test_quoted_newlines_count_in_line_numbers(data_copy):
    path = data_copy / "visits.csv"
    set_cells(path, 0, note="first line\nsecond line")
    line = set_cells(path, 1, visitor_country="Kazakhstan")
    assert line > 3  # the header, then row 0 spanning at least two lines
    err = problems_of("visits", data_copy)
    assert cell("visits", line, "visitor_country", "Kazakhstan", "str_matches(") in str(err)


def _break_diaspora(folder: Path, row: int = 3) -> tuple[Path, int]:
    """diaspora with a bad `group` on data row `row`; returns the path and that row's line."""
    path = folder / "diaspora.csv"
    return path, set_cells(path, row, group="bogus")


def _only_problem(folder: Path) -> tuple[int, str]:
    err = problems_of("diaspora", folder)
    assert len(err.problems) == 1, err
    return err.problems[0].line, err.problems[0].value


def test_quoted_fields_spanning_lines_give_physical_start_lines(data_copy):
    path = data_copy / "diaspora.csv"
    before = read_rows(path)[2]
    set_cells(path, 0, note="one\ntwo\nthree")
    set_cells(path, 1, note="a\r\nb\n\nc")  # CRLF and a blank line inside a quoted field
    line = set_cells(path, 4, group="bogus")
    assert line == before[4] + 2 + 3  # the csv module's physical start line
    assert _only_problem(data_copy) == (line, "bogus")
    # a ragged row after the quoted ones is located by its physical start line too
    with path.open(encoding="utf-8", newline="") as fh:
        records = list(csv.reader(fh))
    records[6].append("surplus")
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(records)
    ragged_line = read_rows(path)[2][5]
    assert ragged_line == before[5] + 5
    err = problems_of("diaspora", data_copy)
    assert [str(p) for p in err.problems] == [
        f"diaspora.csv, line {line}, column group: value 'bogus' breaks rule 'isin(['az_in_kz', 'kz_in_az'])'",
        f"diaspora.csv, line {ragged_line}: row has 10 fields, header has 9",
    ]


@pytest.mark.parametrize("ending", [b"\r\n", b"\r"], ids=["crlf", "cr"])
def test_line_endings_do_not_shift_line_numbers(data_copy, ending):
    path, line = _break_diaspora(data_copy)
    path.write_bytes(path.read_bytes().replace(b"\n", ending))
    assert _only_problem(data_copy) == (line, "bogus")


def test_blank_lines_count_as_lines_but_not_as_rows(data_copy):
    path, line = _break_diaspora(data_copy)
    rows = n_rows(path)
    data = path.read_bytes()
    first, rest = data.split(b"\n", 1)
    path.write_bytes(first + b"\n\n" + rest.replace(b"\n", b"\n\n", 1) + b"\n\r\n")  # 2 blank lines before row 1
    assert read_rows(path)[2][3] == line + 2
    assert _only_problem(data_copy) == (line + 2, "bogus")
    path.write_bytes(path.read_bytes().replace(b"bogus", b"az_in_kz"))
    assert len(load("diaspora", data_copy)) == rows


def test_crlf_with_quoted_newlines_and_blank_lines(data_copy):
    path = data_copy / "diaspora.csv"
    set_cells(path, 0, note="one\ntwo")
    _, line = _break_diaspora(data_copy)
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n").replace(b"\r\n", b"\r\n\r\n", 1))
    assert read_rows(path)[2][3] == line + 1  # the quoted \n became \r\n (still one line end), plus a blank
    assert _only_problem(data_copy) == (line + 1, "bogus")


def test_a_blank_line_before_the_header_is_ignored_like_any_blank_line(data_copy):
    path = data_copy / "diaspora.csv"
    rows = n_rows(path)
    path.write_bytes(b"\n" + path.read_bytes())
    assert len(load("diaspora", data_copy)) == rows


def test_a_byte_order_mark_is_not_part_of_the_header(data_copy):
    path = data_copy / "diaspora.csv"
    rows = n_rows(path)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert len(load("diaspora", data_copy)) == rows


def test_read_typed_reports_bad_values_instead_of_raising(data_copy):
    path = data_copy / "trade_turnover.csv"
    line = set_cells(path, 0, year="abc", is_derived="TRUE")
    problems = Problems()
    raw, df = read_typed(Package.read(data_copy), "trade_turnover", problems)
    assert df.index[0] == line and pd.isna(df.loc[line, "year"]) and pd.isna(df.loc[line, "is_derived"])
    assert raw.loc[line, "year"] == "abc" and raw.loc[line, "is_derived"] == "TRUE"
    assert {(p.line, p.column, p.value) for p in problems.kept} == {(line, "year", "abc"), (line, "is_derived", "TRUE")}
    assert problems.total == 2


# --- the size limit -----------------------------------------------------------------------------


def _size_in_bytes(rule: str) -> float:
    number, unit = re.search(r"file is ([\d.,]+) ?(B|KB|kB|MB|MiB|KiB)", rule).groups()
    scale = {"B": 1, "KB": 1e3, "kB": 1e3, "KiB": 1024, "MB": 1e6, "MiB": 1024**2}[unit]
    return float(number.replace(",", "")) * scale


def test_a_file_over_the_size_limit_is_refused_without_reading_it(data_copy, monkeypatch):
    monkeypatch.setenv("AZKZ_MAX_TABLE_MB", "0.01")  # 10 KiB
    before = {n: isinstance(t, pd.DataFrame) for n, t in load_dataset(data_copy).items() if n != "visits"}
    big = data_copy / "visits.csv"
    big.write_bytes(b"\x00" * 60_000)  # if it were read, it would be "NUL bytes"
    opened = []
    real_open = open

    def spy(file, *args, **kwargs):
        opened.append(Path(file).name)
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(reading, "open", spy, raising=False)
    after = load_dataset(data_copy)
    err = after["visits"]
    assert isinstance(err, DataError)
    [problem] = err.problems
    assert (problem.file, problem.line, problem.column, problem.value) == ("visits.csv", None, None, None)
    assert problem.rule.startswith("file is ") and "at most" in problem.rule and "AZKZ_MAX_TABLE_MB" in problem.rule
    assert 0.5 * 60_000 <= _size_in_bytes(problem.rule) <= 2 * 60_000, problem.rule
    assert "diaspora.csv" in opened, "the spy sees the files that are read"
    assert "visits.csv" not in opened, "a file over the limit is refused from its size, never opened"
    assert {n: isinstance(t, pd.DataFrame) for n, t in after.items() if n != "visits"} == before
    assert any(before.values())


def test_the_size_limit_defaults_and_ignores_a_bad_setting(monkeypatch):
    monkeypatch.delenv("AZKZ_MAX_TABLE_MB", raising=False)
    assert reading.size_limit() == reading.DEFAULT_LIMIT_MB * 1_000_000
    monkeypatch.setenv("AZKZ_MAX_TABLE_MB", "lots")
    assert reading.size_limit() == reading.DEFAULT_LIMIT_MB * 1_000_000
    monkeypatch.setenv("AZKZ_MAX_TABLE_MB", "0.5")
    assert reading.size_limit() == 500_000


def test_the_size_message_names_the_limit_as_configured(data_copy, monkeypatch):
    monkeypatch.setenv("AZKZ_MAX_TABLE_MB", "0.01")
    (data_copy / "visits.csv").write_bytes(b"x" * 60_000)
    with pytest.raises(DataError) as small:
        load_table("visits", data_copy)
    monkeypatch.delenv("AZKZ_MAX_TABLE_MB")
    with (data_copy / "visits.csv").open("wb") as fh:
        fh.truncate(70 * 1024 * 1024)  # sparse: over the default 64 MB without writing 70 MB
    with pytest.raises(DataError) as default:
        load_table("visits", data_copy)
    assert "at most 0.01 MB" in small.value.problems[0].rule
    assert "at most 64 MB" in default.value.problems[0].rule


# --- many problems: capped, but all counted -----------------------------------------------------


def test_data_error_message_is_capped():
    problems = [Problem("x.csv", i, "c", str(i), "rule") for i in range(2, 27)]
    text = str(DataError("x", problems))
    assert text.splitlines()[0] == "table x: 25 problems"
    assert "x.csv, line 21, column c: value '21' breaks rule 'rule'" in text
    assert "line 22," not in text and text.endswith("... and 5 more")


def test_data_error_survives_pickling_with_its_total():
    err = DataError("x", [Problem("x.csv", 2, "c", "v", "rule")], total=5000)
    back = pickle.loads(pickle.dumps(err))
    assert (back.table, back.problems, back.total, str(back)) == (err.table, err.problems, 5000, str(err))


def test_data_error_counts_every_problem_it_is_given():
    err = DataError("x", [Problem("x.csv", i, "c", "v", "rule") for i in range(MAX_KEPT + 50)])
    assert len(err.problems) == MAX_KEPT
    assert err.total == MAX_KEPT + 50


def _many_bad_rows(folder: Path, n: int, **bad: str) -> None:
    path = folder / "indicators.csv"
    header, rows, _ = read_rows(path)
    base = {"topic": "other", "label": "x", "value": "1", "unit": "count", "source_id": "hamzaoglu2021"}
    new = [{c: {**base, "indicator": f"test_{i}", **bad}.get(c, "") for c in header} for i in range(n)]
    write_rows(path, header, rows + new)


@pytest.mark.parametrize(
    "bad",
    [
        {"unit": "bogus"},  # a pandera check
        {"year": "abc"},  # a value that is not of the column's type
        pytest.param({"value": "abc"}),  # a required column: each bad value counted once, never again as missing
    ],
    ids=["enum", "type", "type-of-a-required-column"],
)
def test_ten_thousand_bad_rows_keep_max_kept_problems_and_count_all(data_copy, bad):
    n = 10_000
    _many_bad_rows(data_copy, n, **bad)
    err = problems_of("indicators", data_copy)
    [column] = bad
    assert len(err.problems) == MAX_KEPT
    assert err.total == n
    assert all(p.column == column and p.value == bad[column] for p in err.problems)
    text = str(err).splitlines()
    assert text[0] == f"table indicators: {n} problems"
    assert len(text) == 1 + MAX_LISTED + 1
    assert text[-1] == f"  ... and {n - MAX_LISTED} more"


def test_ragged_rows_beyond_max_kept_are_counted(data_copy):
    path = data_copy / "diaspora.csv"
    path.write_text(path.read_text(encoding="utf-8") + "a,b\n" * (MAX_KEPT + 100), encoding="utf-8")
    err = problems_of("diaspora", data_copy)
    assert len(err.problems) == MAX_KEPT and err.total == MAX_KEPT + 100
    assert all(p.rule == "row has 2 fields, header has 9" for p in err.problems)


# --- a broken datapackage.json ------------------------------------------------------------------


def _not_json(d):
    (d / "datapackage.json").write_text("{not json", encoding="utf-8")
    return "not valid JSON (line 1"


def _no_resources(d):
    (d / "datapackage.json").write_text(json.dumps({"name": "x"}), encoding="utf-8")
    return "no list of resources"


def _path_outside(d):
    raw = json.loads((d / "datapackage.json").read_text(encoding="utf-8"))
    next(r for r in raw["resources"] if r["name"] == "visits")["path"] = "../visits.csv"
    (d / "datapackage.json").write_text(json.dumps(raw), encoding="utf-8")
    return "resource 'visits': path must stay inside the data folder"


def _absolute_path(d):
    raw = json.loads((d / "datapackage.json").read_text(encoding="utf-8"))
    next(r for r in raw["resources"] if r["name"] == "visits")["path"] = str(d / "visits.csv")
    (d / "datapackage.json").write_text(json.dumps(raw), encoding="utf-8")
    return "resource 'visits': path must stay inside the data folder"


def _unknown_type(d):
    raw = json.loads((d / "datapackage.json").read_text(encoding="utf-8"))
    next(r for r in raw["resources"] if r["name"] == "visits")["schema"]["fields"][0]["type"] = "datetime"
    (d / "datapackage.json").write_text(json.dumps(raw), encoding="utf-8")
    return "resource 'visits', field 'date': unknown type 'datetime'"


def _package_missing(d):
    (d / "datapackage.json").unlink()
    return "datapackage.json: file is missing from the data folder"


def _package_not_utf8(d):
    (d / "datapackage.json").write_bytes(b'{"name": "\xff"}')
    return "datapackage.json: file cannot be read (UnicodeDecodeError)"


PACKAGE_BREAKS = {
    f.__name__.lstrip("_"): f
    for f in [
        _not_json,
        _no_resources,
        _path_outside,
        _absolute_path,
        _unknown_type,
        _package_missing,
        _package_not_utf8,
    ]
}


def _names_the_package(err: DataError, expected: str) -> None:
    assert isinstance(err, DataError), err
    assert err.problems and all(p.file == "datapackage.json" for p in err.problems), err
    assert any(expected in str(p) for p in err.problems), f"{expected!r} not in {err}"
    assert "datapackage.json" in str(err) and expected in str(err)


@pytest.mark.parametrize("break_", PACKAGE_BREAKS.values(), ids=PACKAGE_BREAKS.keys())
def test_a_broken_package_is_a_data_error_from_load_dataset(data_copy, break_):
    expected = break_(data_copy)
    result = load_dataset(data_copy)
    assert list(result) == ["datapackage"]
    _names_the_package(result["datapackage"], expected)


@pytest.mark.parametrize("break_", list(PACKAGE_BREAKS.values()), ids=PACKAGE_BREAKS.keys())
def test_a_broken_package_is_a_data_error_from_load_table(data_copy, break_):
    expected = break_(data_copy)
    with pytest.raises(DataError) as info:
        load_table("visits", data_copy)
    _names_the_package(info.value, expected)


def test_a_package_problem_names_the_file_once(data_copy):
    _no_resources(data_copy)
    assert str(load_dataset(data_copy)["datapackage"].problems[0]) == "datapackage.json: no list of resources"


@pytest.mark.parametrize("break_", PACKAGE_BREAKS.values(), ids=PACKAGE_BREAKS.keys())
def test_a_broken_package_is_a_data_error_from_app_data(data_copy, break_, fresh_app_data, monkeypatch):
    expected = break_(data_copy)
    monkeypatch.setenv("AZKZ_DATA_DIR", str(data_copy))
    for name in ("visits", "sources"):
        result = fresh_app_data.table(name)
        _names_the_package(result, expected)
        assert result.table == name
    _names_the_package(fresh_app_data.package(), expected)
    assert fresh_app_data.version("visits") == "broken-package"
    assert fresh_app_data.health()["status"] == "broken"


def test_unknown_table_names_the_package(data_copy):
    with pytest.raises(DataError) as info:
        load_table("no_such_table", data_copy)
    assert [str(p) for p in info.value.problems] == ["datapackage.json: no table 'no_such_table'"]


def _broken_foreign_key(d):
    raw = json.loads((d / "datapackage.json").read_text(encoding="utf-8"))
    visits = next(r for r in raw["resources"] if r["name"] == "visits")
    visits["schema"]["x_foreignKeys"] = [{"fields": ["source_id"]}]  # no "reference"
    (d / "datapackage.json").write_text(json.dumps(raw), encoding="utf-8")


def test_a_malformed_foreign_key_is_a_data_error_from_load_dataset(data_copy):
    _broken_foreign_key(data_copy)
    result = load_dataset(data_copy)  # raises KeyError('reference')
    err = result.get("datapackage", result.get("visits"))
    assert isinstance(err, DataError) and "datapackage.json" in str(err)


def test_a_malformed_foreign_key_is_a_data_error_from_app_data(data_copy, fresh_app_data, monkeypatch):
    _broken_foreign_key(data_copy)
    monkeypatch.setenv("AZKZ_DATA_DIR", str(data_copy))
    result = fresh_app_data.table("visits")
    assert isinstance(result, DataError) and "datapackage.json" in str(result)


# --- messages never show where the data folder is ------------------------------------------------


PATH_BREAKS = {
    "missing_file": _missing_file,
    "unreadable_file": _unreadable_file,
    "not_utf8": _not_utf8,
    "nul_bytes": _nul_bytes,
    "empty_file": _empty_file,
    "header_only": _header_only,
    "ragged_row": _ragged_row,
    "wrong_integer": _wrong_integer,
    "path_outside": _path_outside,
    "absolute_path": _absolute_path,
    "not_json": _not_json,
    "package_missing": _package_missing,
    "package_not_utf8": _package_not_utf8,
}


@pytest.mark.parametrize("break_", PATH_BREAKS.values(), ids=PATH_BREAKS.keys())
def test_messages_never_contain_the_data_folder(data_copy, break_, fresh_app_data, monkeypatch):
    break_(data_copy)
    folders = {str(data_copy), str(data_copy.resolve()), str(data_copy.parent)}
    results = list(load_dataset(data_copy).values())
    monkeypatch.setenv("AZKZ_DATA_DIR", str(data_copy))
    results += [fresh_app_data.table(n) for n in ("visits", "trade_turnover")]
    errors = [r for r in results if isinstance(r, DataError)]
    assert errors
    texts = [str(e) for e in errors] + [str(p) for e in errors for p in e.problems]
    texts += [f"{p.file} {p.value} {p.rule}" for e in errors for p in e.problems]
    assert not [t for t in texts if any(f in t for f in folders)], texts


def test_big_file_message_does_not_contain_the_data_folder(data_copy, monkeypatch):
    monkeypatch.setenv("AZKZ_MAX_TABLE_MB", "0.01")
    (data_copy / "visits.csv").write_bytes(b"x" * 60_000)
    with pytest.raises(DataError) as info:
        load_table("visits", data_copy)
    assert str(data_copy) not in str(info.value) and str(data_copy) not in info.value.problems[0].rule


# --- isolation ----------------------------------------------------------------------------------


def _same(a, b) -> bool:
    if isinstance(a, DataError) or isinstance(b, DataError):
        return isinstance(a, DataError) and isinstance(b, DataError) and a.problems == b.problems
    return a.equals(b)


def test_a_broken_table_leaves_the_others_loaded(data_copy):
    before = load_dataset(data_copy)
    (data_copy / "visits.csv").write_text("not,a,visits,table\n1,2,3,4\n", encoding="utf-8")
    after = load_dataset(data_copy)
    assert isinstance(after["visits"], DataError)
    assert list(after) == list(Package.read(data_copy).names)
    for name in after:
        if name != "visits":
            assert _same(before[name], after[name]), name


def test_broken_sources_skips_only_the_source_check(data_copy):
    before = load_dataset(data_copy)
    (data_copy / "sources.csv").write_bytes(b"")
    set_cells(data_copy / "visits.csv", 0, source_id="no_such_source")  # not checked: sources did not load
    after = load_dataset(data_copy)
    [problem] = after["sources"].problems
    assert str(problem).startswith("sources.csv: file is empty")
    for name in after:
        if name != "sources" and not isinstance(before[name], DataError):
            assert not isinstance(after[name], DataError), (name, str(after[name]))
        if isinstance(after[name], DataError) and name != "sources":
            assert not any("exists in sources.csv" in p.rule for p in after[name].problems)
    assert after["visits"].loc[0, "source_id"] == "no_such_source"


def test_load_table_without_tables_does_not_check_references(data_copy):
    set_cells(data_copy / "visits.csv", 0, source_id="no_such_source")
    assert load_table("visits", data_copy).loc[0, "source_id"] == "no_such_source"
    with pytest.raises(DataError, match=r"source_id exists in sources\.csv"):
        load_table("visits", data_copy, {"sources": load_table("sources", data_copy)})


def test_an_unexpected_error_is_the_tables_problem_not_a_traceback(data_copy, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(schema, "validate", boom)
    with pytest.raises(DataError) as info:
        load_table("diaspora", data_copy)
    assert [str(p) for p in info.value.problems] == ["diaspora.csv: unexpected error while loading: RuntimeError: boom"]


# --- the command line ---------------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "components.data.validate", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_reports_every_real_table(data_copy):
    rows = {name: n_rows(Package.read(data_copy).path(name)) for name in NAMES}
    result = run_cli(data_copy)
    empty = sorted(n for n, r in rows.items() if r == 0)
    assert result.returncode == (1 if empty else 0), result.stdout + result.stderr
    for name, n in rows.items():
        if n:
            assert f"OK {name} ({n} rows)" in result.stdout
        else:
            assert f"FAIL {name} (1 problem)\n  {name}.csv: file has a header but no rows" in result.stdout
    assert result.stdout.splitlines()[-1] == f"{len(rows) - len(empty)} tables OK, {len(empty)} failed"
    assert result.stderr == ""


def test_cli_fails_with_the_problem_on_a_broken_copy(data_copy):
    line = set_cells(data_copy / "trade_turnover.csv", 0, value_usd_m="-5")
    result = run_cli(data_copy)
    assert result.returncode == 1
    assert cell("trade_turnover", line, "value_usd_m", "-5", "greater_than_or_equal_to(0)") in result.stdout
    assert "FAIL trade_turnover (" in result.stdout
    assert result.stderr == ""


def test_cli_counts_problems_beyond_those_it_lists(data_copy):
    _many_bad_rows(data_copy, MAX_KEPT + 300, unit="bogus")
    result = run_cli(data_copy)
    assert result.returncode == 1
    assert f"FAIL indicators ({MAX_KEPT + 300} problems)" in result.stdout
    assert "  ... and 300 more" in result.stdout


def test_cli_on_a_broken_package_and_its_help(data_copy):
    (data_copy / "datapackage.json").write_text("[]", encoding="utf-8")
    result = run_cli(data_copy)
    assert result.returncode == 1 and result.stderr == ""
    assert "FAIL datapackage (1 problem)\n  datapackage.json: " in result.stdout
    assert "no list of resources" in result.stdout
    assert run_cli("--help").returncode == 2


# --- no streamlit, no pandera until needed ----------------------------------------------------


@pytest.mark.parametrize("module", DATA_MODULES)
def test_module_does_not_import_streamlit(module):
    tree = ast.parse((ROOT / "components" / "data" / f"{module}.py").read_text(encoding="utf-8"))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not any(m.split(".")[0] == "streamlit" for m in imported)


def test_importing_the_data_layer_loads_neither_streamlit_nor_pandera():
    modules = ", ".join(f"components.data.{m}" for m in DATA_MODULES)
    code = f"import sys\nimport {modules}\nsys.exit(10 * ('streamlit' in sys.modules) + ('pandera' in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=120, check=False).returncode == 0


def test_loading_module_constants():
    assert MAX_LISTED < MAX_KEPT
    assert loading.MIN_ROUTE_POINTS == 2
