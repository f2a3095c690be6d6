"""Cluster load: bench/load.py's sessions through nginx (scripts/cluster.sh), 1 vs 2 app processes, and a
replica that crashes and restarts under load.

    python -m bench.cluster [--levels 30,60] [--replicas 1,2] [--restart-sessions 30] [--no-restart]
                            [--repeats 1] [--level-timeout 420] [--quiet-wait 180] [--live]

What one session does: what a browser tab does, over Streamlit's own protocol (bench/load.py, which has the
details): GET /?from=A&to=B first (nginx's response sets the routing cookie, as for a browser), then the
WebSocket /_stcore/stream with that cookie, one rerun per page of bench.browser_common.PAGES (7), each
page's CSV downloads fetched with the same cookie, and the state-leak checks of bench/load.py (the slider
the server sent holds the session's own range A-B, every CSV's name ends in _A-B.csv and its years lie in
A..B). Every session has a different range; all N start together, no think time.

Added for the cluster: every HTTP answer must come from the replica that holds the session's WebSocket
(nginx's `X-Replica` header; a download from another replica would 404). When the WebSocket drops (the
restart scenario), the session does what the frontend does: it polls /_stcore/health with its cookie until a
replica answers (nginx moves the cookie to a live replica), opens a new WebSocket, and reruns the page it was
on with its range (the redraw), then goes on with its pages.

Runs: one cluster per replica count (cluster.sh start --replicas R, each under artifacts/bench/cluster-run/
replicas-R), all started first, each warmed by 2R untimed sessions. Then for each repeat and each N in
--levels, N concurrent sessions on each cluster in ABBA order (repeat 0: 1 then 2 replicas, repeat 1: 2 then
1, ...), after waiting (--quiet-wait) for the machine to be idle: others' tests share these 2 cores, and the
CPU they take during a level is recorded (other_cpu_share). Throughput = page runs (reruns) per second of the
level's wall time; p50/p95 page time = rerun send -> script_finished; errors, leaks, misrouted downloads.
Restart (on the 2-replica cluster, last): --restart-sessions sessions visit the pages twice; when a quarter
of the page runs are done replica 1 is killed (SIGKILL: a crash), 2 s later it is started again (cluster.sh
replica 1 start, back when healthy). Counted: sessions whose WebSocket was on replica 1, how many
reconnected and redrew, how many finished all their pages; then 6 new sessions show where new visitors go.

The app measured is a copy of this working tree made when the run starts (edits by others during the run do
not change it; `machine.commit/dirty` say what it was). Server logs: artifacts/bench/cluster-run/*/logs.
Results: bench/results/cluster.json; a summary on stdout (bench/CLUSTER.md explains it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench.browser_common import (
    LOGS,
    PAGES,
    RESULTS,
    ROOT,
    fmt,
    install_sigterm,
    machine,
    percentile,
    table,
    write_result,
)
from bench.load import HTTP_TIMEOUT_S, RERUN_TIMEOUT_S, check_csv, rerun_msg, year_range

COOKIE = "stroute"  # deploy/render.py COOKIE
GOAL_SPEEDUP = 1.6
RECONNECT_TIMEOUT_S = 60
RUN_DIR = LOGS / "cluster-run"
COPY_ITEMS = (
    "app.py",
    "frame",
    "pages",
    "components",
    "data",
    "locales",
    ".streamlit",
    "requirements.txt",
    "scripts",
    "deploy",
)


# ------------------------------------------------------------------------------------------- the cluster


class Cluster:
    """scripts/cluster.sh of a copy of the app (or of this checkout), on free loopback ports."""

    def __init__(self, app_root: Path, run_dir: Path = RUN_DIR):
        self.app_root = app_root
        self.run_dir = run_dir
        self.port = 0
        self.replicas = 0

    def _sh(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        env = {**os.environ, "CLUSTER_RUN_DIR": str(self.run_dir)}
        env.pop("AZKZ_DATA_DIR", None)
        result = subprocess.run(
            ["bash", str(self.app_root / "scripts" / "cluster.sh"), *args],
            cwd=self.app_root,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        if result.returncode != 0:
            raise RuntimeError(f"cluster.sh {' '.join(args)}: {result.returncode}\n{result.stdout}\n{result.stderr}")
        return result

    def start(self, replicas: int) -> None:
        self.port = free_port_run(replicas + 1)
        self.replicas = replicas
        self._sh("start", "--replicas", str(replicas), "--port", str(self.port))

    def stop(self) -> None:
        self._sh("stop", timeout=120)

    def replica(self, k: int, action: str) -> None:
        self._sh("replica", str(k), action, timeout=300)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def pids(self) -> dict[str, int]:
        out = {}
        for path in (self.run_dir / "pids").glob("*.pid"):
            text = path.read_text().strip()
            if text.isdigit():
                out[path.stem] = int(text)
        return out


def free_port_run(count: int) -> int:
    for _ in range(200):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            base = sock.getsockname()[1]
        if base + count > 65000:
            continue
        free = True
        for port in range(base, base + count):
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    free = False
                    break
        if free:
            return base
    raise RuntimeError("no free run of ports")


def copy_app(target: Path) -> Path:
    """The app as it is now (working tree), so that edits made during the run do not change what is measured."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "staging")
    for item in COPY_ITEMS:
        source = ROOT / item
        if source.is_dir():
            shutil.copytree(source, target / item, ignore=ignore)
        elif source.is_file():
            shutil.copy2(source, target / item)
    return target


def _group_cpu_s(pgid: int) -> float:
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _cpu_busy_s() -> float:
    """CPU time the whole machine has spent busy (every process, every core), from /proc/stat."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


async def wait_quiet(max_wait_s: float, busy_below: float = 0.25, sample_s: float = 3.0) -> dict:
    """Wait (at most max_wait_s) until the machine is idle: others' tests share these 2 cores. Our cluster is
    idle between levels, so what is busy then is someone else."""
    began = time.monotonic()
    cores = os.cpu_count() or 1
    while True:
        before = _cpu_busy_s()
        await asyncio.sleep(sample_s)
        busy = (_cpu_busy_s() - before) / (sample_s * cores)
        waited = time.monotonic() - began
        if busy < busy_below or waited >= max_wait_s:
            return {"waited_s": round(waited, 1), "busy_share_before": round(busy, 3)}
        await asyncio.sleep(5)


def _rss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


# --------------------------------------------------------------------------------------------- a session


@dataclass
class Session:
    index: int
    years: tuple[int, int]
    cookie: str = ""
    replica: str | None = None  # where its WebSocket is now
    replicas_seen: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    reruns_done: int = 0
    downloads: int = 0
    errors: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    routing_errors: list[str] = field(default_factory=list)
    disconnects: int = 0
    reconnects: int = 0
    redraws: int = 0
    redraw_s: list[float] = field(default_factory=list)
    failed_during_crash: list[str] = field(default_factory=list)
    completed: bool = False


def _http(url: str, cookie: str):
    """(status, headers (an email.message.Message: every Set-Cookie kept), body)."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


def _take_cookie(session: Session, headers) -> None:
    """Keep the routing cookie of a response (there may be other Set-Cookie headers, e.g. Streamlit's XSRF)."""
    for value in headers.get_all("Set-Cookie") or []:
        if value.startswith(COOKIE + "="):
            session.cookie = value.split(";", 1)[0]


async def _reconnect_wait(base: str, session: Session) -> None:
    """What the frontend does when its WebSocket drops: poll /_stcore/health until it answers."""
    deadline = time.monotonic() + RECONNECT_TIMEOUT_S
    while True:
        try:
            status, headers, _ = await asyncio.to_thread(_http, base + "/_stcore/health", session.cookie)
            _take_cookie(session, headers)
            if status == 200:
                return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise TimeoutError("no replica answered /_stcore/health")
        await asyncio.sleep(0.25)


async def run_session(
    session: Session,
    base: str,
    visits: list[tuple[str, str]],
    deadline: float,
    gate: asyncio.Event,
    progress: dict,
    crash: dict,
) -> Session:
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    years = session.years
    query = f"from={years[0]}&to={years[1]}"
    ws_url = base.replace("http://", "ws://") + "/_stcore/stream"
    await gate.wait()
    ws = None
    try:
        status, headers, _ = await asyncio.to_thread(_http, f"{base}/?{query}", "")
        _take_cookie(session, headers)
        if status != 200 or not session.cookie:
            session.errors.append(f"GET /: HTTP {status}, cookie {session.cookie!r}")
            return session
        page_hashes: dict[str, str] = {}
        step = 0
        redraw_pending = False
        while step < len(visits):
            name, page_name = visits[step]
            if time.monotonic() > deadline:
                session.errors.append(f"level time limit reached before {name}")
                break
            if ws is None:
                ws = await connect(
                    ws_url,
                    subprotocols=["streamlit"],
                    origin=base,
                    max_size=2**28,
                    open_timeout=RERUN_TIMEOUT_S,
                    close_timeout=5,
                    ping_interval=None,
                    additional_headers={"Cookie": session.cookie},
                )
                _take_cookie(session, ws.response.headers)
                session.replica = ws.response.headers.get("X-Replica")
                session.replicas_seen.append(session.replica or "?")
                fresh = True
            else:
                fresh = False
            if fresh or step == 0:  # a new connection starts like a page load (a reload with the range)
                data = rerun_msg(query_string=query, page_name=page_name, url=f"{base}/{page_name}")
            elif page_name in page_hashes:
                data = rerun_msg(page_script_hash=page_hashes[page_name], url=f"{base}/{page_name}")
            else:
                session.errors.append(f"{name}: no page hash for {page_name!r}")
                step += 1
                continue
            downloads: list[str] = []
            slider = None
            exceptions = 0
            began = time.perf_counter()
            try:
                await ws.send(data)
                limit = min(deadline, time.monotonic() + RERUN_TIMEOUT_S)
                while True:
                    remaining = limit - time.monotonic()
                    if remaining <= 0:
                        raise TimeoutError(f"{name}: no script_finished within {RERUN_TIMEOUT_S} s")
                    raw = await asyncio.wait_for(ws.recv(), timeout=remaining)
                    msg = ForwardMsg()
                    msg.ParseFromString(raw)
                    kind = msg.WhichOneof("type")
                    if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                        element = msg.delta.new_element
                        which = element.WhichOneof("type")
                        if which == "download_button" and element.download_button.url:
                            downloads.append(element.download_button.url)
                        elif which == "slider" and element.slider.id.endswith("-years"):
                            slider = tuple(int(v) for v in element.slider.value)
                        elif which == "exception":
                            exceptions += 1
                    elif kind == "navigation":
                        for app_page in msg.navigation.app_pages:
                            page_hashes[app_page.url_pathname] = app_page.page_script_hash
                    elif kind == "script_finished":
                        if msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                            continue
                        if msg.script_finished != ForwardMsg.FINISHED_SUCCESSFULLY:
                            session.errors.append(f"{name}: script finished with status {msg.script_finished}")
                        break
            except TimeoutError:
                raise  # (an OSError too, but a slow page, not a lost connection)
            except (ConnectionClosed, OSError) as error:
                # The replica went away mid-page: reconnect as the frontend does and redraw this page.
                session.disconnects += 1
                crash.setdefault("disconnected_at", time.monotonic())
                if not crash.get("expected"):
                    session.errors.append(f"{name}: connection lost ({type(error).__name__})")
                    break
                with_ws, ws = ws, None
                await with_ws.close()
                await _reconnect_wait(base, session)
                session.reconnects += 1
                redraw_pending = True
                redraw_from = time.monotonic()
                continue
            elapsed = time.perf_counter() - began
            session.latencies.append(elapsed)
            session.reruns_done += 1
            progress["reruns"] = progress.get("reruns", 0) + 1
            if redraw_pending:
                session.redraws += 1
                session.redraw_s.append(time.monotonic() - redraw_from)
                redraw_pending = False
            if exceptions:
                session.errors.append(f"{name}: {exceptions} exception element(s)")
            if slider is not None and slider != years:
                session.leaks.append(f"{name}: slider holds {slider}, session asked for {years}")
            csv_urls = [u for u in downloads if u.split("?")[0].endswith(".csv")]
            if not csv_urls:
                session.errors.append(f"{name}: no CSV download button")
            for url in csv_urls:
                try:
                    code, headers, body = await asyncio.to_thread(_http, base + url, session.cookie)
                except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
                    # (a replica killed in the middle of an answer: IncompleteRead, an HTTPException)
                    problem = f"{name}: GET {url}: {type(error).__name__} {error}"
                    in_crash = crash.get("expected") and crash.get("killed_at") and not crash.get("settled")
                    (session.failed_during_crash if in_crash else session.errors).append(problem)
                    continue
                served_by = headers.get("X-Replica")
                if code != 200:
                    problem = f"{name}: GET {url}: HTTP {code} from {served_by}"
                    in_crash = crash.get("expected") and crash.get("killed_at") and not crash.get("settled")
                    (session.failed_during_crash if in_crash else session.errors).append(problem)
                    continue
                session.downloads += 1
                if served_by != session.replica:
                    session.routing_errors.append(f"{name}: download from {served_by}, session on {session.replica}")
                problems, _ = check_csv(name, headers, body, years)
                session.leaks += problems
            step += 1
        session.completed = step >= len(visits) and not session.errors
    except Exception as error:  # every failure of a session is an error of the level, not of the run
        session.errors.append(f"{type(error).__name__}: {str(error)[:300]}")
    finally:
        if ws is not None:
            await ws.close()
    return session


# ---------------------------------------------------------------------------------------------- the runs


def _visits(rounds: int = 1) -> list[tuple[str, str]]:
    return [(name, page_name) for _ in range(rounds) for name, _, page_name in PAGES]


async def run_level(
    cluster: Cluster, n: int, *, first_index: int = 0, rounds: int = 1, limit_s: float = 240, restart: bool = False
) -> dict:
    visits = _visits(rounds)
    gate = asyncio.Event()
    deadline = time.monotonic() + limit_s
    progress: dict = {}
    crash: dict = {"expected": restart}
    sessions = [Session(first_index + i, year_range(first_index + i)) for i in range(n)]
    pids = pids_before = cluster.pids()
    replicas = sorted(k for k in pids if k.startswith("replica-"))
    cpu_before = {k: _group_cpu_s(pids[k]) for k in [*replicas, "nginx"]}
    client_cpu = time.process_time()
    busy_before = _cpu_busy_s()
    rss_peak = dict.fromkeys(replicas, 0)
    done = asyncio.Event()

    async def sample():
        while not done.is_set():
            for k in replicas:
                pid = cluster.pids().get(k)
                value = _rss_kb(pid) if pid else None
                if value:
                    rss_peak[k] = max(rss_peak[k], value)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), timeout=0.2)

    async def crash_and_restart():
        expected = n * len(visits)
        while progress.get("reruns", 0) < expected // 4:
            await asyncio.sleep(0.05)
        on_victim = [s.index for s in sessions if s.replica == "r1"]
        crash["sessions_on_r1"] = on_victim
        crash["killed_at"] = time.monotonic()
        crash["reruns_before_kill"] = progress.get("reruns", 0)
        await asyncio.to_thread(cluster.replica, 1, "kill")
        await asyncio.sleep(2)
        crash["restart_began"] = time.monotonic()
        await asyncio.to_thread(cluster.replica, 1, "start")
        crash["back_at"] = time.monotonic()
        await asyncio.sleep(2)
        crash["settled"] = True

    sampler = asyncio.create_task(sample())
    chaos = asyncio.create_task(crash_and_restart()) if restart else None
    tasks = [
        asyncio.create_task(run_session(s, cluster.base, visits, deadline, gate, progress, crash)) for s in sessions
    ]
    began = time.perf_counter()
    t0 = time.monotonic()
    gate.set()
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - began
    if chaos is not None:
        await chaos
    done.set()
    await sampler
    pids = cluster.pids()
    busy = _cpu_busy_s() - busy_before
    # a replica restarted during the level is a new process: its CPU since it started (the old one's is gone)
    cpu = {
        k: round(_group_cpu_s(pids[k]) - (cpu_before.get(k, 0.0) if pids[k] == pids_before[k] else 0.0), 2)
        if k in pids
        else None
        for k in [*replicas, "nginx"]
    }
    client_cpu = time.process_time() - client_cpu
    ours = sum(v for v in cpu.values() if v and v > 0) + client_cpu
    cores = os.cpu_count() or 1

    latencies = [x for s in sessions for x in s.latencies]
    errors = [f"session {s.index} {s.years}: {e}" for s in sessions for e in s.errors]
    leaks = [f"session {s.index} {s.years}: {e}" for s in sessions for e in s.leaks]
    routing = [f"session {s.index}: {e}" for s in sessions for e in s.routing_errors]
    expected = n * len(visits)
    level = {
        "replicas": cluster.replicas,
        "sessions": n,
        "reruns": len(latencies),
        "reruns_expected": expected,
        "elapsed_s": round(elapsed, 2),
        "reruns_per_s": round(len(latencies) / elapsed, 3) if elapsed else None,
        "p50_s": percentile(latencies, 50),
        "p95_s": percentile(latencies, 95),
        "max_s": max(latencies, default=None),
        "errors": len(errors) + len(leaks) + len(routing),
        "state_leaks": len(leaks),
        "routing_errors": len(routing),
        "downloads": sum(s.downloads for s in sessions),
        "sessions_per_replica": {
            r: sum(1 for s in sessions if s.replicas_seen[:1] == [r])
            for r in sorted({x for s in sessions for x in s.replicas_seen[:1]})
        },
        "cpu_s": cpu,
        "client_cpu_s": round(client_cpu, 2),
        # the machine's busy CPU time beyond ours (replicas, nginx, this client): other people's work
        "other_cpu_s": round(max(0.0, busy - ours), 2),
        "other_cpu_share": round(max(0.0, busy - ours) / (elapsed * cores), 3) if elapsed else None,
        "machine_busy_share": round(busy / (elapsed * cores), 3) if elapsed else None,
        "rss_peak_mb": {k: round(v / 1024) for k, v in rss_peak.items()},
        "loadavg_1": round(os.getloadavg()[0], 2),
        "error_examples": (errors + leaks + routing)[:10],
    }
    if restart:
        victims = set(crash.get("sessions_on_r1", []))
        on = [s for s in sessions if s.index in victims]
        level["restart"] = {
            "killed_after_reruns": crash.get("reruns_before_kill"),
            "killed_at_s": round(crash["killed_at"] - t0, 2) if "killed_at" in crash else None,
            "replica_back_after_s": round(crash["back_at"] - crash["killed_at"], 2) if "back_at" in crash else None,
            "sessions_on_killed_replica": len(on),
            "disconnected": sum(1 for s in on if s.disconnects),
            "reconnected": sum(1 for s in on if s.reconnects),
            "redrawn": sum(1 for s in on if s.redraws),
            "redraw_p50_s": percentile([x for s in on for x in s.redraw_s], 50),
            "redraw_max_s": max((x for s in on for x in s.redraw_s), default=None),
            "reconnected_to": {
                r: sum(1 for s in on if s.replicas_seen[1:2] == [r])
                for r in sorted({x for s in on for x in s.replicas_seen[1:2]})
            },
            "completed_all_pages": sum(1 for s in on if s.completed),
            "other_sessions_disconnected": sum(1 for s in sessions if s.index not in victims and s.disconnects),
            "other_sessions_completed": sum(1 for s in sessions if s.index not in victims and s.completed),
            "downloads_lost_during_crash": sum(len(s.failed_during_crash) for s in sessions),
            "lost_examples": [e for s in sessions for e in s.failed_during_crash][:5],
        }
    return level


async def _warm(cluster: Cluster) -> None:
    await run_level(cluster, 2 * cluster.replicas, first_index=90, limit_s=240)


async def _after_restart(cluster: Cluster) -> dict:
    """New visitors after the restart: where least_conn sends them."""
    level = await run_level(cluster, 6, first_index=60, limit_s=120)
    return {
        "sessions": 6,
        "sessions_per_replica": level["sessions_per_replica"],
        "errors": level["errors"],
        "error_examples": level["error_examples"],
    }


def _print_level(level: dict) -> None:
    print(
        f"  R={level['replicas']} N={level['sessions']:<3} {level['reruns_per_s']} runs/s  p50 "
        f"{fmt(level['p50_s'], ' s', 3)}  p95 {fmt(level['p95_s'], ' s', 3)}  errors {level['errors']}  "
        f"per replica {level['sessions_per_replica']}  cpu {level['cpu_s']} client {level['client_cpu_s']}  "
        f"others {level['other_cpu_share']}  ({level['elapsed_s']} s, load {level['loadavg_1']})",
        flush=True,
    )
    for example in level["error_examples"][:3]:
        print(f"      ! {example}", flush=True)


async def _run(
    app_root: Path,
    replicas_list: list[int],
    levels: list[int],
    restart_n: int,
    repeats: int,
    limit_s: float,
    quiet_wait_s: float,
) -> dict:
    # One cluster per replica count, all started (idle) before the first level; the levels of 1 and 2
    # replicas alternate in ABBA order (repeat 0: 1, 2; repeat 1: 2, 1; ...), so what others run on this
    # shared machine meanwhile falls on both alike.
    clusters = {r: Cluster(app_root, RUN_DIR / f"replicas-{r}") for r in replicas_list}
    results: dict = {"levels": [], "restart": None}
    started: list[Cluster] = []
    try:
        for replicas, cluster in clusters.items():
            await asyncio.to_thread(cluster.start, replicas)
            started.append(cluster)
        for cluster in started:
            await _warm(cluster)
        for repeat in range(repeats):
            for n in levels:
                order = replicas_list if repeat % 2 == 0 else list(reversed(replicas_list))
                for replicas in order:
                    quiet = await wait_quiet(quiet_wait_s)
                    level = await run_level(clusters[replicas], n, limit_s=limit_s)
                    level["repeat"] = repeat
                    level["quiet_before"] = quiet
                    results["levels"].append(level)
                    _print_level(level)
                    write_result("cluster.partial", results)  # kept if a later level fails
        two = next((c for r, c in clusters.items() if r >= 2), None)
        if restart_n and two is not None:
            await wait_quiet(quiet_wait_s)
            level = await run_level(two, restart_n, rounds=2, limit_s=limit_s, restart=True)
            level["after_restart_new_sessions"] = await _after_restart(two)
            results["restart"] = level
            _print_level(level)
            print(f"      restart: {level['restart']}", flush=True)
    finally:
        for cluster in started:
            await asyncio.to_thread(cluster.stop)
    return results


def _aggregate(levels: list[dict]) -> dict:
    """Per (replicas, sessions): the median over repeats of each figure, and the sum of errors."""
    import statistics

    groups: dict[tuple[int, int], list[dict]] = {}
    for level in levels:
        groups.setdefault((level["replicas"], level["sessions"]), []).append(level)
    out = {}
    for (replicas, n), items in sorted(groups.items()):
        out[f"{replicas}x{n}"] = {
            "replicas": replicas,
            "sessions": n,
            "repeats": len(items),
            "reruns_per_s": statistics.median(i["reruns_per_s"] for i in items),
            "p50_s": statistics.median(i["p50_s"] for i in items),
            "p95_s": statistics.median(i["p95_s"] for i in items),
            "other_cpu_share": statistics.median(i["other_cpu_share"] for i in items),
            "cpu_s_per_run": statistics.median(
                sum(v for k, v in i["cpu_s"].items() if k.startswith("replica-") and v) / i["reruns"]
                for i in items
                if i["reruns"]
            ),
            "errors": sum(i["errors"] for i in items),
            "state_leaks": sum(i["state_leaks"] for i in items),
            "routing_errors": sum(i["routing_errors"] for i in items),
        }
    return out


def run(
    levels: list[int],
    replicas_list: list[int],
    restart_n: int,
    repeats: int,
    limit_s: float,
    live: bool = False,
    quiet_wait_s: float = 180,
) -> dict:
    t0 = time.monotonic()
    temp = None
    if live:
        app_root = ROOT
    else:
        temp = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
        app_root = copy_app(temp)
    try:
        results = asyncio.run(_run(app_root, replicas_list, levels, restart_n, repeats, limit_s, quiet_wait_s))
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)
    summary = _aggregate(results["levels"])
    comparisons = []
    for n in levels:
        one, two = summary.get(f"1x{n}"), summary.get(f"2x{n}")
        if one and two:
            comparisons.append(
                {
                    "sessions": n,
                    "throughput_ratio": round(two["reruns_per_s"] / one["reruns_per_s"], 3),
                    "p50_ratio": round(two["p50_s"] / one["p50_s"], 3),
                    "p95_ratio": round(two["p95_s"] / one["p95_s"], 3),
                    "goal_met": (
                        two["reruns_per_s"] >= GOAL_SPEEDUP * one["reruns_per_s"]
                        and two["p50_s"] < one["p50_s"]
                        and two["p95_s"] < one["p95_s"]
                        and one["errors"] == 0
                        and two["errors"] == 0
                    ),
                }
            )
    report = {
        "benchmark": "cluster",
        "machine": {**machine(), "measured_copy_of_work_tree": not live},
        "settings": {
            "levels": levels,
            "replicas": replicas_list,
            "repeats": repeats,
            "restart_sessions": restart_n,
            "level_timeout_s": limit_s,
            "reruns_per_session": len(PAGES),
            "pages": [p[0] for p in PAGES],
            "client": "Streamlit protocol over WebSocket through nginx (bench/load.py's session), "
            "asyncio + websockets, cookie-routed",
            "goal": f"2 replicas >= {GOAL_SPEEDUP}x the page runs/s of 1, lower p50 and p95, 0 errors",
        },
        "levels": results["levels"],
        "summary": summary,
        "comparisons": comparisons,
        "restart": results["restart"],
        "elapsed_s": round(time.monotonic() - t0, 1),
    }
    report["results_file"] = str(write_result("cluster", report))
    (RESULTS / "cluster.partial.json").unlink(missing_ok=True)
    return report


def summary_text(report: dict) -> str:
    lines = [
        f"## Cluster load ({report['settings']['reruns_per_session']} page runs + CSVs per session, "
        f"through nginx; goal: 2 replicas ≥ {GOAL_SPEEDUP}× 1 replica, lower p50/p95, 0 errors)",
        "",
    ]
    rows = [
        [
            s["replicas"],
            s["sessions"],
            fmt(s["reruns_per_s"], "", 2),
            fmt(s["p50_s"], " s", 2),
            fmt(s["p95_s"], " s", 2),
            s["errors"],
            s["state_leaks"],
            s["routing_errors"],
            fmt(s["cpu_s_per_run"], " s", 3),
            f"{round(100 * s['other_cpu_share'])}%",
        ]
        for s in report["summary"].values()
    ]
    lines.append(
        table(
            [
                "replicas",
                "sessions",
                "page runs/s",
                "p50",
                "p95",
                "errors",
                "leaks",
                "misrouted",
                "app CPU per run",
                "others' CPU",
            ],
            rows,
        )
    )
    lines.append("")
    rows = [
        [
            c["sessions"],
            fmt(c["throughput_ratio"], "×", 2),
            fmt(c["p50_ratio"], "×", 2),
            fmt(c["p95_ratio"], "×", 2),
            "met" if c["goal_met"] else "MISSED",
        ]
        for c in report["comparisons"]
    ]
    if rows:
        lines.append(table(["sessions", "throughput 2 vs 1", "p50 2 vs 1", "p95 2 vs 1", "goal"], rows))
    restart = report.get("restart")
    if restart:
        r = restart["restart"]
        lines += [
            "",
            f"restart ({restart['sessions']} sessions × {restart['reruns_expected'] // restart['sessions']} pages, "
            f"replica 1 killed after "
            f"{r['killed_after_reruns']} page runs, back after {r['replica_back_after_s']} s): "
            f"{r['sessions_on_killed_replica']} sessions on it, {r['reconnected']} reconnected, "
            f"{r['redrawn']} redrew (p50 {fmt(r['redraw_p50_s'], ' s')}), {r['completed_all_pages']} "
            f"finished all pages; errors {restart['errors']}, downloads lost in the crash "
            f"{r['downloads_lost_during_crash']}; new sessions after: "
            f"{restart['after_restart_new_sessions']['sessions_per_replica']}",
        ]
    lines.append(f"({report['elapsed_s']} s; {report.get('results_file', 'bench/results/cluster.json')})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", default="30,60", help="comma-separated session counts")
    parser.add_argument("--replicas", default="1,2", help="comma-separated replica counts")
    parser.add_argument("--restart-sessions", type=int, default=30, help="sessions in the restart run (0: none)")
    parser.add_argument("--no-restart", action="store_true")
    parser.add_argument("--repeats", type=int, default=1, help="runs of every (replicas, sessions) level")
    parser.add_argument("--level-timeout", type=float, default=420, help="hard time limit per level (s)")
    parser.add_argument("--live", action="store_true", help="run the working tree itself, not a copy")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=180,
        help="before each level, wait up to this long for the machine to be idle (s)",
    )
    args = parser.parse_args(argv)
    install_sigterm()
    levels = [int(x) for x in args.levels.split(",") if x]
    if max(levels) > 100:
        raise SystemExit("at most 100 sessions per level")
    report = run(
        levels,
        [int(x) for x in args.replicas.split(",") if x],
        0 if args.no_restart else args.restart_sessions,
        max(1, args.repeats),
        args.level_timeout,
        live=args.live,
        quiet_wait_s=args.quiet_wait,
    )
    print(summary_text(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
