"""Browser test rig: one Streamlit server and one Chromium per session, an offline-only page per test.

- `app_url`: starts `python -m streamlit run app.py` on a free loopback port, waits for /_stcore/health.
- `browser`: Playwright's Chromium, always the system build at CHROMIUM_PATH (default /usr/bin/chromium);
  the tests FAIL (never skip) when it is missing, so CI has to prove them.
- `page`: a fresh context whose every request to a host other than 127.0.0.1/localhost is aborted and
  recorded; the test fails at teardown if one was attempted, or if the page threw (pageerror).
- `wait_ready(page)`: the app has finished its script run and drawn everything.
- `screenshot(page, name)`: the whole page into artifacts/screenshots/<name>.png.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
SERVER_LOG = ARTIFACTS / "streamlit-server.log"

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# Streamlit's frontend logs these (and shows a modal) when the server could not resolve the URL's page.
PAGE_NOT_FOUND = ("does not seem to exist", "but no corresponding file was found")
STARTUP_TIMEOUT_S = 60
VIEWPORT = {"width": 1400, "height": 900}

# The app root carries the script-run state (streamlit frontend: "data-test-script-state":
# `initial` before the first run, then `running` / `notRunning` / `rerunRequested`).
READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'
BUSY_PARTS = (
    '[data-testid="stSpinner"]',
    '[data-testid="stSkeleton"]',
    '[data-testid="stSkeletonElement"]',
    '[data-testid="stAppSkeleton"]',
    '[data-stale="true"]',  # elements of the previous run not yet replaced
)
BUSY = ", ".join(BUSY_PARTS)


# --- server -----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _log_text() -> str:
    try:
        return SERVER_LOG.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no server log)"


@pytest.fixture(scope="session")
def app_url() -> str:
    """Base URL (no trailing slash) of one `streamlit run app.py` for the whole session."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for stale in SCREENSHOTS.glob("FAILED-*.png"):  # failure shots of an earlier run
        stale.unlink()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("AZKZ_DATA_DIR", None)  # the browser suite always runs against the real data/
    with SERVER_LOG.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not _healthy(url):
            if process.poll() is not None:
                pytest.fail(f"streamlit exited with code {process.returncode} before it was healthy.\n"
                            f"--- server log ({SERVER_LOG}) ---\n{_log_text()}", pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit was not healthy at {url}/_stcore/health "
                            f"after {STARTUP_TIMEOUT_S} s.\n"
                            f"--- server log ({SERVER_LOG}) ---\n{_log_text()}", pytrace=False)
            time.sleep(0.25)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


# --- browser ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the session. Missing Chromium is a failure, never a skip."""
    if not (os.path.isfile(CHROMIUM_PATH) and os.access(CHROMIUM_PATH, os.X_OK)):
        pytest.fail(
            f"Chromium not found at {CHROMIUM_PATH}: the browser tests need it and are never skipped.\n"
            "Install it with `apt-get install -y --no-install-recommends chromium fonts-dejavu-core` "
            "(as root; `bash scripts/test.sh` does this when run as root), or set CHROMIUM_PATH.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class PageLog:
    """What a page did that a test may assert on."""

    blocked: list[str] = field(default_factory=list)  # off-machine requests that were aborted
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about", "chrome-error"):
        return True
    return (parts.hostname or "") in LOCAL_HOSTS


@pytest.fixture
def page_log() -> PageLog:
    return PageLog()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def page(request, browser, app_url, page_log: PageLog):
    """A page in its own context; off-machine requests are aborted and fail the test at teardown."""
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True, service_workers="block",
                                  locale="en-GB", timezone_id="UTC")
    context.set_default_timeout(45_000)

    def route(route):
        url = route.request.url
        if _is_local(url):
            route.continue_()
        else:
            page_log.blocked.append(f"{route.request.method} {url}")
            route.abort("blockedbyclient")

    def route_socket(ws):
        page_log.blocked.append(f"WEBSOCKET {ws.url}")
        ws.close()

    context.route("**/*", route)
    context.route_web_socket(re.compile(r"^wss?://(?!(127\.0\.0\.1|localhost)(:\d+)?/)"), route_socket)
    new_page = context.new_page()
    new_page.on("console", lambda msg: msg.type == "error" and page_log.console_errors.append(msg.text))
    new_page.on("pageerror", lambda error: page_log.page_errors.append(str(error)))

    def on_dialog(dialog):
        page_log.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    new_page.on("dialog", on_dialog)
    yield new_page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:  # keep what the page looked like when it failed
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        try:
            new_page.screenshot(path=str(SCREENSHOTS / f"FAILED-{name}.png"), full_page=True)
        except Exception as error:  # noqa: BLE001 - a failed screenshot must not hide the failure
            print(f"could not save the failure screenshot: {error}")
    context.close()
    if page_log.console_errors:
        print("console errors:\n  " + "\n  ".join(page_log.console_errors))
    problems = []
    if page_log.blocked:
        problems.append("the page tried to reach other hosts (the app must work offline):\n  "
                        + "\n  ".join(page_log.blocked))
    if page_log.page_errors:
        problems.append("uncaught errors in the page:\n  " + "\n  ".join(page_log.page_errors))
    not_found = [text for text in page_log.console_errors if any(s in text for s in PAGE_NOT_FOUND)]
    if not_found:
        problems.append("Streamlit reported a page as not found (it shows a 'Page not found' modal):\n  "
                        + "\n  ".join(not_found))
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


# --- helpers for tests ------------------------------------------------------------------------


def wait_ready(page, timeout_ms: int = 60_000, settle_ms: int = 600) -> None:
    """Wait until the script run has finished and nothing is still loading, stale or spinning.

    The state must hold for `settle_ms` (three checks in a row), so a rerun that starts right after
    a run (query-param sync, page switch) is not mistaken for the end.
    """
    page.wait_for_selector(READY, state="attached", timeout=timeout_ms)
    deadline = time.monotonic() + timeout_ms / 1000
    stable = 0
    while stable < 3:
        settled = page.evaluate("([ready, busy]) => !!document.querySelector(ready) && "
                                "!document.querySelector(busy)", [READY, BUSY])
        stable = stable + 1 if settled else 0
        if time.monotonic() > deadline:
            raise AssertionError(f"the app did not settle within {timeout_ms} ms ({page.url})")
        page.wait_for_timeout(settle_ms // 3)


def goto(page, url: str) -> None:
    page.goto(url, wait_until="domcontentloaded")
    wait_ready(page)


def screenshot(page, name: str) -> Path:
    """Full-page screenshot. Streamlit scrolls inside its main section, so the viewport is grown to
    the content's height first (and restored after)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    height = page.evaluate(
        "() => Math.max(document.documentElement.scrollHeight,"
        " ...[...document.querySelectorAll('[data-testid=\"stMain\"], section.main, "
        "[data-testid=\"stAppViewContainer\"]')].map(e => e.scrollHeight))"
    )
    size = page.viewport_size or VIEWPORT
    tall = max(size["height"], min(int(height) + 40, 12_000))
    page.set_viewport_size({"width": size["width"], "height": tall})
    try:
        page.wait_for_timeout(800)  # let charts re-lay out to the new size
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(size)
    return path
