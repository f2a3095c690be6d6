"""Every page in a real Chromium against `streamlit run app.py`, offline: renders, downloads, URL state."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import ROOT, goto, screenshot, wait_ready

pytestmark = pytest.mark.browser

PLOTLY = '[data-testid="stPlotlyChart"] .main-svg, [data-testid="stPlotlyChart"] .js-plotly-plot'
MAP_CANVAS = '[data-testid="stDeckGlJsonChart"] canvas'
TABLE = '[data-testid="stDataFrame"]'
EXCEPTION = '[data-testid="stException"]'
DOWNLOAD = '[data-testid="stDownloadButton"] button'
# Streamlit 1.67's slider thumbs are react-aria <input type="range"> (implicit role slider, value in .value);
# older builds used div[role="slider"][aria-valuenow]. Both are read.
SLIDER = '[data-testid="stSidebar"] [data-testid="stSlider"]'
SLIDER_THUMBS = f'{SLIDER} [role="slider"], {SLIDER} input[type="range"]'

# (URL path, screenshot name, what the page must draw). /map comes first on purpose: it is then the first
# session of the fresh server, where a folder named pages/ beside app.py makes Streamlit resolve the URL by
# file name before app.py's st.navigation runs: no pages/map.py -> a "Page not found" modal.
PAGES = [
    ("/map", "map", MAP_CANVAS),
    ("/", "overview", PLOTLY),
    ("/trade", "trade", PLOTLY),
    ("/visits", "visits", PLOTLY),
    ("/corridors", "corridors", PLOTLY),
    ("/diaspora", "diaspora", PLOTLY),
    ("/sources", "sources", TABLE),
]


def real_years(table: str) -> list[int]:
    with (ROOT / "data" / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
        return [int(row["year"]) for row in csv.DictReader(fh)]


def real_column(table: str, column: str) -> list[str]:
    with (ROOT / "data" / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
        return [row[column] for row in csv.DictReader(fh)]


def assert_no_exception(page) -> None:
    """No exception box, and no error modal (e.g. Streamlit's "Page not found")."""
    boxes = page.locator(EXCEPTION)
    assert boxes.count() == 0, f"exception box on {page.url}:\n" + "\n---\n".join(boxes.all_inner_texts())
    modals = page.locator('[role="dialog"]').filter(visible=True)
    assert modals.count() == 0, f"modal on {page.url}:\n" + "\n---\n".join(modals.all_inner_texts())


def slider_values(page) -> list[int]:
    """The year range as the sidebar slider holds it and shows it (the two must agree)."""
    held = page.locator(SLIDER_THUMBS).evaluate_all(
        "els => els.map(e => Number(e.getAttribute('aria-valuenow') ?? e.value))")
    labels = page.locator(f'{SLIDER} [data-testid="stSliderThumbValue"]').all_inner_texts()
    shown = [int(text) for text in labels]
    assert len(held) == 2, f"expected two slider thumbs, found {held}"
    assert shown == held, f"slider shows {shown} but holds {held}"
    return held


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


@pytest.mark.parametrize(("path", "name", "drawn"), PAGES, ids=[name for _, name, _ in PAGES])
def test_page_renders(page, app_url, path, name, drawn):
    goto(page, app_url + path)
    assert_no_exception(page)
    nav = page.locator('[data-testid="stSidebarNav"]')
    assert nav.get_by_text("Visits & agreements", exact=True).count() == 1, (
        "the sidebar is not app.py's navigation: " + nav.inner_text())
    page.locator(drawn).first.wait_for(state="visible", timeout=60_000)
    if drawn == MAP_CANVAS:
        box = page.locator(drawn).first.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100, f"map canvas too small: {box}"
        page.wait_for_timeout(1500)  # deck.gl draws after the element mounts
        shot = Image.open(io.BytesIO(page.locator(drawn).first.screenshot())).convert("RGB")
        colours = len(shot.getcolors(maxcolors=shot.width * shot.height))
        assert colours > 20, f"the map canvas looks blank ({colours} colours): WebGL did not draw"
    page.wait_for_timeout(500)  # charts finish their first draw
    assert_no_exception(page)
    screenshot(page, name)


def test_trade_download_is_the_filtered_turnover(page, app_url):
    goto(page, f"{app_url}/trade?from=2012&to=2013")
    assert_no_exception(page)
    button = page.locator(DOWNLOAD).first
    assert "Download CSV" in button.inner_text()
    with page.expect_download() as info:
        button.click()
    download = info.value
    assert download.suggested_filename == "trade_turnover_2012-2013.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    years = [int(row["year"]) for row in rows]
    assert set(years) == {2012, 2013}
    expected = sum(2012 <= y <= 2013 for y in real_years("trade_turnover"))
    assert len(rows) == expected, "not every row of 2012-2013"


def test_switching_pages_keeps_the_year_range(page, app_url):
    goto(page, f"{app_url}/trade?from=2010&to=2014")
    assert slider_values(page) == [2010, 2014]
    page.locator('[data-testid="stSidebarNav"] a', has_text="Visits & agreements").first.click()
    page.wait_for_url("**/visits?**")
    wait_ready(page)
    page.get_by_role("heading", name="Visits & agreements").first.wait_for()
    wait_ready(page)
    assert_no_exception(page)
    assert urlsplit(page.url).path.rstrip("/").endswith("/visits")
    params = query(page)
    assert params.get("from") == ["2010"] and params.get("to") == ["2014"], page.url
    assert slider_values(page) == [2010, 2014]


def test_hostile_url_falls_back_safely(page, app_url, page_log):
    payload = "<script>alert(1)</script>"
    goto(page, f"{app_url}/?from={quote(payload)}&to=abc")
    page.get_by_text("was not a valid year").first.wait_for(state="visible")
    page.wait_for_timeout(1000)  # give an injected script every chance to run
    assert_no_exception(page)
    assert page_log.dialogs == [], f"a dialog fired: {page_log.dialogs}"
    injected = page.evaluate(
        "() => [...document.querySelectorAll('script')]"
        ".filter(s => s.textContent.includes('alert(1)')).length")
    assert injected == 0
    assert "<script>alert(1)</script>" not in page.content()
    # the URL now holds the full range the app fell back to
    lo, hi = min(slider_values(page)), max(slider_values(page))
    params = query(page)
    assert params.get("from") == [str(lo)] and params.get("to") == [str(hi)], page.url


def test_overview_timeline_is_drawn(page, app_url):
    goto(page, f"{app_url}/")
    chart = page.locator('[data-testid="stPlotlyChart"]', has_text="Trade and diplomacy together").first
    chart.locator(".main-svg").first.wait_for(state="visible")
    drawn = chart.evaluate("""el => {
        const plot = el.querySelector('.js-plotly-plot');
        return {
            traces: plot.data.map(t => t.name),
            points: el.querySelectorAll('.scatterlayer .trace .points path').length,
            lines: el.querySelectorAll('.scatterlayer .trace .lines path').length,
            subplots: Object.keys(plot._fullLayout).filter(k => /^yaxis\\d*$/.test(k)).length,
        };
    }""")
    assert "Annual turnover (million USD)" in drawn["traces"], drawn
    assert len(drawn["traces"]) >= 2, f"no visit/agreement marks: {drawn}"
    assert drawn["subplots"] == 2, drawn
    assert drawn["lines"] >= 1 and drawn["points"] >= 5, drawn


def test_sources_download_all_zip(page, app_url):
    goto(page, f"{app_url}/sources")
    assert_no_exception(page)
    button = page.locator(DOWNLOAD, has_text="Download all data (zip)")
    with page.expect_download() as info:
        button.click()
    download = info.value
    assert download.suggested_filename.endswith(".zip")
    with zipfile.ZipFile(download.path()) as archive:
        names = set(archive.namelist())
        assert {"trade_turnover.csv", "datapackage.json"} <= names, names
        turnover = list(csv.DictReader(io.StringIO(archive.read("trade_turnover.csv").decode("utf-8"))))
    assert len(turnover) == len(real_years("trade_turnover"))


@pytest.mark.parametrize(("path", "tab", "shows", "name"), [
    ("/trade", "Top products", "Top products, Kazakhstan → Azerbaijan", "trade_products"),
    ("/trade", "Balance and change", "Year-on-year change of total turnover", "trade_balance"),
    ("/visits", "Agreements and documents", "Agreements and documents signed per year", "visits_agreements"),
    ("/corridors", "Milestones", "milestones and agreements", "corridors_milestones"),
    ("/corridors", "All corridors at a glance", "Utilisation against capacity", "corridors_glance"),
    ("/corridors", "Energy context", TABLE, "corridors_energy"),  # the grid draws its cells on a canvas
])
def test_a_tab_opens_on_click_and_from_its_link(page, app_url, path, tab, shows, name):
    goto(page, f"{app_url}{path}?from=2000&to=2023")
    page.get_by_role("tab", name=tab).click()
    shown = page.locator(shows) if shows.startswith("[") else page.get_by_text(shows)
    shown.first.wait_for(state="visible", timeout=60_000)
    wait_ready(page)
    assert_no_exception(page)
    params = query(page)
    assert params.get(f"{path.strip('/')}_view") == [tab], page.url
    assert params.get("from") == ["2000"] and params.get("to") == ["2023"], page.url
    page.wait_for_timeout(500)  # charts finish their first draw
    screenshot(page, name)
    link = page.url
    page.goto("about:blank")
    goto(page, link)  # the copied link reopens the same tab
    shown.first.wait_for(state="visible", timeout=60_000)
    assert page.get_by_role("tab", name=tab).get_attribute("aria-selected") == "true"


def test_a_filter_survives_switching_tabs(page, app_url):
    goto(page, f"{app_url}/visits?from=2000&to=2023")
    caption = page.get_by_text("visits or meetings —").first
    everyone = caption.inner_text()
    page.locator('[data-testid="stMultiSelect"]').first.click()
    page.get_by_role("option", name="Ilham Aliyev", exact=True).click()
    page.locator("h1").first.click()  # close the list
    expect(caption).not_to_have_text(everyone, timeout=30_000)
    filtered = caption.inner_text()
    assert int(filtered.split()[0]) < int(everyone.split()[0]), (everyone, filtered)
    page.get_by_role("tab", name="Agreements and documents").click()
    page.get_by_text("Agreements and documents signed per year").first.wait_for(state="visible")
    page.get_by_role("tab", name="Visits and meetings").click()
    caption = page.get_by_text("visits or meetings —").first
    caption.wait_for(state="visible")
    wait_ready(page)
    assert caption.inner_text() == filtered, "the leader filter was lost when the tab was closed"


def test_map_downloads_are_the_shown_routes(page, app_url):
    import json

    goto(page, f"{app_url}/map?from=2000&to=2023")
    with page.expect_download() as info:
        page.locator(DOWNLOAD, has_text="Routes (GeoJSON)").click()
    download = info.value
    assert download.suggested_filename == "routes_2000-2023.geojson"
    collection = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection"
    ids = {feature["id"] for feature in collection["features"]}
    assert ids == set(real_column("routes", "route_id")), "every route with a line, and no other"
    assert all(len(f["geometry"]["coordinates"]) >= 2 for f in collection["features"])
    with page.expect_download() as info:
        page.locator(DOWNLOAD, has_text="Waypoints (CSV)").click()
    assert info.value.suggested_filename == "route_points_2000-2023.csv"
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8"))))
    assert len(rows) == len(real_column("route_points", "route_id"))
