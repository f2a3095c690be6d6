"""Visits, documents and commission sessions, filterable by plain values. Pure: no streamlit."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from components.figures import charts
from components.shaping import transforms
from components.views.base import Chart, Context, Download, Empty, Grid, needs

VISIT_TYPES = ("state", "official", "working", "council", "summit", "other")


@dataclass(frozen=True)
class Visits:
    leaders: tuple[tuple[str, str], ...]  # (key, name) of every visitor in the years, for the filter
    types: tuple[tuple[str, str], ...]
    chart: Chart | None
    empty: str | None
    caption: str
    grid: Grid
    disagreements: Grid
    download: Download
    source: str
    count: int


def spellings(ctx: Context, df: pd.DataFrame, columns: dict[str, str]) -> pd.Series:
    """Every spelling (all four languages and aliases) of the names in these columns, one string per row: what
    lets a search for 'Астана', 'Astana' or 'Nur-Sultan' find the same rows."""
    parts = []
    for column, kind in columns.items():
        if column in df:
            parts.append(
                df[column].map(lambda v, k=kind: " ".join(ctx.labels.spellings(k, v)) if isinstance(v, str) else "")
            )
    if not parts:
        return pd.Series("", index=df.index)
    out = parts[0]
    for p in parts[1:]:
        out = out + " " + p
    return out


def search(ctx: Context, df: pd.DataFrame, query: str, names: dict[str, str]) -> pd.DataFrame:
    """Rows matching the query in any script: a name's other spellings are searched too (in the free text as
    well), and the coded columns are searched by their names in every language."""
    return transforms.search_rows(df, ctx.labels.expand(query), extra=spellings(ctx, df, names))


VISIT_NAMES = {"visitor": "person", "city": "city", "host_country": "country", "visitor_country": "country"}


@dataclass(frozen=True)
class _EveryVisit:
    """Every visit with its direction, citation, table cells, hover text and the spellings a search also looks at:
    made once per data version and language (Context.shared), then cut to the range and the filters."""

    rows: pd.DataFrame
    columns: list[str]  # the table's own columns and `direction`: what a search looks in


def _every_visit(ctx: Context) -> _EveryVisit:
    def make() -> _EveryVisit:
        visits = ctx.table("visits")
        visits = visits.assign(direction=transforms.visit_direction(visits))
        columns = list(visits.columns)
        shown = ctx.cite(visits)
        show = shown.assign(
            when=[
                ctx.labels.date(d, p) + (" – " + ctx.labels.date(e, p) if isinstance(e, str) else "")
                for d, e, p in zip(shown["date"], shown["end_date"], shown["date_precision"])
            ],
            who=ctx.labels.names("person", shown["visitor"]),
            where=[
                ", ".join(x for x in (ctx.labels.name("city", c), ctx.labels.name("country", h)) if x)
                for c, h in zip(shown["city"], shown["host_country"])
            ],
            direction_name=[charts.lane_name(ctx.labels, d) for d in shown["direction"]],
            type_name=ctx.labels.names("visit_type", shown["visit_type"]),
            docs=[str(int(d)) if pd.notna(d) else "" for d in shown["documents_signed"]],
        )
        show = show.assign(_hover=charts.visit_hover(show, ctx.labels), _spellings=spellings(ctx, visits, VISIT_NAMES))
        return _EveryVisit(transforms.cuttable(show), columns)

    return ctx.shared("every_visit", make)


def _visit_columns(ctx: Context) -> dict[str, str]:
    _ = ctx._
    return {
        "when": _("Date"),
        "who": _("Visitor"),
        "visitor_role": _("Office"),
        "direction_name": _("Direction"),
        "where": _("Where"),
        "type_name": _("Kind"),
        "occasion": _("Occasion"),
        "docs": _("Documents signed"),
        "cite": _("Source"),
        "note": _("Note"),
    }


@needs("visits")
def visits(ctx: Context, leaders: tuple[str, ...] = (), types: tuple[str, ...] = (), query: str = "") -> Visits:
    _ = ctx._
    every = _every_visit(ctx)
    in_range = transforms.in_years(every.rows, ctx.years)
    choices = tuple(
        sorted(((k, ctx.labels.name("person", k)) for k in in_range["visitor"].unique()), key=lambda kv: kv[1])
    )
    type_choices = tuple((t, ctx.labels.name("visit_type", t)) for t in VISIT_TYPES)
    shown = in_range
    if leaders:
        shown = shown[shown["visitor"].isin(leaders)]
    if types:
        shown = shown[shown["visit_type"].isin(types)]
    if query:  # searched in the table's own text columns and every spelling of the names in them
        found = transforms.search_rows(shown[every.columns], ctx.labels.expand(query), extra=shown["_spellings"])
        shown = shown.loc[found.index]
    filters = [*(leaders or ()), *(types or ()), query]
    counts = transforms.direction_counts(shown["direction"])
    caption = (
        ctx.lang.ngettext("{n} visit or meeting", "{n} visits or meetings", len(shown)).format(n=len(shown))
        + " — "
        + _("AZ → KZ: {a}, KZ → AZ: {k}, elsewhere: {e}.").format(
            a=counts["AZ → KZ"], k=counts["KZ → AZ"], e=counts["elsewhere"]
        )
    )
    grid = ctx.grid(shown, _visit_columns(ctx))
    found = ctx.disagreements("visits", shown)
    stored = [c for c in every.columns if c not in ("direction", "year", "date_start")]
    download = ctx.download(
        ctx.cut_csv("visits", lambda: every.rows[stored], shown.index),
        "visits",
        _("Download these visits (CSV)"),
        "dl.visits",
        *filters,
    )
    chart = None if shown.empty else _visits_chart(ctx, shown, filters)
    empty = None if not shown.empty else _("No visits match these filters in {years}.").format(years=ctx.years.label())
    return Visits(
        choices, type_choices, chart, empty, caption, grid, found, download, ctx.source_line(shown), len(shown)
    )


def _visits_chart(ctx: Context, shown: pd.DataFrame, filters: list[str]) -> Chart:
    _ = ctx._
    span = transforms.span(shown, ctx.years)
    title = _("Visits and meetings by direction, {period}").format(period=span.label())
    last = shown.sort_values("date_start").iloc[-1]
    summary = _("{title}: {n} shown, the latest {who} on {date}.").format(
        title=title,
        n=len(shown),
        who=ctx.labels.name("person", last["visitor"]),
        date=ctx.labels.date(last["date"], last["date_precision"]),
    )
    figure = charts.visits_figure(shown, ctx.labels, span.label(), ctx.source_line(shown, compact=True))
    return Chart("visits_timeline", figure, title, summary, ctx.file_stem("visits", span, *filters))


@dataclass(frozen=True)
class Documents:
    domains: tuple[tuple[str, str], ...]
    chart: Chart | None
    empty: str | None
    grid: Grid
    download: Download
    source: str
    count: int


@needs("agreements")
def documents(ctx: Context, domains: tuple[str, ...] = (), query: str = "") -> Documents:
    _ = ctx._
    in_range = transforms.in_years(ctx.table("agreements"), ctx.years)
    choices = tuple(
        sorted(((d, ctx.labels.name("domain", d)) for d in in_range["domain"].unique()), key=lambda kv: kv[1])
    )
    shown = in_range[in_range["domain"].isin(domains)] if domains else in_range
    shown = ctx.cite(search(ctx, shown, query, {"city": "city", "domain": "domain"}))
    show = shown.assign(
        when=[ctx.labels.date(d, p) for d, p in zip(shown["date"], shown["date_precision"])],
        domain_name=ctx.labels.names("domain", shown["domain"]),
        type_name=ctx.labels.names("doc_type", shown["doc_type"]),
        parties_name=[ctx.labels.countries(p) for p in shown["parties"]],
        city_name=ctx.labels.names("city", shown["city"]),
    )
    grid = ctx.grid(
        show,
        {
            "when": _("Date"),
            "title": _("Title"),
            "parties_name": _("Parties"),
            "domain_name": _("Domain"),
            "type_name": _("Kind"),
            "city_name": _("Signed in"),
            "cite": _("Source"),
            "note": _("Note"),
        },
    )
    download = ctx.download(
        shown.drop(columns=["year", "date_start", "cite"]),
        "agreements",
        _("Download these documents (CSV)"),
        "dl.agreements",
        *domains,
        query,
    )
    chart = None if shown.empty else _documents_chart(ctx, shown, [*domains, query])
    empty = (
        None if not shown.empty else _("No documents match these filters in {years}.").format(years=ctx.years.label())
    )
    return Documents(choices, chart, empty, grid, download, ctx.source_line(shown), len(shown))


def _documents_chart(ctx: Context, shown: pd.DataFrame, filters: list[str]) -> Chart:
    _ = ctx._
    by_domain = transforms.agreements_by_domain(shown)
    span = transforms.span(shown, ctx.years)
    title = _("Documents signed per year by domain, {period} (number of documents)").format(period=span.label())
    busiest = by_domain.groupby("year")["agreements"].sum().sort_values().index[-1]
    summary = _("{title}: {n} documents; most in {year}.").format(title=title, n=len(shown), year=int(busiest))
    figure = charts.agreements_figure(by_domain, ctx.labels, span.label(), ctx.source_line(shown, compact=True))
    return Chart("agreements_by_domain", figure, title, summary, ctx.file_stem("agreements", span, *filters))


@dataclass(frozen=True)
class Commission:
    grid: Grid
    download: Download
    source: str
    count: int


@needs("commission_sessions")
def commission(ctx: Context) -> Commission | Empty:
    _ = ctx._
    rows = ctx.cite(transforms.in_years(ctx.table("commission_sessions"), ctx.years))
    if rows.empty:
        return Empty(
            _("No sessions of the intergovernmental commission on record in {years}.").format(years=ctx.years.label())
        )
    show = rows.assign(
        no=[str(int(s)) if pd.notna(s) else "" for s in rows["session"]],
        when=[ctx.labels.date(d, p) for d, p in zip(rows["date"], rows["date_precision"])],
        where=[
            ", ".join(x for x in (ctx.labels.name("city", c), ctx.labels.name("country", h)) if x)
            for c, h in zip(rows["city"], rows["host_country"])
        ],
        docs=[str(int(d)) if pd.notna(d) else "" for d in rows["documents_signed"]],
    )
    grid = ctx.grid(
        show,
        {
            "no": _("Session"),
            "when": _("Date"),
            "where": _("Where"),
            "co_chair_az": _("Azerbaijani co-chair"),
            "co_chair_kz": _("Kazakh co-chair"),
            "docs": _("Documents signed"),
            "cite": _("Source"),
            "note": _("Note"),
        },
    )
    return Commission(
        grid,
        ctx.download(
            rows.drop(columns=["year", "date_start", "cite"]),
            "commission_sessions",
            _("Download the sessions (CSV)"),
            "dl.commission",
        ),
        ctx.source_line(rows),
        len(rows),
    )
