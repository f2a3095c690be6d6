"""A real server (`python -m streamlit run app.py` in a subprocess) and a client that speaks Streamlit's
browser<->server protocol (protobuf BackMsg / ForwardMsg over the /_stcore/stream WebSocket), synchronously.

The BackMsg a page load sends comes from bench/load.py (`rerun_msg`, recorded from Chromium).
"""

from __future__ import annotations

import atexit
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench.load import rerun_msg  # the benchmark's page-load message, recorded from Chromium

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 90
RUN_TIMEOUT_S = 120


def clear_cache_msg() -> bytes:
    from streamlit.proto.BackMsg_pb2 import BackMsg

    msg = BackMsg()
    msg.clear_cache = True
    return msg.SerializeToString()


# --- processes ---------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process in MB (psutil when installed, else /proc/<pid>/status VmRSS)."""
    try:
        import psutil  # type: ignore[import-not-found]

        return psutil.Process(pid).memory_info().rss / 2**20
    except ImportError:
        pass
    except Exception:  # the process is gone
        return None
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def http_get(url: str, timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
    """(status, headers with lower-case names, body); an HTTP error status is returned, not raised."""
    request = urllib.request.Request(url, headers={"User-Agent": "hardening-test"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def http_json(url: str) -> tuple[int, dict]:
    status, _headers, body = http_get(url)
    return status, json.loads(body)


_STARTED: list[Server] = []


@atexit.register
def _stop_all() -> None:
    """No server outlives the test run, whatever failed."""
    for server in _STARTED:
        server.stop()


@dataclass
class Server:
    """One `python -m streamlit run app.py` (cwd = the repository, so .streamlit/config.toml applies)."""

    process: subprocess.Popen
    port: int
    log: Path
    env: dict[str, str]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_mb(self) -> float | None:
        return rss_mb(self.pid)

    def log_text(self) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)

    def health(self) -> tuple[int, dict]:
        return http_json(self.base + "/data/health.json")


def start_server(
    log_dir: Path,
    *,
    data_dir: Path | None = None,
    store_dir: Path | str = "off",
    address: bool = True,
    extra_env: dict[str, str] | None = None,
    name: str = "server",
) -> Server:
    """Start the app on a free port and wait until /_stcore/health answers. `address=False` starts it without
    --server.address (so .streamlit/config.toml's address applies)."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    if address:
        command += ["--server.address", "127.0.0.1"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZKZ_", "STREAMLIT_"))}
    env.update(PYTHONUNBUFFERED="1", AZKZ_STORE_DIR=str(store_dir))
    if data_dir is not None:
        env["AZKZ_DATA_DIR"] = str(data_dir)
    env.update(extra_env or {})
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"{name}-{port}.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    server = Server(process, port, log, env)
    _STARTED.append(server)
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        try:
            if http_get(server.base + "/_stcore/health", timeout=2)[0] == 200:
                return server
        except (urllib.error.URLError, OSError):
            pass
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{server.log_text()[-3000:]}")
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"streamlit not healthy after {STARTUP_TIMEOUT_S} s:\n{server.log_text()[-3000:]}")
        time.sleep(0.05)


# --- the protocol --------------------------------------------------------------------------------------------


def _repeated(descriptor) -> bool:
    flag = getattr(descriptor, "is_repeated", None)  # protobuf >= 6; older ones have only `label`
    return bool(flag) if flag is not None else descriptor.label == descriptor.LABEL_REPEATED


def strings(message, path: str = "") -> list[tuple[str, str]]:
    """Every string field of a protobuf message, at any depth, as (dotted field path, value)."""
    out: list[tuple[str, str]] = []
    for descriptor, value in message.ListFields():
        name = f"{path}.{descriptor.name}" if path else descriptor.name
        values = value if _repeated(descriptor) else [value]
        for item in values:
            if descriptor.type == descriptor.TYPE_MESSAGE:
                if descriptor.message_type.GetOptions().map_entry:
                    continue
                out += strings(item, name)
            elif isinstance(item, str):
                out.append((name, item))
    return out


@dataclass
class Run:
    """One rerun: how long it took (send -> script_finished) and every ForwardMsg it brought."""

    seconds: float
    messages: list = field(default_factory=list)
    status: int | None = None
    raw: list[bytes] = field(default_factory=list)

    def elements(self) -> list:
        out = []
        for msg in self.messages:
            if msg.WhichOneof("type") == "delta" and msg.delta.WhichOneof("type") == "new_element":
                out.append(msg.delta.new_element)
        return out

    def exceptions(self) -> list:
        return [e.exception for e in self.elements() if e.WhichOneof("type") == "exception"]

    def texts(self) -> list[tuple[str, str]]:
        """Every string of every delta (element bodies, labels, help, expander and tab labels, chart JSON)."""
        out = []
        for msg in self.messages:
            if msg.WhichOneof("type") == "delta":
                out += strings(msg.delta)
        return out

    def all_text(self) -> str:
        return "\n".join(value for _path, value in self.texts())

    def markdown(self) -> list[tuple[str, str]]:
        """Strings Streamlit renders as Markdown: markdown/caption/alert bodies, widget labels and help, expander
        and tab labels (not chart JSON, option lists or data, which it shows as plain text)."""
        keep = ("body", "label", "help", "labels", "placeholder")
        return [(p, v) for p, v in self.texts() if p.rsplit(".", 1)[-1] in keep]

    @property
    def ok(self) -> bool:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        return self.status == ForwardMsg.FINISHED_SUCCESSFULLY


class Session:
    """One browser tab: a WebSocket to /_stcore/stream (subprotocol "streamlit", same-origin Origin)."""

    def __init__(self, base: str, open_timeout: float = 30) -> None:
        from websockets.sync.client import connect

        self.base = base
        connection = connect(
            base.replace("http://", "ws://") + "/_stcore/stream",
            subprotocols=["streamlit"],
            origin=base,
            max_size=2**28,
            open_timeout=open_timeout,
            close_timeout=5,
        )
        self.ws = connection.__enter__()  # websockets >= 17.1 wants the context-manager form
        self.hashes: dict[str, str] = {}

    def close(self) -> None:
        self.ws.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def send(self, data: bytes) -> None:
        self.ws.send(data)

    def run(self, page: str = "", query: str = "", timeout: float = RUN_TIMEOUT_S) -> Run:
        """Open `page` (its url_path: "" is the overview) with this query string, as a deep link does, and read
        ForwardMsgs until the script finishes (a rerun the app itself asks for is followed)."""
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        data = rerun_msg(query_string=query, page_name=page, url=f"{self.base}/{page}" + (f"?{query}" * bool(query)))
        began = time.perf_counter()
        self.ws.send(data)
        result = Run(0.0)
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"/{page}: no script_finished within {timeout} s")
            raw = self.ws.recv(timeout=remaining)
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            result.raw.append(raw)
            result.messages.append(msg)
            kind = msg.WhichOneof("type")
            if kind == "navigation":
                for app_page in msg.navigation.app_pages:
                    self.hashes[app_page.url_pathname] = app_page.page_script_hash
            elif kind == "script_finished":
                if msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue
                result.status = msg.script_finished
                break
        result.seconds = time.perf_counter() - began
        return result
