"""Sources & data: every source, every table explained, the disagreements, how to cite, the data by address,
one zip of everything. Pure: no streamlit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial

import pandas as pd

from components.data.loading import DataError
from components.shaping import export, provenance
from components.views.base import Context, Download, Grid, needs

APP_NAME = "Azerbaijan–Kazakhstan relations: the reference dashboard"
LICENCE = "CC-BY-4.0"


@dataclass(frozen=True)
class SourceList:
    heading: str
    grid: Grid
    count: int


@dataclass(frozen=True)
class Sources:
    lists: tuple[SourceList, ...]
    tables: Grid
    problems: tuple[DataError, ...]
    table_names: tuple[tuple[str, str], ...]
    discrepancies: Grid | None
    discrepancies_download: Download | None
    bundle: Download
    citation: str
    addresses: Grid
    names: Grid | None
    names_download: Download | None


def citation_text(ctx: Context, today: dt.date) -> str:
    """How to cite the dashboard and its data, with the licence."""
    _ = ctx._
    return _(
        "{app}. Compiled dataset version {version}, accessed {today}. Data: facts and figures from public "
        "sources (listed in sources.csv, each row citing its own); the compilation is offered under {licence} "
        "(Creative Commons Attribution 4.0): share and adapt it, naming this dashboard and the underlying "
        "sources."
    ).format(
        app=APP_NAME,
        version=ctx.tables.get("package").raw.get("version", "1"),
        today=today.isoformat(),
        licence=LICENCE,
    )


def _source_grid(ctx: Context, rows: pd.DataFrame) -> Grid:
    _ = ctx._
    show = rows.assign(
        when=[
            d if isinstance(d, str) else (str(int(y)) if pd.notna(y) else "")
            for d, y in zip(rows["date"], rows["year"])
        ],
        backed=[str(int(n)) if pd.notna(n) else "0" for n in rows["rows"]],
        cited=[", ".join(ctx.citations.get(s, s) for s in provenance.split_ids(c)) for c in rows["cited_in"]],
    )
    return ctx.grid(
        show,
        {
            "source_id": _("Id"),
            "authors": _("Authors"),
            "title": _("Title"),
            "publisher": _("Publisher"),
            "when": _("Date"),
            "doi_or_url": _("Address"),
            "quotes": _("Figures attributed to"),
            "accessed": _("Read on"),
            "cited": _("Cited in"),
            "backed": _("Rows backed"),
            "tables": _("Tables"),
        },
        links=("doi_or_url",),
    )


@needs("package", optional=("*",), always=False)
def sources(ctx: Context, base_url: str = "", today: str = "") -> Sources:
    _ = ctx._
    package = ctx.table("package")
    loaded = {n: t for n, t in ctx.tables.items() if isinstance(t, pd.DataFrame) and n in package.names}
    problems = tuple(t for n, t in ctx.tables.items() if isinstance(t, DataError))
    lists = []
    src = loaded.get("sources")
    if src is not None:
        listing = src.merge(provenance.rows_per_source(loaded, src), on="source_id", how="left")
        for kind, heading in (
            ("article", _("Articles")),
            ("primary", _("Primary sources the articles cite")),
            ("web", _("Web pages of statistics offices, ministries, operators and agencies")),
        ):
            rows = listing[listing["kind"] == kind]
            lists.append(SourceList(heading, _source_grid(ctx, rows), len(rows)))
    overview = []
    for name in package.names:
        frame = ctx.tables.get(name)
        years = ""
        if isinstance(frame, pd.DataFrame) and "year" in frame and frame["year"].notna().any():
            years = f"{int(frame['year'].min())}–{int(frame['year'].max())}"
        overview.append(
            {
                "table": f"{name}.csv",
                "title": package.resource(name).get("title", name),
                "rows": str(len(frame)) if isinstance(frame, pd.DataFrame) else "",
                "years": years,
                "status": _("valid") if isinstance(frame, pd.DataFrame) else _("has problems (below)"),
            }
        )
    tables = ctx.grid(
        pd.DataFrame(overview),
        {"table": _("File"), "title": _("Table"), "rows": _("Rows"), "years": _("Years"), "status": _("Status")},
    )
    disc = loaded.get("discrepancies")
    disc_grid = disc_download = None
    if disc is not None:
        disc_grid = ctx.disagreement_grid(disc)
        disc_download = ctx.download(disc, "discrepancies", _("Download the disagreements (CSV)"), "dl.discrepancies")
    day = dt.date.fromisoformat(today) if today else dt.date.today()
    citation = citation_text(ctx, day)
    extra = {
        "datapackage.json": (package.folder / "datapackage.json").read_bytes(),
        "CITATION.txt": (citation + "\n").encode("utf-8"),
        "LICENSE.txt": licence_text(ctx).encode("utf-8"),
    }
    readme = package.folder / "README.md"
    if readme.is_file():
        extra["README.md"] = readme.read_bytes()
    if problems:
        extra["VALIDATION_PROBLEMS.txt"] = "\n\n".join(str(p) for p in problems).encode("utf-8")
    bundle = Download(
        partial(export.bundle_zip, {n: t[package.columns(n)] for n, t in loaded.items()}, extra),
        "az-kz-relations-data.zip",
        _("Download all data (zip)"),
        "dl.all",
        "application/zip",
    )
    addresses = pd.DataFrame(
        [{"file": f"{n}.csv", "address": f"{base_url}/data/{n}.csv"} for n in package.names if n in loaded]
        + [{"file": "datapackage.json", "address": f"{base_url}/data/datapackage.json"}]
    )
    names = loaded.get("names")
    names_grid = names_download = None
    if names is not None:
        names_grid = ctx.grid(
            names,
            {
                "kind": _("Kind"),
                "key": _("Stored as"),
                "en": "English",
                "ru": "Русский",
                "az": "Azərbaycan dili",
                "kk": "Қазақ тілі",
                "aliases": _("Other spellings"),
            },
        )
        names_download = ctx.download(names, "names", _("Download the names (CSV)"), "dl.names")
    return Sources(
        tuple(lists),
        tables,
        problems,
        tuple((n, package.resource(n).get("title", n)) for n in package.names),
        disc_grid,
        disc_download,
        bundle,
        citation,
        ctx.grid(addresses, {"file": _("File"), "address": _("Address")}, links=("address",)),
        names_grid,
        names_download,
    )


def licence_text(ctx: Context) -> str:
    return (
        "The compiled Azerbaijan–Kazakhstan relations dataset is offered under the Creative Commons "
        "Attribution 4.0 International licence (CC BY 4.0), https://creativecommons.org/licenses/by/4.0/.\n"
        "The facts and figures come from public sources: each row names its source in source_id, and "
        "sources.csv gives every source's citation and address. Cite the dashboard and those sources.\n"
    )


@needs("package", always=False)
def columns(ctx: Context, table: str = "") -> Grid:
    """The data dictionary of one table: column, type, unit, allowed values, meaning."""
    _ = ctx._
    package = ctx.table("package")
    name = table if table in package.names else package.names[0]
    rows = []
    for field in package.fields(name):
        c = field.get("constraints", {})
        allowed = ", ".join(map(str, c["enum"])) if "enum" in c else ""
        if "minimum" in c or "maximum" in c:
            allowed = f"{c.get('minimum', '')} … {c.get('maximum', '')}".strip()
        rows.append(
            {
                "column": field["name"],
                "type": "partial date" if field.get("x_partial_date") else field["type"],
                "required": _("yes") if c.get("required") else "",
                "unit": field.get("x_unit", ""),
                "allowed": allowed,
                "meaning": field.get("description", ""),
            }
        )
    return ctx.grid(
        pd.DataFrame(rows),
        {
            "column": _("Column"),
            "type": _("Type"),
            "required": _("Required"),
            "unit": _("Unit"),
            "allowed": _("Allowed values"),
            "meaning": _("Meaning"),
        },
    )
