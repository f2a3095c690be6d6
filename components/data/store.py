"""Validated tables kept on disk, keyed by content: a restarted server skips validating unchanged files.

Validation (pandera and the cross-table rules) is the slowest part of a cold start. A table that passed is
written as Arrow IPC (a data format, never code) under a key that hashes everything its validation depended
on: the CSV's bytes, the CSVs it was checked against, datapackage.json, the code of the data layer and the
library versions. Change any of them and the key changes, so the table is validated again.

The store does not trust its own files: each entry's name carries an HMAC-SHA256 of its bytes under a key kept
apart from the store (AZKZ_STORE_KEY, else a random key in `store.key` beside the store folder, readable by the
server's user only), checked on every read; and the table read back must have exactly the contract's columns and
dtypes, in order. A changed, truncated, re-typed or forged entry is a miss (and is removed), so the table is
validated again from its CSV.

Only successes are stored. Everything here fails soft: an unwritable or corrupt store just means validating
again. AZKZ_STORE_DIR chooses the folder, or "off" disables it. Nothing here imports streamlit.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import os
import secrets
import tempfile
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather

FORMAT = "2"  # bump when what a stored table means changes without the code below changing
_LIBRARIES = ("pandas", "pandera", "pyarrow", "numpy")
DEFAULT_DIR = Path(__file__).resolve().parents[2] / ".cache" / "validated"


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
    for path in sorted(here.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for name in _LIBRARIES:
        digest.update(f"{name}={_library_version(name)}".encode())
    return digest.digest()


def _secret(folder: Path) -> bytes | None:
    """The key the entries' digests are made with: AZKZ_STORE_KEY, else store.key beside the store folder
    (created once, mode 0600). None if it can be neither read nor made (the store is then not used)."""
    if os.environ.get("AZKZ_STORE_KEY"):
        return os.environ["AZKZ_STORE_KEY"].encode()
    path = folder.parent / "store.key"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    except OSError:
        return None
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(32))
    except FileExistsError:
        pass
    except OSError:
        return None
    try:
        return path.read_bytes()
    except OSError:
        return None


def _seal(key: bytes, data: bytes) -> str:
    return hmac.new(key, data, hashlib.sha256).hexdigest()[:32]


def _file_digest(path: Path) -> bytes:
    try:
        return hashlib.sha256(path.read_bytes()).digest()
    except OSError:
        return b"missing"


def table_key(name: str, files: Iterable[Path], package: Path) -> str:
    """Key of table `name` validated from `files` (its CSV first, then those it is checked against)."""
    digest = hashlib.sha256(_code_fingerprint())
    digest.update(name.encode() + b"\0" + _file_digest(package))
    for path in files:
        digest.update(path.name.encode() + b"\0" + _file_digest(path))
    return digest.hexdigest()[:40]


def _entries(folder: Path, name: str, key: str) -> list[Path]:
    return sorted(folder.glob(f"{name}-{key}-*.arrow"))


def read(name: str, key: str, dtypes: dict[str, str] | None = None) -> pd.DataFrame | None:
    """The stored table for this key, or None (not stored, store off, changed or unreadable).

    `dtypes`: the columns and dtypes the table must have, in order (a stored file that differs is a miss)."""
    folder = store_dir()
    secret = _secret(folder) if folder is not None else None
    if folder is None or secret is None:
        return None
    for path in _entries(folder, name, key):
        try:
            data = path.read_bytes()
            if not hmac.compare_digest(_seal(secret, data), path.stem.rsplit("-", 1)[-1]):
                raise ValueError("changed since it was written")
            table = feather.read_table(pa.BufferReader(data)).to_pandas(types_mapper=pd.ArrowDtype).pipe(_typed)
            if dtypes is not None and [(c, str(t)) for c, t in table.dtypes.items()] != list(dtypes.items()):
                raise ValueError("columns or dtypes differ from the contract")
            return table
        except Exception:  # a damaged entry is only a miss: the caller validates again
            path.unlink(missing_ok=True)
    return None


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    """Back to the loader's dtypes (Int64, Float64, boolean, str, datetime) from Arrow-backed ones."""
    out = {}
    for column in df.columns:
        arrow = df[column].dtype.pyarrow_dtype
        if pa.types.is_integer(arrow):
            out[column] = df[column].astype("Int64")
        elif pa.types.is_floating(arrow):
            out[column] = df[column].astype("Float64")
        elif pa.types.is_boolean(arrow):
            out[column] = df[column].astype("boolean")
        elif pa.types.is_timestamp(arrow):
            out[column] = df[column].astype(f"datetime64[{arrow.unit}]")
        else:
            out[column] = df[column].astype("str")
    return pd.DataFrame(out, index=df.index)


def write(name: str, key: str, df: pd.DataFrame) -> bool:
    """Store a validated table (atomically; older entries of the table are removed). False if it could not."""
    folder = store_dir()
    secret = _secret(folder) if folder is not None else None
    if folder is None or secret is None:
        return False
    try:
        folder.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        feather.write_feather(pa.Table.from_pandas(df, preserve_index=False), buffer)
        data = buffer.getvalue()
        target = folder / f"{name}-{key}-{_seal(secret, data)}.arrow"
        handle, tmp = tempfile.mkstemp(prefix=f".{name}-", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(handle, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        finally:
            Path(tmp).unlink(missing_ok=True)
        for old in folder.glob(f"{name}-*.arrow"):
            if old != target:
                old.unlink(missing_ok=True)
        return True
    except Exception:  # a read-only or full disk only costs validating on the next start
        return False
