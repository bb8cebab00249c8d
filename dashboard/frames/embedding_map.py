"""The embedding map as frames and an Altair chart (pure functions, no Streamlit).

The projection covers every track; the browser gets a seeded sample of it plus the
tracks to highlight (seeds and recommendations), wherever they are.
"""
from __future__ import annotations

from typing import Sequence

import altair as alt
import numpy as np
import pandas as pd

SELECTION = "point"  # the click selection: the track_id of the clicked point
COLOR_FEATURES = ("energy", "danceability", "valence", "acousticness", "instrumentalness",
                  "speechiness", "liveness", "tempo", "loudness")
ROLE_STYLE = {"seed": ("Seed track", "#191414", "diamond", 150),
              "recommended": ("Recommended", "#E45756", "triangle-up", 130)}


def sample_rows(total: int, size: int, keep: Sequence[int] = (), seed: int = 0) -> np.ndarray:
    """Sorted row indices: a seeded sample of `size` of `total`, plus every row in `keep`."""
    rng = np.random.default_rng(seed)
    chosen = rng.choice(total, size=min(total, max(0, size)), replace=False) if total else []
    return np.union1d(np.asarray(chosen, np.int64), np.asarray(list(keep), np.int64))


def cluster_labels(points: pd.DataFrame, names: int = 2) -> dict[int, str]:
    """{cluster: 'Cluster 3 · The Bennetts, Old Wings'}: its most frequent artists shown."""
    labels = {}
    for cluster, group in points[points["cluster"] >= 0].groupby("cluster"):
        top = group["artist"][group["artist"] != ""].value_counts().index[:names]
        labels[int(cluster)] = f"Cluster {int(cluster) + 1} · " + ", ".join(top)
    labels[-1] = "No artist"
    return labels


def _central(values: pd.Series, share: float = 0.99) -> list[float]:
    if values.empty:
        return [0.0, 1.0]
    lo, hi = np.quantile(values.to_numpy(float), [(1 - share) / 2, (1 + share) / 2])
    pad = 0.03 * (hi - lo or 1.0)
    return [float(lo - pad), float(hi + pad)]


def highlight_frame(points: pd.DataFrame, seeds: Sequence[int],
                    recommended: Sequence[int]) -> pd.DataFrame:
    """The points of the recommendations (with their rank) and the seeds (rank '—')."""
    rank = {int(t): i for i, t in enumerate(recommended, start=1)}
    by_id = points.set_index("track_id")
    rows = []
    for role, ids in (("recommended", recommended), ("seed", seeds)):
        for t in ids:
            t = int(t)
            if t in by_id.index and not (role == "recommended" and t in set(seeds)):
                row = by_id.loc[t]
                rows.append({"track_id": t, "x": row["x"], "y": row["y"], "track": row["track"],
                             "artist": row["artist"] or "— (no artist recorded)",
                             "role": ROLE_STYLE[role][0],
                             "rank": str(rank[t]) if role == "recommended" else "—"})
    return pd.DataFrame(rows, columns=["track_id", "x", "y", "track", "artist", "role", "rank"])


def map_chart(points: pd.DataFrame, highlight: pd.DataFrame, color_by: str = "cluster",
              height: int = 640) -> alt.LayerChart:
    """points: track_id, x, y, track, artist, cluster label or a feature column."""
    pick = alt.selection_point(name=SELECTION, fields=["track_id"], on="click", empty=False)
    # A few far outliers would shrink everything else into the middle: the axes span the
    # central 99% of the points, and the rest are clamped to the edge.
    x = alt.X("x:Q", axis=None, scale=alt.Scale(domain=_central(points["x"]), clamp=True,
                                                 nice=False))
    y = alt.Y("y:Q", axis=None, scale=alt.Scale(domain=_central(points["y"]), clamp=True,
                                                 nice=False))
    if color_by == "cluster":
        order = (points.drop_duplicates("cluster").sort_values("cluster")["cluster_label"]
                 .tolist())
        color = alt.Color("cluster_label:N", title="Artist cluster", sort=order,
                          scale=alt.Scale(scheme="tableau20"),
                          legend=alt.Legend(orient="bottom", columns=3, labelLimit=320))
    else:
        color = alt.Color(f"{color_by}:Q", title=color_by.capitalize(),
                          scale=alt.Scale(scheme="viridis"), legend=alt.Legend(orient="bottom"))
    tooltip = [alt.Tooltip("track:N", title="Track"), alt.Tooltip("artist:N", title="Artist")]
    base = alt.Chart(points).mark_circle(size=14, opacity=0.55).encode(
        x=x, y=y, color=color, tooltip=tooltip + (
            [alt.Tooltip(f"{color_by}:Q", format=".2f")] if color_by != "cluster" else
            [alt.Tooltip("cluster_label:N", title="Cluster")]),
        size=alt.condition(pick, alt.value(120), alt.value(14)),
    ).add_params(pick)
    layers = [base]
    if not highlight.empty:
        roles = [ROLE_STYLE[r][0] for r in ROLE_STYLE]
        layers.append(alt.Chart(highlight).mark_point(filled=True, opacity=1.0,
                                                      stroke="white", strokeWidth=1).encode(
            x=x, y=y,
            shape=alt.Shape("role:N", title="Highlighted", sort=roles,
                            scale=alt.Scale(domain=roles,
                                            range=[ROLE_STYLE[r][2] for r in ROLE_STYLE])),
            fill=alt.Fill("role:N", title="Highlighted", sort=roles,
                          scale=alt.Scale(domain=roles,
                                          range=[ROLE_STYLE[r][1] for r in ROLE_STYLE]),
                          legend=alt.Legend(orient="top")),
            size=alt.value(150),
            tooltip=tooltip + [alt.Tooltip("role:N", title="Role"),
                               alt.Tooltip("rank:N", title="Rank")]))
    return alt.layer(*layers).properties(height=height, width="container")
