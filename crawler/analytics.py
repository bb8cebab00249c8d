"""Analytics of the crawl's playlist–artist graph (networkx), for the dashboard's Crawl page.

The graph is bipartite: playlist nodes and artist nodes, joined when a crawled
playlist holds tracks by the artist ("contains", weighted by the track count) or when
searching the artist's name found the playlist ("found"). Unreachable playlists are in
it through "found" edges only: their items could not be read.
"""
from __future__ import annotations

import statistics

import networkx as nx

from data import crawl_reads
from data.store import Catalog

# Betweenness is approximated from this many sampled sources (exact on smaller graphs):
# a few thousand nodes then take about a second, where exact betweenness takes minutes.
_BETWEENNESS_SAMPLES = 32


def playlist_artist_graph(catalog: Catalog, crawl_id: int | None = None) -> nx.Graph:
    """Nodes ('playlist', spotify_id) and ('artist', uri) with attributes kind and name;
    edges with attributes contains (tracks, 0 if none) and found (bool)."""
    graph = nx.Graph()
    for spotify_id, playlist_name, artist_uri, artist_name, tracks in \
            crawl_reads.playlist_artist_edges(catalog, crawl_id):
        p, a = _add(graph, spotify_id, playlist_name, artist_uri, artist_name)
        graph.add_edge(p, a, contains=int(tracks), found=False)
    for artist_uri, artist_name, spotify_id, playlist_name, _rank in \
            crawl_reads.artist_find_edges(catalog, crawl_id):
        p, a = _add(graph, spotify_id, playlist_name, artist_uri, artist_name)
        if graph.has_edge(p, a):
            graph.edges[p, a]["found"] = True
        else:
            graph.add_edge(p, a, contains=0, found=True)
    return graph


def playlist_artist_graph_stats(catalog: Catalog, crawl_id: int | None = None,
                                top: int = 10) -> dict:
    """Components, degree summaries and the most central artists of the graph.

    Keys: playlists, artists, edges, contains_edges, found_edges, components,
    largest_component (nodes), largest_component_share, playlist_degree and
    artist_degree ({mean, median, max}), degree_histogram ({'playlist'|'artist':
    {degree: count}}), top_artists (by PageRank) and top_artists_by_degree: lists of
    {uri, name, degree, pagerank, betweenness}; betweenness_samples (sources sampled for
    the approximate betweenness; None when exact).
    """
    graph = playlist_artist_graph(catalog, crawl_id)
    playlists = [n for n in graph if n[0] == "playlist"]
    artists = [n for n in graph if n[0] == "artist"]
    edges = graph.number_of_edges()
    components = list(nx.connected_components(graph)) if graph.number_of_nodes() else []
    largest = max((len(c) for c in components), default=0)
    out = {
        "playlists": len(playlists), "artists": len(artists), "edges": edges,
        "contains_edges": sum(1 for *_, d in graph.edges(data=True) if d["contains"]),
        "found_edges": sum(1 for *_, d in graph.edges(data=True) if d["found"]),
        "components": len(components), "largest_component": largest,
        "largest_component_share": largest / graph.number_of_nodes() if graph else 0.0,
        "playlist_degree": _summary([graph.degree(n) for n in playlists]),
        "artist_degree": _summary([graph.degree(n) for n in artists]),
        "degree_histogram": {"playlist": _histogram(graph, playlists),
                             "artist": _histogram(graph, artists)},
        "top_artists": [], "top_artists_by_degree": [], "betweenness_samples": None,
    }
    if not artists:
        return out
    pagerank = nx.pagerank(graph, weight=None)
    samples = None if graph.number_of_nodes() <= _BETWEENNESS_SAMPLES else _BETWEENNESS_SAMPLES
    betweenness = nx.betweenness_centrality(graph, k=samples, seed=0)
    out["betweenness_samples"] = samples

    def row(node) -> dict:
        return {"uri": node[1], "name": graph.nodes[node]["name"], "degree": graph.degree(node),
                "pagerank": pagerank[node], "betweenness": betweenness[node]}
    by_rank = sorted(artists, key=lambda a: (-pagerank[a], a[1]))[:top]
    by_degree = sorted(artists, key=lambda a: (-graph.degree(a), a[1]))[:top]
    out["top_artists"] = [row(a) for a in by_rank]
    out["top_artists_by_degree"] = [row(a) for a in by_degree]
    return out


def _add(graph: nx.Graph, spotify_id: str, playlist_name: str | None, artist_uri: str,
         artist_name: str) -> tuple[tuple, tuple]:
    p, a = ("playlist", spotify_id), ("artist", artist_uri)
    if p not in graph:
        graph.add_node(p, kind="playlist", name=playlist_name or "")
    if a not in graph:
        graph.add_node(a, kind="artist", name=artist_name)
    return p, a


def _summary(degrees: list[int]) -> dict:
    if not degrees:
        return {"mean": 0.0, "median": 0.0, "max": 0}
    return {"mean": statistics.fmean(degrees), "median": float(statistics.median(degrees)),
            "max": max(degrees)}


def _histogram(graph: nx.Graph, nodes: list) -> dict[int, int]:
    counts: dict[int, int] = {}
    for node in nodes:
        d = graph.degree(node)
        counts[d] = counts.get(d, 0) + 1
    return dict(sorted(counts.items()))
