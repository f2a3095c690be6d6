"""Year-range parsing (from the URL) and year filters. Pure: no Streamlit."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from components.i18n import N_

_YEAR = re.compile(r"^\d{4}$")


@dataclass(frozen=True)
class YearRange:
    """A validated, inclusive year range; `notice` explains a fallback: (message id, its parameters), translated
    where it is shown."""

    start: int
    end: int
    notice: tuple[str, dict] | None = None

    def label(self) -> str:
        return f"{self.start}" if self.start == self.end else f"{self.start}–{self.end}"


def _first(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    return None if value is None else str(value)


def parse_year_range(params: Mapping[str, object], lo: int, hi: int, default_start: int | None = None) -> YearRange:
    """Read ?from=YYYY&to=YYYY against the data's bounds [lo, hi].

    Missing values default to `default_start` (else lo) and hi. Malformed or reversed values fall back to the
    defaults; out-of-range values are clamped. Both come back with a notice, which never echoes what was in the
    URL (it is shown to users)."""
    first = lo if default_start is None else max(lo, min(default_start, hi))
    raw = {key: _first(params.get(key)) for key in ("from", "to")}
    parsed: dict[str, int | None] = {}
    for key, text in raw.items():
        if text is None or text.strip() == "":
            parsed[key] = None
        elif _YEAR.match(text.strip()):
            parsed[key] = int(text.strip())
        else:
            return YearRange(
                first,
                hi,
                (
                    N_("The link's year range was not a valid year; showing {range}."),
                    {"range": YearRange(first, hi).label()},
                ),
            )
    start = first if parsed["from"] is None else parsed["from"]
    end = hi if parsed["to"] is None else parsed["to"]
    if start > end:
        return YearRange(
            first,
            hi,
            (N_("The link's year range was reversed; showing {range}."), {"range": YearRange(first, hi).label()}),
        )
    clamped_start, clamped_end = max(lo, min(start, hi)), min(hi, max(end, lo))
    if (clamped_start, clamped_end) != (start, end):
        return YearRange(
            clamped_start,
            clamped_end,
            (
                N_("The link's year range was outside the data ({lo}–{hi}); showing {range}."),
                {"lo": lo, "hi": hi, "range": YearRange(clamped_start, clamped_end).label()},
            ),
        )
    return YearRange(start, end)


def year_mask(df: pd.DataFrame, start: int, end: int, column: str = "year", keep_missing: bool = False):
    """A numpy boolean mask of the rows whose `column` lies in [start, end] (missing years only if asked)."""
    years = df[column].to_numpy(dtype="float64", na_value=np.nan)  # numpy: Series.between costs 10x as much
    return years_in(years, YearRange(start, end), keep_missing)


def years_in(years: np.ndarray, span: YearRange, keep_missing: bool = False) -> np.ndarray:
    """Which of these years (float, NaN for none) lie in the span: what filter_years keeps."""
    mask = (years >= span.start) & (years <= span.end)  # NaN (a missing year) compares False
    if keep_missing:
        mask |= np.isnan(years)
    return mask


def filter_years(df: pd.DataFrame, start: int, end: int, column: str = "year", keep_missing: bool = False):
    """Rows whose `column` lies in [start, end]; rows with no year are kept only if asked."""
    return df[year_mask(df, start, end, column, keep_missing)]
