#!/usr/bin/env bash
# Installs everything (virtualenv, Python packages, Chromium for the browser test)
# and runs the whole test suite. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/venv.sh requirements-dev.txt
if [ ! -x /usr/bin/chromium ]; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium >/dev/null
fi
# One worker per core; the browser tests stay on one of them (tests/conftest.py).
exec .venv/bin/python -m pytest -n auto --dist loadgroup "$@"
