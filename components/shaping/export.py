"""Safe CSV and zip export. Pure: no Streamlit.

Every CSV the app emits goes through `to_safe_csv`, which defuses spreadsheet formulas
(OWASP "CSV injection"): a text cell or header beginning with = + - @ tab or CR gets a
leading apostrophe so spreadsheet software shows it as text. Numeric columns are untouched.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_PATTERN = "^[=+@\t\r-]"  # the same characters, for Arrow's regex


def defuse(value: object) -> object:
    """Neutralise one cell: text starting with a formula character gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _is_text(dtype) -> bool:
    return not (
        pd.api.types.is_numeric_dtype(dtype)
        or pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_datetime64_any_dtype(dtype)
    )


def _true_false(series: pd.Series) -> pd.Series:
    """A boolean column as the package writes it: true / false, missing left empty."""
    missing = series.isna().to_numpy()
    cells = np.where(series.fillna(False).to_numpy(dtype=bool), "true", "false").astype(object)
    cells[missing] = None
    return pd.Series(cells, index=series.index, name=series.name)


def _formula_cells(series: pd.Series) -> np.ndarray | None:
    """Where a cell is text starting with a formula character, or None if no cell is. One Arrow regex over a
    column of text (a few microseconds at the app's sizes, where pandas' `str.startswith` took ~0.2 ms a
    column); cell by cell where the column is not all text."""
    try:
        values = pa.array(series.array)
    except (pa.ArrowException, TypeError, ValueError):
        values = None
    if values is not None and (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        hits = pc.match_substring_regex(values, _FORMULA_PATTERN)
        if not pc.any(hits).as_py():
            return None
        return np.asarray(hits.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
    cells = np.fromiter(
        (isinstance(v, str) and v.startswith(FORMULA_STARTS) for v in series.tolist()), dtype=bool, count=len(series)
    )
    return cells if cells.any() else None


def to_safe_csv(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV of `df` (no index) with every text cell and header defused."""
    changed: dict[int, pd.Series] = {}
    for position, dtype in enumerate(df.dtypes):  # by dtype first: a column is taken out only if it may change
        if pd.api.types.is_bool_dtype(dtype):  # the package's boolean form: true / false
            changed[position] = _true_false(df.iloc[:, position])
        elif pd.api.types.is_float_dtype(dtype):  # computed values: no artefacts such as -242.52999999999997
            changed[position] = df.iloc[:, position].round(10)
        elif _is_text(dtype):
            series = df.iloc[:, position]
            risky = _formula_cells(series)
            if risky is not None:
                cells = series.astype(object)  # a copy, whatever the dtype (a category cannot take new text)
                cells[risky] = ["'" + str(v) for v in cells[risky]]
                changed[position] = cells
    safe = df
    if changed:
        safe = df.copy()
        for position, values in changed.items():
            safe.isetitem(position, values)
    # CRLF (RFC 4180): the writer quotes cells holding any line-terminator character, so a bare CR inside a
    # cell cannot start a new spreadsheet row that begins with a formula.
    return safe.to_csv(index=False, lineterminator="\r\n", header=[defuse(str(c)) for c in df.columns]).encode("utf-8")


@dataclass(frozen=True)
class CsvRecords:
    """to_safe_csv of a frame kept as its header and one record per row: the CSV of any of its rows, in order, is
    the header and their records, because every cell is written from its own value (no datetime columns, whose
    format pandas picks per column: csv_records refuses them)."""

    header: bytes
    records: tuple[bytes, ...]

    def of(self, positions: Sequence[int]) -> bytes:
        """The CSV of the rows at these positions (of the frame csv_records was given)."""
        return self.header + b"".join(self.records[i] for i in positions)


def csv_records(df: pd.DataFrame) -> CsvRecords:
    """to_safe_csv(df) split into its header and one record per row (a record may hold quoted line breaks)."""
    if any(pd.api.types.is_datetime64_any_dtype(t) for t in df.dtypes):
        raise ValueError("csv_records: a datetime column is written in a format pandas picks for the whole column")
    pieces = to_safe_csv(df).split(b"\r\n")[:-1]  # the text ends with a line end
    records: list[bytes] = []
    current = b""
    for piece in pieces:  # a record ends at a line end outside quotes: where its count of quotes is even
        current += piece + b"\r\n"
        if current.count(b'"') % 2 == 0:
            records.append(current)
            current = b""
    if current or len(records) != len(df) + 1:
        raise ValueError(f"csv_records: {len(records)} records for {len(df)} rows and a header")
    return CsvRecords(records[0], tuple(records[1:]))


def slug(text: object, limit: int = 40) -> str:
    """'Ilham Aliyev, official' -> 'ilham-aliyev-official': a filter's value made safe for a file name."""
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:limit] or "filtered"


def bundle_zip(tables: Mapping[str, pd.DataFrame], files: Mapping[str, bytes]) -> bytes:
    """A zip with one safe CSV per table plus extra files (name -> bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, frame in tables.items():
            archive.writestr(f"{name}.csv", to_safe_csv(frame))
        for name, payload in files.items():
            archive.writestr(name, payload)
    return buffer.getvalue()
