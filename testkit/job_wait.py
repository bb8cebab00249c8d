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
