"""The background job runner: lock, status file, cancel, stale locks, environment."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dashboard.jobs import runner as jobs
from testkit.job_wait import wait_for_job

JOB = "tests.dashboard.sample_job"


def _wait_until(predicate, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


def test_job_runs_to_done_and_releases_the_lock(home: Path) -> None:
    started = jobs.start_job("t", JOB, ["0.3", "0"], home=home)
    assert started.running
    status = wait_for_job("t", home, timeout_s=30)
    assert status.state == "done"
    assert status.returncode == 0
    assert status.message.startswith("finished after")
    assert status.command == [JOB, "0.3", "0"]
    # The supervisor writes the final status, then releases the lock (the other order
    # would let a reader see 'running' without a lock: 'failed'); under load that takes
    # a moment after 'done' is readable.
    _wait_until(lambda: not (home / "jobs" / "t" / "lock").exists())
    assert "step 0" in jobs.log_tail("t", home)


def test_a_start_right_after_done_waits_for_the_supervisor_to_let_go(home: Path) -> None:
    """Between writing 'done' and releasing the lock the supervisor still lives: a start in
    that moment (a user clicking again at once) waits for it instead of being refused."""
    directory = jobs.job_dir("t", home)
    directory.mkdir(parents=True, exist_ok=True)
    finishing = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.8)"])
    try:
        (directory / jobs.JOB_LOCK_FILE).write_text(str(finishing.pid))
        jobs._write_status(directory / jobs.JOB_STATUS_FILE,
                           jobs.JobStatus(name="t", state="done", command=[JOB]))
        started = jobs.start_job("t", JOB, ["0", "0"], home=home)
        assert started.running and finishing.poll() is not None  # it waited for the exit
        assert wait_for_job("t", home, timeout_s=30).state == "done"
        # a job that has not ended is still refused at once
        blocker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
        try:
            (directory / jobs.JOB_LOCK_FILE).write_text(str(blocker.pid))
            jobs._write_status(directory / jobs.JOB_STATUS_FILE,
                               jobs.JobStatus(name="t", state="running", command=[JOB]))
            t0 = time.monotonic()
            with pytest.raises(jobs.JobAlreadyRunning):
                jobs.start_job("t", JOB, ["0", "0"], home=home)
            assert time.monotonic() - t0 < 1.0
        finally:
            blocker.kill()
            blocker.wait()
    finally:
        finishing.wait()


def test_second_start_while_running_is_refused(home: Path) -> None:
    jobs.start_job("t", JOB, ["5", "0"], home=home)
    try:
        with pytest.raises(jobs.JobAlreadyRunning, match="already running"):
            jobs.start_job("t", JOB, ["0", "0"], home=home)
        assert jobs.job_status("t", home).running
    finally:
        jobs.cancel_job("t", home)
        wait_for_job("t", home, timeout_s=30)


def test_cancel_stops_the_job_and_records_it(home: Path) -> None:
    jobs.start_job("t", JOB, ["30", "0"], home=home)
    _wait_until(lambda: "step" in jobs.log_tail("t", home))
    assert jobs.cancel_job("t", home)
    status = wait_for_job("t", home, timeout_s=30)
    assert status.state == "cancelled"
    assert "stopped cleanly" in jobs.log_tail("t", home)
    assert not jobs.cancel_job("t", home)  # nothing left to cancel


def test_failing_job_reports_its_last_line(home: Path) -> None:
    jobs.start_job("t", JOB, ["0", "3"], home=home)
    status = wait_for_job("t", home, timeout_s=30)
    assert status.state == "failed"
    assert status.returncode == 3
    assert status.message == "error: the job failed on purpose"


def test_stale_lock_of_a_dead_process_is_cleared(home: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock = jobs.job_dir("t", home) / "lock"
    lock.write_text(str(dead.pid))
    assert not jobs.job_status("t", home).running
    assert not lock.exists()
    jobs.start_job("t", JOB, ["0", "0"], home=home)
    assert wait_for_job("t", home, timeout_s=30).state == "done"


def test_running_status_without_its_process_reads_as_failed(home: Path) -> None:
    directory = jobs.job_dir("t", home)
    (directory / "status.json").write_text(json.dumps(
        {"name": "t", "state": "running", "pid": 999999999, "message": "running"}))
    status = jobs.job_status("t", home)
    assert status.state == "failed"


def test_job_gets_home_and_extra_env_but_status_holds_no_secret(home: Path) -> None:
    jobs.start_job("t", JOB, ["0", "0"], home=home, env={"SAMPLE_JOB_VALUE": "s3cr3t-value"})
    wait_for_job("t", home, timeout_s=30)
    assert (home / "job_env.txt").read_text() == "s3cr3t-value"
    status_text = (home / "jobs" / "t" / "status.json").read_text()
    assert "s3cr3t-value" not in status_text
    assert "s3cr3t-value" not in jobs.log_tail("t", home)
