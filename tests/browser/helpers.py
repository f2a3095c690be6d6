"""What the browser tests share: the pages and tabs of the app, waiting for Streamlit, screenshots, reading the
frame (year slider, language, sidebar navigation) and the checks every page must pass.

The fixtures (server, browser, pages) are in conftest.py; this module holds plain functions, so the tests
import them explicitly.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from playwright.sync_api import TimeoutError as PlaywrightTimeout

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
ARTIFACTS = ROOT / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
EXPORTS = ARTIFACTS / "exports"

SITE = "Azerbaijan–Kazakhstan relations"
_COVERAGE = json.loads((DATA / "datapackage.json").read_text(encoding="utf-8"))["x_coverage"]
# The year range a link without ?from/?to opens with: 1991 to the data's last year.
DEFAULT_YEARS = [int(_COVERAGE["default_start"]), int(_COVERAGE["end"])]
DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}

# --- what a page draws ------------------------------------------------------------------------------------------

PLOTLY = '[data-testid="stPlotlyChart"] .main-svg'
GRID = '[data-testid="stDataFrame"] canvas'  # glide-data-grid draws its cells on a canvas
MAP = '[data-testid="stDeckGlJsonChart"] canvas'
CHART = '[data-testid="stPlotlyChart"]'
EXCEPTION = '[data-testid="stException"]'
DOWNLOAD = '[data-testid="stDownloadButton"] button'
SIDEBAR = '[data-testid="stSidebar"]'
NAV_LINK = '[data-testid="stSidebarNav"] a'
SLIDER = f'{SIDEBAR} [data-testid="stSlider"]'
# Streamlit 1.67's slider thumbs are react-aria <input type="range"> (value in .value); older builds used
# div[role="slider"][aria-valuenow]. Both are read.
SLIDER_THUMBS = f'{SLIDER} [role="slider"], {SLIDER} input[type="range"]'
LANGUAGE = f'{SIDEBAR} [data-testid="stSelectbox"]'
LANGUAGE_LABEL = "Language · Язык · Dil · Тіл"
FORMAT_RADIO = f'{SIDEBAR} [data-testid="stRadio"]'
ICON = '[data-testid="stIconMaterial"]'  # Material Symbols: the icon's name is ligature text ("download")


@dataclass(frozen=True)
class View:
    """One page of the app, or one tab of it (`tab` is the tab's URL id; None: the page as it opens)."""

    page: str  # short name: overview, trade, ...
    path: str  # URL path
    title: str  # its title in the navigation and in <title>
    heading: str  # its h1
    drawn: str  # selector of what it must draw
    tab: str | None = None
    tab_label: str | None = None

    @property
    def name(self) -> str:
        return self.page if self.tab is None else f"{self.page}_{self.tab}"

    @property
    def doc_title(self) -> str:
        return f"{self.title} — {SITE}"

    @property
    def params(self) -> dict[str, str]:
        return {f"{self.page}_view": self.tab} if self.tab else {}

    def url(self, base: str, **params: str) -> str:
        query = {**self.params, **params}
        return base + self.path + ("?" + urlencode(query) if query else "")


PAGES = [
    View("overview", "/", "Overview", SITE, PLOTLY),
    View("trade", "/trade", "Trade", "Trade", PLOTLY),
    View("visits", "/visits", "Visits & agreements", "Visits & agreements", PLOTLY),
    View("chronology", "/chronology", "Chronology", "Chronology", PLOTLY),
    View("corridors", "/corridors", "Corridors", "Corridors", PLOTLY),
    View("map", "/map", "Map", "Map of routes", MAP),
    View("diaspora", "/diaspora", "Diaspora", "Diaspora", PLOTLY),
    View("facts", "/facts", "Facts & figures", "Facts & figures", PLOTLY),
    View("sources", "/sources", "Sources & data", "Sources & data", GRID),
]
PAGE = {p.page: p for p in PAGES}
NAV_TITLES = [p.title for p in PAGES]

# Every tab of every page: (id, label, what it draws); the first one is what the page opens with (no parameter).
TABS = {
    "trade": [
        ("turnover", "Turnover", PLOTLY),
        ("balance", "Balance and change", PLOTLY),
        ("products", "Top products", PLOTLY),
        ("figures", "Trade and investment figures", PLOTLY),
    ],
    "visits": [
        ("visits", "Visits and meetings", PLOTLY),
        ("documents", "Agreements and documents", PLOTLY),
        ("commission", "Intergovernmental commission", GRID),
    ],
    "corridors": [
        ("volumes", "Volumes", PLOTLY),
        ("milestones", "Milestones", PLOTLY),
        ("glance", "All corridors at a glance", GRID),
        ("energy", "Energy context", PLOTLY),
    ],
}


def tab_views(page: str) -> list[View]:
    """The tabs after the first of a page, as views opened by their link."""
    base = PAGE[page]
    return [
        View(base.page, base.path, base.title, base.heading, drawn, tab, label)
        for tab, label, drawn in TABS.get(page, [])[1:]
    ]


VIEWS = [view for page in PAGES for view in (page, *tab_views(page.page))]  # every page and every tab


# --- waiting for Streamlit --------------------------------------------------------------------------------------

# The app root carries the script-run state (streamlit frontend: "data-test-script-state":
# `initial` before the first run, then `running` / `notRunning` / `rerunRequested`).
READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'
BUSY = ", ".join(
    (
        '[data-testid="stSpinner"]',
        '[data-testid="stSkeleton"]',
        '[data-testid="stSkeletonElement"]',
        '[data-testid="stAppSkeleton"]',
        '[data-stale="true"]',  # elements of the previous run not yet replaced
    )
)


def wait_ready(page, timeout_ms: int = 60_000, settle_ms: int = 300) -> None:
    """Wait until the script run has finished and nothing is still loading, stale or spinning.

    The state must hold for `settle_ms` (three checks in a row), so a rerun that starts right after a run
    (query-param sync, page switch) is not mistaken for the end."""
    page.wait_for_selector(READY, state="attached", timeout=timeout_ms)
    deadline = time.monotonic() + timeout_ms / 1000
    stable = 0
    while stable < 3:
        settled = page.evaluate(
            "([ready, busy]) => !!document.querySelector(ready) && !document.querySelector(busy)", [READY, BUSY]
        )
        stable = stable + 1 if settled else 0
        if time.monotonic() > deadline:
            raise AssertionError(f"the app did not settle within {timeout_ms} ms ({page.url})")
        page.wait_for_timeout(settle_ms // 3)


def rerun_of(page, action: Callable[[], None]) -> None:
    """Do `action` (a click that reruns the script) and wait until that rerun has finished: wait_ready alone can
    pass before a rerun has started, and a widget clicked while it is redrawn is detached under the click. Any change
    of the script state counts (a short run can go to running and back before the observer looks)."""
    page.evaluate(
        """() => { const app = document.querySelector('[data-testid=stApp]'); window.__runs = 0;
        window.__runsSeen?.disconnect();
        window.__runsSeen = new MutationObserver((changes) => { window.__runs += changes.length; });
        window.__runsSeen.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']}); }"""
    )
    action()
    with contextlib.suppress(PlaywrightTimeout):  # a run too brief to flip the attribute is not seen
        page.wait_for_function("() => window.__runs > 0", timeout=5_000)
    wait_ready(page)


def goto(page, url: str) -> None:
    page.goto(url, wait_until="domcontentloaded")
    wait_ready(page)


def open_view(page, base: str, view: View, **params: str) -> None:
    """Open a page or tab by its link and wait until it has drawn what it must."""
    goto(page, view.url(base, **params))
    page.locator(view.drawn).first.wait_for(state="visible", timeout=60_000)


def settle_frames(page) -> None:
    """Two animation frames: what a resize or a scroll changes is laid out and painted."""
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def click_nav(page, title: str, path: str) -> None:
    """Switch page with the sidebar link (a client-side switch: the session and its state stay)."""
    titles = nav_titles(page)
    assert title in titles, f"no sidebar link {title!r}: {titles}"
    page.locator(NAV_LINK).nth(titles.index(title)).click()
    page.wait_for_url(re.compile(r"^https?://[^/]+" + re.escape(path.rstrip("/")) + r"/?(\?.*)?$"))
    wait_ready(page)


def choose_leader(page, name: str) -> None:
    """Pick a visitor in the Visits page's first filter (typing narrows the list: it shows only the first
    options until then)."""
    box = page.locator('[data-testid="stMain"] [data-testid="stMultiSelect"]').first
    box.click()
    box.locator("input").first.fill(name)
    page.get_by_role("option", name=name, exact=True).click()
    page.keyboard.press("Escape")


def click_tab(page, label: str) -> None:
    page.get_by_role("tab", name=label, exact=True).click()
    page.wait_for_function(
        "label => [...document.querySelectorAll('[role=tab]')].some(t => t.innerText.trim() === label && "
        "t.getAttribute('aria-selected') === 'true')",
        arg=label,
    )
    wait_ready(page)


# --- screenshots ------------------------------------------------------------------------------------------------


def screenshot(page, name: str, folder: Path = SCREENSHOTS, max_height: int = 12_000) -> Path:
    """Full-page screenshot. Streamlit scrolls inside its main section, so the viewport is grown to the content's
    height first (and restored after)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    height = page.evaluate(
        "() => Math.max(document.documentElement.scrollHeight,"
        ' ...[...document.querySelectorAll(\'[data-testid="stMain"], section.main, '
        '[data-testid="stAppViewContainer"]\')].map(e => e.scrollHeight))'
    )
    size = page.viewport_size or DESKTOP
    tall = max(size["height"], min(int(height) + 40, max_height))
    page.set_viewport_size({"width": size["width"], "height": tall})
    try:
        settle_frames(page)
        wait_ready(page)
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(size)
    return path


# --- the frame and the page -------------------------------------------------------------------------------------


def nav_titles(page) -> list[str]:
    """The sidebar navigation's link texts, without the icons' ligature names."""
    return page.locator(NAV_LINK).evaluate_all(
        """(links, icon) => links.map(a => { const c = a.cloneNode(true);
             c.querySelectorAll(icon).forEach(i => i.remove()); return c.textContent.trim(); })""",
        ICON,
    )


def slider_values(page) -> list[int]:
    """The year range as the sidebar slider holds it and shows it (the two must agree)."""
    held = page.locator(SLIDER_THUMBS).evaluate_all(
        "els => els.map(e => Number(e.getAttribute('aria-valuenow') ?? e.value))"
    )
    labels = page.locator(f'{SLIDER} [data-testid="stSliderThumbValue"]').all_inner_texts()
    assert len(held) == 2, f"expected two slider thumbs, found {held}"
    shown = [int(text) for text in labels]
    assert shown == held, f"slider shows {shown} but holds {held}"
    return held


def problems_on_page(page) -> list[str]:
    """An exception box, or any visible modal (Streamlit's "Page not found" is one)."""
    found = []
    boxes = page.locator(EXCEPTION)
    if boxes.count():
        found.append("exception box:\n" + "\n---\n".join(boxes.all_inner_texts()))
    modals = page.locator('[role="dialog"]').filter(visible=True)
    if modals.count():
        found.append("modal:\n" + "\n---\n".join(modals.all_inner_texts()))
    return found


def assert_no_exception(page) -> None:
    found = problems_on_page(page)
    assert not found, f"on {page.url}: " + "\n".join(found)


def assert_frame(page) -> None:
    """The shared frame is there: app.py's navigation, the language selector and the year range slider."""
    titles = nav_titles(page)
    assert titles == NAV_TITLES, f"the sidebar is not the app's navigation: {titles} (expected {NAV_TITLES})"
    assert page.locator(LANGUAGE).get_by_text(LANGUAGE_LABEL).count() == 1, "no language selector in the sidebar"
    assert page.locator(SLIDER).get_by_text("Year range").count() == 1, "no year range slider in the sidebar"
    slider_values(page)


def download(page, locator, timeout_ms: int = 60_000):
    """Click a download button (or a Plotly camera button) and return Playwright's Download."""
    with page.expect_download(timeout=timeout_ms) as info:
        locator.click()
    return info.value


# Every chart's labels beside points and its markers, as boxes [text, left, top, right, bottom, point]: `point`
# numbers the data point a box belongs to, so a label is not faulted for touching its own marker.
LABELS_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].filter(g => g._fullLayout).map(g => {
    const box = (e, name, d) => { const r = e.getBoundingClientRect();
                                 return [name, r.left, r.top, r.right, r.bottom, d]; };
    return {title: (g._fullLayout.title.text || '').replaceAll('<br>', ' '), width: g._fullLayout.width,
            labels: [...g.querySelectorAll('g.textpoint')].map(p => [p, p.querySelector('text')])
                      .filter(([p, t]) => t && t.textContent.trim())
                      .map(([p, t]) => box(t, t.textContent, p.__data__)),
            markers: [...g.querySelectorAll('g.trace.scatter path.point')]
                       .map(m => box(m, 'marker', m.__data__))}; })
  .map(c => { const points = [...new Set([...c.labels, ...c.markers].map(b => b[5]))];
              for (const b of [...c.labels, ...c.markers]) b[5] = points.indexOf(b[5]);
              return c; })"""


def labels_beside_points(page) -> list[dict]:
    """Each Plotly chart on the page: title, width, its labels' and markers' boxes (LABELS_JS)."""
    return page.evaluate(LABELS_JS)


def assert_labels_placed(page, where: str, width: int, at_least: int) -> None:
    """No label over another label or point on the page; on the trade page, the turnover chart drawn `width` px
    wide (the width its part-year labels were placed for) with at least `at_least` of them."""
    charts = labels_beside_points(page)
    problems = label_problems(charts)
    assert not problems, f"{where}:\n  " + "\n  ".join(problems)
    turnover = [c for c in charts if "trade turnover by direction" in c["title"]]
    assert turnover or not at_least, f"{where}: no trade turnover chart"
    for chart in turnover:
        assert chart["width"] == width, (
            f"{where}: the part-year labels were placed for {width} px, not {chart['width']}"
        )
        assert len(chart["labels"]) >= at_least, f"{where}: too few part-year labels kept: {chart['labels']}"


def label_problems(charts: list[dict]) -> list[str]:
    """Labels printed over each other, and labels another point is drawn over (a label may touch its own point:
    a count printed on its bubble, a label under a diamond's tip)."""

    def over(a, b):  # boxes crossing by more than 1 px each way
        return a[1] < b[3] - 1 and b[1] < a[3] - 1 and a[2] < b[4] - 1 and b[2] < a[4] - 1

    problems = []
    for chart in charts:
        boxes, markers = chart["labels"], chart["markers"]
        if crossed := [(a[0], b[0]) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if over(a, b)]:
            problems.append(f"{chart['title']!r}: these labels are printed over each other: {crossed}")
        if covered := sorted({a[0] for a in boxes for m in markers if over(a, m) and a[5] != m[5]}):
            problems.append(f"{chart['title']!r}: another point is drawn over these labels: {covered}")
    return problems
