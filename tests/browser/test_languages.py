"""The interface in Russian, Azerbaijani and Kazakh, in Chromium: no English interface text is left on any page or
tab (the English catalog's sentences, read from locales/messages.pot); numbers in the language's format; <html
lang>; the language survives a page switch and a reload; a first visit follows the browser's language. A
screenshot of the Overview in each language: artifacts/screenshots/lang_<code>.png."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import expect

from tests.browser.helpers import (
    LANGUAGE,
    PAGES,
    ROOT,
    SIDEBAR,
    SITE,
    TABS,
    View,
    click_nav,
    click_tab,
    goto,
    query,
    screenshot,
    wait_ready,
)

pytestmark = pytest.mark.browser

LANGS = ("ru", "az", "kk")
HTML_LANG = {"en": "en", "ru": "ru", "az": "az-Latn", "kk": "kk-Cyrl"}
NAMES = {"ru": "Русский", "az": "Azərbaycan dili", "kk": "Қазақ тілі"}
# The decimal mark and the thousands separator of each language (CLDR): ru and kk group with a no-break space
# (U+00A0) or a narrow one (U+202F), az with a full stop; all three use a decimal comma.
NUMBER = {
    "ru": re.compile(r"^\d{1,3}([\u00a0\u202f]\d{3})*,\d+$"),
    "kk": re.compile(r"^\d{1,3}([\u00a0\u202f]\d{3})*,\d+$"),
    "az": re.compile(r"^\d{1,3}(\.\d{3})*,\d+$"),
}
INTEGER = {
    "ru": re.compile(r"^\d{1,3}([\u00a0\u202f]\d{3})+$"),
    "kk": re.compile(r"^\d{1,3}([\u00a0\u202f]\d{3})+$"),
    "az": re.compile(r"^\d{1,3}(\.\d{3})+$"),
}
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
# What a placeholder of the catalog can stand for on screen: a count, a year, a range of years; else any text on
# one line.
NUMBER_TEXT = r"[\d\u00a0\u202f.,]+"
YEARS_TEXT = r"\d{4}(?:\s*[–-]\s*\d{4})?"
FILLS = {
    "n": NUMBER_TEXT,
    "k": NUMBER_TEXT,
    "total": NUMBER_TEXT,
    "count": NUMBER_TEXT,
    "a": NUMBER_TEXT,
    "e": NUMBER_TEXT,
    "t": NUMBER_TEXT,
    "v": NUMBER_TEXT,
    "d": NUMBER_TEXT,
    "year": r"\d{4}",
    "start": r"\d{4}",
    "first": r"\d{4}",
    "last": r"\d{4}",
    "years": YEARS_TEXT,
    "period": r"[^\n]{1,40}?",
    "range": YEARS_TEXT,
}
ANY = r"[^\n]+?"


@dataclass(frozen=True)
class English:
    """An English interface string that must not be left on a translated page: the msgid itself, or, for a
    msgid with {placeholders}, a pattern of its literal parts."""

    msgid: str
    pattern: re.Pattern | None = None

    def found_in(self, text: str) -> str | None:
        """The English text as it stands on the page, if it is there."""
        if self.pattern is None:
            return self.msgid if self.msgid in text else None
        match = self.pattern.search(text)
        return match.group(0) if match else None


@cache
def translations(code: str) -> dict[str, str]:
    """msgid (each plural form too) -> the translation the app shows (fuzzy or empty: none, so English)."""
    with (ROOT / "locales" / code / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh)
    shown: dict[str, str] = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for i, msgid in enumerate(ids):
            text = strings[min(i, len(strings) - 1)] if strings else ""
            if text:
                shown[msgid] = text
    return shown


def tr(code: str, msgid: str) -> str:
    return translations(code).get(msgid, msgid)


@cache
def english_strings(code: str) -> tuple[English, ...]:
    """The English catalog's msgids longer than 12 characters with a space (both plural forms), except those whose
    translation in `code` is the msgid itself."""
    with (ROOT / "locales" / "messages.pot").open("rb") as fh:
        catalog = read_po(fh)
    found = []
    for message in catalog:
        if not message.id:
            continue
        for msgid in message.id if isinstance(message.id, tuple) else (message.id,):
            if translations(code).get(msgid) == msgid:
                continue
            literal = PLACEHOLDER.split(msgid)
            if len(literal) == 1:
                if len(msgid) > 12 and " " in msgid:
                    found.append(English(msgid))
                continue
            # "{n} full years (by reporter)": its literal parts in order, what a placeholder stands for between
            longest = max(literal, key=len)
            if sum(map(len, literal)) > 12 and len(longest.strip()) >= 8 and " " in longest.strip():
                holes = [
                    FILLS.get(name.strip("{}").split(":")[0].split("!")[0], ANY) for name in PLACEHOLDER.findall(msgid)
                ]
                pattern = re.escape(literal[0]) + "".join(
                    f"(?:{h}){re.escape(part)}" for h, part in zip(holes, literal[1:])
                )
                found.append(English(msgid, re.compile(pattern)))
    return tuple(found)


VISIBLE_TEXT = """() => {
    const parts = [];
    for (const root of document.querySelectorAll('[data-testid="stMain"], [data-testid="stSidebar"]')) {
        // code blocks are text to copy (the code examples, the citation with the dashboard's name), not interface
        const hidden = [...root.querySelectorAll('[data-testid="stCode"]')];
        hidden.forEach(e => e.style.setProperty('display', 'none'));
        parts.push(root.innerText);
        hidden.forEach(e => e.style.removeProperty('display'));
        // chart text (titles, axes, legends, annotations; a wrapped text's lines joined again), but not the hover
        // boxes' free text
        for (const t of root.querySelectorAll('svg.main-svg text')) {
            if (t.closest('.hoverlayer')) continue;
            const lines = [...t.querySelectorAll(':scope > tspan.line')];
            parts.push(lines.length ? lines.map(l => l.textContent).join(' ') : t.textContent);
        }
    }
    return parts.join('\\n');
}"""


def english_left(page, code: str) -> list[str]:
    """The English sentences on screen, as they read there; one that is only part of another found (the label
    of a grid inside an expander's English title, a singular inside its plural) is not repeated."""
    text = page.evaluate(VISIBLE_TEXT)
    found = {hit for e in english_strings(code) if (hit := e.found_in(text))}
    return sorted(hit for hit in found if not any(hit != other and hit in other for other in found))


def in_lang(code: str, page: View) -> dict[str, str]:
    return {"title": tr(code, page.title), "heading": tr(code, page.heading), "site": tr(code, SITE)}


@pytest.mark.parametrize("view", PAGES, ids=[p.page for p in PAGES])
@pytest.mark.parametrize("code", LANGS)
def test_no_english_interface_text_is_left(page, app_url, code, view: View):
    """Every page (and each of its tabs) opened with ?lang=<code>: its title, heading and <html lang> in that
    language, and none of the English catalog's sentences on screen."""
    names = in_lang(code, view)
    goto(page, view.url(app_url, lang=code))
    page.locator('[data-testid="stMain"] h1').first.wait_for()
    expect(page.locator("h1").first).to_have_text(names["heading"])
    expect(page).to_have_title(f"{names['title']} — {names['site']}")
    assert page.evaluate("() => document.documentElement.lang") == HTML_LANG[code]
    left = {"(as it opens)": english_left(page, code)}
    if view.page == "overview":
        screenshot(page, f"lang_{code}")
    for _tab, label, _drawn in TABS.get(view.page, [])[1:]:
        click_tab(page, tr(code, label))
        left[tr(code, label)] = english_left(page, code)
    problems = [
        f"English interface text ({where}):\n" + "\n".join(f"    {s!r}" for s in strings)
        for where, strings in left.items()
        if strings
    ]
    if view.page == "overview":
        problems += metric_format(page, code) + metric_cut(page)
    if view.page == "diaspora":
        problems += grid_thousands(page, code)
    assert not problems, f"{view.path}?lang={code}:\n  " + "\n  ".join(problems)


def metric_format(page, code: str) -> list[str]:
    """The Overview's first metric (trade turnover, million USD, one decimal) in the language's number format."""
    value = page.locator('[data-testid="stMetricValue"]').first.inner_text().strip()
    return [] if NUMBER[code].match(value) else [f"the first metric reads {value!r}, not a number as {code} writes it"]


def metric_cut(page) -> list[str]:
    """No headline figure's label, value or change is cut to "…" (a long Kazakh label lost its unit: ui.metrics
    wraps them), and the four values stand level however many lines their labels take."""
    found = page.evaluate(
        """() => ({
             cut: [...document.querySelectorAll('[data-testid="stMetric"] *')]
                    .filter(e => e.scrollWidth > e.clientWidth + 1)
                    .map(e => e.textContent),
             tops: [...document.querySelectorAll('[data-testid="stMetricValue"]')]
                     .map(e => Math.round(e.getBoundingClientRect().top))})"""
    )
    problems = [f"a metric's text is cut: {text!r}" for text in found["cut"]]
    if len(found["tops"]) != 4 or max(found["tops"]) - min(found["tops"]) > 1:
        problems.append(f"the four metric values do not stand level: their tops at {found['tops']} px")
    return problems


def grid_thousands(page, code: str) -> list[str]:
    """A population figure of the "Years with more than one figure" grid groups its thousands as the language
    does (the grid draws on a canvas; its accessible table holds the same text)."""
    grid = page.locator('[data-testid="stDataFrame"]').filter(has_text=tr(code, "Lowest figure"))
    expect(grid.first).to_be_attached()
    cell = grid.first.locator('td[role="gridcell"][aria-colindex="3"]').first
    value = cell.text_content().strip()
    return [] if INTEGER[code].match(value) else [f"a population figure reads {value!r}, not grouped as {code} does"]


@pytest.mark.parametrize("code", LANGS)
def test_the_language_chosen_survives_a_page_switch_and_a_reload(page, app_url, code):
    goto(page, f"{app_url}/trade?from=2005&to=2020")
    assert query(page).get("lang") == ["en"]
    page.locator(LANGUAGE).locator("input").first.click()
    page.get_by_role("option", name=NAMES[code], exact=True).click()
    expect(page.locator("h1").first).to_have_text(tr(code, "Trade"))
    wait_ready(page)
    assert query(page).get("lang") == [code], page.url
    visits = PAGES[2]
    click_nav(page, tr(code, visits.title), visits.path)
    expect(page.locator("h1").first).to_have_text(tr(code, visits.heading))
    wait_ready(page)
    params = query(page)
    assert (params.get("lang"), params.get("from"), params.get("to")) == ([code], ["2005"], ["2020"]), page.url
    assert page.evaluate("() => document.documentElement.lang") == HTML_LANG[code]
    page.reload(wait_until="domcontentloaded")
    wait_ready(page)
    expect(page.locator("h1").first).to_have_text(tr(code, visits.heading))
    assert query(page).get("lang") == [code], page.url
    assert page.evaluate("() => document.documentElement.lang") == HTML_LANG[code]
    expect(page.locator(SIDEBAR).get_by_text(tr(code, "Year range"), exact=True)).to_be_visible()


@pytest.mark.parametrize(("locale", "code"), [("ru-RU", "ru"), ("de-DE", "en")])
def test_a_first_visit_follows_the_browser_language(page_in, app_url, locale, code):
    page = page_in(locale)
    goto(page, f"{app_url}/")
    expect(page.locator("h1").first).to_have_text(tr(code, SITE) if code != "en" else SITE)
    assert page.evaluate("() => document.documentElement.lang") == HTML_LANG[code]
    assert query(page).get("lang") == [code], page.url
    assert page.evaluate("() => navigator.language") == locale
