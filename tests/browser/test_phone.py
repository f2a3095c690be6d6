"""Every page on a phone (Playwright's iPhone 13: 390x844, mobile, touch, a Mobile User-Agent): the sidebar starts
collapsed and the year range is one tap away; nothing overflows sideways; chart titles fit their charts and
legends sit below the plot; the map's legend is readable and the map fits the screen. A screenshot of each page:
artifacts/screenshots/phone_<page>.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from components.figures import style
from tests.browser.helpers import (
    CHART,
    DEFAULT_YEARS,
    MAP,
    PLOTLY,
    SIDEBAR,
    SLIDER,
    assert_labels_placed,
    screenshot,
    settle_frames,
    slider_values,
)

pytestmark = pytest.mark.browser

EXPAND = '[data-testid="stExpandSidebarButton"]'
COLLAPSE = '[data-testid="stSidebarCollapseButton"] button'


def test_the_phone_is_a_phone(phone_page):
    """The profile every phone test runs in: 390x844 CSS px, a touch screen, a mobile browser's User-Agent."""
    seen = phone_page.evaluate(
        "() => ({agent: navigator.userAgent, touch: navigator.maxTouchPoints, width: screen.width,"
        " height: screen.height, coarse: matchMedia('(pointer: coarse)').matches})"
    )
    assert "Mobile" in seen["agent"], seen
    assert seen["touch"] > 0 and seen["coarse"], seen
    assert (seen["width"], seen["height"]) == (390, 844), seen
    assert phone_page.viewport_size == {"width": 390, "height": 844}


def sidebar_state(page) -> dict:
    return page.locator(SIDEBAR).evaluate(
        """(el, expand) => { const box = el.getBoundingClientRect(); const button = document.querySelector(expand);
            return {collapsed: el.getAttribute('data-collapsed'), expanded: el.getAttribute('aria-expanded'),
                    button: button && button.getAttribute('aria-expanded'),
                    onScreen: box.right > 1 && box.left < window.innerWidth - 1 && box.width > 1}; }""",
        EXPAND,
    )


def test_the_sidebar_starts_collapsed_and_the_year_range_is_a_tap_away(phone_view):
    page, _view = phone_view
    state = sidebar_state(page)
    assert state["collapsed"] == "true" and state["expanded"] in (None, "false"), f"sidebar not collapsed: {state}"
    assert state["button"] == "false" and not state["onScreen"], f"the sidebar is on screen on load: {state}"
    page.locator(EXPAND).click()
    expect(page.locator(SIDEBAR)).to_have_attribute("data-collapsed", "false")
    page.wait_for_function(  # it slides in
        "sel => { const b = document.querySelector(sel).getBoundingClientRect(); return b.left >= 0 && b.width > 0; }",
        arg=SIDEBAR,
        timeout=10_000,
    )
    settle_frames(page)
    slider = page.locator(SLIDER)
    expect(slider).to_be_in_viewport()
    box = slider.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"] + 1, box
    assert slider_values(page) == DEFAULT_YEARS
    page.locator(COLLAPSE).click()  # as it was, for the next checks of this page
    expect(page.locator(SIDEBAR)).to_have_attribute("data-collapsed", "true")
    page.wait_for_function(
        "sel => document.querySelector(sel).getBoundingClientRect().right <= 1", arg=SIDEBAR, timeout=10_000
    )


def test_nothing_overflows_sideways(phone_view):
    page, view = phone_view
    widths = page.evaluate(
        """() => { const main = document.querySelector('[data-testid="stMain"]');
            return {document: document.documentElement.scrollWidth, viewport: window.innerWidth,
                    main: main.scrollWidth, mainClient: main.clientWidth}; }"""
    )
    assert widths["viewport"] == 390, f"the page is not laid out for a 390 px phone: {widths}"
    assert widths["document"] <= widths["viewport"] + 1, f"the page scrolls sideways on {view.name}: {widths}"
    assert widths["main"] <= widths["mainClient"] + 1, f"the main column overflows on {view.name}: {widths}"


CHART_GEOMETRY = """charts => charts.map(chart => {
    const svg = chart.querySelector('svg.main-svg').getBoundingClientRect();
    const title = chart.querySelector('.gtitle');
    const legend = chart.querySelector('g.legend');
    const areas = [...chart.querySelectorAll('.draglayer .nsewdrag, .draglayer .nsdrag')]
        .map(a => a.getBoundingClientRect()).filter(b => b.height > 0);
    const box = e => { if (!e) return null; const b = e.getBoundingClientRect();
        return {left: b.left, right: b.right, top: b.top, bottom: b.bottom, width: b.width}; };
    return {chart: chart.getAttribute('aria-label'),
            svg: {left: svg.left, right: svg.right, top: svg.top, bottom: svg.bottom, width: svg.width},
            title: box(title), titleText: title && title.textContent,
            legend: box(legend), plotBottom: areas.length ? Math.max(...areas.map(b => b.bottom)) : null,
            legendFonts: legend ? [...legend.querySelectorAll('text')]
                .map(t => parseFloat(getComputedStyle(t).fontSize)) : [],
            xTitleBottom: Math.max(0, ...[...chart.querySelectorAll('g[class^="g-x"][class$="title"] text')]
                .map(t => t.getBoundingClientRect().bottom)),
            legendTextTop: legend && legend.querySelector('text')
                ? Math.min(...[...legend.querySelectorAll('text')].map(t => t.getBoundingClientRect().top)) : null};
})"""


def test_chart_titles_fit_and_legends_sit_below_the_plot(phone_view):
    page, view = phone_view
    settle_frames(page)
    charts = page.locator(CHART).evaluate_all(CHART_GEOMETRY)
    if view.drawn == PLOTLY:
        assert charts, f"no chart on {view.name}"
    problems = []
    for c in charts:
        svg, title = c["svg"], c["title"]
        if title is None or title["width"] == 0:
            problems.append(f"{c['chart']!r}: no title drawn")
        elif title["left"] < svg["left"] - 1 or title["right"] > svg["right"] + 1 or title["width"] > svg["width"]:
            problems.append(
                f"{c['chart']!r}: the title runs outside its chart (title x {title['left']:.0f}–{title['right']:.0f}"
                f", width {title['width']:.0f}; chart x {svg['left']:.0f}–{svg['right']:.0f}, width "
                f"{svg['width']:.0f})"
            )
        if c["legend"] is not None and c["plotBottom"] is not None and c["legend"]["top"] < c["plotBottom"] - 1:
            problems.append(
                f"{c['chart']!r}: the legend (top {c['legend']['top']:.0f}) is not below the plot area (bottom "
                f"{c['plotBottom']:.0f})"
            )
        if c["legendTextTop"] is not None and c["xTitleBottom"] > c["legendTextTop"] + 1:
            problems.append(
                f"{c['chart']!r}: the x axis title (bottom {c['xTitleBottom']:.0f}) runs into the legend (text top "
                f"{c['legendTextTop']:.0f}): year labels turned on end push it down"
            )
        small = [f for f in c["legendFonts"] if f < 12]
        if small:
            problems.append(f"{c['chart']!r}: legend text below 12 px: {sorted(set(small))}")
    assert not problems, f"{view.name} at 390 px:\n  " + "\n  ".join(problems)


def test_no_label_is_printed_over_another_on_a_phone(phone_view):
    """The part-year labels under the trade turnover are placed for a phone's width when the browser says it is
    one (style.PHONE_WIDTH, checked here): fewer than on a desktop, none over another label or point."""
    page, view = phone_view
    settle_frames(page)
    assert_labels_placed(page, f"{view.name} at 390 px", style.PHONE_WIDTH, at_least=6 if view.name == "trade" else 0)


def test_the_map_legend_is_readable_and_the_map_fits(phone_view):
    """On the map page: legend text at least 12 px, the map no wider than the screen. On every page: nothing
    drawn (chart, grid, map) is wider than the screen."""
    page, view = phone_view
    width = page.viewport_size["width"]
    drawn = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid="stMain"] svg.main-svg, '
                  + '[data-testid="stMain"] [data-testid="stDataFrame"], [data-testid="stMain"] canvas')]
            .map(e => { const b = e.getBoundingClientRect();
                return {what: e.closest('[data-testid]').dataset.testid, left: b.left, right: b.right,
                        width: b.width}; })
            .filter(b => b.width > 0)"""
    )
    too_wide = [d for d in drawn if d["width"] > width + 1 or d["left"] < -1 or d["right"] > width + 1]
    assert not too_wide, f"{view.name}: drawn wider than the {width} px screen: {too_wide}"
    if view.drawn != MAP:
        return
    canvas = page.locator(MAP).first
    box = canvas.bounding_box()
    assert box and 0 < box["width"] <= width, f"the map canvas is {box} on a {width} px screen"
    legend = page.locator('section[aria-label="Map legend"]')
    expect(legend).to_have_count(1)
    sizes = legend.evaluate(
        """el => [el, ...el.querySelectorAll('*')].filter(e => [...e.childNodes].some(n => n.nodeType === 3 &&
                  n.textContent.trim())).map(e => [e.textContent.trim().slice(0, 40),
                  parseFloat(getComputedStyle(e).fontSize)])"""
    )
    assert sizes, "the map legend has no text"
    small = [s for s in sizes if s[1] < 12]
    assert not small, f"map legend text below 12 px: {small}"


def test_a_phone_screenshot_of_every_page(phone_view):
    page, view = phone_view
    path = screenshot(page, f"phone_{view.page}")
    assert path.stat().st_size > 10_000
