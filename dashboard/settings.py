"""Dashboard settings from the environment (documented in dashboard/README.md).

- PLAYLISTGRAPH_HOME        — the home directory (database, runs, jobs); see data.home.
- PLAYLISTGRAPH_AUTOTRAIN   — "0" disables the default training run started on a fresh home.
- PLAYLISTGRAPH_TRAIN_ARGS  — extra arguments for `python -m ml train` (e.g. "--epochs 2"),
                              used by the default run and the sidebar's Retrain button.
- PLAYLISTGRAPH_PROJECTION_ARGS — extra arguments for `python -m ml.pipeline.project_run` (e.g.
                              "--fit-sample 5000"), the Embedding map's background job.
- PLAYLISTGRAPH_SPOTIFY_EMBED — "on", "off" or "auto" (default): Spotify's embed player under
                              the recommendations; "auto" turns it on only when the app
                              talks to Spotify's own API (off offline, with the fake API).
- PLAYLISTGRAPH_SPOTIFY_REDIRECT_URI — where Spotify sends the browser back after sign-in
                              (default: this app's address, e.g. http://127.0.0.1:8501/).
- PLAYLISTGRAPH_MODEL_WAIT_S — seconds a page waits for the served model to load before
                              it says the model is loading and refreshes when it is
                              ready (default 2; the load goes on in the background).

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
    projection_args: tuple[str, ...] = ()
    model_wait_s: float = 2.0
    embed_player: str = "auto"  # on | off | auto


def _arguments(variable: str, example: str) -> tuple[str, ...]:
    try:
        return tuple(shlex.split(os.environ.get(variable, "")))
    except ValueError as exc:
        raise SettingsError(f"{variable} cannot be parsed ({exc}); fix its quoting, "
                            f"e.g. {variable}='{example}'") from None


def _seconds(variable: str, default: float) -> float:
    raw = os.environ.get(variable, "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise SettingsError(f"{variable} must be a number of seconds, 0 or more (got {raw!r}); "
                            f"e.g. {variable}=2")
    return value


def load_settings() -> DashboardSettings:
    train_args = _arguments("PLAYLISTGRAPH_TRAIN_ARGS", "--epochs 2")
    return DashboardSettings(
        home=home_dir(),
        autotrain=os.environ.get("PLAYLISTGRAPH_AUTOTRAIN", "1").strip().lower()
        not in ("0", "false", "no", "off"),
        train_args=train_args,
        projection_args=_arguments("PLAYLISTGRAPH_PROJECTION_ARGS", "--fit-sample 5000"),
        model_wait_s=_seconds("PLAYLISTGRAPH_MODEL_WAIT_S", 2.0),
        embed_player=_choice("PLAYLISTGRAPH_SPOTIFY_EMBED", ("auto", "on", "off")),
    )


def _choice(variable: str, allowed: tuple[str, ...]) -> str:
    raw = os.environ.get(variable, "").strip().lower() or allowed[0]
    if raw not in allowed:
        raise SettingsError(f"{variable} must be one of {', '.join(allowed)} (got {raw!r})")
    return raw
