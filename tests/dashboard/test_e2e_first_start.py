"""End to end in a real browser: a fresh app, left at once for another page while the bundled
sample loads, still ends with the whole sample, its audio features and a first run trained
on all of it (what a closed tab or a page switch used to cut to one slice of three).

Run: `.venv/bin/python -m pytest tests/dashboard/test_e2e_first_start.py -m e2e -s`
Screenshots: test-output/e2e/screenshots/first-start-*.png
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from data.home import BUNDLED_SAMPLE
from testkit.job_wait import wait_for_job
# The app server, the browser tab and the page helpers of the main browser test.
from tests.dashboard.test_e2e_browser import (E2E_TRAIN_ARGS, _idle, _metric, _open,  # noqa: F401
                                              _shot, _sidebar_text, _wait_for, app_url,
                                              fake_spotify, page)

pytestmark = pytest.mark.e2e

LOADING = "First start: loading the bundled sample into a new catalog"
# The main browser test's training config, one epoch and no re-ranker: this test checks
# what the first run trained on; the two-stage model is test_e2e_browser's to check.
FIRST_RUN_ARGS = f"{E2E_TRAIN_ARGS} --epochs 1 --rerank no"


@pytest.fixture
def first_run_args(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before `app_url` reads them (fixtures set up in argument order). The run's projection
    (the training job's follow-up) is not looked at here: PCA, not UMAP."""
    monkeypatch.setattr("tests.dashboard.test_e2e_browser.E2E_TRAIN_ARGS", FIRST_RUN_ARGS)
    monkeypatch.setattr("tests.dashboard.test_e2e_browser.E2E_PROJECTION_ARGS", "--method pca")


def test_leaving_the_loading_page_at_once_still_loads_everything_and_trains(
        first_run_args, page, home: Path) -> None:  # noqa: F811
    from dashboard.jobs import runner as jobs
    from dashboard.jobs.first_start import SAMPLE_JOB
    from data.store import Catalog
    from ml.runs.directory import active_run

    manifest = json.loads((BUNDLED_SAMPLE / "manifest.json").read_text())
    # 1. The fresh app shows the load; the user leaves for another page at once.
    page.get_by_text(LOADING).first.wait_for(timeout=60_000)
    _shot(page, "first-start-loading")
    assert jobs.job_status(SAMPLE_JOB, home).running
    page.get_by_test_id("stSidebarNav").get_by_text("Training", exact=True).click()
    page.get_by_role("heading", name="Training runs").first.wait_for()
    with Catalog.open(home) as catalog:
        assert catalog.count("playlists") < manifest["playlists"]  # left mid-load
    _shot(page, "first-start-left-for-training")

    # 2. The load goes on without the page that started it, then the first run trains.
    status = wait_for_job(SAMPLE_JOB, home, timeout_s=300)
    assert status.state == "done", status.message

    # 3. Back on the Overview: all 3,000 playlists and the sample's audio features.
    _open(page, "Overview")
    _wait_for(lambda: _metric(page, "Playlists") == f"{manifest['playlists']:,}", 60,
              "the Overview to count the whole sample")
    assert _metric(page, "Feature coverage") == "100.0%"
    assert _metric(page, "MPD slices ingested") == f"{len(manifest['slices'])}"
    assert LOADING not in page.get_by_test_id("stMain").inner_text()
    _shot(page, "first-start-overview-loaded")
    with Catalog.open(home) as catalog:
        assert catalog.count("playlists") == manifest["playlists"]
        assert catalog.count("playlist_tracks") == manifest["playlist_tracks"]
        assert catalog.count("audio_features") == manifest["tracks_with_features"]
        loaded_version = catalog.version()

    # 4. The first run, trained on the whole sample, serves.
    # Minutes on an idle machine; a shared one (other jobs, the browser) takes far longer.
    run = _wait_for(lambda: active_run(home), 1800, "the first training run")
    config = json.loads((run.path / "config.json").read_text())
    assert config["snapshot_version"] == loaded_version  # the catalog as the load left it
    assert jobs.job_status("train", home).command[2:] == FIRST_RUN_ARGS.split()
    log = jobs.log_tail("train", home, lines=400)
    assert re.search(rf"run {run.run_id}: {manifest['playlists']:,} playlists", log), log
    page.reload()
    page.get_by_test_id("stSidebar").get_by_text(f"run {run.run_id}").first.wait_for(
        timeout=60_000)
    _open(page, "Training")
    _wait_for(lambda: _metric(page, "State") == "Done", 60, "the Training page to show the run")
    _shot(page, "first-start-trained")
    # While the finished run's job exits, the sidebar says the run finished, not also that
    # a run is in progress (both at once before 8 Dec).
    sidebar = page.get_by_test_id("stSidebar").inner_text()
    assert not ("finished and was evaluated" in sidebar
                and "A training run is in progress" in sidebar), sidebar
