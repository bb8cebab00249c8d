"""The playlist–artist graph statistics of a crawl (`crawler.analytics`) as the Crawl
page's headline figures and its table of the most central artists."""
from __future__ import annotations

import pandas as pd


def graph_metrics(stats: dict, playlists_note: str = "") -> list[tuple[str, str, str]]:
    """(label, value, help) for the playlist–artist graph's headline figures."""
    if not stats.get("playlists") and not stats.get("artists"):
        return []
    pd_, ad = stats["playlist_degree"], stats["artist_degree"]
    return [
        ("Playlists", f"{stats['playlists']:,}",
         playlists_note or "Crawled and unreachable playlists in the graph."),
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
