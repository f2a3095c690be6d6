#!/usr/bin/env bash
# Install the pinned packages and run every check: lint and format, the data package (frictionless and our
# validator), then all tests (unit, AppTest, server and the Chromium browser tests). Extra arguments go to pytest.
# Safe to run again. As root it installs Debian's chromium (browser tests) and nginx (deploy tests) when missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/_python.sh

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
missing=()
[ -x "$CHROMIUM" ] || missing+=(chromium fonts-dejavu-core)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
if [ "${#missing[@]}" -gt 0 ]; then
    if is_root && command -v apt-get >/dev/null 2>&1; then
        echo "test.sh: installing Debian's ${missing[*]} for the browser and deploy tests"
        apt_install "${missing[@]}"
    else
        echo "test.sh: WARNING: ${missing[*]} missing and cannot be installed (not root)." >&2
        echo "  The browser and deploy tests will FAIL (they are never skipped). Install them with" >&2
        echo "    sudo apt-get install -y --no-install-recommends chromium fonts-dejavu-core nginx" >&2
    fi
fi

pick_python
echo "test.sh: $("$PYTHON" --version) at $PYTHON"
pip_install requirements-dev.txt
echo "test.sh: ruff check + ruff format --check"
"$PYTHON" -m ruff check .
"$PYTHON" -m ruff format --check .
echo "test.sh: frictionless validate data/datapackage.json"
"$PYTHON" -m frictionless validate data/datapackage.json >/dev/null || "$PYTHON" -m frictionless validate data/datapackage.json
"$PYTHON" -m components.data.validate
"$PYTHON" -m pytest -q "$@"
