"""Background jobs (retraining, crawling) started from the dashboard.

A job is `python -m <module> <args>` run under a small supervisor
(`python -m dashboard.jobs.runner supervise ...`) in its own process group. Per job name,
under `job_dir(name)` (`<home>/jobs/<name>/`, named in `data.home`):

- `lock`   — exists while a job of that name runs; holds the supervisor's pid. A
             second start while it exists raises `JobAlreadyRunning`; a lock whose
             pid is dead (the machine rebooted, the supervisor was killed) is stale
             and cleared.
- `status.json` — state (running | done | failed | cancelled), pids, times, exit code
             and a one-line message; written atomically by the supervisor, so it is
             right even after the dashboard restarted.
- `output.log` — the job's stdout and stderr.

Cancel sends SIGTERM to the process group: the job stops cleanly (the trainer and the
crawler both handle SIGTERM) and the supervisor records `cancelled`.

A job may name a follow-up (`then`): another job the supervisor starts once this one
ended `done` (the training job's is the Embedding map's projection). It is started by the
supervisor, not by a page, so it happens whether or not a browser is open.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Mapping, Sequence

import psutil

from data.atomic import write_text_atomic
from data.home import (ENV_VAR, JOB_LOCK_FILE, JOB_LOG_FILE, JOB_STATUS_FILE, REPO_ROOT,
                       home_dir, job_dir)

_STARTING_GRACE_S = 30.0  # a lock without a pid is a start in progress for this long
_children: dict[int, subprocess.Popen] = {}  # supervisors started by this process, to reap them


class JobAlreadyRunning(RuntimeError):
    """A job of that name is running; wait for it or cancel it."""


@dataclass(frozen=True)
class FollowUp:
    """A job to start after another one ended `done`: `python -m <module> <args>` as `name`."""
    name: str
    module: str
    args: tuple[str, ...] = ()


@dataclass
class JobStatus:
    name: str
    state: str = "idle"  # idle | running | done | failed | cancelled
    command: list[str] = field(default_factory=list)  # module and arguments (never secrets)
    supervisor_pid: int | None = None
    pid: int | None = None  # the job process itself
    started_at: str | None = None
    finished_at: str | None = None
    returncode: int | None = None
    message: str = ""

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def ended(self) -> bool:
        """The job ran and has stopped, whichever way ("idle": it never ran)."""
        return self.state in ("done", "failed", "cancelled")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def log_path(name: str, home: Path | None = None) -> Path:
    return job_dir(name, home) / JOB_LOG_FILE


def _write_status(path: Path, status: JobStatus) -> None:
    write_text_atomic(path, json.dumps(asdict(status), indent=1))  # never half a file


def _read_status(name: str, directory: Path) -> JobStatus:
    path = directory / JOB_STATUS_FILE
    try:
        raw = json.loads(path.read_text())
        known = {k: raw[k] for k in JobStatus.__dataclass_fields__ if k in raw}
        return JobStatus(**known)
    except (OSError, ValueError, TypeError):
        return JobStatus(name=name)


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    for popen in list(_children.values()):
        popen.poll()  # reap our own finished supervisors, so they are not zombies
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _lock_pid(lock: Path) -> tuple[bool, int | None]:
    """(lock exists, pid in it)."""
    try:
        text = lock.read_text().strip()
    except FileNotFoundError:
        return False, None
    return True, int(text) if text.isdigit() else None


def _clear_if_stale(lock: Path) -> None:
    exists, pid = _lock_pid(lock)
    if not exists:
        return
    if pid is None:
        try:
            if time.time() - lock.stat().st_mtime < _STARTING_GRACE_S:
                return
        except FileNotFoundError:
            return
    elif _alive(pid):
        return
    lock.unlink(missing_ok=True)


def job_status(name: str, home: Path | None = None) -> JobStatus:
    """The job's status; a 'running' job whose processes are gone reads as failed."""
    directory = job_dir(name, home)
    lock = directory / JOB_LOCK_FILE
    _clear_if_stale(lock)
    status = _read_status(name, directory)
    locked, _ = _lock_pid(lock)
    if status.state == "running" and not locked:
        status.state = "failed"
        status.message = status.message or "the job stopped without reporting (killed?)"
    elif locked and status.state == "idle":  # a lock without a readable status: starting
        status = JobStatus(name=name, state="running", message="starting…")
    return status


_RELEASE_WAIT_S = 5.0  # how long a start waits for a finished job's supervisor to let go


def _take_lock(name: str, directory: Path) -> int:
    """The job's lock, created; JobAlreadyRunning if a job holds it. A job whose status
    already says it ended (its supervisor writes that, then releases the lock) is waited
    for a moment, so a start right after 'done' is not refused."""
    lock = directory / JOB_LOCK_FILE
    deadline = time.monotonic() + _RELEASE_WAIT_S
    while True:
        _clear_if_stale(lock)
        try:
            return os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            ended = _read_status(name, directory).ended
            if not ended or time.monotonic() > deadline:
                raise JobAlreadyRunning(
                    f"a {name} job is already running; wait for it or cancel it") from None
            time.sleep(0.05)


def start_job(name: str, module: str, args: Sequence[str] = (), *, home: Path | None = None,
              env: Mapping[str, str] | None = None, then: FollowUp | None = None) -> JobStatus:
    """Start `python -m <module> <args>` in the background; raise JobAlreadyRunning if busy.

    `env` is added to this process's environment (secrets may go here: they are
    passed to the child, never written to the status or the log by us). `then` is
    started by the supervisor when this job ends `done`.
    """
    home = home or home_dir()
    directory = job_dir(name, home)
    lock = directory / JOB_LOCK_FILE
    fd = _take_lock(name, directory)
    status_path = directory / JOB_STATUS_FILE
    status = JobStatus(name=name, state="running", command=[module, *args], started_at=_now(),
                       message="starting…")
    try:
        # Written before the supervisor exists, so a reader never sees the previous job's
        # state under a fresh lock; the supervisor overwrites it with its pids.
        _write_status(status_path, status)
        child_env = {**os.environ, **(env or {}), ENV_VAR: str(home),
                     "PYTHONUNBUFFERED": "1"}
        follow = ["--then", json.dumps(asdict(then))] if then else []
        popen = subprocess.Popen(
            [sys.executable, "-m", "dashboard.jobs.runner", "supervise", "--name", name,
             "--dir", str(directory), *follow, "--", module, *args],
            cwd=REPO_ROOT, env=child_env,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        os.write(fd, str(popen.pid).encode())
    except BaseException as exc:
        os.close(fd)
        status.state, status.message = "failed", f"could not start ({exc})"
        _write_status(status_path, status)
        lock.unlink(missing_ok=True)
        raise
    os.close(fd)
    _children[popen.pid] = popen
    status.supervisor_pid = popen.pid
    return status


def cancel_job(name: str, home: Path | None = None) -> bool:
    """SIGTERM the job's process group. True if a running job was signalled."""
    exists, pid = _lock_pid(job_dir(name, home) / JOB_LOCK_FILE)
    if not exists or not _alive(pid):
        return False
    try:
        os.killpg(os.getpgid(pid), signal.SIGTERM)
    except ProcessLookupError:
        return False
    return True


def log_tail(name: str, home: Path | None = None, lines: int = 30) -> str:
    """The last `lines` lines of the job's output (progress bars' carriage returns folded)."""
    try:
        with open(log_path(name, home), "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 64_000))
            text = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    out = [line.rsplit("\r", 1)[-1] for line in text.splitlines()]
    return "\n".join([line for line in out if line.strip()][-lines:])


# ---- the supervisor (runs in the background process) ---------------------------------

def _last_line(path: Path) -> str:
    try:
        text = path.read_bytes()[-8000:].decode("utf-8", errors="replace")
    except OSError:
        return ""
    lines = [ln.rsplit("\r", 1)[-1].strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln]
    return lines[-1][:300] if lines else ""


def supervise(name: str, directory: Path, command: list[str],
              then: FollowUp | None = None) -> int:
    """Run `python -m <command>`, keep status.json current, release the lock at the end,
    then start `then` if the job ended `done`."""
    status_path = directory / JOB_STATUS_FILE
    log = directory / JOB_LOG_FILE
    started_at = _read_status(name, directory).started_at or _now()
    status = JobStatus(name=name, state="running", command=command,
                       supervisor_pid=os.getpid(), started_at=started_at, message="running")
    cancelled = False

    def on_term(signum, frame):  # the group got SIGTERM: the child got it too
        nonlocal cancelled
        cancelled = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    try:
        with open(log, "wb") as out:
            child = subprocess.Popen([sys.executable, "-m", *command], stdin=subprocess.DEVNULL,
                                     stdout=out, stderr=subprocess.STDOUT)
            status.pid = child.pid
            if cancelled:  # SIGTERM arrived before the child existed
                child.terminate()
            _write_status(status_path, status)
            rc = child.wait()  # retried across our SIGTERM handler (PEP 475)
        status.returncode = rc
        status.finished_at = _now()
        if cancelled:
            status.state, status.message = "cancelled", "cancelled by the user"
        elif rc == 0:
            status.state, status.message = "done", _last_line(log)
        else:
            status.state = "failed"
            status.message = _last_line(log) or f"exited with status {rc}"
        _write_status(status_path, status)
    finally:
        (directory / JOB_LOCK_FILE).unlink(missing_ok=True)
    if then is not None and status.state == "done":
        _start_follow_up(then)
    return 0


def _start_follow_up(then: FollowUp, wait_s: float = 3600.0) -> None:
    """Start `then`; if a job of its name runs (another run's projection), wait for it
    and start once more. Our lock is released first, so a new job of ours may start."""
    home = home_dir()  # start_job gave the supervisor the job's home in its environment
    for attempt in range(2):
        try:
            start_job(then.name, then.module, then.args, home=home)
            return
        except JobAlreadyRunning:
            if attempt == 0:
                wait_for_job(then.name, home, timeout_s=wait_s, poll_s=1.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard.jobs.runner")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("supervise", help="(internal) run a job and record its status")
    p.add_argument("--name", required=True)
    p.add_argument("--dir", type=Path, required=True)
    p.add_argument("--then", type=json.loads, default=None,
                   help="(internal) JSON of a FollowUp to start when the job ends done")
    p.add_argument("job", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    job = args.job[1:] if args.job[:1] == ["--"] else args.job
    then = args.then and FollowUp(args.then["name"], args.then["module"],
                                  tuple(args.then.get("args") or ()))
    return supervise(args.name, args.dir, job, then or None)


if __name__ == "__main__":
    sys.exit(main())
