"""Waiting for a background job to end: what tests of the job runner and its pages need."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from dashboard.jobs.runner import JobStatus, job_status


def wait_for_job(name: str, home: Path | None = None, timeout_s: float = 600.0,
                 poll_s: float = 0.2) -> JobStatus:
    """Block until the job is no longer running (or `timeout_s` passes)."""
    return _poll(name, home, lambda status: not status.running, timeout_s, poll_s)


def wait_for_job_start(name: str, home: Path | None = None, timeout_s: float = 120.0,
                       poll_s: float = 0.2) -> JobStatus:
    """Block until the job has been started at least once (its state is no longer 'idle'),
    or `timeout_s` passes. A follow-up job is started by its parent's supervisor after the
    parent's status says 'done', so a test that saw the parent end must wait for this."""
    return _poll(name, home, lambda status: status.state != "idle", timeout_s, poll_s)


def _poll(name: str, home: Path | None, reached: Callable[[JobStatus], bool],
          timeout_s: float, poll_s: float) -> JobStatus:
    """The job's status once `reached` holds for it, or when `timeout_s` has passed."""
    deadline = time.monotonic() + timeout_s
    while True:
        status = job_status(name, home)
        if reached(status) or time.monotonic() > deadline:
            return status
        time.sleep(poll_s)
