"""The crawl's playlist–artist graph, laid out for drawing (networkx; no Streamlit).

Nodes are `crawler.analytics.playlist_artist_graph` keys, ('playlist', spotify_id) and
('artist', uri). The whole graph is laid out once (the page caches it on the store
version); a view is a subset of its nodes (the top N by degree, or k hops around one
node) drawn at those positions, so changing the filter never lays the graph out again.
"""
from __future__ import annotations

import zlib
from typing import Hashable, Iterable, Mapping

import networkx as nx
import numpy as np
import pandas as pd

Node = tuple[str, str]
NODE_COLUMNS = ["node_id", "kind", "name", "degree", "depth", "status", "x", "y",
                "playlist_id", "reason"]
EDGE_COLUMNS = ["x", "y", "x2", "y2"]
STATUS_LABELS = {"crawled": "crawled", "unreachable": "unreachable",
                 "queued": "found, not visited", "artist": "artist"}


def node_id(node: Node) -> str:
    """'playlist:<spotify id>' or 'artist:<uri>': a node's key in frames and selections."""
    return f"{node[0]}:{node[1]}"


def parse_node_id(text: str) -> Node | None:
    kind, _, key = str(text).partition(":")
    return (kind, key) if kind in ("playlist", "artist") and key else None


def annotate(graph: nx.Graph, playlists: Iterable[Mapping], artists: Iterable[Mapping]) -> nx.Graph:
    """A copy of `graph` with depth and status on every node, and the catalog id and the
    reason on playlists (from `data.crawl_reads.graph_node_attributes`)."""
    out = graph.copy()
    for row in playlists:
        node = ("playlist", row["spotify_id"])
        if node in out:
            out.nodes[node].update(depth=row["depth"], status=row["status"],
                                   playlist_id=row["playlist_id"], reason=row["reason"])
    for row in artists:
        node = ("artist", row["uri"])
        if node in out:
            out.nodes[node].update(depth=row["depth"], status="artist")
    for node, data in out.nodes(data=True):
        data.setdefault("status", "artist" if node[0] == "artist" else "queued")
        data.setdefault("depth", None)
    return out


def playlist_breakdown(graph: nx.Graph) -> dict[str, int]:
    """Playlist nodes by status: crawled, unreachable, queued (found, not visited)."""
    counts = {"crawled": 0, "unreachable": 0, "queued": 0}
    for node, data in graph.nodes(data=True):
        if node[0] == "playlist":
            counts[data.get("status", "queued")] = counts.get(data.get("status", "queued"), 0) + 1
    return counts


def layout(graph: nx.Graph, seed: int = 0, iterations: int = 50) -> dict[Hashable, tuple[float, float]]:
    """Positions for every node, seeded (the same graph gets the same picture).

    Most artists of a crawl are in one playlist only. Those leaves are left out of the
    force-directed layout (networkx's Fruchterman–Reingold), which then runs on the core
    (playlists and artists shared by several), and each leaf is put on a small ring
    around its playlist: the layout's cost follows the core, not the whole graph.
    """
    if graph.number_of_nodes() == 0:
        return {}
    leaves = [v for v in graph if graph.degree(v) == 1]
    leaf_set = set(leaves)
    core = [v for v in graph if v not in leaf_set]
    # Two leaves joined to each other (a component of two) have no core to sit around.
    core += [v for v in leaves if next(iter(graph[v])) in leaf_set]
    core_set = set(core)
    positions = nx.spring_layout(graph.subgraph(core), seed=seed, iterations=iterations) \
        if core else {}
    out = {v: (float(p[0]), float(p[1])) for v, p in positions.items()}
    spread = 0.6 / max(1.0, np.sqrt(len(core)))  # ring radius: a share of the core spacing
    rings: dict[Hashable, list] = {}
    for v in leaves:
        if v not in core_set:
            rings.setdefault(next(iter(graph[v])), []).append(v)
    for parent, around in rings.items():
        px, py = out[parent]
        radius = spread * (1.0 + 0.15 * np.sqrt(len(around)))
        turn = (zlib.crc32(node_id(parent).encode()) % 8) / 8  # rings not all aligned
        for i, v in enumerate(sorted(around)):
            angle = 2 * np.pi * (i + turn) / len(around)
            out[v] = (px + radius * float(np.cos(angle)), py + radius * float(np.sin(angle)))
    return out


def top_nodes(graph: nx.Graph, n: int) -> list[Node]:
    """The `n` nodes of highest degree (ties by kind and key, so the cut is stable)."""
    return sorted(graph, key=lambda v: (-graph.degree(v), v))[:max(0, int(n))]


def hop_nodes(graph: nx.Graph, center: Node, hops: int, cap: int) -> list[Node]:
    """`center` and the nodes within `hops` of it; past `cap`, the nearest first, then
    those of highest degree."""
    if center not in graph:
        return []
    distance = nx.single_source_shortest_path_length(graph, center, cutoff=max(0, int(hops)))
    return sorted(distance, key=lambda v: (distance[v], -graph.degree(v), v))[:max(1, int(cap))]


def node_frame(graph: nx.Graph, nodes: Iterable[Node],
               positions: Mapping[Hashable, tuple[float, float]]) -> pd.DataFrame:
    """One row per node to draw (NODE_COLUMNS); degree is in the whole graph."""
    rows = []
    for v in nodes:
        data = graph.nodes[v]
        x, y = positions[v]
        rows.append({"node_id": node_id(v), "kind": v[0], "name": data.get("name") or v[1],
                     "degree": graph.degree(v), "depth": data.get("depth"),
                     "status": STATUS_LABELS.get(data.get("status"), data.get("status")),
                     "x": x, "y": y, "playlist_id": data.get("playlist_id"),
                     "reason": data.get("reason")})
    frame = pd.DataFrame(rows, columns=NODE_COLUMNS)
    frame["depth"] = pd.to_numeric(frame["depth"], errors="coerce").astype("Int64")
    return frame


def edge_frame(graph: nx.Graph, nodes: Iterable[Node],
               positions: Mapping[Hashable, tuple[float, float]]) -> pd.DataFrame:
    """x, y, x2, y2 of every edge between two drawn nodes."""
    keep = set(nodes)
    sub = graph.subgraph(keep)
    if sub.number_of_edges() == 0:
        return pd.DataFrame(columns=EDGE_COLUMNS)
    ends = np.array([(*positions[a], *positions[b]) for a, b in sub.edges()], dtype=float)
    return pd.DataFrame(ends, columns=EDGE_COLUMNS)


def neighbours(graph: nx.Graph, node: Node) -> list[Node]:
    """The node's neighbours, highest degree first."""
    if node not in graph:
        return []
    return sorted(graph.neighbors(node), key=lambda v: (-graph.degree(v), v))
