"""Degrees: log–log degree distributions of playlists, tracks and artists, side by side."""
from __future__ import annotations

import streamlit as st

from dashboard.frames import charts, degree_stats
from dashboard.reads import loaders
from dashboard.settings import load_settings

settings = load_settings()
home = str(settings.home)
stats = loaders.stats(home, loaders.store_version(home))

st.title("Degree distributions")
st.caption("How many neighbours each node has in the playlist–track graph, on log–log axes. "
           "Grey dots: the share of nodes with each exact degree. Green: the same, log-binned "
           "(share per unit of degree). Red dashes, for tracks and artists: a least-squares "
           "line through the binned points; its slope is a rough power-law exponent, not a "
           "test that the tail is one. Playlist lengths are not power-law distributed (they "
           "are capped and bunched), so they get no line. Counts are aggregated in the "
           "database; no per-node data reaches the browser.")

# (title, node, neighbours, histogram, meaning, fit a power law)
KINDS = (
    ("Playlists", "playlist", "distinct tracks", stats.playlist_degrees,
     "A playlist's degree is its number of distinct tracks.", False),
    ("Tracks", "track", "playlists", stats.track_degrees,
     "A track's degree is the number of playlists holding it: its popularity.", True),
    ("Artists", "artist", "playlists", stats.artist_degrees,
     "An artist's degree is the number of playlists holding any of its tracks.", True),
)

for column, (title, node, neighbours, histogram, meaning, fit) in zip(
        st.columns(len(KINDS), gap="medium"), KINDS):
    with column:
        st.subheader(title)
        summary = degree_stats.summarize(histogram, fit=fit)
        if summary.nodes == 0:
            st.info(f"No {node}s with neighbours yet: ingest MPD slices or run a crawl.")
            continue
        bins = degree_stats.log_bins(histogram)
        st.altair_chart(charts.degree_chart(
            degree_stats.histogram_frame(histogram), bins,
            degree_stats.fit_line(summary, bins), node, neighbours, height=300),
            width="stretch")
        row = st.columns(2)
        row[0].metric("Nodes", f"{summary.nodes:,}", help=f"{title} with at least one neighbour.")
        row[1].metric("Mean degree", f"{summary.mean:,.2f}")
        row = st.columns(2)
        row[0].metric("Median degree", f"{summary.median:,.1f}")
        row[1].metric("Max degree", f"{summary.max:,}")
        if fit:
            st.metric("Power-law slope", "—" if summary.slope is None else f"{summary.slope:.2f}",
                      help="Slope of log10(share per degree) against log10(degree) over the "
                           "log bins (fewer than three populated bins: no fit).")
        st.caption(meaning)
