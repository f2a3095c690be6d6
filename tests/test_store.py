"""The store of validated tables: exact round trips, keys that follow content, and a restart that
validates nothing unchanged but everything edited."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from components import loading, schema, store

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "data"


@pytest.fixture
def store_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "store"
    monkeypatch.setenv("AZKZ_STORE_DIR", str(folder))
    return folder


def key(name: str, data: Path) -> str:
    deps = {"route_points": ["routes", "sources"], "sources": []}.get(name, ["sources"])
    files = [data / schema.table_meta(n)["path"] for n in (name, *deps)]
    return store.table_key(name, files, schema.PACKAGE_PATH)


def test_every_real_table_comes_back_exactly(store_dir):
    for name, table in loading.load_dataset(DATA_DIR).items():
        assert isinstance(table, pd.DataFrame), table
        assert store.write(name, "k", table)
        back = store.read(name, "k")
        pd.testing.assert_frame_equal(back, table, check_exact=True)
        assert list(back.dtypes) == list(table.dtypes), name


def test_key_follows_the_bytes_of_the_table_and_of_what_it_is_checked_against(data_copy):
    before = {name: key(name, data_copy) for name in ("visits", "route_points", "sources")}
    assert before == {name: key(name, data_copy) for name in before}, "a key must not change by itself"
    visits = data_copy / "visits.csv"
    visits.write_bytes(visits.read_bytes().replace(b"Baku", b"Bakuu", 1))
    assert key("visits", data_copy) != before["visits"]
    assert key("route_points", data_copy) == before["route_points"]
    routes = data_copy / "routes.csv"
    routes.write_bytes(routes.read_bytes() + b"\n")
    assert key("route_points", data_copy) != before["route_points"], "route_points is checked against routes"
    sources = data_copy / "sources.csv"
    sources.write_bytes(sources.read_bytes() + b"\n")
    assert key("sources", data_copy) != before["sources"]
    assert key("visits", data_copy) != key("visits", data_copy.parent / "elsewhere"), "a missing file is a change"


def test_a_damaged_entry_is_a_miss_not_an_error(store_dir):
    store_dir.mkdir(parents=True)
    (store_dir / "visits-abc.arrow").write_bytes(b"not arrow at all")
    assert store.read("visits", "abc") is None


def test_store_off(monkeypatch):
    monkeypatch.setenv("AZKZ_STORE_DIR", "off")
    assert store.store_dir() is None
    assert not store.write("visits", "k", pd.DataFrame({"a": [1]}))
    assert store.read("visits", "k") is None


RESTART = """
import json, sys
from components import schema, ui
import components.loading as loading
validated = []
original = loading.load_table
def counting(name, *args, **kwargs):
    validated.append(name)
    return original(name, *args, **kwargs)
ui.load_table = counting
tables = {name: ui.load(name) for name in schema.table_names()}
print(json.dumps({"validated": sorted(validated), "pandera": "pandera" in sys.modules,
                  "errors": [n for n, t in tables.items() if isinstance(t, ui.DataError)],
                  "rows": {n: len(t) for n, t in tables.items() if not isinstance(t, ui.DataError)}}))
"""


def restart(data: Path, store_folder: Path) -> dict:
    """A new server process loading every table the way the app does."""
    env = {**os.environ, "AZKZ_DATA_DIR": str(data), "AZKZ_STORE_DIR": str(store_folder), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", RESTART], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_restart_validates_only_what_changed(data_copy, tmp_path):
    folder = tmp_path / "store"
    first = restart(data_copy, folder)
    assert first["validated"] == sorted(schema.table_names()) and first["pandera"] and not first["errors"]

    second = restart(data_copy, folder)
    assert second["validated"] == [], "unchanged files must come from the store"
    assert not second["pandera"], "nothing to validate: pandera is not even imported"
    assert second["rows"] == first["rows"]

    diaspora = data_copy / "diaspora.csv"
    lines = diaspora.read_text(encoding="utf-8").splitlines(keepends=True)
    diaspora.write_text("".join(lines[:-1]), encoding="utf-8")  # one row fewer
    third = restart(data_copy, folder)
    assert third["validated"] == ["diaspora"]
    assert third["rows"]["diaspora"] == first["rows"]["diaspora"] - 1

    diaspora.write_text("".join(lines[:-1] + [lines[-1].replace(",", ",oops,", 1)]), encoding="utf-8")
    broken = restart(data_copy, folder)
    assert broken["errors"] == ["diaspora"], "an edited file is validated, and its problems reported"
    again = restart(data_copy, folder)
    assert again["errors"] == ["diaspora"] and again["validated"] == ["diaspora"], "failures are never stored"
