#!/usr/bin/env bash
# Installs everything and starts the dashboard on the bundled sample
# (a fresh home ingests it and starts a first training run by itself).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/venv.sh requirements.txt
exec .venv/bin/streamlit run dashboard/app.py "$@"
