"""Trade views: turnover by direction and reporter, balance and change, top products, trade and investment
figures. Pure: no streamlit."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from components.figures import charts, style
from components.shaping import export, transforms
from components.shaping.filters import YearRange, years_in
from components.views import facts
from components.views.base import Chart, Context, Download, Empty, Grid, MadeOnce, YearGrid, needs


@dataclass(frozen=True)
class Turnover:
    chart: Chart
    full_years: Grid
    part_years: Grid
    others: Grid
    derived: Grid
    disagreements: Grid
    download_shown: Download
    download_long: Download
    source: str
    counts: tuple[int, int]  # full-year rows (reporter and year), part-year figures


def _shown(ctx: Context) -> pd.DataFrame:
    """The range's figures, cited (every year's cited once per data version and language, then cut)."""
    every = ctx.shared("cited", lambda: transforms.cuttable(ctx.cite(ctx.table("trade_turnover"))))
    return transforms.in_years(every, ctx.years)


def _wide_table(ctx: Context) -> pd.DataFrame:
    """turnover_table of the range's full years (made from every year's table, made once per version)."""
    return transforms.table_in_years(ctx.once("trade_turnover", transforms.every_year_table), ctx.years)


@dataclass(frozen=True)
class _WideRecords:
    """The wide table's download of every year as CSV records, twice: as made, and with the change on the year
    before blank (what a range's first year shows, table_in_years)."""

    years: np.ndarray
    records: export.CsvRecords
    first_year: export.CsvRecords

    @classmethod
    def of(cls, wide: pd.DataFrame) -> _WideRecords:
        machine = wide.drop(columns=["qualified"])
        blank = machine.assign(total_change_pct=np.nan, change_derived=False).astype(machine.dtypes.to_dict())
        years = wide["year"].to_numpy(dtype=float, na_value=np.nan)
        return cls(years, export.csv_records(machine), export.csv_records(blank))

    def count(self, span: YearRange) -> int:
        return int(years_in(self.years, span).sum())

    def of_years(self, span: YearRange) -> bytes:
        """to_safe_csv of table_in_years(wide, span) without `qualified`."""
        rows = np.flatnonzero(years_in(self.years, span))
        first = self.years[rows] == span.start
        return self.records.header + b"".join(
            (self.first_year if f else self.records).records[i] for i, f in zip(rows, first)
        )


def _wide_records(ctx: Context) -> _WideRecords:
    """Every year's wide table as downloaded (made once per data version and language, Context.shared)."""
    return ctx.shared("wide_csv", lambda: _WideRecords.of(ctx.once("trade_turnover", transforms.every_year_table)))


def _wide_grid(ctx: Context) -> Grid:
    """The full-year table as shown (readable, localized): every year's rows made once per data version and
    language and cut to the range, the range's first year without a change on the year before (as
    table_in_years)."""
    every = ctx.shared("wide_shown", lambda: _wide_shown(ctx, ctx.once("trade_turnover", transforms.every_year_table)))
    show = transforms.in_years(every, ctx.years).reset_index(drop=True)
    first = (show["year"] == ctx.years.start).to_numpy(dtype=bool, na_value=False)
    if first.any():
        show["change_text"] = show["change_text"].mask(first, "")
    _ = ctx._
    return ctx.grid(
        show,
        {
            "reporter_name": _("Whose statistics"),
            "year_text": _("Year"),
            "kz_to_az_text": _("KZ → AZ, million USD"),
            "az_to_kz_text": _("AZ → KZ, million USD"),
            "total_text": _("Total, million USD"),
            "balance_text": _("AZ balance, million USD"),
            "change_text": _("Change on the year before, %"),
            "derived_text": _("Derived (computed by us)"),
        },
    )


def _wide_shown(ctx: Context, wide: pd.DataFrame) -> pd.DataFrame:
    """A turnover_table with its cells as shown, in the reader's language."""
    quals = {
        (r, y): dict(item.split(":") for item in q.split(", ") if item)
        for r, y, q in zip(wide["reporter"], wide["year"], wide["qualified"])
    }
    shown = wide.assign(
        reporter_name=ctx.labels.names("reporter", wide["reporter"]),
        year_text=wide["year"].astype(int).astype(str),
        **{
            f"{f}_text": [
                ctx.number(v, 2, quals[(r, y)].get(f)) for r, y, v in zip(wide["reporter"], wide["year"], wide[f])
            ]
            for f in transforms.FLOWS
        },
        balance_text=[ctx.number(v, 2) for v in wide["balance_az"]],
        change_text=[
            ("+" if v > 0 else "") + ctx.number(v, 1) if pd.notna(v) else "" for v in wide["total_change_pct"]
        ],
        derived_text=[", ".join(ctx.labels.name("flow", f) for f in d.split(", ") if f) for d in wide["derived"]],
    )
    return transforms.cuttable(shown)


def _row_cells(ctx: Context, rows: pd.DataFrame) -> pd.DataFrame:
    """rows with the cells of a table of figures (_row_columns) (row-local, in the reader's language)."""
    return rows.assign(
        when=[ctx.labels.period(p, y) for p, y in zip(rows["period"], rows["year"])],
        flow_name=ctx.labels.names("flow", rows["flow"]),
        reporter_name=ctx.labels.names("reporter", rows["reporter"]),
        value_text=[ctx.number(v, 2, q) for v, q in zip(rows["value_usd_m"], rows["qualifier"])],
        derived_text=[ctx.yes(d) for d in rows["is_derived"]],
    )


def _row_columns(ctx: Context) -> dict[str, str]:
    """The columns of a table of figures, one row per figure (a frame with its _row_cells)."""
    _ = ctx._
    return {
        "when": _("Period"),
        "flow_name": _("Direction"),
        "reporter_name": _("Whose statistics"),
        "value_text": _("Million USD"),
        "derived_text": _("Derived"),
        "cite": _("Source"),
        "note": _("Note"),
    }


@dataclass(frozen=True)
class _EveryYear:
    """The turnover view's rows of every year, with what the reader sees of each (hover text, markers, table
    rows): made once per data version and language (Context.shared), then cut to each range."""

    annual: pd.DataFrame
    part: pd.DataFrame
    others: pd.DataFrame
    part_grid: YearGrid
    others_grid: YearGrid
    derived_grid: YearGrid  # every row we derived, part-year or not


def _every_year(ctx: Context) -> _EveryYear:
    def make() -> _EveryYear:
        cited = ctx.cite(ctx.table("trade_turnover"))
        annual, part, others = charts.turnover_marks(
            transforms.annual_turnover(cited),
            transforms.part_year_turnover(cited),
            transforms.other_versions(cited),
            ctx.labels,
        )
        derived = cited[cited["is_derived"].fillna(False).astype(bool)]
        columns = _row_columns(ctx)
        grids = (ctx.year_grid(_row_cells(ctx, f), columns) for f in (part, others, derived))
        return _EveryYear(*(transforms.cuttable(f) for f in (annual, part, others)), *grids)

    return ctx.shared("every_year", make)


def _in_range(rows: pd.DataFrame, years) -> pd.DataFrame:
    return transforms.in_years(rows, years).reset_index(drop=True)


def _summary_turnover(ctx: Context, annual: pd.DataFrame, period: str) -> str:
    _ = ctx._
    # bounds and approximate totals count as totals (as in the table); the highest is read from plain figures
    totals = [
        (value, year, reporter, qualifier)
        for flow, value, year, reporter, qualifier in zip(
            annual["flow"], annual["value_usd_m"], annual["year"], annual["reporter"], annual["qualifier"]
        )
        if flow == "total"
    ]
    exact = [t for t in totals if pd.isna(t[3])]
    if not exact:
        return _("Trade turnover {period}: no full-year totals in these years.").format(period=period)
    value, year, reporter, _q = max(reversed(exact), key=lambda t: t[0])  # the last of equal highest ones
    return _(
        "Trade turnover {period}: highest {value} million USD in {year} ({reporter}); {n} full-year "
        "totals from {k} reporters."
    ).format(
        period=period,
        value=ctx.number(value),
        year=int(year),
        reporter=ctx.labels.name("reporter", reporter),
        n=len({(r, y) for _v, y, r, _q in totals}),
        k=len({r for _v, _y, r, _q in totals}),
    )


@needs("trade_turnover")
def turnover(ctx: Context, phone: bool = False) -> Turnover | Empty:
    """`phone`: the chart's part-year labels are placed for a phone's width (fewer fit), not a desktop's."""
    _ = ctx._
    shown = _shown(ctx)
    if shown.empty:
        return Empty(
            _("No trade figures in {years}. Widen the year range in the sidebar.").format(years=ctx.years.label())
        )
    every = _every_year(ctx)
    annual, part, others = (_in_range(f, ctx.years) for f in (every.annual, every.part, every.others))
    span = transforms.span(shown, ctx.years)
    period = span.label()
    source = ctx.source_line(shown, compact=True)
    width = style.PHONE_WIDTH if phone else style.DESKTOP_WIDTH
    figure = charts.turnover_figure(annual, part, others, ctx.labels, period, source, width)
    title = _("Azerbaijan–Kazakhstan trade turnover by direction and reporter, {period} (million USD)").format(
        period=period
    )
    chart = Chart(
        "trade_turnover", figure, title, _summary_turnover(ctx, annual, period), ctx.file_stem("trade_turnover", span)
    )
    wide = _wide_records(ctx)
    grid = _wide_grid(ctx)
    return Turnover(
        chart=chart,
        full_years=grid,
        part_years=every.part_grid.cut(ctx.years),
        others=every.others_grid.cut(ctx.years),
        derived=every.derived_grid.cut(ctx.years),
        disagreements=ctx.disagreements("trade_turnover", shown),
        download_shown=ctx.download(
            MadeOnce(partial(wide.of_years, ctx.years)),
            "trade_turnover_by_year",
            _("Download the table shown (CSV, one row per reporter and year)"),
            "dl.trade_wide",
        ),
        download_long=ctx.download(
            ctx.cut_csv("long", lambda: ctx.table("trade_turnover"), shown.index),
            "trade_turnover",
            _("Download every figure (CSV, one row per figure, as stored)"),
            "dl.trade_long",
        ),
        source=ctx.source_line(shown),
        counts=(wide.count(ctx.years), len(part)),
    )


@dataclass(frozen=True)
class BalanceChange:
    balance: Chart
    change: Chart
    download: Download
    source: str


@needs("trade_turnover")
def balance(ctx: Context) -> BalanceChange | Empty:
    _ = ctx._
    shown = _shown(ctx)
    wide = _wide_table(ctx)
    has_balance, has_change = wide["balance_az"].notna(), wide["total_change_pct"].notna()
    if not has_balance.any() and not has_change.any():
        return Empty(
            _(
                "No two full years in a row from one reporter, and no year with both directions, in {years}: "
                "nothing to compare. Widen the year range."
            ).format(years=ctx.years.label())
        )
    source = ctx.source_line(shown, compact=True)
    b_span = transforms.span(wide[has_balance], ctx.years)
    c_span = transforms.span(wide[has_change], ctx.years)
    b_title = _("Azerbaijan's trade balance with Kazakhstan, {period} (million USD)").format(period=b_span.label())
    c_title = _("Year-on-year change of total turnover, {period} (%)").format(period=c_span.label())
    bal = wide[has_balance]
    b_summary = (
        _("Azerbaijan's balance {period}: from {low} to {high} million USD.").format(
            period=b_span.label(), low=ctx.number(bal["balance_az"].min()), high=ctx.number(bal["balance_az"].max())
        )
        if not bal.empty
        else _("No year with both directions from one reporter.")
    )
    ch = wide[has_change]
    c_summary = (
        _("Change of total turnover {period}: from {low} to {high} on the year before.").format(
            period=c_span.label(),
            low=ctx.number(ch["total_change_pct"].min()) + "%",
            high=ctx.number(ch["total_change_pct"].max()) + "%",
        )
        if not ch.empty
        else _("No two consecutive full years from one reporter.")
    )
    balance_chart = (
        Chart(
            "trade_balance",
            charts.balance_figure(bal, ctx.labels, b_span.label(), source),
            b_title,
            b_summary,
            ctx.file_stem("trade_balance", b_span),
        )
        if not bal.empty
        else Empty(
            _("No year in {years} has both directions of trade from one reporter.").format(years=ctx.years.label())
        )
    )
    change_chart = (
        Chart(
            "trade_change",
            charts.change_figure(ch, ctx.labels, c_span.label(), source),
            c_title,
            c_summary,
            ctx.file_stem("trade_change", c_span),
        )
        if not ch.empty
        else Empty(
            _("No two consecutive full years from one reporter in {years}: no change to show.").format(
                years=ctx.years.label()
            )
        )
    )
    return BalanceChange(
        balance=balance_chart,
        change=change_chart,
        download=ctx.download(
            wide.drop(columns=["qualified"]),
            "trade_balance",
            _("Download balance and change (CSV)"),
            "dl.trade_balance",
        ),
        source=ctx.source_line(shown),
    )


@dataclass(frozen=True)
class Products:
    lists: tuple[tuple[str, tuple[Chart | Empty, ...]], ...]  # (heading, one chart per direction)
    grid: Grid
    download: Download
    source: str


@needs("trade_products")
def products(ctx: Context) -> Products | Empty:
    _ = ctx._
    rows = ctx.cite(transforms.in_years(ctx.table("trade_products"), ctx.years))
    if rows.empty:
        return Empty(
            _("No product lists in {years}. The lists on record are for {list}.").format(
                years=ctx.years.label(),
                list=", ".join(
                    sorted(
                        {
                            ctx.labels.period(p, y)
                            for p, y in zip(ctx.table("trade_products")["period"], ctx.table("trade_products")["year"])
                        }
                    )
                ),
            )
        )
    lists = []
    for (year, period), group in rows.groupby(["year", "period"], sort=True):
        heading = ctx.labels.period(period, year)
        cells = []
        for flow in ("kz_to_az", "az_to_kz"):
            flow_rows = group[group["flow"] == flow]
            if flow_rows.empty:
                cells.append(
                    Empty(_("No list for {flow} in {when}.").format(flow=ctx.labels.name("flow", flow), when=heading))
                )
                continue
            title = _("Top products, {flow}, {period} (million USD)").format(
                flow=ctx.labels.name("flow", flow), period=heading
            )
            top = flow_rows.sort_values("rank").iloc[0]
            summary = _("{title}: first {product} at {value} million USD.").format(
                title=title, product=top["product"], value=ctx.number(top["value_usd"] / 1e6, 2)
            )
            span = transforms.span(flow_rows, ctx.years)
            cells.append(
                Chart(
                    f"trade_products_{int(year)}_{period}_{flow}",
                    charts.products_figure(flow_rows, flow, ctx.labels, ctx.source_line(flow_rows, compact=True)),
                    title,
                    summary,
                    ctx.file_stem(f"top_products_{flow}", span),
                )
            )
        lists.append((heading, tuple(cells)))
    show = rows.assign(
        when=[ctx.labels.period(p, y) for p, y in zip(rows["period"], rows["year"])],
        flow_name=ctx.labels.names("flow", rows["flow"]),
        value_text=[ctx.number(v / 1e6, 3) for v in rows["value_usd"]],
        rank_text=rows["rank"],
    )
    grid = ctx.grid(
        show,
        {
            "when": _("Period"),
            "flow_name": _("Direction"),
            "rank_text": _("Rank"),
            "product": _("Product"),
            "value_text": _("Million USD"),
            "cite": _("Source"),
        },
    )
    return Products(
        tuple(lists),
        grid,
        ctx.download(
            rows.drop(columns=["cite"]), "trade_products", _("Download the product lists (CSV)"), "dl.trade_products"
        ),
        ctx.source_line(rows),
    )


@needs("indicators")
def figures(ctx: Context, indicator: str = "") -> facts.TopicFigures | Empty:
    """Trade and investment indicators (growth rates, investment stocks, companies, grain, targets)."""
    return facts.topic_figures(ctx, ("trade", "investment"), indicator, "trade_figures")
