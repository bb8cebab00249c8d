"""Crawl state for the pages, read through `data.crawl_reads`, cached per store version.
The figures and tables built from it are in `dashboard.frames.crawl_graph`.

Every crawl step commits and bumps the store version, so while a crawl runs these
reads refresh on each poll; between crawls they are served from the cache.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from dashboard.reads.loaders import open_catalog
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
def crawled_counts(home: str, version: int) -> dict[str, int]:
    """Crawled and unreachable playlists in the catalog (Overview and Crawl)."""
    with open_catalog(home) as catalog:
        return crawl_reads.crawled_playlist_counts(catalog)


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


@dataclass(frozen=True)
class LaidOutGraph:
    graph: object  # networkx.Graph, annotated by dashboard.frames.network.annotate
    positions: dict  # node -> (x, y)


@st.cache_resource(max_entries=2, show_spinner="Laying out the playlist–artist graph…")
def graph_layout(home: str, version: int) -> LaidOutGraph:
    """The whole crawl graph with depth and status on its nodes, laid out once per store
    version (every view of the page draws a subset at these positions). A shared
    resource, not a copy per run: nothing downstream changes it."""
    from crawler.analytics import playlist_artist_graph
    from dashboard.frames import network

    with open_catalog(home) as catalog:
        playlists_, artists = crawl_reads.graph_node_attributes(catalog)
        graph = network.annotate(playlist_artist_graph(catalog), playlists_, artists)
    return LaidOutGraph(graph=graph, positions=network.layout(graph))
