"""Load: N concurrent sessions on loopback, speaking Streamlit's own browser<->server protocol.

    python -m bench.load [--levels 1,10,30] [--think-ms 0] [--level-timeout 240]

Each session is what one browser tab does, without the browser: a WebSocket to
ws://127.0.0.1:PORT/_stcore/stream (subprotocol "streamlit", same-origin Origin header, as the frontend's
WebsocketConnection opens it), then protobuf BackMsgs / ForwardMsgs (streamlit.proto):

- page 1: `rerun_script{query_string: "from=A&to=B", page_name: <url path>, widget_states: {}, context_info}`,
  exactly what Chromium sends when it opens /<page>?from=A&to=B (recorded from a real page load);
- every next page: `rerun_script{page_script_hash: <hash from the Navigation message>}`, what the frontend
  sends when a sidebar link is clicked (the server restores the query string itself);
- after each send the session reads ForwardMsgs until `script_finished` (FINISHED_SUCCESSFULLY): that is
  one rerun, and its latency is send -> script_finished;
- then it GETs every CSV the page's download buttons point at (`download_button.url`, /media/...), while
  the media files of that run still exist, and checks that the session got *its own* range:
  the slider it was sent holds (A, B), the file name ends in _A-B.csv, and every `year` in the CSV lies in
  [A, B] (on the pages that filter by year). Any mismatch is a state-leak error.

Every session has a different range. All N start together and run their pages back to back (no think time
unless --think-ms); each rerun has a 60 s timeout and each level a hard time limit, so the loop is bounded.
The floor app (bench/floor_app.py) gets the same load: 7 reruns per session with the session's range
(page 1 as above, later ones as a reload with the same query string), plus its CSV.

Server RSS (VmRSS of the streamlit process, /proc/PID/status) is sampled every 100 ms during each level.
The levels run in order (ours N, floor N) for N in levels, each app on one server for all levels.
Results: bench/results/load.json; a summary on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import io
import re
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from bench.browser_common import (
    APP_SCRIPT,
    FLOOR_SCRIPT,
    PAGES,
    fmt,
    install_sigterm,
    machine,
    percentile,
    ratio,
    start_server,
    table,
    write_result,
)

GOAL_P95_RATIO = 1.5
RERUN_TIMEOUT_S = 60
HTTP_TIMEOUT_S = 30
MAX_LEVEL = 100  # a bound on the number of sessions one level may open
PAGES_NOT_FILTERED = {"sources"}  # "The year range does not filter this page" (its CSVs are whole tables)
YEAR_COLUMNS = ("year", "date")  # a date is checked by its leading YYYY


def year_range(i: int) -> tuple[int, int]:
    """A distinct range for session i (i < 104) that contains 2012-2016, so every page has rows to show
    and to download (the tables are sparse: diaspora counts exist for 2010/2012/2017, products for 2016)."""
    return 2012 - i % 13, 2016 + i // 13


@dataclass
class SessionResult:
    index: int
    years: tuple[int, int]
    latencies: list[float] = field(default_factory=list)  # seconds per rerun
    by_page: dict[str, list[float]] = field(default_factory=dict)
    year_checked: int = 0  # downloads whose year column was checked against the range
    downloads: int = 0
    download_seconds: list[float] = field(default_factory=list)
    bytes_received: int = 0
    errors: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    reruns_done: int = 0


def rerun_msg(
    *, query_string: str = "", page_name: str | None = None, page_script_hash: str | None = None, url: str = ""
):
    from streamlit.proto.BackMsg_pb2 import BackMsg

    msg = BackMsg()
    rerun = msg.rerun_script
    rerun.query_string = query_string
    rerun.widget_states.SetInParent()
    if page_script_hash:
        rerun.page_script_hash = page_script_hash
    elif page_name is not None:
        rerun.page_name = page_name
    info = rerun.context_info
    info.timezone = "UTC"
    info.timezone_offset = 0
    info.locale = "en-GB"
    info.url = url
    info.is_embedded = False
    info.color_scheme = "light"
    return msg.SerializeToString()


def _http_get(url: str) -> tuple[int, dict, bytes]:
    with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT_S) as response:
        return response.status, dict(response.headers), response.read()


_FILENAME = re.compile(r'filename\*?=(?:UTF-8\'\')?"?([^";]+)"?', re.IGNORECASE)


def check_csv(page: str, headers: dict, body: bytes, years: tuple[int, int]) -> tuple[list[str], bool]:
    """Problems with one downloaded CSV for a session whose range is `years` (empty: it is its own), and
    whether its year column was checked."""
    from urllib.parse import unquote

    problems = []
    start, end = years
    disposition = next((v for k, v in headers.items() if k.lower() == "content-disposition"), "")
    match = _FILENAME.search(disposition)
    name = unquote(match.group(1)) if match else ""
    if page in PAGES_NOT_FILTERED:  # whole tables, named for the whole dataset's years, never for another range
        if re.search(r"_\d{4}-\d{4}\.csv$", name) and not name.endswith(f"_{start}-{end}.csv"):
            whole = re.search(r"_(\d{4})-(\d{4})\.csv$", name)
            if not (int(whole.group(1)) <= start and int(whole.group(2)) >= end):
                problems.append(f"{page}: file name {name!r} names a range that is not the whole dataset's")
        return problems, False
    if not name.endswith(f"_{start}-{end}.csv"):
        problems.append(f"{page}: file name {name!r} is not for {start}-{end}")
    text = body.decode("utf-8-sig", errors="replace")
    reader = csv.DictReader(io.StringIO(text))
    columns = [c for c in (reader.fieldnames or []) if c in YEAR_COLUMNS]
    if not columns:
        return problems, False
    outside = set()
    for row in reader:
        for column in columns:
            value = (row.get(column) or "").strip()[:4]
            if len(value) == 4 and value.isdigit() and not start <= int(value) <= end:
                outside.add(int(value))
    if outside:
        problems.append(f"{page}: {name} has {columns[0]} {sorted(outside)[:5]} outside {start}-{end}")
    return problems, True


async def _resolve_deferred(ws, session_id: str, file_id: str, request_id: str, deadline: float) -> str | None:
    """BackMsg.backend_operation_request{deferred_file} -> the media URL from the matching response."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    msg = BackMsg()
    msg.backend_operation_request.request_id = request_id
    msg.backend_operation_request.session_id = session_id
    msg.backend_operation_request.deferred_file.file_id = file_id
    await ws.send(msg.SerializeToString())
    limit = min(deadline, time.monotonic() + RERUN_TIMEOUT_S)
    while (remaining := limit - time.monotonic()) > 0:
        reply = ForwardMsg()
        reply.ParseFromString(await asyncio.wait_for(ws.recv(), timeout=remaining))
        if reply.WhichOneof("type") == "backend_operation_response":
            response = reply.backend_operation_response
            if response.request_id == request_id:
                return response.deferred_file.url or None
    raise TimeoutError(f"no response to the deferred download {file_id}")


async def run_session(
    index: int,
    base: str,
    visits: list[tuple[str, str]],
    floor: bool,
    think_s: float,
    deadline: float,
    start_gate: asyncio.Event,
) -> SessionResult:
    """One session: connect, visit every (name, page_name) in order, check each page's downloads."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.asyncio.client import connect

    years = year_range(index)
    result = SessionResult(index, years)
    query = f"from={years[0]}&to={years[1]}"
    ws_url = base.replace("http://", "ws://") + "/_stcore/stream"
    page_hashes: dict[str, str] = {}
    session_id = ""
    await start_gate.wait()
    try:
        async with connect(
            ws_url,
            subprotocols=["streamlit"],
            origin=base,
            max_size=2**28,
            open_timeout=RERUN_TIMEOUT_S,
            close_timeout=5,
            ping_interval=None,
        ) as ws:
            for step, (name, page_name) in enumerate(visits):
                if time.monotonic() > deadline:
                    result.errors.append(f"level time limit reached before {name}")
                    break
                if step == 0 or floor:
                    data = rerun_msg(query_string=query, page_name=page_name, url=f"{base}/{page_name}")
                elif page_name in page_hashes:
                    data = rerun_msg(page_script_hash=page_hashes[page_name], url=f"{base}/{page_name}")
                else:
                    result.errors.append(f"{name}: no page hash for {page_name!r} in the Navigation message")
                    continue
                downloads: list[str] = []
                deferred: list[str] = []  # file ids of CSV buttons whose data is made on click
                slider: tuple[int, ...] | None = None
                exceptions = 0
                began = time.perf_counter()
                await ws.send(data)
                limit = min(deadline, time.monotonic() + RERUN_TIMEOUT_S)
                while True:
                    remaining = limit - time.monotonic()
                    if remaining <= 0:
                        raise TimeoutError(f"{name}: no script_finished within {RERUN_TIMEOUT_S} s / level limit")
                    raw = await asyncio.wait_for(ws.recv(), timeout=remaining)
                    result.bytes_received += len(raw)
                    msg = ForwardMsg()
                    msg.ParseFromString(raw)
                    kind = msg.WhichOneof("type")
                    if kind == "delta":
                        element = msg.delta.new_element if msg.delta.WhichOneof("type") == "new_element" else None
                        if element is None:
                            continue
                        which = element.WhichOneof("type")
                        if which == "download_button":
                            button = element.download_button
                            if button.url:
                                downloads.append(button.url)
                            elif button.deferred_file_id and "csv" in button.label.lower():
                                deferred.append(button.deferred_file_id)
                        elif which == "slider" and element.slider.id.endswith("-years"):
                            slider = tuple(int(v) for v in element.slider.value)
                        elif which == "exception":
                            exceptions += 1
                    elif kind == "new_session":
                        session_id = msg.new_session.initialize.session_id or session_id
                    elif kind == "navigation":
                        for app_page in msg.navigation.app_pages:
                            page_hashes[app_page.url_pathname] = app_page.page_script_hash
                    elif kind == "script_finished":
                        status = msg.script_finished
                        if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                            continue  # a rerun the app asked for; the visit ends with the next finish
                        if status != ForwardMsg.FINISHED_SUCCESSFULLY:
                            result.errors.append(f"{name}: script finished with status {status}")
                        break
                result.latencies.append(time.perf_counter() - began)
                result.by_page.setdefault(name, []).append(result.latencies[-1])
                result.reruns_done += 1
                if exceptions:
                    result.errors.append(f"{name}: {exceptions} exception element(s)")
                if not floor and slider is not None and slider != years:
                    result.leaks.append(f"{name}: slider holds {slider}, session asked for {years}")
                for file_id in deferred:  # what the frontend does on click: ask the server to make the file
                    url = await _resolve_deferred(ws, session_id, file_id, f"{index}-{step}-{file_id}", deadline)
                    if url:
                        downloads.append(url)
                    else:
                        result.errors.append(f"{name}: deferred download {file_id} gave no URL")
                csv_urls = [u for u in downloads if u.split("?")[0].endswith(".csv")]
                if not csv_urls:
                    result.errors.append(f"{name}: no CSV download button")
                for url in csv_urls:
                    t = time.perf_counter()
                    try:
                        status, headers, body = await asyncio.to_thread(_http_get, base + url)
                    except (urllib.error.URLError, OSError) as error:
                        result.errors.append(f"{name}: GET {url}: {error}")
                        continue
                    result.download_seconds.append(time.perf_counter() - t)
                    result.downloads += 1
                    if status != 200:
                        result.errors.append(f"{name}: GET {url}: HTTP {status}")
                        continue
                    problems, checked = check_csv("floor" if floor else name, headers, body, years)
                    result.leaks += problems
                    result.year_checked += checked
                if think_s:
                    await asyncio.sleep(think_s)
    except Exception as error:  # every failure of a session is an error of the level
        result.errors.append(f"{type(error).__name__}: {str(error)[:300]}")
    return result


def _by_page(sessions: list[SessionResult]) -> dict[str, list[float]]:
    merged: dict[str, list[float]] = {}
    for session in sessions:
        for name, values in session.by_page.items():
            merged.setdefault(name, []).extend(values)
    return merged


async def run_level(base: str, pid: int, n: int, floor: bool, think_s: float, limit_s: float) -> dict:
    from bench.browser_common import rss_kb

    n = min(n, MAX_LEVEL)
    visits = [("floor", "")] * len(PAGES) if floor else [(name, page_name) for name, _, page_name in PAGES]
    gate = asyncio.Event()
    deadline = time.monotonic() + limit_s
    rss_before = rss_kb(pid)
    samples: list[int] = []
    done = asyncio.Event()

    async def sample():
        while not done.is_set():
            value = rss_kb(pid)
            if value:
                samples.append(value)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), timeout=0.1)

    sampler = asyncio.create_task(sample())
    tasks = [asyncio.create_task(run_session(i, base, visits, floor, think_s, deadline, gate)) for i in range(n)]
    began = time.perf_counter()
    gate.set()
    sessions: list[SessionResult] = await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - began
    done.set()
    await sampler
    latencies = [x for s in sessions for x in s.latencies]
    errors = [f"session {s.index} {s.years}: {e}" for s in sessions for e in s.errors]
    leaks = [f"session {s.index} {s.years}: {e}" for s in sessions for e in s.leaks]
    expected = n * len(visits)
    return {
        "sessions": n,
        "reruns": len(latencies),
        "reruns_expected": expected,
        "p50_s": percentile(latencies, 50),
        "p95_s": percentile(latencies, 95),
        "max_s": max(latencies, default=None),
        "errors": len(errors) + len(leaks) + (expected - len(latencies) if not errors else 0),
        "state_leaks": len(leaks),
        "downloads": sum(s.downloads for s in sessions),
        "downloads_year_checked": sum(s.year_checked for s in sessions),
        "download_p95_s": percentile([x for s in sessions for x in s.download_seconds], 95),
        "ws_bytes_received": sum(s.bytes_received for s in sessions),
        "rss_before_kb": rss_before,
        "rss_peak_kb": max(samples, default=None),
        "rss_after_kb": rss_kb(pid),
        "elapsed_s": round(elapsed, 2),
        "reruns_per_s": round(len(latencies) / elapsed, 2) if elapsed else None,
        "error_examples": (errors + leaks)[:10],
        "by_page": {
            name: {"p50_s": percentile(values, 50), "p95_s": percentile(values, 95), "n": len(values)}
            for name, values in _by_page(sessions).items()
        },
    }


async def _run(levels: list[int], think_s: float, limit_s: float) -> dict:
    app = await asyncio.to_thread(start_server, APP_SCRIPT, log_name="load-app")
    floor = await asyncio.to_thread(start_server, FLOOR_SCRIPT, log_name="load-floor")
    results: dict[str, list] = {"ours": [], "floor": []}
    try:
        # One untimed session each: modules imported, caches filled, as on a server that has been up a while.
        for server, is_floor in ((app, False), (floor, True)):
            await run_level(server.base, server.pid, 1, is_floor, 0, limit_s)
        for n in levels:
            for key, server, is_floor in (("ours", app, False), ("floor", floor, True)):
                level = await run_level(server.base, server.pid, n, is_floor, think_s, limit_s)
                results[key].append(level)
                peak = level["rss_peak_kb"]
                print(
                    f"  {key:5} N={n:<3} p50 {fmt(level['p50_s'], ' s', 3)}  p95 {fmt(level['p95_s'], ' s', 3)}"
                    f"  errors {level['errors']}  RSS peak {fmt(peak and round(peak / 1024), ' MB')}"
                    f"  ({level['elapsed_s']} s)",
                    flush=True,
                )
                for example in level["error_examples"][:3]:
                    print(f"      ! {example}", flush=True)
    finally:
        app.stop()
        floor.stop()
    return results


def run(levels: list[int] | None = None, think_ms: int = 0, level_timeout_s: float = 240) -> dict:
    levels = levels or [1, 10, 30]
    t0 = time.monotonic()
    results = asyncio.run(_run(levels, think_ms / 1000, level_timeout_s))
    rows = []
    for ours, floor in zip(results["ours"], results["floor"], strict=True):
        rows.append(
            {
                "sessions": ours["sessions"],
                "p95_ratio": ratio(ours["p95_s"], floor["p95_s"]),
                "p50_ratio": ratio(ours["p50_s"], floor["p50_s"]),
            }
        )
    at30 = next((r for r in rows if r["sessions"] == 30), None)
    errors = sum(level["errors"] for level in results["ours"])
    report = {
        "benchmark": "load",
        "machine": machine(),
        "settings": {
            "levels": levels,
            "think_ms": think_ms,
            "level_timeout_s": level_timeout_s,
            "rerun_timeout_s": RERUN_TIMEOUT_S,
            "reruns_per_session": len(PAGES),
            "client": "Streamlit protocol (protobuf over WebSocket), asyncio + websockets",
            "goal": f"0 errors, no state leaks, p95 at 30 sessions <= {GOAL_P95_RATIO}x the floor's",
        },
        "ours": results["ours"],
        "floor": results["floor"],
        "ratios": rows,
        "goal_met": {
            "no_errors": errors == 0,
            "p95_at_30": None if at30 is None or at30["p95_ratio"] is None else at30["p95_ratio"] <= GOAL_P95_RATIO,
        },
        "elapsed_s": round(time.monotonic() - t0, 1),
    }
    report["results_file"] = str(write_result("load", report))
    return report


def summary(report: dict) -> str:
    settings = report["settings"]
    title = (
        f"## Load (protocol client; {settings['reruns_per_session']} reruns + CSV downloads per session; "
        f"think {settings['think_ms']} ms; goal: 0 errors, p95@30 ≤ {GOAL_P95_RATIO}× floor)"
    )
    lines = [title, ""]

    def mb(kb):
        return None if kb is None else round(kb / 1024)

    rows = []
    for ours, floor, r in zip(report["ours"], report["floor"], report["ratios"], strict=True):
        rows.append(
            [
                ours["sessions"],
                fmt(ours["p50_s"], " s", 3),
                fmt(ours["p95_s"], " s", 3),
                f"{ours['errors']} ({ours['state_leaks']} leaks)",
                fmt(mb(ours["rss_peak_kb"]), " MB"),
                fmt(floor["p50_s"], " s", 3),
                fmt(floor["p95_s"], " s", 3),
                floor["errors"],
                fmt(mb(floor["rss_peak_kb"]), " MB"),
                fmt(r["p95_ratio"], "×"),
            ]
        )
    lines.append(
        table(
            [
                "N",
                "ours p50",
                "ours p95",
                "ours errors",
                "ours RSS peak",
                "floor p50",
                "floor p95",
                "floor errors",
                "floor RSS peak",
                "p95 ratio",
            ],
            rows,
        )
    )
    goal = report["goal_met"]
    p95_goal = "—" if goal["p95_at_30"] is None else ("met" if goal["p95_at_30"] else "MISSED")
    lines += [
        "",
        f"goal: no errors {'met' if goal['no_errors'] else 'MISSED'}; p95 at 30 {p95_goal}",
        f"({report['elapsed_s']} s; {report['results_file']})",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", default="1,10,30", help="comma-separated session counts")
    parser.add_argument("--think-ms", type=int, default=0, help="pause between a session's pages")
    parser.add_argument("--level-timeout", type=float, default=240, help="hard time limit per level (s)")
    args = parser.parse_args(argv)
    install_sigterm()
    report = run([int(x) for x in args.levels.split(",") if x], args.think_ms, args.level_timeout)
    print(summary(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
