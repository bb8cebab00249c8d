"""Spotify's embed player for a recommended track (open.spotify.com/embed/track/{id}).

Spotify removed preview URLs; the embed is the way to listen in the page. It loads from
Spotify, so it is off by default when the app runs offline (PLAYLISTGRAPH_SPOTIFY_EMBED,
"auto": on only when the app talks to Spotify's own API), and a toggle turns it on or off.
"""
from __future__ import annotations

import zlib

import pandas as pd
import streamlit as st

from crawler.connection import DEFAULT_API_BASE, ConnectionSettingError
from dashboard.sections.spotify_account import connection
from dashboard.settings import DashboardSettings

EMBED_URL = "https://open.spotify.com/embed/track/{id}"
HEIGHT = 152  # Spotify's compact player


def enabled_by_default(settings: DashboardSettings) -> bool:
    if settings.embed_player != "auto":
        return settings.embed_player == "on"
    try:
        return connection().endpoints().api_base == DEFAULT_API_BASE
    except ConnectionSettingError:
        return False


def embed_url(uri: str) -> str | None:
    parts = uri.split(":") if isinstance(uri, str) else []
    if len(parts) == 3 and parts[:2] == ["spotify", "track"] and parts[2].isalnum():
        return EMBED_URL.format(id=parts[2])
    return None


def render(settings: DashboardSettings, table: pd.DataFrame) -> None:
    playable = {u: f"{r}. {t} — {a or 'unknown artist'}"
                for r, t, a, u in zip(table["rank"], table["track"], table["artist"],
                                      table["uri"]) if embed_url(u)}
    if not playable:
        return
    on = st.toggle("Play in the page (Spotify's player)", value=enabled_by_default(settings),
                   key="rec_embed_on", help="Loads Spotify's embed player from open.spotify.com; "
                   "off by default when the app runs offline.")
    if not on:
        return
    # New recommendations start the choice afresh: the options are part of the key.
    digest = zlib.crc32(repr(list(playable)).encode())
    uri = st.selectbox("Track to play", list(playable), format_func=playable.__getitem__,
                       key=f"rec_embed_track-{digest:08x}")
    st.iframe(embed_url(uri), height=HEIGHT)
