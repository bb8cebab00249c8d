#!/usr/bin/env bash
# Makes .venv/ (if missing) and installs the requirements file given as $1 into it, then
# prints the line that makes `python` in the README's commands the project's Python.
# Used by run.sh and test.sh; run by hand: bash scripts/venv.sh requirements.txt
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r "${1:-requirements.txt}"
echo "To run the README's python -m commands in this shell: source .venv/bin/activate"
