"""Server work per rerun: script time of each page when the year range changes.

    python -m bench.rerun [--reruns 15] [--pages trade,map] [--profile] [--out bench/results/rerun.json]

Every page of pages/ runs standalone under streamlit.testing's AppTest (no browser, no network), the way
tests/test_pages_apptest.py runs it: first run with ?from=&to= in the URL (cold: the st.cache_resource
entries are cleared first, so it reads and validates the tables that page needs), then N reruns, each after
moving the sidebar year slider to a different range (at.sidebar.slider[0].set_value((a, b)).run()).
Each run is timed from at.run() to its return (the whole script, plus AppTest's small overhead, which the
floor pays too). Baseline in the same run: bench/floor_page.py, a page with the same slider, one Plotly
chart and one pydeck map and no data, timed the same way.

Goal: median rerun <= 50 ms on every page; data read and validated once per file version, never per
rerun. The second part is checked by counting calls to components.loading.load_table (as bound in
components.ui): per page, the cold run loads each table it needs once and the reruns load nothing; then, on
a copy of data/ (AZKZ_DATA_DIR), touching one CSV (new mtime) re-validates exactly that table and the
tables checked against it, once. The on-disk store of validated tables (components/store.py) is turned off
here (AZKZ_STORE_DIR=off): it serves a *restarted* process, and this benchmark measures one process's
caching; tests/test_store.py and the cold runs of bench.page_speed cover the store.

--profile: cProfile of the reruns of every page whose median is over the goal (bench/results/profiles/).
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import io
import os
import pstats
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench._measure import RESULTS, ROOT, environment, load_average, median, p95, table, write_results

GOAL_MS = 50.0
FLOOR = Path(__file__).resolve().with_name("floor_page.py")
PAGES_DIR = ROOT / "pages"
FIRST_RANGE = ("2005", "2020")
SEED = 7
TIMEOUT = 120


class LoadCounter:
    """Counts load_table calls per table by wrapping the name components.ui calls."""

    def __init__(self) -> None:
        from components import ui

        self.ui, self.original = ui, ui.load_table
        self.calls: collections.Counter[str] = collections.Counter()

        def counted(name, *args, **kwargs):
            self.calls[name] += 1
            return self.original(name, *args, **kwargs)

        ui.load_table = counted

    def snapshot(self) -> dict[str, int]:
        return dict(self.calls)

    def since(self, before: dict[str, int]) -> dict[str, int]:
        return {k: v - before.get(k, 0) for k, v in self.calls.items() if v - before.get(k, 0)}

    def close(self) -> None:
        self.ui.load_table = self.original


def ranges(lo: int, hi: int, n: int, seed: int = SEED) -> list[tuple[int, int]]:
    """n different (start, end) ranges inside [lo, hi], none equal to the one before."""
    rng = random.Random(seed)
    out: list[tuple[int, int]] = []
    while len(out) < n:
        a, b = sorted(rng.sample(range(lo, hi + 1), 2)) if hi > lo else (lo, hi)
        if not out or out[-1] != (a, b) or hi == lo:
            out.append((a, b))
    return out


def problems(at) -> list[str]:
    out = [f"exception: {e.value}" for e in at.exception]
    out += [f"error shown: {e.value.splitlines()[0]}" for e in at.error]
    return out


def new_app(path: Path):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(path), default_timeout=TIMEOUT)
    at.query_params["from"], at.query_params["to"] = FIRST_RANGE
    return at


def timed_run(at) -> tuple[float, float]:
    """(wall, CPU) seconds of one run. CPU time counts this process's threads (the script runs in one):
    steadier than wall time when other work shares the cores."""
    t0, c0 = time.perf_counter(), time.process_time()
    at.run()
    return time.perf_counter() - t0, time.process_time() - c0


def measure_page(path: Path, reruns: int, counter: LoadCounter, profile_dir: Path | None) -> dict:
    import streamlit as st

    st.cache_resource.clear()
    at = new_app(path)
    before = counter.snapshot()
    cold = timed_run(at)[0]
    cold_loads = counter.since(before)
    result = {"page": path.stem, "path": str(path.relative_to(ROOT)), "cold_ms": cold * 1e3,
              "cold_loads": cold_loads, "problems": problems(at)}
    if at.exception or not at.sidebar.slider:
        result["error"] = "no year slider after the first run" if not at.exception else "exception"
        return result
    slider = at.sidebar.slider[0]
    lo, hi = int(slider.min), int(slider.max)
    plan = ranges(lo, hi, reruns)
    times, wrong = [], []
    before = counter.snapshot()
    prof = cProfile.Profile() if profile_dir else None
    for a, b in plan:
        at.sidebar.slider[0].set_value((a, b))
        if prof:
            prof.enable()
        times.append(timed_run(at))
        if prof:
            prof.disable()
        got = tuple(at.sidebar.slider[0].value) if at.sidebar.slider else None
        if got != (a, b) or at.exception:
            wrong.append({"asked": (a, b), "got": got, "problems": problems(at)})
    ms = [w * 1e3 for w, _ in times]
    cpu = [c * 1e3 for _, c in times]
    result.update({"bounds": (lo, hi), "ranges": plan, "rerun_ms": ms, "median_ms": median(ms), "p95_ms": p95(ms),
                   "rerun_cpu_ms": cpu, "cpu_median_ms": median(cpu),
                   "min_ms": min(ms), "max_ms": max(ms), "rerun_loads": counter.since(before), "wrong": wrong,
                   "problems": sorted(set(result["problems"]) | {p for w in wrong for p in w["problems"]})})
    if prof:
        profile_dir.mkdir(parents=True, exist_ok=True)
        prof.dump_stats(profile_dir / f"{path.stem}.prof")
        text = io.StringIO()
        pstats.Stats(prof, stream=text).sort_stats("cumulative").print_stats(40)
        result["profile_top"] = text.getvalue()
    return result


def profiled_script(path: Path, folder: Path) -> Path:
    """A copy of the page that profiles its own body (AppTest runs scripts in another thread, where a
    cProfile enabled here would see nothing); the stats of each run accumulate in <folder>/<page>.pstats."""
    out = folder / f"profiled_{path.stem}.py"
    stats = folder / f"{path.stem}.pstats"
    out.write_text(
        "import cProfile, pstats, sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "_prof = cProfile.Profile()\n"
        "_prof.enable()\n"
        "try:\n"
        f"    exec(compile(open({str(path)!r}, encoding='utf-8').read(), {str(path)!r}, 'exec'),"
        " {'__name__': '__main__', '__file__': " + repr(str(path)) + "})\n"
        "finally:\n"
        "    _prof.disable()\n"
        f"    _prof.dump_stats({str(stats) + '.run'!r})\n"
        f"    _acc = pstats.Stats({str(stats) + '.run'!r})\n"
        "    import os\n"
        f"    if os.path.exists({str(stats)!r}):\n"
        f"        _acc.add({str(stats)!r})\n"
        f"    _acc.dump_stats({str(stats)!r})\n",
        encoding="utf-8")
    return out


def profile_page(path: Path, reruns: int, folder: Path) -> str:
    """Top of a cProfile (cumulative) of the page's reruns, the first (cold) run excluded."""
    script = profiled_script(path, folder)
    stats = folder / f"{path.stem}.pstats"
    at = new_app(script)
    at.run()
    stats.unlink(missing_ok=True)  # keep the reruns only
    if not at.sidebar.slider:
        return "(no slider)"
    lo, hi = int(at.sidebar.slider[0].min), int(at.sidebar.slider[0].max)
    for a, b in ranges(lo, hi, reruns, seed=SEED + 1):
        at.sidebar.slider[0].set_value((a, b)).run()
    text = io.StringIO()
    st_ = pstats.Stats(str(stats), stream=text)
    st_.sort_stats("cumulative").print_stats(45)
    text.write("\n--- by own time ---\n")
    st_.sort_stats("tottime").print_stats(25)
    return text.getvalue()


def file_versions(counter: LoadCounter, pages: list[Path]) -> dict:
    """On a copy of data/: rerun each page, touch one CSV, rerun, and record which tables were re-validated."""
    import streamlit as st

    from components import ui

    out: dict = {"cases": []}
    with tempfile.TemporaryDirectory(prefix="bench-rerun-data-") as tmp:
        data = Path(tmp) / "data"
        shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("staging"))
        old_env = os.environ.get("AZKZ_DATA_DIR")
        os.environ["AZKZ_DATA_DIR"] = str(data)
        try:
            st.cache_resource.clear()
            apps = {}
            for page in pages:
                at = new_app(page)
                at.run()
                apps[page.stem] = at
            needs = {}  # tables each page loads, from a second cold pass
            for page in pages:
                st.cache_resource.clear()
                before = counter.snapshot()
                apps[page.stem].run()
                needs[page.stem] = sorted(counter.since(before))
            out["tables_per_page"] = needs
            for page in pages:  # warm every page again before touching anything
                apps[page.stem].run()
            tables = sorted({t for ts in needs.values() for t in ts})
            for touched in [t for t in ("trade_turnover", "routes", "sources") if t in tables]:
                csv_path = data / ui.schema.table_meta(touched)["path"]
                stat = csv_path.stat()
                os.utime(csv_path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
                before = counter.snapshot()
                for page in pages:
                    apps[page.stem].run()
                reloaded = counter.since(before)
                before = counter.snapshot()
                for page in pages:  # and once more: nothing left to reload
                    apps[page.stem].run()
                again = counter.since(before)
                dependants = sorted({t for t in tables if touched in (t, *ui._dependencies(t))})
                out["cases"].append({"touched": touched, "reloaded": reloaded, "expected": dependants,
                                     "reloaded_on_next_rerun": again,
                                     "ok": reloaded == dict.fromkeys(dependants, 1) and not again})
        finally:
            if old_env is None:
                os.environ.pop("AZKZ_DATA_DIR", None)
            else:
                os.environ["AZKZ_DATA_DIR"] = old_env
            st.cache_resource.clear()
    return out


def fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.1f}"


def summary(rows: list[dict], floor: dict, versions: dict) -> str:
    floor_median = floor.get("median_ms")
    body = []
    for r in [floor, *rows]:
        cold_loads = r.get("cold_loads", {})
        loads = (f"all {len(cold_loads)} ×1" if cold_loads and set(cold_loads.values()) == {1}
                 else ", ".join(f"{k}×{v}" for k, v in sorted(cold_loads.items())) or "–")
        rerun_loads = sum(r.get("rerun_loads", {}).values()) if "rerun_loads" in r else None
        ok = None if "median_ms" not in r or r is floor else r["median_ms"] <= GOAL_MS
        body.append([r["page"] + (" (floor)" if r is floor else ""), fmt(r.get("cold_ms")), fmt(r.get("median_ms")),
                     fmt(r.get("p95_ms")), fmt(r.get("max_ms")), fmt(r.get("cpu_median_ms")),
                     f"{r['median_ms'] / floor_median:.2f}" if floor_median and "median_ms" in r else "–",
                     "–" if ok is None else ("yes" if ok else "NO"), loads,
                     "–" if rerun_loads is None else str(rerun_loads),
                     "; ".join(r.get("problems", []))[:90] or r.get("error", "")])
    lines = [table(["page", "cold ms", "median ms", "p95 ms", "max ms", "CPU median ms", "x floor",
                    f"<= {GOAL_MS:g} ms",
                    "tables read+validated (cold)", "loads in reruns", "problems shown"], body)]
    if versions.get("cases"):
        lines += ["", "Validated once per file version (a copy of data/, one CSV touched, every page rerun twice):"]
        lines.append(table(["touched", "re-validated on the next reruns", "expected (it and its dependants)",
                            "re-validated again after", "ok"],
                           [[c["touched"], ", ".join(f"{k}×{v}" for k, v in sorted(c["reloaded"].items())) or "–",
                             "all tables" if len(c["expected"]) == len(versions.get("tables_per_page", {}).get(
                                 next(iter(versions.get("tables_per_page", {})), ""), [])) > 2
                             else ", ".join(c["expected"]), ", ".join(c["reloaded_on_next_rerun"]) or "–",
                             "yes" if c["ok"] else "NO"] for c in versions["cases"]]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rerun", description=__doc__.split("\n\n")[0])
    parser.add_argument("--reruns", type=int, default=15)
    parser.add_argument("--pages", default="", help="comma-separated page names (default: every pages/*.py)")
    parser.add_argument("--profile", action="store_true", help="cProfile the pages over the goal")
    parser.add_argument("--out", type=Path, default=RESULTS / "rerun.json")
    args = parser.parse_args(argv)
    os.environ["AZKZ_STORE_DIR"] = "off"  # see the module docstring
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.pop("AZKZ_DATA_DIR", None)
    pages = sorted(PAGES_DIR.glob("*.py"))
    if args.pages:
        wanted = set(args.pages.split(","))
        pages = [p for p in pages if p.stem in wanted]
    print(f"load average before: {load_average()} on {os.cpu_count()} CPUs", flush=True)
    counter = LoadCounter()
    try:
        new_app(FLOOR).run()  # imports streamlit, plotly and pydeck once, outside any measurement
        floor = measure_page(FLOOR, args.reruns, counter, None)
        print(f"  floor: cold {fmt(floor['cold_ms'])} ms, median {fmt(floor.get('median_ms'))} ms", flush=True)
        rows = []
        for page in pages:
            row = measure_page(page, args.reruns, counter, None)
            rows.append(row)
            print(f"  {page.stem}: cold {fmt(row['cold_ms'])} ms, median {fmt(row.get('median_ms'))} ms, "
                  f"p95 {fmt(row.get('p95_ms'))} ms, cold loads {row['cold_loads']}, rerun loads "
                  f"{row.get('rerun_loads')}" + (f", problems {row['problems']}" if row["problems"] else ""),
                  flush=True)
        versions = file_versions(counter, pages)
        slow = [r for r in rows if r.get("median_ms", 0) > GOAL_MS]
        if args.profile and slow:
            with tempfile.TemporaryDirectory(prefix="bench-rerun-prof-") as tmp:
                for r in slow:
                    r["profile"] = profile_page(ROOT / r["path"], args.reruns, Path(tmp))
                    (RESULTS / "profiles").mkdir(parents=True, exist_ok=True)
                    (RESULTS / "profiles" / f"rerun_{r['page']}.txt").write_text(r["profile"], encoding="utf-8")
    finally:
        counter.close()
    text = summary(rows, floor, versions)
    ok_pages = [r for r in rows if "median_ms" in r]
    verdict = {
        f"median rerun <= {GOAL_MS:g} ms on every page": bool(ok_pages) and len(ok_pages) == len(rows)
        and all(r["median_ms"] <= GOAL_MS for r in ok_pages),
        "no table read or validated during any rerun": all(not r.get("rerun_loads") for r in ok_pages),
        "each table read once per page's cold run": all(set(r["cold_loads"].values()) <= {1} for r in rows),
        "a touched CSV re-validates exactly it and its dependants, once": all(c["ok"] for c in versions["cases"])
        if versions.get("cases") else None,
    }
    env = environment()
    text += "\n\nGoals:\n" + "\n".join(f"  {'PASS' if ok else ('n/a ' if ok is None else 'FAIL')}  {g}"
                                       for g, ok in verdict.items())
    text += f"\nload average after: {env['load_average']} on {env['cpus']} CPUs"
    if args.profile:
        text += "\nprofiles: " + (", ".join(f"bench/results/profiles/rerun_{r['page']}.txt" for r in slow) or "none needed")
    write_results(args.out, {"benchmark": "rerun", "env": env, "goal_ms": GOAL_MS, "reruns": args.reruns,
                             "first_range": FIRST_RANGE, "floor": floor, "pages": rows, "file_versions": versions,
                             "goals": verdict, "summary": text})
    print()
    print(text)
    print(f"\nresults: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
