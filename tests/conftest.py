"""Shared fixtures: a throw-away copy of the real data directory."""

import shutil
from pathlib import Path

import pytest

DATA_DIR = Path(__file__).parents[1] / "data"


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A copy of data/ (CSV files and datapackage.json) that a test may break."""
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target, ignore=shutil.ignore_patterns("staging"))
    return target
