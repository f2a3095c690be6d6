"""Table contracts read from data/datapackage.json, and pandera schemas built from them.

datapackage.json is the single source of truth: column names, order, types, constraints and
primary keys all come from it. Nothing here imports streamlit.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    import pandera.pandas as pa

PACKAGE_PATH = Path(__file__).resolve().parents[1] / "data" / "datapackage.json"

# The table whose primary key the custom type `source_ids` refers to.
SOURCES_TABLE = "sources"
# Pandas dtype used for each datapackage type (custom types are kept as text).
DTYPES = {
    "integer": "Int64",
    "number": "Float64",
    "boolean": "boolean",
    "string": str,
    "partial_date": str,
    "source_ids": str,
}
# Length of a partial date (YYYY, YYYY-MM, YYYY-MM-DD) for each date_precision value.
PRECISION_LENGTH = {"year": 4, "month": 7, "day": 10}
PRECISION_COLUMN = "date_precision"
_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def _package_path(path: Path | str | None) -> Path:
    return PACKAGE_PATH if path is None else Path(path).resolve()


@cache
def _read_package(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def package(path: Path | str | None = None) -> dict[str, Any]:
    """The parsed datapackage.json (read once); `path` selects another package file in the same format."""
    return _read_package(_package_path(path))


def table_names(package_path: Path | str | None = None) -> list[str]:
    """Resource names, in datapackage order."""
    return [r["name"] for r in package(package_path)["resources"]]


def table_meta(name: str, package_path: Path | str | None = None) -> dict[str, Any]:
    """The resource entry: name, path, title, description, primaryKey, fields."""
    for resource in package(package_path)["resources"]:
        if resource["name"] == name:
            return copy.deepcopy(resource)  # callers may not alter the cached package
    raise KeyError(f"no table {name!r} in {_package_path(package_path).name}")


def contract_columns(name: str, package_path: Path | str | None = None) -> list[str]:
    """Column names of a table, in contract order."""
    return [f["name"] for f in table_meta(name, package_path)["fields"]]


def fields_of_type(name: str, type_: str, package_path: Path | str | None = None) -> list[str]:
    """Columns of a table whose datapackage type is `type_`."""
    return [f["name"] for f in table_meta(name, package_path)["fields"] if f["type"] == type_]


def parse_partial_date(value: str) -> tuple[dt.date, int] | None:
    """(first day of the period, length) for a valid partial date, else None."""
    m = _PARTIAL_DATE.match(value)
    if not m:
        return None
    year, month, day = (int(g) if g else 1 for g in m.groups())
    try:
        return dt.date(year, month, day), len(value)
    except ValueError:
        return None


def source_ids_pattern() -> str:
    """Regex for a ';'-separated list of ids, built from the sources key's own pattern."""
    key = table_meta(SOURCES_TABLE)["primaryKey"][0]
    field = next(f for f in table_meta(SOURCES_TABLE)["fields"] if f["name"] == key)
    one = field.get("constraints", {}).get("pattern", r"^[^;]+$").removeprefix("^").removesuffix("$")
    return rf"^(?:{one})(?:;(?:{one}))*$"


def _pandera():
    """pandera, imported when a schema is first built: a server whose tables come from the validated store
    (components/store.py) never needs it, and it is the slowest import of the app (~0.3 s)."""
    import pandera.pandas as pa

    return pa


def _column_checks(field: dict[str, Any]) -> list[pa.Check]:
    pa = _pandera()
    c = field.get("constraints", {})
    checks = []
    if "enum" in c:
        checks.append(pa.Check.isin(c["enum"]))
    if "pattern" in c:
        checks.append(pa.Check.str_matches(c["pattern"]))
    if "minimum" in c and "maximum" in c:
        checks.append(pa.Check.in_range(c["minimum"], c["maximum"]))
    elif "minimum" in c:
        checks.append(pa.Check.ge(c["minimum"]))
    elif "maximum" in c:
        checks.append(pa.Check.le(c["maximum"]))
    if field["type"] == "partial_date":
        checks.append(pa.Check(lambda v: parse_partial_date(v) is not None, element_wise=True,
                               name="partial_date", error="partial_date(YYYY[-MM[-DD]], a real date)"))
    if field["type"] == "source_ids":
        checks.append(pa.Check.str_matches(source_ids_pattern()))
    return checks


def _precision_check(column: str) -> pa.Check:
    """Frame check: a partial date's length matches the row's date_precision."""
    pa = _pandera()

    def ok(df: pd.DataFrame) -> pd.Series:
        if column not in df or PRECISION_COLUMN not in df:
            return pd.Series(True, index=df.index)
        expected = df[PRECISION_COLUMN].map(PRECISION_LENGTH, na_action="ignore")
        good = df[column].str.len() == expected
        return (good | df[column].isna() | expected.isna()).fillna(True).astype(bool)

    rule = f"{column} matches {PRECISION_COLUMN} (day=YYYY-MM-DD, month=YYYY-MM, year=YYYY)"
    return pa.Check(ok, name=rule, error=rule, ignore_na=False, statistics={"column": column})


def _end_after_start_check(start: str, end: str) -> pa.Check:
    """Frame check: end >= start, comparing the first day of each partial date."""
    pa = _pandera()

    def first_day(value: Any) -> dt.date | None:
        parsed = None if pd.isna(value) else parse_partial_date(value)
        return parsed[0] if parsed else None

    def ok(df: pd.DataFrame) -> pd.Series:
        if start not in df or end not in df:
            return pd.Series(True, index=df.index)
        pairs = zip(map(first_day, df[start]), map(first_day, df[end]))
        return pd.Series([a is None or b is None or b >= a for a, b in pairs], index=df.index, dtype=bool)

    rule = f"{end} >= {start}"
    return pa.Check(ok, name=rule, error=rule, ignore_na=False, statistics={"column": end})


def pandera_schema(name: str, package_path: Path | str | None = None) -> pa.DataFrameSchema:
    """Strict, ordered pandera schema for a table, built from its datapackage metadata (built once).

    `package_path` selects another package file; its `source_ids` columns still refer to this
    dataset's sources table."""
    return _pandera_schema(name, _package_path(package_path))


@cache
def _pandera_schema(name: str, package_path: Path) -> pa.DataFrameSchema:
    pa = _pandera()
    meta = table_meta(name, package_path)
    columns = {}
    for field in meta["fields"]:
        c = field.get("constraints", {})
        columns[field["name"]] = pa.Column(
            DTYPES[field["type"]],
            checks=_column_checks(field),
            nullable=not c.get("required", False),
            unique=bool(c.get("unique", False)),
            report_duplicates="exclude_first",
            title=field.get("title"),
            description=field.get("description"),
        )
    frame_checks = []
    dates = fields_of_type(name, "partial_date", package_path)
    if PRECISION_COLUMN in columns:
        frame_checks += [_precision_check(col) for col in dates]
    if "date" in dates and "end_date" in dates:
        frame_checks.append(_end_after_start_check("date", "end_date"))
    return pa.DataFrameSchema(
        columns,
        checks=frame_checks,
        unique=meta.get("primaryKey") or None,
        report_duplicates="exclude_first",
        strict=True,
        ordered=True,
        name=name,
        title=meta.get("title"),
        description=meta.get("description"),
    )
