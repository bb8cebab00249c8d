#!/usr/bin/env bash
# Installs everything and starts the dashboard on the bundled sample
# (a fresh home ingests it and starts a first training run by itself).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/venv.sh requirements.txt
# The sample's load (then the first training) runs as a background job from here, whether
# or not a browser opens the app; the app starts it too if needed (the job lock makes
# that a no-op), and finishes a load an earlier start did not.
.venv/bin/python -m dashboard.jobs.first_start
exec .venv/bin/streamlit run dashboard/app.py "$@"
