#!/usr/bin/env bash
# Install the pinned runtime packages and start the dashboard (http://localhost:8501).
# Extra arguments go to `streamlit run`, e.g. `bash scripts/run.sh --server.port 8600`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/_python.sh

pick_python
pip_install requirements.txt
exec "$PYTHON" -m streamlit run app.py "$@"
