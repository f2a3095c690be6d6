"""Overview: headline figures and one timeline of trade and diplomacy together. Pure: no streamlit."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from components.figures import charts
from components.shaping import transforms
from components.shaping.corridors import normalise_units
from components.views.base import Chart, Context, Download, Empty, Grid, YearGrid, needs


@dataclass(frozen=True)
class Metric:
    label: str
    value: str
    delta: str | None = None
    help: str | None = None
    caption: str | None = None


@dataclass(frozen=True)
class Overview:
    metrics: tuple[Metric, ...]
    timeline: Chart | Empty
    table: Grid
    download: Download
    source: str


def _trade_metric(ctx: Context, annual: pd.DataFrame) -> Metric:
    _ = ctx._
    latest = transforms.latest_turnover(annual)
    if latest is None:
        return Metric(_("Trade turnover, million USD"), "—", help=_("No full-year total in the selected years."))
    reporter = ctx.labels.name("reporter", latest["reporter"])
    delta = None
    if latest["delta"] is not None:
        delta = _("{change} vs {year}").format(
            change=("+" if latest["delta"] > 0 else "") + ctx.number(latest["delta"]), year=latest["base_year"]
        )
    others = "; ".join(f"{ctx.labels.name('reporter', r)}: {ctx.number(v)}" for r, v in latest["others"])
    return Metric(
        _("Trade turnover {year}, million USD").format(year=latest["year"]),
        ctx.number(latest["value"]),
        delta,
        help=_(
            "Latest full-year total in the selected years, from {reporter}; part-year figures are left out. The "
            "change is against the previous full year from the same reporter, never across reporters."
        ).format(reporter=reporter),
        caption=_("{reporter}").format(reporter=reporter)
        + (" · " + _("same year, other reporters: {others}").format(others=others) if others else ""),
    )


def _volume_metric(ctx: Context, volumes: pd.DataFrame) -> Metric:
    _ = ctx._
    top = transforms.largest_volume(volumes)
    if top is None:
        return Metric(_("Largest corridor volume"), "—", help=_("No actual annual throughput in the selected years."))
    value = ctx.compact(top["value"], None, top["qualifier"])
    return Metric(
        _("Largest corridor volume, {year}").format(year=int(top["year"])),
        f"{value} {ctx.labels.name('unit', top['unit'])}",
        help=_("The largest actual annual throughput of a whole route in the selected years."),
        caption=ctx.labels.name("route", top["corridor"])
        if ("route", top["corridor"]) in ctx.labels.table
        else ctx.labels.name("facility", top["corridor"]),
    )


def _directions(visits: pd.DataFrame) -> pd.DataFrame:
    """Each visit's year and direction (what the headline counts), of every year (Context.once)."""
    return transforms.cuttable(pd.DataFrame({"year": visits["year"], "direction": transforms.visit_direction(visits)}))


def _domains(agreements: pd.DataFrame) -> pd.DataFrame:
    """Each document's year and domain (what the headline counts), of every year (Context.once)."""
    return transforms.cuttable(agreements[["year", "domain"]])


def _cited_annual(ctx: Context) -> pd.DataFrame:
    """Every year's full-year turnover, cited: made once per data version and language (Context.shared)."""
    return ctx.shared(
        "annual", lambda: transforms.cuttable(ctx.cite(ctx.once("trade_turnover", transforms.annual_turnover)))
    )


def _exact_totals(trade: pd.DataFrame) -> pd.DataFrame:
    """The full-year totals given as plain figures (what latest_turnover reads), of every year (Context.once)."""
    annual = transforms.annual_turnover(trade)
    return transforms.cuttable(annual[(annual["flow"] == "total") & annual["qualifier"].isna()].reset_index(drop=True))


def _throughputs(volumes: pd.DataFrame) -> pd.DataFrame:
    """The actual annual throughputs of whole routes (what largest_volume reads), of every year (Context.once)."""
    v = normalise_units(volumes)
    keep = (v["status"] == "actual") & (v["metric"] == "throughput") & (v["period"] == "annual") & v["scope"].isna()
    read = ["year", "corridor", "value", "unit", "qualifier", "status", "metric", "period", "scope"]
    return transforms.cuttable(v.loc[keep, read].reset_index(drop=True))


@needs("trade_turnover", "visits", "agreements", "corridor_volumes")
def overview(ctx: Context) -> Overview:
    _ = ctx._
    visits = transforms.in_years(ctx.once("visits", _directions), ctx.years)
    agreements = transforms.in_years(ctx.once("agreements", _domains), ctx.years)
    volumes = transforms.in_years(ctx.once("corridor_volumes", _throughputs), ctx.years)
    annual = transforms.in_years(_cited_annual(ctx), ctx.years)
    exact = transforms.in_years(ctx.once("trade_turnover", _exact_totals), ctx.years)
    counts = transforms.direction_counts(visits["direction"])
    top_domains = agreements["domain"].value_counts().head(3)
    metrics = (
        _trade_metric(ctx, exact),
        Metric(
            _("Visits and meetings"),
            ctx.lang.number(len(visits), 0),
            help=_("Visits and meetings of the two countries' leaders and officials in the selected years."),
            caption=_("AZ → KZ: {a} · KZ → AZ: {k} · elsewhere: {e}").format(
                a=counts["AZ → KZ"], k=counts["KZ → AZ"], e=counts["elsewhere"]
            ),
        ),
        Metric(
            _("Agreements and documents"),
            ctx.lang.number(len(agreements), 0),
            caption=_("Most: {list}").format(
                list=", ".join(f"{ctx.labels.name('domain', d)} ({n})" for d, n in top_domains.items())
            )
            if len(top_domains)
            else None,
        ),
        _volume_metric(ctx, volumes),
    )
    marks = transforms.in_years(ctx.shared("marks", lambda: _display_marks(ctx)), ctx.years)
    if annual.empty and marks.empty:
        timeline = Empty(
            _("Nothing to draw in {years}. Widen the year range in the sidebar.").format(years=ctx.years.label())
        )
    else:
        years = pd.concat([annual["year"], marks["year"]]).dropna()
        span = transforms.span(pd.DataFrame({"year": years}), ctx.years)
        totals = annual[annual["flow"] == "total"]
        summary = _(
            "Trade and diplomacy {period}: {t} yearly turnover totals, {v} visits and meetings, {d} documents signed."
        ).format(period=span.label(), t=len(totals), v=len(visits), d=len(agreements))
        title = _("Trade and diplomacy together, {period}").format(period=span.label())
        timeline = Chart(
            "overview_timeline",
            charts.combined_timeline(
                annual, marks, ctx.labels, span.label(), ctx.source_line(annual, marks, compact=True)
            ),
            title,
            summary,
            ctx.file_stem("overview_timeline", span),
        )
    every = ctx.shared("rows", lambda: _every_row(ctx))
    rows = transforms.in_years(every.rows, ctx.years)
    download = ctx.download(
        ctx.cut_csv("timeline", lambda: _machine_rows(every.rows), rows.index),
        "timeline",
        _("Download the timeline (CSV, with the turnover values drawn)"),
        "dl.timeline",
    )
    return Overview(metrics, timeline, every.table.cut(ctx.years), download, ctx.source_line(annual, marks))


def _machine_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """The timeline's rows as downloaded: machine names, English labels, no display text."""
    return rows.drop(columns=["year", "when", "lane_name", "label_shown", "label", "cite"]).rename(
        columns={"label_en": "label"}
    )


@dataclass(frozen=True)
class _EveryRow:
    rows: pd.DataFrame  # timeline_rows of every year, with each row's year
    table: YearGrid  # the same rows on screen


def _every_row(ctx: Context) -> _EveryRow:
    """The timeline's rows of every year, made once per data version and language (ctx.shared) and cut to each
    range: each row is one year's total or one visit or document, so cutting after is cutting before."""
    _ = ctx._
    annual = _cited_annual(ctx)
    rows = timeline_rows(ctx, annual, ctx.shared("marks", lambda: _display_marks(ctx)))
    columns = {
        "when": _("Date"),
        "lane_name": _("What"),
        "label_shown": _("Who or what"),
        "detail": _("Detail"),
        "cite": _("Source"),
    }
    return _EveryRow(transforms.cuttable(rows), ctx.year_grid(rows, columns))


def _display_marks(ctx: Context) -> pd.DataFrame:
    """timeline_marks of every year with their hover text: made once per data version and language (ctx.shared),
    then cut to each range's years (each mark is one visit or document, so cutting after is cutting before)."""
    marks = timeline_marks(ctx, ctx.table("visits"), ctx.table("agreements"))
    return transforms.cuttable(marks.assign(hover=charts.mark_hover(marks, ctx.labels)))


def timeline_marks(ctx: Context, visits: pd.DataFrame, agreements: pd.DataFrame) -> pd.DataFrame:
    """Visits and documents as marks: date, precision, lane, label, detail, source."""
    _ = ctx._
    columns = ["date", "date_precision", "date_start", "year", "lane", "label", "label_en", "detail", "source_id"]
    frames = []
    if not visits.empty:
        v = visits.assign(lane=transforms.visit_direction(visits))
        v["label"] = [
            f"{ctx.labels.name('person', p)}"
            + (f" ({r})" if isinstance(r, str) else "")
            + " — "
            + ", ".join(x for x in (ctx.labels.name("city", c), ctx.labels.name("country", h)) if x)
            for p, r, c, h in zip(v["visitor"], v["visitor_role"], v["city"], v["host_country"])
        ]
        v["label_en"] = [
            p
            + (f" ({r})" if isinstance(r, str) else "")
            + " — "
            + ", ".join(x for x in (c, h) if isinstance(x, str) and x)
            for p, r, c, h in zip(v["visitor"], v["visitor_role"], v["city"], v["host_country"])
        ]
        v["detail"] = v["occasion"]
        frames.append(v[columns])
    if not agreements.empty:
        a = agreements.assign(lane="agreement", label=agreements["title"], label_en=agreements["title"])
        a["detail"] = [
            _("Domain: {domain}").format(domain=ctx.labels.name("domain", d))
            + (" · " + _("signed in {city}").format(city=ctx.labels.name("city", c)) if isinstance(c, str) else "")
            for d, c in zip(a["domain"], a["city"])
        ]
        frames.append(a[columns])
    if not frames:
        return ctx.cite(pd.DataFrame(columns=columns))
    marks = pd.concat(frames, ignore_index=True).sort_values("date_start", kind="stable").reset_index(drop=True)
    return ctx.cite(marks)


def timeline_rows(ctx: Context, annual: pd.DataFrame, marks: pd.DataFrame) -> pd.DataFrame:
    """Everything the timeline draws, as rows: the yearly totals (value, reporter) and the marks, with the year each
    stands in."""
    _ = ctx._
    totals = annual[annual["flow"] == "total"]
    trade = pd.DataFrame(
        {
            "date": totals["year"].astype(int).astype(str),
            "year": totals["year"],
            "date_precision": "year",
            "lane": "turnover",
            "label": [
                _("Total turnover, {reporter}").format(reporter=ctx.labels.name("reporter", r))
                for r in totals["reporter"]
            ],
            "label_en": [f"Total turnover ({r} reporter)" for r in totals["reporter"]],
            "detail": "",
            "value_usd_m": totals["value_usd_m"].astype("float64"),
            "reporter": totals["reporter"],
            "qualifier": totals["qualifier"],
            "is_derived": totals["is_derived"],
            "source_id": totals["source_id"],
            "cite": totals["cite"],
        }
    )
    rows = pd.concat(
        [trade, marks.drop(columns=["date_start", "hover"], errors="ignore").assign(value_usd_m=None)],
        ignore_index=True,
    )
    lane_names = {
        "turnover": _("trade turnover"),
        **{lane: charts.lane_name(ctx.labels, lane) for lane in charts.LANES},
    }
    rows = rows.assign(
        when=[ctx.labels.date(d, p) for d, p in zip(rows["date"], rows["date_precision"])],
        lane_name=rows["lane"].map(lane_names),
    )
    rows["label_shown"] = [
        f"{lab}: {ctx.number(v, 2, q)} " + _("million USD") if ln == "turnover" else lab
        for lab, v, q, ln in zip(rows["label"], rows["value_usd_m"], rows["qualifier"], rows["lane"])
    ]
    return rows.sort_values("date", kind="stable").reset_index(drop=True)
