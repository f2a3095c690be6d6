"""The data package: `datapackage.json` beside the CSV tables, the one description of every table.

A standard Frictionless tabular data package (`frictionless validate data/datapackage.json` reads it). What the
standard cannot say is written in `x_` annotations, which frictionless ignores and this project reads:

- `x_partial_date` on a string field: an ISO date at the precision known (YYYY, YYYY-MM or YYYY-MM-DD);
- `x_foreignKeys` in a schema: references frictionless cannot check, a ';'-separated list of ids
  (`x_delimiter`) or an id of either of two tables (`x_or`);
- `x_unit` on a field, `x_coverage` on the package (the years the data covers: the app's year range).

A `Package` is immutable and read from a folder: the data folder holds its own datapackage.json, so pointing
AZKZ_DATA_DIR at another folder moves both. Nothing here imports streamlit.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

REPO_DATA_DIR = Path(__file__).resolve().parents[2] / "data"
PACKAGE_FILE = "datapackage.json"
SOURCES = "sources"
PRECISION_COLUMN = "date_precision"
PRECISION_LENGTH = MappingProxyType({"year": 4, "month": 7, "day": 10})
# pandas dtype of each Table Schema type (all nullable; text stays text).
DTYPES = MappingProxyType(
    {"integer": "Int64", "number": "Float64", "boolean": "boolean", "string": "str", "date": "str"}
)
_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def data_dir() -> Path:
    """The data folder: AZKZ_DATA_DIR if set (tests point it at broken copies), else the repository's data/."""
    return Path(os.environ.get("AZKZ_DATA_DIR") or REPO_DATA_DIR)


class PackageError(Exception):
    """datapackage.json is missing or not a package this app can read; the message names what is wrong."""


@dataclass(frozen=True)
class Reference:
    """One foreign key: `fields` of this table refer to `fields` of `resource` (or, with `alternative`, of that
    other table instead); `delimiter` when a cell holds several ids."""

    fields: tuple[str, ...]
    resource: str
    target: tuple[str, ...]
    delimiter: str | None = None
    alternative: tuple[str, tuple[str, ...]] | None = None

    @property
    def resources(self) -> tuple[str, ...]:
        return (self.resource,) + ((self.alternative[0],) if self.alternative else ())


@dataclass(frozen=True)
class Package:
    """The parsed datapackage.json of one data folder."""

    folder: Path
    raw: MappingProxyType

    @classmethod
    def read(cls, folder: Path | str | None = None) -> Package:
        folder = data_dir() if folder is None else Path(folder)
        path = folder / PACKAGE_FILE
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise PackageError("file is missing from the data folder") from None
        except (OSError, UnicodeDecodeError) as error:
            raise PackageError(f"file cannot be read ({type(error).__name__})") from None
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as error:
            raise PackageError(f"not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})") from None
        problem = _shape_problem(raw)
        if problem:
            raise PackageError(problem)
        return cls(folder, _frozen(raw))

    # --- tables -------------------------------------------------------------------------------
    @property
    def names(self) -> tuple[str, ...]:
        return tuple(r["name"] for r in self.raw["resources"])

    def resource(self, name: str) -> MappingProxyType:
        for resource in self.raw["resources"]:
            if resource["name"] == name:
                return resource
        raise KeyError(f"no table {name!r} in {PACKAGE_FILE}")

    def path(self, name: str) -> Path:
        return self.folder / self.resource(name)["path"]

    def file_name(self, name: str) -> str:
        return Path(self.resource(name)["path"]).name

    def fields(self, name: str) -> tuple[MappingProxyType, ...]:
        return tuple(self.resource(name)["schema"]["fields"])

    def columns(self, name: str) -> list[str]:
        return [f["name"] for f in self.fields(name)]

    def field_types(self, name: str) -> dict[str, str]:
        return {f["name"]: f["type"] for f in self.fields(name)}

    def primary_key(self, name: str) -> list[str]:
        key = self.resource(name)["schema"].get("primaryKey") or []
        return [key] if isinstance(key, str) else list(key)

    def partial_dates(self, name: str) -> list[str]:
        return [f["name"] for f in self.fields(name) if f.get("x_partial_date")]

    def references(self, name: str) -> tuple[Reference, ...]:
        """Every foreign key of the table: the standard `foreignKeys` and the `x_foreignKeys` annotations."""
        schema = self.resource(name)["schema"]
        out = []
        for key in (*schema.get("foreignKeys", ()), *schema.get("x_foreignKeys", ())):
            ref = key["reference"]
            alt = key.get("x_or")
            out.append(
                Reference(
                    _names(key["fields"]),
                    ref.get("resource") or name,
                    _names(ref["fields"]),
                    key.get("x_delimiter"),
                    (alt["resource"], _names(alt["fields"])) if alt else None,
                )
            )
        return tuple(out)

    def dependencies(self, name: str) -> tuple[str, ...]:
        """The other tables this one is checked against (its foreign keys), in package order."""
        needed = {res for ref in self.references(name) for res in ref.resources if res != name}
        return tuple(n for n in self.names if n in needed)

    def closure(self, names: tuple[str, ...] | list[str]) -> tuple[str, ...]:
        """The tables and everything they are checked against, dependencies first."""
        order: list[str] = []

        def visit(n: str, path: tuple[str, ...]) -> None:
            if n in order or n in path:
                return
            for dep in self.dependencies(n):
                visit(dep, (*path, n))
            order.append(n)

        for n in names:
            visit(n, ())
        return tuple(order)

    # --- package metadata ---------------------------------------------------------------------
    @property
    def coverage(self) -> tuple[int, int]:
        """The first and last year the data covers (the app's year range)."""
        cov = self.raw.get("x_coverage") or {}
        return int(cov.get("start", 1900)), int(cov.get("end", dt.date.today().year))

    @property
    def default_start(self) -> int:
        return int((self.raw.get("x_coverage") or {}).get("default_start", self.coverage[0]))


def _names(value: Any) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _shape_problem(raw: Any) -> str | None:
    """What keeps this JSON from being a package the app can use (None if it can)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("resources"), list):
        return "no list of resources"
    for i, res in enumerate(raw["resources"]):
        if not isinstance(res, dict) or not isinstance(res.get("name"), str) or not isinstance(res.get("path"), str):
            return f"resource {i + 1} has no name or path"
        if Path(res["path"]).is_absolute() or ".." in Path(res["path"]).parts:
            return f"resource {res['name']!r}: path must stay inside the data folder"
        schema = res.get("schema")
        if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list):
            return f"resource {res['name']!r} has no schema fields"
        for field in schema["fields"]:
            if not isinstance(field, dict) or not isinstance(field.get("name"), str):
                return f"resource {res['name']!r} has a field without a name"
            if field.get("type", "string") not in DTYPES:
                return f"resource {res['name']!r}, field {field.get('name')!r}: unknown type {field.get('type')!r}"
        for key in (*schema.get("foreignKeys", ()), *schema.get("x_foreignKeys", ())):
            ref = key.get("reference") if isinstance(key, dict) else None
            alt = key.get("x_or", {}) if isinstance(key, dict) else None
            if (
                not isinstance(ref, dict)
                or "fields" not in key
                or "fields" not in ref
                or not isinstance(alt, dict)
                or (alt and ("resource" not in alt or "fields" not in alt))
            ):
                return f"resource {res['name']!r}: a foreign key without fields or reference"
    return None


def _frozen(value: Any) -> Any:
    """Read-only views of the parsed JSON (dicts become mappingproxies, lists tuples)."""
    if isinstance(value, dict):
        return MappingProxyType({k: _frozen(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


def parse_partial_date(value: str) -> tuple[dt.date, int] | None:
    """(first day of the period, length) for a valid partial date, else None."""
    m = _PARTIAL_DATE.match(value)
    if not m:
        return None
    year, month, day = (int(g) if g else 1 for g in m.groups())
    try:
        return dt.date(year, month, day), len(value)
    except ValueError:
        return None
