"""Serving: the fallback before any run, the active run's GNN, new playlists and tracks
without retraining, and the recommend command."""
from __future__ import annotations

import io
import json

import numpy as np
import pytest
import torch

from data.schema import AUDIO_FEATURES
from data.store import ArtistRef, TrackRecord
from ml.models.gnn_scorer import eval_mode
from ml.models.graph import bipartite_adjacency
from ml.pipeline.train_run import run_training
from ml.runs.artifacts import load_model
from ml.runs.artifacts import run_training_data
from ml.serving.recommender import GnnRecommender, RankerRecommender, load_recommender
from tests.ml.conftest import TASTES, fast_config, run_ml, track_uri


@pytest.fixture
def trained(checkerboard, home):
    run_dir, state = run_training(fast_config(epochs=8), home, progress=False,
                                  out=io.StringIO())
    assert state == "done"
    return run_dir


def test_before_any_run_co_occurrence_serves(checkerboard, home):
    rec = load_recommender(checkerboard.catalog, home)
    assert isinstance(rec, RankerRecommender)
    assert rec.name == "itemknn" and rec.run_id is None and "no trained run" in rec.note
    for taste in range(TASTES):
        seeds = checkerboard.tracks_of_taste[taste][:2]
        recs = rec.recommend(seeds, k=10)
        assert len(recs) == 10 and not {r.track_id for r in recs} & set(seeds)
        assert all(checkerboard.taste_of_track[r.track_id] == taste for r in recs)


def test_active_run_serves_the_gnn(trained, checkerboard, home):
    rec = load_recommender(checkerboard.catalog, home)
    assert rec.name == "gnn" and rec.run_id == trained.name
    seeds = checkerboard.tracks_of_taste[2][:4]
    recs = rec.recommend(seeds, k=5)
    assert len(recs) == 5 and recs.skipped_seeds == []
    assert all(checkerboard.taste_of_track[r.track_id] == 2 for r in recs)
    # a title alone (no seeds) is enough for a taste the model saw titles of
    by_title = rec.recommend([], k=5, title="Techno")
    assert all(checkerboard.taste_of_track[r.track_id] == 2 for r in by_title)


def test_inductive_path_equals_the_in_graph_embedding(trained, checkerboard, home):
    """A training playlist, embedded from its tracks as a seed list by the serving path,
    gets the vector message passing gives it inside the training graph."""
    served = load_model(trained)
    _, data = run_training_data(trained, checkerboard.catalog, home)
    snapshot, holdout = data.snapshot, data.holdout
    adj_pt, adj_tp = bipartite_adjacency(torch.from_numpy(data.edge_playlist),
                                         torch.from_numpy(data.edge_track),
                                         snapshot.num_playlists, snapshot.num_tracks)
    with eval_mode(served.model) as model:
        in_graph, _ = model(data.track_inputs(), adj_pt, adj_tp,
                            torch.from_numpy(data.playlist_titles))
    rec = GnnRecommender.load(trained, checkerboard.catalog)
    for playlist in holdout.train[:5].tolist():
        rows = snapshot.playlist_tracks(playlist).astype(np.int64)
        inductive = rec.scorer.playlist_vectors([rows], [snapshot.normalized_title(playlist)])
        assert torch.allclose(inductive[0], in_graph[playlist], atol=1e-4)


def _add_track(catalog, uri, artist: ArtistRef, features: dict | None):
    with catalog.write():
        ids = catalog.upsert_tracks([TrackRecord(uri, "new song", (artist,))])
        if features:
            catalog.put_audio_features([(uri, features)], "test")
    return ids[uri]


def test_new_tracks_join_without_retraining(trained, checkerboard, home):
    catalog = checkerboard.catalog
    # by a known artist of taste 1, no features: the artist carries it
    known_artist = ArtistRef(f"spotify:artist:A{1:02d}{0:019d}", "artist 1-0")
    by_artist = _add_track(catalog, "spotify:track:NEW0000000000000000001", known_artist, None)
    # a stranger with features only
    profile = {name: 0.5 for name in AUDIO_FEATURES}
    by_features = _add_track(catalog, "spotify:track:NEW0000000000000000002",
                             ArtistRef("spotify:artist:NEWARTIST00000000000001", "nobody"), profile)
    # a stranger with nothing the model could use
    nothing = _add_track(catalog, "spotify:track:NEW0000000000000000003",
                         ArtistRef("spotify:artist:NEWARTIST00000000000002", "nobody 2"), None)

    rec = load_recommender(catalog, home)
    assert rec.name == "gnn"
    recs = rec.recommend([by_artist], k=8)
    assert recs.skipped_seeds == []
    assert sum(checkerboard.taste_of_track[r.track_id] == 1 for r in recs) >= 6

    recs = rec.recommend([by_features, nothing], k=8)
    assert recs.skipped_seeds == [nothing] == rec.skipped_seeds
    assert len(recs) == 8 and np.isfinite([r.score for r in recs]).all()
    # the new tracks are candidates too: seeds from taste 1 reach the new taste-1 track
    candidates = {r.track_id for r in rec.recommend(checkerboard.tracks_of_taste[1][:3], k=200)}
    assert by_artist in candidates and by_features in candidates and nothing not in candidates


def test_unknown_ids_are_skipped_not_fatal(trained, checkerboard, home):
    rec = load_recommender(checkerboard.catalog, home)
    recs = rec.recommend([10**9, checkerboard.tracks_of_taste[0][0]], k=3)
    assert recs.skipped_seeds == [10**9] and len(recs) == 3


def test_unreadable_active_run_falls_back(trained, checkerboard, home):
    (trained / "model.pt").write_bytes(b"broken")
    rec = load_recommender(checkerboard.catalog, home)
    assert rec.name == "itemknn" and "unusable" in rec.note


def test_recommend_command(trained, checkerboard, home):
    result = run_ml(home, "recommend", "--tracks", track_uri(3, 0), track_uri(3, 1),
                    "spotify:track:NOTINCATALOG0000000001", "--k", "5")
    assert result.returncode == 0, result.stderr
    assert "NOTINCATALOG0000000001 is not in the catalog" in result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("top 5 by gnn")
    uris = [line.split()[-1] for line in lines[2:]]
    assert len(uris) == 5 and all(u.startswith("spotify:track:T03") for u in uris)

    playlist = checkerboard.playlists_of_taste[0][0]
    result = run_ml(home, "recommend", "--playlist", f"id:{playlist}", "--k", "3")
    assert result.returncode == 0, result.stderr
    assert all(line.split()[-1].startswith("spotify:track:T00")
               for line in result.stdout.strip().splitlines()[-3:])

    result = run_ml(home, "recommend", "--tracks", "spotify:track:NOTINCATALOG0000000001")
    assert result.returncode == 2 and result.stderr.strip().splitlines()[-1].startswith("error:")


@pytest.mark.parametrize("served", ["als", "itemknn"])
def test_active_run_serves_the_model_its_evaluation_names(served, checkerboard, home):
    """When a baseline wins on validation, recommendations come from that baseline as the
    run evaluated it (ALS from its saved, tuned factors), not from the GNN."""
    config = fast_config(epochs=2, baselines="popularity,itemknn,als", als_search="")
    run_dir, state = run_training(config, home, progress=False, out=io.StringIO())
    assert state == "done"
    evaluation = json.loads((run_dir / "evaluation.json").read_text())
    (run_dir / "evaluation.json").write_text(json.dumps({**evaluation, "served": served}))
    rec = load_recommender(checkerboard.catalog, home)
    assert isinstance(rec, RankerRecommender)
    assert rec.name == served and rec.run_id == run_dir.name and "validation" in rec.note
    for taste in range(TASTES):
        seeds = checkerboard.tracks_of_taste[taste][:3]
        recs = rec.recommend(seeds, k=5)
        assert len(recs) == 5 and not {r.track_id for r in recs} & set(seeds)
        assert all(checkerboard.taste_of_track[r.track_id] == taste for r in recs)


def test_a_title_alone_is_read_from_its_tracks_which_stay_recommendable(trained, checkerboard,
                                                                         home):
    rec = load_recommender(checkerboard.catalog, home)
    stand_ins = set(rec._catalog_ids(rec.scorer.titles.seeds("techno")).tolist())
    assert stand_ins and all(checkerboard.taste_of_track[t] == 2 for t in stand_ins)
    by_title = {r.track_id for r in rec.recommend([], k=40, title="Techno")}
    assert stand_ins & by_title  # they shape the vector but are not masked as seeds
