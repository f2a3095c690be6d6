"""Broken copies of data/: edit one cell of a CSV (whole rows rewritten with the csv module), find a cell's line."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"


def copy_data(target: Path) -> Path:
    shutil.copytree(DATA, target, ignore=shutil.ignore_patterns("staging", "README.md"))
    return target


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def write_rows(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def set_cell(path: Path, match: Callable[[dict[str, str]], bool], column: str, value: str) -> int:
    """Set `column` of the first row that matches; returns the CSV line of that row (the header is line 1; no
    quoted field of these files spans lines once rewritten, as the csv module writes embedded newlines quoted)."""
    header, rows = read_rows(path)
    for i, row in enumerate(rows):
        if match(row):
            row[column] = value
            write_rows(path, header, rows)
            return line_of(path, i)
    raise LookupError(f"no matching row in {path.name}")


def add_row(path: Path, values: dict[str, str]) -> int:
    """Append a row (missing columns empty); returns its CSV line."""
    header, rows = read_rows(path)
    rows.append({k: values.get(k, "") for k in header})
    write_rows(path, header, rows)
    return line_of(path, len(rows) - 1)


def line_of(path: Path, index: int) -> int:
    """The 1-based line on which data row `index` (0-based, after the header) starts."""
    text = path.read_text(encoding="utf-8")
    reader = csv.reader(io.StringIO(text, newline=""))
    start, n = 1, -1
    for _row in reader:
        if n == index:
            return start
        n += 1
        start = reader.line_num + 1
    raise IndexError(index)
