"""AppTest: a fresh home loads the bundled sample by itself, then starts a default training."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from dashboard.jobs import runner as jobs
from testkit.job_wait import wait_for_job
from data.home import BUNDLED_SAMPLE
from tests.dashboard.apptest_helpers import metrics, open_page
from tests.dashboard.conftest import sql

needs_sample = pytest.mark.skipif(not (BUNDLED_SAMPLE / "manifest.json").exists(),
                                  reason=f"needs the bundled sample in {BUNDLED_SAMPLE}")


@needs_sample
def test_fresh_home_ingests_the_sample_visibly_and_starts_training_once(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # An argument the trainer rejects at once: the job is real but costs no training time.
    monkeypatch.setenv("PLAYLISTGRAPH_TRAIN_ARGS", "--epochs soon")
    at = open_page()
    manifest = json.loads((BUNDLED_SAMPLE / "manifest.json").read_text())
    loaded = [s for s in at.main.status if "Loaded the bundled sample" in s.label]
    assert loaded and f"{manifest['playlists']:,} playlists" in loaded[0].label
    # The load shows its count as it goes, ending on every slice and playlist.
    slices = len(manifest["slices"])
    assert [p.proto.text for p in loaded[0].get("progress")] == [
        f"{slices} of {slices} slices · {manifest['playlists']:,} playlists"]
    assert sql(home, "SELECT count(*) FROM playlists")[0][0] == manifest["playlists"]
    assert sql(home, "SELECT count(*) FROM playlist_tracks")[0][0] == manifest["playlist_tracks"]
    assert metrics(at.main)["Playlists"] == f"{manifest['playlists']:,}"
    status = wait_for_job("train", home, timeout_s=120)
    assert status.command == ["ml", "train", "--epochs", "soon"]
    assert status.state == "failed"

    # The next visit neither reloads the sample nor retries training on its own.
    at.run()
    assert not at.exception
    assert not [s for s in at.main.status if "bundled sample" in s.label]
    assert jobs.job_status("train", home).started_at == status.started_at
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


def test_unreadable_catalog_is_a_one_line_error_and_is_left_alone(home: Path) -> None:
    broken = home / "catalog.sqlite"
    broken.write_bytes(b"this is not a database" * 100)
    at = open_page()
    assert "Cannot open the catalog" in at.main.error[0].value
    assert "PLAYLISTGRAPH_HOME" in at.main.error[0].value
    assert broken.read_bytes() == b"this is not a database" * 100
