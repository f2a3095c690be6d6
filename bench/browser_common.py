"""Shared pieces of the browser/network benchmarks (page_speed, load): servers, Chromium, statistics.

Everything stays on 127.0.0.1: servers bind to loopback, Chromium is sent through a proxy that does not
exist (127.0.0.1:9) for every non-loopback host, so any off-machine request fails at once and is counted.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
LOGS = ROOT / "artifacts" / "bench"  # server logs (artifacts/ is git-ignored)

# The app under test runs from APP_ROOT (default: this checkout). Point BENCH_APP_ROOT (or --app-root /
# --snapshot) at another tree, e.g. an export of a commit, to measure a fixed version while the working
# tree is being edited. Both servers run with cwd=APP_ROOT, so its .streamlit/config.toml applies to both.
APP_ROOT = Path(os.environ.get("BENCH_APP_ROOT") or ROOT).resolve()
APP_SCRIPT = "app.py"
# Both are st.Apps served by `streamlit run` (uvicorn): app.py around frame/main.py, the floor around
# bench/floor_script.py (bench/floor_app.py).
FLOOR_SCRIPT = str(ROOT / "bench" / "floor_app.py")

# (name, URL path, page_name as st.navigation resolves it: the url_path of st.Page)
PAGES = [
    ("overview", "/", ""),
    ("trade", "/trade", "trade"),
    ("visits", "/visits", "visits"),
    ("chronology", "/chronology", "chronology"),
    ("corridors", "/corridors", "corridors"),
    ("map", "/map", "map"),
    ("diaspora", "/diaspora", "diaspora"),
    ("facts", "/facts", "facts"),
    ("sources", "/sources", "sources"),
]

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Loopback always bypasses a proxy; every other host goes to a closed loopback port and fails.
    "--proxy-server=http://127.0.0.1:9",
]
VIEWPORT = {"width": 1400, "height": 900}
STARTUP_TIMEOUT_S = 60


def app_root() -> Path:
    return APP_ROOT


def set_app_root(path: str | Path) -> Path:
    global APP_ROOT
    APP_ROOT = Path(path).resolve()
    if not (APP_ROOT / APP_SCRIPT).is_file():
        raise SystemExit(f"no {APP_SCRIPT} in {APP_ROOT}")
    return APP_ROOT


def add_app_options(parser, app_root: bool = True) -> None:
    """--snapshot [REV] (and --app-root PATH): which app a benchmark measures (see snapshot, set_app_root)."""
    if app_root:
        parser.add_argument("--app-root", default=None, help="measure the app in this folder (default: this checkout)")
    parser.add_argument(
        "--snapshot",
        nargs="?",
        const="HEAD",
        default=None,
        metavar="REV",
        help="measure commit REV (default HEAD), exported with git archive to a temp folder: "
        "a fixed version while the working tree is being edited",
    )


def snapshot(rev: str = "HEAD") -> Path:
    """Export commit `rev` of this repository (git archive: read-only on the repo) to a temporary folder."""
    import tempfile

    target = Path(tempfile.mkdtemp(prefix="bench-snapshot-"))
    archive = subprocess.run(["git", "archive", "--format=tar", rev], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    commit = subprocess.run(
        ["git", "rev-parse", rev], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    (target / ".bench-commit").write_text(commit + "\n", encoding="ascii")
    return target


def app_version() -> dict:
    """Which app was measured: the folder and, when known, the commit (and whether the tree was dirty)."""
    root = app_root()
    marker = root / ".bench-commit"
    if marker.is_file():
        return {"app_root": str(root), "commit": marker.read_text(encoding="ascii").strip(), "dirty": False}
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain", "--", "app.py", "pages", "components", "data", ".streamlit"],
                cwd=root,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        )
    except (OSError, subprocess.CalledProcessError):
        return {"app_root": str(root), "commit": None, "dirty": None}
    return {"app_root": str(root), "commit": commit, "dirty": dirty}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(base: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/_stcore/health", timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@dataclass
class Server:
    """One `python -m streamlit run <script>` on a free loopback port."""

    script: str
    process: subprocess.Popen
    port: int
    started: float  # time.time() just before Popen
    healthy_at: float | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_kb(self) -> int | None:
        return rss_kb(self.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)


def start_server(script: str, *, wait: bool = True, poll_s: float = 0.05, log_name: str | None = None) -> Server:
    """Start streamlit on `script` (cwd = repo root, so .streamlit/config.toml applies to app and floor alike)."""
    LOGS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        script,
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("AZKZ_DATA_DIR", None)
    log_path = LOGS / f"{log_name or Path(script).stem}.log"
    with log_path.open("ab") as log:
        started = time.time()
        process = subprocess.Popen(
            command, cwd=app_root(), env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    server = Server(script, process, port, started)
    if wait:
        wait_healthy(server, poll_s=poll_s)
    return server


def wait_healthy(server: Server, poll_s: float = 0.05) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not healthy(server.base, timeout=1.0):
        if server.process.poll() is not None:
            raise RuntimeError(f"streamlit ({server.script}) exited with {server.process.returncode}; see {LOGS}")
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"streamlit ({server.script}) not healthy after {STARTUP_TIMEOUT_S} s")
        time.sleep(poll_s)
    server.healthy_at = time.time()


def rss_kb(pid: int) -> int | None:
    """VmRSS of a process in kB (None when it is gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def launch_chromium(playwright):
    if not (os.path.isfile(CHROMIUM_PATH) and os.access(CHROMIUM_PATH, os.X_OK)):
        raise SystemExit(f"Chromium not found at {CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)")
    return playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)


def median(values) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def percentile(values, q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of the values; None when empty."""
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    rank = max(1, min(len(values), int(-(-q * len(values) // 100))))  # ceil(q/100 * n)
    return values[rank - 1]


def ratio(ours: float | None, floor: float | None) -> float | None:
    if ours is None or not floor:
        return None
    return ours / floor


def write_result(name: str, payload: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def install_sigterm() -> None:
    """SIGTERM (e.g. `timeout`) exits through the finally blocks, so no server is left running."""
    import signal

    def _exit(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)


def machine() -> dict:
    import platform

    import streamlit

    return {
        "python": platform.python_version(),
        "loadavg_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "streamlit": streamlit.__version__,
        "cpus": os.cpu_count(),
        "chromium": CHROMIUM_PATH,
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        **app_version(),
    }


def fmt(value, unit: str = "", digits: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}{unit}"
    return f"{value}{unit}"


def table(headers: list[str], rows: list[list]) -> str:
    """A Markdown table (also readable as plain text)."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]

    def line(row):
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    out = [line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in cells]
    return "\n".join(out)
