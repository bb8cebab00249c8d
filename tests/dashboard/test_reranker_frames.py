"""The two-stage model's frames: importances in order, reasons named for people."""
from __future__ import annotations

from dashboard.frames import reranker_frames


def test_importances_are_sorted_and_labelled():
    evaluation = {"reranker": {"importances": {"popularity": 0.1, "gnn_rank": 0.7,
                                               "album_share": 0.2}}}
    frame = reranker_frames.importance_frame(evaluation)
    assert frame["feature"].tolist() == ["gnn_rank", "album_share", "popularity"]
    assert frame["label"].tolist() == ["GraphSAGE rank", "album among the seeds", "popularity"]
    assert reranker_frames.importance_frame({}).empty  # a run evaluated before the re-ranker
    chart = reranker_frames.importance_chart(frame).to_dict()
    assert chart["mark"]["type"] == "bar"
    assert chart["encoding"]["y"]["axis"]["labelLimit"] >= 400  # long labels not cut off


def test_reasons_name_the_strongest_pushes_up_only():
    text = reranker_frames.reasons({"gnn_rank": 1.2, "als_score": -3.0, "artist_share": 0.4,
                                    "itemknn_gap": 0.05, "seeds": 0.01})
    assert text == "GraphSAGE rank +1.20, artist among the seeds +0.40, Item kNN score gap to " \
                   "its best +0.05"
    assert "no feature raised it" in reranker_frames.reasons({"gnn_rank": -1.0})
    assert reranker_frames.reasons_by_track({7: {"popularity": 0.3}}) == {7: "popularity +0.30"}


def test_every_feature_of_every_source_has_a_label_for_people():
    from ml.config import SOURCES
    from ml.rerank.features import feature_names
    labels = reranker_frames.FEATURE_LABELS
    for name in feature_names(SOURCES):  # a source's feature, or a feature of the track
        source, _, part = name.partition("_")
        assert name in labels or (source in reranker_frames.SOURCE_LABELS and part in labels), name
    assert reranker_frames.feature_label("plknn_rank") == "nearest playlists rank"
