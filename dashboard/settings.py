"""Dashboard settings from the environment (documented in dashboard/README.md).

- PLAYLISTGRAPH_HOME        — the home directory (database, runs, jobs); see data.home.
- PLAYLISTGRAPH_AUTOTRAIN   — "0" disables the default training run started on a fresh home.
- PLAYLISTGRAPH_TRAIN_ARGS  — extra arguments for `python -m ml train` (e.g. "--epochs 2"),
                              used by the default run and the sidebar's Retrain button.

The Crawl page's API base, token URL and credentials (PLAYLISTGRAPH_SPOTIFY_API_BASE,
PLAYLISTGRAPH_SPOTIFY_TOKEN_URL, SPOTIPY_CLIENT_ID, SPOTIPY_CLIENT_SECRET, or the same keys
in `.streamlit/secrets.toml`) are resolved as the crawler resolves them: see
crawler/connection.py and dashboard/crawl_job.py.
"""
from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path

from data.home import home_dir

class SettingsError(ValueError):
    """A dashboard environment variable that cannot be used."""


@dataclass(frozen=True)
class DashboardSettings:
    home: Path
    autotrain: bool
    train_args: tuple[str, ...]


def load_settings() -> DashboardSettings:
    raw_args = os.environ.get("PLAYLISTGRAPH_TRAIN_ARGS", "")
    try:
        train_args = tuple(shlex.split(raw_args))
    except ValueError as exc:
        raise SettingsError(f"PLAYLISTGRAPH_TRAIN_ARGS cannot be parsed ({exc}); "
                            "fix its quoting, e.g. PLAYLISTGRAPH_TRAIN_ARGS='--epochs 2'") from None
    return DashboardSettings(
        home=home_dir(),
        autotrain=os.environ.get("PLAYLISTGRAPH_AUTOTRAIN", "1").strip().lower()
        not in ("0", "false", "no", "off"),
        train_args=train_args,
    )
