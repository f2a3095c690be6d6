"""The app's access to the data: the one place that caches tables and views.

- `table(name)`: a validated table (a fresh shallow copy: pandas copy-on-write makes it the caller's own at no
  cost, so no session can change what another sees), or the DataError that explains why it cannot be used.
- `tables(*names)`, `version(*names)`: the tables and the version of their files (and of everything they are
  checked against, from datapackage.json's foreign keys).
- `view(build, years, lang, **filters)`: a page's view (components/views), built once per (data version, years,
  language, filters) and shared by every session with the same inputs.

One process-wide cache (bounded, thread-safe, one build per key at a time, one view build at a time) holds both.
It is deliberately not Streamlit's st.cache_*: Streamlit 1.67 clears those for every user when any WebSocket client
sends a `clear_cache` message, whatever `client.toolbarMode` says (runtime/app_session.py), so one client could make
every other user's pages rebuild. This cache answers to no client message. A validated table also survives a
restart through the disk store (components/data/store.py).

A file's version is its (size, mtime, ctime, inode): ctime changes on every write, so an edit that keeps the
old mtime (`cp -p`, `rsync -a`, `tar x`) is still seen. A table that stops validating while it had a good
version (a CSV being written in place) keeps being served from that version, and the page says so.
"""

from __future__ import annotations

import importlib
import json
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from components.data import loading, store
from components.data.loading import DataError, Problem
from components.data.package import Package, PackageError, data_dir
from components.i18n import lang as make_lang
from components.shaping import export, provenance
from components.shaping.filters import YearRange
from components.shaping.labels import Labels
from components.views import base

BASEMAP = "basemap"  # data/geo/countries.geojson, loaded like a table (the map needs it)
PACKAGE = "package"  # the parsed datapackage.json, for views that explain the tables
MAX_BASEMAP_BYTES = 16 * 1024 * 1024


class _Cache:
    """A bounded LRU of built values; a key is built once at a time (other callers wait for it)."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[Hashable, threading.Lock] = {}
        self.builds = 0

    def get(self, key: Hashable, build: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            lock = self._building.setdefault(key, threading.Lock())
        with lock:
            with self._lock:
                if key in self._values:
                    return self._values[key]
            value = build()
            with self._lock:
                self.builds += 1
                self._values[key] = value
                self._values.move_to_end(key)
                while len(self._values) > self.max_entries:
                    self._values.popitem(last=False)
                self._building.pop(key, None)
            return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


_tables = _Cache(max_entries=96)
_views = _Cache(max_entries=768)
# Views are built one at a time, process-wide. A build is Python and pandas under the GIL: thirty sessions each
# building their own range at once only take turns at it, and every turn costs. bench/load.py at 30 sessions,
# each on a new range: server CPU per page run 93 -> 55 ms, p95 5.5 -> 3.0 s with this lock. The price: while one
# build reads and validates a table (the first request after a data file changed), the other builds wait.
# A build must not ask for another view: it would wait for that view's key while holding this lock, and the
# thread building that view would wait for the lock (view() raises instead of hanging).
_one_build_at_a_time = threading.Lock()
_in_a_build = threading.local()
# (data folder, table) -> (version, frame, when validated); tables served from their last good version, and why
_last_good: dict[tuple[str, str], tuple[str, pd.DataFrame, float]] = {}
_stale: dict[tuple[str, str], DataError] = {}


def _stat(path: Path) -> tuple:
    try:
        s = path.stat()
    except OSError:
        return (str(path.name), -1)
    return (path.name, s.st_size, s.st_mtime_ns, s.st_ctime_ns, s.st_ino)


def _package() -> Package | DataError:
    folder = data_dir()
    key = ("package", str(folder), _stat(folder / "datapackage.json"))

    def build():
        try:
            return Package.read(folder)
        except PackageError as error:
            return DataError(PACKAGE, [Problem("datapackage.json", None, None, None, str(error))])

    return _tables.get(key, build)


def package() -> Package | DataError:
    """The data package, or the DataError saying why datapackage.json cannot be used."""
    return _package()


def version(*names: str) -> str:
    """One key for the current version of these tables' files and of every file they are checked against. Within
    a view's build, each set of names is looked at once (the build sees one version of the files: a build asked
    for ~16 versions, each a few stat calls, ~2.5 ms of a build)."""
    seen = getattr(_in_a_build, "versions", None)
    if seen is None:
        return _version(names)
    if names not in seen:
        seen[names] = _version(names)
    return seen[names]


def _version(names: tuple[str, ...]) -> str:
    pkg = _package()
    if isinstance(pkg, DataError):
        return "broken-package"
    parts = [_stat(pkg.folder / "datapackage.json")]
    for name in pkg.closure([n for n in names if n in pkg.names]):
        parts.append(_stat(pkg.path(name)))
    if BASEMAP in names:
        parts.append(_stat(pkg.folder / "geo" / "countries.geojson"))
    return repr(parts)


def _load(pkg: Package, name: str) -> pd.DataFrame | DataError:
    """Validated table `name` for the current version of its files (from the disk store when it has it)."""
    ver = version(name)

    def build():
        # Everything it was checked against, at any depth: a table validated while one of those failed (so not
        # checked against it) gets another key once that one is fixed.
        files = [pkg.path(n) for n in (name, *(d for d in pkg.closure([name]) if d != name))]
        key = store.table_key(name, files, pkg.folder / "datapackage.json")
        expected = loading.expected_dtypes(pkg, name)
        stored = store.read(name, key, expected)
        if stored is not None:
            return stored
        deps = {}
        for dep in pkg.dependencies(name):
            result = _load(pkg, dep)
            deps[dep] = result if isinstance(result, pd.DataFrame) else None
        try:
            frame = loading.load_table(name, pkg, deps)
        except DataError as error:
            return error
        if store.table_key(name, files, pkg.folder / "datapackage.json") == key:  # not edited meanwhile
            store.write(name, key, frame)
        return frame

    return _tables.get(("table", name, ver), build)


def table(name: str) -> pd.DataFrame | DataError:
    """A validated table (the caller's own shallow copy), or the DataError explaining why it cannot be used."""
    pkg = _package()
    if isinstance(pkg, DataError):
        return DataError(name, pkg.problems, pkg.total)
    if name == PACKAGE:
        return pkg  # type: ignore[return-value]
    if name == BASEMAP:
        return _basemap(pkg)
    if name not in pkg.names:
        return DataError(name, [Problem("datapackage.json", None, None, None, f"no table {name!r}")])
    result = _load(pkg, name)
    slot = (str(pkg.folder), name)
    if isinstance(result, pd.DataFrame):
        _last_good[slot] = (version(name), result, time.time())
        _stale.pop(slot, None)
        return result.copy(deep=False)
    good = _last_good.get(slot)
    if good is not None:  # keep serving the last good version (a file being rewritten), and say so
        _stale[slot] = result
        return good[1].copy(deep=False)
    return result


def stale(names: tuple[str, ...]) -> dict[str, DataError]:
    """Tables among `names` currently served from their last good version, with the problems of the new one."""
    folder = str(data_dir())
    return {n: _stale[(folder, n)] for n in names if (folder, n) in _stale}


def _basemap(pkg: Package) -> dict | DataError:
    path = pkg.folder / "geo" / "countries.geojson"

    def build():
        def fail(rule: str) -> DataError:
            return DataError(BASEMAP, [Problem("geo/countries.geojson", None, None, None, rule)])

        try:
            if path.stat().st_size > MAX_BASEMAP_BYTES:
                return fail("file is larger than 16 MB")
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return fail("file not found (the map's country outlines)")
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            return fail(f"file is not valid GeoJSON ({type(error).__name__})")
        if (
            not isinstance(data, dict)
            or data.get("type") != "FeatureCollection"
            or not isinstance(data.get("features"), list)
        ):
            return fail("file is not a GeoJSON FeatureCollection")
        return data

    return _tables.get(("basemap", _stat(path)), build)


def table_csv(name: str) -> tuple[bytes, str] | None:
    """Table `name` as formula-safe CSV (the package's columns) and its version, made once per version of its
    files (the /data/<table>.csv route); None if there is no such valid table."""
    pkg = _package()
    if isinstance(pkg, DataError) or name not in pkg.names:
        return None
    ver = version(name)

    def build():
        frame = table(name)
        return None if isinstance(frame, DataError) else (export.to_safe_csv(frame[pkg.columns(name)]), ver)

    return _tables.get(("csv", name, ver), build)


def tables(*names: str) -> dict[str, pd.DataFrame | DataError]:
    return {name: table(name) for name in names}


@dataclass(frozen=True)
class Failed:
    """A view that could not be built: the tables it needs have problems."""

    errors: tuple[DataError, ...]


def _names(build: Callable) -> tuple[tuple[str, ...], tuple[str, ...]]:
    required = tuple(build.tables)
    optional = tuple(build.optional)
    if "*" in optional:
        pkg = _package()
        every = pkg.names if isinstance(pkg, Package) else ()
        optional = tuple(n for n in (*every, *optional) if n != "*" and n not in required)
    return required, optional


def _citations(sources: pd.DataFrame | None) -> dict[str, str]:
    """Short citations of every source, made once per version of sources.csv (not per view)."""
    return _tables.get(("citations", version("sources")), lambda: provenance.citation_names(sources))


def _source_rows(sources: pd.DataFrame | None) -> dict[str, dict]:
    return _tables.get(("source_rows", version("sources")), lambda: provenance.source_rows(sources))


def _labels(lang: str, names: pd.DataFrame | None) -> Labels:
    """The names table indexed for one language, once per version of names.csv."""
    return _tables.get(("labels", version("names"), lang), lambda: Labels.build(make_lang(lang), names))


def view(build: Callable, years: YearRange, lang: str, **filters: Hashable) -> Any:
    """The view `build` for these inputs, built once and shared (or Failed with the problems of the tables it
    needs). Filters must be plain hashable values: strings, numbers, tuples."""
    required, optional = _names(build)
    ver = version(*required, *optional)
    path = f"{build.__module__}:{build.__qualname__}"
    key = ("view", path, ver, years.start, years.end, lang, tuple(sorted(filters.items())))

    if getattr(_in_a_build, "path", None):
        raise RuntimeError(f"{_in_a_build.path} asked for the view {path} while being built: a view cannot nest one")

    def build_it():
        with _one_build_at_a_time:
            _in_a_build.path, _in_a_build.versions = path, {}
            try:
                return _build(path, ver, required, optional, years, lang, filters)
            finally:
                _in_a_build.path = _in_a_build.versions = None

    return _views.get(key, build_it)


def _build(
    path: str,
    ver: str,
    required: tuple[str, ...],
    optional: tuple[str, ...],
    years: YearRange,
    lang: str,
    filters: dict,
) -> Any:
    module, name = path.split(":")
    build = getattr(importlib.import_module(module), name)
    loaded = {n: table(n) for n in (*required, *optional)}
    errors = tuple(loaded[n] for n in required if isinstance(loaded[n], DataError))
    if errors:
        return Failed(errors)
    given = {n: (None if isinstance(t, DataError) else t) for n, t in loaded.items()}
    if "*" in build.optional:  # a view over every table (Sources & data) also sees which ones failed
        given.update({n: t for n, t in loaded.items() if isinstance(t, DataError)})
    sources = given.get("sources")
    ctx = base.Context(
        given,
        years,
        _labels(lang, given.get("names")),
        _citations(sources),
        _source_rows(sources),
        derive=lambda name, fn: _derived(name, fn, given[name]),
        memo=lambda part, fn: _views.get(("part", path, ver, lang, part), fn),  # Context.shared
    )
    return build(ctx, **filters)


def _derived(name: str, fn: Callable, frame: pd.DataFrame | None) -> pd.DataFrame:
    """fn(frame) once per version of table `name` (Context.once), shared by every view and session."""
    key = ("derived", name, version(name), f"{fn.__module__}.{fn.__qualname__}")
    return _tables.get(key, lambda: fn(frame))


def health() -> dict:
    """Which tables are valid: for the data health file (components/ui.py writes it) and the Sources page."""
    pkg = _package()
    if isinstance(pkg, DataError):
        return {"status": "broken", "problems": {"datapackage.json": pkg.total}}
    problems = {}
    for name in pkg.names:
        result = table(name)
        if isinstance(result, DataError):
            problems[name] = result.total
    stale_now = sorted(n for folder, n in _stale if folder == str(pkg.folder))
    return {
        "status": "ok" if not problems and not stale_now else "degraded",
        "problems": problems,
        "stale": stale_now,
        "checked": int(time.time()),
        "cache": cache_stats(),  # builds counted: a client message that rebuilt everything would show here
    }


def cache_stats() -> dict:
    return {
        "tables": len(_tables._values),
        "views": len(_views._values),
        "table_builds": _tables.builds,
        "view_builds": _views.builds,
        "pid": os.getpid(),
    }
