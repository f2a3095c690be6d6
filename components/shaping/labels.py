"""Names of coded values and proper names in the reader's language, from data/names.csv. Pure.

`names.csv` gives, for each (kind, key) — a country code, a flow, a visit type, a route id, a person, a place —
its name in en, ru, az and kk, and other spellings (`aliases`, e.g. Nur-Sultan for Astana) that a search must
also find. A missing translation falls back to English, then to the key itself.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd
from babel.dates import get_month_names

from components.i18n import LOCALES, Lang

LANG_COLUMNS = tuple(LOCALES)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH = "|".join(_MONTHS)
_SPAN = re.compile(rf"^({_MONTH})(?:-({_MONTH}))?$")


@dataclass(frozen=True)
class Labels:
    """What a view needs to name things: the language and the names table (or None if it did not load)."""

    lang: Lang
    table: dict = field(default_factory=dict, compare=False, hash=False)  # (kind, key) -> {lang: name, aliases}

    @classmethod
    def build(cls, lang: Lang, names: pd.DataFrame | None) -> Labels:
        table = {}
        if names is not None:
            for row in names.to_dict("records"):
                table[(row["kind"], row["key"])] = row
        return cls(lang, table)

    def name(self, kind: str, key: object) -> str:
        """The name of `key` of vocabulary `kind` in the reader's language."""
        if key is None or (isinstance(key, float) and pd.isna(key)) or key is pd.NA:
            return ""
        row = self.table.get((kind, str(key)))
        if row is None:
            return str(key)
        for column in (self.lang.code, "en"):
            value = row.get(column)
            if isinstance(value, str) and value:
                return value
        return str(key)

    def names(self, kind: str, keys: Iterable[object]) -> list[str]:
        return [self.name(kind, k) for k in keys]

    def spellings(self, kind: str, key: object) -> list[str]:
        """Every spelling of a name (all languages and aliases), for searching across scripts."""
        row = self.table.get((kind, str(key)))
        if row is None:
            return [str(key)]
        out = [row.get(c) for c in LANG_COLUMNS] + str(row.get("aliases") or "").split(";")
        return [s for s in dict.fromkeys(out) if isinstance(s, str) and s]

    def expand(self, query: str) -> list[str]:
        """The query and, if it is one spelling of a name (in any language, or an alias), every other spelling:
        'Астана' -> Astana, Астана, Nur-Sultan, ... so a search finds the same rows in any script."""
        query = (query or "").strip()
        wanted = query.casefold()
        if not wanted:
            return []
        terms = [query]
        for (kind, key), _row in self.table.items():
            spellings = self.spellings(kind, key)
            if any(s.casefold() == wanted for s in spellings):
                terms += spellings
        return list(dict.fromkeys(terms))

    def countries(self, codes: object, sep: str = ", ") -> str:
        """'AZ;KZ' -> 'Azerbaijan, Kazakhstan'."""
        if not isinstance(codes, str):
            return ""
        return sep.join(self.name("country", c) for c in codes.split(";") if c)

    def period(self, period: object, year: object = None) -> str:
        """'H1' + 2022 -> 'H1 2022'; 'Jan-Oct' -> 'Jan–Oct' in the reader's month names; 'annual' -> the year."""
        _ = self.lang._
        year_text = "" if year is None or pd.isna(year) else str(int(year))
        if not isinstance(period, str) or period in ("", "annual"):
            return year_text
        text = period
        if m := re.fullmatch(r"H([12])", period):
            text = _("H{n}").format(n=m.group(1))
        elif m := re.fullmatch(r"Q([1-4])", period):
            text = _("Q{n}").format(n=m.group(1))
        elif m := re.fullmatch(r"(\d{1,2})M", period):
            text = self._months(1, int(m.group(1)))
        elif m := _SPAN.match(period):
            first = _MONTHS.index(m.group(1)) + 1
            text = self._months(first, _MONTHS.index(m.group(2)) + 1 if m.group(2) else first)
        elif period == "cumulative":
            text = _("cumulative")
        return f"{text} {year_text}".strip()

    def _months(self, first: int, last: int) -> str:
        names = get_month_names("abbreviated", locale=self.lang.locale)
        return names[first] if first == last else f"{names[first]}–{names[last]}"

    def date(self, value: object, precision: object = "day") -> str:
        """A stored partial date ('2024-03', month) in the reader's format ('March 2024')."""
        if not isinstance(value, str) or not value:
            return ""
        parts = [int(p) for p in value.split("-")]
        day = dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
        return self.lang.date(day, precision if isinstance(precision, str) else "day")
