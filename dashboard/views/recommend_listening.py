"""The Recommendations page's "My listening" mode: seeds from an imported streaming
history (ml.serving.listening_seeds), every track the listener played left out of the results."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.reads import listening, loaders
from ml.errors import UserError

MODE = "My listening"
WINDOWS = {"Whole history": None, "Last 3 months": "3m", "Last 6 months": "6m",
           "Last year": "1y"}


def choose(home: str, version: int) -> tuple[list[int], str, set[int]]:
    """Draw the listener and window pickers; return (seeds, label, tracks to leave out)."""
    who = listening.listeners(home, version)
    if who.empty:
        st.info("No listening imported yet: run `python -m data listening "
                "my_spotify_data.zip` with your Spotify data export, then come back.",
                icon=":material/headphones:")
        return [], "", set()
    left, right = st.columns([2, 3])
    name = left.selectbox("Listener", who.name.tolist(), key="rec_listener")
    window = right.segmented_control("Plays from", list(WINDOWS), default="Whole history",
                                     required=True, key="rec_listening_window")
    try:
        picked = listening.seeds(home, version, name, WINDOWS[window])
    except UserError as exc:
        st.warning(str(exc), icon=":material/history_toggle_off:")
        return [], "", set()
    st.caption(f"{len(picked.seeds):,} seed tracks: {name}'s most played of "
               f"{picked.plays_in_window:,} plays, weighted by minutes played, a play to the "
               "end counting four times a skipped one, and recency (half weight every "
               f"90 days before the last play). All {len(picked.played):,} tracks {name} "
               "played are left out of the results.")
    with st.expander("Seed tracks and their weights"):
        rows = loaders.track_rows(home, version, tuple(picked.seeds))
        table = pd.DataFrame({"track": rows["name"], "artist": rows["artist"],
                              "weight": picked.weights})
        st.dataframe(table, hide_index=True, width="stretch",
                     column_config={"weight": st.column_config.NumberColumn(format="%.2f")})
    return picked.seeds, f"{name}'s listening", picked.played
