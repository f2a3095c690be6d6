"""Browser test rig: one Streamlit server and one Chromium for the whole session, offline-only pages.

- `app_url`: starts `python -m streamlit run app.py` on a free loopback port once per session, waits for
  /_stcore/health (no browser session is opened before the first test: the first page a test opens is the
  fresh server's first session; test_pages.py's deep-link test is moved to the front for that).
- `browser`: Playwright's Chromium, always the system build at CHROMIUM_PATH (default /usr/bin/chromium); the
  tests FAIL (never skip) when it is missing. Every request to a host other than 127.0.0.1/localhost goes to a
  dead proxy (so it cannot leave the machine) and is recorded.
- `page` (1400x900, en-GB), `phone_page` (Playwright's iPhone 13 at 390x844: mobile, touch, a Mobile
  User-Agent) and `page_in(locale)` (a desktop page whose browser language is `locale`); `desktop_view` and
  `phone_view`: every page (and tab) opened once, shared by the tests that only read it. Tabs are long-lived
  and reset between tests (see `Tabs`). A test fails at teardown if its page tried to reach another host,
  threw (pageerror), opened a dialog or hit Streamlit's "page not found".
- A failing test leaves a screenshot of its page as it was: artifacts/screenshots/FAILED-<test>.png.
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
from urllib.parse import urlsplit

import pytest

from tests.browser.helpers import ARTIFACTS, DESKTOP, PAGES, PHONE, SCREENSHOTS, VIEWS, View, goto

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
    "--disable-extensions",
    "--disable-features=Translate,MediaRouter,OptimizationHints",
]
# Every request that is not to the machine itself is sent to this proxy, where nothing listens: the page cannot
# reach the internet even where the machine could. (A Playwright route would do the same but switches the HTTP
# cache off, which costs ~1.5 s on every Streamlit page load.) The requests are still seen and recorded.
DEAD_PROXY = {"server": "http://127.0.0.1:9", "bypass": "127.0.0.1,localhost"}
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# Streamlit's frontend logs these (and shows a modal) when the server could not resolve the URL's page.
PAGE_NOT_FOUND = ("does not seem to exist", "but no corresponding file was found", "Page not found")
STARTUP_TIMEOUT_S = 90


def pytest_configure(config):
    config.addinivalue_line("markers", "fresh_server: runs first, while the session's server has had no visitor")


@pytest.hookimpl(trylast=True)  # after pytest has grouped the tests by the views they share
def pytest_collection_modifyitems(session, config, items):
    """The deep-link test must be the first browser session of the fresh server."""
    first = [item for item in items if item.get_closest_marker("fresh_server")]
    if first:
        items[:] = first + [item for item in items if item not in first]


# --- server -----------------------------------------------------------------------------------------------------


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
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("AZKZ_DATA_DIR", None)  # the browser suite always runs against the real data/
    with SERVER_LOG.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=ARTIFACTS.parent, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not _healthy(url):
            if process.poll() is not None:
                pytest.fail(
                    f"streamlit exited with code {process.returncode} before it was healthy.\n"
                    f"--- server log ({SERVER_LOG}) ---\n{_log_text()}",
                    pytrace=False,
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"streamlit was not healthy at {url}/_stcore/health after {STARTUP_TIMEOUT_S} s.\n"
                    f"--- server log ({SERVER_LOG}) ---\n{_log_text()}",
                    pytrace=False,
                )
            time.sleep(0.25)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


# --- browser ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright):
    """One Chromium for the session. Missing Chromium is a failure, never a skip."""
    if not (os.path.isfile(CHROMIUM_PATH) and os.access(CHROMIUM_PATH, os.X_OK)):
        pytest.fail(
            f"Chromium not found at {CHROMIUM_PATH}: the browser tests need it and are never skipped.\n"
            "Install it with `apt-get install -y --no-install-recommends chromium fonts-dejavu-core` "
            "(as root; `bash scripts/test.sh` does this when run as root), or set CHROMIUM_PATH.",
            pytrace=False,
        )
    launched = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS, proxy=DEAD_PROXY)
    try:
        yield launched
    finally:
        launched.close()


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about", "chrome-error"):
        return True
    return (parts.hostname or "") in LOCAL_HOSTS


@dataclass
class PageLog:
    """What a page did that a test may assert on (and what fails it at teardown)."""

    blocked: list[str] = field(default_factory=list)  # off-machine requests (sent to the dead proxy)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def take_problems(self) -> list[str]:
        """The problems so far, forgetting them (a shared page reports each to the test it happened in)."""
        found = self.problems()
        self.blocked.clear()
        self.page_errors.clear()
        self.dialogs.clear()
        self.console_errors[:] = [t for t in self.console_errors if not any(s in t for s in PAGE_NOT_FOUND)]
        return found

    def problems(self) -> list[str]:
        found = []
        if self.blocked:
            found.append(
                "the page tried to reach other hosts (the app must work offline):\n  " + "\n  ".join(self.blocked)
            )
        if self.page_errors:
            found.append("uncaught errors in the page:\n  " + "\n  ".join(self.page_errors))
        if self.dialogs:
            found.append("the page opened dialogs:\n  " + "\n  ".join(self.dialogs))
        not_found = [text for text in self.console_errors if any(s in text for s in PAGE_NOT_FOUND)]
        if not_found:
            found.append(
                "Streamlit reported a page as not found (it shows a 'Page not found' modal):\n  "
                + "\n  ".join(not_found)
            )
        return found


LOGS: dict[int, PageLog] = {}  # id(page) -> its log, for every page a test opened


def log_of(page) -> PageLog:
    return LOGS[id(page)]


def _watch(page) -> PageLog:
    log = PageLog()
    LOGS[id(page)] = log

    def on_request(request):
        if not _is_local(request.url):
            log.blocked.append(f"{request.method} {request.url}")

    def on_websocket(ws):
        if not _is_local(ws.url.replace("ws://", "http://", 1).replace("wss://", "https://", 1)):
            log.blocked.append(f"WEBSOCKET {ws.url}")

    def on_dialog(dialog):
        log.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("request", on_request)
    page.on("websocket", on_websocket)
    page.on("console", lambda msg: msg.type == "error" and log.console_errors.append(msg.text))
    page.on("pageerror", lambda error: log.page_errors.append(str(error)))
    page.on("dialog", on_dialog)
    return log


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


class Tabs:
    """The browser contexts and tabs of the session: one context per profile (desktop or phone, browser locale)
    and in it one long-lived tab per use ("page": the tests' own page; "view": the views shared by several
    tests). A new tab costs ~2 s more per Streamlit page load than a navigation in a tab that has loaded the app
    before, so tabs are reused: between two tests the tab's storage is cleared (Streamlit keeps e.g. the
    sidebar's state there) and it is sent to about:blank; every page load starts a new Streamlit session."""

    def __init__(self, browser, playwright):
        self.browser = browser
        self.playwright = playwright
        self.contexts: dict[tuple[str, str], object] = {}
        self.tabs: dict[tuple[str, str, str], object] = {}

    def context(self, kind: str = "desktop", locale: str = "en-GB"):
        key = (kind, locale)
        if key not in self.contexts:
            common = {"accept_downloads": True, "service_workers": "block", "locale": locale, "timezone_id": "UTC"}
            if kind == "phone":
                device = {k: v for k, v in self.playwright.devices["iPhone 13"].items() if k != "default_browser_type"}
                # iPhone 13's CSS viewport is 390x844 (Playwright's descriptor leaves room for Safari's bars);
                # a 2x screen keeps the full-page screenshots of long pages a manageable size.
                device.update(viewport=dict(PHONE), screen=dict(PHONE), device_scale_factor=2)
                context = self.browser.new_context(**device, **common)
            else:
                context = self.browser.new_context(viewport=dict(DESKTOP), **common)
            context.set_default_timeout(45_000)
            self.contexts[key] = context
        return self.contexts[key]

    def tab(self, kind: str = "desktop", locale: str = "en-GB", use: str = "page"):
        key = (kind, locale, use)
        opened = self.tabs.get(key)
        if opened is None or opened.is_closed():
            opened = self.context(kind, locale).new_page()
            _watch(opened)
            self.tabs[key] = opened
        opened.set_viewport_size(dict(PHONE if kind == "phone" else DESKTOP))
        return opened

    def close(self):
        for context in self.contexts.values():
            context.close()


@pytest.fixture(scope="session")
def tabs(browser, playwright):
    shared = Tabs(browser, playwright)
    yield shared
    shared.close()


def _shot_name(request, index: int) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    return f"FAILED-{name}" + (f"-{index}" if index else "")


def failure_screenshot(opened, name: str) -> None:
    """What the page looked like when its test failed: the window as it was (cheap; never hides the failure)."""
    if opened.is_closed():
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        opened.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    except Exception as error:
        print(f"could not save the failure screenshot {name}: {error}")  # noqa: T201 - shown with the test's report


def release(opened) -> list[str]:
    """A test is done with a tab: what the tab did wrong meanwhile (offline, errors, dialogs, page not found);
    then its storage is cleared and it goes to about:blank for the next test."""
    log = LOGS.get(id(opened), PageLog())
    if log.console_errors:
        print("console errors:\n  " + "\n  ".join(log.console_errors))  # noqa: T201 - shown with the test's report
    problems = log.take_problems()
    log.console_errors.clear()
    if opened.is_closed():
        return problems
    try:
        if opened.url.startswith("http"):
            opened.evaluate("() => { try { localStorage.clear(); sessionStorage.clear(); } catch (e) {} }")
        opened.goto("about:blank")
    except Exception as error:
        print(f"could not reset the tab ({error}); closing it")  # noqa: T201 - shown with the test's report
        opened.close()
    return problems


def _finish(request, used: list) -> None:
    """Teardown of a test's tabs: a screenshot if it failed, then release them; fail on what they did."""
    report = getattr(request.node, "rep_call", None)
    problems = []
    for index, opened in enumerate(used):
        if report is not None and report.failed:
            failure_screenshot(opened, _shot_name(request, index))
        problems += release(opened)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def page(request, tabs, app_url):
    """A desktop page (1400x900, browser language en-GB), offline-only."""
    opened = tabs.tab("desktop", "en-GB")
    yield opened
    _finish(request, [opened])


@pytest.fixture
def phone_page(request, tabs, app_url):
    """A phone page: Playwright's iPhone 13 (390x844 CSS px, is_mobile, has_touch, a Mobile User-Agent)."""
    opened = tabs.tab("phone", "en-GB")
    yield opened
    _finish(request, [opened])


@pytest.fixture
def page_in(request, tabs, app_url):
    """`page_in("ru-RU")`: a desktop page whose browser language (navigator.language, Accept-Language) is that
    locale; `page_in("ru-RU", kind="phone")` for a phone."""
    used = []

    def open_page(locale: str, kind: str = "desktop"):
        opened = tabs.tab(kind, locale)
        used.append(opened)
        return opened

    yield open_page
    _finish(request, used)


# --- views shared by several tests ------------------------------------------------------------------------------
#
# Opening a view costs a Streamlit session and a script run; checks that only read the page (render checks, axe,
# names, layout on a phone) share one opened view. The fixtures are session-scoped and parametrized, so pytest
# runs every test of one view together, across files, and opens each view once.

SHARED: dict[str, object] = {}  # kind -> the tab holding the shared view now


def _open_shared(request, tabs, app_url, kind: str):
    view: View = request.param
    opened = tabs.tab(kind, "en-GB", use="view")
    SHARED[kind] = opened
    try:
        goto(opened, view.url(app_url))
        try:  # the tests assert what must be drawn; here it is only waited for
            opened.locator(view.drawn).first.wait_for(state="visible", timeout=60_000)
        except Exception as error:
            print(f"{view.name}: {view.drawn} not visible: {error}")  # noqa: T201 - shown with the test's report
        yield opened, view
    finally:
        SHARED.pop(kind, None)
        release(opened)


@pytest.fixture(scope="session", params=VIEWS, ids=[v.name for v in VIEWS])
def desktop_view(request, tabs, app_url):
    """(page, view): every page and every tab, opened once by its link at 1400x900 (browser language en-GB)."""
    yield from _open_shared(request, tabs, app_url, "desktop")


@pytest.fixture(scope="session", params=PAGES, ids=[p.page for p in PAGES])
def phone_view(request, tabs, app_url):
    """(page, view): every page, opened once by its link on the phone (390x844, mobile, touch)."""
    yield from _open_shared(request, tabs, app_url, "phone")


@pytest.fixture(autouse=True)
def _check_shared_pages(request):
    """After each test: a failure screenshot of the shared view it used, and what that page did wrong."""
    yield
    report = getattr(request.node, "rep_call", None)
    used = [SHARED[k] for k in ("desktop", "phone") if f"{k}_view" in request.fixturenames and k in SHARED]
    problems = []
    for opened in used:
        if report is not None and report.failed:
            failure_screenshot(opened, _shot_name(request, 0))
        if id(opened) in LOGS:
            problems += LOGS[id(opened)].take_problems()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
