"""The Embedding map's projection starts when a training job's run has been evaluated,
by the job's supervisor: no page has to be opened, and no read module starts jobs."""
from __future__ import annotations

import ast
import time
from pathlib import Path

import pytest

from dashboard.jobs import projection_job, training_job
from testkit.job_wait import wait_for_job, wait_for_job_start
from dashboard.jobs import runner as jobs
from dashboard.settings import load_settings
from ml.pipeline.project_run import load_projection
from ml.runs.directory import active_run
from tests.dashboard.test_sidebar_training import (QUICK_TRAIN, sample_dir,  # noqa: F401
                                                   sampled)

READS = Path(__file__).resolve().parents[2] / "dashboard" / "reads"


def test_projection_starts_when_the_training_job_has_evaluated_its_run(
        home: Path, sampled, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setenv("PLAYLISTGRAPH_TRAIN_ARGS", QUICK_TRAIN)
    monkeypatch.setenv("PLAYLISTGRAPH_PROJECTION_ARGS", "--method pca --clusters 2")
    training_job.start_training(load_settings())
    trained = wait_for_job(training_job.TRAIN_JOB, home, timeout_s=300)
    assert trained.state == "done", trained.message
    run = active_run(home)
    assert run is not None and (run.path / "evaluation.json").exists()
    # Started by the training job's supervisor once the run was evaluated: just after the
    # training status says done, so wait for it to exist before waiting for it to end.
    assert wait_for_job_start(projection_job.PROJECT_JOB, home, timeout_s=120).state != "idle"
    projected = wait_for_job(projection_job.PROJECT_JOB, home, timeout_s=120)
    assert projected.state == "done", projected.message
    assert projected.command == ["ml.pipeline.project_run", "--if-missing", "--method", "pca",
                                 "--clusters", "2"]
    assert projected.started_at >= trained.finished_at
    stored = load_projection(run.path)
    assert stored is not None and stored.method == "pca"
    assert len(stored.track_ids) == len(set(stored.track_ids.tolist())) > 0


def test_a_cancelled_training_job_starts_no_projection(home: Path, sampled,  # noqa: F811
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAYLISTGRAPH_TRAIN_ARGS", "--epochs 50 --patience 50 --dim 16 "
                                                   "--threads 1")
    training_job.start_training(load_settings())
    deadline = time.monotonic() + 60
    while jobs.job_status(training_job.TRAIN_JOB, home).pid is None:  # the trainer exists
        assert time.monotonic() < deadline
        time.sleep(0.05)
    training_job.cancel_training(load_settings())
    assert wait_for_job(training_job.TRAIN_JOB, home, timeout_s=120).state == "cancelled"
    assert jobs.job_status(projection_job.PROJECT_JOB, home).state == "idle"


def test_no_read_module_imports_the_job_runner() -> None:
    """Reads are cached and run in any page: starting a job there starts it on a page view."""
    for module in READS.glob("*.py"):
        tree = ast.parse(module.read_text())
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)} | \
            {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
             for alias in node.names}
        assert not any(name and name.startswith("dashboard.jobs") for name in imported), module
