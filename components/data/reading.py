"""Read a CSV file as text columns with the line each row starts on. Nothing here imports streamlit.

Parsing is pyarrow's CSV reader (all columns as strings, empty = missing; ragged rows reported through its
invalid-row handler). Arrow counts records, not lines, so the line of each record is found from the
positions of the line ends (numpy): with no quoted field spanning lines, the n-th non-blank line is the n-th
record. A file where a quoted field does span lines is rare; its record lines come from the csv module.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

DEFAULT_LIMIT_MB = 64


def size_limit() -> int:
    """Largest CSV read, in bytes: AZKZ_MAX_TABLE_MB (default 64 MB) keeps a huge broken file from freezing the
    app (it is refused in a stat, with a clear message)."""
    try:
        return int(float(os.environ.get("AZKZ_MAX_TABLE_MB", DEFAULT_LIMIT_MB)) * 1_000_000)
    except ValueError:
        return DEFAULT_LIMIT_MB * 1_000_000


class ReadError(Exception):
    """The file cannot be read as a CSV at all; `line` where it is known."""

    def __init__(self, rule: str, line: int | None = None):
        super().__init__(rule)
        self.rule, self.line = rule, line


@dataclass(frozen=True)
class TextTable:
    header: list[str]
    header_line: int
    lines: np.ndarray  # CSV line where each kept row starts
    columns: list[pa.ChunkedArray]  # one per header field, strings, null = empty
    ragged: list[tuple[int, int, int]]  # (line, fields found, fields expected) of rows left out


def read_text_table(path, limit: int | None = None) -> TextTable:
    """The CSV at `path` as text columns. Raises ReadError for a file that is missing, too large, empty, not
    UTF-8, binary or not CSV."""
    limit = size_limit() if limit is None else limit
    try:
        size = os.stat(path).st_size
        if size > limit:
            raise ReadError(f"file is {size / 1e6:,.1f} MB; the app reads tables of at most {limit / 1e6:,.6g} MB "
                            "(set AZKZ_MAX_TABLE_MB to change it)")
        with open(path, "rb") as fh:
            data = fh.read()  # the size was checked: no buffer of the limit's size reserved
    except FileNotFoundError:
        raise ReadError("file not found") from None
    except OSError as error:
        raise ReadError(f"file cannot be read ({error.strerror})") from None
    data = data.removeprefix(b"\xef\xbb\xbf")
    if b"\x00" in data:
        raise ReadError("file contains NUL bytes (not a text CSV)", data[: data.index(b"\x00")].count(b"\n") + 1)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ReadError(f"file is not valid UTF-8 ({error.reason} at byte {error.start})",
                        data[: error.start].count(b"\n") + 1) from None
    if data.count(b'"') % 2 and _open_quote(text):  # a file cut while written, or broken quoting
        raise ReadError("file cannot be read as CSV (a quoted field is not closed: the file may be incomplete)",
                        data.count(b"\n") + 1)
    starts = _record_line_starts(data)
    if not len(starts):
        raise ReadError("file is empty (no header row)")
    try:
        header = next(row for row in csv.reader(io.StringIO(text, newline="")) if row)  # skip blank lines
    except (csv.Error, StopIteration) as error:
        raise ReadError(f"header cannot be read as CSV ({error})", int(starts[0])) from None
    names = [f"f{i}" for i in range(len(header))]
    ragged: list[tuple[int, int]] = []  # (record number, fields)

    def skip(row) -> str:
        ragged.append((row.number, row.actual_columns))
        return "skip"

    try:
        table = pa_csv.read_csv(
            io.BytesIO(data),
            read_options=pa_csv.ReadOptions(column_names=names, use_threads=False, block_size=1 << 22),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True, ignore_empty_lines=True,
                                              invalid_row_handler=skip),
            convert_options=pa_csv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                                  strings_can_be_null=True, quoted_strings_can_be_null=True,
                                                  null_values=[""]))
    except pa.ArrowInvalid as error:
        raise ReadError(f"file cannot be read as CSV ({str(error).splitlines()[0]})") from None
    records = table.num_rows + len(ragged)  # the header is the first record
    if records != len(starts):  # a quoted field spans lines: ask the csv module where each record starts
        starts = _record_line_starts_csv(text)
        if len(starts) != records:
            raise ReadError("file cannot be read as CSV (unbalanced quotes)")
    skipped = np.array([n - 1 for n, _ in ragged], dtype=np.int64)  # 0-based record positions
    kept = np.ones(len(starts), dtype=bool)
    kept[0] = False
    kept[skipped] = False
    return TextTable(header=header, header_line=int(starts[0]), lines=starts[kept],
                     columns=[c.slice(1) for c in table.columns],
                     ragged=[(int(starts[n - 1]), fields, len(header)) for n, fields in ragged])


def _open_quote(text: str) -> bool:
    """Whether a quoted field runs to the end of the file (the csv module says so; a lone quote inside an
    unquoted field, as in 12" pipe, is fine). Only asked when the file has an odd number of quotes."""
    try:
        for _row in csv.reader(io.StringIO(text, newline=""), strict=True):
            pass
    except csv.Error as error:
        return "unexpected end of data" in str(error) or "EOF" in str(error)
    return False


def _record_line_starts(data: bytes) -> np.ndarray:
    """1-based numbers of the non-blank lines (lines end at \\n, \\r\\n or a lone \\r)."""
    buf = np.frombuffer(data, dtype=np.uint8)
    if not len(buf):
        return np.empty(0, dtype=np.int64)
    nl, cr = buf == 10, buf == 13
    lone_cr = cr & ~np.append(nl[1:], False)
    ends = np.flatnonzero(nl | lone_cr)
    content_end = ends - (nl[ends] & np.insert(cr, 0, False)[ends])  # a \r\n line ends before its \r
    starts = np.insert(ends + 1, 0, 0)
    content_end = np.append(content_end, len(buf))
    blank = content_end == starts  # includes the empty "line" after a final line end
    return (np.flatnonzero(~blank) + 1).astype(np.int64)


def _record_line_starts_csv(text: str) -> np.ndarray:
    reader = csv.reader(io.StringIO(text, newline=""))
    out, start = [], 1
    try:
        for row in reader:
            if row:
                out.append(start)
            start = reader.line_num + 1
    except csv.Error as error:
        raise ReadError(f"file cannot be read as CSV ({error})", reader.line_num) from None
    return np.array(out, dtype=np.int64)
