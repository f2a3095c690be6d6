"""Every page and tab in a real Chromium against `streamlit run app.py`, offline: renders in the app's frame,
draws, has its own <title>; deep links, the year range across pages, hostile links and copied links."""

from __future__ import annotations

import io
import re
import time
from urllib.parse import quote, urlsplit

import pytest
from PIL import Image
from playwright.sync_api import expect

from components.figures import style
from tests.browser.conftest import log_of
from tests.browser.helpers import (
    CHART,
    DEFAULT_YEARS,
    GRID,
    MAP,
    PAGE,
    PLOTLY,
    SITE,
    View,
    assert_frame,
    assert_labels_placed,
    assert_no_exception,
    choose_leader,
    click_nav,
    click_tab,
    goto,
    query,
    rerun_of,
    screenshot,
    slider_values,
    wait_ready,
)

pytestmark = pytest.mark.browser


def assert_map_drawn(page, timeout_s: float = 30) -> None:
    """deck.gl draws (WebGL, in software here) after the element mounts: wait until the canvas has a picture."""
    canvas = page.locator(MAP).first
    box = canvas.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 100, f"map canvas too small: {box}"
    deadline = time.monotonic() + timeout_s
    while True:
        shot = Image.open(io.BytesIO(canvas.screenshot())).convert("RGB")
        colours = len(shot.getcolors(maxcolors=shot.width * shot.height))
        if colours > 20:
            return
        assert time.monotonic() < deadline, f"the map canvas looks blank ({colours} colours): WebGL did not draw"
        page.wait_for_timeout(250)


def assert_drawn(page, view: View) -> None:
    """What the page must draw is there and has a size (a Plotly chart with traces, a grid, the map)."""
    drawn = page.locator(view.drawn).first
    drawn.wait_for(state="visible", timeout=60_000)
    box = drawn.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 50, f"{view.drawn} has no size on {page.url}: {box}"
    if view.drawn == MAP:
        assert_map_drawn(page)
    elif "stPlotlyChart" in view.drawn:
        traces = page.locator(CHART).first.evaluate("el => el.querySelector('.js-plotly-plot').data.length")
        assert traces > 0, f"the first chart on {page.url} has no traces"


@pytest.mark.fresh_server
def test_a_deep_link_is_the_first_visit_of_a_fresh_server(page, app_url):
    """The very first session of the server opens /map: it must run in app.py's frame. (With a folder named
    pages/ beside the main script, Streamlit's legacy pages mode ran pages/map.py bare, or showed "Page not
    found", on the first deep link of a fresh server.)"""
    view = PAGE["map"]
    goto(page, app_url + "/map")
    assert_no_exception(page)
    assert_frame(page)
    assert slider_values(page) == DEFAULT_YEARS, f"the frame's year range is not the default {DEFAULT_YEARS}"
    expect(page.locator("h1").first).to_have_text(view.heading)
    expect(page).to_have_title(view.doc_title)
    assert_drawn(page, view)
    assert urlsplit(page.url).path == "/map"
    assert query(page).get("lang") == ["en"], page.url


@pytest.mark.parametrize("path", ["/corridors", "/sources", "/"])
def test_a_link_to_any_page_connects_at_the_first_try(page, app_url, path):
    """Streamlit's frontend finds its server by probing: on /corridors it asked /corridors/_stcore/health first
    (404), waited 100 ms and asked again at the root. The server names the base in the page (server.PageAddresses):
    one health check and one host-config request, both answered, and the WebSocket at the root. Then a page switch
    and a download still reach the server."""
    probes: list[tuple[str, int]] = []
    sockets: list[str] = []
    page.on("response", lambda r: probes.append((urlsplit(r.url).path, r.status)) if "/_stcore/" in r.url else None)
    page.on("websocket", lambda ws: sockets.append(urlsplit(ws.url).path))
    goto(page, app_url + path)
    assert_no_exception(page)
    assert sorted(probes) == [("/_stcore/health", 200), ("/_stcore/host-config", 200)], probes
    assert sockets == ["/_stcore/stream"], sockets
    click_nav(page, "Trade", "/trade")
    expect(page.locator("h1").first).to_have_text("Trade")
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile("^Download the table shown")).click()
    assert download.value.suggested_filename.endswith(".csv")
    assert sockets == ["/_stcore/stream"], sockets


def test_every_page_and_tab_renders(desktop_view):
    """Each page and tab, opened by its link at 1400x900: the app's frame, its <title> and heading, the tab
    selected, something drawn, no exception; a full-page screenshot of each."""
    page, view = desktop_view
    assert_no_exception(page)
    assert_frame(page)
    expect(page).to_have_title(view.doc_title)
    expect(page.locator("h1").first).to_have_text(view.heading)
    if view.tab:
        expect(page.get_by_role("tab", name=view.tab_label, exact=True)).to_have_attribute("aria-selected", "true")
    assert_drawn(page, view)
    assert_no_exception(page)
    screenshot(page, view.name)


def test_the_year_range_survives_a_page_switch(page, app_url):
    goto(page, f"{app_url}/trade?from=2010&to=2014")
    assert slider_values(page) == [2010, 2014]
    click_nav(page, "Visits & agreements", "/visits")
    expect(page.locator("h1").first).to_have_text("Visits & agreements")
    wait_ready(page)
    assert_no_exception(page)
    params = query(page)
    assert (params.get("from"), params.get("to"), params.get("lang")) == (["2010"], ["2014"], ["en"]), page.url
    assert slider_values(page) == [2010, 2014]
    expect(page.get_by_text("Showing 2010–2014.", exact=False).first).to_be_visible()
    click_nav(page, "Overview", "/")
    expect(page.locator("h1").first).to_have_text(SITE)
    wait_ready(page)
    params = query(page)
    assert (params.get("from"), params.get("to"), params.get("lang")) == (["2010"], ["2014"], ["en"]), page.url
    assert slider_values(page) == [2010, 2014]


def test_a_hostile_link_falls_back_with_a_notice(page, app_url):
    payload = '<script>window.__injected = 1; alert(1)</script><img src=x onerror="window.__injected=2">'
    goto(page, f"{app_url}/?from={quote(payload)}&to=abc&lang={quote('<b>ru</b>')}")
    page.get_by_text("was not a valid year").first.wait_for(state="visible")
    wait_ready(page)
    assert_no_exception(page)
    assert log_of(page).dialogs == [], f"a dialog fired: {log_of(page).dialogs}"
    assert page.evaluate("() => window.__injected") is None, "the link's script ran"
    injected = page.evaluate(
        "() => [...document.querySelectorAll('script, img')].filter(e => "
        "(e.textContent || '').includes('__injected') || (e.getAttribute('onerror') || '').includes('__injected'))"
        ".length"
    )
    assert injected == 0, "the link's markup reached the page"
    assert slider_values(page) == DEFAULT_YEARS, "the year range did not fall back to the default"
    params = query(page)
    expected = ([str(DEFAULT_YEARS[0])], [str(DEFAULT_YEARS[1])], ["en"])
    assert (params.get("from"), params.get("to"), params.get("lang")) == expected, page.url


def view_state(page) -> dict:
    """What a reader sees of the open view: the selected tab, the charts (by accessible name), the filters'
    chosen values and the captions."""
    return page.evaluate(
        """() => {
        const main = document.querySelector('[data-testid="stMain"]');
        const texts = sel => [...main.querySelectorAll(sel)].map(e => e.innerText.trim());
        return {
            tab: [...main.querySelectorAll('[role=tab][aria-selected=true]')].map(t => t.innerText.trim()),
            charts: [...main.querySelectorAll('[data-testid="stPlotlyChart"]')].map(c => c.getAttribute('aria-label')),
            chosen: [...main.querySelectorAll('[data-testid="stMultiSelect"], [data-testid="stSelectbox"]')]
                .map(w => [...w.querySelectorAll('[data-baseweb="tag"], input')]
                    .map(e => e.tagName === 'INPUT' ? e.value : e.innerText.trim()).filter(Boolean).join(' | ')),
            captions: texts('[data-testid="stCaptionContainer"]'),
        };
    }"""
    )


def assert_link_reopens(page, changed: str) -> None:
    """Reload the view's URL (a new session, as a copied link opens) and compare with what was shown."""
    wait_ready(page)
    before, link = view_state(page), page.url
    page.goto("about:blank")
    goto(page, link)
    page.locator(f'[data-testid="stMain"] {PLOTLY}, [data-testid="stMain"] {GRID}').first.wait_for()
    wait_ready(page)
    assert_no_exception(page)
    after = view_state(page)
    assert query(page) == query_of(link), f"the link changed when it was reopened: {link} -> {page.url}"
    assert after == before, f"the link {link} did not reopen the same {changed}:\nbefore {before}\nafter  {after}"


def query_of(url: str) -> dict:
    from urllib.parse import parse_qs

    return parse_qs(urlsplit(url).query)


def test_a_copied_link_reopens_the_visits_leader_filter(page, app_url):
    goto(page, f"{app_url}/visits?from=2000&to=2023")
    caption = page.get_by_text("visits or meetings —").first
    everyone = caption.inner_text()
    choose_leader(page, "Ilham Aliyev")
    expect(caption).not_to_have_text(everyone, timeout=30_000)
    wait_ready(page)  # the URL is written at the end of the run
    assert query(page).get("leader") == ["Ilham Aliyev"], page.url
    filtered = caption.inner_text()
    assert int(filtered.split()[0]) < int(everyone.split()[0]), (everyone, filtered)
    assert_link_reopens(page, "leader filter")
    assert page.get_by_text("visits or meetings —").first.inner_text() == filtered


def test_a_copied_link_reopens_the_chosen_corridor(page, app_url):
    goto(page, f"{app_url}/corridors?from=2000&to=2023")
    first_chart = page.locator(CHART).first.get_attribute("aria-label")
    page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name="Baku–Tbilisi–Kars railway", exact=False).first.click()
    expect(page.locator(CHART).first).to_have_attribute(
        "aria-label", re.compile(r"^Baku–Tbilisi–Kars railway: volumes against capacity and targets, \d{4}")
    )
    wait_ready(page)
    assert first_chart != page.locator(CHART).first.get_attribute("aria-label")
    assert query(page).get("corridor") == ["btk"], page.url
    assert_link_reopens(page, "corridor")


def test_the_chronology_table_opens_with_its_rows(page, app_url):
    """The table's grid is sent only once it is opened (a rerun): opening it shows the entries the label counts."""
    goto(page, f"{app_url}/chronology")
    grid = page.locator('[data-testid="stMain"] [data-testid="stDataFrame"]')
    summary = page.locator('[data-testid="stMain"] [data-testid="stExpander"] summary').first
    label = summary.inner_text()
    entries = int(re.search(r"(\d+) entries", label).group(1))
    assert entries > 40 and grid.count() == 0, label
    summary.click()
    grid.first.locator("table").first.wait_for(state="attached", timeout=30_000)
    wait_ready(page)
    assert grid.count() == 1
    assert int(grid.first.locator("table").first.get_attribute("aria-rowcount") or 0) == entries + 1  # + header


def test_an_opened_table_stays_open_when_a_filter_changes_its_count(page, app_url):
    """Streamlit makes an expander anew when its label changes: a filter that changed the count in a table's label
    closed the table the reader had opened (ui.table keeps the reader's choice). Chronology sends its rows only
    while the table is open; Visits sends them always."""
    expander = page.locator('[data-testid="stMain"] [data-testid="stExpander"]').first
    grid = expander.locator('[data-testid="stDataFrame"]')

    def open_then_search(url: str, term: str) -> int:
        """Open the page's table, search for `term` (the page's first text box); the entries the label then counts."""
        goto(page, url)
        before = expander.locator("summary").inner_text()
        rerun_of(page, expander.locator("summary").click)
        expect(expander.locator("details")).to_have_attribute("open", "")
        grid.first.locator("table").first.wait_for(state="attached", timeout=30_000)
        box = page.locator('[data-testid="stMain"] [data-testid="stTextInput"] input').first
        box.fill(term)
        box.press("Enter")
        page.wait_for_function(
            "before => { const s = document.querySelector('[data-testid=stMain] [data-testid=stExpander] summary');"
            " return s && s.innerText !== before; }",
            arg=before,
        )
        wait_ready(page)
        expect(expander.locator("details")).to_have_attribute("open", "")
        return int(re.search(r"(\d+) (entr|visit)", expander.locator("summary").inner_text()).group(1))

    entries = open_then_search(f"{app_url}/chronology", "Baku")
    assert entries > 40  # over 40: the table would start closed
    assert int(grid.first.locator("table").first.get_attribute("aria-rowcount") or 0) == entries + 1  # + header
    visits = open_then_search(f"{app_url}/visits?from=1991&to=2025", "Nazarbayev")
    assert 0 < visits < 40
    grid.first.locator("table").first.wait_for(state="attached", timeout=30_000)
    screenshot(page, "visits_table_kept_open")


def test_a_copied_link_reopens_the_tab(page, app_url):
    goto(page, f"{app_url}/trade?from=2000&to=2023")
    click_tab(page, "Top products")
    page.get_by_text("Top products, Kazakhstan → Azerbaijan").first.wait_for(state="visible")
    assert query(page).get("trade_view") == ["products"], page.url
    assert query(page).get("from") == ["2000"] and query(page).get("to") == ["2023"], page.url
    assert_link_reopens(page, "tab")
    expect(page.get_by_role("tab", name="Top products", exact=True)).to_have_attribute("aria-selected", "true")


def test_no_label_is_printed_over_another(desktop_view):
    """Labels beside points (the part-year totals under the trade turnover, among others) are placed where they
    overlap no other label and no other point (figures/placement.py), on a chart as wide as a desktop draws it: the
    width the placement assumes (style.DESKTOP_WIDTH) is checked here too; test_phone.py checks a phone's."""
    page, view = desktop_view
    assert_drawn(page, view)
    assert_labels_placed(page, view.name, style.DESKTOP_WIDTH, at_least=12 if view.name == "trade" else 0)


def test_every_chart_is_drawn_once(desktop_view):
    """Each chart asks for the margins its labels and legend take (figures/style.py: LEFT_NUMBERS for a y axis of
    numbers, RIGHT, the legend's rows; names of lanes above them, not beside the axis), so Plotly draws it once:
    it grows a margin that something does not fit (automargin) by drawing the whole chart again, half of the
    chart's draw time, and a grown bottom margin ran the legend into the source line. Fails the day Streamlit's
    theme or a chart's labels need more (names beside horizontal bars are asked for at 7 px a character)."""
    page, view = desktop_view
    assert_drawn(page, view)
    charts = page.evaluate(
        """() => [...document.querySelectorAll('.js-plotly-plot')].filter(g => g._fullLayout).map(g => {
             const L = g._fullLayout;
             const numbers = Object.keys(L).some(k => /^yaxis\\d*$/.test(k) && L[k].type === 'linear'
                                                       && L[k].showticklabels && L[k].visible !== false);
             return {title: (L.title.text || '').slice(0, 60), numbers,
                     asked: ['l', 'r', 't', 'b'].map(side => L.margin[side]),
                     drawn: ['l', 'r', 't', 'b'].map(side => L._size[side])};
           })"""
    )

    def grown(chart: dict) -> str:  # Plotly redraws for a change of more than 1 px
        return "".join(s for s, a, d in zip("lrtb", chart["asked"], chart["drawn"]) if d > a + 1)

    twice = [(c["title"], grown(c), c["asked"], c["drawn"]) for c in charts if grown(c)]
    assert not twice, f"{view.name}: Plotly grew these margins (of l, r, t, b), so it drew these charts twice: {twice}"
    if view.name in ("trade", "corridors", "diaspora", "overview"):  # charts of numbers by default
        assert any(c["numbers"] for c in charts), f"{view.name}: no chart with numbers up its y axis: {charts}"
