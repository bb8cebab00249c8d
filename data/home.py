"""The home directory and every path under it: the one place that names them.

    <home>/catalog.sqlite             the catalog store (with its -wal and -shm files)
    <home>/runs/<run id>/             training runs (ml.runs.directory)
    <home>/runs/ACTIVE                the id of the run that serves
    <home>/cache/                     graph snapshots by store version (ml.dataset.snapshot)
    <home>/jobs/<name>/               a background job's lock, status.json, output.log
    <home>/crawler.log                tracebacks of crawls that failed
    <home>/spotify-user-token.json    the signed-in user's token (mode 0600)
    <home>/spotify-library.json       the user's saved, top and own tracks as last read (0600)
    <home>/spotify-saved-playlists.json  playlists saved to Spotify: user → name → id (0600)
    <home>/dashboard-password         the dashboard password's salted scrypt hash (0600)

The home is `$PLAYLISTGRAPH_HOME` if set, else `.playlistgraph/` in the repository; every
command's `--home DIR` overrides it.
"""
from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "PLAYLISTGRAPH_HOME"
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_HOME = REPO_ROOT / ".playlistgraph"
BUNDLED_SAMPLE = Path(__file__).resolve().parent / "sample"

CATALOG_FILE = "catalog.sqlite"
RUNS_DIR = "runs"
ACTIVE_FILE = "ACTIVE"  # in the runs directory
CACHE_DIR = "cache"
JOBS_DIR = "jobs"
JOB_LOCK_FILE = "lock"
JOB_STATUS_FILE = "status.json"
JOB_LOG_FILE = "output.log"
CRAWL_LOG_FILE = "crawler.log"
USER_TOKEN_FILE = "spotify-user-token.json"
LIBRARY_FILE = "spotify-library.json"
SAVED_PLAYLISTS_FILE = "spotify-saved-playlists.json"
PASSWORD_FILE = "dashboard-password"


def home_dir(override: str | os.PathLike | None = None) -> Path:
    """The home directory: `override`, else $PLAYLISTGRAPH_HOME, else `.playlistgraph/` in the repo."""
    raw = override if override is not None else os.environ.get(ENV_VAR)
    home = Path(raw).expanduser() if raw else DEFAULT_HOME
    home.mkdir(parents=True, exist_ok=True)
    return home


def catalog_path(home: Path | None = None) -> Path:
    return (home or home_dir()) / CATALOG_FILE


def runs_dir(home: Path | None = None) -> Path:
    return _made((home or home_dir()) / RUNS_DIR)


def active_run_file(home: Path | None = None) -> Path:
    """The file naming the serving run (it may not exist yet)."""
    return runs_dir(home) / ACTIVE_FILE


def cache_dir(home: Path | None = None) -> Path:
    return _made((home or home_dir()) / CACHE_DIR)


def job_dir(name: str, home: Path | None = None) -> Path:
    """The directory of the background job `name` (lock, status.json, output.log)."""
    return _made((home or home_dir()) / JOBS_DIR / name)


def crawl_log_path(home: Path | None = None) -> Path:
    return (home or home_dir()) / CRAWL_LOG_FILE


def user_token_path(home: Path | None = None) -> Path:
    return (home or home_dir()) / USER_TOKEN_FILE


def library_path(home: Path | None = None) -> Path:
    return (home or home_dir()) / LIBRARY_FILE


def saved_playlists_path(home: Path | None = None) -> Path:
    return (home or home_dir()) / SAVED_PLAYLISTS_FILE


def password_path(home: Path | None = None) -> Path:
    return (home or home_dir()) / PASSWORD_FILE


def _made(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
