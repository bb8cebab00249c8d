"""The playlist–artist graph of a crawl whose shape is known (the tiny catalog, by hand)."""
from __future__ import annotations

from pathlib import Path

from crawler.analytics import playlist_artist_graph, playlist_artist_graph_stats
from data.store import Catalog
from tests.crawler.conftest import tiny_id
from testkit.fake_spotify import FakeSpotify


def test_graph_of_the_tiny_crawl(tiny: FakeSpotify, crawl, home: Path):
    assert crawl(tiny, "--seed-playlist", tiny_id(tiny, 0), "--max-depth", "3").rc == 0
    with Catalog.open(home) as cat:
        graph = playlist_artist_graph(cat)
        stats = playlist_artist_graph_stats(cat, top=3)
    name = {("playlist", tiny_id(tiny, pid)): str(pid) for pid in range(8)}
    edges = {tuple(sorted((name.get(u) or graph.nodes[u]["name"][0],
                           name.get(v) or graph.nodes[v]["name"][0]))) for u, v in graph.edges}
    # holds tracks by: 0-A 0-B 1-A 2-A 2-C 5-C 5-E 7-E 7-F; found by search only: B-3 B-4 E-4
    assert edges == {("0", "A"), ("0", "B"), ("1", "A"), ("2", "A"), ("2", "C"), ("5", "C"),
                     ("5", "E"), ("7", "E"), ("7", "F"), ("3", "B"), ("4", "B"), ("4", "E")}
    assert (stats["playlists"], stats["artists"], stats["edges"]) == (7, 5, 12)
    assert (stats["contains_edges"], stats["found_edges"]) == (9, 11)
    assert (stats["components"], stats["largest_component"]) == (1, 12)
    assert stats["artist_degree"] == {"mean": 2.4, "median": 3.0, "max": 3}
    assert stats["playlist_degree"]["max"] == 2
    assert stats["degree_histogram"]["artist"] == {1: 1, 2: 1, 3: 3}
    assert [a["name"] for a in stats["top_artists_by_degree"]] == ["Alpha", "Bravo", "Echo"]
    ranks = [a["pagerank"] for a in stats["top_artists"]]
    assert len(ranks) == 3 and ranks == sorted(ranks, reverse=True)
    # Echo joins the cycle to the pendant path 7-F: it lies on the most shortest paths
    assert max(stats["top_artists_by_degree"], key=lambda a: a["betweenness"])["name"] == "Echo"


def test_no_crawl_gives_an_empty_summary(catalog: Catalog):
    stats = playlist_artist_graph_stats(catalog)
    assert (stats["playlists"], stats["artists"], stats["components"]) == (0, 0, 0)
    assert stats["top_artists"] == []
