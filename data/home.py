"""Where runtime files live: one directory for the database, training runs and caches."""
from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "PLAYLISTGRAPH_HOME"
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_HOME = REPO_ROOT / ".playlistgraph"
BUNDLED_SAMPLE = Path(__file__).resolve().parent / "sample"


def home_dir(override: str | os.PathLike | None = None) -> Path:
    """The home directory: `override`, else $PLAYLISTGRAPH_HOME, else `.playlistgraph/` in the repo."""
    raw = override if override is not None else os.environ.get(ENV_VAR)
    home = Path(raw).expanduser() if raw else DEFAULT_HOME
    home.mkdir(parents=True, exist_ok=True)
    return home


def catalog_path(home: Path | None = None) -> Path:
    return (home or home_dir()) / "catalog.sqlite"


def runs_dir(home: Path | None = None) -> Path:
    path = (home or home_dir()) / "runs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir(home: Path | None = None) -> Path:
    path = (home or home_dir()) / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path
