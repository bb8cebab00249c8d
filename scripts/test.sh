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
# Four workers: on a 2-core machine many tests wait on subprocesses and servers; 4 ran
# the suite in 12 min where 2 took 18. The browser tests share one worker
# (tests/conftest.py).
exec .venv/bin/python -m pytest -n 4 --dist loadgroup "$@"
