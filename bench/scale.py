"""Scale of the data layer: load (read + convert + validate), filter by years, aggregate.

    python -m bench.scale [--sizes 10000,100000,1000000] [--out bench/results/scale.json]

Synthetic monthly customs tables (product x month x direction, the `trade_monthly` resource of
bench/trade_monthly.json) of each size are generated deterministically into a temporary folder. Each
step is timed against a floor measured in the same run on the same input:

    load           components.data.loading.load_table      vs  pd.read_csv(path)
    filter         components.shaping.filters.filter_years vs  df[df.year.between(a, b)]
    agg_year_flow  aggregate(by year, flow)                vs  df[...].groupby([year, flow]).value_usd.sum()
    top_products   aggregate(by product, top)              vs  df[...].groupby(product).value_usd.sum().nlargest()

The folder holds its own datapackage.json (bench/trade_monthly.json: the table and the sources it refers to),
as the app's data folder does; `aggregate` is the bench's own (the app has no customs-level table yet).

Times are medians of several repeats (ours and floor interleaved). Peak memory is measured on separate
runs: the rise of the resident set (RSS, every allocator including Arrow's) and the tracemalloc peak
(Python objects and numpy only). The frame's own size is df.memory_usage(deep=True).sum().

Goals (issue "Measure first, then make it fast"): filter + aggregate <= 1.5x the bare groupby at every
size; peak memory <= 3x the frame's own size; cost growing no worse than linearly with rows.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from bench._measure import (
    RESULTS,
    environment,
    load_average,
    median,
    peak_rss_mb,
    peak_traced_mb,
    settle,
    table,
    timed,
    write_results,
)
from components.data import loading
from components.shaping import filters

PACKAGE = Path(__file__).resolve().with_name("trade_monthly.json")
TABLE = "trade_monthly"
SIZES = (10_000, 100_000, 1_000_000)
YEARS = (2000, 2024)  # the synthetic table's years
RANGE = (2010, 2019)  # the year range every filter and aggregate asks for (40% of the rows)
TOP = 10
SEED = 20_240_501
SOURCES = pd.DataFrame(
    {
        "source_id": ["stat_gov_kz", "stat_gov_az"],
        "title": ["Bureau of National Statistics of Kazakhstan", "State Statistical Committee of Azerbaijan"],
    }
)
DENSITY = 0.8  # share of (product, month, direction) cells that have a row, as in real customs data
REPEATS = {"load": {10_000: 7, 100_000: 5, 1_000_000: 3}, "other": {10_000: 31, 100_000: 15, 1_000_000: 7}}
MEMORY_RUNS = {10_000: 3, 100_000: 3, 1_000_000: 2}  # peak RSS: median of this many runs
GOAL_RATIO = 1.5
GOAL_MEMORY = 3.0
GOAL_GROWTH = 1.2  # per-row cost may grow at most this much per 10x rows (timing noise allowance)
# Peak RSS moves in steps of a few MB (allocator arenas; the bare-pandas floor shows the same): below a frame
# of this size, 3x the frame is within that noise, so the memory goal is reported but not judged.
MEMORY_RESOLUTION_MB = 5.0

# Customs-style descriptions: some contain commas or quotes, so the CSV has quoted fields.
PRODUCTS = [
    "Wheat and meslin",
    "Petroleum oils, crude",
    "Petroleum oils, other than crude",
    "Natural gas, liquefied",
    "Sunflower-seed oil",
    "Tyres, new pneumatic, of rubber",
    "Rolled steel, flat",
    "Copper cathodes",
    "Polypropylene, in primary forms",
    "Cigarettes containing tobacco",
    "Tomatoes, fresh or chilled",
    "Apples, fresh",
    "Medicaments, packaged",
    'Parts of engines, "other"',
    "Cement clinkers",
    "Aluminium, unwrought",
    "Railway wagons",
    "Fertilisers, mineral or chemical",
    "Cotton yarn",
    "Tea",
]


def synthetic_trade(n_rows: int, seed: int = SEED) -> pd.DataFrame:
    """Exactly n_rows rows of monthly trade, sorted by year, month, direction and product (deterministic)."""
    rng = np.random.default_rng(seed + n_rows)
    years = np.arange(YEARS[0], YEARS[1] + 1)
    cells = len(years) * 12 * 2
    n_products = int(np.ceil(n_rows / (cells * DENSITY)))
    codes = rng.choice(np.arange(10_000, 980_000), size=n_products, replace=False)
    hs = np.array([f"{c:06d}" for c in codes])
    names = np.array([f"{PRODUCTS[i % len(PRODUCTS)]} ({i // len(PRODUCTS) + 1})" for i in range(n_products)])
    keep = np.sort(rng.choice(cells * n_products, size=n_rows, replace=False))
    cell, product = np.divmod(keep, n_products)
    year_i, rest = np.divmod(cell, 24)
    month_i, flow_i = np.divmod(rest, 2)
    sources = np.array(["stat_gov_kz", "stat_gov_az", "stat_gov_kz;stat_gov_az"])
    return pd.DataFrame(
        {
            "year": years[year_i],
            "month": month_i + 1,
            "flow": np.array(["kz_to_az", "az_to_kz"])[flow_i],
            "product": names[product],
            "hs_code": hs[product],
            "value_usd": np.round(rng.lognormal(11, 2, n_rows), 2),
            "source_id": sources[rng.choice(3, size=n_rows, p=[0.6, 0.35, 0.05])],
        }
    )


def aggregate(
    df: pd.DataFrame,
    start: int,
    end: int,
    by: tuple[str, ...] = ("year", "flow"),
    value: str = "value_usd",
    top: int | None = None,
) -> pd.DataFrame:
    """Sum of `value` per `by` over the rows of years [start, end] as a tidy frame (groups sorted by key; with
    `top`, the largest first). Only the needed columns are copied, so the cost is the groupby's."""
    keys = list(by)
    mask = filters.year_mask(df, start, end)
    rows = pd.DataFrame({c: df[c].array[mask] for c in dict.fromkeys([*keys, value])}, copy=False)
    sums = rows.groupby(keys, sort=True, observed=True)[value].sum()
    if top is not None:
        sums = sums.nlargest(top)
    out = {name: sums.index.get_level_values(i) for i, name in enumerate(keys)}
    return pd.DataFrame({**out, value: sums.array}, copy=False)


def write_table(n_rows: int, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "datapackage.json").write_bytes(PACKAGE.read_bytes())
    SOURCES.to_csv(folder / "sources.csv", index=False)
    path = folder / "trade_monthly.csv"
    synthetic_trade(n_rows).to_csv(path, index=False, lineterminator="\n", float_format="%.2f")
    return path


def steps(path: Path, df: pd.DataFrame | None):
    """(name, ours, floor) per step; the data steps use the frame our loader returned."""
    a, b = RANGE
    folder = path.parent
    out = [("load", lambda: loading.load_table(TABLE, folder, {"sources": SOURCES}), lambda: pd.read_csv(path))]
    if df is not None:
        out += [
            ("filter", lambda: filters.filter_years(df, a, b), lambda: df[df.year.between(a, b)]),
            (
                "agg_year_flow",
                lambda: aggregate(df, a, b, by=("year", "flow")),
                lambda: df[df.year.between(a, b)].groupby(["year", "flow"]).value_usd.sum(),
            ),
            (
                "top_products",
                lambda: aggregate(df, a, b, by=("product",), top=TOP),
                lambda: df[df.year.between(a, b)].groupby("product").value_usd.sum().nlargest(TOP),
            ),
        ]
    return out


def check_same(name: str, ours, floor) -> None:
    """Ours must give the floor's answer (the comparison is only fair if both do the same work)."""
    if name == "load":
        assert len(ours) == len(floor) and list(ours.columns) == list(floor.columns)
        assert np.allclose(ours["value_usd"].to_numpy(float), floor["value_usd"].to_numpy(float))
    elif name == "filter":
        assert ours.index.equals(floor.index)
    else:
        key = [c for c in ours.columns if c != "value_usd"]
        f = floor.reset_index()
        assert ours[key].astype(str).equals(f[key].astype(str)), name
        assert np.allclose(ours["value_usd"].to_numpy(float), f["value_usd"].to_numpy(float)), name


def measure(n_rows: int, folder: Path, repeats_scale: float, memory: bool) -> list[dict]:
    path = write_table(n_rows, folder / str(n_rows))
    file_mb = path.stat().st_size / 2**20
    rows, df = [], None
    for phase in ("load", "data"):
        for name, ours, floor in steps(path, df):
            if (name == "load") != (phase == "load"):
                continue
            repeats = max(1, round(REPEATS["load" if name == "load" else "other"][closest(n_rows)] * repeats_scale))
            result, floor_result = ours(), floor()  # warm-up (schema build, caches) and a correctness check
            check_same(name, result, floor_result)
            if name == "load":
                df = result
            del result, floor_result
            samples: dict[str, list[tuple[float, float]]] = {"ours": [], "floor": []}
            for _ in range(repeats):
                for side, fn in (("ours", ours), ("floor", floor)):
                    settle()
                    samples[side].append(timed(fn)[:2])
            row = {"rows": n_rows, "step": name, "repeats": repeats}
            for side in ("ours", "floor"):
                row[f"{side}_s"] = median([w for w, _ in samples[side]])
                row[f"{side}_cpu_s"] = median([c for _, c in samples[side]])
                row[f"{side}_samples"] = samples[side]
            row["ratio"] = row["ours_s"] / row["floor_s"]
            row["cpu_ratio"] = row["ours_cpu_s"] / row["floor_cpu_s"]
            if memory:
                runs = MEMORY_RUNS[closest(n_rows)]
                for side, fn in (("ours", ours), ("floor", floor)):
                    rss = [peak_rss_mb(fn) for _ in range(runs)]
                    row[f"{side}_rss_runs_mb"] = rss
                    row[f"{side}_rss_mb"] = None if None in rss else median(rss)
                    row[f"{side}_traced_mb"] = peak_traced_mb(fn)
            rows.append(row)
            print(
                f"  {n_rows:>9,} {name:<14} ours {row['ours_s'] * 1e3:9.2f} ms  floor "
                f"{row['floor_s'] * 1e3:9.2f} ms  x{row['ratio']:.2f} (cpu x{row['cpu_ratio']:.2f})"
                + (f"  peak RSS {row['ours_rss_mb']:.1f} MB" if row.get("ours_rss_mb") is not None else ""),
                flush=True,
            )
    frame_mb = float(df.memory_usage(deep=True).sum()) / 2**20
    for row in rows:
        row["frame_mb"], row["file_mb"] = frame_mb, file_mb
    del df
    settle()
    return rows


def closest(n: int) -> int:
    return min(REPEATS["load"], key=lambda s: abs(np.log10(s) - np.log10(n)))


def growth(rows: list[dict]) -> dict[str, list[dict]]:
    """Per step: per-row cost (us) at each size and its growth between consecutive sizes."""
    out: dict[str, list[dict]] = {}
    for step in dict.fromkeys(r["step"] for r in rows):
        series = sorted((r["rows"], r["ours_s"]) for r in rows if r["step"] == step)
        out[step] = [
            {
                "rows": n,
                "us_per_row": t / n * 1e6,
                "growth": None if i == 0 else (t / n) / (series[i - 1][1] / series[i - 1][0]),
            }
            for i, (n, t) in enumerate(series)
        ]
    return out


def goals(rows: list[dict], grow: dict[str, list[dict]]) -> dict[str, bool | None]:
    """Each goal over every size measured (None: not measured)."""
    data = [r for r in rows if r["step"] != "load"]
    out: dict[str, bool | None] = {
        f"filter+aggregate <= {GOAL_RATIO}x floor (wall) at every size": all(r["ratio"] <= GOAL_RATIO for r in data),
    }
    for n in sorted({r["rows"] for r in rows}):
        mem = [r for r in rows if r["rows"] == n and r.get("ours_rss_mb") is not None]
        judged = mem and mem[0]["frame_mb"] >= MEMORY_RESOLUTION_MB
        out[
            f"peak RSS <= {GOAL_MEMORY}x frame, every step, {n:,} rows"
            + ("" if judged or not mem else f" (frame < {MEMORY_RESOLUTION_MB:g} MB: not judged)")
        ] = all(r["ours_rss_mb"] <= GOAL_MEMORY * r["frame_mb"] for r in mem) if judged else None
    growth_ok = [g["growth"] <= GOAL_GROWTH for gs in grow.values() for g in gs[1:]]
    out[f"per-row cost growth <= {GOAL_GROWTH} per 10x rows, every step"] = all(growth_ok) if growth_ok else None
    return out


def fmt(x: float | None, digits: int = 2) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def summary(rows: list[dict], grow: dict[str, list[dict]], verdict: dict) -> str:
    def per_frame(r: dict, side: str) -> str:
        return fmt(r[f"{side}_rss_mb"] / r["frame_mb"]) if r.get(f"{side}_rss_mb") is not None else "–"

    main = table(
        [
            "rows",
            "step",
            "ours ms",
            "floor ms",
            "ratio",
            "cpu ratio",
            "ours peak RSS MB",
            "ours traced MB",
            "floor peak RSS MB",
            "frame MB",
            "ours peak/frame",
            "floor peak/frame",
        ],
        [
            [
                f"{r['rows']:,}",
                r["step"],
                fmt(r["ours_s"] * 1e3),
                fmt(r["floor_s"] * 1e3),
                fmt(r["ratio"]),
                fmt(r.get("cpu_ratio")),
                fmt(r.get("ours_rss_mb"), 1),
                fmt(r.get("ours_traced_mb"), 1),
                fmt(r.get("floor_rss_mb"), 1),
                fmt(r["frame_mb"], 1),
                per_frame(r, "ours"),
                per_frame(r, "floor"),
            ]
            for r in rows
        ],
    )
    sizes = sorted({r["rows"] for r in rows})
    grow_table = table(
        ["step"] + [f"us/row {n:,}" for n in sizes] + [f"growth {a:,}->{b:,}" for a, b in itertools.pairwise(sizes)],
        [
            [step] + [fmt(g["us_per_row"], 3) for g in gs] + [fmt(g["growth"]) for g in gs[1:]]
            for step, gs in grow.items()
        ],
    )
    lines = [
        main,
        "",
        "Per-row wall time (ours) and its growth per step up in size (<= 1: linear or better):",
        grow_table,
        "",
        "Goals:",
    ]
    lines += [f"  {'PASS' if ok else ('n/a ' if ok is None else 'FAIL')}  {goal}" for goal, ok in verdict.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("AZKZ_MAX_TABLE_MB", "1024")  # the 1M-row table is ~65 MB: above the app's default limit
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default=",".join(map(str, SIZES)), help="comma-separated row counts (default: %(default)s)"
    )
    parser.add_argument("--repeats-scale", type=float, default=1.0, help="multiply every repeat count")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory runs")
    parser.add_argument("--out", type=Path, default=RESULTS / "scale.json")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    rows: list[dict] = []
    print(f"load average before: {load_average()} on {os.cpu_count()} CPUs", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        for n in sizes:
            print(f"{n:,} rows:", flush=True)
            rows += measure(n, Path(tmp), args.repeats_scale, not args.no_memory)
    grow = growth(rows)
    verdict = goals(rows, grow)
    text = summary(rows, grow, verdict)
    env = environment()
    text += (
        f"\nload average after: {env['load_average']} on {env['cpus']} CPUs (above the CPU count, other "
        "work shares the cores: compare ratios, not absolute times)"
    )
    write_results(
        args.out,
        {
            "benchmark": "scale",
            "env": env,
            "range": RANGE,
            "top": TOP,
            "goals": verdict,
            "rows": rows,
            "growth": grow,
            "summary": text,
        },
    )
    print()
    print(text)
    print(f"\nresults: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
