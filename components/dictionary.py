"""Render the data dictionary (data/README.md) from datapackage.json, the one source of truth.

`python -m components.dictionary` rewrites data/README.md; a test checks it is up to date.
"""
from __future__ import annotations

import sys

from components import schema

INTRO = """# The dataset

Facts and figures about Azerbaijan–Kazakhstan relations, extracted by hand from five articles
(see `sources.csv`). Every row cites its source(s) in `source_id`; descriptions are our own words.
This file is generated from `datapackage.json` by `python -m components.dictionary`: edit the metadata
there, not the tables below.

## Conventions

- UTF-8 CSV, one header row, one observation per row, `snake_case` columns.
- Dates are ISO 8601 at the precision the source gives: `YYYY-MM-DD`, `YYYY-MM` or `YYYY`, with
  `date_precision` (`day|month|year`). An impossible date in a source (a day that does not exist) is
  stored at the precision that is sound, with a note and a row in `discrepancies.csv`.
- Countries are ISO 3166 alpha-2 codes (`AZ`, `KZ`, `GE`, `TR`, `RU`, ...).
- `source_id` holds one or more ids from `sources.csv`, `;`-separated: the article first, then the
  primary source (statistics office, ministry, agency, outlet) the article cites for that row.
- Periods are never mixed: `period` is `annual` only for a full calendar year; `H1`, `Jan-May`, ... are
  kept apart and never plotted or summed as years.
- Values we computed are flagged (`is_derived = true` or a note) with the method in `note`.
- Where sources disagree, each version is a row with its own source, and the pair is listed in
  `discrepancies.csv`.
- Route coordinates (`route_points.csv`) are of public record, not from the articles; `routes.csv` says
  how accurate each drawn line is.
- `geo/countries.geojson` is the offline base map (Natural Earth via `world-atlas`; see `geo/README.md`).

## How to add or correct a row

1. Find the fact in a source and note its id in `sources.csv` (add the source if it is new: a primary
   source gets `kind=primary` and `cited_in` = the article id(s)).
2. Edit the CSV (any text editor or spreadsheet saved as UTF-8 CSV). Write descriptions in your own words.
3. Run `python -m components.validate`. It checks every rule below (types, allowed values, ranges,
   unique keys, real dates, sources that resolve, totals equal to the sum of both flows, routes with at
   least two points) and prints file, line, column, value and rule for anything wrong.
4. If sources disagree, keep both rows and add a line to `discrepancies.csv`.
5. Run the tests (`bash scripts/test.sh`); the app picks up an edited file on its next rerun.

## Tables
"""


def _constraint_text(field: dict) -> str:
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


def render() -> str:
    lines = [INTRO]
    for name in schema.table_names():
        meta = schema.table_meta(name)
        lines.append(f"### `{meta['path']}` — {meta.get('title', name)}\n")
        lines.append(f"{meta.get('description', '')}\n")
        lines.append(f"Key: {', '.join(f'`{k}`' for k in meta.get('primaryKey', []))}\n")
        lines.append("| column | type | required | unit | allowed | meaning |")
        lines.append("|---|---|---|---|---|---|")
        for field in meta["fields"]:
            required = "yes" if field.get("constraints", {}).get("required") else "no"
            lines.append(
                f"| `{field['name']}` | {field['type']} | {required} | {_cell(field.get('unit', ''))} | "
                f"{_cell(_constraint_text(field))} | {_cell(field.get('description', ''))} |"
            )
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    path = schema.PACKAGE_PATH.parent / "README.md"
    path.write_text(render(), encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
