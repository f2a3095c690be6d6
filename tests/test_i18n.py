"""Languages: complete catalogs, nothing left unwrapped, numbers and dates in the reader's format, names in all four
languages, search across scripts."""

from __future__ import annotations

import ast
import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from babel.messages.pofile import read_po

from components import i18n

ROOT = Path(__file__).resolve().parents[1]
LANGS = ("ru", "az", "kk")
PLACEHOLDER = re.compile(r"{\w*}")


def catalog(lang: str):
    with (ROOT / "locales" / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=i18n.LOCALES[lang])


def template_ids(path: Path) -> set:
    with path.open("rb") as fh:
        return {m.id for m in read_po(fh) if m.id}


@pytest.mark.parametrize("lang", LANGS)
def test_every_message_is_translated_and_none_is_fuzzy(lang):
    messages = [m for m in catalog(lang) if m.id]
    assert messages, f"{lang}: empty catalog"
    empty = [m.id for m in messages if not m.string or (isinstance(m.string, tuple) and not all(m.string))]
    fuzzy = [m.id for m in messages if m.fuzzy]
    assert not empty, f"{lang}: {len(empty)} untranslated, e.g. {empty[:5]}"
    assert not fuzzy, f"{lang}: {len(fuzzy)} fuzzy, e.g. {fuzzy[:5]}"


@pytest.mark.parametrize("lang", LANGS)
def test_translations_keep_every_placeholder(lang):
    bad = []
    for m in catalog(lang):
        if not m.id or not m.string:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        wanted = set(PLACEHOLDER.findall(" ".join(ids)))
        for s in strings:
            found = set(PLACEHOLDER.findall(s))
            # a plural form may leave out {n} ("один визит"), never add or rename one
            if not (found == wanted or (isinstance(m.id, tuple) and found <= wanted)):
                bad.append((m.id, s))
    assert not bad, bad[:5]


@pytest.mark.parametrize("lang", LANGS)
def test_the_catalog_matches_the_template(lang):
    assert {m.id for m in catalog(lang) if m.id} == template_ids(ROOT / "locales" / "messages.pot")


def test_extraction_finds_nothing_new(tmp_path):
    """Every string wrapped for translation is in the template: `bash scripts/i18n.sh` was run after the last
    change of an interface string."""
    out = tmp_path / "fresh.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "--no-location",
            "-o",
            str(out),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    fresh = template_ids(out)
    kept = template_ids(ROOT / "locales" / "messages.pot")
    assert fresh - kept == set(), (
        f"not in locales/messages.pot (run bash scripts/i18n.sh): {sorted(map(str, fresh - kept))[:8]}"
    )
    assert kept - fresh == set(), f"no longer used (run bash scripts/i18n.sh): {sorted(map(str, kept - fresh))[:8]}"


# Calls in pages/ and frame/ whose first argument a reader sees.
SHOWN = {
    "title",
    "header",
    "subheader",
    "caption",
    "markdown",
    "info",
    "warning",
    "error",
    "success",
    "expander",
    "metric",
    "page_title",
    "button",
    "tabs",
    "view_tabs",
    "multiselect",
    "search_box",
    "choice",
    "pills",
    "radio",
    "selectbox",
    "Page",
}


def _literal_text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.search(r"[A-Za-z]{3}", node.value):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return ast.unparse(node)
    if isinstance(node, ast.BinOp):
        return _literal_text(node.left) or _literal_text(node.right)
    return None


@pytest.mark.parametrize(
    "path", sorted([*(ROOT / "pages").glob("*.py"), ROOT / "frame" / "main.py"]), ids=lambda p: p.name
)
def test_pages_show_no_string_that_is_not_wrapped_for_translation(path):
    unwrapped = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SHOWN:
            shown = {
                "Page": [],
                "view_tabs": node.args[1:2],
                "multiselect": node.args[:1],
                "choice": node.args[:1],
                "search_box": node.args[:1],
            }.get(node.func.attr, node.args[:2])
            for arg in shown:
                if isinstance(arg, ast.List):
                    shown.extend(arg.elts)
                    continue
                text = _literal_text(arg)
                if text and not text.startswith(("**", "Language · ")):
                    unwrapped.append((node.lineno, text))
            for kw in node.keywords:
                if kw.arg in ("help", "title", "placeholder", "label"):
                    text = _literal_text(kw.value)
                    if text:
                        unwrapped.append((node.lineno, text))
    assert not unwrapped, unwrapped


@pytest.mark.parametrize("path", sorted((ROOT / "components" / "views").glob("*.py")), ids=lambda p: p.name)
def test_views_name_their_columns_and_messages_through_gettext(path):
    """Headings of on-screen tables (ctx.grid's column names) and Empty(...) messages are translated."""
    unwrapped = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in ("grid", "Empty"):
            for arg in node.args[1:2] if getattr(node.func, "attr", "") == "grid" else node.args[:1]:
                values = arg.values if isinstance(arg, ast.Dict) else [arg]
                for value in values:
                    text = _literal_text(value)
                    if text and text not in ("English", "Русский", "Azərbaycan dili", "Қазақ тілі"):
                        unwrapped.append((node.lineno, text))
    assert not unwrapped, unwrapped


@pytest.mark.parametrize(
    ("lang", "number", "day"),
    [
        ("en", "1,234.5", "12 March 2024"),
        ("ru", "1\u00a0234,5", "12 марта 2024\u202fг."),
        ("az", "1.234,5", "12 mart 2024"),
        ("kk", "1\u00a0234,5", "2024\u202fж. 12 наурыз"),
    ],
)
def test_numbers_and_dates_in_the_readers_format(lang, number, day):
    tr = i18n.Lang(lang)
    assert tr.number(1234.5) == number
    assert tr.date(dt.date(2024, 3, 12)) == day


@pytest.mark.parametrize(
    ("lang", "n", "text"),
    [
        ("ru", 1, "1 визит или встреча"),
        ("ru", 3, "3 визита или встречи"),
        ("ru", 5, "5 визитов или встреч"),
        ("en", 1, "1 visit or meeting"),
        ("en", 2, "2 visits or meetings"),
    ],
)
def test_plural_forms_follow_the_language(lang, n, text):
    message = i18n.Lang(lang).ngettext("{n} visit or meeting", "{n} visits or meetings", n).format(n=n)
    assert message == text


@pytest.mark.parametrize("code", ["ru", "ru-RU", "az_Latn_AZ", "KK", "en-US"])
def test_browser_languages_map_to_ours(code):
    assert i18n.normalise(code) == code[:2].lower()


@pytest.mark.parametrize("code", ["de", "", None, "zz-ZZ", "<script>"])
def test_other_languages_fall_back_to_english(code):
    assert i18n.lang(code).code == "en"


def test_every_name_has_all_four_languages():
    names = pd.read_csv(ROOT / "data" / "names.csv", dtype=str, keep_default_na=False)
    missing = names[(names[["en", "ru", "az", "kk"]] == "").any(axis=1)]
    assert missing.empty, missing[["kind", "key"]].head(10).values.tolist()


def test_kazakh_is_cyrillic_and_azerbaijani_latin():
    names = pd.read_csv(ROOT / "data" / "names.csv", dtype=str, keep_default_na=False)
    people = names[names["kind"].isin(["person", "city", "country"])]
    assert people["kk"].str.contains(r"[А-Яа-яӘәҒғҚқҢңӨөҰұҮүҺһІі]").mean() > 0.9
    assert not people["az"].str.contains(r"[А-Яа-я]").any()
