"""Training end to end on the checkerboard: it learns the known answer, leaves the run
directory the dashboard reads, is reproducible, resumes exactly, and fails in one line."""
from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from ml.dataset.snapshot import load_snapshot
from ml.errors import UserError
from ml.pipeline.train_run import run_training
from ml.runs.artifacts import load_checkpoint
from ml.runs.directory import active_run, list_runs, read_evaluation, read_metrics, read_status
from ml.serving.recommender import GnnRecommender
from ml.training.trainer import build_trainer
from tests.ml.conftest import REPO_ROOT, TASTES, fast_config, run_ml

REQUIRED_METRIC_KEYS = {"epoch", "loss", "seconds", "device", "val_r_precision", "val_ndcg",
                        "val_recall@100"}


def train(home, config, **kw):
    out = io.StringIO()
    run_dir, state = run_training(config, home, progress=False, out=out, **kw)
    return run_dir, state, out.getvalue()


def test_training_learns_the_known_answer_and_serves_it(checkerboard, home):
    run_dir, state, printed = train(home, fast_config(epochs=8))
    assert state == "done"
    assert printed.strip().splitlines()[-1] == str(run_dir)

    recommender = GnnRecommender.load(run_dir, checkerboard.catalog)
    for taste in range(TASTES):
        seeds = checkerboard.tracks_of_taste[taste][:3]
        recs = recommender.recommend(seeds, k=10)
        assert len(recs) == 10
        assert not {r.track_id for r in recs} & set(seeds)
        assert all(checkerboard.taste_of_track[r.track_id] == taste for r in recs)
        assert [r.score for r in recs] == sorted((r.score for r in recs), reverse=True)

    evaluation = read_evaluation(run_dir)
    gnn, popularity = evaluation["overall"]["gnn"], evaluation["overall"]["popularity"]
    assert gnn["ndcg"] > popularity["ndcg"] and gnn["r_precision"] > popularity["r_precision"]


def test_run_directory_contract(checkerboard, home):
    run_dir, _, _ = train(home, fast_config(epochs=3))
    for name in ("config.json", "metrics.jsonl", "checkpoint.pt", "status.json", "model.pt",
                 "serving.npz", "track_states.npy", "split.npz", "evaluation.json"):
        assert (run_dir / name).exists(), name
    rows = read_metrics(run_dir)
    assert [r["epoch"] for r in rows] == [1, 2, 3]
    for row in rows:
        assert REQUIRED_METRIC_KEYS <= set(row)
        assert isinstance(row["epoch"], int) and isinstance(row["loss"], float)
        assert row["device"] == "cpu" and row["seconds"] > 0
    status = read_status(run_dir)
    assert status["state"] == "done" and status["epoch"] == 3 and status["epochs"] == 3
    assert set(status) == {"state", "epoch", "epochs", "pid", "message", "updated_at"}
    evaluation = read_evaluation(run_dir)
    assert set(evaluation["overall"]) == {"gnn", "popularity", "itemknn"}
    assert set(evaluation["overall"]["gnn"]) == {"r_precision", "ndcg", "clicks", "recall@20",
                                                 "recall@100", "recall@500"}
    for scenario in evaluation["scenarios"].values():
        assert scenario["n"] > 0 and {"gnn", "popularity", "itemknn"} <= set(scenario)
    config = json.loads((run_dir / "config.json").read_text())
    assert config["dim"] == 16 and config["run_id"] == run_dir.name
    assert active_run(home).run_id == run_dir.name
    assert [r.run_id for r in list_runs(home)] == [run_dir.name]


def test_only_an_evaluated_run_becomes_active(checkerboard, home):
    first, _, _ = train(home, fast_config(epochs=2))
    second, _, _ = train(home, fast_config(epochs=2), evaluate=False)
    assert read_status(second)["state"] == "done"
    assert active_run(home).run_id == first.name  # the old run keeps serving


def test_training_is_reproducible_with_a_seed(checkerboard, home):
    a, _, _ = train(home, fast_config(epochs=3), evaluate=False)
    b, _, _ = train(home, fast_config(epochs=3), evaluate=False)
    c, _, _ = train(home, fast_config(epochs=3, seed=1), evaluate=False)
    losses = [[r["loss"] for r in read_metrics(run)] for run in (a, b, c)]
    assert losses[0] == losses[1] and losses[0] != losses[2]
    assert np.array_equal(np.load(a / "track_states.npy"), np.load(b / "track_states.npy"))


def test_resume_continues_exactly(checkerboard, home):
    straight, _, _ = train(home, fast_config(epochs=4), evaluate=False)
    part, _, _ = train(home, fast_config(epochs=2), evaluate=False)
    assert [r["epoch"] for r in read_metrics(part)] == [1, 2]
    resumed, state, printed = train(home, fast_config(epochs=4), resume=part.name,
                                    overrides={"epochs"}, evaluate=False)
    assert resumed == part and state == "done"
    assert [r["epoch"] for r in read_metrics(part)] == [1, 2, 3, 4]
    assert [r["loss"] for r in read_metrics(part)] == [r["loss"] for r in read_metrics(straight)]
    assert np.array_equal(np.load(part / "track_states.npy"),
                          np.load(straight / "track_states.npy"))


def test_resume_refuses_to_change_the_model(checkerboard, home):
    run_dir, _, _ = train(home, fast_config(epochs=1), evaluate=False)
    with pytest.raises(UserError, match="--dim"):
        train(home, fast_config(epochs=2, dim=32), resume=run_dir.name,
              overrides={"epochs", "dim"})


def test_resume_may_change_what_is_fitted_beside_the_model(checkerboard, home):
    run_dir, _, _ = train(home, fast_config(epochs=1), evaluate=False)
    train(home, fast_config(epochs=2, rerank_candidates=30, rerank_gnn_epochs=1),
          resume=run_dir.name, overrides={"epochs", "rerank_candidates", "rerank_gnn_epochs"},
          evaluate=False)
    stored = load_checkpoint(run_dir / "checkpoint.pt")["config"]
    assert (stored["epochs"], stored["rerank_candidates"], stored["rerank_gnn_epochs"]) == (2, 30, 1)


def test_corrupt_checkpoint_is_a_one_line_error(checkerboard, home):
    run_dir, _, _ = train(home, fast_config(epochs=1), evaluate=False)
    (run_dir / "checkpoint.pt").write_bytes(b"\x00garbage" * 100)
    result = run_ml(home, "train", "--resume", run_dir.name, "--epochs", "2")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert result.stderr.startswith("error:") and "checkpoint" in result.stderr
    assert "Traceback" not in result.stderr


def test_empty_catalog_says_to_ingest_first(home):
    result = run_ml(home, "train")
    assert result.returncode == 2
    assert "python -m data load-sample" in result.stderr
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr


def test_bad_flag_value_is_a_one_line_error(home):
    result = run_ml(home, "train", "--dropout", "1.5")
    assert result.returncode == 2 and result.stderr.startswith("error: --dropout")


def test_help_shows_defaults(home):
    result = run_ml(home, "train", "--help")
    assert result.returncode == 0
    assert "--dim" in result.stdout and "(default: 64)" in result.stdout
    assert "--resume" in result.stdout and "--device" in result.stdout


def test_sigterm_cancels_cleanly_and_keeps_the_serving_run(checkerboard, home):
    serving, _, _ = train(home, fast_config(epochs=1))
    command = [sys.executable, "-m", "ml", "train", "--no-progress", "--epochs", "500",
               "--patience", "0", "--dim", "16", "--threads", "1", "--batch-playlists", "16"]
    proc = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "PLAYLISTGRAPH_HOME": str(home)})
    try:
        run_dir = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            runs = [r for r in list_runs(home) if r.run_id != serving.name]
            if runs and (runs[0].status or {}).get("epoch", 0) >= 1:
                run_dir = runs[0].path
                break
            time.sleep(0.2)
        assert run_dir is not None, "training never reached epoch 1"
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 143, stderr
    status = read_status(run_dir)
    assert status["state"] == "cancelled" and status["epoch"] >= 1
    assert stdout.strip().splitlines()[-1] == str(run_dir)
    assert active_run(home).run_id == serving.name


def test_own_tracks_are_masked_the_same_with_all_tracks_as_negatives(checkerboard, home):
    """With every track as a negative (an exact softmax) the batch's own tracks are marked
    from its edges; with sampled negatives by lookup. Both must mark exactly the edges."""
    snapshot = load_snapshot(checkerboard.catalog, home)
    _, data, exact = build_trainer(fast_config(uniform_negatives=10**9), snapshot,
                                   torch.device("cpu"))
    _, _, sampled = build_trainer(fast_config(), snapshot, torch.device("cpu"))
    assert exact.sampler.exhaustive and not sampled.sampler.exhaustive
    batch = torch.from_numpy(data.holdout.train[[0, 7, 30]])
    local = torch.full((snapshot.num_playlists,), -1, dtype=torch.long)
    local[batch] = torch.arange(len(batch))
    everything = torch.arange(snapshot.num_tracks)
    mask = exact._own_tracks(batch, local, everything)
    assert torch.equal(mask, sampled._own_tracks(batch, local, everything))
    for row, playlist in enumerate(batch.tolist()):
        own = set(data.edge_track[data.edge_playlist == playlist].tolist())
        assert set(torch.nonzero(mask[row]).flatten().tolist()) == own and own
