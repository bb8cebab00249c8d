"""Cached reads of imported listening for the Listening page and "My listening", keyed on
(home, store version) like every catalog read (see `loaders`)."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from data import listening_reads as reads
from dashboard.frames import listening_frames as frames
from dashboard.reads.loaders import open_catalog


@st.cache_data(max_entries=4, show_spinner=False)
def listeners(home: str, version: int) -> pd.DataFrame:
    """id, name, plays, first_ts, last_ts per listener, most plays first."""
    with open_catalog(home) as catalog:
        rows = reads.listeners(catalog)
    return pd.DataFrame(rows, columns=["id", "name", "plays", "first_ts", "last_ts"])


@dataclass
class ListeningFigures:
    """Everything the Listening page draws for one listener: small frames only."""
    summary: frames.ListeningSummary
    months: pd.DataFrame
    top_artists: pd.DataFrame
    top_tracks: pd.DataFrame
    day_hour: pd.DataFrame
    new_vs_repeat: pd.DataFrame
    overlap: pd.DataFrame


@st.cache_data(max_entries=8, show_spinner="Reading the listening history…")
def figures(home: str, version: int, listener: int, top: int = 10) -> ListeningFigures:
    """The page's figures, computed once per store version: a rerun (a widget, another
    session) draws them without touching the plays again, and the plays themselves (100K
    rows) are not kept in the cache."""
    plays, tracks = history(home, listener)
    return ListeningFigures(
        summary=frames.summary(plays, tracks), months=frames.hours_per_month(plays),
        top_artists=frames.top_artists(plays, tracks, top),
        top_tracks=frames.top_tracks(plays, tracks, top), day_hour=frames.day_hour(plays),
        new_vs_repeat=frames.new_vs_repeat(plays), overlap=frames.catalog_overlap(plays, tracks))


def history(home: str, listener: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(plays, tracks) frames of one listener (see dashboard.frames.listening_frames)."""
    with open_catalog(home) as catalog:
        with catalog.read():  # both from one store version
            plays = reads.listener_plays(catalog, listener)
            tracks = reads.played_tracks(catalog, listener)
    frame = pd.DataFrame(tracks, columns=["track_id", "name", "artist", "in_mpd", "in_crawl"])
    frame["in_mpd"] = frame.in_mpd.astype(bool)
    frame["in_crawl"] = frame.in_crawl.astype(bool)
    return frames.plays_frame(plays), frame


@st.cache_data(max_entries=16, show_spinner=False)
def seeds(home: str, version: int, listener: str, since: str | None):
    """`ml.serving.listening_seeds.listening_seeds` of the listener (raises its UserError)."""
    from ml.serving.listening_seeds import listening_seeds
    with open_catalog(home) as catalog:
        return listening_seeds(catalog, listener, since)
