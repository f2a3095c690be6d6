"""Interface languages: gettext catalogs (Babel), numbers and dates in the reader's format. No streamlit here.

Catalogs are `locales/<lang>/LC_MESSAGES/messages.po`, managed with pybabel (see README, "Languages"). They are
compiled in memory when first used (no build step to forget; `pybabel compile` works too). English is the
source language: its strings are the message ids.

A `Lang` carries everything language-specific a view needs: `_` (gettext), `ngettext` (plural forms of the
language: Russian and Kazakh have their own rules), `number`, `date`, `month_year`, and Plotly's
`separators`. CSV downloads never go through it: they stay machine-readable in every language.
"""

from __future__ import annotations

import datetime as dt
import gettext
import io
import threading
from dataclasses import dataclass
from pathlib import Path

from babel import Locale
from babel.dates import format_date

LOCALES_DIR = Path(__file__).resolve().parents[1] / "locales"
DEFAULT = "en"
# Language code -> Babel locale. az is Azerbaijani in Latin script, kk Kazakh in Cyrillic script.
LOCALES = {"en": "en_GB", "ru": "ru_RU", "az": "az_Latn_AZ", "kk": "kk_Cyrl_KZ"}
NAMES = {"en": "English", "ru": "Русский", "az": "Azərbaycan dili", "kk": "Қазақ тілі"}
HTML_LANG = {"en": "en", "ru": "ru", "az": "az-Latn", "kk": "kk-Cyrl"}

_lock = threading.Lock()
_catalogs: dict[str, gettext.NullTranslations] = {}


def N_(message: str) -> str:
    """Marks a message for translation where it is defined; it is translated where it is shown."""
    return message


def normalise(code: object) -> str | None:
    """'ru', 'ru-RU', 'az_Latn_AZ', 'KK' -> a supported language code, else None."""
    if not isinstance(code, str) or not code:
        return None
    base = code.replace("_", "-").split("-")[0].lower()
    return base if base in LOCALES else None


def _catalog(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of a language (English: the ids themselves), built once per process."""
    with _lock:
        if lang not in _catalogs:
            _catalogs[lang] = _compile(lang)
        return _catalogs[lang]


def _compile(lang: str) -> gettext.NullTranslations:
    path = LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po"
    if lang == DEFAULT or not path.is_file():
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with path.open("rb") as fh:
        catalog = read_po(fh, locale=LOCALES[lang])
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@dataclass(frozen=True)
class Lang:
    """One interface language."""

    code: str = DEFAULT

    @property
    def locale(self) -> str:
        return LOCALES[self.code]

    def _(self, message: str) -> str:
        return _catalog(self.code).gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return _catalog(self.code).ngettext(singular, plural, n)

    def pgettext(self, context: str, message: str) -> str:
        return _catalog(self.code).pgettext(context, message)

    def number(self, value: float | int | None, digits: int = 1, *, grouping: bool = True) -> str:
        """1234.5 -> '1,234.5' (en), '1 234,5' (ru, kk), '1.234,5' (az); None -> '—'.

        The language's symbols come from Babel (CLDR); the digits are Python's (groups of three, as in all four
        languages): about 20x faster than formatting each cell with Babel, and the same text."""
        if value is None or value != value:
            return "—"
        decimal, group = _symbols(self.locale)
        text = f"{value:{',' if grouping else ''}.{digits}f}"
        return text.replace(",", "\0").replace(".", decimal).replace("\0", group)

    def compact(self, value: float | None, digits: int = 4) -> str:
        """Up to `digits` significant digits and three decimals, no trailing zeros (for values of many sizes):
        the language's default number format (#,##0.###)."""
        if value is None or value != value:
            return "—"
        text = f"{float(f'{value:.{digits}g}'):,.3f}".rstrip("0").rstrip(".")
        decimal, group = _symbols(self.locale)
        return text.replace(",", "\0").replace(".", decimal).replace("\0", group)

    def date(self, day: dt.date, precision: str = "day") -> str:
        """A date at its precision: '12 March 2024', 'March 2024' or '2024' in the reader's language."""
        if precision == "year":
            return str(day.year)
        if precision == "month":
            return format_date(day, "LLLL y", locale=self.locale)
        return format_date(day, "long", locale=self.locale)

    @property
    def separators(self) -> str:
        """Plotly's layout.separators: the decimal mark, then the thousands separator."""
        loc = Locale.parse(self.locale)
        return loc.number_symbols["latn"]["decimal"] + loc.number_symbols["latn"]["group"]


_symbol_cache: dict[str, tuple[str, str]] = {}


def _symbols(locale: str) -> tuple[str, str]:
    """(decimal mark, thousands separator) of a locale, read from CLDR once."""
    if locale not in _symbol_cache:
        symbols = Locale.parse(locale).number_symbols["latn"]
        _symbol_cache[locale] = (symbols["decimal"], symbols["group"])
    return _symbol_cache[locale]


def lang(code: str | None) -> Lang:
    return Lang(normalise(code) or DEFAULT)
