"""What a view returns and what it is given. Pure: no streamlit.

A view is a function `build(ctx, **filters) -> <page object>`: `ctx` holds the validated tables it declared
(`@needs(...)`), the year range and the reader's language; filters are plain values (strings, tuples). It
returns a frozen object with everything the page draws: `Chart`s (figure, accessible name and one-sentence
summary, export file name), `Grid`s (on-screen tables: readable labels and values, as an Arrow table nobody can
change), `Download`s (CSV bytes, machine-readable) and source lines. `components/app_data.py` caches each
result once per (data version, years, language, filters).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pyarrow as pa
import pyarrow.compute as pc

from components.i18n import Lang
from components.shaping import corridors as shaping_corridors
from components.shaping import export, provenance
from components.shaping.filters import YearRange, years_in
from components.shaping.labels import Labels

T = TypeVar("T")

ALWAYS = ("sources", "names")  # every view names its sources and its coded values
OPTIONAL = ("discrepancies",)  # shown where a figure is drawn, if the table loaded


def needs(*tables: str, optional: Iterable[str] = (), always: bool = True) -> Callable:
    """Declare the tables a view builds from (required ones: if one fails, the view is not built and the page
    shows that table's problems; optional ones arrive as None when they fail). `optional=("*",)`: every table
    of the package. `always=False`: sources and names are optional too (a page that must stand without them)."""

    def mark(build: Callable) -> Callable:
        build.tables = tuple(dict.fromkeys((*tables, *(ALWAYS if always else ()))))
        build.optional = tuple(dict.fromkeys((*optional, *OPTIONAL, *(() if always else ALWAYS))))
        return build

    return mark


class PreparedFigure(go.Figure):
    """A figure spec handed to st.plotly_chart as it is: Streamlit only asks a go.Figure for `to_dict()` (for a real
    one, a deep copy of every property on each rerun) and validates anything else (a dict) on each rerun."""

    def __init__(self, spec: dict) -> None:  # not go.Figure's: the spec is plain data, validated in the tests
        object.__setattr__(self, "_spec", spec)

    def to_dict(self) -> dict:
        return self._spec


@dataclass(frozen=True)
class Chart:
    key: str  # widget key and export file stem
    spec: dict  # the figure as plotly.js reads it (components/figures/style.py `finish`); shared: never changed
    title: str  # plain text: the chart's accessible name
    summary: str  # one sentence a screen reader hears
    file_stem: str  # <chart>_<from>-<to>
    prepared: PreparedFigure = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "prepared", PreparedFigure(self.spec))

    @property
    def figure(self) -> go.Figure:
        """The spec as a validated go.Figure (made on each access: for tests and tools, not the page). From a copy:
        go.Figure rewrites the trace dicts it is given in place (it moves each trace's "type" to the end), and the
        spec is shared by every session and thread that shows the view."""
        return go.Figure(copy.deepcopy(self.spec))


@dataclass(frozen=True)
class Grid:
    rows: pa.Table  # display strings (numbers and dates in the reader's format), column names translated
    links: tuple[str, ...] = ()  # columns holding http(s) addresses, shown as links

    @property
    def num_rows(self) -> int:
        return self.rows.num_rows


@dataclass(frozen=True)
class YearGrid:
    """A Grid of every year's rows with each row's year: cut to a range without making its cells again (for a
    view's part made once per language, Context.shared)."""

    grid: Grid
    years: np.ndarray  # float, NaN where a row has no year
    keep_missing: bool = False  # rows with no year are in every range (as filters.filter_years(keep_missing=))

    def cut(self, span: YearRange) -> Grid:
        return Grid(self.grid.rows.filter(pa.array(years_in(self.years, span, self.keep_missing))), self.grid.links)


class MadeOnce:
    """Bytes made by `make()` the first time they are asked for (when a page first shows the view), then kept with
    the view that holds them (so in app_data's cache, and gone with it): a view's files are made once, not on each
    rerun of each session that shows it, and not while the view is built."""

    __slots__ = ("_lock", "_make", "_value")

    def __init__(self, make: Callable[[], bytes]) -> None:
        self._make: Callable[[], bytes] | None = make
        self._value: bytes | None = None
        self._lock = threading.Lock()

    def __call__(self) -> bytes:
        if self._value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._make()
                    self._make = None
        return self._value


@dataclass(frozen=True)
class Download:
    """A file offered for download. `content` is its bytes, or a function (no arguments) that makes them, once,
    when the page first draws the button (MadeOnce)."""

    content: bytes | Callable[[], bytes]
    file_name: str
    label: str
    key: str
    mime: str = "text/csv"

    def __post_init__(self) -> None:
        if callable(self.content) and not isinstance(self.content, MadeOnce):
            object.__setattr__(self, "content", MadeOnce(self.content))

    @property
    def data(self) -> bytes:
        return self.content() if callable(self.content) else self.content


@dataclass(frozen=True)
class Empty:
    """Nothing to draw for these inputs: the message says why and what to do."""

    message: str


@dataclass(frozen=True)
class Context:
    tables: Mapping[str, pd.DataFrame | None]
    years: YearRange
    labels: Labels
    citations: Mapping[str, str] = field(default_factory=dict)
    sources_by_id: Mapping[str, dict] = field(default_factory=dict)
    # (table name, fn) -> fn(table), made once per version of the table and shared (app_data gives it); None: made
    # on each call (tests)
    derive: Callable[[str, Callable[[pd.DataFrame], pd.DataFrame]], pd.DataFrame] | None = None
    # (key, fn) -> fn(), made once per (view, data version, language, key) and shared (app_data gives it); None: made
    # on each call (tests)
    memo: Callable[[Hashable, Callable[[], Any]], Any] | None = None

    @property
    def lang(self) -> Lang:
        return self.labels.lang

    @property
    def _(self) -> Callable[[str], str]:
        return self.labels.lang._

    def table(self, name: str) -> pd.DataFrame | None:
        return self.tables.get(name)

    def once(self, name: str, fn: Callable[[pd.DataFrame], pd.DataFrame]) -> pd.DataFrame:
        """fn(table `name`), made once per version of that table, not per view: for work that does not depend on
        the years, filters or language (fn must be a named module-level function, year-local, so that filtering
        the years afterwards gives what filtering first would). The result is shared: never modify it."""
        if self.derive is None:
            return fn(self.table(name))
        return self.derive(name, fn)

    def shared(self, key: Hashable, fn: Callable[[], T]) -> T:
        """fn(), made once per (view, data version, language, `key`) and shared by every year range that gives the
        same key: for the part of a view that depends on the years only through what `key` names (the map's
        routes drawn grey, say). `key` must hold every input of fn besides the tables and the language. The
        result is shared: never modify it."""
        if self.memo is None:
            return fn()
        return self.memo(key, fn)

    def cite(self, df: pd.DataFrame) -> pd.DataFrame:
        return provenance.with_citations(df, self.citations)

    def source_line(self, *frames: pd.DataFrame | None, compact: bool = False) -> str:
        ids = provenance.source_ids_in(*frames, columns=("source_id", "source_a", "source_b"))
        return provenance.source_line(self.sources_by_id or self.table("sources"), ids, self.lang, compact=compact)

    def file_stem(self, name: str, span: YearRange | None = None, *filters: str) -> str:
        span = span or self.years
        extra = "".join(f"_{export.slug(f)}" for f in filters if f)
        return f"{name}_{span.start}-{span.end}{extra}"

    def csv(self, df: pd.DataFrame) -> MadeOnce:
        """The formula-safe CSV of exactly these rows (machine-readable in every language), made when first asked
        for: a part of a view shared across ranges (Context.shared) keeps it, and each range names its file."""
        return MadeOnce(partial(export.to_safe_csv, df))

    def cut_csv(self, key: Hashable, every: Callable[[], pd.DataFrame], rows: pd.Index) -> MadeOnce:
        """The formula-safe CSV of the rows labelled `rows` (in that order) of the frame `every()` makes, with its
        columns: cut from the records of that frame's CSV, made once per (view, data version, language, key)
        (Context.shared), instead of written again for each range. Byte for byte to_safe_csv(every().loc[rows])."""
        part = self.shared(("csv", key), lambda: _Records.of_frame(every()))
        return MadeOnce(partial(part.of_labels, rows))

    def download(self, rows: pd.DataFrame | MadeOnce, name: str, label: str, key: str, *filters: str) -> Download:
        """These rows (or their CSV from `csv`) as a download named after the range and the filters."""
        content = self.csv(rows) if isinstance(rows, pd.DataFrame) else rows
        return Download(content, self.file_stem(name, None, *filters) + ".csv", label, key)

    def grid(self, df: pd.DataFrame, columns: Mapping[str, str], links: Iterable[str] = ()) -> Grid:
        """An on-screen table: `columns` maps a column of df to its heading; cells become display text
        (missing values blank, numbers already formatted by the view)."""
        rows = pa.table({heading: _text(df[c]) for c, heading in columns.items()})
        return Grid(rows, tuple(columns[c] for c in links))

    def year_grid(
        self, df: pd.DataFrame, columns: Mapping[str, str], links: Iterable[str] = (), keep_missing: bool = False
    ) -> YearGrid:
        """grid() of every row of df, with the rows' years (df's `year` column) to cut it to a range."""
        years = pd.to_numeric(df["year"]).to_numpy(dtype=float, na_value=np.nan)
        return YearGrid(self.grid(df, columns, links), years, keep_missing)

    def number(self, value: object, digits: int = 1, qualifier: object = None) -> str:
        if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
            return ""
        sign = (
            {"upper_bound": "≤ ", "lower_bound": "≥ ", "about": "≈ "}.get(qualifier, "")
            if isinstance(qualifier, str)
            else ""
        )
        return sign + self.lang.number(float(value), digits)

    def compact(self, value: object, high: object = None, qualifier: object = None) -> str:
        if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
            return ""
        sign = (
            {"upper_bound": "≤ ", "lower_bound": "≥ ", "about": "≈ "}.get(qualifier, "")
            if isinstance(qualifier, str)
            else ""
        )
        text = sign + self.lang.compact(float(value))
        if high is not None and not (isinstance(high, float) and pd.isna(high)) and high is not pd.NA:
            text += "–" + self.lang.compact(float(high))
        return text

    def disagreements(self, table: str, rows: pd.DataFrame) -> Grid:
        """disagreement_grid of the discrepancies about any of these rows of `table`: every discrepancy's cells are
        made once per data version and language (Context.shared) and picked by the rows' keys."""
        every = self.shared(("disagreements",), lambda: _Disagreements.of(self))
        keys = shaping_corridors.keys_of(table, rows)
        return Grid(every.grid.rows.filter(pa.array([bool(keys & s) for s in every.subjects], pa.bool_())))

    def disagreement_grid(self, found: pd.DataFrame) -> Grid:
        """Disagreements side by side: what, each version with its sources, how it is kept."""
        _ = self._
        columns = {
            "topic": _("What"),
            "a": _("One version (source)"),
            "b": _("Other version (source)"),
            "note": _("How it is kept"),
        }
        if found is None or found.empty:
            return self.grid(pd.DataFrame({c: [] for c in ("topic", "a", "b", "note")}), columns)

        def cited(claims, ids):
            return [
                f"{c} ({', '.join(self.citations.get(s, s) for s in str(i).split(';'))})" for c, i in zip(claims, ids)
            ]

        show = found.assign(a=cited(found["claim_a"], found["source_a"]), b=cited(found["claim_b"], found["source_b"]))
        return self.grid(show, columns)

    def yes(self, flag: object) -> str:
        return self._("yes") if flag is True or flag == True else ""  # noqa: E712 - pandas booleans


@dataclass(frozen=True)
class _Disagreements:
    """Every discrepancy as disagreement_grid shows it, with the row keys each names (its `subjects`)."""

    grid: Grid
    subjects: tuple[frozenset[str], ...]

    @classmethod
    def of(cls, ctx: Context) -> _Disagreements:
        found = ctx.table("discrepancies")
        if found is None or found.empty:
            return cls(ctx.disagreement_grid(found), ())
        subjects = tuple(frozenset(x.strip() for x in s.split(";")) for s in found["subjects"].fillna(""))
        return cls(ctx.disagreement_grid(found), subjects)


@dataclass(frozen=True)
class _Records:
    """A frame's CSV records (export.csv_records) with the frame's index and columns, to cut by index label."""

    index: pd.Index
    records: export.CsvRecords

    @classmethod
    def of_frame(cls, frame: pd.DataFrame) -> _Records:
        if not frame.index.is_unique:
            raise ValueError("cut_csv: the frame's index labels must be unique")
        return cls(frame.index, export.csv_records(frame))

    def of_labels(self, labels: pd.Index) -> bytes:
        positions = self.index.get_indexer(labels)
        if (positions < 0).any():
            raise ValueError("cut_csv: rows that are not the frame's")
        return self.records.of(positions)


def _text(values: pd.Series) -> pa.Array:
    """A column as display strings, missing values blank (text columns straight through Arrow)."""
    if isinstance(values.dtype, pd.StringDtype):
        return pc.fill_null(pa.array(values, type=pa.string(), from_pandas=True), "")
    return pa.array(
        ["" if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)) else str(v) for v in values],
        pa.string(),
    )
