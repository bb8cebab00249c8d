"""Listening: one listener's imported streaming history (python -m data listening)."""
from __future__ import annotations

import streamlit as st

from dashboard.frames import listening_charts as charts
from dashboard.reads import listening, loaders
from dashboard.settings import load_settings

settings = load_settings()
home = str(settings.home)
version = loaders.store_version(home)

st.title("Listening")
who = listening.listeners(home, version)
if who.empty:
    st.info("No listening imported yet. Download your data from Spotify (Account → Privacy "
            "settings → Download your data, the extended streaming history), then run "
            "`python -m data listening my_spotify_data.zip`.")
    st.stop()

names = who.name.tolist()
picked = st.query_params.get("listener")
name = st.selectbox("Listener", names, index=names.index(picked) if picked in names else 0,
                    key="listening_listener")
st.query_params["listener"] = name
listener = int(who.id[who.name == name].iloc[0])
figures = listening.figures(home, version, listener)
summary = figures.summary
st.caption(f"{summary.plays:,} plays from {summary.first:%Y-%m-%d} to {summary.last:%Y-%m-%d} "
           "(UTC). Every row of the export with a track URI is a play, however short; "
           "podcasts and audiobooks are not imported.")

row = st.columns(6)
row[0].metric("Plays", f"{summary.plays:,}", border=True)
row[1].metric("Hours played", f"{summary.hours:,.1f}", border=True)
row[2].metric("Distinct tracks", f"{summary.tracks:,}", border=True)
row[3].metric("Distinct artists", f"{summary.artists:,}", border=True)
row[4].metric("Skip rate", f"{summary.skip_rate:.1%}", border=True,
              help="Share of plays the export marks as skipped (where it does not say: "
                   "plays ended with the forward button).")
row[5].metric("New-track plays", f"{summary.new_share:.1%}", border=True,
              help="Share of plays that were the first play of their track in this history; "
                   "the rest are repeats.")

st.subheader("Hours per month")
st.altair_chart(charts.hours_per_month_chart(figures.months), width="stretch")

left, right = st.columns(2, gap="medium")
with left:
    st.subheader("Top artists by time played")
    st.altair_chart(charts.top_chart(figures.top_artists, "artist"), width="stretch")
with right:
    st.subheader("Top tracks by time played")
    st.altair_chart(charts.top_chart(figures.top_tracks, "track"), width="stretch")
st.dataframe(figures.top_tracks, hide_index=True, width="stretch", column_config={
    "hours": st.column_config.NumberColumn("hours", format="%.2f"),
    "skip_rate": st.column_config.NumberColumn("skipped", format="percent")})

st.subheader("When: day of week × hour (UTC)")
st.altair_chart(charts.day_hour_chart(figures.day_hour), width="stretch")

left, right = st.columns(2, gap="medium")
with left:
    st.subheader("New tracks vs repeats")
    st.altair_chart(charts.new_vs_repeat_chart(figures.new_vs_repeat), width="stretch")
with right:
    st.subheader("Also in the catalog's other sources")
    overlap = figures.overlap
    st.altair_chart(charts.overlap_chart(overlap), width="stretch")
    either = overlap.set_index("held_by").loc["MPD or crawls"]
    st.metric("Time on tracks the MPD or crawls also hold", f"{either.share_of_time:.1%}",
              help="Tracks in an MPD playlist or a crawled playlist; the listener's own export "
                   "playlists do not count.")
    st.dataframe(overlap, hide_index=True, width="stretch", column_config={
        "held_by": "also in", "hours": st.column_config.NumberColumn("hours", format="%.1f"),
        "share_of_time": st.column_config.NumberColumn("share of time", format="percent")})
