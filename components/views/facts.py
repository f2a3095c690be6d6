"""Facts and figures: every indicator, by topic, with units and years; a chart for one that has several
years. Pure: no streamlit."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from components.figures import charts
from components.shaping import corridors as shaping_corridors
from components.shaping import transforms
from components.views.base import Chart, Context, Download, Empty, Grid, YearGrid, needs

# Topics shown on other pages: trade and investment on Trade; energy and transport on Corridors (Energy
# context); diaspora on Diaspora. The Facts page shows every topic.
ALL_TOPICS = (
    "trade",
    "investment",
    "economy",
    "energy",
    "transport",
    "caspian",
    "diaspora",
    "multilateral",
    "culture",
    "other",
)


@dataclass(frozen=True)
class TopicFigures:
    grid: Grid
    choices: tuple[tuple[str, str], ...]  # (indicator id, label) of indicators with two or more points
    chosen: str
    chart: Chart | None
    disagreements: Grid
    download: Download
    source: str
    count: int


DISPLAY = ("topic_name", "when", "value_text", "unit_name", "country_name", "stated", "derived_text", "hover")


def _display(ctx: Context) -> pd.DataFrame:
    """Every indicator row (all years) cited, with its display text in the reader's language: made once per data
    version and language (ctx.shared), then cut to the topics and years asked for."""
    _ = ctx._
    rows = ctx.cite(ctx.table("indicators"))
    return transforms.cuttable(
        rows.assign(
            topic_name=ctx.labels.names("topic", rows["topic"]),
            when=[
                ctx.labels.period(p if isinstance(p, str) and not p[:1].isdigit() else "", y)
                + (f" ({p})" if isinstance(p, str) and p[:1].isdigit() else "")
                if pd.notna(y)
                else (p if isinstance(p, str) else _("not dated"))
                for p, y in zip(rows["period"], rows["year"])
            ],
            value_text=[ctx.compact(v, h, q) for v, h, q in zip(rows["value"], rows["value_high"], rows["qualifier"])],
            unit_name=ctx.labels.names("unit", rows["unit"]),
            country_name=ctx.labels.names("country", rows["country"]),
            stated=[str(int(s)) if pd.notna(s) else "" for s in rows["stated_year"]],
            derived_text=[ctx.yes(d) for d in rows["is_derived"]],
            hover=charts.indicator_hover(rows, ctx.labels),
        )
    )


def every_indicator(ctx: Context) -> pd.DataFrame:
    """_display: made once per data version and language for the view that asks (Context.shared)."""
    return ctx.shared("indicators", lambda: _display(ctx))


def indicator_rows(ctx: Context, topics: tuple[str, ...]) -> pd.DataFrame:
    """The indicators of these topics in the selected years, cited and with their display text (DISPLAY);
    figures with no year (a point in time the source does not date) are always kept, and say so."""
    rows = every_indicator(ctx)
    rows = rows[rows["topic"].isin(topics)]
    return transforms.in_years(rows, ctx.years, keep_missing=True)


def as_stored(rows: pd.DataFrame) -> pd.DataFrame:
    """indicator_rows without the citation and display text: the rows as indicators.csv holds them."""
    return rows.drop(columns=["cite", *DISPLAY])


def indicator_grid(ctx: Context, rows: pd.DataFrame) -> Grid:
    """The table of these indicator rows (by topic, figure and year)."""
    return ctx.grid(_grid_order(rows), _grid_columns(ctx))


def _grid_order(rows: pd.DataFrame) -> pd.DataFrame:
    order = {t: i for i, t in enumerate(ALL_TOPICS)}
    return rows.assign(_o=rows["topic"].map(order)).sort_values(["_o", "label", "year"], na_position="first")


def _every_year_grid(ctx: Context, topics: tuple[str, ...]) -> YearGrid:
    """indicator_grid of these topics' rows of every year (and none), made once per data version and language,
    cut to each range: sorting then cutting is cutting then sorting."""

    def make() -> YearGrid:
        rows = every_indicator(ctx)
        return ctx.year_grid(_grid_order(rows[rows["topic"].isin(topics)]), _grid_columns(ctx), keep_missing=True)

    return ctx.shared(("grid", topics), make)


def _grid_columns(ctx: Context) -> dict[str, str]:
    _ = ctx._
    return {
        "topic_name": _("Topic"),
        "label": _("Figure"),
        "country_name": _("Country"),
        "when": _("Year or period"),
        "value_text": _("Value"),
        "unit_name": _("Unit"),
        "stated": _("Stated in"),
        "derived_text": _("Derived"),
        "cite": _("Source"),
        "note": _("Note"),
    }


def _chart(ctx: Context, series: pd.DataFrame, key: str, chosen: str, label: str) -> Chart:
    """One indicator's figures in range, as a chart, in one unit (its sources may give different scales: 569
    thousand t and 1.3 million t are drawn on one million-t axis; each point's hover keeps the source's)."""
    _ = ctx._
    series = shaping_corridors.in_one_unit(series)
    span = transforms.span(series, ctx.years)
    unit = ctx.labels.name("unit", series["unit"].iloc[0])
    title = f"{label}, {span.label()} ({unit})"
    top = series.sort_values("value").iloc[-1]
    summary = _("{title}: {n} figures; highest {value} in {year}.").format(
        title=title,
        n=len(series),
        value=ctx.compact(top["value"], top["value_high"], top["qualifier"]),
        year=int(top["year"]),
    )
    return Chart(
        f"{key}_{chosen}",
        charts.indicator_figure(series, ctx.labels, label, unit, span.label(), ctx.source_line(series, compact=True)),
        title,
        summary,
        ctx.file_stem(chosen, span),
    )


def topic_figures(ctx: Context, topics: tuple[str, ...], indicator: str, key: str) -> TopicFigures | Empty:
    _ = ctx._
    rows = indicator_rows(ctx, topics)
    if rows.empty:
        return Empty(_("No figures on these topics in {years}.").format(years=ctx.years.label()))
    dated = rows[rows["year"].notna().to_numpy(dtype=bool)]
    counts = dated.groupby("indicator")["year"].nunique()
    labels_of = dict(zip(rows["indicator"], rows["label"]))
    choices = tuple((i, labels_of[i]) for i in counts[counts >= 2].sort_values(ascending=False).index)
    chosen = indicator if indicator in dict(choices) else (choices[0][0] if choices else "")
    chart = None
    if chosen:
        series = dated[dated["indicator"] == chosen]
        # The chart depends on the years only through the figure's rows in range: ranges holding the same rows
        # (most, the series being sparse) share one.
        chart = ctx.shared(
            ("chart", key, chosen, tuple(series.index)), lambda: _chart(ctx, series, key, chosen, labels_of[chosen])
        )
    return TopicFigures(
        _every_year_grid(ctx, topics).cut(ctx.years),
        choices,
        chosen,
        chart,
        ctx.disagreements("indicators", rows),
        ctx.download(
            ctx.cut_csv("indicators", lambda: as_stored(every_indicator(ctx)), rows.index),
            f"indicators_{'_'.join(topics)}",
            _("Download these figures (CSV)"),
            f"dl.{key}",
        ),
        ctx.source_line(rows),
        len(rows),
    )


@needs("indicators")
def facts(ctx: Context, topic: str = "", indicator: str = "") -> TopicFigures | Empty:
    """Every indicator, or those of one topic."""
    topics = (topic,) if topic in ALL_TOPICS else ALL_TOPICS
    return topic_figures(ctx, topics, indicator, "facts")


@dataclass(frozen=True)
class Topics:
    options: tuple[tuple[str, str], ...]  # ("", every topic), then each topic that has figures


@needs("indicators")
def topics(ctx: Context) -> Topics:
    present = set(ctx.table("indicators")["topic"])
    return Topics((("", ctx._("Every topic")), *((t, ctx.labels.name("topic", t)) for t in ALL_TOPICS if t in present)))
