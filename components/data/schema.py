"""pandera schemas built from the data package, and their failures as `Problem`s. No streamlit here.

The standard constraints (required, unique, enum, pattern, minimum/maximum, primary key) are turned into pandera
checks by pandera's own Frictionless field parser (`pandera.io.pandas_io.FrictionlessFieldParser`); this
module only sets the nullable dtypes the loader produces (no coercion: values were typed when read) and adds
what frictionless cannot express: real partial dates, a date's length matching `date_precision`, and
`end_date >= date`. pandera is imported on the first validation only: a server whose tables all come from the
validated store (store.py) never needs it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pandas as pd

from components.data.package import DTYPES, PRECISION_COLUMN, PRECISION_LENGTH, Package, parse_partial_date

if TYPE_CHECKING:
    import pandera.pandas as pa

    from components.data.loading import Problem


def _thawed(value: Any) -> Any:
    """mappingproxies and tuples of the frozen package back to dicts and lists (what pandera expects)."""
    if hasattr(value, "items"):
        return {k: _thawed(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thawed(v) for v in value]
    return value


def pandera_schema(package: Package, name: str) -> pa.DataFrameSchema:
    """Strict, ordered pandera schema of a table, built from its metadata."""
    import pandera.pandas as pa
    from pandera.io.pandas_io import FrictionlessFieldParser, deserialize_schema

    key = package.primary_key(name)
    columns = {}
    for field in package.fields(name):
        field = _thawed(field)
        constraints = field.get("constraints", {})
        parsed = FrictionlessFieldParser(
            SimpleNamespace(
                name=field["name"],
                type=field.get("type", "string"),
                constraints=constraints,
                description=field.get("description", ""),
                title=field.get("title", ""),
            ),
            key,
        ).to_pandera_column()
        # Our loader types every column itself (nullable dtypes); blank key cells are allowed unless required.
        parsed.update(
            dtype=DTYPES[field.get("type", "string")],
            coerce=False,
            nullable=not constraints.get("required", False),
            unique=bool(constraints.get("unique", False)) or key == [field["name"]],
            report_duplicates="exclude_first",
        )
        columns[field["name"]] = parsed
    base = deserialize_schema({"columns": columns, "index": None, "checks": None, "coerce": False, "strict": True})
    for field in package.fields(name):
        if field.get("x_partial_date"):
            base.columns[field["name"]].checks.append(
                pa.Check(
                    lambda v: parse_partial_date(v) is not None,
                    element_wise=True,
                    name="partial_date",
                    error="partial_date(YYYY[-MM[-DD]], a real date)",
                )
            )
    checks = []
    dates = package.partial_dates(name)
    if PRECISION_COLUMN in columns:
        checks += [_precision_check(pa, column) for column in dates]
    if "date" in dates and "end_date" in dates:
        checks.append(_end_after_start_check(pa, "date", "end_date"))
    return pa.DataFrameSchema(
        base.columns,
        checks=checks,
        unique=key if len(key) > 1 else None,
        report_duplicates="exclude_first",
        strict=True,
        ordered=True,
        name=name,
    )


def _precision_check(pa, column: str) -> pa.Check:
    """Frame check: a partial date's length matches the row's date_precision."""

    def ok(df: pd.DataFrame) -> pd.Series:
        expected = df[PRECISION_COLUMN].map(dict(PRECISION_LENGTH), na_action="ignore")
        good = df[column].str.len() == expected
        return (good | df[column].isna() | expected.isna()).fillna(True).astype(bool)

    rule = f"{column} matches {PRECISION_COLUMN} (day=YYYY-MM-DD, month=YYYY-MM, year=YYYY)"
    return pa.Check(ok, name=rule, error=rule, ignore_na=False, statistics={"column": column})


def _end_after_start_check(pa, start: str, end: str) -> pa.Check:
    """Frame check: end >= start, comparing the first day of each partial date."""

    def first_day(value: Any) -> dt.date | None:
        parsed = None if pd.isna(value) else parse_partial_date(value)
        return parsed[0] if parsed else None

    def ok(df: pd.DataFrame) -> pd.Series:
        pairs = zip(map(first_day, df[start]), map(first_day, df[end]))
        return pd.Series([a is None or b is None or b >= a for a, b in pairs], index=df.index, dtype=bool)

    rule = f"{end} >= {start}"
    return pa.Check(ok, name=rule, error=rule, ignore_na=False, statistics={"column": end})


def _key_text(values) -> tuple[str, ...]:
    return tuple("" if pd.isna(v) else str(v) for v in values)


def _raw(raw: pd.DataFrame, line: Any, column: Any) -> str | None:
    try:
        value = raw.at[int(line), column]
    except (KeyError, TypeError, ValueError):
        return None
    return "" if pd.isna(value) else str(value)


def validate(
    package: Package, name: str, typed: pd.DataFrame, raw: pd.DataFrame, skip: set[tuple[int | None, str | None]]
) -> Iterator[Problem]:
    """The problems pandera finds in the typed frame (indexed by CSV line), one per broken rule and cell;
    cells in `skip` were already reported as values that do not convert."""
    from pandera.errors import SchemaError, SchemaErrors

    from components.data.loading import Problem

    file = package.file_name(name)
    sch = pandera_schema(package, name)
    try:
        sch.validate(typed, lazy=True, inplace=True)
        return
    except SchemaErrors as error:
        cases = error.failure_cases
    except SchemaError as error:
        yield Problem(file, None, None, None, f"schema error: {error}")
        return
    frame_checks = {c.name: (c.statistics or {}).get("column") for c in sch.checks}
    key = package.primary_key(name)
    header = raw.attrs.get("header_line", 1)
    first_line: dict = {}
    if key and set(key) <= set(typed.columns):
        for line, values in zip(typed.index, typed[key].itertuples(index=False)):
            first_line.setdefault(_key_text(values), line)
    seen: set = set()
    for case in cases.itertuples(index=False):
        check, column = str(case.check), case.column
        line = None if case.index is None or pd.isna(case.index) else int(case.index)
        value = None if case.failure_case is None else str(case.failure_case)
        if check == "column_in_dataframe":
            p = Problem(file, header, value, None, "column_in_dataframe (column in datapackage.json is missing)")
        elif check == "column_in_schema":
            p = Problem(file, header, value, None, "column_in_schema (column not in datapackage.json)")
        elif check == "column_ordered":
            p = Problem(
                file, header, value, None, f"column_ordered (expected order: {', '.join(package.columns(name))})"
            )
        elif check == "multiple_fields_uniqueness":
            k = _key_text(typed.loc[line, key])
            p = Problem(
                file, line, "+".join(key), " | ".join(k), f"primaryKey unique (same key as line {first_line.get(k)})"
            )
        elif check in frame_checks:
            column = frame_checks[check]
            p = Problem(file, line, column, _raw(raw, line, column), check)
        elif line is None:
            p = Problem(file, None, column, value, check)
        else:
            if (line, column) in skip:
                continue
            raw_value = _raw(raw, line, column)
            p = Problem(file, line, column, value if raw_value is None else raw_value, check)
        if p not in seen:
            seen.add(p)
            yield p
