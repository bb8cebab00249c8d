"""Dashboard settings from the environment (documented in dashboard/README.md).

- PLAYLISTGRAPH_HOME        — the home directory (database, runs, jobs); see data.home.
- PLAYLISTGRAPH_AUTOTRAIN   — "0" disables the default training run started on a fresh home.
- PLAYLISTGRAPH_TRAIN_ARGS  — extra arguments for `python -m ml train` (e.g. "--epochs 2"),
                              used by the default run and the sidebar's Retrain button.
- PLAYLISTGRAPH_SPOTIFY_API_BASE / PLAYLISTGRAPH_SPOTIFY_TOKEN_URL — point crawls started
                              from the Crawl page at another Web API (the local fake in tests).
- SPOTIPY_CLIENT_ID / SPOTIPY_CLIENT_SECRET — crawl credentials, from the environment or
                              `.streamlit/secrets.toml`; passed to the crawler, never shown.
"""
from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path

from data.home import home_dir

CREDENTIAL_KEYS = ("SPOTIPY_CLIENT_ID", "SPOTIPY_CLIENT_SECRET")


class SettingsError(ValueError):
    """A dashboard environment variable that cannot be used."""


@dataclass(frozen=True)
class DashboardSettings:
    home: Path
    autotrain: bool
    train_args: tuple[str, ...]
    api_base: str | None
    token_url: str | None


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
        api_base=os.environ.get("PLAYLISTGRAPH_SPOTIFY_API_BASE") or None,
        token_url=os.environ.get("PLAYLISTGRAPH_SPOTIFY_TOKEN_URL") or None,
    )


def crawl_credentials(secrets: object | None = None) -> dict[str, str]:
    """SPOTIPY_CLIENT_ID/SECRET from the environment, else from Streamlit secrets.

    Returned only to be passed into the crawler's environment; callers never display them.
    """
    found = {k: os.environ[k] for k in CREDENTIAL_KEYS if os.environ.get(k)}
    if secrets is not None:
        for key in CREDENTIAL_KEYS:
            if key in found:
                continue
            try:
                value = secrets.get(key)  # type: ignore[attr-defined]
            except Exception:  # no secrets.toml: Streamlit raises on access
                value = None
            if value:
                found[key] = str(value)
    return found
