"""Waiting for a background job to end: what tests of the job runner and its pages need."""
from __future__ import annotations

import time
from pathlib import Path

from dashboard.jobs.runner import JobStatus, job_status


def wait_for_job(name: str, home: Path | None = None, timeout_s: float = 600.0,
                 poll_s: float = 0.2) -> JobStatus:
    """Block until the job is no longer running (or `timeout_s` passes)."""
    deadline = time.monotonic() + timeout_s
    while True:
        status = job_status(name, home)
        if not status.running or time.monotonic() > deadline:
            return status
        time.sleep(poll_s)


def wait_for_job_start(name: str, home: Path | None = None, timeout_s: float = 120.0,
                       poll_s: float = 0.2) -> JobStatus:
    """Block until the job has been started at least once (its state is no longer 'idle'),
    or `timeout_s` passes. A follow-up job is started by its parent's supervisor after the
    parent's status says 'done', so a test that saw the parent end must wait for this."""
    deadline = time.monotonic() + timeout_s
    while True:
        status = job_status(name, home)
        if status.state != "idle" or time.monotonic() > deadline:
            return status
        time.sleep(poll_s)
