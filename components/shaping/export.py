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
from collections.abc import Mapping

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defuse(value: object) -> object:
    """Neutralise one cell: text starting with a formula character gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _is_text(series: pd.Series) -> bool:
    return not (
        pd.api.types.is_numeric_dtype(series)
        or pd.api.types.is_bool_dtype(series)
        or pd.api.types.is_datetime64_any_dtype(series)
    )


def _formula_cells(series: pd.Series) -> pd.Series:
    """True where a cell is text starting with a formula character (vectorised on string columns)."""
    try:
        return series.str.startswith(FORMULA_STARTS, na=False).astype(bool)
    except (AttributeError, TypeError):  # not all text: check cell by cell
        return series.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_STARTS)).astype(bool)


def to_safe_csv(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV of `df` (no index) with every text cell and header defused."""
    changed: dict[int, pd.Series] = {}
    for position in range(len(df.columns)):
        series = df.iloc[:, position]
        if pd.api.types.is_bool_dtype(series):  # the package's boolean form: true / false
            changed[position] = series.map({True: "true", False: "false"}, na_action="ignore").astype(object)
        elif pd.api.types.is_float_dtype(series):  # computed values: no artefacts such as -242.52999999999997
            changed[position] = series.round(10)
        elif _is_text(series):
            risky = _formula_cells(series)
            if risky.any():
                changed[position] = series.where(~risky, "'" + series[risky].astype(str)).astype(object)
    safe = df
    if changed:
        safe = df.copy()
        for position, values in changed.items():
            safe.isetitem(position, values)
    # CRLF (RFC 4180): the writer quotes cells holding any line-terminator character, so a bare CR inside a
    # cell cannot start a new spreadsheet row that begins with a formula.
    return safe.to_csv(index=False, lineterminator="\r\n", header=[defuse(str(c)) for c in df.columns]).encode("utf-8")


def download_name(table: str, start: int, end: int) -> str:
    """File name for a filtered download: <table>_<from>-<to>.csv."""
    return f"{table}_{start}-{end}.csv"


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
