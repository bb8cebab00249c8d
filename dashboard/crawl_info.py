"""Crawl state for the pages, read through `data.crawl_reads`, cached per store version.

Every crawl step commits and bumps the store version, so while a crawl runs these
reads refresh on each poll; between crawls they are served from the cache.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from dashboard.loaders import open_catalog
from data import crawl_reads

PLAYLIST_COLUMNS = ["name", "owner_name", "depth", "found_via", "status", "reason", "tracks",
                    "total", "skipped", "spotify_id"]


@dataclass(frozen=True)
class CrawlSummary:
    available: bool  # a crawl was ever started in this home
    progress: dict = field(default_factory=dict)  # crawl_reads.crawl_progress of the latest

    @property
    def frontier(self) -> int:
        return int(self.progress.get("frontier") or 0)

    @property
    def last_crawl_at(self) -> str | None:
        return self.progress.get("updated_at")

    @property
    def state(self) -> str | None:
        return self.progress.get("state")


@st.cache_data(max_entries=8, show_spinner=False)
def summary(home: str, version: int) -> CrawlSummary:
    with open_catalog(home) as catalog:
        progress = crawl_reads.crawl_progress(catalog)
    return CrawlSummary(available=bool(progress), progress=progress)


@st.cache_data(max_entries=8, show_spinner=False)
def playlists(home: str, version: int, status: str | None = None,
              limit: int = 500) -> pd.DataFrame:
    """The latest crawl's playlists (visited in order, then the frontier); `status` filters."""
    with open_catalog(home) as catalog:
        rows = crawl_reads.crawl_playlists(catalog, status=status, limit=limit)
    return pd.DataFrame(rows, columns=PLAYLIST_COLUMNS)


@st.cache_data(max_entries=8, show_spinner=False)
def graph_stats(home: str, version: int) -> dict:
    """The playlist–artist graph statistics the crawler computes."""
    from crawler.analytics import playlist_artist_graph_stats

    with open_catalog(home) as catalog:
        return playlist_artist_graph_stats(catalog)


def graph_metrics(stats: dict) -> list[tuple[str, str, str]]:
    """(label, value, help) for the playlist–artist graph's headline figures."""
    if not stats.get("playlists") and not stats.get("artists"):
        return []
    pd_, ad = stats["playlist_degree"], stats["artist_degree"]
    return [
        ("Playlists", f"{stats['playlists']:,}", "Crawled and unreachable playlists in the graph."),
        ("Artists", f"{stats['artists']:,}", "Artists of crawled tracks and searched artists."),
        ("Edges", f"{stats['edges']:,}",
         f"{stats['contains_edges']:,} 'holds tracks by' and {stats['found_edges']:,} 'found by "
         "searching' links (an edge can be both)."),
        ("Components", f"{stats['components']:,}",
         f"The largest holds {stats['largest_component']:,} nodes."),
        ("Largest component", f"{stats['largest_component_share']:.1%}",
         "Share of all nodes in the largest connected component."),
        ("Artists per playlist", f"{pd_['mean']:.1f}",
         f"Median {pd_['median']:.0f}, max {pd_['max']:,}."),
        ("Playlists per artist", f"{ad['mean']:.1f}",
         f"Median {ad['median']:.0f}, max {ad['max']:,}."),
    ]


def top_artists_frame(stats: dict) -> pd.DataFrame:
    """The most central artists (PageRank), for a table."""
    return pd.DataFrame(stats.get("top_artists") or [],
                        columns=["name", "degree", "pagerank", "betweenness", "uri"])
