"""End to end in a real browser: Retrain from the sidebar, on an app whose home already
holds the bundled sample and a first run (what test_e2e_browser leaves after its first
start; prepared here so the two run on different workers).

The button is disabled with a lasting notice while the run goes, the Training page
follows the new run by itself from one epoch to the next, and the new run serves.

Run: `.venv/bin/python -m pytest tests/dashboard/test_e2e_retrain.py -m e2e -s`
Screenshots: test-output/e2e/screenshots/training-live.png, retrain-progress.png,
training-after-retrain.png; the README's docs/images/training.png (two runs to compare).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

# The app server, the browser tab and the page helpers of the main browser test.
from tests.dashboard.test_e2e_browser import (E2E_TRAIN_ARGS, _doc_shot, _idle,  # noqa: F401
                                              _metric, _open, _shot, _sidebar_text, _wait_for,
                                              app_url, fake_spotify, page)
# The first run only has to exist and be evaluated: the first-start test's (one epoch, no
# re-ranker).
from tests.dashboard.test_e2e_first_start import FIRST_RUN_ARGS
from tests.ml.conftest import run_ml

pytestmark = pytest.mark.e2e

# The Retrain click trains two epochs (the page follows the run from one to the next),
# without the re-ranker: the two-stage model in the browser is test_e2e_browser's to check.
RETRAIN_ARGS = f"{E2E_TRAIN_ARGS} --rerank no"


@pytest.fixture
def trained_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The bundled sample and one evaluated run, before `app_url` starts the app with
    RETRAIN_ARGS (fixtures set up in argument order). Returns the run's id."""
    monkeypatch.setattr("tests.dashboard.test_e2e_browser.E2E_TRAIN_ARGS", RETRAIN_ARGS)
    # The new run's projection (its follow-up job) is not looked at here: PCA, not UMAP.
    monkeypatch.setattr("tests.dashboard.test_e2e_browser.E2E_PROJECTION_ARGS", "--method pca")
    from data.bundled import load_bundled_sample
    from data.store import Catalog
    from ml.runs.directory import active_run

    with Catalog.open(home) as catalog:
        load_bundled_sample(catalog, progress=False)
    proc = run_ml(home, "train", *FIRST_RUN_ARGS.split(), timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    run = active_run(home)
    assert run is not None
    return run.run_id


def test_retrain_from_the_sidebar_is_followed_and_then_serves(trained_home: str, page,
                                                              home: Path) -> None:
    from dashboard.jobs import runner as jobs
    from ml.runs.directory import active_run

    page.get_by_role("heading", name="Catalog overview").wait_for(timeout=120_000)
    _idle(page, 120)
    page.get_by_test_id("stSidebar").get_by_text(f"run {trained_home}").first.wait_for()
    assert jobs.job_status("train", home).state == "idle"  # no first-start training here

    _open(page, "Training")
    page.get_by_role("button", name="Retrain").click()
    _idle(page)
    retrain = page.get_by_role("button", name="Retrain")
    _wait_for(retrain.is_disabled, 30, "Retrain to be disabled while the run goes", 0.2)
    notice = page.get_by_test_id("stSidebar").get_by_text("Retrain is disabled until it ends")
    notice.wait_for()
    page.wait_for_timeout(5000)  # two polls later, still there
    assert notice.is_visible() and retrain.is_disabled()
    # No reload, no click: the page's fragment moves to the new run and follows it.
    _wait_for(lambda: _metric(page, "State") == "Training", 300,
              "the Training page to select the running run")
    first = _metric(page, "Epochs")
    _shot(page, "training-live")
    _wait_for(lambda: _metric(page, "Epochs") not in (first, "")
              or _metric(page, "State") not in ("Training", ""), 600,
              "the Training page to show the next epoch")
    page.get_by_test_id("stSidebar").get_by_text(
        re.compile("epochs done|evaluating|finished and was evaluated")).first.wait_for(
        timeout=120_000)
    _shot(page, "retrain-progress")
    new_run = _wait_for(lambda: (r := active_run(home)) and r.run_id != trained_home and r,
                        600, "the retraining run")
    _wait_for(lambda: not jobs.job_status("train", home).running, 120, "the trainer to exit")
    page.get_by_test_id("stSidebar").get_by_text("Last training finished").wait_for(
        timeout=30_000)
    assert f"run {new_run.run_id}" in _sidebar_text(page)
    _open(page, "Training")
    _shot(page, "training-after-retrain")
    _doc_shot(page, "training")  # two runs to compare
