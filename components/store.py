"""Validated tables kept on disk, keyed by content: a restarted server skips validating unchanged files.

Validation (pandera and the cross-table rules) is the slowest part of a cold start. A table that passed is
written as Arrow IPC (a data format, never code: nothing from the folder is executed) under a key that
hashes everything its validation depended on: the CSV's bytes, the CSVs it was checked against, the
datapackage.json, the code that reads and validates, and the library versions. Change any of them and the
key changes, so the table is validated again; an edited file can never be served from the store.

Only successes are stored (a table with problems is validated on every start and reports them).
Everything here fails soft: an unwritable or corrupt store just means validating again.
Set AZKZ_STORE_DIR to choose the folder, or to "off" to disable it.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pandas as pd

FORMAT = "1"  # bump when what a stored table means changes without the code files below changing
_CODE = ("loading.py", "schema.py", "store.py")
_LIBRARIES = ("pandas", "pandera", "pyarrow", "numpy")
DEFAULT_DIR = Path(__file__).resolve().parents[1] / ".cache" / "validated"


def store_dir() -> Path | None:
    """The store's folder, or None when it is turned off."""
    setting = os.environ.get("AZKZ_STORE_DIR", "")
    if setting.lower() == "off":
        return None
    return Path(setting) if setting else DEFAULT_DIR


def _library_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "-"


def _code_fingerprint() -> bytes:
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256(FORMAT.encode())
    for name in _CODE:
        digest.update(name.encode() + b"\0" + (here / name).read_bytes())
    for name in _LIBRARIES:
        digest.update(f"{name}={_library_version(name)}".encode())
    return digest.digest()


def _file_digest(path: Path) -> bytes:
    try:
        return hashlib.sha256(path.read_bytes()).digest()
    except OSError:
        return b"missing"


def table_key(name: str, files: list[Path], package: Path) -> str:
    """Key of table `name` validated from `files` (its CSV first, then those it is checked against)."""
    digest = hashlib.sha256(_code_fingerprint())
    digest.update(name.encode() + b"\0" + _file_digest(package))
    for path in files:
        digest.update(path.name.encode() + b"\0" + _file_digest(path))
    return digest.hexdigest()[:40]


def _path(folder: Path, name: str, key: str) -> Path:
    return folder / f"{name}-{key}.arrow"


def read(name: str, key: str) -> pd.DataFrame | None:
    """The stored table for this key, or None (not stored, store off, or unreadable)."""
    folder = store_dir()
    if folder is None:
        return None
    path = _path(folder, name, key)
    if not path.is_file():
        return None
    try:
        return pd.read_feather(path)
    except Exception:  # noqa: BLE001 - a damaged entry is only a miss: the caller validates again
        return None


def write(name: str, key: str, df: pd.DataFrame) -> bool:
    """Store a validated table (atomically; older entries of the table are removed). False if it could not."""
    folder = store_dir()
    if folder is None:
        return False
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(prefix=f".{name}-", suffix=".tmp", dir=folder)
        os.close(handle)
        try:
            df.to_feather(tmp)
            os.replace(tmp, _path(folder, name, key))
        finally:
            Path(tmp).unlink(missing_ok=True)
        for old in folder.glob(f"{name}-*.arrow"):
            if old.name != _path(folder, name, key).name:
                old.unlink(missing_ok=True)
        return True
    except Exception:  # noqa: BLE001 - a read-only or full disk only costs validating on the next start
        return False
