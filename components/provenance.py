"""Source citations for what is on screen. Pure: no Streamlit."""
from __future__ import annotations

import pandas as pd


def split_ids(value: object) -> list[str]:
    """'a;b' -> ['a', 'b'] (blank/None -> [])."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return []
    return [part.strip() for part in str(value).split(";") if part.strip()]


def source_ids_in(*frames: pd.DataFrame, column: str = "source_id") -> list[str]:
    """Distinct source ids used by the rows of the frames, in order of first use."""
    seen: dict[str, None] = {}
    for frame in frames:
        if frame is None or column not in frame.columns:
            continue
        for value in frame[column]:
            for sid in split_ids(value):
                seen.setdefault(sid, None)
    return list(seen)


def short_citation(row: pd.Series) -> str:
    """'Huseynov (2017)' for an article; 'Ministry of Economy of Azerbaijan (2012)' for a primary source."""
    authors = row.get("authors")
    year = row.get("year")
    who = None
    if isinstance(authors, str) and authors.strip():
        names = [a.strip() for a in authors.split(";") if a.strip()]
        surname = lambda full: full.split()[-1] if row.get("kind") == "article" else full
        who = surname(names[0]) + (" et al." if len(names) > 2 else f" & {surname(names[1])}" if len(names) == 2 else "")
    if who is None:
        publisher = row.get("publisher")
        title = str(row.get("title", row.get("source_id", "")))
        who = publisher if isinstance(publisher, str) and publisher.strip() and row.get("kind") == "primary" else title
    when = f" ({int(year)})" if year is not None and not pd.isna(year) else ""
    return f"{who}{when}"


def source_line(sources: pd.DataFrame | None, *frames: pd.DataFrame, max_primary: int | None = None) -> str:
    """'Sources: Huseynov (2017); Ministry of Economy of Azerbaijan (2012).' for the rows shown.

    With `max_primary`, primary sources beyond that many are counted instead of named (for the
    line printed inside a chart; the full list goes under it)."""
    ids = source_ids_in(*frames)
    if not ids:
        return "Sources: none (no rows shown)."
    if sources is None or sources.empty:
        return "Sources: " + "; ".join(ids) + "."
    indexed = sources.set_index("source_id", drop=False)
    known = [sid for sid in ids if sid in indexed.index]
    articles = [sid for sid in known if indexed.loc[sid, "kind"] == "article"]
    others = [sid for sid in ids if sid not in articles]
    shown = others if max_primary is None else others[:max_primary]
    names = [short_citation(indexed.loc[sid]) if sid in indexed.index else sid for sid in articles + shown]
    line = "Sources: " + "; ".join(names)
    if len(shown) < len(others):
        line += f"; and {len(others) - len(shown)} primary sources they cite (listed under the chart)"
    return line + "."


def rows_per_source(tables: dict[str, pd.DataFrame], sources: pd.DataFrame) -> pd.DataFrame:
    """How many rows each source backs, per table and in total (sources with none show 0)."""
    counts: dict[str, dict[str, int]] = {sid: {} for sid in sources["source_id"]}
    for name, frame in tables.items():
        if name == "sources" or frame is None or "source_id" not in frame.columns:
            continue
        for value in frame["source_id"]:
            for sid in split_ids(value):
                counts.setdefault(sid, {})
                counts[sid][name] = counts[sid].get(name, 0) + 1
    rows = [
        {"source_id": sid, "rows": sum(per.values()), "tables": ", ".join(f"{t} ({n})" for t, n in sorted(per.items()))}
        for sid, per in counts.items()
    ]
    return pd.DataFrame(rows, columns=["source_id", "rows", "tables"])


def citation_names(sources: pd.DataFrame | None) -> dict[str, str]:
    """source_id -> short citation, for every source."""
    if sources is None or sources.empty:
        return {}
    return {row["source_id"]: short_citation(row) for _, row in sources.iterrows()}


def with_citations(df: pd.DataFrame, sources: pd.DataFrame | None,
                   names: dict[str, str] | None = None) -> pd.DataFrame:
    """A copy of df with a `cite` column: the short citations of each row's sources.

    `names` (citation_names(sources)) may be passed in when it is already built."""
    names = citation_names(sources) if names is None else names
    cite = [", ".join(names.get(sid, sid) for sid in split_ids(value)) for value in df["source_id"]]
    return df.assign(cite=cite)


def table_overview(name: str, frame: pd.DataFrame | None, error: str | None, meta: dict) -> dict:
    """One row of the 'tables' summary: rows, years covered, columns, or the error."""
    years = ""
    if frame is not None and "year" in frame.columns and frame["year"].notna().any():
        years = f"{int(frame['year'].min())}–{int(frame['year'].max())}"
    return {
        "table": name,
        "title": meta.get("title", name),
        "rows": None if frame is None else len(frame),
        "years": years,
        "status": "ok" if error is None else "invalid: " + error.splitlines()[0],
        "description": meta.get("description", ""),
    }


def columns_explained(meta: dict) -> pd.DataFrame:
    """The data dictionary of one table from its metadata: column, type, unit, allowed values, meaning."""
    rows = []
    for field in meta["fields"]:
        constraints = field.get("constraints", {})
        allowed = ", ".join(map(str, constraints["enum"])) if "enum" in constraints else ""
        if "minimum" in constraints or "maximum" in constraints:
            allowed = f"{constraints.get('minimum', '')} … {constraints.get('maximum', '')}".strip()
        rows.append({
            "column": field["name"], "type": field["type"], "required": bool(constraints.get("required")),
            "unit": field.get("unit", ""), "allowed": allowed, "meaning": field.get("description", ""),
        })
    return pd.DataFrame(rows)
