"""Corridors: every route and facility, its volumes, milestones and documents; all at a glance; the energy
context. Pure: no streamlit."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from components.figures import corridors as figures
from components.shaping import corridors as shaping
from components.shaping import transforms
from components.shaping.filters import years_in
from components.views import facts
from components.views.base import Chart, Context, Download, Empty, Grid, YearGrid, needs


@dataclass(frozen=True)
class Choice:
    corridors: tuple[tuple[str, str], ...]  # (id, label with what it has) of every route and facility
    chosen: str
    name: str


def corridor_name(ctx: Context, corridor: str, catalogue: pd.DataFrame | None = None) -> str:
    """The proper name of a route or facility, in the reader's language (never a made-up one)."""
    for kind in ("route", "facility"):
        if (kind, corridor) in ctx.labels.table:
            return ctx.labels.name(kind, corridor)
    if catalogue is not None:
        row = catalogue[catalogue["corridor"] == corridor]
        if not row.empty and isinstance(row["name"].iloc[0], str):
            return row["name"].iloc[0]
    return corridor


def _catalogue(ctx: Context) -> pd.DataFrame:
    return shaping.catalogue(
        ctx.table("routes"),
        ctx.table("facilities"),
        ctx.table("corridor_volumes"),
        ctx.table("events"),
        ctx.table("agreements"),
    )


@needs("corridor_volumes", "routes", "facilities", "events", "agreements")
def choice(ctx: Context, corridor: str = "") -> Choice:
    """The corridor picker: every route and facility (all years), each saying what it has. It does not depend on
    the years: made once per corridor asked for, data version and language, for every range."""
    return ctx.shared(("choice", corridor), lambda: _choice(ctx, corridor))


def _choice(ctx: Context, corridor: str) -> Choice:
    _ = ctx._
    cat = _catalogue(ctx)
    options = []
    for row in cat.to_dict("records"):
        name = corridor_name(ctx, row["corridor"], cat)
        has = [
            ctx.lang.ngettext("{n} figure", "{n} figures", row["figures"]).format(n=row["figures"])
            if row["figures"]
            else _("no volume figures"),
            ctx.lang.ngettext("{n} milestone", "{n} milestones", row["milestones"] + row["documents"]).format(
                n=row["milestones"] + row["documents"]
            ),
        ]
        options.append((row["corridor"], f"{name} ({', '.join(has)})"))
    ids = [o[0] for o in options]
    chosen = corridor if corridor in ids else (ids[0] if ids else "")
    return Choice(tuple(options), chosen, corridor_name(ctx, chosen, cat) if chosen else "")


@dataclass(frozen=True)
class Volumes:
    chart: Chart
    grid: Grid
    disagreements: Grid
    download: Download
    source: str
    count: int


def _volumes(ctx: Context) -> pd.DataFrame:
    return ctx.cite(transforms.in_years(ctx.once("corridor_volumes", shaping.normalise_units), ctx.years))


def volume_grid(ctx: Context, rows: pd.DataFrame) -> YearGrid:
    _ = ctx._
    show = rows.assign(
        when=[ctx.labels.period(p, y) for p, y in zip(rows["period"], rows["year"])],
        metric_name=ctx.labels.names("metric", rows["metric"]),
        status_name=ctx.labels.names("volume_status", rows["status"]),
        value_text=[ctx.compact(v, h, q) for v, h, q in zip(rows["value"], rows["value_high"], rows["qualifier"])],
        unit_name=ctx.labels.names("unit", rows["unit"]),
        stated=[str(int(s)) if pd.notna(s) else "" for s in rows["stated_year"]],
        cargo_name=ctx.labels.names("cargo", rows["cargo"]),
    )
    return ctx.year_grid(
        show,
        {
            "when": _("Year or period"),
            "metric_name": _("Metric"),
            "status_name": _("Status"),
            "value_text": _("Value"),
            "unit_name": _("Unit"),
            "scope": _("Counts only"),
            "stated": _("Stated in"),
            "cargo_name": _("Cargo"),
            "given": _("As the source gives it"),
            "cite": _("Source"),
            "note": _("Note"),
        },
    )


@dataclass(frozen=True)
class _EveryVolume:
    """One corridor's figures of every year, made once per (data version, language, corridor) and cut to each
    range: each row is one figure of one year, so cutting after is cutting before."""

    rows: pd.DataFrame  # units normalised, cited
    records: tuple[dict, ...]  # the same rows as the chart reads them (figures.marked)
    years: np.ndarray
    table: YearGrid
    stored: pd.DataFrame  # the same rows as stored (the download): each figure in the unit its source gives


def _every_volume(ctx: Context, corridor: str) -> _EveryVolume:
    every = ctx.cite(ctx.once("corridor_volumes", shaping.normalise_units))
    rows = every[every["corridor"] == corridor]
    table = ctx.table("corridor_volumes")
    stored = table[table["corridor"] == corridor]
    return _EveryVolume(
        transforms.cuttable(rows),
        tuple(figures.marked(rows, ctx.labels)),
        rows["year"].to_numpy(dtype=float, na_value=np.nan),
        volume_grid(ctx, rows),
        stored,
    )


@needs("corridor_volumes", "routes", "facilities", optional=("events", "agreements"))
def volumes(ctx: Context, corridor: str) -> Volumes | Empty:
    _ = ctx._
    name = corridor_name(ctx, corridor)
    every = ctx.shared(("volumes", corridor), lambda: _every_volume(ctx, corridor))
    keep = years_in(every.years, ctx.years)
    rows = every.rows[keep]
    if rows.empty:
        other_years = every.stored["year"]
        if other_years.empty:
            return Empty(
                _(
                    "{name} has no volume figures in the data (no throughput, capacity or target); its "
                    "milestones and documents are in the Milestones tab."
                ).format(name=name)
            )
        return Empty(
            _("{name} has no volume figures in {years}; it has some for {first}–{last}. Widen the year range.").format(
                name=name, years=ctx.years.label(), first=int(other_years.min()), last=int(other_years.max())
            )
        )
    span = transforms.span(rows, ctx.years)
    title = _("{name}: volumes against capacity and targets, {period}").format(name=name, period=span.label())
    actual = rows[(rows["status"] == "actual") & (rows["metric"] == "throughput")]
    if not actual.empty:
        top = actual.sort_values("value").iloc[-1]
        summary = _("{title}: {n} figures; largest actual throughput {value} {unit} in {year}.").format(
            title=title,
            n=len(rows),
            value=ctx.compact(top["value"], None, top["qualifier"]),
            unit=ctx.labels.name("unit", top["unit"]),
            year=int(top["year"]),
        )
    else:
        summary = _("{title}: {n} figures, none of them an actual throughput.").format(title=title, n=len(rows))
    records = [r for r, k in zip(every.records, keep) if k]
    chart = Chart(
        f"corridor_{corridor}",
        figures.corridor_figure(
            rows, ctx.labels, name, span.label(), ctx.source_line(rows, compact=True), records=records
        ),
        title,
        summary,
        ctx.file_stem(f"corridor_{corridor}", span),
    )
    return Volumes(
        chart,
        every.table.cut(ctx.years),
        ctx.disagreements("corridor_volumes", rows),
        ctx.download(  # as stored: each figure in the unit its source gives
            ctx.cut_csv(("stored", corridor), lambda: every.stored, every.stored.index[keep]),
            f"corridor_volumes_{corridor}",
            _("Download the figures for {name} (CSV)").format(name=name),
            "dl.corridor_volumes",
        ),
        ctx.source_line(rows),
        len(rows),
    )


@dataclass(frozen=True)
class Milestones:
    chart: Chart
    grid: Grid
    download: Download
    source: str
    count: int


@needs("events", "agreements", "routes", "facilities")
def milestones(ctx: Context, corridor: str) -> Milestones | Empty:
    _ = ctx._
    name = corridor_name(ctx, corridor)
    marks = shaping.milestones(
        transforms.in_years(ctx.table("events"), ctx.years),
        transforms.in_years(ctx.table("agreements"), ctx.years),
        corridor,
    )
    if marks.empty:
        return Empty(
            _("No dated milestones or documents name {name} in {years}.").format(name=name, years=ctx.years.label())
        )
    found = ctx.table("discrepancies")
    keys = [f"{'events' if k == 'milestone' else 'agreements'}:{d}" for k, d in zip(marks["kind"], marks["date"])]
    marks = ctx.cite(marks).assign(
        disagreement=[
            " | ".join(f"{t}: {a} / {b}" for t, a, b in zip(h["topic"], h["claim_a"], h["claim_b"]))
            for h in (shaping.matching_disagreements(found, {k}) for k in keys)
        ]
    )
    span = transforms.span(marks, ctx.years)
    title = _("{name}: milestones and documents, {period}").format(name=name, period=span.label())
    first = marks.iloc[0]
    summary = _("{title}: {n} entries, the first on {date}.").format(
        title=title, n=len(marks), date=ctx.labels.date(first["date"], first["date_precision"])
    )
    chart = Chart(
        f"milestones_{corridor}",
        figures.milestone_figure(marks, ctx.labels, name, span.label(), ctx.source_line(marks, compact=True)),
        title,
        summary,
        ctx.file_stem(f"milestones_{corridor}", span),
    )
    show = marks.assign(
        when=[ctx.labels.date(d, p) for d, p in zip(marks["date"], marks["date_precision"])],
        kind_name=marks["kind"].map({"milestone": _("milestone"), "agreement": _("document signed")}),
    )
    grid = ctx.grid(
        show,
        {
            "when": _("Date"),
            "kind_name": _("Kind"),
            "what": _("What"),
            "cite": _("Source"),
            "disagreement": _("Where sources disagree"),
        },
    )
    return Milestones(
        chart,
        grid,
        ctx.download(
            marks.drop(columns=["date_start", "cite"]),
            f"milestones_{corridor}",
            _("Download the milestones (CSV)"),
            "dl.milestones",
        ),
        ctx.source_line(marks),
        len(marks),
    )


@dataclass(frozen=True)
class Glance:
    summary: Grid
    utilisation: Grid
    without_figures: tuple[str, ...]
    download: Download
    download_utilisation: Download
    source: str


@needs("corridor_volumes", "routes", "facilities", "events", "agreements")
def glance(ctx: Context) -> Glance | Empty:
    _ = ctx._
    rows = _volumes(ctx)
    cat = _catalogue(ctx)
    without = tuple(corridor_name(ctx, c, cat) for c in cat["corridor"] if c not in set(rows["corridor"]))
    if rows.empty:
        return Empty(
            _("No corridor figures in {years}. Widen the year range in the sidebar.").format(years=ctx.years.label())
        )
    summ = shaping.summary(rows)
    show = summ.assign(
        name=[corridor_name(ctx, c, cat) for c in summ["corridor"]],
        unit_name=ctx.labels.names("unit", summ["unit"]),
        latest=[ctx.compact(v, None, q) for v, q in zip(summ["latest_actual"], summ["latest_qualifier"])],
        latest_when=[
            ctx.labels.period(p, y) if pd.notna(y) else "" for p, y in zip(summ["latest_period"], summ["latest_year"])
        ],
        ahead=[ctx.compact(v) for v in summ["max_ahead"]],
        years=[f"{a}–{b}" for a, b in zip(summ["first"], summ["last"])],
        n=summ["figures"].astype(str),
    )
    usage = shaping.utilisation(rows)
    use_show = usage.assign(
        name=[corridor_name(ctx, c, cat) for c in usage["corridor"]],
        unit_name=ctx.labels.names("unit", usage["unit"]),
        thr=[ctx.compact(v) for v in usage["throughput"]],
        cap=[ctx.compact(v) for v in usage["capacity"]],
        pct=[ctx.number(v, 1) for v in usage["utilisation_pct"]],
    )
    return Glance(
        ctx.grid(
            show,
            {
                "name": _("Route or facility"),
                "unit_name": _("Unit"),
                "latest": _("Latest actual"),
                "latest_when": _("Of"),
                "ahead": _("Largest capacity or target"),
                "years": _("Years"),
                "n": _("Figures"),
            },
        ),
        ctx.grid(
            use_show,
            {
                "name": _("Route or facility"),
                "year": _("Year"),
                "unit_name": _("Unit"),
                "thr": _("Throughput"),
                "cap": _("Capacity used"),
                "capacity_basis": _("Which capacity"),
                "pct": _("Utilisation, %"),
            },
        ),
        without,
        ctx.download(summ, "corridor_summary", _("Download the summary (CSV)"), "dl.corridor_summary"),
        ctx.download(usage, "corridor_utilisation", _("Download utilisation (CSV)"), "dl.corridor_utilisation"),
        ctx.source_line(rows),
    )


@needs("indicators")
def energy(ctx: Context, indicator: str = "") -> facts.TopicFigures | Empty:
    """Energy and transport figures (reserves, output, capacities) with disagreeing sources side by side."""
    return facts.topic_figures(ctx, ("energy", "transport"), indicator, "energy")
