"""Shaping validated tables for pages: trade series, headline figures, timeline marks. Pure: no Streamlit."""
from __future__ import annotations

import pandas as pd

from components import filters

FLOW_LABELS = {
    "kz_to_az": "Kazakhstan → Azerbaijan",
    "az_to_kz": "Azerbaijan → Kazakhstan",
    "total": "Total turnover",
}
COUNTRY_NAMES = {"AZ": "Azerbaijan", "KZ": "Kazakhstan"}


def _preferred(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """One row per key: reported values before derived ones, then the row backed by most sources."""
    ranked = rows.assign(
        _derived=rows["is_derived"].fillna(False).astype(bool) if "is_derived" in rows else False,
        _nsources=-rows["source_id"].astype(str).str.count(";"),
    )
    ranked = ranked.sort_values([*keys, "_derived", "_nsources"], kind="stable")
    return ranked.drop_duplicates(keys).drop(columns=["_derived", "_nsources"])


def annual_turnover(trade: pd.DataFrame) -> pd.DataFrame:
    """Full-year turnover, one row per year and flow (part-year rows are excluded by design)."""
    annual = trade[trade["period"] == "annual"]
    return _preferred(annual, ["year", "flow"]).sort_values(["year", "flow"]).reset_index(drop=True)


def part_year_turnover(trade: pd.DataFrame) -> pd.DataFrame:
    """Part-year rows (H1, Jan-May, ...): shown on their own, never as a year."""
    part = trade[trade["period"] != "annual"]
    return _preferred(part, ["year", "period", "flow"]).sort_values(["year", "period", "flow"]).reset_index(drop=True)


def turnover_table(annual: pd.DataFrame) -> pd.DataFrame:
    """Wide annual table: year, both flows, total, Azerbaijan's balance and change of total vs the year before.

    Balance = Azerbaijan's exports to Kazakhstan minus its imports from Kazakhstan (million USD).
    Change is computed only between consecutive years (a gap in the data gives no change).
    """
    columns = ["year", "kz_to_az", "az_to_kz", "total", "balance_az", "total_change_pct", "derived"]
    if annual.empty:
        return pd.DataFrame(columns=columns)
    wide = annual.pivot(index="year", columns="flow", values="value_usd_m")
    for flow in ("kz_to_az", "az_to_kz", "total"):
        if flow not in wide:
            wide[flow] = float("nan")
    wide = wide.astype("float64").sort_index()
    wide["balance_az"] = wide["az_to_kz"] - wide["kz_to_az"]
    previous = wide["total"].shift(1)
    consecutive = pd.Series(wide.index, index=wide.index).diff().eq(1)
    wide["total_change_pct"] = ((wide["total"] / previous - 1) * 100).where(consecutive).round(1)
    derived = annual[annual["is_derived"].fillna(False).astype(bool)].groupby("year")["flow"].agg(
        lambda flows: ", ".join(sorted(flows))
    )
    wide["derived"] = derived.reindex(wide.index).fillna("")
    return wide.reset_index()[columns]


def latest_turnover(annual: pd.DataFrame) -> dict | None:
    """The latest full-year total in the rows, and its change vs the previous year with a total."""
    totals = annual[annual["flow"] == "total"].sort_values("year")
    if totals.empty:
        return None
    last = totals.iloc[-1]
    result = {"year": int(last["year"]), "value": float(last["value_usd_m"]), "delta": None, "base_year": None,
              "source_id": last["source_id"], "is_derived": bool(last["is_derived"])}
    if len(totals) > 1:
        prev = totals.iloc[-2]
        result["delta"] = float(last["value_usd_m"]) - float(prev["value_usd_m"])
        result["base_year"] = int(prev["year"])
    return result


def visit_direction(visits: pd.DataFrame) -> pd.Series:
    """'AZ → KZ', 'KZ → AZ', or e.g. 'KZ leader in TR' for meetings in a third country."""
    def one(row):
        pair = {row["visitor_country"], row["host_country"]}
        if pair == {"AZ", "KZ"}:
            return f"{row['visitor_country']} → {row['host_country']}"
        return f"{row['visitor_country']} leader in {row['host_country']}"
    if visits.empty:
        return pd.Series(dtype="str")
    return visits.apply(one, axis=1)


def visit_counts(visits: pd.DataFrame) -> dict[str, int]:
    """Visits by direction: AZ → KZ, KZ → AZ, and meetings elsewhere."""
    direction = visit_direction(visits)
    return {
        "AZ → KZ": int((direction == "AZ → KZ").sum()),
        "KZ → AZ": int((direction == "KZ → AZ").sum()),
        "elsewhere": int((~direction.isin(["AZ → KZ", "KZ → AZ"])).sum()),
    }


def largest_volume(volumes: pd.DataFrame) -> pd.Series | None:
    """The largest actual throughput in the rows (by value within the most common mass unit)."""
    actual = volumes[(volumes["status"] == "actual") & (volumes["metric"] == "throughput")]
    mass = actual[actual["unit"] == "million t"]
    pool = mass if not mass.empty else actual
    if pool.empty:
        return None
    return pool.sort_values("value", ascending=False).iloc[0]


def timeline_marks(visits: pd.DataFrame, agreements: pd.DataFrame) -> pd.DataFrame:
    """Visits and agreements as marks for the combined timeline: date, lane, label, detail, source_id."""
    frames = []
    if not visits.empty:
        v = visits.assign(lane=visit_direction(visits))
        v["lane"] = v["lane"].where(v["lane"].isin(["AZ → KZ", "KZ → AZ"]), "meeting elsewhere")
        v["label"] = v["visitor"] + " (" + v["visitor_role"].fillna("").astype(str) + ") in " + v["city"].fillna(
            v["host_country"]).astype(str)
        v["detail"] = v["occasion"].astype(str)
        frames.append(v[["date", "date_precision", "date_start", "year", "lane", "label", "detail", "source_id"]])
    if not agreements.empty:
        a = agreements.assign(lane="agreement signed")
        a["label"] = a["title"].astype(str)
        a["detail"] = "Domain: " + a["domain"].astype(str) + ("; signed in " + a["city"].astype(str)).fillna("")
        frames.append(a[["date", "date_precision", "date_start", "year", "lane", "label", "detail", "source_id"]])
    if not frames:
        return pd.DataFrame(columns=["date", "date_precision", "date_start", "year", "lane", "label", "detail",
                                     "source_id"])
    return pd.concat(frames, ignore_index=True).sort_values("date_start", kind="stable").reset_index(drop=True)


def in_years(df: pd.DataFrame, years: filters.YearRange, column: str = "year", keep_missing: bool = False):
    """Shorthand for filters.filter_years with a YearRange."""
    return filters.filter_years(df, years.start, years.end, column=column, keep_missing=keep_missing)


def agreements_by_domain(agreements: pd.DataFrame) -> pd.DataFrame:
    """Count of agreements per year and domain."""
    if agreements.empty:
        return pd.DataFrame(columns=["year", "domain", "agreements"])
    return (agreements.groupby(["year", "domain"]).size().rename("agreements").reset_index()
            .sort_values(["year", "domain"]).reset_index(drop=True))


def diaspora_ranges(diaspora: pd.DataFrame) -> pd.DataFrame:
    """Per group and year: lowest and highest figure across sources and measures (where sources disagree)."""
    if diaspora.empty:
        return pd.DataFrame(columns=["group", "year", "low", "high", "figures"])
    values = diaspora.assign(high=diaspora["population_high"].fillna(diaspora["population"]))
    grouped = values.groupby(["group", "year"])
    out = pd.DataFrame({
        "low": grouped["population"].min(),
        "high": grouped["high"].max(),
        "figures": grouped.size(),
    }).reset_index()
    return out


def search_rows(df: pd.DataFrame, query: str) -> pd.DataFrame:
    """Rows where any text column contains the query (case-insensitive, literal text, not a pattern)."""
    query = (query or "").strip().lower()
    if not query or df.empty:
        return df
    text = df.select_dtypes(exclude=["number", "bool", "datetime"]).astype(str)
    mask = text.apply(lambda col: col.str.lower().str.contains(query, regex=False)).any(axis=1)
    return df[mask]


def aggregate_trade(df: pd.DataFrame, start: int, end: int, by: tuple[str, ...] | list[str] = ("year", "flow"),
                    value: str = "value_usd", top: int | None = None, column: str = "year") -> pd.DataFrame:
    """Sum of `value` per `by` over the rows whose `column` (year) lies in [start, end], as a tidy frame.

    Groups come sorted by their keys; with `top`, only the `top` largest sums, largest first (ties in key
    order). Only the columns needed are copied, so the cost is that of the groupby itself.
    """
    keys = list(by)
    mask = filters.year_mask(df, start, end, column)
    rows = pd.DataFrame({c: df[c].array[mask] for c in dict.fromkeys([*keys, value])}, copy=False)
    sums = rows.groupby(keys, sort=True, observed=True)[value].sum()
    if top is not None:
        sums = sums.nlargest(top)
    out = {name: sums.index.get_level_values(i) for i, name in enumerate(keys)}
    return pd.DataFrame({**out, value: sums.array}, copy=False)


def span_label(df: pd.DataFrame, years: filters.YearRange, column: str = "year") -> str:
    """The period a chart really covers: first–last year of its rows inside the selected range."""
    present = df[column].dropna() if column in df.columns else pd.Series(dtype="float64")
    if present.empty:
        return years.label()
    return filters.YearRange(int(present.min()), int(present.max())).label()
