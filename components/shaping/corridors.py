"""Corridors: every route and facility, their volumes on one scale, utilisation, milestones. Pure."""

from __future__ import annotations

import pandas as pd

# Scales of one quantity put on one axis: value in `unit` x factor = value in the common unit.
COMMON_UNITS = {
    "t": ("million t", 1e-6),
    "thousand t": ("million t", 1e-3),
    "million t": ("million t", 1.0),
    "bbl/d": ("thousand bbl/d", 1e-3),
    "thousand bbl/d": ("thousand bbl/d", 1.0),
    "thousand TEU": ("TEU", 1e3),
    "TEU": ("TEU", 1.0),
    "USD": ("million USD", 1e-6),
    "million USD": ("million USD", 1.0),
    "billion USD": ("million USD", 1e3),
}


def in_one_unit(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows of one figure in one unit, for one axis: scales of one quantity (t, thousand t, million t; USD,
    million USD, billion USD; ...) converted to its common unit (COMMON_UNITS); of units that cannot be converted
    into each other, the rows of the unit most rows have (the first such unit in the rows' order on a tie)."""
    common = [COMMON_UNITS.get(u, (u, 1.0)) for u in rows["unit"]]
    factor = pd.Series([f for _u, f in common], index=rows.index, dtype="float64")
    out = rows.assign(
        unit=[u for u, _f in common],
        value=(rows["value"].astype("float64") * factor).round(10),
        value_high=(rows["value_high"].astype("float64") * factor).round(10),
    )
    counts = out["unit"].value_counts(sort=False)
    return out[out["unit"] == counts.idxmax()]


def normalise_units(volumes: pd.DataFrame) -> pd.DataFrame:
    """Tonnes at any scale shown as million t, barrels a day as thousand bbl/d, TEU as TEU: one quantity, one
    axis. A change of scale only; `given` keeps the value and unit the source gave ('' where unchanged)."""
    out = volumes.assign(given="")
    for unit, (common, factor) in COMMON_UNITS.items():
        rows = out["unit"] == unit
        if unit == common or not rows.any():
            continue
        out.loc[rows, "given"] = out.loc[rows, "value"].map(lambda v, u=unit: f"{v:,.10g} {u}") + [
            f"–{h:,.10g}" if pd.notna(h) else "" for h in out.loc[rows, "value_high"]
        ]
        out.loc[rows, "value"] = (out.loc[rows, "value"] * factor).round(10)
        out.loc[rows, "value_high"] = (out.loc[rows, "value_high"] * factor).round(10)
        out.loc[rows, "unit"] = common
    return out


def catalogue(
    routes: pd.DataFrame | None,
    facilities: pd.DataFrame | None,
    volumes: pd.DataFrame | None,
    events: pd.DataFrame | None,
    agreements: pd.DataFrame | None,
) -> pd.DataFrame:
    """Every route and facility, and every corridor id a figure uses: id, name, kind and how many volume figures,
    milestones and documents each has (counted over all years)."""
    rows: dict[str, dict] = {}
    for frame, id_col, kind in ((routes, "route_id", "route"), (facilities, "facility_id", "facility")):
        if frame is not None:
            for rid, name in zip(frame[id_col], frame["name"]):
                rows.setdefault(rid, {"corridor": rid, "name": name, "kind": kind})
    counted = (
        ("figures", volumes, "corridor"),
        ("milestones", events, "route_id"),
        ("documents", agreements, "route_id"),
    )
    for _, frame, column in counted:
        if frame is not None:
            for cid in frame[column].dropna().unique():
                rows.setdefault(cid, {"corridor": cid, "name": None, "kind": "unknown"})
    out = pd.DataFrame(list(rows.values()), columns=["corridor", "name", "kind"])
    for label, frame, column in counted:
        counts = frame[column].value_counts() if frame is not None else pd.Series(dtype="int64")
        out[label] = out["corridor"].map(counts).fillna(0).astype(int)
    return out.sort_values(
        ["figures", "milestones", "name"], ascending=[False, False, True], na_position="last", kind="stable"
    ).reset_index(drop=True)


def utilisation(volumes: pd.DataFrame) -> pd.DataFrame:
    """Actual annual throughput of the whole route as a share of a capacity of the same corridor and unit.

    Computed by us. The capacity of the same year is used where one is stated (an actual one before a planned
    one); else the latest stated before that year; else the earliest stated after it. `capacity_basis` names
    the capacity used: its value, status and year, and the low end where it was a range. Call normalise_units
    first so tonnes at any scale compare."""
    columns = ["corridor", "year", "unit", "throughput", "capacity", "capacity_basis", "utilisation_pct", "source_id"]
    annual = volumes[(volumes["period"] == "annual") & volumes["scope"].isna()]
    actual = annual[(annual["metric"] == "throughput") & (annual["status"] == "actual") & annual["qualifier"].isna()]
    capacity = annual[(annual["metric"] == "capacity") & (annual["value"] > 0)]
    priority = {"actual": 0, "planned": 1, "expected": 2, "target": 3}
    rows = []
    for flow in actual.to_dict("records"):
        same = capacity[(capacity["corridor"] == flow["corridor"]) & (capacity["unit"] == flow["unit"])]
        if same.empty:
            continue
        ranked = same.assign(_p=same["status"].map(priority), _gap=(same["year"] - flow["year"]))
        exact = ranked[ranked["_gap"] == 0]
        before = ranked[ranked["_gap"] < 0]
        if not exact.empty:
            cap = exact.sort_values("_p").iloc[0]
        elif not before.empty:
            cap = before.sort_values(["year", "_p"], ascending=[False, True]).iloc[0]
        else:
            cap = ranked.sort_values(["year", "_p"]).iloc[0]
        ranged = pd.notna(cap["value_high"])
        basis = (
            f"{cap['status']} capacity {cap['value']:,.10g}"
            + (f" (low end of {cap['value']:,.10g}–{cap['value_high']:,.10g})" if ranged else "")
            + f" {cap['unit']} for {int(cap['year'])}"
        )
        rows.append(
            {
                "corridor": flow["corridor"],
                "year": int(flow["year"]),
                "unit": flow["unit"],
                "throughput": flow["value"],
                "capacity": float(cap["value"]),
                "capacity_basis": basis,
                "utilisation_pct": round(100 * flow["value"] / cap["value"], 1),
                "source_id": ";".join(dict.fromkeys(f"{flow['source_id']};{cap['source_id']}".split(";"))),
            }
        )
    return pd.DataFrame(rows, columns=columns)


def summary(volumes: pd.DataFrame) -> pd.DataFrame:
    """One row per corridor and unit: latest actual annual figure, largest capacity or target, years covered."""
    rows = []
    for (corridor, unit), group in volumes.groupby(["corridor", "unit"], sort=True):
        actual = group[(group["status"] == "actual") & (group["metric"] == "throughput")].sort_values(
            ["year", "period"]
        )
        whole = actual[actual["period"] == "annual"]
        last = (whole if not whole.empty else actual).iloc[-1] if not actual.empty else None
        ahead = group[(group["metric"] == "capacity") | group["status"].isin(["planned", "expected", "target"])]
        rows.append(
            {
                "corridor": corridor,
                "unit": unit,
                "latest_actual": None if last is None else float(last["value"]),
                "latest_year": None if last is None else int(last["year"]),
                "latest_period": None if last is None else last["period"],
                "latest_qualifier": None if last is None else last["qualifier"],
                "max_ahead": ahead[["value", "value_high"]].max(axis=None) if not ahead.empty else None,
                "figures": len(group),
                "first": int(group["year"].min()),
                "last": int(group["year"].max()),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "corridor",
            "unit",
            "latest_actual",
            "latest_year",
            "latest_period",
            "latest_qualifier",
            "max_ahead",
            "figures",
            "first",
            "last",
        ],
    )


MILESTONE_COLUMNS = ["date", "date_precision", "date_start", "year", "kind", "what", "route_id", "source_id"]


def milestones(events: pd.DataFrame | None, agreements: pd.DataFrame | None, corridor: str) -> pd.DataFrame:
    """Dated milestones (events) and the documents behind one route or facility, oldest first. Only rows that
    name this corridor: an id that has none gets none (never another route's milestones)."""
    frames = []
    if events is not None:
        e = events[events["route_id"] == corridor]
        frames.append(e.assign(kind="milestone", what=e["event"])[MILESTONE_COLUMNS])
    if agreements is not None:
        a = agreements[agreements["route_id"] == corridor]
        frames.append(a.assign(kind="agreement", what=a["title"])[MILESTONE_COLUMNS])
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=MILESTONE_COLUMNS)
    return pd.concat(frames, ignore_index=True).sort_values("date_start", kind="stable").reset_index(drop=True)


def keys_of(table: str, rows: pd.DataFrame) -> set[str]:
    """The discrepancy keys (discrepancies.subjects) of rows of a table."""
    if rows.empty:
        return set()
    if table == "trade_turnover":
        return {f"trade_turnover:{int(y)}:{p}:{f}" for y, p, f in zip(rows["year"], rows["period"], rows["flow"])}
    if table == "corridor_volumes":
        return {f"corridor_volumes:{c}:{int(y)}:{m}" for c, y, m in zip(rows["corridor"], rows["year"], rows["metric"])}
    if table == "indicators":
        return {f"indicators:{i}" for i in rows["indicator"]}
    if table == "diaspora":
        return {f"diaspora:{g}:{int(y)}" for g, y in zip(rows["group"], rows["year"])}
    if table in ("visits", "agreements", "events", "commission_sessions"):
        return {f"{table}:{d}" for d in rows["date"]}
    return set()


def matching_disagreements(discrepancies: pd.DataFrame | None, keys: set[str]) -> pd.DataFrame:
    """The discrepancies about any of these row keys (their `subjects` name the rows)."""
    if discrepancies is None or discrepancies.empty or not keys:
        return pd.DataFrame(columns=[] if discrepancies is None else discrepancies.columns)
    subjects = discrepancies["subjects"].fillna("").str.split(";")
    hit = subjects.map(lambda s: bool(keys.intersection(x.strip() for x in s)))
    return discrepancies[hit.astype(bool)]
