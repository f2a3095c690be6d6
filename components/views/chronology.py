"""Chronology: every event, visit, document and commission session on one timeline, filterable by topic,
country, route, kind and text; the disagreements beside the rows they concern. Pure: no streamlit."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from components.figures import charts
from components.shaping import transforms
from components.views.base import Chart, Context, Download, Grid, needs
from components.views.visits import search

KINDS = ("event", "visit", "agreement", "commission")
COLUMNS = [
    "kind",
    "date",
    "date_precision",
    "date_start",
    "year",
    "topic",
    "what",
    "countries",
    "route_id",
    "source_id",
    "key",
]


@dataclass(frozen=True)
class Chronology:
    topics: tuple[tuple[str, str], ...]
    countries: tuple[tuple[str, str], ...]
    routes: tuple[tuple[str, str], ...]
    kinds: tuple[tuple[str, str], ...]
    chart: Chart | None
    empty: str | None
    grid: Grid
    download: Download
    source: str
    count: int
    total: int


def items(ctx: Context) -> pd.DataFrame:
    """Every dated row of events, visits, agreements and commission sessions as one table (all years)."""
    frames = []
    events = ctx.table("events")
    frames.append(
        events.assign(kind="event", topic=events["category"], what=events["event"], key="events:" + events["date"])
    )
    visits = ctx.table("visits")
    frames.append(
        visits.assign(
            kind="visit",
            topic="diplomacy",
            route_id=pd.NA,
            what=[
                f"{v}" + (f" ({r})" if isinstance(r, str) else "") + f": {o}"
                for v, r, o in zip(visits["visitor"], visits["visitor_role"], visits["occasion"])
            ],
            countries=visits["visitor_country"] + ";" + visits["host_country"],
            key="visits:" + visits["date"],
        )
    )
    agreements = ctx.table("agreements")
    frames.append(
        agreements.assign(
            kind="agreement",
            topic=agreements["domain"].replace(
                {"political": "diplomacy", "humanitarian": "culture", "security": "conflict", "transport": "corridor"}
            ),
            what=agreements["title"],
            countries=agreements["parties"],
            key="agreements:" + agreements["date"],
        )
    )
    sessions = ctx.table("commission_sessions")
    if sessions is not None and not sessions.empty:
        frames.append(
            sessions.assign(
                kind="commission",
                topic="economy",
                route_id=pd.NA,
                countries="AZ;KZ",
                what=[
                    (
                        f"Session {int(s)} of the intergovernmental commission"
                        if pd.notna(s)
                        else "Session of the intergovernmental commission"
                    )
                    + (f", {c}" if isinstance(c, str) else "")
                    for s, c in zip(sessions["session"], sessions["city"])
                ],
                key="commission_sessions:" + sessions["date"],
            )
        )
    return (
        pd.concat([f[COLUMNS] for f in frames], ignore_index=True)
        .sort_values("date_start", kind="stable")
        .reset_index(drop=True)
    )


def _disagreements(ctx: Context, rows: pd.DataFrame) -> list[str]:
    """For each row, the disagreements about it ('' if none), from one index of discrepancies by row key."""
    found = ctx.table("discrepancies")
    if found is None or found.empty:
        return [""] * len(rows)
    index: dict[str, list[str]] = {}
    for subjects, topic, a, b in zip(found["subjects"].fillna(""), found["topic"], found["claim_a"], found["claim_b"]):
        for key in (k.strip() for k in subjects.split(";") if k.strip()):
            index.setdefault(key, []).append(f"{topic}: {a} / {b}")
    return [" | ".join(index.get(key, [])) for key in rows["key"]]


LANE_ORDER = (
    "diplomacy",
    "multilateral",
    "economy",
    "corridor",
    "energy",
    "caspian",
    "diaspora",
    "culture",
    "conflict",
    "other",
)
DOWNLOAD = [c for c in COLUMNS if c not in ("date_start", "key")] + ["disagreement"]


def kind_names(ctx: Context) -> dict[str, str]:
    _ = ctx._
    return {
        "event": _("event"),
        "visit": _("visit or meeting"),
        "agreement": _("document signed"),
        "commission": _("commission session"),
    }


def _display(ctx: Context) -> pd.DataFrame:
    """Every row of items() (all years) with its citation, disagreements and display text in the reader's
    language: made once per data version and language (ctx.shared), then cut to the years of each range."""
    everything = ctx.cite(items(ctx))
    everything = everything.assign(disagreement=_disagreements(ctx, everything))
    show = everything.assign(
        when=[ctx.labels.date(d, p) for d, p in zip(everything["date"], everything["date_precision"])],
        kind_label=everything["kind"].map(kind_names(ctx)),
        topic_name=ctx.labels.names("category", everything["topic"]),
        country_names=[ctx.labels.countries(c) for c in everything["countries"]],
        route_name=[
            ctx.labels.name("route", r) if ("route", r) in ctx.labels.table else ctx.labels.name("facility", r)
            for r in everything["route_id"]
        ],
        lane=lambda d: d["topic_name"],
        colour_key=everything["topic"],
        lane_order=everything["topic"].map({t: i for i, t in enumerate(LANE_ORDER)}).fillna(99),
    )
    # the chart's order (lane, then date; stable), as each row's place in it: a range's rows sorted by their
    # places are in the order sorting them would give, for one sort of one number
    sorted_rows = show.reset_index(drop=True).sort_values(["lane_order", "date_start"], kind="stable").index
    places = np.empty(len(show), dtype=np.int64)
    places[sorted_rows.to_numpy()] = np.arange(len(show))
    return transforms.cuttable(show.assign(hover=charts.chronology_hover(show, ctx.labels), chart_order=places))


@needs("events", "visits", "agreements", optional=("commission_sessions",))
def chronology(
    ctx: Context,
    topics: tuple[str, ...] = (),
    countries: tuple[str, ...] = (),
    routes: tuple[str, ...] = (),
    kinds: tuple[str, ...] = (),
    query: str = "",
) -> Chronology:
    _ = ctx._
    in_range = transforms.in_years(ctx.shared("rows", lambda: _display(ctx)), ctx.years)
    names_of_kinds = kind_names(ctx)
    topic_choices = tuple(
        sorted(((t, ctx.labels.name("category", t)) for t in in_range["topic"].dropna().unique()), key=lambda kv: kv[1])
    )
    country_set = sorted({c for cs in in_range["countries"].dropna() for c in cs.split(";") if c})
    country_choices = tuple(sorted(((c, ctx.labels.name("country", c)) for c in country_set), key=lambda kv: kv[1]))
    with_route = in_range[in_range["route_id"].notna()]
    route_choices = tuple(
        sorted(dict.fromkeys(zip(with_route["route_id"], with_route["route_name"])), key=lambda kv: kv[1])
    )
    kind_choices = tuple((k, names_of_kinds[k]) for k in KINDS if (in_range["kind"] == k).any())
    shown = in_range
    if topics:
        shown = shown[shown["topic"].isin(topics)]
    if countries:
        named = shown["countries"].fillna("").map(lambda cs: bool(set(cs.split(";")) & set(countries)))
        shown = shown[named.astype(bool)]  # a boolean mask even when no row is left (an empty map is not one)
    if routes:
        shown = shown[shown["route_id"].isin(routes)]
    if kinds:
        shown = shown[shown["kind"].isin(kinds)]
    if query:  # in the rows' own text, not the display text prepared beside it
        shown = shown.loc[search(ctx, shown[COLUMNS], query, {"countries": "country", "route_id": "route"}).index]
    filters = [*topics, *countries, *routes, *kinds, query]
    grid = ctx.grid(
        shown,
        {
            "when": _("Date"),
            "kind_label": _("Kind"),
            "topic_name": _("Topic"),
            "what": _("What"),
            "country_names": _("Countries"),
            "route_name": _("Route"),
            "cite": _("Source"),
            "disagreement": _("Where sources disagree"),
        },
    )
    download = ctx.download(
        ctx.cut_csv("chronology", lambda: ctx.shared("rows", lambda: _display(ctx))[DOWNLOAD], shown.index),
        "chronology",
        _("Download the chronology (CSV)"),
        "dl.chronology",
        *filters,
    )
    chart = None if shown.empty else _chronology_chart(ctx, shown, filters)
    empty = None if not shown.empty else _("Nothing matches these filters in {years}.").format(years=ctx.years.label())
    choices = (topic_choices, country_choices, route_choices, kind_choices)
    return Chronology(*choices, chart, empty, grid, download, ctx.source_line(shown), len(shown), len(in_range))


def _chronology_chart(ctx: Context, shown: pd.DataFrame, filters: list[str]) -> Chart:
    _ = ctx._
    span = transforms.span(shown, ctx.years)
    title = _("Chronology of Azerbaijan–Kazakhstan relations, {period}").format(period=span.label())
    summary = _("{title}: {n} dated entries, {d} with a disagreement between sources.").format(
        title=title, n=len(shown), d=int((shown["disagreement"] != "").sum())
    )
    figure = charts.chronology_figure(shown, ctx.labels, span.label(), ctx.source_line(shown, compact=True))
    return Chart("chronology", figure, title, summary, ctx.file_stem("chronology", span, *filters))
