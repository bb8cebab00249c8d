"""Every model behind the one ranker interface, on the checkerboard where the answer is known.

One trained run holds all seven: GraphSAGE, popularity, item-kNN, ALS, RP3beta, EASE^R
and the two-stage model (over them and the playlist–playlist sources). Each is asked for the tracks of a taste through `Ranker.recommend` and through
the serving path a user takes (`Recommender.recommend` over catalog ids); the taste's
own tracks must come first, and a seed never comes back.
"""
from __future__ import annotations

import dataclasses
import io
import json
import shutil

import numpy as np
import pytest

from data.store import Catalog
from ml.models.ranking import Ranker
from ml.pipeline.train_run import run_training
from ml.serving.recommender import GnnRecommender, RankerRecommender, load_recommender
from tests.ml.conftest import TASTES, build_checkerboard, fast_config

MODELS = ("gnn", "popularity", "itemknn", "als", "rp3beta", "ease", "reranked")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One home with the checkerboard and a run of every model, trained once for the module
    (training is the slow part); each test gets a copy (`home`) it may change."""
    home = tmp_path_factory.mktemp("rankers") / "home"
    home.mkdir()
    with Catalog.open(home) as catalog:
        board = build_checkerboard(catalog)
    # Half the training playlists for the re-ranker's fold: its own GraphSAGE learns from
    # the other half, and the checkerboard's quarter (24 playlists) is too few for it.
    config = fast_config(epochs=6, baselines="popularity,itemknn,als,rp3beta,ease",
                         als_search="", rp3_search="beta=0.2", ease_search="regularization=50",
                         plknn_search="", titlewords_search="neighbours=20",
                         rerank=True, rerank_candidates=50, rerank_fold=0.5)
    run_dir, state = run_training(config, home, progress=False, out=io.StringIO())
    assert state == "done"
    return home, run_dir.name, board


@pytest.fixture
def home(trained, tmp_path, monkeypatch):
    """A copy of the trained home (this module's, in place of the empty one of conftest)."""
    path = tmp_path / "home"
    shutil.copytree(trained[0], path)
    monkeypatch.setenv("PLAYLISTGRAPH_HOME", str(path))
    return path


@pytest.fixture
def checkerboard(trained, catalog):
    """The trained home's checkerboard, over the copy's catalog."""
    return dataclasses.replace(trained[2], catalog=catalog)


@pytest.fixture
def run_with_every_model(trained, home):
    return home / "runs" / trained[1]


def recommender(run_dir, name, checkerboard, home):
    if name == "gnn":
        return GnnRecommender.load(run_dir, checkerboard.catalog)
    return RankerRecommender.run_model(run_dir, name, checkerboard.catalog, home)


def test_every_model_finds_the_taste_through_one_interface(run_with_every_model, checkerboard,
                                                           home):
    evaluation = json.loads((run_with_every_model / "evaluation.json").read_text())
    assert set(MODELS) <= set(evaluation["overall"])
    for name in MODELS:
        rec = recommender(run_with_every_model, name, checkerboard, home)
        assert isinstance(rec.ranker, Ranker) and rec.ranker.name == name
        for taste in range(TASTES):
            seeds = checkerboard.tracks_of_taste[taste][:3]
            recs = rec.recommend(seeds, k=10)
            got = [r.track_id for r in recs]
            assert len(got) == 10 and not set(got) & set(seeds), name
            scores = [r.score for r in recs]
            assert scores == sorted(scores, reverse=True), name
            if name != "popularity":  # popularity knows no taste, by design
                assert all(checkerboard.taste_of_track[t] == taste for t in got), (name, taste)


def test_popularity_ranks_by_training_playlists(run_with_every_model, checkerboard, home):
    rec = recommender(run_with_every_model, "popularity", checkerboard, home)
    rows, _ = rec.ranker.recommend([np.zeros(0, np.int64)], [""], 20)
    counts = rec.ranker.counts[rows[0]]
    assert (np.diff(counts) <= 0).all() and counts[0] == rec.ranker.counts.max()


def test_the_two_stage_model_is_saved_and_reported(run_with_every_model, checkerboard, home):
    evaluation = json.loads((run_with_every_model / "evaluation.json").read_text())
    report = evaluation["reranker"]
    assert report["sources"] == ["gnn", "als", "itemknn", "rp3beta", "ease", "plknn",
                                 "titlewords"] and report["candidates"] == 50
    assert abs(sum(report["importances"].values()) - 1.0) < 1e-3
    # the new features are in the booster, each with its share of the gain
    assert {"cooc_max", "closest_seed", "pop_z", "plknn_score"} <= set(report["importances"])
    # RP3beta and EASE^R were tuned on validation (each value tried once) and reported
    assert len(evaluation["rp3beta"]["trials"]) == 2 and len(evaluation["ease"]["trials"]) == 2
    assert set(report["source_params"]) == {"als", "rp3beta", "ease", "plknn", "titlewords"}
    by_source = report["recall_by_source"]["overall"]
    assert by_source["together@50"] >= max(by_source[f"{s}@50"] for s in report["sources"])
    # the two-stage model against RP3beta and EASE^R, scenario by scenario
    against = evaluation["noise"]["against"]
    assert set(against) == {"rp3beta", "ease"}
    assert set(against["ease"]["ndcg"]) == {"overall", *evaluation["scenarios"]}
    assert all("reranked" in evaluation["scenarios"][s] for s in evaluation["scenarios"])
    # the served model, whichever won validation, is loaded from the run's files
    rec = load_recommender(checkerboard.catalog, home)
    assert rec.name == evaluation["served"] and rec.run_id == run_with_every_model.name
    path = run_with_every_model / "evaluation.json"
    path.write_text(json.dumps({**evaluation, "served": "reranked"}))
    rec = load_recommender(checkerboard.catalog, home)
    assert rec.name == "reranked" and "validation" in rec.note
    seeds = checkerboard.tracks_of_taste[3][:3]
    assert all(checkerboard.taste_of_track[r.track_id] == 3 for r in rec.recommend(seeds, k=5))


def test_a_run_without_its_reranker_falls_back_with_a_reason(run_with_every_model, checkerboard,
                                                             home):
    (run_with_every_model / "reranker.txt").unlink()
    path = run_with_every_model / "evaluation.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "served": "reranked"}))
    rec = load_recommender(checkerboard.catalog, home)
    assert rec.name == "itemknn" and "no re-ranker" in rec.note and "ml evaluate" in rec.note


def test_the_two_stage_model_explains_each_recommendation(run_with_every_model, checkerboard,
                                                          home):
    rec = recommender(run_with_every_model, "reranked", checkerboard, home)
    seeds = checkerboard.tracks_of_taste[1][:3]
    recs = [r.track_id for r in rec.recommend(seeds, k=5)]
    explained = rec.explain(seeds, recs)
    assert set(explained) == set(recs)
    names = set(rec.ranker.feature_names)
    assert all(set(c) == names for c in explained.values())
    assert recommender(run_with_every_model, "gnn", checkerboard, home).explain(seeds, recs) == {}


def test_a_booster_trained_on_other_features_is_not_served(run_with_every_model, checkerboard,
                                                           home):
    # The booster's features are not those its sources make now (as for a run evaluated
    # before the seed features): here one source fewer than it was trained with.
    meta_path = run_with_every_model / "reranker.json"
    meta = json.loads(meta_path.read_text())
    meta["sources"] = meta["sources"][:-1]
    meta_path.write_text(json.dumps(meta))
    path = run_with_every_model / "evaluation.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "served": "reranked"}))
    rec = load_recommender(checkerboard.catalog, home)
    assert rec.name == "itemknn" and "other features" in rec.note and "ml evaluate" in rec.note
