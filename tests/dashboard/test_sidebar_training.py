"""AppTest: retraining from the sidebar runs the real `python -m ml train` as a background job.

Covers the lock (a second click while one runs says so), live progress equal to the
run's own files, cancel, an error shown in the page, and the switch of the model in
use once a run finished and was evaluated (the baseline serves until then).
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from dashboard.frames.charts import MODEL_LABELS
from dashboard.sidebar import APP_NAME, RUNNING_NOTICE
from dashboard.jobs import runner as jobs
from testkit.job_wait import wait_for_job
from data.features_import import import_features
from data.home import runs_dir
from data.ingest import ingest
from data.sample import generate_sample
from data.store import Catalog, PlaylistRecord
from tests.dashboard.apptest_helpers import open_page, selectbox, texts
from tests.dashboard.conftest import sql

QUICK_TRAIN = ("--epochs 1 --dim 16 --baselines popularity,itemknn --max-test 40 "
               "--max-validation 20 --threads 1 --rerank-sources gnn,itemknn "
               "--rerank-gnn-epochs 1")


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample300")
    generate_sample(300, 5, out)
    return out


@pytest.fixture
def sampled(catalog: Catalog, sample_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Catalog:
    ingest(catalog, [sample_dir], progress=False)
    import_features(catalog, sample_dir / "audio_features.csv")
    monkeypatch.setenv("PLAYLISTGRAPH_AUTOTRAIN", "0")
    return catalog


def _wait(predicate, timeout_s: float = 120.0):
    deadline = time.monotonic() + timeout_s
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.1)
    return value


def _sidebar(at) -> str:
    parts = [str(e.value) for kind in ("markdown", "caption", "info", "warning", "error")
             for e in getattr(at.sidebar, kind)]
    parts += [str(p.proto.text) for p in at.sidebar.get("progress")]
    return "\n".join(parts)


def test_training_error_is_shown_in_the_sidebar(home: Path, sampled: Catalog,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAYLISTGRAPH_TRAIN_ARGS", "--epochs many")
    at = open_page()
    assert "Co-occurrence baseline" in _sidebar(at)
    assert APP_NAME in _sidebar(at)  # the app's name on every page
    at.sidebar.button(key="retrain").click().run()
    status = wait_for_job("train", home, timeout_s=120)
    assert status.state == "failed"
    at.run()
    assert not at.exception
    assert at.sidebar.error[0].value == (
        "Last training failed: python -m ml train: error: argument --epochs: invalid int "
        "value: 'many'")


def test_progress_lock_and_cancel(home: Path, sampled: Catalog,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAYLISTGRAPH_TRAIN_ARGS", "--epochs 50 --patience 50 --dim 16 "
                                                   "--threads 1")
    at = open_page()
    at.sidebar.button(key="retrain").click().run()
    try:
        job = jobs.job_status("train", home)
        assert job.running and job.command[:2] == ["ml", "train"]
        # Wait for the first finished epoch of this job's run, then compare what is shown.
        run_dir = _wait(lambda: next((p for p in runs_dir(home).iterdir()
                                      if (p / "metrics.jsonl").exists()), None))
        at.run()
        shown = _sidebar(at)
        assert f"Run `{run_dir.name}` · " in shown and "/ 50 epochs done" in shown
        # The loss shown is one the run logged (read after the page: the run moves on).
        logged = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines()]
        assert any(f"loss {row['loss']:.4f}" in shown for row in logged)
        # While it runs, Retrain is disabled and a notice says why, on every poll.
        assert at.sidebar.button(key="retrain").disabled
        assert RUNNING_NOTICE in [i.value for i in at.sidebar.info]
        at.run()
        assert RUNNING_NOTICE in [i.value for i in at.sidebar.info]
        assert at.sidebar.button(key="retrain").disabled
        assert len([p for p in runs_dir(home).iterdir() if p.is_dir()]) == 1
        # The ETA is the mean epoch time so far times the epochs left.
        _wait(lambda: len((run_dir / "metrics.jsonl").read_text().splitlines()) >= 2)
        at.run()
        assert " left, then evaluation" in _sidebar(at)
        # The Training page follows the running run: selected, its state and epochs.
        at.switch_page("views/training.py").run()
        assert not at.exception
        assert selectbox(at, "train_run").value == run_dir.name
        shown = {m.label: m.value for m in at.main.metric}
        assert shown["State"] == "Training" and shown["Epochs"].endswith(" / 50")
        assert "ETA" in shown
        done = int(shown["Epochs"].split(" / ")[0])
        _wait(lambda: len((run_dir / "metrics.jsonl").read_text().splitlines()) > done)
        at.run()
        grown = {m.label: m.value for m in at.main.metric}
        assert int(grown["Epochs"].split(" / ")[0]) > done
        at.sidebar.button(key="cancel_training").click().run()
    except BaseException:
        jobs.cancel_job("train", home)  # never leave a trainer running behind a failed test
        raise
    status = wait_for_job("train", home, timeout_s=60)
    assert status.state == "cancelled"
    assert json.loads((run_dir / "status.json").read_text())["state"] == "cancelled"
    assert not (runs_dir(home) / "ACTIVE").exists()  # a cancelled run never serves
    at.run()
    assert "Last training was cancelled" in _sidebar(at)
    assert "Co-occurrence baseline" in _sidebar(at)


def test_finished_run_replaces_the_baseline(home: Path, sampled: Catalog,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAYLISTGRAPH_TRAIN_ARGS", QUICK_TRAIN)
    at = open_page("recommendations")
    assert "co-occurrence baseline" in texts(at)
    at.sidebar.button(key="retrain").click().run()
    status = wait_for_job("train", home, timeout_s=300)
    assert status.state == "done", status.message
    run_id = (runs_dir(home) / "ACTIVE").read_text().strip()
    assert status.message == str(runs_dir(home) / run_id)  # the trainer's last line
    at.run()
    assert not at.exception
    assert f"run {run_id}" in _sidebar(at)
    # The run serves the model its evaluation chose on validation, and the page names it
    # (after one quick epoch that may well be item kNN rather than GraphSAGE).
    served = json.loads((runs_dir(home) / run_id / "evaluation.json").read_text())["served"]
    served_line = (f"GraphSAGE model of run `{run_id}`" if served == "gnn" else
                   f"Ranked by {MODEL_LABELS[served]} from run `{run_id}`: it has the best "
                   "validation NDCG")
    assert served_line in texts(at)
    # Recommendations now come from the run, for a playlist picked by title; never a seed.
    table = at.main.dataframe[-1].value
    playlist_id = selectbox(at, "rec_playlist").value
    seeds = {r[0] for r in sql(home, "SELECT t.uri FROM playlist_tracks pt JOIN tracks t "
                                     "ON t.id = pt.track_id WHERE pt.playlist_id = ?",
                               (playlist_id,))}
    shown = {"spotify:track:" + link.rsplit("/", 1)[-1] for link in table["link"]}
    assert len(table) == len(shown) == 20 and not shown & seeds

    # A playlist the model never saw (stored after training) gets GNN recommendations too.
    rows = sql(home, "SELECT id FROM tracks ORDER BY id LIMIT 6")
    with sampled.write():
        pid = sampled.upsert_playlist(PlaylistRecord("spotify", "new1", "Brand new mix", "dana"))
        sampled.set_playlist_tracks(pid, [r[0] for r in rows])
    at.text_input(key="rec_playlist_query").input("brand new mix").run()
    assert not at.exception
    assert selectbox(at, "rec_playlist").value == pid
    assert served_line in texts(at)
    table = at.main.dataframe[-1].value
    new_seeds = {r[0] for r in sql(home, "SELECT t.uri FROM tracks t JOIN playlist_tracks pt "
                                         "ON pt.track_id = t.id WHERE pt.playlist_id = ?", (pid,))}
    shown = {"spotify:track:" + link.rsplit("/", 1)[-1] for link in table["link"]}
    assert len(shown) == 20 and not shown & new_seeds
