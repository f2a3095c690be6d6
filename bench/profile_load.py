"""Where the server's time goes under load: py-spy on the app's server during bench.load's 30-session level.

    python -m bench.profile_load [--sessions 30] [--duration 60] [--rate 100] [--snapshot [REV]]

Runs bench/load.py unchanged (its servers, its sessions, its checks) at one level (default N = 30), and while
*our* server serves that level, two py-spy samplers (`pip install py-spy`) record it from outside the process:

- `bench/results/profiles/load.svg`: flame graph of every active thread (`py-spy record --function`);
- `bench/results/profiles/load_gil.txt`: collapsed stacks of the thread holding the GIL (`--gil`): with
  zero think time the server is GIL-bound from N of about 3, so this is where its capacity goes.

Each sampler stops after --duration seconds or when the level ends, whichever is first. From the GIL
stacks the top functions by own ("self") and cumulative time are computed and split into the app's code
(components/, pages/, frame/), Streamlit's, and the rest (pandas, plotly, ...). The load figures of this
run go to bench/results/load_profiled.json (sampling slows the server a little, so they are not the load
benchmark's; bench/results/load.json is left alone). Summary: bench/results/profile_load.json.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench import browser_common, load
from bench.browser_common import RESULTS, install_sigterm, machine, table, write_result

PROFILES = RESULTS / "profiles"
_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>.*?)(?::(?P<line>\d+))?\)$")


def _pyspy() -> str:
    found = shutil.which("py-spy")
    if not found:
        raise SystemExit("py-spy not found: pip install py-spy")
    return found


def start_samplers(pid: int, duration: int, rate: int) -> list[subprocess.Popen]:
    PROFILES.mkdir(parents=True, exist_ok=True)
    base = [_pyspy(), "record", "--pid", str(pid), "--duration", str(duration), "--rate", str(rate), "--function"]
    logs = browser_common.LOGS
    logs.mkdir(parents=True, exist_ok=True)
    out = []
    for extra, target, log in (
        (["--format", "flamegraph"], PROFILES / "load.svg", "py-spy-svg.log"),
        (["--format", "raw", "--gil"], PROFILES / "load_gil.txt", "py-spy-gil.log"),
    ):
        with (logs / log).open("ab") as fh:
            out.append(
                subprocess.Popen(
                    [*base, *extra, "-o", str(target)], stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
                )
            )
    return out


def stop_samplers(samplers: list[subprocess.Popen]) -> list[int | None]:
    for proc in samplers:  # SIGINT: py-spy stops sampling and writes what it has
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
    codes = []
    for proc in samplers:
        try:
            codes.append(proc.wait(timeout=60))
        except subprocess.TimeoutExpired:
            proc.kill()
            codes.append(proc.wait(timeout=15))
    return codes


def _relative(file: str, app_root: Path) -> str:
    """The frame's file as py-spy shows it (relative to its sys.path entry), app files named from the app root."""
    path = file.replace("\\", "/")
    root = str(app_root).rstrip("/") + "/"
    if path.startswith(root):
        return path[len(root) :]
    m = re.search(r"site-packages/(.*)$", path) or re.search(r"/lib/python3\.\d+/(.*)$", path)
    if m:
        return m.group(1)
    if "/" not in path:  # a page or the frame script: Streamlit puts its folder on sys.path
        for folder in ("pages", "frame"):
            if (app_root / folder / path).is_file():
                return f"{folder}/{path}"
    return path


def where(file: str, app_root: Path) -> str:
    """Whose code a frame is: app (components/, pages/, frame/, app.py), streamlit, python, or the library."""
    rel = _relative(file, app_root)
    if rel.startswith(("components/", "pages/", "frame/")) or rel == "app.py":
        return "app"
    if rel.startswith("/"):
        return "other"
    first = rel.split("/")[0].removesuffix(".py")
    if first in sys.stdlib_module_names or first.startswith("_"):
        return "python"
    return first


def short(file: str, app_root: Path) -> str:
    return _relative(file, app_root)


def analyse(raw: Path, app_root: Path, top: int = 25) -> dict:
    """Self and cumulative sample counts per function from py-spy's collapsed stacks."""
    own: collections.Counter = collections.Counter()
    cumulative: collections.Counter = collections.Counter()
    by_owner_self: collections.Counter = collections.Counter()
    by_owner_cum: collections.Counter = collections.Counter()
    owners: dict = {}
    total = 0
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = []
        for part in stack.split(";"):
            m = _FRAME.match(part.strip())
            if not m or not m.group("file"):
                continue  # a thread name ("process 123:...", "thread (0x...)") or an unparsable frame
            frames.append((m.group("func"), short(m.group("file"), app_root), where(m.group("file"), app_root)))
        if not frames:
            continue
        for f in frames:
            owners[f[:2]] = f[2]
        leaf = frames[-1]
        own[leaf[:2]] += n
        by_owner_self[leaf[2]] += n
        for key in {f[:2] for f in frames}:
            cumulative[key] += n
        for owner in {f[2] for f in frames}:
            by_owner_cum[owner] += n

    def rows(counter, only=None):
        out = []
        for (func, file), n in counter.most_common():
            owner = owners.get((func, file), "other")
            if only and owner != only:
                continue
            out.append(
                {
                    "function": f"{file}:{func}",
                    "owner": owner,
                    "samples": n,
                    "share": round(n / total, 4) if total else None,
                }
            )
            if len(out) >= top:
                break
        return out

    return {
        "samples": total,
        "self_by_owner": {k: {"samples": v, "share": round(v / total, 4)} for k, v in by_owner_self.most_common()},
        "cumulative_by_owner": {k: {"samples": v, "share": round(v / total, 4)} for k, v in by_owner_cum.most_common()},
        "top_self": rows(own),
        "top_cumulative": rows(cumulative),
        "top_self_app": rows(own, "app"),
        "top_cumulative_app": rows(cumulative, "app"),
        "top_self_streamlit": rows(own, "streamlit"),
        "top_cumulative_streamlit": rows(cumulative, "streamlit"),
    }


def summary(report: dict) -> str:
    a = report["analysis"]
    lines = [
        f"## py-spy on our server, N = {report['sessions']} sessions (GIL holder, {a['samples']} samples"
        f" at {report['rate']} Hz, {report['sampled_s']:.0f} s)",
        "",
    ]
    lines.append(
        table(
            ["owner", "self share", "cumulative share"],
            [
                [k, f"{v['share']:.1%}", f"{a['cumulative_by_owner'].get(k, {}).get('share', 0):.1%}"]
                for k, v in a["self_by_owner"].items()
            ],
        )
    )
    for key, title in (
        ("top_self", "top by self time"),
        ("top_cumulative", "top by cumulative time"),
        ("top_self_app", "app code, self"),
        ("top_cumulative_app", "app code, cumulative"),
        ("top_self_streamlit", "Streamlit, self"),
        ("top_cumulative_streamlit", "Streamlit, cumulative"),
    ):
        lines += ["", f"### {title}", ""]
        lines.append(
            table(
                ["function", "owner", "share"], [[r["function"], r["owner"], f"{r['share']:.1%}"] for r in a[key][:15]]
            )
        )
    lv = report["level"]
    lines += [
        "",
        f"load during sampling: p50 {lv['p50_s']} s, p95 {lv['p95_s']} s, {lv['reruns_per_s']} reruns/s, "
        f"errors {lv['errors']} (bench/results/load_profiled.json)",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--duration", type=int, default=60, help="py-spy --duration (s)")
    parser.add_argument("--rate", type=int, default=100, help="py-spy samples per second")
    parser.add_argument("--level-timeout", type=float, default=180)
    browser_common.add_app_options(parser, app_root=False)
    args = parser.parse_args(argv)
    install_sigterm()
    made = None
    if args.snapshot:
        made = browser_common.snapshot(args.snapshot)
        browser_common.set_app_root(made)
    state: dict = {}
    original_level = load.run_level
    original_write = load.write_result

    async def run_level(base, pid, n, floor, think_s, limit_s):
        if n != args.sessions or floor or "level" in state:
            return await original_level(base, pid, n, floor, think_s, limit_s)
        samplers = start_samplers(pid, args.duration, args.rate)
        await asyncio.sleep(1.0)  # py-spy attached before the sessions start
        began = time.monotonic()
        try:
            result = await original_level(base, pid, n, floor, think_s, limit_s)
        finally:
            state["sampled_s"] = min(time.monotonic() - began, args.duration)
            state["exit_codes"] = stop_samplers(samplers)
        state["level"] = result
        state["pid"] = pid
        return result

    load.run_level = run_level
    load.write_result = lambda name, payload: original_write(f"{name}_profiled", payload)
    try:
        load.run([args.sessions], 0, args.level_timeout)
        analysis = analyse(PROFILES / "load_gil.txt", Path(made or browser_common.app_root()))
        measured = machine()
    finally:
        load.run_level, load.write_result = original_level, original_write
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)
    lv = state["level"]
    report = {
        "benchmark": "profile_load",
        "machine": measured,
        "sessions": args.sessions,
        "rate": args.rate,
        "duration_s": args.duration,
        "sampled_s": state["sampled_s"],
        "py_spy_exit_codes": state["exit_codes"],
        "files": {"flamegraph": str(PROFILES / "load.svg"), "gil_stacks": str(PROFILES / "load_gil.txt")},
        "level": {
            k: lv[k]
            for k in ("sessions", "reruns", "p50_s", "p95_s", "errors", "reruns_per_s", "elapsed_s", "rss_peak_kb")
        },
        "analysis": analysis,
    }
    report["summary"] = summary(report)
    write_result("profile_load", report)
    print(report["summary"])
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
