"""The Crawl page's drawing of the playlist–artist graph.

Filter (top N by degree, or k hops around a node), colour (BFS depth or status), and a
click: a playlist with stored tracks opens its recommendations; an artist lists its
playlists below the drawing; an unreachable playlist says why it cannot be used.
"""
from __future__ import annotations

import streamlit as st

from dashboard.frames import network, network_chart
from dashboard.reads import crawl_info

DEFAULT_TOP = 300
MAX_NODES = 5000
NAV_COUNTER = "crawl_graph_nav"  # bumped on leaving the page, so no stale click follows back
RECOMMENDATIONS = "views/recommendations.py"


def render(home: str, version: int) -> None:
    laid_out = crawl_info.graph_layout(home, version)
    graph, positions = laid_out.graph, laid_out.positions
    if graph.number_of_nodes() == 0:
        return
    total = graph.number_of_nodes()
    left, mid, right = st.columns([2, 2, 1], gap="medium")
    mode = left.segmented_control("Show", ("Top by degree", "Around a node"),
                                  default="Top by degree", required=True, key="graph_mode")
    color_by = right.segmented_control("Colour by", list(network_chart.COLOR_BY),
                                       default="depth", required=True, key="graph_color",
                                       format_func=network_chart.COLOR_BY.get)
    if mode == "Top by degree":
        top = mid.number_input(f"Nodes (of {total:,})", 10, MAX_NODES,
                               min(DEFAULT_TOP, total), step=50, key="graph_top",
                               help="The nodes with most links; the rest are left out so the "
                                    "drawing stays responsive.")
        nodes = network.top_nodes(graph, int(top))
    else:
        ranked = network.top_nodes(graph, total)
        labels = {network.node_id(v): f"{graph.nodes[v].get('name') or v[1]} ({v[0]})"
                  for v in ranked}
        center = mid.selectbox("Node", list(labels), format_func=labels.get, key="graph_center")
        hops = left.slider("Hops", 1, 3, 1, key="graph_hops")
        nodes = network.hop_nodes(graph, network.parse_node_id(center), hops, MAX_NODES)
    frame = network.node_frame(graph, nodes, positions)
    edges = network.edge_frame(graph, nodes, positions)
    st.caption(f"{len(frame):,} of {total:,} nodes and {len(edges):,} links drawn. Squares are "
               "playlists, circles artists, sized by degree. Hover for the name; click a "
               "playlist for its recommendations, an artist for its playlists.")
    event = st.altair_chart(network_chart.network_chart(frame, edges, color_by),
                            on_select="rerun", selection_mode=network_chart.SELECTION,
                            key=f"crawl_graph-{st.session_state.get(NAV_COUNTER, 0)}",
                            width="stretch")
    picked = _picked(event)
    if picked is not None and picked in graph:
        _show(graph, picked, positions)


def _picked(event) -> network.Node | None:
    rows = ((event or {}).get("selection") or {}).get(network_chart.SELECTION) or []
    return network.parse_node_id(rows[0].get("node_id")) if rows else None


def _show(graph, node: network.Node, positions) -> None:
    data = graph.nodes[node]
    name = data.get("name") or node[1]
    if node[0] == "playlist":
        if data.get("status") == "crawled" and data.get("playlist_id") is not None:
            st.session_state[NAV_COUNTER] = st.session_state.get(NAV_COUNTER, 0) + 1
            st.switch_page(RECOMMENDATIONS, query_params={"playlist": str(data["playlist_id"])})
        why = data.get("reason") or "it was found by a search but not visited yet"
        st.info(f"“{name}” has no stored tracks to recommend from: {why}.",
                icon=":material/block:")
        return
    playlists = [v for v in network.neighbours(graph, node) if v[0] == "playlist"]
    st.markdown(f"**{name}** is linked to {len(playlists):,} playlist"
                f"{'s' if len(playlists) != 1 else ''} of the crawl:")
    table = network.node_frame(graph, playlists, positions)
    st.dataframe(table[["name", "status", "depth", "degree"]], hide_index=True, width="stretch",
                 key="graph_artist_playlists",
                 column_config={"name": "Playlist", "status": "Status", "depth": "BFS depth",
                                "degree": st.column_config.NumberColumn(
                                    "Artists", help="Artists the playlist is linked to.")})
