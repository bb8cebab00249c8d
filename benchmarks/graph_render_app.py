"""The page `benchmarks/graph_render.py` measures: a crawl-shaped playlist–artist graph of
`?n=` nodes drawn with `?lib=altair` (the dashboard's own chart) or `?lib=link`
(st-link-analysis, Cytoscape.js). Laid out once per size, as the Crawl page does."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
import streamlit as st  # noqa: E402

from dashboard.frames import network, network_chart  # noqa: E402


def crawl_shaped_graph(nodes: int, seed: int = 0) -> nx.Graph:
    """Bipartite like a real crawl of the bundled sample (62 playlists, 979 artists, 2,735
    edges): 6% playlists, each holding ~44 artists drawn from a Zipf-like popularity."""
    rng = np.random.default_rng(seed)
    playlists = max(1, round(nodes * 0.06))
    artists = nodes - playlists
    weights = 1.0 / np.arange(1, artists + 1) ** 0.8
    weights /= weights.sum()
    graph = nx.Graph()
    for a in range(artists):
        graph.add_node(("artist", f"a{a}"), kind="artist", name=f"Artist {a}", status="artist",
                       depth=1 + a % 2)
    for p in range(playlists):
        node = ("playlist", f"p{p}")
        graph.add_node(node, kind="playlist", name=f"Playlist {p}", status="crawled",
                       depth=min(2, p % 3))
        for a in rng.choice(artists, size=min(artists, 44), replace=False, p=weights):
            graph.add_edge(node, ("artist", f"a{a}"))
    # Every artist in at least one playlist, as in a crawl.
    for a in range(artists):
        if graph.degree(("artist", f"a{a}")) == 0:
            graph.add_edge(("playlist", f"p{a % playlists}"), ("artist", f"a{a}"))
    return graph


@st.cache_data
def frames(n: int):
    graph = crawl_shaped_graph(n)
    positions = network.layout(graph)
    return (network.node_frame(graph, list(graph), positions),
            network.edge_frame(graph, list(graph), positions))


lib = st.query_params.get("lib", "altair")
n = int(st.query_params.get("n", "500"))
nodes, edges = frames(n)
st.write(f"{len(nodes):,} nodes, {len(edges):,} edges, {lib}")
if lib == "altair":
    st.altair_chart(network_chart.network_chart(nodes, edges), on_select="rerun",
                    selection_mode=network_chart.SELECTION, key="graph", width="stretch")
else:
    from st_link_analysis import EdgeStyle, NodeStyle, st_link_analysis

    scale = 600
    elements = {
        "nodes": [{"data": {"id": r.node_id, "label": r.kind, "name": r.name},
                   "position": {"x": r.x * scale, "y": r.y * scale}}
                  for r in nodes.itertuples()],
        "edges": [{"data": {"id": f"e{i}", "source": a, "target": b, "label": "LINK"}}
                  for i, (a, b) in enumerate(crawl_shaped_graph(n).edges())],
    }
    for edge in elements["edges"]:
        edge["data"]["source"] = network.node_id(edge["data"]["source"])
        edge["data"]["target"] = network.node_id(edge["data"]["target"])
    st_link_analysis(elements, layout={"name": "preset", "fit": True, "animate": False},
                     node_styles=[NodeStyle("playlist", "#1DB954", "name"),
                                  NodeStyle("artist", "#4C78A8", "name")],
                     edge_styles=[EdgeStyle("LINK")], height=620, key="graph")
