"""Hardening, end to end: real `streamlit run app.py` servers (subprocesses on free loopback ports, each with its
own AZKZ_STORE_DIR and, where a case needs broken data, its own AZKZ_DATA_DIR copy), driven over HTTP and over
Streamlit's own WebSocket protocol (tests/hardening/proto.py: the BackMsg a page load sends, from bench/load.py).

Five servers, one per data folder, shared by the cases that can share it (module-scoped fixtures):

- `plain`: a clean copy of data/, a store folder, started WITHOUT --server.address: cases 1 (clear_cache attack),
  9 (HTTP hardening, loopback only), 8 (20 x 20 MB client messages), then 4 (store tampering: it stops this
  server and restarts on the same store);
- `big`: events.csv is 100 MB of invalid rows: case 2;
- `injected`: a route named with Markdown/URL syntax, 1e400 in trade_turnover, a 30-digit integer in visits, no
  geo/countries.geojson: cases 3, 5 and 6 (missing basemap); the validator CLI runs on the same copy plus a
  `javascript:` source;
- `no_package`: datapackage.json is not JSON: case 6;
- `edits`: a header-only events.csv (case 6) and trade_turnover.csv edited under a running server: case 7.

`big`, `injected` and `edits` start on a copy of the plain server's store (`seeded_store`), so they validate only
the files their case changed, as a restarted deployment does (the plain server's first run is the cold one).

What was measured (times, RSS) is printed at the end of the module ("hardening measurements").
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.hardening import data as hd
from tests.hardening import proto

ROOT = Path(__file__).resolve().parents[1]
INJECTION = "![x](http://evil.invalid/p.png) :red[x] $x$ www.evil.invalid"
ROUNDS = 7  # attack rounds of case 1
ROUTE = "btc"  # the route whose name is replaced (it has volumes and milestones)
MEASURED: list[str] = []

logging.getLogger("websockets").setLevel(logging.CRITICAL)  # a connection the server closes is expected here


def note(line: str) -> None:
    MEASURED.append(line)


@pytest.fixture(scope="module", autouse=True)
def _measurements(request):
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and MEASURED:
        reporter.write_line("")
        reporter.write_sep("-", "hardening measurements")
        for line in MEASURED:
            reporter.write_line(line)


def plain(markdown: str) -> str:
    """Markdown with its backslash escapes undone (what a reader sees)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def errors(run: proto.Run) -> list[str]:
    from streamlit.proto.Alert_pb2 import Alert

    return [e.alert.body for e in run.elements() if e.WhichOneof("type") == "alert" and e.alert.format == Alert.ERROR]


def warnings_(run: proto.Run) -> list[str]:
    from streamlit.proto.Alert_pb2 import Alert

    return [e.alert.body for e in run.elements() if e.WhichOneof("type") == "alert" and e.alert.format == Alert.WARNING]


def kinds(run: proto.Run) -> list[str]:
    return [e.WhichOneof("type") for e in run.elements()]


class RssSampler:
    """Peak resident memory of a process, sampled every 50 ms in a thread."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.start = proto.rss_mb(pid) or 0.0
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            value = proto.rss_mb(self.pid)
            if value:
                self.peak = max(self.peak, value)
            self._stop.wait(0.05)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join(timeout=5)
        return self.peak


def csv_rows(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def turnover_value(body: bytes, year: str, flow: str, reporter: str, period: str = "annual") -> str:
    for row in csv_rows(body):
        if (row["year"], row["period"], row["flow"], row["reporter"]) == (year, period, flow, reporter):
            return row["value_usd_m"]
    raise LookupError((year, period, flow, reporter))


# ---------------------------------------------------------------------------------------------- servers


@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("hardening-logs")


class Plain:
    """The clean server, with what its first ever page run measured (cold: nothing validated, nothing built)."""

    def __init__(self, server: proto.Server, data: Path, store: Path, logs: Path) -> None:
        self.server, self.data, self.store, self.logs = server, data, store, logs
        self.session = proto.Session(server.base)
        self.cold = self.session.run("trade")  # the very first page run of this fresh server


@pytest.fixture(scope="module")
def plain_server(tmp_path_factory, logs):
    root = tmp_path_factory.mktemp("plain")
    data, store = hd.copy_data(root / "data"), root / "store"
    server = proto.start_server(logs, data_dir=data, store_dir=store, address=False, name="plain")
    try:
        state = Plain(server, data, store, logs)
    except BaseException:
        server.stop()
        raise
    yield state
    state.session.close()
    state.server.stop()


def seeded_store(plain_server: Plain, root: Path) -> Path:
    """A copy of the plain server's store: a later server validates only the files its case changed (entries are
    keyed by the bytes of the CSVs, datapackage.json and the code, not by folder), as a restarted deployment does,
    so its first page times measure the case, not a cold validation of every table."""
    target = root / "store"
    shutil.copytree(plain_server.store, target, dirs_exist_ok=True)
    return target


# ---------------------------------------------------------------------------------------------- 1


def test_clear_cache_from_another_client_does_not_make_a_session_rebuild(plain_server):
    """Case 1, the cache-clear attack: Streamlit 1.67 clears st.cache_* for every user when any WebSocket client
    sends `clear_cache` (runtime/app_session.py _handle_clear_cache_request). Session A loads /trade (the cold
    first run of a fresh server, then warm reruns); session B sends 20 `clear_cache` back-messages; A's next /trade
    stays within 2x its warm time (a rebuild costs the cold time): medians over ROUNDS attack rounds, each after two
    warm reruns, so machine load hits both alike; the view and table build counts of /data/health.json
    (app_data.cache_stats()) do not move; B's own session (its state cleared by its message) still runs its page."""
    server, a = plain_server.server, plain_server.session
    cold = plain_server.cold
    assert cold.ok and not cold.exceptions(), "the first /trade run failed"
    status, before = server.health()
    assert status == 200 and before["status"] == "ok", before
    counts = before.get("cache")
    if counts is None:
        note("case 1: /data/health.json has no build counts: the lead should add app_data.cache_stats() to it")

    attacker = proto.Session(server.base)
    try:
        assert attacker.run("trade").ok
        warm, after = [], []
        for _round in range(ROUNDS):  # warm and attacked reruns interleaved: the same machine load for both
            for _ in range(2):
                run = a.run("trade")
                assert run.ok
                warm.append(run.seconds)
            for _ in range(20):
                attacker.send(proto.clear_cache_msg())
            time.sleep(0.3)  # the server handles them in arrival order, before A's rerun below
            run = a.run("trade")
            assert run.ok and not run.exceptions() and "plotly_chart" in kinds(run)
            after.append(run.seconds)
        warm_median, after_median = statistics.median(warm), statistics.median(after)
        note(
            f"case 1: /trade cold (first run of a fresh server) {cold.seconds:.3f} s; warm reruns median "
            f"{warm_median:.3f} s ({min(warm):.3f}-{max(warm):.3f}); right after 20 clear_cache from another "
            f"session, {ROUNDS} rounds: median {after_median:.3f} s ({', '.join(f'{x:.3f}' for x in after)})"
        )
        assert cold.seconds > 2 * warm_median, (
            f"cold {cold.seconds:.3f} s is not clearly above 2x warm {warm_median:.3f} s: this test cannot tell a "
            "rebuild from a warm rerun on this machine"
        )
        assert after_median <= 2 * warm_median, (
            f"after the attack /trade took {after} s, warm {warm_median:.3f} s, cold {cold.seconds:.3f} s"
        )
        if counts is not None:
            _status, now = server.health()
            note(f"case 1: builds before {counts}, after the attacks {now['cache']}")
            assert now["cache"]["view_builds"] == counts["view_builds"], (counts, now["cache"])
            assert now["cache"]["table_builds"] == counts["table_builds"], (counts, now["cache"])
        # the attacker's own session: its state was cleared, it still runs its page
        own = attacker.run("trade")
        assert own.ok and not own.exceptions() and "plotly_chart" in kinds(own)
    finally:
        attacker.close()


# ---------------------------------------------------------------------------------------------- 9


def _non_loopback_address() -> str | None:
    candidates = set()
    for target in ("192.0.2.1", "10.255.255.255", "8.8.8.8"):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock, contextlib.suppress(OSError):
            sock.connect((target, 9))  # UDP: no packet is sent, only a route chosen
            candidates.add(sock.getsockname()[0])
    with contextlib.suppress(OSError):
        candidates.update(socket.gethostbyname_ex(socket.gethostname())[2])
    found = sorted(a for a in candidates if a and not a.startswith("127.") and a != "0.0.0.0")
    return found[0] if found else None


def _listening_addresses(port: int) -> set[str]:
    """The local addresses of the sockets listening on `port` (Linux /proc/net/tcp and tcp6, state 0A)."""
    found = set()
    for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        with contextlib.suppress(OSError), open(table, encoding="ascii") as fh:
            for line in list(fh)[1:]:
                local, state = line.split()[1], line.split()[3]
                address, port_hex = local.split(":")
                if state != "0A" or int(port_hex, 16) != port:
                    continue
                raw = bytes.fromhex(address)
                # each 32-bit word is in the host's (little-endian) order
                raw = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
                found.add(socket.inet_ntop(family, raw))
    return found


SECURITY = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "SAMEORIGIN",
    "referrer-policy": None,  # any policy
}


def test_http_hardening_headers_metrics_origins_and_loopback(plain_server):
    """Case 9, hardening over HTTP: /_stcore/metrics answers 404; every response of / and /data/* (tables,
    package, health, an unknown table) carries X-Content-Type-Options nosniff, X-Frame-Options SAMEORIGIN, a
    Content-Security-Policy with frame-ancestors and a Referrer-Policy; /_stcore/host-config allows no origin
    (none of Streamlit's 16 Cloud origins); started without --server.address, the server listens on loopback
    only (the kernel's socket table) and is not reachable on the machine's non-loopback address where it has
    one."""
    base = plain_server.server.base
    for path in ("/_stcore/metrics", "/_stcore/metrics/"):
        status, _h, body = proto.http_get(base + path)
        assert status == 404, (path, status, body[:200])
        assert b"cache" not in body.lower()

    for path in (
        "/",
        "/trade",
        "/data/health.json",
        "/data/datapackage.json",
        "/data/trade_turnover.csv",
        "/data/sources.csv",
        "/data/no_such_table.csv",
        "/data/Bad-Name.csv",
    ):
        status, headers, _body = proto.http_get(base + path)
        assert status in (200, 404), (path, status)
        for name, value in SECURITY.items():
            assert name in headers, f"{path}: no {name}"
            if value:
                assert headers[name].lower() == value.lower(), (path, name, headers[name])
        assert "frame-ancestors" in headers.get("content-security-policy", ""), (path, headers)

    status, headers, body = proto.http_get(base + "/_stcore/host-config")
    assert status == 200
    config = json.loads(body)
    assert config.get("allowedOrigins") == [], config.get("allowedOrigins")
    try:
        from streamlit.config import _DEFAULT_ALLOWED_MESSAGE_ORIGINS as cloud
    except ImportError:
        cloud = ["https://share.streamlit.io", "https://*.streamlit.app"]
    assert len(cloud) >= 16
    assert not set(cloud) & set(config.get("allowedOrigins", []))

    # loopback only (config.toml's address), this server having been started without --server.address
    assert "--server.address" not in plain_server.server.process.args
    # What the kernel says the server listens on (every machine): loopback only, IPv4 and IPv6.
    listening = _listening_addresses(plain_server.server.port)
    note(f"case 9: the server listens on {sorted(listening)}")
    assert listening, f"no listening socket on port {plain_server.server.port} in /proc/net/tcp*"
    assert listening <= {"127.0.0.1", "::1"}, f"the server listens on {sorted(listening)}, not only on loopback"
    # And from outside, where the machine has another address to try.
    address = _non_loopback_address()
    if address is not None:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(3)
            refused = sock.connect_ex((address, plain_server.server.port))
        note(f"case 9: connecting to {address}:{plain_server.server.port} gave errno {refused} (0 = connected)")
        assert refused != 0, f"the server answers on {address}, not only on 127.0.0.1"


# ---------------------------------------------------------------------------------------------- 8


def test_huge_client_messages_are_refused_without_memory_growth(plain_server):
    """Case 8, memory from client messages: 20 WebSocket connections at once each send a rerun BackMsg whose
    query_string is 20 MB; the server refuses every one (the connection is closed, no script runs for it), its RSS
    grows by less than 200 MB, and a normal session still works afterwards."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    server = plain_server.server
    big = proto.rerun_msg(query_string="q=" + "x" * (20 * 2**20), page_name="trade")
    sampler = RssSampler(server.pid)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attack() -> None:
        outcome = "no answer"
        try:
            session = proto.Session(server.base)
        except Exception as error:  # refusing the connection is refusing the message
            outcome = f"refused: {type(error).__name__}"
        else:
            try:
                session.send(big)
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    msg = ForwardMsg()
                    msg.ParseFromString(session.ws.recv(timeout=deadline - time.monotonic()))
                    if msg.WhichOneof("type") == "script_finished":
                        outcome = "ran the script"
                        break
            except TimeoutError:
                outcome = "no answer"
            except Exception as error:  # ConnectionClosed (1009 message too big) is the point
                outcome = f"closed: {type(error).__name__}"
            finally:
                with contextlib.suppress(Exception):
                    session.close()
        with lock:
            outcomes.append(outcome)

    began = time.monotonic()
    threads = [threading.Thread(target=attack) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    time.sleep(1)
    peak = sampler.stop()
    elapsed = time.monotonic() - began
    note(
        f"case 8: 20 x 20 MB rerun messages in {elapsed:.1f} s: RSS {sampler.start:.0f} MB before, peak "
        f"{peak:.0f} MB (growth {peak - sampler.start:.0f} MB), after {server.rss_mb() or 0:.0f} MB; "
        f"outcomes {sorted(set(outcomes))}"
    )
    assert server.process.poll() is None, "the server died"
    assert len(outcomes) == 20
    assert all(o.startswith(("closed", "refused")) for o in outcomes), outcomes
    assert peak - sampler.start < 200, f"RSS grew by {peak - sampler.start:.0f} MB"
    with proto.Session(server.base) as session:
        run = session.run("trade")
        assert run.ok and not run.exceptions() and "plotly_chart" in kinds(run)


# ---------------------------------------------------------------------------------------------- 4


def _store_entry(store: Path, name: str) -> Path:
    entries = sorted(store.glob(f"{name}-*.arrow"))
    assert len(entries) == 1, f"expected one stored {name} entry, found {entries}"
    return entries[0]


def _tamper_values(path: Path) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.feather as feather

    table = feather.read_table(path)
    i = table.schema.get_field_index("value_usd_m")
    table = table.set_column(i, "value_usd_m", pc.multiply(table["value_usd_m"], pa.scalar(1000.0)))
    feather.write_feather(table, path)


def _tamper_dtypes(path: Path) -> None:
    import pyarrow as pa
    import pyarrow.feather as feather

    table = feather.read_table(path)
    # every column as text, value_usd_m ×1000 as text, year as float: same names, other types
    columns = {}
    for name in table.column_names:
        values = table[name].to_pylist()
        if name == "value_usd_m":
            columns[name] = pa.array([None if v is None else str(v * 1000) for v in values], pa.string())
        elif name == "year":
            columns[name] = pa.array([None if v is None else float(v) for v in values], pa.float64())
        else:
            columns[name] = pa.array([None if v is None else str(v) for v in values], pa.string())
    feather.write_feather(pa.table(columns), path)


def _tamper_empty(path: Path) -> None:
    import pyarrow.feather as feather

    table = feather.read_table(path)
    feather.write_feather(table.slice(0, 0), path)


def test_a_tampered_store_is_not_served_after_a_restart(plain_server):
    """Case 4, store tampering through a restarted server: the server (store folder of its own) has loaded
    /overview; it stops; the stored trade_turnover Arrow file is rewritten in place (pyarrow.feather: read,
    value_usd_m x1000, write back to the same path); a restarted server's /data/trade_turnover.csv still shows
    the real values. The same after replacing the stored file with a table of other dtypes, and with an empty
    table. (This test stops the `plain` server: it runs after the other cases that use it.)"""
    state = plain_server
    run = state.session.run("")
    assert run.ok and not run.exceptions()
    status, _h, real = proto.http_get(state.server.base + "/data/trade_turnover.csv")
    assert status == 200
    real_values = [r["value_usd_m"] for r in csv_rows(real)]
    state.session.close()
    state.server.stop()
    entry = _store_entry(state.store, "trade_turnover")

    for tamper in (_tamper_values, _tamper_dtypes, _tamper_empty):
        entry = _store_entry(state.store, "trade_turnover")
        tamper(entry)
        assert entry.exists()
        server = proto.start_server(state.logs, data_dir=state.data, store_dir=state.store, name=tamper.__name__)
        try:
            status, _h, body = proto.http_get(server.base + "/data/trade_turnover.csv")
            assert status == 200, (tamper.__name__, status, body[:200])
            values = [r["value_usd_m"] for r in csv_rows(body)]
            assert values == real_values, f"{tamper.__name__}: served {values[:5]}..., real {real_values[:5]}..."
            assert body == real, tamper.__name__
            with proto.Session(server.base) as session:  # a page built from the store also shows real values
                page = session.run("trade")
                assert page.ok and not page.exceptions() and "plotly_chart" in kinds(page)
        finally:
            server.stop()
    note(
        "case 4: a stored trade_turnover entry x1000, re-typed or emptied in place: each restart served the CSV's "
        "real values"
    )


# ---------------------------------------------------------------------------------------------- 2


@pytest.fixture(scope="module")
def big_server(tmp_path_factory, logs, plain_server):
    root = tmp_path_factory.mktemp("big")
    data = hd.copy_data(root / "data")
    header = (data / "events.csv").read_text(encoding="utf-8").splitlines()[0]
    row = b'not-a-date,never,???,"an invalid row of a very large broken file",no_route,XX;YY,no_source,\n'
    with (data / "events.csv").open("wb") as fh:
        fh.write(header.encode() + b"\n")
        fh.write(row * (100_000_000 // len(row) + 1))
    server = proto.start_server(logs, data_dir=data, store_dir=seeded_store(plain_server, root), name="big")
    sampler = RssSampler(server.pid)
    yield server, sampler, data
    sampler.stop()
    server.stop()


def test_a_100_mb_broken_csv_is_refused_fast_and_small(big_server):
    """Case 2, a large broken CSV: events.csv is ~100 MB of invalid rows. /visits and /trade answer through a
    WebSocket run within 10 s each, with no error (they do not read events.csv); /chronology, the page that reads
    events.csv, answers within 10 s with the error naming events.csv and the size limit in MB; /data/health.json
    lists events as broken; the server's RSS stays under 600 MB; a second rerun of /visits (and of /chronology)
    takes under 2 s."""
    server, sampler, data = big_server
    assert (data / "events.csv").stat().st_size > 99_000_000
    timings = {}
    with proto.Session(server.base) as session:
        for page in ("visits", "trade", "chronology"):
            run = session.run(page, timeout=60)
            timings[page] = run.seconds
            assert run.ok and not run.exceptions(), page
            assert run.seconds < 10, f"/{page} took {run.seconds:.1f} s"
            if page == "chronology":
                shown = plain("\n".join(errors(run)))
                assert "events.csv" in shown and "MB" in shown, shown[:500]
            else:
                assert not errors(run), (page, errors(run))
                assert "plotly_chart" in kinds(run), page
        status, health = server.health()
        assert status == 200 and "events" in health["problems"], health
        again = {page: session.run(page).seconds for page in ("visits", "chronology")}
    peak = sampler.peak
    note(
        f"case 2: 100 MB broken events.csv: first runs {', '.join(f'/{p} {t:.2f} s' for p, t in timings.items())}; "
        f"second runs {', '.join(f'/{p} {t:.3f} s' for p, t in again.items())}; RSS peak {peak:.0f} MB"
    )
    assert all(t < 2 for t in again.values()), again
    assert peak < 600, f"RSS peak {peak:.0f} MB"


# ---------------------------------------------------------------------------------------------- 3, 5, 6 (basemap)


@pytest.fixture(scope="module")
def injected(tmp_path_factory, logs, plain_server):
    """The copy the server reads (no javascript: source: a broken sources.csv would stop every page, so the route
    name would never be drawn), and the validator's output on that copy plus the javascript: source."""
    root = tmp_path_factory.mktemp("injected")
    data = hd.copy_data(root / "data")
    hd.set_cell(data / "routes.csv", lambda r: r["route_id"] == ROUTE, "name", INJECTION)
    hd.set_cell(data / "names.csv", lambda r: r["kind"] == "route" and r["key"] == ROUTE, "en", INJECTION)
    lines = {
        "trade_turnover": hd.set_cell(
            data / "trade_turnover.csv",
            lambda r: r["flow"] == "total" and r["period"] == "annual",
            "value_usd_m",
            "1e400",
        ),
        "visits": hd.set_cell(data / "visits.csv", lambda r: r["documents_signed"] != "", "documents_signed", "1" * 30),
    }
    (data / "geo" / "countries.geojson").unlink()
    checked = hd.copy_data(root / "checked")
    for name in ("routes", "names", "trade_turnover", "visits"):
        (checked / f"{name}.csv").write_bytes((data / f"{name}.csv").read_bytes())
    lines["sources"] = hd.add_row(
        checked / "sources.csv",
        {
            "source_id": "evil_js",
            "kind": "primary",
            "title": "A source with a script address",
            "publisher": "x",
            "year": "2020",
            "doi_or_url": "javascript:alert(1)",
        },
    )
    validated = subprocess.run(
        [sys.executable, "-m", "components.data.validate", str(checked)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "AZKZ_STORE_DIR": "off"},
    )
    server = proto.start_server(logs, data_dir=data, store_dir=seeded_store(plain_server, root), name="injected")
    yield server, data, lines, validated
    server.stop()


def test_markdown_and_urls_from_the_data_are_shown_literally(injected):
    """Case 3, Markdown/URL injection from the data: a route's name (routes.csv and its English name in
    names.csv) is `![x](http://evil.invalid/p.png) :red[x] $x$ www.evil.invalid`, and sources.csv gets a row
    whose doi_or_url is `javascript:alert(1)`. The validator rejects the javascript: URL (printing it with its
    line and column); in every ForwardMsg of /corridors?corridor=<that route> (its volumes and its milestones tab)
    no string Streamlit renders as Markdown (bodies, captions, alerts, headings, widget and button labels, help,
    expander and tab labels) holds an unescaped `![`, `:red[`, `$x$` or `www.evil`: they appear
    backslash-escaped."""
    server, _data, lines, validated = injected
    out = validated.stdout
    assert validated.returncode == 1, out[-2000:] + validated.stderr[-2000:]
    wanted = f"sources.csv, line {lines['sources']}, column doi_or_url"
    found = [line for line in out.splitlines() if wanted in line]
    assert found and "javascript:alert(1)" in found[0], out[-3000:]
    assert f"FAIL {'routes'}" not in out and "FAIL names" not in out, "the name itself is valid data"

    shown_escaped = 0
    for query in (f"corridor={ROUTE}", f"corridor={ROUTE}&corridors_view=milestones"):
        with proto.Session(server.base) as session:
            run = session.run("corridors", query)
        assert run.ok and not run.exceptions(), query
        bad = []
        for path, value in run.markdown():
            if "evil" not in value:
                continue
            literal = re.sub(r"\\.", "", value)  # drop every escaped character: what is left is live Markdown
            if any(token in literal for token in ("![", ":red[", "$x$", "www.evil")):
                bad.append(f"{path}: {value[:160]!r}")
            elif r"\!\[x\]" in value:
                shown_escaped += 1
        assert not bad, f"{query}: data text rendered as Markdown:\n" + "\n".join(bad)
    assert shown_escaped, "the route's name was never drawn in Markdown (escaped), so nothing was checked"


def test_non_finite_and_overlong_numbers_make_a_table_broken(injected):
    """Case 5: `1e400` in trade_turnover.csv value_usd_m and a 30-digit integer in visits.csv documents_signed:
    /data/health.json lists both tables as broken; /data/trade_turnover.csv and /data/visits.csv answer 503
    (not a CSV holding inf or a wrapped number); the validator names each line and column."""
    server, _data, lines, validated = injected
    status, health = server.health()
    assert status == 200 and health["status"] == "degraded", health
    assert {"trade_turnover", "visits"} <= set(health["problems"]), health
    for name in ("trade_turnover", "visits"):
        status, headers, body = proto.http_get(f"{server.base}/data/{name}.csv")
        assert status == 503, (name, status, body[:300])
        assert "csv" not in headers.get("content-type", ""), headers
        assert b"inf" not in body.lower() and b"1e400" not in body
    out = validated.stdout
    for name, column, value in (("trade_turnover", "value_usd_m", "1e400"), ("visits", "documents_signed", "1" * 30)):
        wanted = f"{name}.csv, line {lines[name]}, column {column}: value '{value}'"
        assert wanted in out, f"{wanted!r} not in:\n{out[-3000:]}"


def test_a_missing_basemap_stops_the_map_only(injected):
    """Case 6 (missing data/geo/countries.geojson): /map shows the message naming the file; /corridors does not."""
    server = injected[0]
    with proto.Session(server.base) as session:
        page = session.run("map")
        assert page.ok and not page.exceptions()
        shown = plain("\n".join(errors(page)))
        assert "countries.geojson" in shown, shown[:500]
        other = session.run("corridors")
        assert other.ok and not other.exceptions()
        assert "countries.geojson" not in plain(other.all_text())
        assert not errors(other), errors(other)


# ---------------------------------------------------------------------------------------------- 6


@pytest.fixture(scope="module")
def no_package(tmp_path_factory, logs):
    root = tmp_path_factory.mktemp("nopackage")
    data = hd.copy_data(root / "data")
    (data / "datapackage.json").write_text('{ "name": "broken", this is not JSON', encoding="utf-8")
    server = proto.start_server(logs, data_dir=data, store_dir=root / "store", name="nopackage")
    yield server, root
    server.stop()


PAGES = ["", "trade", "visits", "chronology", "corridors", "map", "diaspora", "facts", "sources"]


def test_an_invalid_datapackage_gives_every_page_a_clear_message(no_package):
    """Case 6, datapackage.json is not JSON: every page answers with the clear message (its text names
    datapackage.json), no exception element, and no absolute path of the server (its data folder, a tmp path;
    nor the repository's path in any drawn element) in any ForwardMsg; health.json says broken."""
    server, root = no_package
    secret = str(root).encode()
    with proto.Session(server.base) as session:
        for page in PAGES:
            run = session.run(page)
            assert run.ok, page
            assert not run.exceptions(), (page, [e.message for e in run.exceptions()])
            assert "datapackage.json" in plain("\n".join(errors(run))), (page, errors(run))
            leaks = [i for i, raw in enumerate(run.raw) if secret in raw]
            assert not leaks, f"/{page}: the data folder's path {root} is in a ForwardMsg"
            drawn = run.all_text()
            assert str(ROOT) not in drawn and str(root) not in drawn, page
    status, health = server.health()
    assert status == 503 and health["status"] == "broken", health
    assert str(root) not in str(health)


# ---------------------------------------------------------------------------------------------- 6, 7


@pytest.fixture(scope="module")
def edits(tmp_path_factory, logs, plain_server):
    root = tmp_path_factory.mktemp("edits")
    data = hd.copy_data(root / "data")
    header = (data / "events.csv").read_text(encoding="utf-8").splitlines()[0]
    (data / "events.csv").write_text(header + "\n", encoding="utf-8")
    server = proto.start_server(logs, data_dir=data, store_dir=seeded_store(plain_server, root), name="edits")
    yield server, data
    server.stop()


def test_a_header_only_csv_says_it_has_no_rows(edits):
    """Case 6 (events.csv has its header and no rows): the page reading it says the file has no rows."""
    server = edits[0]
    with proto.Session(server.base) as session:
        run = session.run("chronology")
    assert run.ok and not run.exceptions()
    shown = plain("\n".join(errors(run)))
    assert "events.csv" in shown and "no rows" in shown, shown[:500]


def _turnover(server: proto.Server) -> bytes:
    status, _h, body = proto.http_get(server.base + "/data/trade_turnover.csv")
    assert status == 200, (status, body[:300])
    return body


def test_a_same_size_edit_that_keeps_the_mtime_is_picked_up(edits):
    """Case 7, edits (a): a same-size edit of trade_turnover.csv (99.09 -> 99.07) that keeps the old mtime
    (os.utime, as `cp -p`, `rsync -a` or `tar x` leave it) shows in the next /data/trade_turnover.csv and the
    next /trade rerun does not fail."""
    server, data = edits
    path = data / "trade_turnover.csv"
    with proto.Session(server.base) as session:
        first = session.run("trade")
        assert first.ok and not first.exceptions() and not errors(first)
        assert turnover_value(_turnover(server), "2001", "kz_to_az", "AZ") == "99.09"
        stat = path.stat()
        text = path.read_bytes()
        old, new = b"2001,annual,kz_to_az,AZ,99.09,", b"2001,annual,kz_to_az,AZ,99.07,"
        assert text.count(old) == 1
        path.write_bytes(text.replace(old, new))
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
        rerun = session.run("trade")
        assert rerun.ok and not rerun.exceptions() and not errors(rerun)
    assert turnover_value(_turnover(server), "2001", "kz_to_az", "AZ") == "99.07", "the edit was missed"


def _write_in_place(server: proto.Server, path: Path, cut: int) -> dict:
    """Rewrite `path` in place: its first `cut` bytes, then (a session that had the table reruns /trade, the CSV
    and health are requested) the rest. What was seen while the file was cut."""
    content = path.read_bytes()
    seen: dict = {}
    with proto.Session(server.base) as session:
        first = session.run("trade")
        assert first.ok and not errors(first)
        good = _turnover(server)
        with path.open("wb") as fh:
            try:
                fh.write(content[:cut])
                fh.flush()
                os.fsync(fh.fileno())
                seen["run"] = session.run("trade")
                seen["csv"] = proto.http_get(server.base + "/data/trade_turnover.csv")
                seen["health"] = server.health()
            finally:
                fh.write(content[cut:])
        seen["good"] = good
        seen["done"] = session.run("trade")
        seen["final"] = _turnover(server)
        seen["final_health"] = server.health()
    assert path.read_bytes() == content
    return seen


def _check_last_good(seen: dict, what: str) -> None:
    during = seen["run"]
    assert during.ok and not during.exceptions()
    assert not errors(during), f"{what}: a session that had the table was shown an error: {errors(during)}"
    assert "plotly_chart" in kinds(during), f"{what}: the chart was not drawn from the last good version"
    status, _h, served = seen["csv"]
    assert status == 200, (what, status)
    served_rows, good_rows = len(csv_rows(served)), len(csv_rows(seen["good"]))
    assert served == seen["good"], (
        f"{what}: /data/trade_turnover.csv served {served_rows} rows, not the last good version's {good_rows}"
    )
    hstatus, health = seen["health"]
    assert hstatus == 200 and health["status"] == "degraded" and "trade_turnover" in health["stale"], (what, health)
    assert any("trade_turnover.csv" in plain(w) for w in warnings_(during)), (
        f"{what}: no notice that the last valid version is shown: {warnings_(during)}"
    )
    done = seen["done"]
    assert done.ok and not errors(done)
    assert not any("trade_turnover.csv" in plain(w) for w in warnings_(done)), warnings_(done)
    assert seen["final"] == seen["good"] or len(csv_rows(seen["final"])) == good_rows
    assert "trade_turnover" not in seen["final_health"][1]["stale"], seen["final_health"]


def test_a_csv_cut_inside_a_row_serves_the_last_good_version(edits):
    """Case 7, edits (b1): trade_turnover.csv written in place and cut inside an unquoted field of a row (the
    written part ends with a row of 3 fields): a session that had the table sees no error (the page draws from the
    last good version, with a notice), /data/trade_turnover.csv serves the last good version, health says
    "degraded" with trade_turnover stale; once the rest is written, nothing is stale."""
    server, data = edits
    path = data / "trade_turnover.csv"
    content = path.read_bytes()
    cut = content.index(b"\n2012,annual,kz_to_az,") + len(b"\n2012,annual,kz_to")
    seen = _write_in_place(server, path, cut)
    _check_last_good(seen, "cut inside a row")


def test_a_csv_cut_in_half_inside_a_quoted_field_serves_the_last_good_version(edits):
    """Case 7, edits (b2): trade_turnover.csv written in place, its first half written: the cut falls inside a
    quoted field (the `note` of a row: the written part ends in an open quote). That half-written file must not
    count as a new, shorter version: as in (b1), the session sees no error, the CSV address serves the last good
    version (all its rows), health says "degraded" with trade_turnover stale."""
    server, data = edits
    path = data / "trade_turnover.csv"
    content = path.read_bytes()
    opening = content.index(b',"', len(content) // 2) + 2  # the first quoted field from the middle on
    closing = content.index(b'"', opening)
    cut = opening + (closing - opening) // 2  # inside it: an open quote at the end of what is written
    assert content.count(b"\n", 0, cut) < content.count(b"\n") - 1, "the cut must leave rows unwritten"
    seen = _write_in_place(server, path, cut)
    note(
        f"case 7: trade_turnover.csv cut at byte {cut} of {len(content)} inside a quoted field: /trade rerun "
        f"{seen['run'].seconds:.3f} s, the CSV address served {len(csv_rows(seen['csv'][2]))} rows "
        f"(the last good version has {len(csv_rows(seen['good']))}); health {seen['health'][1].get('status')}, "
        f"stale {seen['health'][1].get('stale')}"
    )
    _check_last_good(seen, "cut inside a quoted field")
