"""A run directory with a missing or truncated file, and a catalog file that is not SQLite:
one line saying what is wrong and what to do, never a traceback; serving falls back to
the newest run that loads."""
from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
import torch

from ml.errors import UserError
from ml.pipeline.train_run import run_training
from ml.serving.recommender import load_recommender
from tests.ml.conftest import fast_config, run_ml

# Each file with the model whose serving reads it ("served" in evaluation.json).
FILES = {"evaluation.json": "gnn", "model.pt": "gnn", "reranker.txt": "reranked",
         "als.npz": "als"}


def _damage(path: Path, how: str) -> None:
    if how == "missing":
        path.unlink()
    else:  # truncated: the first half, as a kill in the middle of a plain write leaves it
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _copy(home: Path, tmp_path: Path) -> Path:
    """A copy of the module's home, for one test to damage."""
    copy = tmp_path / "damaged"
    shutil.copytree(home, copy)
    return copy


def _serve(run_dir: Path, model: str) -> None:
    evaluation = json.loads((run_dir / "evaluation.json").read_text())
    evaluation["served"] = model
    (run_dir / "evaluation.json").write_text(json.dumps(evaluation))


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """A home with two evaluated runs (re-ranker and ALS included); the newer is active."""
    from data.store import Catalog
    from tests.ml.conftest import build_checkerboard
    home = tmp_path_factory.mktemp("home")
    with Catalog.open(home) as catalog:
        build_checkerboard(catalog)
    config = fast_config(epochs=2, rerank=True, rerank_gnn_epochs=1, rerank_candidates=30,
                         baselines="popularity,itemknn,als")
    runs = [run_training(config, home, progress=False, out=io.StringIO())[0] for _ in range(2)]
    return home, runs


@pytest.mark.parametrize("how", ["missing", "truncated"])
@pytest.mark.parametrize("name", sorted(FILES))
def test_a_damaged_serving_file_falls_back_to_the_older_run(two_runs, tmp_path, name, how):
    home, (older, newer) = two_runs
    copy = _copy(home, tmp_path)
    newer_copy = copy / "runs" / newer.name
    _serve(newer_copy, FILES[name])  # the model whose file is damaged serves
    _damage(newer_copy / name, how)
    from data.store import Catalog
    with Catalog.open(copy) as catalog:
        recommender = load_recommender(catalog, copy)
    assert recommender.run_id == older.name
    note = recommender.note
    assert "\n" not in note and f"active run {newer.name} unusable" in note
    assert name in note and "python -m ml" in note  # what is wrong, what to do
    assert note.endswith(f"serving run {older.name}, the newest run that loads")


def test_cli_says_in_one_line_what_is_damaged(two_runs, tmp_path):
    home, (older, newer) = two_runs
    copy = _copy(home, tmp_path)
    _serve(copy / "runs" / newer.name, "gnn")
    _damage(copy / "runs" / newer.name / "model.pt", "truncated")
    done = run_ml(copy, "recommend", "--playlist", "0", "--k", "3")
    assert done.returncode == 0 and "Traceback" not in done.stderr
    (note,) = [line for line in done.stderr.splitlines() if "unusable" in line]
    assert "model.pt" in note or "model files" in note
    assert f"serving run {older.name}" in note

    _damage(copy / "runs" / newer.name / "checkpoint.pt", "truncated")
    done = run_ml(copy, "train", "--resume", newer.name)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "checkpoint.pt" in done.stderr
    assert "start a new run" in done.stderr


def test_missing_checkpoint_says_to_start_a_new_run(two_runs, tmp_path):
    home, (_, newer) = two_runs
    copy = _copy(home, tmp_path)
    (copy / "runs" / newer.name / "checkpoint.pt").unlink()
    with pytest.raises(UserError, match="no checkpoint at .*; start a new run without --resume"):
        run_training(fast_config(epochs=3), copy, resume=newer.name, overrides={"epochs"},
                     progress=False, out=io.StringIO())


def test_a_catalog_that_is_not_sqlite_is_one_line(home):
    (home / "catalog.sqlite").write_bytes(b"this is not a database" * 400)
    done = run_ml(home, "train", "--epochs", "1")  # `python -m data` has its own test
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("error: cannot open the catalog at ")
    assert "not a database" in done.stderr and "move the file away" in done.stderr


def test_ml_evaluate_sets_up_torch_as_training_does(two_runs, tmp_path):
    """`ml evaluate` alone refits the re-ranker's fold GraphSAGE: with the run's threads
    and deterministic kernels, as `ml train` had them."""
    from ml.pipeline.evaluate_run import evaluate_run
    home, (older, _) = two_runs
    copy = _copy(home, tmp_path)
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(False)
    torch.set_num_threads(2)
    try:
        evaluate_run(copy / "runs" / older.name, copy)
        assert torch.are_deterministic_algorithms_enabled()
        assert torch.get_num_threads() == 1  # the run's --threads (fast_config)
    finally:
        torch.use_deterministic_algorithms(deterministic, warn_only=True)
        torch.set_num_threads(threads)
