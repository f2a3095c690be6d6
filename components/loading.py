"""Load the dataset's CSV tables, typed and validated against datapackage.json.

Every bad value becomes a `Problem` that names the file, the CSV line and the column; a table with
problems raises one `DataError` listing all of them. Nothing here imports streamlit.
"""

from __future__ import annotations

import codecs
import collections
import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from components import schema

ROUTES_TABLE = "routes"
ROUTE_POINTS_TABLE = "route_points"
TRADE_TABLE = "trade_turnover"
MIN_ROUTE_POINTS = 2
MAX_LISTED = 20

_INTEGER = re.compile(r"^[+-]?\d+$")
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_BOOLEAN = {"true": True, "false": False}
# Forms that Arrow converts in bulk exactly as int() / float() do: unsigned ASCII integers of up to 18
# digits, ASCII decimal numbers. Any other value (a sign on an integer, Unicode digits, a trailing newline,
# a bad value) goes through the per-value parse above.
_MAX_DIGITS = 18
_ASCII_NUMBER = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
_PIECE = 1 << 20  # bytes read at a time by the plain-CSV checks
_ARROW_BLOCK = 1 << 20  # Arrow's default: each block in flight holds parse buffers of about its size


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
        return f"{where}: value '{self.value}' breaks rule '{self.rule}'"


class DataError(Exception):
    """A table that could not be loaded; `.problems` lists every reason."""

    def __init__(self, table: str, problems: Iterable[Problem]):
        self.table = table
        self.problems = list(problems)
        super().__init__(self.table, self.problems)

    def __str__(self) -> str:
        n = len(self.problems)
        lines = [f"table {self.table}: {n} problem{'s' * (n != 1)}"]
        lines += [f"  - {p}" for p in self.problems[:MAX_LISTED]]
        if n > MAX_LISTED:
            lines.append(f"  ... and {n - MAX_LISTED} more")
        return "\n".join(lines)


# --- reading ----------------------------------------------------------------------------------


def _read_rows(path: Path, name: str) -> tuple[list[str], int, list[int], list[list[str]], list[Problem]]:
    """Header, its line, the CSV start line of each row, rows of strings, and row-shape problems."""
    file = path.name

    def fail(rule: str, line: int | None = None) -> DataError:
        return DataError(name, [Problem(file, line, None, None, rule)])

    if not path.is_file():
        raise fail(f"file not found ({path})")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise fail(f"file cannot be read ({e.strerror})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise fail(f"file is not valid UTF-8 ({e.reason} at byte {e.start})", line) from None
    if "\x00" in text:
        raise fail("file contains NUL bytes (not a text CSV)", text[: text.index("\x00")].count("\n") + 1)
    problems, lines, rows = [], [], []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next((row for row in reader if row), None)  # skip leading blank lines
        if header is None:
            raise fail("file is empty (no header row)")
        header_line = reader.line_num
        while True:
            start = reader.line_num + 1
            row = next(reader, None)
            if row is None:
                break
            if not row:  # blank line
                continue
            if len(row) != len(header):
                problems.append(Problem(file, start, None, None,
                                        f"row has {len(row)} fields, header has {len(header)}"))
                continue
            lines.append(start)
            rows.append(row)
    except csv.Error as e:
        raise fail(f"file cannot be read as CSV ({e})", reader.line_num) from None
    return header, header_line, lines, rows, problems


def _pieces(path: Path) -> Iterator[bytes]:
    """The file's bytes after any UTF-8 BOM, in pieces of about _PIECE bytes that end at a line end
    (except the last)."""
    with path.open("rb") as fh:
        rest = fh.read(len(codecs.BOM_UTF8))
        rest = b"" if rest == codecs.BOM_UTF8 else rest
        while block := fh.read(_PIECE):
            block = rest + block
            cut = block.rfind(b"\n") + 1
            if cut:
                yield block[:cut]
            rest = block[cut:]
        if rest:
            yield rest


def _standard_quotes(piece: bytes) -> bool:
    """Whether every '"' in `piece` (whole lines) is part of a quoted field that starts a field, ends before
    a comma or the line end and does not span lines ('""' inside it is a quote).

    Taking each line's quotes in order as pairs, that is: an even number of quotes on every line, the first
    of a pair at a field start (after a comma, a line end, or the closing quote of an escaped pair) and the
    second before a comma, a quote, or a line end. Such a line means the same to Arrow and to the strict csv
    module. A quote inside an unquoted field (12" pipe) fails this test, not the file: the csv module then
    checks it."""
    buf = np.frombuffer(piece, dtype=np.uint8)
    quotes = np.flatnonzero(buf == ord('"'))
    if len(quotes) % 2:
        return False
    if not len(quotes):
        return True
    line = np.searchsorted(np.flatnonzero(buf == ord("\n")), quotes)
    opening, closing = quotes[0::2], quotes[1::2]
    before = buf[np.maximum(opening - 1, 0)]
    after = buf[np.minimum(closing + 1, len(buf) - 1)]
    return bool((line[0::2] == line[1::2]).all()
                and ((opening == 0) | np.isin(before, np.frombuffer(b',\n"', np.uint8))).all()
                and ((closing == len(buf) - 1) | np.isin(after, np.frombuffer(b',"\r\n', np.uint8))).all())


def _scan(path: Path) -> tuple[int, bool] | None:
    """(physical lines, whether all quoting is standard) in one pass; None for an empty file or a NUL byte.

    Lines end at \\n, \\r\\n or a bare \\r, as for the csv module; a bare \\r with quotes is not standard."""
    lines = size = cr_total = crlf_total = 0
    standard, last = True, b""
    for piece in _pieces(path):
        if b"\x00" in piece:
            return None
        cr = piece.count(b"\r")
        crlf = piece.count(b"\r\n") if cr else 0
        lines += piece.count(b"\n") + cr - crlf
        cr_total, crlf_total = cr_total + cr, crlf_total + crlf
        standard = standard and (b'"' not in piece or _standard_quotes(piece))
        size, last = size + len(piece), piece[-1:]
    if not size:
        return None
    standard = standard and cr_total == crlf_total
    return lines + (last not in (b"\n", b"\r")), standard


def _one_record_per_line(path: Path, width: int, lines: int) -> bool:
    """Whether the strict csv module reads the file as `lines` records of `width` fields, one per line.

    The check for quoting _standard_quotes cannot vouch for ('"a"b' is an error to the csv module, not to
    Arrow): pieces cut at line ends, keeping nothing but counts (a quoted field across a cut fails the
    check, which only sends the file to the exact reader)."""
    records = seen = 0
    for piece in _pieces(path):
        try:
            reader = csv.reader(io.StringIO(piece.decode("utf-8"), newline=""), strict=True)
            counts = collections.Counter(map(len, reader))
        except (csv.Error, UnicodeDecodeError):
            return False
        if set(counts) - {width}:
            return False
        records, seen = records + counts[width], seen + reader.line_num
    return records == seen == lines


def _read_plain(path: Path) -> tuple[list[str], pd.Index, list[pd.api.extensions.ExtensionArray]] | None:
    """Header, index (CSV line of each row) and string columns (NA = empty) of a plain CSV, parsed by Arrow.

    The same result as _read_rows, without a Python object per cell. None whenever _read_rows must judge the
    file: a NUL or non-UTF-8 byte, blank lines, a record over several lines, a ragged row, quoting that the
    strict csv module rejects, an oversized field, a file that changed while read. With every record on one
    line and no blank line, the record read from line n is data row n - 2 (header = line 1).
    """
    try:
        before = path.stat()
        scan = _scan(path)
        if scan is None:
            return None
        lines, standard = scan
        with path.open("rb") as fh:
            first = fh.read(256 * 1024).removeprefix(codecs.BOM_UTF8).splitlines()[0]
        types = {f"f{i}": pa.string() for i in range(first.count(b",") + 1)}
        table = pa_csv.read_csv(  # Arrow skips a UTF-8 BOM itself
            str(path),
            read_options=pa_csv.ReadOptions(autogenerate_column_names=True, block_size=_ARROW_BLOCK),
            parse_options=pa_csv.ParseOptions(newlines_in_values=False, ignore_empty_lines=True),
            convert_options=pa_csv.ConvertOptions(column_types=types, strings_can_be_null=True, null_values=[""],
                                                  quoted_strings_can_be_null=True, check_utf8=True))
        if table.num_rows != lines or any(t != pa.string() for t in table.schema.types):
            return None
        if not standard and not _one_record_per_line(path, table.num_columns, lines):
            return None
        after = path.stat()
    except (OSError, pa.ArrowException, ValueError, IndexError):
        return None
    if (before.st_mtime_ns, before.st_size) != (after.st_mtime_ns, after.st_size):
        return None
    limit = csv.field_size_limit()
    if any((pc.max(pc.binary_length(c)).as_py() or 0) > limit for c in table.columns):
        return None  # the csv module refuses such a field: let it say so
    header = ["" if c[0].as_py() is None else c[0].as_py() for c in table.columns]
    index = pd.RangeIndex(2, table.num_rows + 1, name="line")
    return header, index, [pd.array(c.slice(1), dtype="str") for c in table.columns]


def _convert_arrow(raw: pd.Series, type_: str) -> tuple[pd.api.extensions.ExtensionArray, np.ndarray]:
    """The values of `raw` in a simple form, converted in bulk, and a mask of which ones were."""
    dtype = pd.api.types.pandas_dtype(schema.DTYPES[type_])
    if type_ == "boolean":
        true, false = (raw == "true").to_numpy(bool), (raw == "false").to_numpy(bool)
        done = true | false
        return pd.arrays.BooleanArray(true, ~done), done
    text = pa.chunked_array(pa.array(raw.array)) if len(raw) else pa.chunked_array([], pa.string())
    if type_ == "integer":
        target = pa.int64()
        simple = pc.and_(pc.ascii_is_decimal(text), pc.less_equal(pc.binary_length(text), _MAX_DIGITS))
    else:
        target = pa.float64()
        simple = pc.match_substring_regex(text, _ASCII_NUMBER)
    simple = pc.fill_null(simple, False)
    every = pc.all(simple).as_py() is not False  # True, or None for no values
    try:
        values = pc.cast(text if every else pc.if_else(simple, text, pa.scalar(None, pa.string())), target)
    except pa.ArrowException:  # e.g. an exponent out of range: parse every value one by one
        return pd.array([None] * len(raw), dtype=dtype), np.zeros(len(raw), dtype=bool)
    done = simple.to_numpy(zero_copy_only=False).astype(bool, copy=False)
    return values.to_pandas(types_mapper={target: dtype}.get).array, done


def _convert(raw: pd.Series, type_: str, file: str, column: str) -> tuple[pd.Series, list[Problem]]:
    """Convert a column of strings (NA = empty) to its contract dtype; bad values become NA + Problem.

    Values in a simple ASCII form are converted in bulk; only the others are parsed one by one."""
    dtype = schema.DTYPES[type_]
    if dtype is str:
        return raw, []
    parse = {
        "integer": lambda v: int(v) if _INTEGER.match(v) else None,
        "number": lambda v: float(v) if _NUMBER.match(v) else None,
        "boolean": _BOOLEAN.get,
    }[type_]
    rule = {"boolean": "type(boolean: true|false)"}.get(type_, f"type({type_})")
    values, done = _convert_arrow(raw, type_)
    problems = []
    for pos in np.flatnonzero(raw.notna().to_numpy(bool) & ~done):
        v = raw.iat[pos]
        out = parse(v)
        if out is None:
            problems.append(Problem(file, int(raw.index[pos]), column, v, rule))
        else:
            values[pos] = out
    return pd.Series(values, index=raw.index, name=column, copy=False), problems


def _read(path: Path, name: str, package: Path | str | None = None
          ) -> tuple[pd.DataFrame, pd.DataFrame, list[Problem]]:
    """(raw strings, typed frame, problems); both frames are indexed by CSV line number."""
    path = Path(path)
    file = path.name
    plain = _read_plain(path)
    if plain is not None:
        (header, index, columns), header_line, problems = plain, 1, []
    else:
        header, header_line, lines, rows, problems = _read_rows(path, name)
        index = pd.Index(lines, name="line")
    keep = []
    for i, col in enumerate(header):
        if col in header[:i]:
            problems.append(Problem(file, header_line, col, None,
                                    "column names are unique (duplicate header)"))
        else:
            keep.append(i)
    if plain is not None:
        raw = pd.DataFrame({header[i]: columns[i] for i in keep}, index=index)
    else:
        raw = pd.DataFrame({header[i]: pd.array([r[i] for r in rows], dtype="str") for i in keep}, index=index)
        raw = raw.replace("", pd.NA) if len(raw) else raw
    raw.attrs["header_line"] = header_line
    types = {f["name"]: f["type"] for f in schema.table_meta(name, package)["fields"]}
    typed = {}
    for col in raw.columns:
        typed[col], bad = _convert(raw[col], types.get(col, "string"), file, col)
        problems += bad
    return raw, pd.DataFrame(typed, index=index, copy=False), problems


def read_csv_typed(path: Path | str, name: str, package: Path | str | None = None
                   ) -> tuple[pd.DataFrame, list[Problem]]:
    """Read a table's CSV as text and convert each column to its contract type.

    Returns the typed frame (indexed by the CSV line of each row; header = line 1) and the values
    that did not convert. Raises DataError if the file is missing, empty or unreadable.
    `package` selects another datapackage.json-format file that defines the table.
    """
    _, typed, problems = _read(Path(path), name, package)
    return typed, problems


# --- validation -------------------------------------------------------------------------------


def _raw_value(raw: pd.DataFrame, line, column) -> str | None:
    try:
        v = raw.at[int(line), column]
    except (KeyError, TypeError, ValueError):
        return None
    return "" if pd.isna(v) else str(v)


def _key_text(values) -> tuple[str, ...]:
    """A primary key's values as text (missing = '')."""
    return tuple("" if pd.isna(v) else str(v) for v in values)


def _schema_problems(typed: pd.DataFrame, raw: pd.DataFrame, name: str, skip: set,
                     package: Path | str | None = None) -> list[Problem]:
    """Validate with the pandera schema (lazy) and turn each failure case into a Problem."""
    meta = schema.table_meta(name, package)
    from pandera.errors import SchemaError, SchemaErrors  # pandera is imported on the first validation only

    sch = schema.pandera_schema(name, package)
    file = Path(meta["path"]).name
    try:
        sch.validate(typed, lazy=True, inplace=True)  # the schema coerces nothing: no need for a copy
        return []
    except SchemaErrors as e:
        cases = e.failure_cases
    except SchemaError as e:  # not expected with lazy=True, but never let it escape
        return [Problem(file, None, None, None, f"schema error: {e}")]
    frame_check_column = {c.name: (c.statistics or {}).get("column") for c in sch.checks}
    key = meta.get("primaryKey") or []
    first_line = {}
    if key and set(key) <= set(typed.columns):
        for line, k in zip(typed.index, typed[key].itertuples(index=False)):
            first_line.setdefault(_key_text(k), line)
    header_line = raw.attrs.get("header_line", 1)
    problems, seen = [], set()
    for case in cases.itertuples(index=False):
        check, column, line = str(case.check), case.column, case.index
        line = None if line is None or pd.isna(line) else int(line)
        value = None if case.failure_case is None else str(case.failure_case)
        if check == "column_in_dataframe":
            p = Problem(file, header_line, value, None,
                        "column_in_dataframe (column in datapackage.json is missing)")
        elif check == "column_in_schema":
            p = Problem(file, header_line, value, None, "column_in_schema (column not in datapackage.json)")
        elif check == "column_ordered":
            p = Problem(file, header_line, value, None,
                        f"column_ordered (expected order: {', '.join(schema.contract_columns(name, package))})")
        elif check == "multiple_fields_uniqueness":
            k = _key_text(typed.loc[line, key])
            p = Problem(file, line, "+".join(key), " | ".join(k),
                        f"primaryKey unique (same key as line {first_line.get(k)})")
        elif check in frame_check_column:
            column = frame_check_column[check]
            p = Problem(file, line, column, _raw_value(raw, line, column), check)
        elif line is None:
            p = Problem(file, None, column, value, check)
        else:
            if (line, column) in skip:  # already reported as a value that does not convert
                continue
            raw_value = _raw_value(raw, line, column)
            p = Problem(file, line, column, value if raw_value is None else raw_value, check)
        if p not in seen:
            seen.add(p)
            problems.append(p)
    # A single-column primary key that is also `unique` fails twice for one duplicate: keep one.
    pk_lines = {p.line for p in problems if p.rule.startswith("primaryKey unique")}
    return [p for p in problems if not (p.rule == "field_uniqueness" and p.line in pk_lines
                                        and key == [p.column])]


def _source_problems(df: pd.DataFrame, name: str, source_ids: frozenset,
                     package: Path | str | None = None) -> list[Problem]:
    """Every id in every source_ids column is a known source."""
    file = Path(schema.table_meta(name, package)["path"]).name
    problems = []
    for col in schema.fields_of_type(name, "source_ids", package):
        if col not in df:
            continue
        cells = df[col].dropna()
        unknown = [c for c in cells.unique() if not all(sid in source_ids for sid in c.split(";"))]
        if not unknown:  # checked once per distinct cell, row by row only where an id is unknown
            continue
        for line, cell in cells[cells.isin(unknown)].items():
            for sid in cell.split(";"):
                if sid not in source_ids:
                    problems.append(Problem(file, int(line), col, sid,
                                            f"source id exists in {schema.SOURCES_TABLE}.csv"))
    return problems


def _route_point_problems(df: pd.DataFrame, route_ids: frozenset | None) -> list[Problem]:
    """route_id is a known route; every route has >= 2 points (seq per route: primaryKey)."""
    file = Path(schema.table_meta(ROUTE_POINTS_TABLE)["path"]).name
    if "route_id" not in df:
        return []
    problems = []
    routes = df["route_id"].dropna()
    if route_ids is not None:
        problems += [Problem(file, int(line), "route_id", r, f"route_id exists in {ROUTES_TABLE}.csv")
                     for line, r in routes.items() if r not in route_ids]
    counts = routes.value_counts()
    for route in sorted(set(counts.index) | set(route_ids or ())):
        n = int(counts.get(route, 0))
        if n < MIN_ROUTE_POINTS:
            line = int(routes.index[routes == route][0]) if n else None
            problems.append(Problem(file, line, "route_id", route,
                                    f"a route has >= {MIN_ROUTE_POINTS} points (this one has {n})"))
    return problems


def _trade_total_problems(df: pd.DataFrame) -> list[Problem]:
    """total = kz_to_az + az_to_kz for the same (year, period, source_id), within rounding.

    Derived rows are checked too: a flow derived as total minus the other flow adds up by
    construction, and a derived figure that does not add up is exactly what we want to catch.
    """
    file = Path(schema.table_meta(TRADE_TABLE)["path"]).name
    need = ["year", "period", "flow", "value_usd_m", "source_id"]
    if not set(need) <= set(df.columns):
        return []
    problems = []
    rows = df[need].dropna()
    for (year, period, source), group in rows.groupby(["year", "period", "source_id"], sort=False):
        by_flow = {f: (line, v) for line, f, v in
                   zip(group.index[::-1], group["flow"][::-1], group["value_usd_m"][::-1])}
        if not {"total", "kz_to_az", "az_to_kz"} <= by_flow.keys():
            continue
        (line, total), (l1, kz_az), (l2, az_kz) = (by_flow[f] for f in ("total", "kz_to_az", "az_to_kz"))
        tolerance = max(0.15, 0.005 * total)
        if abs(total - (kz_az + az_kz)) > tolerance:
            problems.append(Problem(
                file, int(line), "value_usd_m", f"{total:.10g}",
                f"total = kz_to_az + az_to_kz within {tolerance:.2f} "
                f"(lines {l1} + {l2}: {kz_az:.10g} + {az_kz:.10g} = {kz_az + az_kz:.10g})"))
    return problems


def _with_derived_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Append year (Int64) and date_start (first day of the period) for tables with a date."""
    if "date" not in df:
        return df
    starts = [schema.parse_partial_date(v)[0] for v in df["date"]]
    out = df.copy()
    out["year"] = pd.array([d.year for d in starts], dtype="Int64")
    out["date_start"] = pd.to_datetime(pd.Series(starts, index=df.index, dtype="object"))
    return out


def load_table(name: str, data_dir: Path | str, source_ids: frozenset | None = None,
               route_ids: frozenset | None = None, package: Path | str | None = None) -> pd.DataFrame:
    """Read, type and validate one table; raise DataError listing every problem.

    source_ids / route_ids enable the cross-table checks (the sources table checks its own
    `cited_in` against itself when source_ids is None). `package` selects another
    datapackage.json-format file that defines `name` (default: data/datapackage.json); the
    table-specific checks of this dataset (sources, route_points, trade_turnover) apply to it only.
    """
    path = Path(data_dir) / schema.table_meta(name, package)["path"]
    own = package is None
    try:
        raw, typed, problems = _read(path, name, package)
        skip = {(p.line, p.column) for p in problems}
        problems += _schema_problems(typed, raw, name, skip, package)
        if own and name == schema.SOURCES_TABLE and source_ids is None and "source_id" in typed:
            source_ids = frozenset(typed["source_id"].dropna())
        if source_ids is not None:
            problems += _source_problems(typed, name, source_ids, package)
        if own and name == ROUTE_POINTS_TABLE:
            problems += _route_point_problems(typed, route_ids)
        if own and name == TRADE_TABLE:
            problems += _trade_total_problems(typed)
    except DataError:
        raise
    except Exception as e:  # a bug or an unforeseen input: still report it as this table's problem
        raise DataError(name, [Problem(path.name, None, None, None,
                                       f"unexpected error while loading: {type(e).__name__}: {e}")]) from e
    if problems:
        raise DataError(name, sorted(problems, key=lambda p: (p.line or 0)))
    return _with_derived_columns(typed).reset_index(drop=True)


def load_dataset(data_dir: Path | str) -> dict[str, pd.DataFrame | DataError]:
    """Load every table; a broken table maps to its DataError and never stops the others."""
    names = schema.table_names()
    order = [n for n in (schema.SOURCES_TABLE, ROUTES_TABLE) if n in names]
    order += [n for n in names if n not in order]
    out: dict[str, pd.DataFrame | DataError] = {}
    ids: dict[str, frozenset | None] = {"source_ids": None, "route_ids": None}
    for name in order:
        try:
            out[name] = load_table(name, data_dir, **ids)
        except DataError as e:
            out[name] = e
            continue
        if name == schema.SOURCES_TABLE:
            ids["source_ids"] = frozenset(out[name]["source_id"])
        elif name == ROUTES_TABLE:
            ids["route_ids"] = frozenset(out[name]["route_id"])
    return {name: out[name] for name in names}
