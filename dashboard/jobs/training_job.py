"""The retraining job: start `python -m ml train`, and read its live progress.

Progress comes from two files: the job runner's status (is the process alive, did it
fail) and the run's own `status.json` / `metrics.jsonl` (epoch, loss, validation
metric). The run of a job is the one whose status names the job's pid.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dashboard.frames.run_frames import eta_seconds, selected_epoch
from dashboard.jobs import projection_job, runner
from dashboard.reads import training_runs
from dashboard.settings import DashboardSettings

TRAIN_JOB = "train"


@dataclass(frozen=True)
class TrainingProgress:
    job: runner.JobStatus
    run_id: str | None = None
    state: str | None = None  # the run's own state (running, evaluating, done, ...)
    epoch: int | None = None
    epochs: int | None = None
    loss: float | None = None
    val_r_precision: float | None = None  # at the selected epoch (whose weights serve)
    selected_epoch: int | None = None
    eta_s: float | None = None  # seconds left for the remaining epochs (then evaluation)
    message: str = ""

    @property
    def fraction(self) -> float:
        if not self.epochs or self.epoch is None:
            return 0.0
        return max(0.0, min(1.0, self.epoch / self.epochs))


def start_training(settings: DashboardSettings) -> runner.JobStatus:
    """Start a training run in the background (JobAlreadyRunning if one runs); when it ends
    done, its supervisor starts the Embedding map's projection of the run now in use."""
    return runner.start_job(TRAIN_JOB, "ml", ["train", *settings.train_args], home=settings.home,
                            then=projection_job.after_training(settings))


def cancel_training(settings: DashboardSettings) -> bool:
    return runner.cancel_job(TRAIN_JOB, settings.home)


def _run_of_job(home: Path, job: runner.JobStatus) -> training_runs.RunView | None:
    if job.pid is None:
        return None
    for info in training_runs.run_infos(home):
        if (info.status or {}).get("pid") == job.pid:
            return training_runs.read_run(info)
    return None


def training_progress(settings: DashboardSettings) -> TrainingProgress:
    job = runner.job_status(TRAIN_JOB, settings.home)
    run = _run_of_job(settings.home, job) if job.state != "idle" else None
    if run is None:
        return TrainingProgress(job=job, message=job.message)
    return run_progress(job, run)


def run_progress(job: runner.JobStatus, run: training_runs.RunView) -> TrainingProgress:
    """The live figures of one run (the sidebar's and the Training page's)."""
    last = run.metrics[-1] if run.metrics else {}
    epoch = run.status.get("epoch", last.get("epoch"))
    epochs = run.status.get("epochs") or run.config.get("epochs")
    chosen, _ = selected_epoch(run.metrics, run.config)
    at_chosen = next((m for m in run.metrics if m.get("epoch") == chosen), {})
    eta = (eta_seconds([m.get("seconds") for m in run.metrics], int(epoch or 0), epochs)
           if run.state == "running" else None)
    return TrainingProgress(
        job=job, run_id=run.run_id, state=run.state, epoch=epoch, epochs=epochs,
        loss=last.get("loss"), val_r_precision=at_chosen.get("val_r_precision"),
        selected_epoch=chosen, eta_s=eta,
        message=str(run.status.get("message") or job.message or ""))
