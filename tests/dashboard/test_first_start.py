"""The first start: the bundled sample loads as a background job that outlives the browser
session and a killed app, and the first training run starts only once all of it is in."""
from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.bootstrap import LOADING_LABEL
from dashboard.jobs import first_start
from dashboard.jobs import runner as jobs
from testkit.job_wait import wait_for_job
from dashboard.settings import load_settings
from data.bundled import SAMPLE_FEATURES_KEY, load_bundled_sample, sample_progress
from data.home import BUNDLED_SAMPLE
from data.store import Catalog
from tests.dashboard.apptest_helpers import metrics, open_page, texts
from tests.dashboard.conftest import APP, sql

needs_sample = pytest.mark.skipif(not (BUNDLED_SAMPLE / "manifest.json").exists(),
                                  reason=f"needs the bundled sample in {BUNDLED_SAMPLE}")
MANIFEST = json.loads((BUNDLED_SAMPLE / "manifest.json").read_text()) \
    if (BUNDLED_SAMPLE / "manifest.json").exists() else {}
# An argument the trainer rejects at once: the job is real but costs no training time.
REJECTED_TRAIN_ARGS = "--epochs soon"


def _assert_whole_sample(home: Path) -> None:
    """Every playlist, row and audio feature of the bundled sample, as a clean load has."""
    assert sql(home, "SELECT count(*) FROM playlists")[0][0] == MANIFEST["playlists"]
    assert sql(home, "SELECT count(*) FROM playlist_tracks")[0][0] == MANIFEST["playlist_tracks"]
    assert sql(home, "SELECT count(*) FROM tracks")[0][0] == MANIFEST["unique_tracks"]
    assert sql(home, "SELECT count(*) FROM audio_features")[0][0] == \
        MANIFEST["tracks_with_features"]
    with Catalog.open(home) as catalog:
        assert sample_progress(catalog).complete


def _wait(predicate, timeout_s: float = 120.0, poll_s: float = 0.02):
    deadline = time.monotonic() + timeout_s
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(poll_s)
    return value


@needs_sample
def test_the_load_survives_the_browser_session(home: Path, no_autotrain) -> None:
    """A session that goes away during the load (here: stopped after 2 s, as a closed tab
    or a page switch stops a script run) leaves a job that loads all of the sample."""
    at = AppTest.from_file(str(APP))
    try:
        at.run(timeout=2)
    except RuntimeError:  # the run was stopped mid-way: the session is gone
        pass
    # The session has ended while the load goes on.
    assert jobs.job_status(first_start.SAMPLE_JOB, home).running
    del at
    status = wait_for_job(first_start.SAMPLE_JOB, home, timeout_s=180)
    assert status.state == "done", status.message
    _assert_whole_sample(home)

    # A new visit finds it loaded: no panel, the counts of the whole sample.
    again = open_page()
    assert LOADING_LABEL not in texts(again)
    assert metrics(again.main)["Playlists"] == f"{MANIFEST['playlists']:,}"


@needs_sample
def test_the_page_follows_the_load_and_can_be_left(home: Path, no_autotrain) -> None:
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert LOADING_LABEL in texts(at), "the loading panel is shown while the job runs"
    shown = [p.proto.text for p in at.main.get("progress")][0]
    assert f"of {len(MANIFEST['slices'])} slices" in shown
    assert at.sidebar.button(key="retrain").disabled  # no run on part of the sample
    at.switch_page("views/training.py").run()  # another page during the load
    assert not at.exception
    assert "starts by itself once the bundled sample has loaded" in at.info[-1].value
    wait_for_job(first_start.SAMPLE_JOB, home, timeout_s=180)
    at.switch_page("views/overview.py").run()  # back: the whole sample, no panel
    assert LOADING_LABEL not in texts(at)
    assert metrics(at.main)["Playlists"] == f"{MANIFEST['playlists']:,}"
    assert not at.sidebar.button(key="retrain").disabled


@needs_sample
def test_kill_9_during_the_load_then_a_new_start_gives_the_full_sample(home: Path,
                                                                     no_autotrain) -> None:
    settings = load_settings()
    first_start.ensure_started(settings, restart_failed=True)
    status = jobs.job_status(first_start.SAMPLE_JOB, home)
    assert status.running

    def partly_loaded() -> bool:
        with Catalog.open(home) as catalog:
            progress = sample_progress(catalog)
        assert not progress.complete, "the load finished before it could be killed"
        return len(progress.slices_done) >= 1

    _wait(partly_loaded)
    supervisor = jobs.job_status(first_start.SAMPLE_JOB, home).supervisor_pid
    os.killpg(supervisor, signal.SIGKILL)  # the job's whole process group, at once
    _wait(lambda: not jobs.job_status(first_start.SAMPLE_JOB, home).running, 30)
    with Catalog.open(home) as catalog:
        assert not sample_progress(catalog).complete
    assert jobs.job_status(first_start.SAMPLE_JOB, home).state == "failed"

    # The next start of the app (or of scripts/run.sh) finishes it.
    first_start.ensure_started(settings, restart_failed=True)
    status = wait_for_job(first_start.SAMPLE_JOB, home, timeout_s=180)
    assert status.state == "done", status.message
    _assert_whole_sample(home)


@needs_sample
def test_first_training_waits_for_the_whole_sample(home: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAYLISTGRAPH_TRAIN_ARGS", REJECTED_TRAIN_ARGS)
    settings = load_settings()
    # A load stopped after its first slice (the old dashboard's load, stopped by a page
    # switch): 1,000 of 3,000 playlists, no features.
    with Catalog.open(home) as catalog:
        with pytest.raises(KeyboardInterrupt):
            load_bundled_sample(catalog, progress=False, on_slice=lambda p: (
                p.name == MANIFEST["slices"][1] and (_ for _ in ()).throw(KeyboardInterrupt())))
        assert len(sample_progress(catalog).slices_done) == 1
    at = AppTest.from_file(str(APP), default_timeout=60).run()  # the app starts
    assert not at.exception
    # The load is finished first; training has not started on a third of the sample.
    assert jobs.job_status("train", home).state == "idle"
    assert jobs.job_status(first_start.SAMPLE_JOB, home).running
    assert not first_start.start_first_training(settings)
    assert wait_for_job(first_start.SAMPLE_JOB, home, timeout_s=180).state == "done"
    _assert_whole_sample(home)
    train = wait_for_job("train", home, timeout_s=60)
    assert train.command == ["ml", "train", "--epochs", "soon"]
    loaded_at = json.loads(sql(home, "SELECT value FROM meta WHERE key = ?",
                               (SAMPLE_FEATURES_KEY,))[0][0])["at"]
    assert train.started_at >= loaded_at

    # The next visit neither reloads the sample nor retries training on its own.
    at.run()
    assert not at.exception
    assert LOADING_LABEL not in texts(at)
    assert jobs.job_status("train", home).started_at == train.started_at
    assert "Last training failed" in at.sidebar.error[0].value


def test_missing_sample_is_a_one_line_error(home: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "no-sample"
    empty.mkdir()
    monkeypatch.setattr("dashboard.bootstrap.BUNDLED_SAMPLE", empty)
    at = open_page()
    assert "bundled sample is missing" in at.main.error[0].value
    assert "python -m data ingest" in at.main.error[0].value
    assert jobs.job_status("train", home).state == "idle"
    assert jobs.job_status(first_start.SAMPLE_JOB, home).state == "idle"


def test_unreadable_catalog_is_a_one_line_error_and_is_left_alone(home: Path) -> None:
    broken = home / "catalog.sqlite"
    broken.write_bytes(b"this is not a database" * 100)
    at = open_page()
    assert "Cannot open the catalog" in at.main.error[0].value
    assert "PLAYLISTGRAPH_HOME" in at.main.error[0].value
    assert broken.read_bytes() == b"this is not a database" * 100
