"""Diaspora: Azerbaijanis in Kazakhstan over time by kind of count, with the spread where sources differ, and
the other diaspora figures. Pure: no streamlit."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from components.figures import charts
from components.shaping import transforms
from components.views import facts
from components.views.base import Chart, Context, Download, Empty, Grid, YearGrid, needs


@dataclass(frozen=True)
class Diaspora:
    chart: Chart | None
    spread: Grid
    grid: Grid
    disagreements: Grid
    others: Grid | None
    download: Download
    download_others: Download | None
    source: str
    count: int


DISPLAY = ("group_name", "value", "measure_name", "hover")  # beside "cite"


def _display(ctx: Context) -> pd.DataFrame:
    """Every diaspora row (all years) cited, with its display text in the reader's language: made once per data
    version and language (ctx.shared), then cut to each range's years."""
    rows = ctx.cite(ctx.table("diaspora"))
    return transforms.cuttable(
        rows.assign(
            group_name=ctx.labels.names("group", rows["group"]),
            value=[
                ctx.number(v, 0, q) + ("–" + ctx.number(h, 0) if pd.notna(h) else "")
                for v, h, q in zip(rows["population"], rows["population_high"], rows["qualifier"])
            ],
            measure_name=ctx.labels.names("measure", rows["measure"]),
            hover=charts.diaspora_hover(rows, ctx.labels),
        )
    )


@needs("diaspora", optional=("indicators",))
def diaspora(ctx: Context) -> Diaspora | Empty:
    _ = ctx._
    every = ctx.shared("rows", lambda: _display(ctx))
    shown = transforms.in_years(every, ctx.years)
    if shown.empty:
        return Empty(
            _("No population figures in {years}. Widen the year range in the sidebar.").format(years=ctx.years.label())
        )
    rows = facts.indicator_rows(ctx, ("diaspora",)) if ctx.table("indicators") is not None else None
    if rows is not None and rows.empty:
        rows = None
    # The chart depends on the years only through the rows in range: ranges that hold the same rows share it (for
    # the population rows and the other figures apart). The tables are made for every year once and cut.
    drawn = ctx.shared(("drawn", tuple(shown.index)), lambda: _drawn(ctx, shown))
    spread, grid = ctx.shared("tables", lambda: _tables(ctx, every))
    others = download_others = None
    if rows is not None:
        others = ctx.shared(("others", tuple(rows.index)), lambda: facts.indicator_grid(ctx, rows))
        others_csv = ctx.cut_csv("indicators", lambda: facts.as_stored(facts.every_indicator(ctx)), rows.index)
        download_others = ctx.download(
            others_csv, "indicators_diaspora", _("Download the other diaspora figures (CSV)"), "dl.indicators_diaspora"
        )
    csv = ctx.cut_csv("diaspora", lambda: every.drop(columns=["cite", *DISPLAY]), shown.index)
    return Diaspora(
        drawn.chart,
        spread.cut(ctx.years),
        grid.cut(ctx.years),
        ctx.disagreements("diaspora", shown),
        others,
        ctx.download(csv, "diaspora", _("Download the population figures (CSV)"), "dl.diaspora"),
        download_others,
        drawn.source,
        len(shown),
    )


@dataclass(frozen=True)
class _Drawn:
    chart: Chart | None
    source: str


def _drawn(ctx: Context, shown: pd.DataFrame) -> _Drawn:
    """The chart and source line of these population rows."""
    _ = ctx._
    az = shown[shown["group"] == "az_in_kz"]
    chart = None
    if not az.empty:
        span = transforms.span(az, ctx.years)
        title = _("Azerbaijanis in Kazakhstan by source and kind of count, {period} (people)").format(
            period=span.label()
        )
        census = az[az["measure"] == "census"].sort_values("year")
        if not census.empty:
            last = census.iloc[-1]
            summary = _("{title}: {n} figures; the latest census ({year}) counted {value} people.").format(
                title=title, n=len(az), year=int(last["year"]), value=ctx.number(last["population"], 0)
            )
        else:
            summary = _("{title}: {n} figures, none of them a census.").format(title=title, n=len(az))
        chart = Chart(
            "diaspora",
            charts.diaspora_figure(az, ctx.labels, span.label(), ctx.source_line(az, compact=True)),
            title,
            summary,
            ctx.file_stem("diaspora", span),
        )
    return _Drawn(chart, ctx.source_line(shown))


def _tables(ctx: Context, every: pd.DataFrame) -> tuple[YearGrid, YearGrid]:
    """The spread where sources differ and the table of every population row, of every year (each spread row is
    one group in one year, so cutting after is cutting before)."""
    _ = ctx._
    ranges = transforms.diaspora_ranges(every)
    disputed = ranges[ranges["figures"] > 1]
    spread = ctx.year_grid(
        disputed.assign(
            group_name=ctx.labels.names("group", disputed["group"]),
            low_text=[ctx.number(v, 0) for v in disputed["low"]],
            high_text=[ctx.number(v, 0) for v in disputed["high"]],
            n=disputed["figures"].astype(str),
        ),
        {
            "group_name": _("Who"),
            "year": _("Year"),
            "low_text": _("Lowest figure"),
            "high_text": _("Highest figure"),
            "n": _("Figures"),
        },
    )
    grid = ctx.year_grid(
        every,
        {
            "group_name": _("Who"),
            "year": _("Year"),
            "value": _("People"),
            "measure_name": _("Kind of count"),
            "cite": _("Source"),
            "note": _("Note"),
        },
    )
    return spread, grid
