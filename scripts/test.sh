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
# One thread per process: four workers on two cores, each with an OpenMP/BLAS pool of
# two threads, would run eight threads on two cores.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
# Four workers: on a 2-core machine many tests wait on subprocesses and servers; 4 ran
# the suite in 12 min where 2 took 18. Each module runs on one worker, the browser tests in
# two groups started first (tests/conftest.py; --no-loadscope-reorder keeps that order).
exec .venv/bin/python -m pytest -n 4 --dist loadgroup --no-loadscope-reorder "$@"
