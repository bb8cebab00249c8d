"""The playlist–artist graph's layout, filters and chart, on graphs whose answer is known."""
from __future__ import annotations

import math

import networkx as nx
import pytest

from dashboard.frames import crawl_text, network, network_chart


def _star_graph() -> nx.Graph:
    """Two playlists sharing artist 'both'; p1 also holds a1, a2; p2 holds a3.
    p3 was found by searching a3 and not visited."""
    g = nx.Graph()
    for key in ("p1", "p2", "p3"):
        g.add_node(("playlist", key), kind="playlist", name=key.upper())
    for key in ("both", "a1", "a2", "a3"):
        g.add_node(("artist", key), kind="artist", name=f"Artist {key}")
    g.add_edges_from([(("playlist", "p1"), ("artist", a)) for a in ("both", "a1", "a2")])
    g.add_edges_from([(("playlist", "p2"), ("artist", a)) for a in ("both", "a3")])
    g.add_edge(("playlist", "p3"), ("artist", "a3"))
    return network.annotate(
        g, [{"spotify_id": "p1", "depth": 0, "status": "crawled", "playlist_id": 11, "reason": None},
            {"spotify_id": "p2", "depth": 1, "status": "unreachable", "playlist_id": 12,
             "reason": "403 not yours"}],
        [{"uri": "both", "depth": 1}, {"uri": "a3", "depth": 2}])


def test_annotate_and_breakdown_count_playlists_by_what_became_of_them() -> None:
    g = _star_graph()
    assert network.playlist_breakdown(g) == {"crawled": 1, "unreachable": 1, "queued": 1}
    assert g.nodes[("playlist", "p3")]["status"] == "queued"
    assert g.nodes[("artist", "a1")]["status"] == "artist"
    note = crawl_text.graph_playlists_note(network.playlist_breakdown(g))
    assert note.startswith("The graph's 3 playlists: 1 crawled, 1 unreachable")
    assert "1 found by a search but not visited yet" in note


def test_top_nodes_and_hops() -> None:
    g = _star_graph()
    # p1 has degree 3; a3, both and p2 have 2 (ties by kind, then key).
    assert network.top_nodes(g, 2) == [("playlist", "p1"), ("artist", "a3")]
    assert network.top_nodes(g, 4)[2:] == [("artist", "both"), ("playlist", "p2")]
    around = network.hop_nodes(g, ("artist", "a3"), 1, cap=10)
    assert set(around) == {("artist", "a3"), ("playlist", "p2"), ("playlist", "p3")}
    assert around[0] == ("artist", "a3")
    assert len(network.hop_nodes(g, ("playlist", "p1"), 3, cap=2)) == 2
    assert network.hop_nodes(g, ("artist", "missing"), 1, cap=5) == []


def test_layout_is_seeded_and_puts_leaves_beside_their_playlist() -> None:
    g = _star_graph()
    first, again = network.layout(g), network.layout(g)
    assert first == again and set(first) == set(g)
    # a1 and a2 are leaves of p1: on a ring around it, nearer to it than p2 is.
    p1 = first[("playlist", "p1")]
    ring = [math.dist(first[("artist", a)], p1) for a in ("a1", "a2")]
    assert ring[0] == pytest.approx(ring[1])
    assert max(ring) < math.dist(first[("playlist", "p2")], p1)


def test_frames_and_chart_carry_only_drawn_nodes_and_their_links() -> None:
    g = _star_graph()
    positions = network.layout(g)
    nodes = network.top_nodes(g, 3)  # p1 (3), then degree 2: p2, a3 / both
    frame = network.node_frame(g, nodes, positions)
    edges = network.edge_frame(g, nodes, positions)
    assert frame["node_id"].tolist() == [network.node_id(v) for v in nodes]
    assert len(edges) == g.subgraph(nodes).number_of_edges()
    spec = network_chart.network_chart(frame, edges, "status").to_dict()
    assert spec["params"][0]["name"] == network_chart.SELECTION
    assert network.parse_node_id("playlist:p1") == ("playlist", "p1")
    assert network.parse_node_id("junk") is None


def test_crawler_messages_in_the_pages_words() -> None:
    assert crawl_text.page_message("reached --max-playlists (60)") == \
        "reached the Max playlists limit (60)"
    assert crawl_text.page_message("reached --max-requests (5 requests); raise it and continue "
                                   "with --resume") == (
        "reached the Max API requests limit (5 requests); raise it and continue with Resume "
        "last crawl")
