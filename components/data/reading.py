"""Read a CSV file as text columns with the line each row starts on. Nothing here imports streamlit.

Parsing is pyarrow's CSV reader (all columns as strings, empty = missing; ragged rows reported through its
invalid-row handler), straight out of the file's bytes (no decoded copy). Arrow counts records, not lines, so
the line of each record is found from the positions of the line ends (numpy): with no quoted field spanning
lines, the n-th non-blank line is the n-th record. A file where a quoted field does span lines is rare; its
record lines come from the csv module.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

DEFAULT_LIMIT_MB = 64
_ARROW_BLOCK = 1 << 22  # the longest record Arrow reads (4 MB)


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
    UTF-8, binary or not CSV. The file's bytes are held while Arrow reads them (its columns are large_string,
    the layout pandas keeps, so the frames use them without a copy); the size is checked first."""
    limit = size_limit() if limit is None else limit
    try:
        size = os.stat(path).st_size
        if size > limit:
            raise ReadError(
                f"file is {size / 1e6:,.1f} MB; the app reads tables of at most {limit / 1e6:,.6g} MB "
                "(set AZKZ_MAX_TABLE_MB to change it)"
            )
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise ReadError("file not found") from None
    except OSError as error:
        raise ReadError(f"file cannot be read ({error.strerror})") from None
    return _read_bytes(data)


def _read_bytes(data: bytes) -> TextTable:
    """Every check in order, then Arrow's parse, the csv module where it is needed."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise ReadError("file contains NUL bytes (not a text CSV)", data.count(b"\n", 0, nul) + 1)
    error = _utf8_error(data)
    if error is not None:
        raise ReadError(
            f"file is not valid UTF-8 ({error.reason} at byte {error.start})", data.count(b"\n", 0, error.start) + 1
        )
    if data.count(b'"') % 2 and _open_quote(data):  # a file cut while written, or broken quoting
        raise ReadError(
            "file cannot be read as CSV (a quoted field is not closed: the file may be incomplete)",
            data.count(b"\n") + 1,
        )
    starts = _record_line_starts(data)
    if not len(starts):
        raise ReadError("file is empty (no header row)")
    try:
        header = next(row for row in csv.reader(_text(data)) if row)  # skip blank lines
    except (csv.Error, StopIteration) as error:
        raise ReadError(f"header cannot be read as CSV ({error})", int(starts[0])) from None
    try:
        table, ragged = _parse(pa.BufferReader(data), len(header))  # zero-copy: Arrow reads out of `data`
    except pa.ArrowInvalid as error:
        raise ReadError(f"file cannot be read as CSV ({str(error).splitlines()[0]})") from None
    _release_parser_memory()
    records = table.num_rows + len(ragged)  # the header is the first record
    if records != len(starts):  # a quoted field spans lines: ask the csv module where each record starts
        starts = _record_line_starts_csv(data)
        if len(starts) != records:
            raise ReadError("file cannot be read as CSV (unbalanced quotes)")
    return _text_table(header, starts, table, ragged)


def _parse(source, n_fields: int) -> tuple[pa.Table, list[tuple[int, int]]]:
    """Arrow's parse of the CSV, every field a large_string (null = empty), the header (n_fields, as the csv
    module reads it) as the first record; and the (record number, fields) of the ragged records it left out.
    A record longer than _ARROW_BLOCK is an error (Arrow's "straddling object")."""
    names = [f"f{i}" for i in range(n_fields)]
    ragged: list[tuple[int, int]] = []

    def skip(row) -> str:
        ragged.append((row.number, row.actual_columns))
        return "skip"

    table = pa_csv.read_csv(
        source,
        read_options=pa_csv.ReadOptions(column_names=names, use_threads=False, block_size=_ARROW_BLOCK),
        parse_options=pa_csv.ParseOptions(newlines_in_values=True, ignore_empty_lines=True, invalid_row_handler=skip),
        convert_options=pa_csv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.large_string()),
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
            null_values=[""],
        ),
    )
    return table, ragged


def _release_parser_memory() -> None:
    """The parser's block buffers are free once it is done; Arrow's pool (mimalloc by default) keeps freed pages
    for its own reuse, and numpy and pandas, which allocate what comes next (typed columns, validation), cannot
    use them: hand them back to the OS (well under a millisecond)."""
    pa.default_memory_pool().release_unused()


def _text_table(header: list[str], starts: np.ndarray, table: pa.Table, ragged: list[tuple[int, int]]) -> TextTable:
    skipped = np.array([n - 1 for n, _ in ragged], dtype=np.int64)  # 0-based record positions
    kept = np.ones(len(starts), dtype=bool)
    kept[0] = False
    kept[skipped] = False
    return TextTable(
        header=header,
        header_line=int(starts[0]),
        lines=starts[kept],
        columns=[c.slice(1) for c in table.columns],
        ragged=[(int(starts[n - 1]), fields, len(header)) for n, fields in ragged],
    )


def _concat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts).astype(np.int64, copy=False) if parts else _NONE


_NONE = np.empty(0, dtype=np.int64)
_BLOCK = 1 << 18  # bytes decoded or compared at a time (256 KB): no temporary the size of the file


def _text(data: bytes) -> io.TextIOWrapper:
    """The (valid UTF-8) bytes as a text stream for the csv module, decoded a chunk at a time as it reads.
    Universal newlines, untranslated (newline=""), as the csv module wants: the same lines as
    io.StringIO(data.decode("utf-8"), newline=""), without a decoded (or 4-byte-per-character) copy of the
    file. io.BytesIO shares the bytes object instead of copying it."""
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline="")


def _utf8_error(data: bytes) -> UnicodeDecodeError | None:
    """The error data.decode("utf-8") would raise, or None; decodes a block at a time and keeps nothing."""
    if data.isascii():
        return None
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for i in range(0, len(view), _BLOCK):
            decoder.decode(view[i : i + _BLOCK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        try:
            data.decode("utf-8")  # the same error, with the position in the whole file
        except UnicodeDecodeError as error:
            return error
        raise  # not reached: the incremental decoder and bytes.decode agree
    return None


def _open_quote(data: bytes) -> bool:
    """Whether a quoted field runs to the end of the file (the csv module says so; a lone quote inside an
    unquoted field, as in 12" pipe, is fine). Only asked when the file has an odd number of quotes."""
    try:
        for _row in csv.reader(_text(data), strict=True):
            pass
    except csv.Error as error:
        return "unexpected end of data" in str(error) or "EOF" in str(error)
    return False


def _positions(buf: np.ndarray, byte: int) -> np.ndarray:
    """Positions of `byte` in buf, compared a block at a time (no file-sized boolean temporary)."""
    return _concat([np.flatnonzero(buf[i : i + _BLOCK] == byte) + i for i in range(0, len(buf), _BLOCK)])


def _within(values: np.ndarray, sorted_: np.ndarray) -> np.ndarray:
    """Which values are in sorted_ (binary search: no temporary the size of the positions' range)."""
    if not len(sorted_):
        return np.zeros(len(values), dtype=bool)
    at = np.searchsorted(sorted_, values)
    return sorted_[np.minimum(at, len(sorted_) - 1)] == values


def _line_starts(nl: np.ndarray, cr: np.ndarray, size: int) -> np.ndarray:
    """1-based numbers of the non-blank lines of a text of `size` bytes with \\n at the (sorted) positions nl
    and \\r at cr. Lines end at \\n, \\r\\n or a lone \\r; a line is blank when nothing precedes its end (a
    \\r\\n line's content ends before its \\r). Every array has one entry per line end, not per byte."""
    if not size:
        return _NONE
    ends = content_end = nl  # where each line ends (its \n or lone \r), and where its content ends
    if len(cr):
        content_end = nl - _within(nl - 1, cr)  # a \r\n line's content ends at its \r
        lone_cr = cr[~_within(cr + 1, nl)]
        if len(lone_cr):
            ends = np.concatenate([nl, lone_cr])
            content_end = np.concatenate([content_end, lone_cr])
            order = np.argsort(ends)
            ends, content_end = ends[order], content_end[order]
    m = len(ends)  # lines: m + 1, the last one after the last line end (empty if the file ends with one)
    keep = np.empty(m + 1, dtype=bool)
    keep[0] = m == 0 or content_end[0] != 0
    if m:
        np.not_equal(content_end[1:], ends[:-1] + 1, out=keep[1:m])  # line i starts after line i-1's end
        keep[m] = size != ends[-1] + 1
    lines = np.flatnonzero(keep).astype(np.int64, copy=False)
    lines += 1
    return lines


def _record_line_starts(data: bytes) -> np.ndarray:
    """1-based numbers of the non-blank lines of the bytes (see _line_starts)."""
    buf = np.frombuffer(data, dtype=np.uint8)
    return _line_starts(_positions(buf, 10), _positions(buf, 13) if b"\r" in data else _NONE, len(data))


def _record_line_starts_csv(data: bytes) -> np.ndarray:
    reader = csv.reader(_text(data))
    out, start = [], 1
    try:
        for row in reader:
            if row:
                out.append(start)
            start = reader.line_num + 1
    except csv.Error as error:
        raise ReadError(f"file cannot be read as CSV ({error})", reader.line_num) from None
    return np.array(out, dtype=np.int64)
