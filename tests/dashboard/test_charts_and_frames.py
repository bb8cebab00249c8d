"""Chart builders and run frames as pure functions: inputs with known content, outputs checked."""
from __future__ import annotations

import math

import pandas as pd

from dashboard.frames import charts, degree_stats, run_frames

EVALUATION = {
    "overall": {
        "gnn": {"r_precision": 0.20, "ndcg": 0.30, "clicks": 2.0, "recall@20": 0.1,
                "recall@100": 0.3, "recall@500": 0.6},
        "popularity": {"r_precision": 0.05, "ndcg": 0.10, "clicks": 8.0, "recall@20": 0.02,
                       "recall@100": 0.1, "recall@500": 0.3},
        "itemknn": {"r_precision": 0.15, "ndcg": 0.25, "clicks": 1.5, "recall@20": 0.08,
                    "recall@100": 0.25, "recall@500": 0.5},
    },
    "scenarios": {
        "first_10": {"n": 40, "gnn": {"r_precision": 0.22}, "popularity": {"r_precision": 0.04},
                     "itemknn": {"r_precision": 0.18}},
        "title_only": {"n": 10, "gnn": {"r_precision": 0.10}, "popularity": {"r_precision": 0.06},
                       "itemknn": {"r_precision": 0.0}},
        "first_1": {"n": 50, "gnn": {"r_precision": 0.12}, "popularity": {"r_precision": 0.05},
                    "itemknn": {"r_precision": 0.09}},
    },
    "protocol": {"test_playlists": 60, "overall": "mean over scenarios"},
}


def test_evaluation_frame_orders_scenarios_and_models() -> None:
    df = run_frames.evaluation_frame(EVALUATION)
    assert df["scenario"].drop_duplicates().tolist() == ["overall", "title_only", "first_1",
                                                          "first_10"]
    assert df[df["scenario"] == "overall"]["model"].tolist() == ["gnn", "popularity", "itemknn"]
    overall = df[df["scenario"] == "overall"].set_index("model")
    assert overall.loc["gnn", "r_precision"] == 0.20
    assert overall.loc["popularity", "clicks"] == 8.0
    # 'overall' is the mean over scenarios of the held-out playlists: their number.
    assert set(overall["playlists"]) == {60}
    scen = df[df["scenario"] == "first_10"].set_index("model")
    assert scen.loc["itemknn", "playlists"] == 40 and math.isnan(scen.loc["gnn", "ndcg"])


def test_best_model_respects_metric_direction() -> None:
    df = run_frames.evaluation_frame(EVALUATION)
    assert run_frames.best_model(df, "r_precision") == "gnn"
    assert run_frames.best_model(df, "clicks") == "itemknn"  # fewer clicks is better
    assert run_frames.best_model(df, "r_precision", "title_only") == "gnn"
    assert run_frames.best_model(run_frames.evaluation_frame({}), "r_precision") is None


def test_scenarios_sort_by_kind_then_seed_count_and_read_well() -> None:
    names = ["random_100", "first_100", "first_5", "title_only", "random_25", "first_25",
             "first_1", "overall"]
    frame = run_frames.evaluation_frame(
        {"overall": {"gnn": {}}, "scenarios": {n: {"n": 1, "gnn": {}} for n in names[:-1]}})
    assert frame["scenario"].tolist() == ["overall", "title_only", "first_1", "first_5",
                                          "first_25", "first_100", "random_25", "random_100"]
    assert [run_frames.scenario_label(n) for n in ("first_1", "random_25", "title_only")] == [
        "first 1 track", "random 25 tracks", "title only"]


def test_metrics_frame_from_jsonl_lines() -> None:
    df = run_frames.metrics_frame({
        "run-b": [{"epoch": 2, "loss": 0.5, "val_ndcg": 0.2}, {"epoch": 1, "loss": 0.9}],
        "run-a": [{"epoch": 1, "loss": 1.0, "val_recall@100": 0.4}, {"note": "no epoch"}],
    })
    assert df[["run_id", "epoch"]].values.tolist() == [["run-a", 1], ["run-b", 1], ["run-b", 2]]
    assert df["loss"].tolist() == [1.0, 0.9, 0.5]
    assert df.loc[0, "val_recall@100"] == 0.4 and math.isnan(df.loc[1, "val_ndcg"])


def _find(spec: dict, key: str) -> list:
    """All values of `key` anywhere in a Vega-Lite spec."""
    found = []
    if isinstance(spec, dict):
        for k, v in spec.items():
            if k == key:
                found.append(v)
            found.extend(_find(v, key))
    elif isinstance(spec, list):
        for v in spec:
            found.extend(_find(v, key))
    return found


def test_degree_chart_is_log_log_with_titles_and_only_aggregated_rows() -> None:
    histogram = {int(k): int(1e5 * k ** -2) for k in range(1, 400)}
    summary = degree_stats.summarize(histogram)
    raw = degree_stats.histogram_frame(histogram)
    bins = degree_stats.log_bins(histogram)
    chart = charts.degree_chart(raw, bins, degree_stats.fit_line(summary, bins),
                                "track", "playlists")
    spec = chart.to_dict()
    assert len(spec["layer"]) == 3
    scales = [s.get("type") for s in _find(spec, "scale")]
    assert scales and set(scales) == {"log"}
    titles = set(filter(None, _find(spec, "title")))
    assert "Degree (playlists per track)" in titles and "Share of tracks" in titles
    rows = sum(len(v) for v in spec["datasets"].values())
    assert rows == len(raw) + len(bins) + 2  # nothing per node or per edge
    assert rows < sum(histogram.values())


def test_training_curve_chart_has_one_series_per_run_and_escapes_metric_names() -> None:
    df = run_frames.metrics_frame({"r1": [{"epoch": 1, "val_recall@100": 0.1},
                                          {"epoch": 2, "val_recall@100": 0.2}],
                                   "r2": [{"epoch": 1, "val_recall@100": 0.3}]})
    selected = pd.DataFrame({"run_id": ["r1", "r2"], "epoch": [2, 1]})
    spec = charts.training_curve_chart(df, "val_recall@100", selected, height=320).to_dict()
    lines, rules = spec["layer"]
    assert lines["encoding"]["color"]["field"] == "run_id"
    assert lines["encoding"]["y"]["title"] == "Validation Recall@100"
    # Two runs, two different colours (not Streamlit's default blues), the same in the rules.
    assert lines["encoding"]["color"]["scale"]["range"] == charts.RUN_COLORS[:2]
    assert rules["mark"]["type"] == "rule" and rules["encoding"]["x"]["field"] == "epoch"
    assert spec["height"] == 320
    data = spec["datasets"][lines["data"]["name"]]
    assert sorted((r["run_id"], r["epoch"], r["val_recall@100"]) for r in data) == [
        ("r1", 1, 0.1), ("r1", 2, 0.2), ("r2", 1, 0.3)]
    assert sorted((r["run_id"], r["epoch"]) for r in spec["datasets"][rules["data"]["name"]]) \
        == [("r1", 2), ("r2", 1)]


def test_selected_epoch_is_the_logged_best_epoch_not_the_best_r_precision() -> None:
    lines = [{"epoch": 1, "val_ndcg": 0.20, "val_r_precision": 0.10, "best_epoch": 1},
             {"epoch": 2, "val_ndcg": 0.25, "val_r_precision": 0.11, "best_epoch": 2},
             {"epoch": 3, "val_ndcg": 0.24, "val_r_precision": 0.13, "best_epoch": 2}]
    assert run_frames.selected_epoch(lines, {}) == (2, "val_ndcg")
    unlogged = [{k: v for k, v in m.items() if k != "best_epoch"} for m in lines]
    assert run_frames.selected_epoch(unlogged, {"early_stopping": "val_r_precision"}) == \
        (3, "val_r_precision")
    assert run_frames.selected_epoch([], {}) == (None, "val_ndcg")


def test_eta_is_the_mean_epoch_time_times_the_epochs_left() -> None:
    assert run_frames.eta_seconds([10.0, 20.0], 2, 5) == 45.0
    assert run_frames.eta_seconds([], 0, 5) is None
    assert run_frames.eta_seconds([10.0], 1, None) is None
    assert run_frames.eta_seconds([10.0], 5, 5) == 0


def test_evaluation_chart_groups_models_per_scenario() -> None:
    df = run_frames.evaluation_frame(EVALUATION)
    spec = charts.evaluation_chart(df, "r_precision").to_dict()
    assert spec["encoding"]["xOffset"]["field"] == "model"
    data = pd.DataFrame(next(iter(spec["datasets"].values())))
    assert set(data["model"]) == {"GraphSAGE", "Popularity", "Item kNN"}
    assert len(data) == 12  # 4 scenarios x 3 models


def test_recommendation_frame_and_csv_round_trip() -> None:
    import io

    from dashboard.frames import recommend_table
    from data.catalog_reads import Evidence

    recs = [(7, 2.5), (9, 1.0)]
    tracks = {7: {"name": "Pebble", "artist": "Stone Band", "uri": "spotify:track:D"}}
    evidence = {7: Evidence(7, 2, [(1, 2), (2, 1)], ["Rock Classics", "Bob's mix"]),
                9: Evidence(9, 0, [], [])}
    frame = recommend_table.recommendation_frame(recs, tracks, evidence,
                                                 {1: "Highway Song", 2: "Thunder Road Trip"})
    assert frame["rank"].tolist() == [1, 2]
    assert frame.loc[0, "why"] == "Highway Song (2), Thunder Road Trip (1)"
    assert frame.loc[0, "examples"] == "Rock Classics; Bob's mix"
    assert frame.loc[1, "track"] == "track 9"  # unknown to the catalog: still listed
    assert frame.loc[1, "why"] == "no shared playlist with the seeds"
    back = pd.read_csv(io.BytesIO(recommend_table.to_csv(frame)))
    assert back["track"].tolist() == ["Pebble", "track 9"]
    assert back["why (seed track, shared playlists)"].tolist() == frame["why"].tolist()
    assert back["catalog track id"].tolist() == [7, 9]
    assert frame["match"].tolist() == [100, 0]


def test_match_is_min_max_within_the_list_and_csv_rounds_the_raw_score() -> None:
    import io

    from dashboard.frames import recommend_table

    assert recommend_table.match_scores([26.0, 5.4, 0.6]) == [100, 19, 0]
    assert recommend_table.match_scores([0.61, 0.6, 0.6]) == [100, 0, 0]
    assert recommend_table.match_scores([5.0]) == [100]
    assert recommend_table.match_scores([2.0, 2.0]) == [100, 100]
    assert recommend_table.match_scores([]) == []
    frame = recommend_table.recommendation_frame([(1, 5.430371284484863), (2, -0.123456789)],
                                                 {}, {}, {})
    text = recommend_table.to_csv(frame).decode()
    assert "5.4304" in text and "-0.1235" in text and "5.43037" not in text
    back = pd.read_csv(io.StringIO(text))
    assert back["raw score"].tolist() == [5.4304, -0.1235]
    assert back["match"].tolist() == [100, 0]


def test_metric_pivot_marks_the_best_model_per_scenario() -> None:
    df = run_frames.evaluation_frame(EVALUATION)
    pivot, best = run_frames.metric_pivot(df, "r_precision", charts.MODEL_LABELS)
    assert pivot.columns.tolist() == ["scenario", "playlists", "GraphSAGE", "Popularity",
                                      "Item kNN"]
    assert pivot["scenario"].tolist() == ["overall", "title_only", "first_1", "first_10"]
    assert best == ["GraphSAGE"] * 4
    # Clicks exist only for 'overall' here: other rows have no best, lower wins.
    pivot, best = run_frames.metric_pivot(df, "clicks", charts.MODEL_LABELS)
    assert best == ["Item kNN", None, None, None]
    assert pivot.loc[0, "Popularity"] == 8.0


def test_spotify_links_only_for_track_uris() -> None:
    from dashboard.frames.recommend_table import spotify_link

    assert spotify_link("spotify:track:4uLU6hMCjMI75M1A2tKUQC") == \
        "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC"
    assert spotify_link("spotify:episode:x") is None and spotify_link("") is None


def test_formatting_of_sizes_times_and_counts() -> None:
    from datetime import datetime, timezone

    from dashboard.frames.formatting import ago, count, human_bytes, when

    assert [human_bytes(n) for n in (512, 98_304, 32_296_140)] == ["512 B", "96.0 KB",
                                                                   "30.8 MB"]
    now = datetime(2025, 1, 2, 5, 4, 5, tzinfo=timezone.utc)
    assert when("2025-01-02T03:04:05+00:00", now) == "2025-01-02 03:04 UTC · 2 h ago"
    assert when(None) == "never" and when("yesterday") == "yesterday"
    assert [ago(s) for s in (5, 300, 86_400 * 3)] == ["just now", "5 min ago", "3 days ago"]
    assert (count(1, "playlist"), count(2000, "track")) == ("1 playlist", "2,000 tracks")
