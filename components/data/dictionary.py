"""Render the data dictionary (data/README.md) from datapackage.json, the one source of truth.

`python -m components.data.dictionary` rewrites data/README.md; a test checks it is up to date.
"""

from __future__ import annotations

import sys

from components.data.package import Package

INTRO = """# The dataset

Facts and figures about Azerbaijan–Kazakhstan relations: trade, visits and agreements, corridors and energy, the
diaspora. They come from five articles, the primary sources those articles cite, and public pages of statistics
offices, customs, ministries, press services, operators and news agencies that state a figure (`sources.csv`: each
page with its address, publisher, date, the day we read it and the body it quotes). Every row cites its source(s)
in `source_id`; descriptions are our own words. This file is generated from `datapackage.json` by
`python -m components.data.dictionary`: edit the metadata there, not the tables below.

`datapackage.json` is a standard Frictionless tabular data package (`frictionless validate data/datapackage.json`).
What the standard cannot say is in `x_` annotations: `x_partial_date` (a date at the precision known),
`x_foreignKeys` (references to a `;`-separated list of ids, or to an id of either of two tables), `x_unit`, and the
package's `x_coverage` (the years the data covers: the app's year range).

## Conventions

- UTF-8 CSV, one header row, one observation per row, `snake_case` columns.
- Dates are ISO 8601 at the precision the source gives: `YYYY-MM-DD`, `YYYY-MM` or `YYYY`, with
  `date_precision` (`day|month|year`). An impossible date in a source (a day that does not exist) is
  stored at the precision that is sound, with a note and a row in `discrepancies.csv`.
- Countries are ISO 3166 alpha-2 codes (`AZ`, `KZ`, `GE`, `TR`, `RU`, ...).
- `source_id` holds one or more ids from `sources.csv`, `;`-separated: the article first where there is one, then
  the primary source or page. `kind` says which: `article`, `primary` (a work an article cites) or `web` (a page
  we read ourselves; `quotes` names the office or official it attributes the figure to).
- Trade figures carry their `reporter`: `AZ` (Azerbaijani statistics or customs), `KZ` (Kazakh statistics) or
  `other` (an official's statement). The two countries' figures differ and are never blended.
- Periods are never mixed: `period` is `annual` only for a full calendar year; `H1`, `9M`, `Jan-Oct`, ... are
  kept apart and never plotted or summed as years.
- How firm a value is, is data: `qualifier` (`upper_bound`, `lower_bound`, `about`), a range's `value_high`,
  `year_approx` for a stand-in year, `stated_year` for a plan or target (whose `year` is the year it is for), and
  `is_derived` for a value we computed, with the method in `note`.
- Where sources disagree, each version is a row with its own source, and the pair is listed in
  `discrepancies.csv` with the keys of the rows it concerns (`subjects`).
- Route coordinates (`route_points.csv`) are of public record; `routes.csv` says how accurate each drawn line is.
- `names.csv` names every coded value and proper name in English, Russian, Azerbaijani and Kazakh.
- `geo/countries.geojson` is the offline base map (Natural Earth via `world-atlas`; see `geo/README.md`).

## How to add or correct a row

1. Find the fact in a source and note its id in `sources.csv` (add the source if it is new: a page gets
   `kind=web` with its address, date, `accessed` and `quotes`; a work an article cites gets `kind=primary` and
   `cited_in`).
2. Edit the CSV (any text editor or spreadsheet saved as UTF-8 CSV). Write descriptions in your own words.
3. Run `python -m components.data.validate`. It checks every rule below (types, allowed values, ranges,
   unique keys, real dates, sources and routes that resolve, totals equal to the sum of both flows, routes with
   at least two points, years within the coverage) and prints file, line, column, value and rule for anything
   wrong.
4. If sources disagree, keep both rows and add a line to `discrepancies.csv`.
5. Run the tests (`bash scripts/test.sh`); the app picks up an edited file on its next rerun.

## Tables
"""


def _constraint_text(field) -> str:
    c = field.get("constraints", {})
    parts = []
    if "enum" in c:
        parts.append("one of " + ", ".join(f"`{v}`" for v in c["enum"]))
    if "minimum" in c or "maximum" in c:
        parts.append(f"{c.get('minimum', '−∞')} … {c.get('maximum', '∞')}")
    if "pattern" in c:
        parts.append(f"pattern `{c['pattern']}`")
    if c.get("unique"):
        parts.append("unique")
    return "; ".join(parts)


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render(package: Package | None = None) -> str:
    package = package or Package.read()
    lines = [INTRO]
    for name in package.names:
        meta = package.resource(name)
        lines.append(f"### `{meta['path']}` — {meta.get('title', name)}\n")
        lines.append(f"{meta.get('description', '')}\n")
        lines.append(f"Key: {', '.join(f'`{k}`' for k in package.primary_key(name))}\n")
        refs = [
            f"`{', '.join(r.fields)}` → {' or '.join(f'`{t}`' for t in r.resources)}"
            + (f" (a `{r.delimiter}`-separated list)" if r.delimiter else "")
            for r in package.references(name)
        ]
        if refs:
            lines.append("References: " + "; ".join(refs) + "\n")
        lines.append("| column | type | required | unit | allowed | meaning |")
        lines.append("|---|---|---|---|---|---|")
        for field in package.fields(name):
            required = "yes" if field.get("constraints", {}).get("required") else "no"
            kind = "partial date" if field.get("x_partial_date") else field.get("type", "string")
            lines.append(
                f"| `{field['name']}` | {kind} | {required} | {_cell(field.get('x_unit', ''))} | "
                f"{_cell(_constraint_text(field))} | {_cell(field.get('description', ''))} |"
            )
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    package = Package.read()
    path = package.folder / "README.md"
    path.write_text(render(package), encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
