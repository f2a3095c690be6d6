"""Accessibility in Chromium: axe-core on every page and tab at 1400x900 and on every page at 390x844 (no
"critical" or "serious" violation); every button and link has a name and no two download buttons on a view share
one; the keyboard reaches the sidebar links, with a visible focus ring; a chart adds at most two tab stops."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.helpers import CHART, DOWNLOAD, PAGES, goto, settle_frames

pytestmark = pytest.mark.browser

BLOCKING = ("critical", "serious")
AXE = Axe()


def axe_report(page) -> list[str]:
    """The blocking violations of axe-core on the page as it is, one readable entry each."""
    results = AXE.run(page)
    found = []
    for violation in results.response["violations"]:
        if violation.get("impact") not in BLOCKING:
            continue
        nodes = []
        for node in violation["nodes"][:8]:
            summary = " ".join((node.get("failureSummary") or "").split())
            nodes.append(f"      {node.get('target')}: {summary[:300]}")
        more = len(violation["nodes"]) - 8
        found.append(
            f"  {violation['id']} ({violation['impact']}): {violation['help']} — {len(violation['nodes'])} node(s)\n"
            + "\n".join(nodes)
            + (f"\n      … and {more} more" if more > 0 else "")
        )
    return found


def test_axe_finds_nothing_serious_on_the_desktop(desktop_view):
    page, view = desktop_view
    found = axe_report(page)
    assert not found, f"axe-core, {view.name} at 1400x900 ({page.url}):\n" + "\n".join(found)


def ax_nodes(page):
    """Chromium's own accessibility tree (computed roles and names) of the page, and the CDP session (detach it)."""
    cdp = page.context.new_cdp_session(page)
    try:
        return cdp.send("Accessibility.getFullAXTree")["nodes"], cdp
    except Exception:
        cdp.detach()
        raise


def describe(cdp, backend_id: int | None) -> str:
    if backend_id is None:
        return "(no DOM node)"
    node = cdp.send("DOM.describeNode", {"backendNodeId": backend_id})["node"]
    attributes = node.get("attributes", [])
    pairs = dict(zip(attributes[::2], attributes[1::2]))
    keep = {k: v[:60] for k, v in pairs.items() if k in ("data-testid", "class", "aria-label", "href", "title", "id")}
    return f"<{node.get('localName')} {keep}>"


def open_expanders(page) -> int:
    """Open every closed expander of the main area (their controls are hidden, so out of the accessibility tree,
    until then); returns how many were opened."""
    closed = page.locator('[data-testid="stMain"] [data-testid="stExpander"] details:not([open]) > summary')
    count = closed.count()
    for _ in range(count):
        closed.first.click()
    page.wait_for_function(
        '() => !document.querySelector(\'[data-testid="stMain"] [data-testid="stExpander"] details:not([open])\')'
    )
    settle_frames(page)
    return count


def close_expanders(page, count: int) -> None:
    summaries = page.locator('[data-testid="stMain"] [data-testid="stExpander"] details[open] > summary')
    for _ in range(min(count, summaries.count())):
        summaries.last.click()


def test_every_button_and_link_has_a_name_and_downloads_differ(desktop_view):
    page, view = desktop_view
    opened = open_expanders(page)
    nodes, cdp = ax_nodes(page)
    try:
        nameless = [
            describe(cdp, n.get("backendDOMNodeId"))
            for n in nodes
            if not n.get("ignored")
            and (n.get("role") or {}).get("value") in ("button", "link")
            and not ((n.get("name") or {}).get("value") or "").strip()
        ]
        root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        ids = cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": DOWNLOAD})["nodeIds"]
        names = []
        for node_id in ids:
            tree = cdp.send("Accessibility.getPartialAXTree", {"nodeId": node_id, "fetchRelatives": False})["nodes"]
            own = [n for n in tree if (n.get("role") or {}).get("value") == "button"] or tree
            names.append(" ".join(((own[0].get("name") or {}).get("value") or "").split()))
    finally:
        cdp.detach()
        close_expanders(page, opened)
    shown = [" ".join(n.split()) for n in page.locator(DOWNLOAD).all_inner_texts()]
    assert len(names) == len(shown), (names, shown)
    problems = []
    if nameless:
        problems.append("buttons or links without an accessible name:\n  " + "\n  ".join(nameless))
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        problems.append(f"download buttons sharing a name: {twice}")
    if any(not n for n in names):
        problems.append(f"a download button without a name: {names}")
    assert not problems, f"{view.name} ({page.url}):\n" + "\n".join(problems)


FOCUSABLE = (
    "a[href], button, input, select, textarea, summary, iframe, [tabindex], [contenteditable='true'], "
    "[contenteditable='']"
)


def test_a_chart_adds_at_most_two_tab_stops(desktop_view):
    page, view = desktop_view
    stops = page.locator(CHART).evaluate_all(
        """(charts, focusable) => charts.map(chart => ({
            chart: chart.getAttribute('aria-label'),
            stops: [...chart.querySelectorAll(focusable)]
                .filter(e => e.tabIndex >= 0 && !e.disabled && !e.closest('[inert]'))
                .map(e => e.getAttribute('aria-label') || e.getAttribute('data-title') || e.tagName),
        }))""",
        FOCUSABLE,
    )
    if view.drawn.startswith(CHART):
        assert stops, f"no chart on {view.name}"
    too_many = [s for s in stops if len(s["stops"]) > 2]
    assert not too_many, f"{view.name}: charts with more than two tab stops: {too_many}"


def test_axe_finds_nothing_serious_on_a_phone(phone_view):
    page, view = phone_view
    found = axe_report(page)
    assert not found, f"axe-core, {view.name} at 390x844 ({page.url}):\n" + "\n".join(found)


FOCUS_STYLE = """() => { const a = document.activeElement; const s = getComputedStyle(a);
    return {inNav: !!a.closest('[data-testid="stSidebarNav"]'), text: (a.innerText || '').trim().split('\\n').pop(),
            outline: s.outlineStyle, width: parseFloat(s.outlineWidth) || 0, shadow: s.boxShadow,
            focusVisible: a.matches(':focus-visible')}; }"""


def test_the_keyboard_reaches_the_sidebar_links_with_a_visible_focus(page, app_url):
    goto(page, f"{app_url}/trade")
    page.locator("body").evaluate("b => { document.activeElement && document.activeElement.blur(); }")
    reached = []
    for _ in range(40):
        page.keyboard.press("Tab")
        state = page.evaluate(FOCUS_STYLE)
        if state["inNav"]:
            reached.append(state)
        elif reached:
            break
    assert reached, "Tab from the top of the page never reached a sidebar link"
    assert [r["text"] for r in reached] == [p.title for p in PAGES], f"the sidebar links in Tab order: {reached}"
    invisible = [
        r for r in reached if not ((r["outline"] != "none" and r["width"] > 0) or r["shadow"] not in ("", "none"))
    ]
    assert not invisible, f"focused sidebar links without a visible outline or ring: {invisible}"
