"""Shared helpers of the benchmarks: timing, peak memory (RSS and tracemalloc), results, tables."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"
MB = 1024 * 1024

try:
    _LIBC = ctypes.CDLL("libc.so.6")
except OSError:  # not glibc: memory is then not handed back to the OS between steps
    _LIBC = None


def settle() -> None:
    """Free what the previous step left, so the next step's peak starts from a clean heap."""
    gc.collect()
    try:
        import pyarrow as pa

        pa.default_memory_pool().release_unused()
    except ImportError:
        pass
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _status_kb(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak_rss() -> bool:
    """Linux: writing 5 to clear_refs resets VmHWM (the peak RSS) to the current RSS."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_rss_mb(fn: Callable[[], Any]) -> float | None:
    """Peak resident memory above the starting RSS while fn runs (MB): counts every allocator
    (Python, numpy, Arrow); None where the OS cannot reset the peak."""
    settle()
    if not _reset_peak_rss():
        fn()
        return None
    before = _status_kb("VmRSS")
    fn()
    peak = _status_kb("VmHWM")
    return None if before is None or peak is None else max(0, peak - before) / 1024


def peak_traced_mb(fn: Callable[[], Any]) -> float:
    """Peak of memory allocated through Python's allocators while fn runs (MB): Python objects and numpy
    buffers; Arrow's own memory pool is invisible to tracemalloc (see peak_rss_mb)."""
    settle()
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / MB


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """(wall seconds, CPU seconds of this process, result). CPU time is steadier on a busy machine; it
    counts every thread (Arrow parses on several)."""
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - t0, time.process_time() - c0, out


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]


def environment() -> dict[str, Any]:
    import numpy
    import pandas

    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10, check=False
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain", "--", "app.py", "frame", "pages", "components", "data", ".streamlit"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            ).stdout.strip()
        )
    except OSError:
        rev, dirty = "", False
    versions = {"python": platform.python_version(), "pandas": pandas.__version__, "numpy": numpy.__version__}
    for mod in ("pyarrow", "pandera", "streamlit"):
        with contextlib.suppress(ImportError):
            versions[mod] = __import__(mod).__version__
    return {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "git": rev + ("+dirty app" if dirty else ""),
        "cpus": os.cpu_count(),
        "load_average": load_average(),
        "platform": platform.platform(),
        "argv": sys.argv[1:],
        **versions,
    }


def load_average() -> list[float] | None:
    """The machine's 1/5/15-minute load: above the CPU count, other work competes for the cores."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def write_results(path: Path, payload: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=1, default=str) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def table(headers: list[str], rows: list[list[Any]]) -> str:
    """A plain-text table (also valid Markdown)."""
    cells = [[str(h) for h in headers]] + [["" if v is None else str(v) for v in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    fmt = "| " + " | ".join(f"{{:<{w}}}" for w in widths) + " |"
    lines = [fmt.format(*cells[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += [fmt.format(*r) for r in cells[1:]]
    return "\n".join(lines)
