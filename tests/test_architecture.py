"""The layers hold: pure modules never import streamlit; one module caches; pages stay thin."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PURE = sorted(
    [
        *(ROOT / "components").glob("data/*.py"),
        *(ROOT / "components").glob("shaping/*.py"),
        *(ROOT / "components").glob("figures/*.py"),
        *(ROOT / "components").glob("views/*.py"),
        ROOT / "components" / "i18n.py",
    ]
)


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def test_pure_modules_do_not_import_streamlit():
    """Every module that claims to be pure, imported in a fresh interpreter: streamlit never gets loaded (the first
    module that pulls it in is named)."""
    names = [module_name(p) for p in PURE]
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "    if 'streamlit' in sys.modules:\n"
        "        sys.exit(name)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"imports streamlit (or fails): {done.stderr[-800:]}"
    assert len(names) >= 30


def test_the_server_starts_before_the_data_layer_is_imported():
    """app.py imports no pandas, pyarrow or data code: /_stcore/health answers while the lifespan's thread imports
    them and loads the tables (components/server.py `warm`), which then leaves every page module imported."""
    code = (
        "import sys\n"
        "import app\n"
        "early = sorted(m for m in ('pandas', 'pyarrow', 'components.app_data') if m in sys.modules)\n"
        "assert not early, early\n"
        "from components import server\n"
        "report = server.warm()\n"
        "assert report['status'] == 'ok', report\n"
        "assert {'components.ui', 'components.views.map', 'components.views.trade'} <= set(sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-800:]


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_only_app_data_caches():
    """No st.cache_*, functools.cache or lru_cache anywhere in the app's code: app_data.py is the one cache (and
    i18n.py's compiled catalogs, loaded once per language)."""
    offenders = []
    for path in [*(ROOT / "components").rglob("*.py"), *(ROOT / "pages").glob("*.py"), ROOT / "frame" / "main.py"]:
        text = path.read_text(encoding="utf-8")
        if re.search(r"st\.cache_(resource|data)\b|functools\.cache|lru_cache|@cache\b|WeakKeyDictionary", text):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_pages_are_thin_and_reach_data_only_through_views():
    for path in (ROOT / "pages").glob("*.py"):
        imports = imports_of(path)
        assert not {i for i in imports if i.startswith(("components.data", "components.shaping", "pandas"))}, path
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 120, f"{path.name} is doing a component's work"


def test_the_data_folder_is_defined_once():
    hits = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "components").rglob("*.py")
        if "parents[" in p.read_text(encoding="utf-8") and '"data"' in p.read_text(encoding="utf-8")
    ]
    assert hits == ["components/data/package.py"], hits
