"""Shaping validated tables for views: trade series per reporter, headline figures, timeline marks. Pure.

Trade figures of different reporters (Azerbaijani statistics, Kazakh statistics, officials' statements) are
never blended: every series, balance and change is computed within one reporter.
"""

from __future__ import annotations

import pandas as pd

from components.shaping import filters

FLOWS = ("kz_to_az", "az_to_kz", "total")
REPORTERS = ("AZ", "KZ", "other")


def _preferred(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """One row per key: reported values before derived ones, then the row backed by most sources."""
    ranked = rows.assign(
        _derived=rows["is_derived"].fillna(False).astype(bool) if "is_derived" in rows else False,
        _nsources=-rows["source_id"].astype(str).str.count(";"),
    )
    ranked = ranked.sort_values([*keys, "_derived", "_nsources"], kind="stable")
    return ranked.drop_duplicates(keys).drop(columns=["_derived", "_nsources"])


def annual_turnover(trade: pd.DataFrame) -> pd.DataFrame:
    """Full-year turnover: one row per year, flow and reporter (part-year rows are left out by design)."""
    annual = trade[trade["period"] == "annual"]
    return (
        _preferred(annual, ["year", "flow", "reporter"])
        .sort_values(["reporter", "year", "flow"])
        .reset_index(drop=True)
    )


def other_versions(trade: pd.DataFrame) -> pd.DataFrame:
    """Rows that annual_turnover / part_year_turnover did not choose although they give another value for the
    same year, period, flow and reporter (a second page for the same figure): shown beside it, never hidden."""
    keys = ["year", "period", "flow", "reporter"]
    chosen = _preferred(trade, keys)
    rest = trade.drop(index=chosen.index)
    if rest.empty:
        return rest
    merged = rest.merge(chosen[[*keys, "value_usd_m"]], on=keys, suffixes=("", "_chosen"))
    differs = (merged["value_usd_m"] - merged["value_usd_m_chosen"]).abs() > 1e-9
    return merged[differs].drop(columns="value_usd_m_chosen").reset_index(drop=True)


def part_year_turnover(trade: pd.DataFrame) -> pd.DataFrame:
    """Part-year rows (H1, 9M, Jan-Oct, ...): shown on their own, never as a year."""
    part = trade[trade["period"] != "annual"]
    return (
        _preferred(part, ["year", "period", "flow", "reporter"])
        .sort_values(["reporter", "year", "period", "flow"])
        .reset_index(drop=True)
    )


TABLE_COLUMNS = [
    "reporter",
    "year",
    "kz_to_az",
    "az_to_kz",
    "total",
    "balance_az",
    "total_change_pct",
    "derived",
    "qualified",
    "balance_derived",
    "change_derived",
]


def turnover_table(annual: pd.DataFrame) -> pd.DataFrame:
    """Wide annual table, one row per reporter and year: both flows, total, Azerbaijan's balance, and the change
    of the total against the year before from the same reporter (consecutive years only).

    Balance = Azerbaijan's exports to Kazakhstan minus its imports from Kazakhstan (million USD), computed only
    where both flows are plain figures. `derived` lists the flows we computed; `qualified` flows given as bounds
    or approximations (flow:qualifier)."""
    if annual.empty:
        return pd.DataFrame(columns=TABLE_COLUMNS)
    wide = annual.pivot(index=["reporter", "year"], columns="flow", values="value_usd_m")
    for flow in FLOWS:
        if flow not in wide:
            wide[flow] = float("nan")
    wide = wide.astype("float64").sort_index()
    qualifier = annual.pivot(index=["reporter", "year"], columns="flow", values="qualifier").reindex(wide.index)
    plain = {
        flow: (qualifier[flow].isna() if flow in qualifier else pd.Series(True, index=wide.index)) for flow in FLOWS
    }
    wide["balance_az"] = (wide["az_to_kz"] - wide["kz_to_az"]).where(plain["az_to_kz"] & plain["kz_to_az"]).round(2)
    year = pd.Series(wide.index.get_level_values("year"), index=wide.index)
    reporter = pd.Series(wide.index.get_level_values("reporter"), index=wide.index)
    previous = wide["total"].groupby(level="reporter").shift(1)
    previous_plain = plain["total"].astype(bool).groupby(level="reporter").shift(1, fill_value=False).astype(bool)
    consecutive = (year.groupby(reporter).diff() == 1) & plain["total"].astype(bool) & previous_plain
    wide["total_change_pct"] = ((wide["total"] / previous - 1) * 100).where(consecutive).round(1)
    flagged = annual[annual["is_derived"].fillna(False).astype(bool)]
    wide["derived"] = (
        flagged.groupby(["reporter", "year"])["flow"].agg(lambda f: ", ".join(sorted(f))).reindex(wide.index).fillna("")
    )
    flows_derived = {f: wide["derived"].str.contains(f) for f in FLOWS}
    wide["balance_derived"] = (flows_derived["kz_to_az"] | flows_derived["az_to_kz"]) & wide["balance_az"].notna()
    total_derived = flows_derived["total"].astype(bool)
    wide["change_derived"] = (
        total_derived | total_derived.groupby(level="reporter").shift(1, fill_value=False).astype(bool)
    ) & wide["total_change_pct"].notna()
    bounded = annual.dropna(subset=["qualifier"])
    wide["qualified"] = (
        bounded.assign(q=bounded["flow"] + ":" + bounded["qualifier"])
        .groupby(["reporter", "year"])["q"]
        .agg(", ".join)
        .reindex(wide.index)
        .fillna("")
    )
    return wide.reset_index()[TABLE_COLUMNS]


def every_year_table(trade: pd.DataFrame) -> pd.DataFrame:
    """turnover_table of every year of the table (for Context.once; cut to a range with table_in_years)."""
    return turnover_table(annual_turnover(trade))


def table_in_years(wide: pd.DataFrame, years: filters.YearRange) -> pd.DataFrame:
    """The rows of a turnover_table in `years`, as turnover_table of only those years' rows makes them: the one
    value that looks outside a row, the change on the year before, is blank in the range's first year."""
    cut = in_years(wide, years).reset_index(drop=True)
    first = (cut["year"] == years.start).to_numpy(dtype=bool, na_value=False)
    if first.any():
        cut["total_change_pct"] = cut["total_change_pct"].mask(first)
        cut["change_derived"] = cut["change_derived"].mask(first, False)
    return cut


def latest_turnover(annual: pd.DataFrame) -> dict | None:
    """The latest full-year total, and its change against the previous full year *of the same reporter*.

    Where several reporters give the latest year, Azerbaijani statistics come first, then Kazakh, then others
    (the order of REPORTERS); `others` lists the other reporters' totals for that year. (Plain Python over the
    rows: a view asks for it on every new range, and pandas' per-call cost was most of it.)"""
    columns = ["flow", "qualifier", "year", "reporter", "value_usd_m", "source_id", "is_derived"]
    totals = [r for r in annual[columns].to_dict("records") if r["flow"] == "total" and pd.isna(r["qualifier"])]
    if not totals:
        return None
    year = int(max(r["year"] for r in totals))
    rank = {reporter: i for i, reporter in enumerate(REPORTERS)}
    latest = sorted((r for r in totals if r["year"] == year), key=lambda r: rank.get(r["reporter"], len(rank)))
    last = latest[0]
    earlier = [r for r in totals if r["reporter"] == last["reporter"] and r["year"] < year]
    result = {
        "year": year,
        "value": float(last["value_usd_m"]),
        "reporter": last["reporter"],
        "source_id": last["source_id"],
        "is_derived": bool(last["is_derived"]),
        "delta": None,
        "base_year": None,
        "others": [(r["reporter"], float(r["value_usd_m"])) for r in latest[1:]],
    }
    if earlier:
        prev = max(earlier, key=lambda r: r["year"])
        result["delta"] = round(float(last["value_usd_m"]) - float(prev["value_usd_m"]), 2)
        result["base_year"] = int(prev["year"])
    return result


def series_with_gaps(rows: pd.DataFrame, x: str = "year", y: str = "value") -> tuple[list, list]:
    """x and y of one series with None at every missing year, so a line breaks there instead of joining
    2001 to 2005 across the years nobody reported."""
    rows = rows.sort_values(x)
    xs, ys, last = [], [], None
    for xv, yv in zip(rows[x], rows[y]):
        xv = int(xv)
        if last is not None and xv - last > 1:
            xs.append(last + 1)
            ys.append(None)
        xs.append(xv)
        ys.append(None if pd.isna(yv) else float(yv))
        last = xv
    return xs, ys


def visit_direction(visits: pd.DataFrame) -> pd.Series:
    """'AZ → KZ', 'KZ → AZ', or 'elsewhere' for meetings in a third country."""
    if visits.empty:
        return pd.Series(dtype="str")
    pair = visits["visitor_country"] + " → " + visits["host_country"].fillna("")
    return pair.where(pair.isin(["AZ → KZ", "KZ → AZ"]), "elsewhere")


def direction_counts(direction: pd.Series) -> dict[str, int]:
    """Visits by direction, from their visit_direction."""
    return {key: int((direction == key).sum()) for key in ("AZ → KZ", "KZ → AZ", "elsewhere")}


def largest_volume(volumes: pd.DataFrame) -> dict | None:
    """The largest actual annual throughput in the rows (a row as a dict), in million t where any is given in
    tonnes; of equal values the latest year, then the first row."""
    actual = [
        r
        for r in volumes.to_dict("records")
        if r["status"] == "actual"
        and r["metric"] == "throughput"
        and r["period"] == "annual"
        and pd.isna(r["scope"])
        and pd.notna(r["value"])
    ]
    mass = [r for r in actual if r["unit"] == "million t"]
    pool = mass or actual
    if not pool:
        return None
    return min(pool, key=lambda r: (-r["value"], -r["year"]))  # min: the first of equal ones


def cuttable(df: pd.DataFrame) -> pd.DataFrame:
    """df with its text columns held as Python strings (object dtype), in one block: the same values, and a
    boolean cut of it costs a third to a quarter of one of Arrow-backed text columns (which pandas takes column
    by column). For a frame made once and cut to every range a reader picks (Context.shared, Context.once)."""
    text = {c: object for c in df.columns if isinstance(df[c].dtype, pd.StringDtype)}
    return df.astype(text).copy() if text else df


def in_years(df: pd.DataFrame, years: filters.YearRange, column: str = "year", keep_missing: bool = False):
    """Shorthand for filters.filter_years with a YearRange."""
    return filters.filter_years(df, years.start, years.end, column=column, keep_missing=keep_missing)


def agreements_by_domain(agreements: pd.DataFrame) -> pd.DataFrame:
    """Count of agreements per year and domain."""
    if agreements.empty:
        return pd.DataFrame(columns=["year", "domain", "agreements"])
    return (
        agreements.groupby(["year", "domain"])
        .size()
        .rename("agreements")
        .reset_index()
        .sort_values(["year", "domain"])
        .reset_index(drop=True)
    )


def diaspora_ranges(diaspora: pd.DataFrame) -> pd.DataFrame:
    """Per group and year: lowest and highest figure across sources and measures (where sources disagree)."""
    if diaspora.empty:
        return pd.DataFrame(columns=["group", "year", "low", "high", "figures"])
    values = diaspora.assign(high=diaspora["population_high"].fillna(diaspora["population"]))
    grouped = values.groupby(["group", "year"])
    return pd.DataFrame(
        {"low": grouped["population"].min(), "high": grouped["high"].max(), "figures": grouped.size()}
    ).reset_index()


def search_rows(df: pd.DataFrame, query: str | list[str], extra: pd.Series | None = None) -> pd.DataFrame:
    """Rows where any text column (or `extra`, e.g. names in other scripts) contains the query, or any of several
    spellings of it: case-insensitive, literal text, not a pattern."""
    terms = [query] if isinstance(query, str) else list(query)
    terms = [t.strip().casefold() for t in terms if t and t.strip()]
    if not terms or df.empty:
        return df
    text = df.select_dtypes(include=["str", "object"]).astype(str)
    if extra is not None:
        text = text.assign(_extra=extra.reindex(df.index).fillna(""))
    folded = text.apply(lambda col: col.str.casefold())
    mask = pd.Series(False, index=df.index)
    for term in terms:
        mask |= folded.apply(lambda col, t=term: col.str.contains(t, regex=False)).any(axis=1)
    return df[mask]


def span(df: pd.DataFrame, years: filters.YearRange, column: str = "year") -> filters.YearRange:
    """The years a view really covers: first–last year of its rows inside the selected range."""
    present = df[column].dropna() if column in df.columns else pd.Series(dtype="float64")
    if present.empty:
        return years
    return filters.YearRange(int(present.min()), int(present.max()))
