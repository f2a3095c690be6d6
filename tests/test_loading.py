"""Loading and validation: the real data passes, and each rule catches a deliberately broken copy."""

from __future__ import annotations

import ast
import csv
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import pytest

from components import schema
from components.loading import DataError, Problem, load_dataset, load_table, read_csv_typed

ROOT = Path(__file__).parents[1]
DATA_DIR = ROOT / "data"
MODULES = ["schema", "loading", "validate"]


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
    return write_rows(path, header, rows)[-len(new):]


def first_row(path: Path, **match: str) -> int:
    _, rows, _ = read_rows(path)
    return next(i for i, r in enumerate(rows) if all(r[k] == v for k, v in match.items()))


def ids(data_dir: Path, table: str, column: str) -> frozenset | None:
    """Ids read straight from a CSV, so a cross-table test does not depend on that table validating."""
    path = data_dir / schema.table_meta(table)["path"]
    return frozenset(r[column] for r in read_rows(path)[1]) if path.is_file() else None


def load(name: str, data_dir: Path):
    return load_table(name, data_dir, source_ids=ids(data_dir, "sources", "source_id"),
                      route_ids=ids(data_dir, "routes", "route_id"))


def cell(table: str, line: int, column: str, value: str, rule: str) -> str:
    return f"{table}.csv, line {line}, column {column}: value '{value}' breaks rule '{rule}"


# --- the real data ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real() -> dict:
    return load_dataset(DATA_DIR)


@pytest.mark.parametrize("name", schema.table_names())
def test_real_table_exists_and_passes_every_rule(real, name):
    assert (DATA_DIR / schema.table_meta(name)["path"]).is_file(), f"{name}: CSV file missing"
    result = real[name]
    assert not isinstance(result, DataError), "\n".join(map(str, result.problems))
    assert list(result.columns[: len(schema.contract_columns(name))]) == schema.contract_columns(name)


def test_real_frames_are_typed_per_contract(real):
    for name, df in real.items():
        if isinstance(df, DataError):
            continue
        for field in schema.table_meta(name)["fields"]:
            expected = schema.DTYPES[field["type"]]
            assert df[field["name"]].dtype == ("str" if expected is str else expected), (name, field["name"])


def test_tables_with_a_date_get_year_and_date_start(data_copy):
    path = data_copy / "visits.csv"
    header, rows, _ = read_rows(path)
    rows[0].update(date="2019-09", date_precision="month", end_date="")
    rows[1].update(date="2018", date_precision="year", end_date="")
    write_rows(path, header, rows)
    df = load_table("visits", data_copy)
    assert list(df.columns) == schema.contract_columns("visits") + ["year", "date_start"]
    assert str(df["year"].dtype) == "Int64"
    assert pd.api.types.is_datetime64_any_dtype(df["date_start"])
    assert (df.loc[0, "year"], df.loc[0, "date_start"]) == (2019, pd.Timestamp("2019-09-01"))
    assert (df.loc[1, "year"], df.loc[1, "date_start"]) == (2018, pd.Timestamp("2018-01-01"))
    assert isinstance(df.index, pd.RangeIndex)


# --- the schema ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", schema.table_names())
def test_pandera_schema_follows_datapackage(name):
    meta, sch = schema.table_meta(name), schema.pandera_schema(name)
    assert isinstance(sch, pa.DataFrameSchema)
    assert list(sch.columns) == schema.contract_columns(name) == [f["name"] for f in meta["fields"]]
    assert sch.strict is True and sch.ordered is True
    assert list(sch.unique or []) == meta["primaryKey"]
    for field in meta["fields"]:
        assert sch.columns[field["name"]].nullable is not field.get("constraints", {}).get("required", False)


# --- each rule on a deliberately broken copy ----------------------------------------------------


def _wrong_integer(d):
    return "trade_turnover", cell("trade_turnover", set_cells(d / "trade_turnover.csv", 0, year="abc"),
                                  "year", "abc", "type(integer)")


def _wrong_number(d):
    line = set_cells(d / "trade_turnover.csv", 0, value_usd_m="1,5")
    return "trade_turnover", cell("trade_turnover", line, "value_usd_m", "1,5", "type(number)")


def _wrong_boolean(d):
    line = set_cells(d / "trade_turnover.csv", 0, is_derived="yes")
    return "trade_turnover", cell("trade_turnover", line, "is_derived", "yes", "type(boolean")


def _negative(d):
    line = set_cells(d / "trade_turnover.csv", 0, value_usd_m="-5")
    return "trade_turnover", cell("trade_turnover", line, "value_usd_m", "-5", "greater_than_or_equal_to(0)")


def _latitude(d):
    return "route_points", cell("route_points", set_cells(d / "route_points.csv", 0, lat="95"),
                                "lat", "95", "in_range(-90, 90)")


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


def _duplicate_key(d):
    path = d / "trade_turnover.csv"
    _, rows, lines = read_rows(path)
    [line] = append_rows(path, dict(rows[0], value_usd_m="1"))
    key = schema.table_meta("trade_turnover")["primaryKey"]
    return "trade_turnover", cell("trade_turnover", line, "+".join(key), " | ".join(rows[0][k] for k in key),
                                  f"primaryKey unique (same key as line {lines[0]})")


def _duplicate_key_with_blanks(d):
    row = {"topic": "other", "indicator": "test_indicator", "label": "x", "value": "1", "unit": "count",
           "source_id": "hamzaoglu2021"}
    first, second = append_rows(d / "indicators.csv", row, dict(row, value="2"))
    return "indicators", cell("indicators", second, "indicator+country+year+source_id",
                              "test_indicator |  |  | hamzaoglu2021", f"primaryKey unique (same key as line {first})")


def _unknown_source(d):
    line = set_cells(d / "visits.csv", 0, source_id="hamzaoglu2021;no_such_source")
    return "visits", cell("visits", line, "source_id", "no_such_source", "source id exists in sources.csv")


def _unknown_cited_in(d):
    line = set_cells(d / "sources.csv", 0, cited_in="no_such_article")
    return "sources", cell("sources", line, "cited_in", "no_such_article", "source id exists in sources.csv")


def _bad_source_list(d):
    line = set_cells(d / "visits.csv", 0, source_id="hamzaoglu2021; huseynov2017")
    return "visits", cell("visits", line, "source_id", "hamzaoglu2021; huseynov2017", "str_matches(")


def _missing_required(d):
    return "visits", cell("visits", set_cells(d / "visits.csv", 0, visitor=""), "visitor", "", "not_nullable")


def _missing_column(d):
    path = d / "visits.csv"
    header, rows, _ = read_rows(path)
    write_rows(path, [c for c in header if c != "city"], [{k: v for k, v in r.items() if k != "city"}
                                                           for r in rows])
    return "visits", "visits.csv, line 1, column city: breaks rule 'column_in_dataframe"


def _extra_column(d):
    path = d / "visits.csv"
    header, rows, _ = read_rows(path)
    write_rows(path, header + ["bogus_col"], [dict(r, bogus_col="x") for r in rows])
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
    base = {"year": "2050", "period": "annual", "is_derived": "false", "source_id": "hamzaoglu2021"}
    lines = append_rows(d / "trade_turnover.csv", dict(base, flow="kz_to_az", value_usd_m="10"),
                        dict(base, flow="az_to_kz", value_usd_m="2.5"),
                        dict(base, flow="total", value_usd_m="13"))
    return "trade_turnover", cell("trade_turnover", lines[2], "value_usd_m", "13",
                                  f"total = kz_to_az + az_to_kz within 0.15 (lines {lines[0]} + {lines[1]}")


def _ragged_row(d):
    path = d / "visits.csv"
    line = read_rows(path)[2][0]
    with path.open(encoding="utf-8", newline="") as fh:
        records = list(csv.reader(fh))
    records[1].append("surplus")
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(records)
    return "visits", f"visits.csv, line {line}: row has"


def _empty_file(d):
    (d / "visits.csv").write_bytes(b"")
    return "visits", "visits.csv: file is empty"


def _not_utf8(d):
    path = d / "visits.csv"
    write_rows(path, *read_rows(path)[:2])  # ends with a newline
    line = path.read_bytes().count(b"\n") + 1
    path.write_bytes(path.read_bytes() + "Bak\u0131,\n".encode("cp1254"))
    return "visits", f"visits.csv, line {line}: file is not valid UTF-8"


def _missing_file(d):
    (d / "visits.csv").unlink()
    return "visits", "visits.csv: file not found"


BREAKS = {f.__name__.lstrip("_"): f for f in [
    _wrong_integer, _wrong_number, _wrong_boolean, _negative, _latitude, _enum, _pattern, _impossible_date,
    _precision_mismatch, _end_before_start, _duplicate_key, _duplicate_key_with_blanks, _unknown_source,
    _unknown_cited_in, _bad_source_list,
    _missing_required, _missing_column, _extra_column, _column_order, _unknown_route, _single_point_route,
    _route_without_points, _total_not_sum, _ragged_row, _empty_file, _not_utf8, _missing_file,
]}


@pytest.mark.parametrize("break_", BREAKS.values(), ids=BREAKS.keys())
def test_each_rule_catches_a_broken_copy(data_copy, break_):
    table, expected = break_(data_copy)
    with pytest.raises(DataError) as info:
        load(table, data_copy)
    err = info.value
    assert err.table == table
    assert all(isinstance(p, Problem) for p in err.problems)
    assert not any(p.rule.startswith("unexpected error") for p in err.problems), err
    listed = [str(p) for p in err.problems]
    assert any(p.startswith(expected) for p in listed), f"expected {expected!r} in:\n" + "\n".join(listed)
    if len(listed) <= 20:  # the message lists every problem (past 20 it is capped)
        assert expected in str(err)


def test_quoted_newlines_count_in_line_numbers(data_copy):
    path = data_copy / "visits.csv"
    set_cells(path, 0, note="first line\nsecond line")
    line = set_cells(path, 1, visitor_country="Kazakhstan")
    assert line > 3  # the header, then row 0 spanning at least two lines
    with pytest.raises(DataError) as info:
        load("visits", data_copy)
    assert cell("visits", line, "visitor_country", "Kazakhstan", "str_matches(") in str(info.value)


def test_read_csv_typed_reports_bad_values_instead_of_raising(data_copy):
    path = data_copy / "trade_turnover.csv"
    line = set_cells(path, 0, year="abc", is_derived="TRUE")
    df, problems = read_csv_typed(path, "trade_turnover")
    assert df.index[0] == line and pd.isna(df.loc[line, "year"]) and pd.isna(df.loc[line, "is_derived"])
    assert {(p.line, p.column, p.value) for p in problems} == {(line, "year", "abc"),
                                                               (line, "is_derived", "TRUE")}


def test_data_error_message_is_capped():
    problems = [Problem("x.csv", i, "c", str(i), "rule") for i in range(2, 27)]
    text = str(DataError("x", problems))
    assert text.splitlines()[0] == "table x: 25 problems"
    assert "x.csv, line 21, column c: value '21' breaks rule 'rule'" in text
    assert "line 22," not in text and text.endswith("... and 5 more")


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
    assert list(after) == schema.table_names()
    for name in schema.table_names():
        if name != "visits":
            assert _same(before[name], after[name]), name


def test_broken_sources_skips_only_the_source_check(data_copy):
    before = load_dataset(data_copy)
    (data_copy / "sources.csv").write_bytes(b"")
    after = load_dataset(data_copy)
    assert isinstance(after["sources"], DataError)
    for name in schema.table_names():
        if name != "sources" and not isinstance(before[name], DataError):
            assert not isinstance(after[name], DataError), name
        if isinstance(after[name], DataError) and name != "sources":
            assert not any("source id exists" in p.rule for p in after[name].problems)


# --- the command line ---------------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "components.validate", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)


def test_cli_passes_on_the_real_data():
    result = run_cli(DATA_DIR)
    assert result.returncode == 0, result.stdout + result.stderr
    for name in schema.table_names():
        assert f"OK {name} (" in result.stdout


def test_cli_fails_with_the_problem_on_a_broken_copy(data_copy):
    line = set_cells(data_copy / "trade_turnover.csv", 0, value_usd_m="-5")
    result = run_cli(data_copy)
    assert result.returncode == 1
    assert cell("trade_turnover", line, "value_usd_m", "-5", "greater_than_or_equal_to(0)") in result.stdout
    assert "FAIL trade_turnover" in result.stdout
    assert result.stderr == ""


# --- no streamlit -------------------------------------------------------------------------------


@pytest.mark.parametrize("module", MODULES)
def test_module_does_not_import_streamlit(module):
    tree = ast.parse((ROOT / "components" / f"{module}.py").read_text(encoding="utf-8"))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not any(m.split(".")[0] == "streamlit" for m in imported)


def test_importing_the_modules_does_not_load_streamlit():
    code = ("import sys\nimport components.schema, components.loading, components.validate\n"
            "sys.exit('streamlit' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=120, check=False).returncode == 0
