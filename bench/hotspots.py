"""Where a new-range rerun's server time goes, in ms, without a profiler's overhead.

    python -m bench.hotspots [--reruns 10] [--pages map,sources] [--snapshot [REV]]

Runs each page the way bench.rerun does (AppTest on frame/main.py, switch to the page, N reruns each after
moving the year slider to a range not seen before) with a timer around a few functions of the app and
Streamlit (the ones cProfile and py-spy named: bench/results/profiles/). A timer adds one perf_counter and
one thread_time call per call, so the figures are the functions' own cost. Times are inclusive (a function's
callees included; nested targets overlap: to_safe_csv inside bundle_zip). Per page: the median over the
reruns of the summed time per rerun of each target, its calls per rerun, and the rerun's CPU time.

Also the cost of Streamlit's `gc.collect(2)` after every script run (`runner.postScriptGC`, default on;
script_runner.py `ScriptRunner._on_script_finished`), which the server pays on every rerun but AppTest does not
(its LocalScriptRunner overrides `_on_script_finished` without it, so bench.rerun's figures leave it out): the
time of one full collection and the number of objects the collector tracks, in this process after the pages
ran (the app's caches holding their views) and, for comparison, in a fresh process that ran only the floor.

Results: bench/results/hotspots.json; a summary on stdout.
"""

from __future__ import annotations

import argparse
import collections
import gc
import importlib
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench import rerun
from bench._measure import RESULTS, environment, table, write_results

TARGETS = [
    ("components.app_data", None, "_build"),  # a whole view build (everything below that is in a view)
    ("components.app_data", None, "_citations"),  # provenance.citation_names(sources), once per view build
    ("components.shaping.labels", "Labels", "build"),  # the names table as a dict, once per view build
    ("components.figures.static_map", None, "map_image"),  # the map picture, once per set of grey routes
    ("components.figures.static_map", None, "titled_png"),  # its title per year, when the PNG is first asked for
    ("components.figures.maps", None, "network_deck"),
    ("components.shaping.export", None, "bundle_zip"),
    ("components.shaping.export", None, "to_safe_csv"),
    ("components.views.chronology", None, "_disagreements"),
    ("components.views.base", "Context", "grid"),
    ("components.figures.style", None, "finish"),
    ("components.shaping.provenance", None, "source_line"),
]


class Timers:
    def __init__(self) -> None:
        self.wall: collections.Counter = collections.Counter()
        self.cpu: collections.Counter = collections.Counter()
        self.calls: collections.Counter = collections.Counter()
        self.undo: list = []
        self.depth: collections.Counter = collections.Counter()

    def install(self) -> None:
        for module_name, cls_name, attr in TARGETS:
            module = importlib.import_module(module_name)
            owner = getattr(module, cls_name) if cls_name else module
            raw = owner.__dict__[attr] if cls_name else getattr(owner, attr)
            name = f"{module_name}:{cls_name + '.' if cls_name else ''}{attr}"
            is_classmethod = isinstance(raw, classmethod)
            func = raw.__func__ if is_classmethod else raw
            wrapped = self._wrap(name, func)
            setattr(owner, attr, classmethod(wrapped) if is_classmethod else wrapped)
            self.undo.append((owner, attr, raw))
            if not cls_name:  # `from module import f` elsewhere in the app: replace those names too
                for other in list(sys.modules.values()):
                    if other is module or not getattr(other, "__name__", "").startswith(("components.", "pages")):
                        continue
                    for key, value in list(vars(other).items()):
                        if value is raw:
                            setattr(other, key, wrapped)
                            self.undo.append((other, key, raw))

    def _wrap(self, name, func):
        timers = self

        def wrapped(*args, **kwargs):
            if timers.depth[name]:  # recursion (app_data._build through _load): count the outer call only
                return func(*args, **kwargs)
            timers.depth[name] += 1
            t0, c0 = time.perf_counter(), time.thread_time()
            try:
                return func(*args, **kwargs)
            finally:
                timers.wall[name] += time.perf_counter() - t0
                timers.cpu[name] += time.thread_time() - c0
                timers.calls[name] += 1
                timers.depth[name] -= 1

        wrapped.__wrapped__ = func
        return wrapped

    def reset(self) -> None:
        self.wall.clear()
        self.cpu.clear()
        self.calls.clear()

    def close(self) -> None:
        for owner, attr, raw in reversed(self.undo):
            setattr(owner, attr, raw)


def gc_cost(repeats: int = 5) -> dict:
    gc.collect()
    tracked = len(gc.get_objects())
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        gc.collect(2)
        samples.append((time.perf_counter() - t0) * 1e3)
    return {
        "tracked_objects": tracked,
        "collect2_ms_median": statistics.median(samples),
        "collect2_ms_min": min(samples),
    }


FLOOR_GC = r"""
import json, sys, time, gc, statistics
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(sys.argv[1]); at.run(); at.switch_page("floor_page.py"); at.run()
for r in [(2000, 2010), (2001, 2012), (1995, 2020)]:
    at.sidebar.slider[0].set_value(r).run()
gc.collect(); n = len(gc.get_objects()); s = []
for _ in range(5):
    t = time.perf_counter(); gc.collect(2); s.append((time.perf_counter() - t) * 1e3)
print(json.dumps({"tracked_objects": n, "collect2_ms_median": statistics.median(s), "collect2_ms_min": min(s)}))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reruns", type=int, default=10)
    parser.add_argument("--pages", default="")
    from bench import browser_common  # as rerun does: only when run, not on import

    browser_common.add_app_options(parser, app_root=False)
    parser.add_argument("--out", type=Path, default=RESULTS / "hotspots.json")
    args = parser.parse_args(argv)
    os.environ["AZKZ_STORE_DIR"] = "off"
    made = None
    if args.snapshot:
        made = browser_common.snapshot(args.snapshot)
        rerun._set_root(made)
    elif str(rerun.ROOT) not in sys.path:
        sys.path.insert(0, str(rerun.ROOT))
    try:
        return _run(args, made)
    finally:
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)


def _run(args, made) -> int:
    env = environment()
    pages = [p for p in rerun.PAGES if not args.pages or p in args.pages.split(",")]
    counter = rerun.LoadCounter()
    rerun.open_app("trade", counter=counter)  # imports, outside the measurement
    timers = Timers()
    timers.install()
    rows = {}
    try:
        for page in pages:
            from components import app_data

            app_data._views.clear()
            at, _s, _l = rerun.open_app(page, counter=counter)
            lo, hi = int(at.sidebar.slider[0].min), int(at.sidebar.slider[0].max)
            per_rerun = []
            for a, b in rerun.ranges(lo, hi, args.reruns, seed=rerun.SEED + 2):
                timers.reset()
                at.sidebar.slider[0].set_value((a, b))
                wall, cpu = rerun.timed_run(at)
                per_rerun.append(
                    {
                        "wall_ms": wall * 1e3,
                        "cpu_ms": cpu * 1e3,
                        "wall": {k: v * 1e3 for k, v in timers.wall.items()},
                        "cpu": {k: v * 1e3 for k, v in timers.cpu.items()},
                        "calls": dict(timers.calls),
                    }
                )
            names = sorted({k for r in per_rerun for k in r["wall"]})
            rows[page] = {
                "rerun_wall_ms_median": statistics.median(r["wall_ms"] for r in per_rerun),
                "rerun_cpu_ms_median": statistics.median(r["cpu_ms"] for r in per_rerun),
                "targets": {
                    n: {
                        "wall_ms_median": statistics.median(r["wall"].get(n, 0.0) for r in per_rerun),
                        "cpu_ms_median": statistics.median(r["cpu"].get(n, 0.0) for r in per_rerun),
                        "calls_per_rerun": statistics.median(r["calls"].get(n, 0) for r in per_rerun),
                    }
                    for n in names
                },
                "reruns": per_rerun,
            }
            print(f"  {page}: rerun CPU median {rows[page]['rerun_cpu_ms_median']:.1f} ms", flush=True)
    finally:
        timers.close()
        counter.close()
    from components import app_data

    gc_app = {**gc_cost(), "cached_views": app_data.cache_stats()["views"]}
    floor_gc = subprocess.run(
        [sys.executable, "-c", FLOOR_GC, str(rerun.FLOOR_FRAME)], capture_output=True, text=True, timeout=300
    )
    try:
        import json

        gc_floor = json.loads(floor_gc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        gc_floor = {"error": floor_gc.stderr[-500:]}
    short = {
        f"{m}:{(c + '.') if c else ''}{a}": f"{m.split('.')[-1]}.{(c + '.') if c else ''}{a}" for m, c, a in TARGETS
    }
    lines = ["Per new-range rerun, median ms of thread CPU (wall in brackets); calls per rerun", ""]
    head = ["page", "rerun CPU", "rerun wall"] + [short[f"{m}:{(c + '.') if c else ''}{a}"] for m, c, a in TARGETS]
    body = []
    for page, r in rows.items():
        cells = [page, f"{r['rerun_cpu_ms_median']:.1f}", f"{r['rerun_wall_ms_median']:.1f}"]
        for m, c, a in TARGETS:
            t = r["targets"].get(f"{m}:{(c + '.') if c else ''}{a}")
            cells.append(
                "–"
                if not t or not t["calls_per_rerun"]
                else f"{t['cpu_ms_median']:.1f} ({t['wall_ms_median']:.1f}) ×{t['calls_per_rerun']:g}"
            )
        body.append(cells)
    lines.append(table(head, body))
    lines += [
        "",
        f"gc.collect(2) in this process after the pages (app caches full, {gc_app['cached_views']} views): "
        f"{gc_app['collect2_ms_median']:.1f} ms median, {gc_app['tracked_objects']:,} tracked objects",
        f"gc.collect(2) in a process that ran only the floor page: "
        f"{gc_floor.get('collect2_ms_median', float('nan')):.1f} ms median, "
        f"{gc_floor.get('tracked_objects', 0):,} tracked objects",
    ]
    text = "\n".join(lines)
    env["app_root"] = str(rerun.APP_ROOT)
    env["app_commit"] = (made / ".bench-commit").read_text().strip() if made else None
    env["load_average_after"] = environment()["load_average"]
    write_results(
        args.out,
        {
            "benchmark": "hotspots",
            "env": env,
            "reruns": args.reruns,
            "pages": rows,
            "gc": {"app": gc_app, "floor": gc_floor},
            "summary": text,
        },
    )
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
