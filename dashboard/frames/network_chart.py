"""The playlist–artist graph as an Altair chart: edges as rules, nodes as points (sized by
degree, coloured by BFS depth or status, shaped by kind); a click selects a node."""
from __future__ import annotations

import altair as alt
import pandas as pd

SELECTION = "node"  # the selection parameter a click fills with the node's node_id
COLOR_BY = {"depth": "BFS depth", "status": "Status"}
STATUS_COLORS = {"crawled": "#1DB954", "unreachable": "#E45756",
                 "found, not visited": "#F2A33A", "artist": "#4C78A8"}


def network_chart(nodes: pd.DataFrame, edges: pd.DataFrame, color_by: str = "depth",
                  height: int = 620) -> alt.LayerChart:
    """nodes: `network.node_frame`; edges: `network.edge_frame`."""
    pick = alt.selection_point(name=SELECTION, fields=["node_id"], on="click", empty=False)
    x = alt.X("x:Q", axis=None, scale=alt.Scale(zero=False, nice=False, padding=10))
    y = alt.Y("y:Q", axis=None, scale=alt.Scale(zero=False, nice=False, padding=10))
    if color_by == "status":
        present = [s for s in STATUS_COLORS if s in set(nodes["status"])]
        color = alt.Color("status:N", title="Status", sort=present,
                          scale=alt.Scale(domain=present,
                                          range=[STATUS_COLORS[s] for s in present]),
                          legend=alt.Legend(orient="bottom"))
    else:
        color = alt.Color("depth:O", title="BFS depth", scale=alt.Scale(scheme="viridis"),
                          legend=alt.Legend(orient="bottom"))
    layers = []
    if not edges.empty:
        layers.append(alt.Chart(edges).mark_rule(color="#9aa5b1", opacity=0.25,
                                                 strokeWidth=0.6).encode(
            x=x, y=y, x2="x2:Q", y2="y2:Q"))
    layers.append(alt.Chart(nodes).mark_point(filled=True, stroke="#191414").encode(
        x=x, y=y, color=color,
        size=alt.Size("degree:Q", title="Degree", scale=alt.Scale(range=[18, 700]),
                      legend=None),
        shape=alt.Shape("kind:N", title="Node", sort=["playlist", "artist"],
                        scale=alt.Scale(domain=["playlist", "artist"],
                                        range=["square", "circle"]),
                        legend=alt.Legend(orient="bottom")),
        strokeWidth=alt.condition(pick, alt.value(2.5), alt.value(0)),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.8)),
        tooltip=[alt.Tooltip("name:N", title="Name"), alt.Tooltip("kind:N", title="Node"),
                 alt.Tooltip("degree:Q", title="Degree"),
                 alt.Tooltip("depth:O", title="BFS depth"),
                 alt.Tooltip("status:N", title="Status")],
    ).add_params(pick))
    return alt.layer(*layers).properties(height=height, width="container")
