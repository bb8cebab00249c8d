"""Overview: what the catalog holds, where it came from, and how healthy the store is."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.frames import catalog_figures
from dashboard.frames.formatting import density, human_bytes, percent, when
from dashboard.reads import crawl_info, loaders
from dashboard.sections import sample_removal
from dashboard.settings import load_settings

settings = load_settings()
home = str(settings.home)
version = loaders.store_version(home)
stats = loaders.stats(home, version)
health = loaders.store_health(home, version)
crawl = crawl_info.summary(home, version)

st.title("Catalog overview")
st.caption("Playlists from the Million Playlist Dataset (MPD) and from Spotify crawls, merged "
           "on track URIs in one catalog. Figures describe store version "
           f"{stats.store_version:,}.")

crawled = crawl_info.crawled_counts(home, version)
playlists = catalog_figures.playlist_counts(stats.playlists, crawled)
row = st.columns(5)
row[0].metric("Playlists", f"{playlists['with_tracks']:,}", border=True,
              help=catalog_figures.playlists_help(playlists))
if playlists["sample"]:
    row[1].metric("MPD + sample playlists", f"{playlists['mpd'] + playlists['sample']:,}",
                  border=True, help=f"{playlists['mpd']:,} from an MPD copy and "
                                    f"{playlists['sample']:,} from the bundled generated sample.")
else:
    row[1].metric("MPD playlists", f"{playlists['mpd']:,}", border=True)
row[2].metric("Crawled playlists", f"{playlists['crawled']:,}", border=True,
              help=catalog_figures.crawled_help(playlists))
row[3].metric("Tracks", f"{stats.tracks['total']:,}", border=True)
row[4].metric("Artists", f"{stats.artists['total']:,}", border=True)

row = st.columns(5)
row[0].metric("Playlist–track edges", f"{stats.playlist_track_edges:,}", border=True,
              help="Distinct (playlist, track) pairs; a track listed twice in one playlist "
                   "counts once.")
row[1].metric("Density", density(stats.density), border=True,
              help="Edges divided by (playlists with tracks × tracks): the share of all "
                   "possible playlist–track pairs that exist.")
row[2].metric("Feature coverage", percent(stats.feature_coverage), border=True,
              help=f"Audio features: {stats.tracks_with_features:,} of "
                   f"{stats.tracks['total']:,} tracks have them; the model uses a "
                   "missing-mask for the rest.")
row[3].metric("Albums", f"{stats.albums:,}", border=True)
mean_len = stats.playlist_track_edges / max(1, sum(stats.playlist_degrees.values()))
row[4].metric("Mean playlist length", f"{mean_len:.1f}", border=True,
              help="Distinct tracks per playlist that has tracks.")

st.subheader("By source")
st.caption("MPD counts a real MPD copy and the bundled sample together. "
           "A track or artist counts for a source when at least one playlist of that source "
           "holds it, so the overlap column shows how much the crawl and the MPD share. "
           "Playlists: those with stored tracks (unreachable crawled playlists are on the "
           "Crawl page).")
by_source = pd.DataFrame(
    [("Playlists", playlists["mpd"] + playlists["sample"], playlists["crawled"], 0,
      playlists["with_tracks"]),
     ("Tracks", stats.tracks["mpd"], stats.tracks["spotify"], stats.tracks["both"],
      stats.tracks["total"]),
     ("Artists", stats.artists["mpd"], stats.artists["spotify"], stats.artists["both"],
      stats.artists["total"])],
    columns=["Kind", "MPD", "Crawled", "In both", "Total"])
number = st.column_config.NumberColumn(format="localized")
st.dataframe(by_source, hide_index=True, width="stretch",
             column_config={c: number for c in ("MPD", "Crawled", "In both", "Total")})

st.subheader("Store")
row = st.columns(4)
row[0].metric("Store version", f"{stats.store_version:,}", border=True,
              help="Goes up with every committed write; the dashboard's caches key on it.")
row[1].metric("Size on disk", human_bytes(health["size_bytes"]), border=True,
              help="The SQLite database with its write-ahead log.")
row[2].metric("MPD slices ingested", f"{health['slices']:,}", border=True)
row[3].metric("Crawl frontier", f"{crawl.frontier:,}" if crawl.available else "—", border=True,
              help="Playlists the latest crawl has queued but not visited yet.")
crawl_state = f" ({crawl.state})" if crawl.state else ""
st.markdown(f"**Last ingest:** {when(health['last_ingest_at'])}  \n"
            f"**Last crawl:** {when(crawl.last_crawl_at)}{crawl_state}")

sample_removal.render(settings, playlists["sample"])
