"""The app's start-up and the catalog pages load no model code (torch, lightgbm): seconds of a
core that Overview and Degrees must not wait for (the model code is imported in the
background after the first page is drawn)."""
from __future__ import annotations

import subprocess
import sys

from tests.dashboard.conftest import APP

# What app.py imports before it runs a page, and what Overview and Degrees import.
_IMPORTS = """
import sys
import dashboard.bootstrap, dashboard.sidebar, dashboard.reads.recommender
import dashboard.reads.loaders, dashboard.reads.crawl_info
import dashboard.frames.charts, dashboard.frames.degree_stats, dashboard.frames.catalog_figures
heavy = sorted(m for m in ("torch", "lightgbm", "ml.serving.recommender", "ml.pipeline.project_run")
               if m in sys.modules)
print(",".join(heavy))
"""


def test_start_up_and_catalog_pages_import_no_model_code() -> None:
    done = subprocess.run([sys.executable, "-c", _IMPORTS], cwd=APP.parent.parent,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
