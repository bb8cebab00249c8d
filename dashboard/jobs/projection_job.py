"""The Embedding map's projection job: `python -m ml.pipeline.project_run` in the background.

It follows every training job that ends `done` (a runner follow-up): the run that job
evaluated is then the run in use, and `--if-missing` projects it unless it already has a
projection. The Embedding page starts it only for a run evaluated outside the dashboard
(`python -m ml train` on the command line) that has none yet.
"""
from __future__ import annotations

from dashboard.jobs import runner
from dashboard.settings import DashboardSettings

PROJECT_JOB = "project"
MODULE = "ml.pipeline.project_run"


def after_training(settings: DashboardSettings) -> runner.FollowUp:
    """The follow-up of a training job: project the run in use if it has no projection."""
    return runner.FollowUp(PROJECT_JOB, MODULE, ("--if-missing", *settings.projection_args))


def start_projection(settings: DashboardSettings, run_id: str) -> runner.JobStatus:
    """Project `run_id` in the background (JobAlreadyRunning if a projection runs)."""
    return runner.start_job(PROJECT_JOB, MODULE, [run_id, *settings.projection_args],
                            home=settings.home)


def projected_run(job: runner.JobStatus) -> str | None:
    """The run a projection job was started for; None for 'the run in use' (a follow-up)."""
    args = job.command[1:]
    return args[0] if args and not args[0].startswith("-") else None
