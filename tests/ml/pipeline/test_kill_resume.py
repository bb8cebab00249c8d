"""Kill anything, resume to the same result: `kill -9` of `python -m ml train` in the middle
of an epoch, then `ml train --resume`, gives the metrics and evaluation of a run never
killed (CPU, same seed, the checkerboard catalog)."""
from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import fields
from pathlib import Path

from ml.config import TrainConfig
from ml.pipeline.train_run import run_training
from ml.runs.directory import list_runs, read_evaluation, read_metrics, read_status
from tests.ml.conftest import REPO_ROOT, fast_config, run_ml

EPOCHS = 6
TIMINGS = {"seconds", "train_seconds", "edges_per_s"}  # how long, not what was learned


def _flags(config: TrainConfig) -> list[str]:
    """`ml train` flags for every field where `config` differs from the defaults."""
    default, out = TrainConfig(), []
    for f in fields(TrainConfig):
        value = getattr(config, f.name)
        if value != getattr(default, f.name):
            text = ("yes" if value else "no") if isinstance(value, bool) else str(value)
            out += [f"--{f.name.replace('_', '-')}", text]
    return out


def _learned(run_dir: Path) -> list[dict]:
    return [{k: v for k, v in row.items() if k not in TIMINGS} for row in read_metrics(run_dir)]


def _evaluation(run_dir: Path) -> dict:
    evaluation = read_evaluation(run_dir)
    evaluation["protocol"].pop("run_id")
    return evaluation


def test_kill_9_mid_epoch_then_resume_gives_the_run_never_killed(checkerboard, home):
    config = fast_config(epochs=EPOCHS)
    straight, state = run_training(config, home, progress=False, out=io.StringIO())
    assert state == "done"

    env = {**os.environ, "PLAYLISTGRAPH_HOME": str(home), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "ml", "train", "--no-progress",
                             *_flags(config)], cwd=REPO_ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        killed = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            runs = [r for r in list_runs(home) if r.path != straight]
            if runs and (runs[0].status or {}).get("epoch", 0) >= 2:  # epoch 3 under way
                proc.send_signal(signal.SIGKILL)
                killed = runs[0].path
                break
            time.sleep(0.01)
        proc.wait(timeout=30)
    finally:
        proc.kill()
    assert killed is not None and proc.returncode == -signal.SIGKILL, proc.stderr.read()
    assert read_status(killed)["state"] == "running"  # what a killed run leaves
    assert len(read_metrics(killed)) < EPOCHS

    resumed = run_ml(home, "train", "--resume", killed.name, "--no-progress")
    assert resumed.returncode == 0, resumed.stderr
    assert _learned(killed) == _learned(straight)
    assert [r["epoch"] for r in read_metrics(killed)] == list(range(1, EPOCHS + 1))
    assert _evaluation(killed) == _evaluation(straight)
    assert read_status(killed)["state"] == "done"


def test_resume_redoes_rows_written_past_the_checkpoint(checkerboard, home):
    """Killed after an epoch's metrics row but before its checkpoint, and in the middle of
    the next row: the resumed run neither repeats that epoch nor keeps the torn line."""
    straight, _ = run_training(fast_config(epochs=4), home, progress=False, evaluate=False,
                               out=io.StringIO())
    part, _ = run_training(fast_config(epochs=2), home, progress=False, evaluate=False,
                           out=io.StringIO())
    rows = read_metrics(part)
    with open(part / "metrics.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps({**rows[-1], "epoch": 3}) + "\n" + '{"epoch": 4, "lo')
    run_training(fast_config(epochs=4), home, resume=part.name, overrides={"epochs"},
                 progress=False, evaluate=False, out=io.StringIO())
    assert _learned(part) == _learned(straight)
    assert (part / "metrics.jsonl").read_text().count("\n") == 4
