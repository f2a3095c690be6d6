"""The store of validated tables (components/data/store.py) and the app's cache (components/app_data.py): exact
round trips, keys that follow content, entries that are checked on every read, edits seen on the next rerun,
and a restart that validates nothing unchanged but everything edited."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather
import pytest

from components.data import loading, store
from components.data.loading import DataError, expected_dtypes, load_table
from components.data.package import Package
from components.shaping import transforms
from components.shaping.filters import YearRange
from components.views.base import needs

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "data"


# --- helpers ------------------------------------------------------------------------------------


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]], list[int]]:
    """Header, rows as dicts, and the physical start line of each row (header = line 1)."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows, lines = [], []
        while True:
            start = reader.line_num + 1
            row = next(reader, None)
            if row is None:
                break
            if row:
                rows.append(dict(zip(header, row)))
                lines.append(start)
    return header, rows, lines


def write_rows(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def set_cells(path: Path, row: int, **values: str) -> None:
    header, rows, _ = read_rows(path)
    rows[row].update(values)
    write_rows(path, header, rows)


def n_rows(path: Path) -> int:
    return len(read_rows(path)[1])


def key(name: str, folder: Path, files_in: Path | None = None) -> str:
    """The store key of a table the way app_data computes it: its CSV, those it is checked against, the package
    (files looked for in `files_in`, by default the package's folder)."""
    pkg = Package.read(folder)
    files = [(files_in or folder) / pkg.file_name(n) for n in (name, *pkg.dependencies(name))]
    return store.table_key(name, files, folder / "datapackage.json")


def validated(name: str, folder: Path) -> pd.DataFrame:
    """The table as load_table validates it, checked against its dependencies (themselves validated)."""
    pkg = Package.read(folder)
    deps = {}
    for dep in pkg.dependencies(name):
        try:
            deps[dep] = validated(dep, folder)
        except DataError:
            deps[dep] = None
    return load_table(name, pkg, deps)


def entries(folder: Path, name: str) -> list[Path]:
    return sorted(folder.glob(f"{name}-*.arrow"))


def arrow_bytes(df: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    feather.write_feather(pa.Table.from_pandas(df, preserve_index=False), buffer)
    return buffer.getvalue()


@pytest.fixture
def store_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "store"
    monkeypatch.setenv("AZKZ_STORE_DIR", str(folder))
    return folder


def forget(app_data) -> None:
    """Drop everything app_data holds in memory (what a new server process starts with)."""
    app_data._tables.clear()
    app_data._views.clear()
    app_data._last_good.clear()
    app_data._stale.clear()


@pytest.fixture
def app(data_copy, store_dir, monkeypatch):
    """components.app_data serving a throw-away copy of the data, from an empty store, with nothing cached."""
    from components import app_data

    monkeypatch.setenv("AZKZ_DATA_DIR", str(data_copy))
    forget(app_data)
    yield app_data
    forget(app_data)


# --- the store on its own -------------------------------------------------------------------------


def test_every_real_table_comes_back_exactly(store_dir):
    pkg = Package.read(DATA_DIR)
    loaded = {n: t for n, t in loading.load_dataset(DATA_DIR).items() if isinstance(t, pd.DataFrame)}
    assert loaded
    for name, table in loaded.items():
        assert store.write(name, "k", table), name
        back = store.read(name, "k", expected_dtypes(pkg, name))
        assert back is not None, name
        pd.testing.assert_frame_equal(back, table, check_exact=True)
        assert list(back.dtypes) == list(table.dtypes), name


def seal(store_dir, data: bytes) -> str:
    """The entry's digest: an HMAC of its bytes under the key kept beside (not inside) the store folder."""
    key = (store_dir.parent / "store.key").read_bytes()
    return hmac.new(key, data, hashlib.sha256).hexdigest()[:32]


def test_an_entry_is_named_after_the_digest_of_its_bytes(store_dir, data_copy):
    table = validated("diaspora", data_copy)
    assert store.write("diaspora", "k1", table)
    [entry] = entries(store_dir, "diaspora")
    assert entry.name == f"diaspora-k1-{seal(store_dir, entry.read_bytes())}.arrow"
    assert not list(store_dir.glob("*.tmp")), "written atomically: no temporary file left"
    assert store.write("diaspora", "k2", table)
    assert [e.name.split("-")[1] for e in entries(store_dir, "diaspora")] == ["k2"], "older entries removed"
    assert store.read("diaspora", "k1") is None


def test_writing_one_table_keeps_the_entries_of_the_others(store_dir, data_copy):
    assert store.write("routes", "k", validated("routes", data_copy))
    assert store.write("route_points", "k", validated("route_points", data_copy))
    assert store.read("routes", "k") is not None and store.read("route_points", "k") is not None


def test_key_follows_the_bytes_of_the_table_and_of_what_it_is_checked_against(data_copy):
    before = {name: key(name, data_copy) for name in ("visits", "route_points", "sources")}
    assert before == {name: key(name, data_copy) for name in before}, "a key must not change by itself"
    visits = data_copy / "visits.csv"
    visits.write_bytes(visits.read_bytes().replace(b"\n", b"\r\n", 1))
    assert key("visits", data_copy) != before["visits"]
    assert key("route_points", data_copy) == before["route_points"]
    routes = data_copy / "routes.csv"
    routes.write_bytes(routes.read_bytes() + b"\n")
    assert key("route_points", data_copy) != before["route_points"], "route_points is checked against routes"
    sources = data_copy / "sources.csv"
    sources.write_bytes(sources.read_bytes() + b"\n")
    assert key("sources", data_copy) != before["sources"]
    elsewhere = data_copy.parent / "elsewhere"
    assert key("visits", data_copy) != key("visits", data_copy, elsewhere), "a missing file is a change"


def test_key_follows_the_package(data_copy):
    before = key("diaspora", data_copy)
    package = data_copy / "datapackage.json"
    package.write_text(package.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert key("diaspora", data_copy) != before
    assert key("diaspora", data_copy) != key("indicators", data_copy)


def test_a_damaged_entry_is_a_miss_not_an_error(store_dir):
    store_dir.mkdir(parents=True)
    junk = store_dir / "visits-abc-0123456789abcdef0123456789abcdef.arrow"
    junk.write_bytes(b"not arrow at all")
    assert store.read("visits", "abc") is None
    assert not junk.exists(), "a damaged entry is removed"


def test_store_off(monkeypatch):
    monkeypatch.setenv("AZKZ_STORE_DIR", "off")
    assert store.store_dir() is None
    assert not store.write("visits", "k", pd.DataFrame({"a": [1]}))
    assert store.read("visits", "k") is None


def test_an_unwritable_store_only_costs_validating_again(tmp_path, monkeypatch, data_copy):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("AZKZ_STORE_DIR", str(blocker / "store"))  # below a file: cannot be created
    assert store.write("diaspora", "k", validated("diaspora", data_copy)) is False
    assert store.read("diaspora", "k") is None


# --- a tampered entry is never served -----------------------------------------------------------


@pytest.fixture
def stored(store_dir, data_copy) -> tuple[pd.DataFrame, dict, Path]:
    """trade_turnover validated and stored: (frame, expected dtypes, the entry)."""
    table = validated("trade_turnover", data_copy)
    assert store.write("trade_turnover", "k", table)
    [entry] = entries(store_dir, "trade_turnover")
    dtypes = expected_dtypes(Package.read(data_copy), "trade_turnover")
    assert store.read("trade_turnover", "k", dtypes) is not None
    return table, dtypes, entry


def test_a_changed_value_in_a_stored_file_is_a_miss(stored):
    table, dtypes, entry = stored
    tampered = table.assign(value_usd_m=table["value_usd_m"] * 1000)
    entry.write_bytes(arrow_bytes(tampered))  # a valid Arrow file, same name
    assert store.read("trade_turnover", "k", dtypes) is None
    assert not entry.exists(), "the changed entry is removed"


def test_a_stored_file_with_other_dtypes_is_a_miss(stored, store_dir):
    table, dtypes, _ = stored
    retyped = table.assign(value_usd_m=table["value_usd_m"].astype("str"))
    assert store.write("trade_turnover", "k", retyped)  # a well-named entry, but not the contract's dtypes
    [entry] = entries(store_dir, "trade_turnover")
    assert store.read("trade_turnover", "k", dtypes) is None
    assert not entry.exists()


def test_a_stored_file_missing_a_column_is_a_miss(stored, store_dir):
    table, dtypes, _ = stored
    assert store.write("trade_turnover", "k", table.drop(columns=["note"]))
    assert store.read("trade_turnover", "k", dtypes) is None
    assert not entries(store_dir, "trade_turnover")


@pytest.mark.parametrize("damage", ["truncated", "emptied", "zero-rows"])
def test_a_truncated_or_emptied_stored_file_is_a_miss(stored, damage):
    table, dtypes, entry = stored
    data = entry.read_bytes()
    entry.write_bytes(
        {"truncated": data[: len(data) // 2], "emptied": b"", "zero-rows": arrow_bytes(table.iloc[:0])}[damage]
    )
    assert store.read("trade_turnover", "k", dtypes) is None
    assert not entry.exists()


def test_a_stored_file_with_its_columns_reordered_is_a_miss(stored, store_dir):
    table, dtypes, _ = stored
    assert store.write("trade_turnover", "k", table[list(reversed(table.columns))])
    assert store.read("trade_turnover", "k", dtypes) is None


# --- app_data: the app's view of the data -------------------------------------------------------


def _first_entry(store_dir: Path, name: str) -> Path:
    [entry] = entries(store_dir, name)
    return entry


def test_a_tampered_value_comes_back_validated_from_the_csv(app, data_copy, store_dir):
    """The issue: value_usd_m * 1000 in a stored Arrow file showed 116,880 as validated data."""
    first = app.table("trade_turnover")
    assert isinstance(first, pd.DataFrame)
    entry = _first_entry(store_dir, "trade_turnover")
    entry.write_bytes(arrow_bytes(first.assign(value_usd_m=first["value_usd_m"] * 1000)))
    forget(app)  # a new server process
    again = app.table("trade_turnover")
    expected = validated("trade_turnover", data_copy)
    pd.testing.assert_frame_equal(again, expected, check_exact=True)
    assert again["value_usd_m"].max() == expected["value_usd_m"].max() < 1000 * first["value_usd_m"].max()
    new = _first_entry(store_dir, "trade_turnover")
    assert new.name.endswith(seal(store_dir, new.read_bytes()) + ".arrow"), "stored again"


def test_a_retyped_entry_comes_back_validated_from_the_csv(app, data_copy, store_dir):
    """The issue: a changed dtype in the store crashed every page."""
    first = app.table("trade_turnover")
    entry = _first_entry(store_dir, "trade_turnover")
    stored_key = entry.name.split("-")[1]
    assert store.write("trade_turnover", stored_key, first.assign(year=first["year"].astype("str")))
    forget(app)
    again = app.table("trade_turnover")
    assert str(again["year"].dtype) == "Int64"
    pd.testing.assert_frame_equal(again, validated("trade_turnover", data_copy), check_exact=True)


def test_an_emptied_entry_comes_back_validated_from_the_csv(app, data_copy, store_dir):
    """The issue: an emptied table in the store showed No visits."""
    first = app.table("visits")
    assert len(first) == n_rows(data_copy / "visits.csv") > 0
    _first_entry(store_dir, "visits").write_bytes(b"")
    forget(app)
    again = app.table("visits")
    assert len(again) == len(first)
    pd.testing.assert_frame_equal(again, validated("visits", data_copy), check_exact=True)


def test_an_unchanged_table_comes_from_the_store_after_a_restart(app, data_copy, monkeypatch):
    first = app.table("visits")
    forget(app)
    calls = []
    monkeypatch.setattr(loading, "load_table", lambda *a, **k: calls.append(a[0]))
    again = app.table("visits")
    assert calls == [], "nothing validated"
    pd.testing.assert_frame_equal(again, first, check_exact=True)


def test_an_edited_csv_is_picked_up_on_the_next_rerun(app, data_copy):
    path = data_copy / "visits.csv"
    assert app.table("visits").loc[0, "visitor"] != "Edited Visitor"
    set_cells(path, 0, visitor="Edited Visitor")
    assert app.table("visits").loc[0, "visitor"] == "Edited Visitor"
    header, rows, _ = read_rows(path)
    write_rows(path, header, [*rows, dict(rows[0], date="2001-02-03", date_precision="day", end_date="")])
    df = app.table("visits")
    assert len(df) == n_rows(path) == len(rows) + 1
    assert df.iloc[-1]["date"] == "2001-02-03"


def test_an_edited_dependency_changes_the_version_and_is_checked_again(app, data_copy):
    before = app.version("visits")
    assert app.version("diaspora", "visits") != before
    path = data_copy / "sources.csv"
    source = read_rows(data_copy / "visits.csv")[1][0]["source_id"].split(";")[0]
    header, rows, _ = read_rows(path)
    for r in rows:  # renamed everywhere in sources.csv, which stays valid; visits still cites the old id
        r["source_id"] = f"{source}_renamed" if r["source_id"] == source else r["source_id"]
        r["cited_in"] = ";".join(f"{source}_renamed" if c == source else c for c in r["cited_in"].split(";"))
    write_rows(path, header, rows)
    assert isinstance(app.table("sources"), pd.DataFrame)
    assert app.version("visits") != before
    result = app.table("visits")
    assert isinstance(result, DataError)
    assert any(p.column == "source_id" and p.value == source for p in result.problems), result


def _same_size_edit(path: Path, column: str) -> tuple[int, str, bytes]:
    """Change the case of the last letter of a cell: the file keeps its size. Returns (row, new value, bytes)."""
    _, rows, _ = read_rows(path)
    row = next(i for i, r in enumerate(rows) if r[column][-1:].isascii() and r[column][-1:].isalpha())
    old = rows[row][column]
    new = old[:-1] + old[-1].swapcase()
    data = path.read_bytes()
    edited = data.replace(old.encode(), new.encode(), 1)
    assert len(edited) == len(data) and edited != data
    return row, new, edited


@pytest.mark.parametrize("how", ["in-place", "replaced"])
def test_a_same_size_edit_keeping_the_mtime_is_seen(app, data_copy, how):
    """`cp -p`, `rsync -a`, `tar x`: different bytes, same size, old mtime."""
    path = data_copy / "visits.csv"
    first = app.table("visits")
    before_version = app.version("visits")
    row, new, edited = _same_size_edit(path, "visitor")
    st = path.stat()
    time.sleep(0.02)  # past the file system's clock tick, so the change time differs
    if how == "in-place":
        path.write_bytes(edited)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    else:
        tmp = data_copy / "visits.csv.tmp"
        tmp.write_bytes(edited)
        os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
        os.replace(tmp, path)
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    assert app.version("visits") != before_version
    df = app.table("visits")
    assert df.loc[row, "visitor"] == new != first.loc[row, "visitor"]
    assert read_rows(path)[1][row]["visitor"] == new


def _half_written(path: Path) -> bytes:
    """The file cut about halfway, inside a row, right after that row's first field (a date: no comma, no
    quote): a ragged last row, found from the csv module's record lines (a quoted note may span lines)."""
    data = path.read_bytes()
    lines = data.splitlines(keepends=True)
    record_lines = read_rows(path)[2]
    line = record_lines[len(record_lines) // 2]
    start = sum(len(ln) for ln in lines[: line - 1])
    return data[: data.index(b",", start) + 1]


def test_a_half_written_file_serves_the_last_good_version_and_says_so(app, data_copy):
    path = data_copy / "visits.csv"
    good = app.table("visits")
    assert isinstance(good, pd.DataFrame) and app.stale(("visits",)) == {}
    original = path.read_bytes()
    path.write_bytes(_half_written(path))
    served = app.table("visits")
    assert isinstance(served, pd.DataFrame)
    pd.testing.assert_frame_equal(served, good, check_exact=True)
    stale = app.stale(("visits", "diaspora"))
    assert list(stale) == ["visits"]
    assert isinstance(stale["visits"], DataError)
    assert any(p.file == "visits.csv" and p.rule.startswith("row has 2 fields") for p in stale["visits"].problems), (
        stale["visits"]
    )
    assert app.health()["stale"] == ["visits"]
    path.write_bytes(original)
    set_cells(path, 0, visitor="Rewritten Visitor")  # written in full: the current version, not the last good
    current = app.table("visits")
    assert app.stale(("visits",)) == {}
    assert current.loc[0, "visitor"] == "Rewritten Visitor"
    pd.testing.assert_frame_equal(current, validated("visits", data_copy), check_exact=True)


def test_the_last_good_version_belongs_to_its_data_folder(app, data_copy, tmp_path, monkeypatch):
    assert isinstance(app.table("visits"), pd.DataFrame)
    other = tmp_path / "other-data"
    shutil.copytree(data_copy, other)
    (other / "visits.csv").write_bytes(_half_written(other / "visits.csv"))
    monkeypatch.setenv("AZKZ_DATA_DIR", str(other))
    assert isinstance(app.table("visits"), DataError), "another folder's good visits is not this one's"
    assert app.stale(("visits",)) == {}
    monkeypatch.setenv("AZKZ_DATA_DIR", str(data_copy))
    assert isinstance(app.table("visits"), pd.DataFrame) and app.stale(("visits",)) == {}


def test_a_table_that_never_validated_is_its_data_error(app, data_copy):
    path = data_copy / "visits.csv"
    path.write_bytes(_half_written(path))
    result = app.table("visits")
    assert isinstance(result, DataError)
    assert any(p.rule.startswith("row has 2 fields") for p in result.problems)
    assert app.stale(("visits",)) == {}


def test_a_failure_is_never_stored(app, data_copy, store_dir):
    path = data_copy / "visits.csv"
    path.write_bytes(_half_written(path))
    assert isinstance(app.table("visits"), DataError)
    assert not entries(store_dir, "visits")


def test_each_caller_gets_its_own_frame(app):
    df = app.table("visits")
    visitor = df.loc[0, "visitor"]
    df.loc[0, "visitor"] = "changed by one session"
    del df["note"]
    again = app.table("visits")
    assert again.loc[0, "visitor"] == visitor and "note" in again


def test_an_unknown_table_is_a_data_error(app):
    result = app.table("no_such_table")
    assert isinstance(result, DataError)
    assert [str(p) for p in result.problems] == ["datapackage.json: no table 'no_such_table'"]


def test_a_table_checked_while_its_dependency_was_broken_is_checked_again(app, data_copy):
    # route_points -> routes -> sources, without route_points -> sources (a package may say so)
    package = data_copy / "datapackage.json"
    raw = json.loads(package.read_text(encoding="utf-8"))
    points = next(r for r in raw["resources"] if r["name"] == "route_points")
    points["schema"].pop("x_foreignKeys", None)
    package.write_text(json.dumps(raw), encoding="utf-8")
    # 1. sources lacks an id that routes cites: routes fails, so route_points is not checked against it
    sources = data_copy / "sources.csv"
    original_sources = sources.read_bytes()
    header, rows, _ = read_rows(sources)
    cited = {c for r in rows for c in r["cited_in"].split(";") if c}
    by_routes = {s for r in read_rows(data_copy / "routes.csv")[1] for s in r["source_id"].split(";")}
    gone = next(r["source_id"] for r in rows if r["source_id"] in by_routes and r["source_id"] not in cited)
    write_rows(sources, header, [r for r in rows if r["source_id"] != gone])
    # route_points names a route that does not exist (on two points, so the route has enough points)
    path = data_copy / "route_points.csv"
    header, points_rows, _ = read_rows(path)
    route = next(r for r, n in Counter(p["route_id"] for p in points_rows).items() if n >= 4)
    for i in [i for i, p in enumerate(points_rows) if p["route_id"] == route][:2]:
        points_rows[i]["route_id"] = "no_such_route"
    write_rows(path, header, points_rows)
    assert isinstance(app.table("routes"), DataError)
    assert isinstance(app.table("route_points"), pd.DataFrame)  # could not be checked against routes
    # 2. sources fixed: routes validates again, and route_points must be checked against it
    sources.write_bytes(original_sources)
    forget(app)
    assert isinstance(app.table("routes"), pd.DataFrame)
    result = app.table("route_points")
    assert isinstance(result, DataError), "route_points with an unknown route served as validated"
    assert any(p.value == "no_such_route" for p in result.problems)


# --- a restarted server ---------------------------------------------------------------------------


RESTART = """
import json, os, sys
import components.data.loading as loading
from components import app_data
validated = []
original = loading.load_table
def counting(name, *args, **kwargs):
    validated.append(name)
    return original(name, *args, **kwargs)
loading.load_table = counting
pkg = app_data.package()
names = [n for n in os.environ.get("TEST_TABLES", "").split(",") if n] or list(pkg.names)
tables = {name: app_data.table(name) for name in names}
print(json.dumps({"validated": sorted(validated), "pandera": "pandera" in sys.modules,
                  "errors": sorted(n for n, t in tables.items() if isinstance(t, app_data.DataError)),
                  "rows": {n: len(t) for n, t in tables.items() if not isinstance(t, app_data.DataError)}}))
"""


def restart(data: Path, store_folder: Path, names: list[str] | None = None) -> dict:
    """A new server process loading tables the way the app does (every table unless `names`)."""
    env = {
        **os.environ,
        "AZKZ_DATA_DIR": str(data),
        "AZKZ_STORE_DIR": str(store_folder),
        "PYTHONPATH": str(ROOT),
        "TEST_TABLES": ",".join(names or []),
    }
    done = subprocess.run(
        [sys.executable, "-c", RESTART], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_restart_validates_only_what_changed(data_copy, tmp_path):
    folder = tmp_path / "store"
    pkg = Package.read(data_copy)
    rows = {name: n_rows(pkg.path(name)) for name in pkg.names}
    empty = sorted(n for n, r in rows.items() if r == 0)  # tables still waiting for rows never validate
    first = restart(data_copy, folder)
    assert first["validated"] == sorted(pkg.names), "every table validated once"
    assert first["pandera"] and first["errors"] == empty
    assert first["rows"] == {n: r for n, r in rows.items() if r}
    good = [n for n in pkg.names if n not in empty]

    second = restart(data_copy, folder, good)
    assert second["validated"] == [], "unchanged files must come from the store"
    assert not second["pandera"], "nothing to validate: pandera is not even imported"
    assert second["rows"] == first["rows"]

    diaspora = data_copy / "diaspora.csv"
    lines = diaspora.read_text(encoding="utf-8").splitlines(keepends=True)
    diaspora.write_text("".join(lines[:-1]), encoding="utf-8")  # one row fewer
    third = restart(data_copy, folder, good)
    assert third["validated"] == ["diaspora"]
    assert third["rows"]["diaspora"] == first["rows"]["diaspora"] - 1

    diaspora.write_text("".join([*lines[:-1], lines[-1].replace(",", ",oops,", 1)]), encoding="utf-8")
    broken = restart(data_copy, folder, good)
    assert broken["errors"] == ["diaspora"], "an edited file is validated, and its problems reported"
    again = restart(data_copy, folder, good)
    assert again["errors"] == ["diaspora"] and again["validated"] == ["diaspora"], "failures are never stored"


def test_an_entry_renamed_to_the_sha_of_its_forged_bytes_is_not_trusted(store_dir, data_copy):
    """A plain digest in the name could be recomputed by whoever changed the file: the key is not in the store."""
    table = validated("trade_turnover", data_copy)
    assert store.write("trade_turnover", "k", table)
    [entry] = entries(store_dir, "trade_turnover")
    forged = arrow_bytes(table.assign(value_usd_m=table["value_usd_m"] * 1000))
    target = entry.with_name(f"trade_turnover-k-{hashlib.sha256(forged).hexdigest()[:32]}.arrow")
    entry.unlink()
    target.write_bytes(forged)
    assert store.read("trade_turnover", "k") is None
    assert not target.exists(), "a forged entry is removed"
    assert (store_dir.parent / "store.key").stat().st_mode & 0o077 == 0, "the key is readable by its owner only"


DERIVED_CALLS: list[int] = []


def _doubled(trade: pd.DataFrame) -> pd.DataFrame:
    DERIVED_CALLS.append(len(trade))
    return trade.assign(doubled=trade["value_usd_m"] * 2)


@needs("trade_turnover")
def _doubled_view(ctx):
    return transforms.in_years(ctx.once("trade_turnover", _doubled), ctx.years)


def test_a_derived_table_is_made_once_per_version_for_every_range_and_again_after_an_edit(app, data_copy):
    DERIVED_CALLS.clear()
    early = app.view(_doubled_view, YearRange(2001, 2012), "en")
    late = app.view(_doubled_view, YearRange(2013, 2025), "ru")
    made = [n_rows(data_copy / "trade_turnover.csv")]
    assert made == DERIVED_CALLS, "made once for two ranges and languages"
    assert set(early["year"]) <= set(range(2001, 2013)) and set(late["year"]) <= set(range(2013, 2026))
    assert (early["doubled"] == early["value_usd_m"] * 2).all() and len(early) and len(late)
    path = data_copy / "trade_turnover.csv"
    _, rows, _ = read_rows(path)  # a total with no directions beside it (no sum to keep)
    alone = next(i for i, r in enumerate(rows) if (r["year"], r["reporter"], r["flow"]) == ("2009", "AZ", "total"))
    set_cells(path, alone, value_usd_m="999.5")
    again = app.view(_doubled_view, YearRange(1991, 2030), "en")
    assert not app.stale(("trade_turnover",)), "the edit is valid: the table is the new one, not the last good"
    assert len(DERIVED_CALLS) == 2, "the edited table is derived again"
    assert 1999.0 in set(again["doubled"])


_overlap = {"now": 0, "most": 0}


@needs(always=False)
def _slow_view(ctx, tag: str = "") -> str:
    """A view that records how many builds run at once."""
    _overlap["now"] += 1
    _overlap["most"] = max(_overlap["most"], _overlap["now"])
    time.sleep(0.05)
    _overlap["now"] -= 1
    return tag


def test_views_are_built_one_at_a_time_and_each_key_once():
    """Thirty sessions asking for thirty new views take turns (no GIL contention between builds), and one
    that asks for a view another is building waits for it instead of building it again."""
    import threading

    from components import app_data

    _overlap.update(now=0, most=0)
    before = app_data.cache_stats()["view_builds"]
    years = YearRange(2000, 2001)
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda i=i: results.append(app_data.view(_slow_view, years, "en", tag=str(i % 4))))
        for i in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(results) == sorted(str(i % 4) for i in range(8))
    assert _overlap["most"] == 1, f"{_overlap['most']} builds at once"
    assert app_data.cache_stats()["view_builds"] - before == 4, "a view built twice"


@needs(always=False)
def _nesting_view(ctx) -> str:
    """A view that asks for another view while it is built (not allowed: it could deadlock)."""
    from components import app_data

    return app_data.view(_slow_view, ctx.years, "en", tag="inner")


def test_a_view_that_asks_for_another_view_fails_at_once_instead_of_hanging():
    from components import app_data

    with pytest.raises(RuntimeError, match="cannot nest"):
        app_data.view(_nesting_view, YearRange(2003, 2004), "en")
    assert app_data.view(_slow_view, YearRange(2003, 2004), "en", tag="after") == "after", "the lock was kept"
