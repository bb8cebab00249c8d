#!/usr/bin/env bash
# Installs everything and starts the dashboard on the bundled sample
# (a fresh home ingests it and starts a first training run by itself).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
exec .venv/bin/streamlit run dashboard/app.py "$@"
