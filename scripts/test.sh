#!/usr/bin/env bash
# Install the pinned packages and run every check: the data validation, then all tests
# (unit, AppTest and the Chromium browser tests). Extra arguments go to pytest.
# Safe to run again. As root it installs Debian's chromium when /usr/bin/chromium is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/_python.sh

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
    if is_root && command -v apt-get >/dev/null 2>&1; then
        echo "test.sh: $CHROMIUM is missing; installing Debian's chromium for the browser tests"
        apt_install chromium fonts-dejavu-core
    else
        echo "test.sh: WARNING: Chromium is missing at $CHROMIUM and cannot be installed (not root)." >&2
        echo "  The browser tests will FAIL (they are never skipped). Install it with" >&2
        echo "    sudo apt-get install -y --no-install-recommends chromium fonts-dejavu-core" >&2
        echo "  or point CHROMIUM_PATH at a Chromium binary." >&2
    fi
fi

pick_python
echo "test.sh: $("$PYTHON" --version) at $PYTHON"
pip_install requirements-dev.txt
"$PYTHON" -m components.validate
"$PYTHON" -m pytest -q "$@"
