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


@pytest.fixture(autouse=True, scope="session")
def _own_store(tmp_path_factory):
    """Validated tables of this test run go to a folder of their own (components/store.py), never to the
    repository's .cache/: tests start from nothing stored, like a fresh clone."""
    import os

    previous = os.environ.get("AZKZ_STORE_DIR")
    os.environ["AZKZ_STORE_DIR"] = str(tmp_path_factory.mktemp("validated-store"))
    yield
    if previous is None:
        os.environ.pop("AZKZ_STORE_DIR", None)
    else:
        os.environ["AZKZ_STORE_DIR"] = previous
