"""The embedding map's sample, labels, highlights and chart, on frames whose answer is known."""
from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.frames import embedding_map


def _points() -> pd.DataFrame:
    return pd.DataFrame({"track_id": [10, 11, 12, 13, 14], "x": [0, 1, 2, 3, 100.0],
                         "y": [0, 1, 0, 1, 0.0], "cluster": [0, 0, 1, 1, -1],
                         "track": list("abcde"), "artist": ["A", "A", "B", "C", ""]})


def test_sample_is_seeded_and_always_keeps_the_highlighted_rows() -> None:
    first = embedding_map.sample_rows(1000, 50, keep=[999, 3])
    assert np.array_equal(first, embedding_map.sample_rows(1000, 50, keep=[999, 3]))
    assert {3, 999} <= set(first.tolist()) and 50 <= len(first) <= 52
    assert embedding_map.sample_rows(5, 50).tolist() == [0, 1, 2, 3, 4]


def test_cluster_labels_name_the_most_frequent_artists() -> None:
    labels = embedding_map.cluster_labels(_points())
    assert labels == {0: "Cluster 1 · A", 1: "Cluster 2 · B, C", -1: "No artist"}


def test_highlights_list_recommendations_by_rank_then_seeds_and_a_seed_is_never_both() -> None:
    frame = embedding_map.highlight_frame(_points(), seeds=[10, 11], recommended=[12, 11, 99])
    assert frame[["track_id", "role", "rank"]].values.tolist() == [
        [12, "Recommended", "1"], [10, "Seed track", "—"], [11, "Seed track", "—"]]


def test_map_chart_clicks_select_a_track_and_outliers_do_not_set_the_scale() -> None:
    rng = np.random.default_rng(0)
    crowd = pd.DataFrame({"track_id": range(100, 400), "x": rng.random(300),
                          "y": rng.random(300), "cluster": 0, "track": "t", "artist": "A"})
    points = pd.concat([_points(), crowd], ignore_index=True).assign(
        cluster_label=lambda f: f["cluster"].astype(str))
    spec = embedding_map.map_chart(points, embedding_map.highlight_frame(points, [10], [12]),
                                   "cluster").to_dict()
    assert spec["params"][0]["name"] == embedding_map.SELECTION
    x_domain = spec["layer"][0]["encoding"]["x"]["scale"]["domain"]
    assert x_domain[1] < 100  # the far point at x = 100 is clamped to the edge
    assert len(spec["layer"]) == 2
