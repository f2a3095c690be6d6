"""Source citations for what is on screen. Pure: no streamlit."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from components.i18n import Lang

MAX_NAMED = 10  # outlets named in a chart's own source line (and image); the rest are counted


def split_ids(value: object) -> list[str]:
    """'a;b' -> ['a', 'b'] (blank/None -> [])."""
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return []
    return [part.strip() for part in str(value).split(";") if part.strip()]


def source_ids_in(*frames: pd.DataFrame | None, columns: tuple[str, ...] = ("source_id",)) -> list[str]:
    """Distinct source ids used by the rows of the frames, in order of first use."""
    seen: dict[str, None] = {}
    for frame in frames:
        if frame is None:
            continue
        for column in columns:
            if column in frame.columns:
                for value in dict.fromkeys(frame[column].tolist()):  # each distinct value once, in order
                    for sid in split_ids(value):
                        seen.setdefault(sid, None)
    return list(seen)


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def short_citation(row: Mapping) -> str:
    """'Huseynov (2017)' for an article or academic work; 'Trend, 2023-11-24' for a web page; the issuing body
    and year for a primary source."""
    authors, year, kind = _text(row.get("authors")), row.get("year"), row.get("kind")
    when = f" ({int(year)})" if year is not None and not pd.isna(year) else ""
    if kind == "web":
        date = _text(row.get("date")) or (str(int(year)) if when else "")
        return ", ".join(x for x in (_text(row.get("publisher")) or _text(row.get("title")), date) if x)
    if authors and (kind == "article" or ";" in authors or "," in authors):
        names = [a.strip() for a in authors.split(";") if a.strip()]
        surname = [n.split(",")[0].split()[-1] if "," not in n else n.split(",")[0] for n in names]
        who = surname[0] + (" et al." if len(names) > 2 else f" & {surname[1]}" if len(names) == 2 else "")
        return f"{who}{when}"
    who = _text(row.get("publisher")) or authors or _text(row.get("title")) or str(row.get("source_id", ""))
    return f"{who}{when}"


def citation_names(sources: pd.DataFrame | None) -> dict[str, str]:
    """source_id -> short citation, for every source."""
    if sources is None or sources.empty:
        return {}
    return {row["source_id"]: short_citation(row) for row in sources.to_dict("records")}


def with_citations(df: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    """A copy of df with a `cite` column: the short citations of each row's sources."""
    cite = [", ".join(names.get(sid, sid) for sid in split_ids(value)) for value in df["source_id"]]
    return df.assign(cite=cite)


def source_rows(sources: pd.DataFrame | None) -> dict[str, dict]:
    """source_id -> how source lines name it (made once per sources.csv version: the lines below look ids up)."""
    return {} if sources is None else {r["source_id"]: _naming(r) for r in sources.to_dict("records")}


def _naming(row: Mapping) -> dict:
    return {"citation": short_citation(row), "outlet": _outlet(row), "article": row.get("kind") == "article"}


def source_line(
    sources: pd.DataFrame | Mapping[str, dict] | None, ids: list[str], lang: Lang, *, compact: bool = False
) -> str:
    """'Sources: Huseynov (2017); Trend, 2023-11-24; …' for the rows shown.

    `compact` (the line printed inside a chart, and so in its exported image): articles and academic works by
    citation, other sources by publisher, each once: every source is named at the level of its outlet."""
    _ = lang._
    if not ids:
        return _("Sources: none (no rows shown).")
    by_id = source_rows(sources) if isinstance(sources, pd.DataFrame) else (sources or {})
    if not by_id:
        return _("Sources: {list}.").format(list="; ".join(ids))
    rows = [by_id.get(sid) or _naming({"source_id": sid}) for sid in ids]
    if not compact:
        return _("Sources: {list}.").format(list="; ".join(dict.fromkeys(r["citation"] for r in rows)))
    ranked = sorted(rows, key=lambda r: not r["article"])  # the articles first, then in order of use
    names = list(dict.fromkeys(r["outlet"] for r in ranked))
    if len(names) > MAX_NAMED:
        rest = len(names) - MAX_NAMED
        return lang.ngettext(
            "Sources: {list}; and {n} more outlet (all in sources.csv and on Sources & data).",
            "Sources: {list}; and {n} more outlets (all in sources.csv and on Sources & data).",
            rest,
        ).format(list="; ".join(names[:MAX_NAMED]), n=rest)
    return _("Sources: {list}.").format(list="; ".join(names))


def _outlet(row: Mapping) -> str:
    """An article or an academic work by its citation; any other source by the outlet that published it."""
    academic = row.get("kind") == "primary" and _text(row.get("authors")) and not _text(row.get("doi_or_url"))
    if row.get("kind") == "article" or academic:
        return short_citation(row)
    return _text(row.get("publisher")) or short_citation(row)


def rows_per_source(tables: Mapping[str, pd.DataFrame], sources: pd.DataFrame) -> pd.DataFrame:
    """How many rows each source backs, per table and in total (sources with none show 0)."""
    counts: dict[str, dict[str, int]] = {sid: {} for sid in sources["source_id"]}
    for name, frame in tables.items():
        if name == "sources" or frame is None:
            continue
        for sid in (
            s
            for col in ("source_id", "source_a", "source_b")
            if col in frame.columns
            for value in frame[col]
            for s in split_ids(value)
        ):
            counts.setdefault(sid, {})
            counts[sid][name] = counts[sid].get(name, 0) + 1
    rows = [
        {"source_id": sid, "rows": sum(per.values()), "tables": ", ".join(f"{t} ({n})" for t, n in sorted(per.items()))}
        for sid, per in counts.items()
    ]
    return pd.DataFrame(rows, columns=["source_id", "rows", "tables"])


def shortened(line: str, keep: int) -> tuple[str, int]:
    """A source line cut after its first `keep` entries ('Sources: a; b; …'), and how many entries were cut.

    The entries are separated by '; ' in every language (see source_line); a line of at most `keep` entries
    comes back whole, with 0."""
    entries = line.split("; ")
    if len(entries) <= keep:
        return line, 0
    return "; ".join(entries[:keep]) + "; …", len(entries) - keep
