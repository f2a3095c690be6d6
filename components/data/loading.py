"""Load a table of the data package: read its CSV, give each column its type, check every rule.

Every broken rule becomes a `Problem` naming the file, the CSV line, the column and the value; a table with
problems raises one `DataError`. A failure keeps the first MAX_KEPT problems and the count of all of them
(a 200 MB broken file must not become millions of objects held in a cache). Nothing here imports streamlit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from components.data import schema
from components.data.package import DTYPES, Package, PackageError, parse_partial_date
from components.data.reading import ReadError, read_text_table

MAX_KEPT = 200  # problems kept per table; the rest are counted
MAX_LISTED = 20  # problems printed by str(DataError)
MIN_ROUTE_POINTS = 2
_INTEGER = r"^[+-]?[0-9]{1,18}$"  # within int64 whatever the digits
_NUMBER = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?$"
_RULE = {
    "integer": "type(integer, at most 18 digits)",
    "number": "type(number, finite)",
    "boolean": "type(boolean: true|false)",
    "date": "type(date: YYYY-MM-DD, a real day)",
}


@dataclass(frozen=True)
class Problem:
    """One broken rule, located in a CSV file (line and column are None when not applicable)."""

    file: str
    line: int | None
    column: str | None
    value: str | None
    rule: str

    def __str__(self) -> str:
        where = ", ".join(
            [self.file]
            + ([f"line {self.line}"] if self.line is not None else [])
            + ([f"column {self.column}"] if self.column is not None else [])
        )
        if self.value is None and self.column is None:
            return f"{where}: {self.rule}"
        if self.value is None:
            return f"{where}: breaks rule '{self.rule}'"
        value = self.value if len(self.value) <= 80 else self.value[:77] + "..."
        return f"{where}: value '{value}' breaks rule '{self.rule}'"


class DataError(Exception):
    """A table that cannot be used: the first MAX_KEPT problems and how many there were in all."""

    def __init__(self, table: str, problems: Iterable[Problem], total: int | None = None):
        kept, given = [], 0
        for problem in problems:
            given += 1
            if len(kept) < MAX_KEPT:
                kept.append(problem)
        self.table = table
        self.problems = kept
        self.total = max(total or 0, given)
        super().__init__(table, self.total)

    def __str__(self) -> str:
        lines = [f"table {self.table}: {self.total} problem{'s' * (self.total != 1)}"]
        lines += [f"  - {p}" for p in self.problems[:MAX_LISTED]]
        if self.total > MAX_LISTED:
            lines.append(f"  ... and {self.total - MAX_LISTED} more")
        return "\n".join(lines)

    def __reduce__(self):  # picklable (the validate CLI runs tables in worker processes)
        return (DataError, (self.table, self.problems, self.total))


class Problems:
    """Problems of one table, kept up to MAX_KEPT and counted beyond."""

    def __init__(self) -> None:
        self.kept: list[Problem] = []
        self.total = 0
        self.bad_cells: set[tuple[int, str]] = set()  # (line, column) of every value that did not convert

    def add(self, problem: Problem) -> None:
        self.total += 1
        if len(self.kept) < MAX_KEPT:
            self.kept.append(problem)

    def error(self, table: str) -> DataError:
        ordered = sorted(self.kept, key=lambda p: p.line or 0)
        return DataError(table, ordered, self.total)


# --- reading and typing -----------------------------------------------------------------------


def _typed(column: pa.ChunkedArray, type_: str) -> tuple[pd.api.extensions.ExtensionArray, np.ndarray]:
    """The column in its contract dtype, and a mask of the cells that are not values of that type."""
    dtype = DTYPES[type_]
    present = pc.is_valid(column)
    if dtype == "str":
        bad = np.zeros(len(column), dtype=bool)
        if type_ == "date":
            ok = pc.match_substring_regex(column, r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
            text = column.to_pylist()
            bad = np.array(
                [
                    v is not None and (not good or parse_partial_date(v) is None)
                    for v, good in zip(text, ok.to_pylist())
                ],
                dtype=bool,
            )
        return pd.array(column, dtype="str"), bad
    if type_ == "boolean":
        true = pc.equal(column, "true")
        good = pc.or_(true, pc.equal(column, "false"))
        values = pc.if_else(good, true, pa.scalar(None, pa.bool_()))
        bad = pc.and_(present, pc.invert(pc.fill_null(good, False)))
        return pd.array(values.to_pandas(), dtype="boolean"), bad.to_numpy(zero_copy_only=False).astype(bool)
    target = pa.int64() if type_ == "integer" else pa.float64()
    good = pc.fill_null(pc.match_substring_regex(column, _INTEGER if type_ == "integer" else _NUMBER), False)
    if pc.any(pc.and_(present, pc.invert(good))).as_py():  # bad cells: cast only the good ones
        column = pc.if_else(good, column, pa.scalar(None, column.type))  # (a copy of the column's text)
    values = pc.cast(column, target)
    if type_ == "number":  # 1e400 reads as infinity: not a value a table may hold
        finite = pc.fill_null(pc.is_finite(values), True)
        good = pc.and_(good, finite)
        if not pc.all(finite).as_py():
            values = pc.if_else(finite, values, pa.scalar(None, target))
    bad = pc.and_(present, pc.invert(good)).to_numpy(zero_copy_only=False).astype(bool, copy=False)
    return values.to_pandas(types_mapper={target: pd.api.types.pandas_dtype(dtype)}.get).array, bad


def read_typed(package: Package, name: str, problems: Problems) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(raw text, typed frame), both indexed by CSV line; bad cells are missing in the typed frame and
    recorded in `problems`. Raises DataError if the file cannot be read at all."""
    file = package.file_name(name)
    try:
        text = read_text_table(package.path(name))
    except ReadError as error:
        raise DataError(name, [Problem(file, error.line, None, None, error.rule)]) from None
    for line, found, expected in text.ragged:
        problems.add(Problem(file, line, None, None, f"row has {found} fields, header has {expected}"))
    index = pd.Index(text.lines, name="line")
    types = package.field_types(name)
    raw, typed = {}, {}
    for i, column in enumerate(text.header):
        if column in raw:
            problems.add(Problem(file, text.header_line, column, None, "column names are unique (duplicate header)"))
            continue
        cells = text.columns[i]
        raw[column] = pd.array(cells, dtype="str")
        typed[column], bad = _typed(cells, types.get(column, "string"))
        positions = np.flatnonzero(bad)
        problems.bad_cells.update((int(text.lines[pos]), column) for pos in positions)
        for pos in positions[:MAX_KEPT]:
            problems.add(Problem(file, int(text.lines[pos]), column, str(raw[column][pos]), _RULE[types[column]]))
        problems.total += max(0, len(positions) - MAX_KEPT)
    raw_frame = pd.DataFrame(raw, index=index, copy=False)
    raw_frame.attrs["header_line"] = text.header_line
    return raw_frame, pd.DataFrame(typed, index=index, copy=False)


# --- cross-table rules --------------------------------------------------------------------------


def _reference_problems(
    package: Package, name: str, df: pd.DataFrame, tables: Mapping[str, pd.DataFrame | None], problems: Problems
) -> None:
    """Every foreign key resolves (a reference to a table that did not load is not checked)."""
    file = package.file_name(name)
    for ref in package.references(name):
        column = ref.fields[0]
        if column not in df:
            continue
        allowed: set = set()
        for resource, target in ((ref.resource, ref.target), *([ref.alternative] if ref.alternative else [])):
            other = df if resource == name else tables.get(resource)
            if other is None or target[0] not in other:
                break
            allowed |= set(other[target[0]].dropna())
        else:
            cells = df[column].dropna()
            distinct = pd.Series(cells.unique())  # checked once per distinct cell, row by row only if one fails
            parts = distinct.str.split(ref.delimiter) if ref.delimiter else distinct.map(lambda v: [v])
            bad_cells = set(distinct[[not set(p) <= allowed for p in parts]])
            if not bad_cells:
                continue
            where = " or ".join(f"{package.file_name(r)}" for r in ref.resources)
            for line, cell in cells[cells.isin(bad_cells)].items():
                for value in cell.split(ref.delimiter) if ref.delimiter else [cell]:
                    if value not in allowed:
                        problems.add(Problem(file, int(line), column, value, f"{column} exists in {where}"))


def _route_point_problems(package: Package, df: pd.DataFrame, routes: pd.DataFrame | None, problems: Problems) -> None:
    """Every route has at least MIN_ROUTE_POINTS waypoints."""
    if "route_id" not in df:
        return
    file = package.file_name("route_points")
    ids = df["route_id"].dropna()
    counts = ids.value_counts()
    known = set(routes["route_id"]) if routes is not None and "route_id" in routes else set()
    for route in sorted(set(counts.index) | known):
        n = int(counts.get(route, 0))
        if n < MIN_ROUTE_POINTS:
            line = int(ids.index[ids == route][0]) if n else None
            problems.add(
                Problem(file, line, "route_id", route, f"a route has >= {MIN_ROUTE_POINTS} points (this one has {n})")
            )


def _trade_total_problems(package: Package, df: pd.DataFrame, problems: Problems) -> None:
    """total = kz_to_az + az_to_kz for the same year, period, reporter and source, within rounding."""
    need = ["year", "period", "flow", "reporter", "value_usd_m", "source_id"]
    if not set(need) <= set(df.columns):
        return
    file = package.file_name("trade_turnover")
    rows = df[need].dropna()
    for _, group in rows.groupby(["year", "period", "reporter", "source_id"], sort=False):
        flows = {flow: (line, value) for line, flow, value in zip(group.index, group["flow"], group["value_usd_m"])}
        if not {"total", "kz_to_az", "az_to_kz"} <= flows.keys():
            continue
        (line, total), (l1, kz_az), (l2, az_kz) = (flows[f] for f in ("total", "kz_to_az", "az_to_kz"))
        tolerance = max(0.15, 0.005 * total)
        if abs(total - (kz_az + az_kz)) > tolerance:
            problems.add(
                Problem(
                    file,
                    int(line),
                    "value_usd_m",
                    f"{total:.10g}",
                    f"total = kz_to_az + az_to_kz within {tolerance:.2f} "
                    f"(lines {l1} + {l2}: {kz_az:.10g} + {az_kz:.10g} = {kz_az + az_kz:.10g})",
                )
            )


def _web_source_problems(package: Package, df: pd.DataFrame, problems: Problems) -> None:
    """A web page is cited with its address, its date and the day we read it."""
    if not {"kind", "doi_or_url", "date", "accessed"} <= set(df.columns):
        return
    file = package.file_name("sources")
    web = df[df["kind"] == "web"]
    for column in ("doi_or_url", "date", "accessed"):
        for line in web.index[web[column].isna()]:
            problems.add(Problem(file, int(line), column, None, f"a web source has {column}"))


def _coverage_problems(package: Package, name: str, df: pd.DataFrame, problems: Problems) -> None:
    """Every year lies within the package's coverage (the app's year range)."""
    start, end = package.coverage
    file = package.file_name(name)
    for column in ("year", "stated_year"):
        if column in df and name != "sources":
            years = df[column]
            for line in years.index[(years < start) | (years > end)].tolist():
                problems.add(
                    Problem(
                        file,
                        int(line),
                        column,
                        str(years[line]),
                        f"year within the data's coverage {start}–{end} (datapackage.json x_coverage)",
                    )
                )


# --- one table ----------------------------------------------------------------------------------


def _with_dates(package: Package, name: str, df: pd.DataFrame) -> pd.DataFrame:
    """Tables with a partial `date` get year (Int64) and date_start (first day of the period)."""
    if "date" not in package.partial_dates(name) or "date" not in df or "year" in df:
        return df
    starts = [parse_partial_date(v)[0] for v in df["date"]]  # required: validated above
    return df.assign(
        year=pd.array([d.year for d in starts], dtype="Int64"),
        date_start=pd.to_datetime(pd.Series(starts, index=df.index, dtype="object")),
    )


def load_table(
    name: str, folder: Path | str | Package, tables: Mapping[str, pd.DataFrame | None] | None = None
) -> pd.DataFrame:
    """Read, type and validate table `name` of the package in `folder`; raise DataError listing its problems.

    `tables`: the tables it is checked against (its foreign keys), already loaded; a reference to a table that
    is missing from it is not checked."""
    try:
        package = folder if isinstance(folder, Package) else Package.read(folder)
        package.resource(name)
    except PackageError as error:
        raise DataError(name, [Problem("datapackage.json", None, None, None, str(error))]) from None
    except KeyError:
        raise DataError(name, [Problem("datapackage.json", None, None, None, f"no table {name!r}")]) from None
    tables = tables or {}
    file = package.file_name(name)
    problems = Problems()
    try:
        raw, typed = read_typed(package, name, problems)
        skip = problems.bad_cells  # a value that did not convert is reported once, not again as missing
        for problem in schema.validate(package, name, typed, raw, skip):
            problems.add(problem)
        _reference_problems(package, name, typed, tables, problems)
        _coverage_problems(package, name, typed, problems)
        if name == "route_points":
            _route_point_problems(package, typed, tables.get("routes"), problems)
        elif name == "trade_turnover":
            _trade_total_problems(package, typed, problems)
        elif name == "sources":
            _web_source_problems(package, typed, problems)
    except DataError:
        raise
    except Exception as error:  # a bug or an unforeseen input: still this table's problem, never a traceback
        raise DataError(
            name, [Problem(file, None, None, None, f"unexpected error while loading: {type(error).__name__}: {error}")]
        ) from error
    if problems.total:
        raise problems.error(name)
    if typed.empty:
        raise DataError(name, [Problem(file, None, None, None, "file has a header but no rows")])
    return _with_dates(package, name, typed).reset_index(drop=True)


def load_dataset(folder: Path | str) -> dict[str, pd.DataFrame | DataError]:
    """Every table of the package; a broken table maps to its DataError and never stops the others."""
    try:
        package = Package.read(folder)
    except PackageError as error:
        return {"datapackage": DataError("datapackage", [Problem("datapackage.json", None, None, None, str(error))])}
    out: dict[str, pd.DataFrame | DataError] = {}
    for name in package.closure(package.names):
        deps = {d: out[d] if isinstance(out.get(d), pd.DataFrame) else None for d in package.dependencies(name)}
        try:
            out[name] = load_table(name, package, deps)
        except DataError as error:
            out[name] = error
    return {name: out[name] for name in package.names}


def expected_dtypes(package: Package, name: str) -> dict[str, str]:
    """The columns and dtypes load_table returns for the table, in order (what a stored copy must match)."""
    out = {f["name"]: DTYPES[f.get("type", "string")] for f in package.fields(name)}
    if "date" in package.partial_dates(name) and "year" not in out:
        out.update(year="Int64", date_start="datetime64[s]")
    return out
