"""The evaluation protocol and the baselines: held-out playlists stay out of training,
seeds are never recommended, and on the checkerboard the baselines find the taste."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from data.store import PlaylistRecord
from ml.dataset.protocol import SCENARIOS, holdout_split, make_cases, training_edges, validation_cases
from ml.dataset.snapshot import load_snapshot
from ml.evaluation.scoring import evaluate_rankers
from ml.models.baselines import ALS, ItemKNN, Popularity, TitlePopularity, interaction_matrix
from ml.models.ranking import Ranker, top_k
from ml.training.training_data import prepare_training_data
from tests.ml.conftest import TASTES


@pytest.fixture
def split(checkerboard, home):
    snapshot = load_snapshot(checkerboard.catalog, home)
    holdout = holdout_split(snapshot, test_fraction=0.2, validation_fraction=0.1, max_test=1000,
                            max_validation=1000, seed=3)
    return snapshot, holdout


def taste_of_rows(board, snapshot) -> np.ndarray:
    return np.array([board.taste_of_track[int(i)] for i in snapshot.track_ids])


def test_holdout_is_disjoint_and_stable(split, checkerboard, home):
    snapshot, holdout = split
    sets = [set(holdout.train.tolist()), set(holdout.validation.tolist()),
            set(holdout.test.tolist())]
    assert sum(map(len, sets)) == snapshot.num_playlists
    assert not (sets[0] & sets[1] or sets[0] & sets[2] or sets[1] & sets[2])
    assert len(holdout.test) == round(0.2 * snapshot.num_playlists)
    again = holdout_split(snapshot, test_fraction=0.2, validation_fraction=0.1, max_test=1000,
                          max_validation=1000, seed=3)
    assert np.array_equal(again.test, holdout.test)
    other = holdout_split(snapshot, test_fraction=0.2, validation_fraction=0.1, max_test=1000,
                          max_validation=1000, seed=4)
    assert not np.array_equal(other.test, holdout.test)


def test_held_out_playlists_never_reach_training(split):
    snapshot, holdout = split
    edge_playlist, edge_track = training_edges(snapshot, holdout.train)
    assert edge_playlist.dtype == edge_track.dtype == np.int32  # half of int64 at MPD scale
    held = set(holdout.test.tolist()) | set(holdout.validation.tolist())
    assert not held & set(edge_playlist.tolist())
    assert len(edge_track) == sum(len(snapshot.playlist_tracks(p)) for p in holdout.train)
    data = prepare_training_data(snapshot, holdout, title_min_count=1)
    # the title vocabulary and "seen" tracks come from training playlists alone
    seen = np.zeros(snapshot.num_tracks, bool)
    seen[edge_track] = True
    assert np.array_equal(data.track_seen, seen)
    train_titles = {snapshot.normalized_title(p) for p in holdout.train}
    assert set(data.vocab.titles) == train_titles - {""}


def test_a_title_only_held_out_playlists_have_is_unknown(checkerboard, home):
    catalog = checkerboard.catalog
    with catalog.write():
        pid = catalog.upsert_playlist(PlaylistRecord("mpd", "99999", "Secret Title"))
        catalog.set_playlist_tracks(pid, checkerboard.tracks_of_taste[0][:5])
    snapshot = load_snapshot(catalog, home)
    index = snapshot.playlist_index(pid)
    for seed in range(50):  # find a split that holds the new playlist out
        holdout = holdout_split(snapshot, test_fraction=0.2, validation_fraction=0.1,
                                max_test=1000, max_validation=1000, seed=seed)
        if index in holdout.test:
            break
    data = prepare_training_data(snapshot, holdout, title_min_count=1)
    assert data.vocab.index("Secret Title") == 0 and data.vocab.index("rock") > 0


def test_cases_follow_the_scenarios(split):
    snapshot, holdout = split
    cases = make_cases(snapshot, holdout.test, seed=5)
    by_name = {s.name: s for s in SCENARIOS}
    for case in cases:
        tracks = snapshot.playlist_tracks(case.playlist)
        scenario = by_name[case.scenario]
        assert len(case.seeds) == scenario.seeds
        if scenario.order == "first":
            assert list(case.seeds) == list(tracks[:scenario.seeds])
        assert set(case.seeds) | set(case.hidden) == set(tracks.tolist())
        assert not set(case.seeds) & set(case.hidden)
        assert len(case.hidden) >= 1
    names = {c.scenario for c in cases}
    # checkerboard playlists hold 10-19 tracks: no 25- or 100-seed scenario fits
    assert names == {"title_only", "first_1", "first_5", "first_10"}
    every = make_cases(snapshot, holdout.validation, 5)
    assert len(validation_cases(snapshot, holdout.validation, 5, max_cases=10_000)) == len(every)
    capped = validation_cases(snapshot, holdout.validation, 5, max_cases=7)
    assert len(capped) == 7
    assert {(c.playlist, c.scenario) for c in capped} <= {(c.playlist, c.scenario) for c in every}


def test_top_k_never_returns_a_seed():
    scores = torch.arange(10, dtype=torch.float32).repeat(2, 1)
    index, values = top_k(scores, [np.array([9, 8]), np.array([], np.int64)], 3)
    assert index.tolist() == [[7, 6, 5], [9, 8, 7]]
    index, _ = top_k(torch.zeros(1, 3), [np.array([0, 1])], 5)
    assert index.tolist() == [[2, -1, -1]]  # fewer candidates than k: padded


@pytest.mark.parametrize("rows", [1, 3, 40])  # the numpy partition for a few rows, torch's topk for many
def test_top_k_keeps_the_k_best_in_order_with_seeds_masked(rows):
    scores = torch.from_numpy(np.random.default_rng(rows).permutation(rows * 5000)
                              .reshape(rows, 5000).astype(np.float32))
    seeds = [np.argsort(-scores[r].numpy())[:2] for r in range(rows)]  # each row's two best
    index, values = top_k(scores.clone(), seeds, 50)
    for r in range(rows):
        order = np.argsort(-scores[r].numpy())
        assert index[r].tolist() == order[2:52].tolist()
        assert values[r].tolist() == scores[r].numpy()[order[2:52]].tolist()


def test_baselines_on_the_checkerboard(split, checkerboard):
    snapshot, holdout = split
    data = prepare_training_data(snapshot, holdout, title_min_count=1)
    interactions = interaction_matrix(data.edge_playlist, data.edge_track, snapshot.num_playlists,
                                      snapshot.num_tracks)
    popularity = Popularity(interactions)
    assert popularity.counts.sum() == len(data.edge_track)
    titles = [snapshot.normalized_title(p) for p in range(snapshot.num_playlists)]
    by_title = TitlePopularity(interactions, titles, popularity)
    taste = taste_of_rows(checkerboard, snapshot)
    knn = ItemKNN(interactions, by_title)
    als = ALS(interactions, by_title, factors=8, regularization=0.05, alpha=10.0, iterations=5,
              seed=0, threads=1)
    for t in range(TASTES):
        seeds = np.flatnonzero(taste == t)[:3]
        for model in (knn, als):
            ranked, _ = top_k(model.scores([seeds], [""]), [seeds], 10)
            assert (taste[ranked[0]] == t).all(), model.name
    # no seeds: the title decides (a title seen in training), else plain popularity
    rock = by_title.scores(["rock"])[0]
    assert (taste[torch.topk(rock, 10).indices.numpy()] == 0).all()
    unknown, _ = top_k(knn.scores([np.array([], np.int64)], ["no such title"]),
                       [np.array([], np.int64)], 5)
    # ties in popularity may come in any order: compare the counts
    assert list(popularity.counts[unknown[0]]) == sorted(popularity.counts, reverse=True)[:5]


def test_evaluation_excludes_seeds_and_reports_every_scenario(split, checkerboard):
    snapshot, holdout = split
    data = prepare_training_data(snapshot, holdout, title_min_count=1)
    interactions = interaction_matrix(data.edge_playlist, data.edge_track, snapshot.num_playlists,
                                      snapshot.num_tracks)
    popularity = Popularity(interactions)

    class SeedLover(Ranker):
        """Scores its own seeds highest: evaluation must still never count them."""
        name = "seedlover"

        def scores(self, seeds, titles):
            out = popularity.scores(seeds, titles)
            for i, s in enumerate(seeds):
                out[i, torch.from_numpy(np.asarray(s, np.int64))] = 1e9
            return out

    cases = make_cases(snapshot, holdout.test, seed=1)
    result = evaluate_rankers([SeedLover(), popularity], cases, snapshot.track_artist)
    assert result["overall"]["seedlover"] == result["overall"]["popularity"]
    assert set(result["scenarios"]) == {c.scenario for c in cases}
    for entry in result["scenarios"].values():
        assert entry["n"] > 0 and set(entry) == {"seedlover", "popularity", "n"}


def test_title_seeds_are_the_titles_most_common_training_tracks():
    from ml.training.training_data import title_seeds
    # playlists 0, 1 titled 1; playlist 2 titled 2; playlist 3 untitled (0)
    edge_playlist = np.array([0, 0, 0, 1, 1, 2, 2, 3])
    edge_track = np.array([5, 6, 7, 6, 7, 1, 2, 9])
    ptr, rows = title_seeds(edge_playlist, edge_track, np.array([1, 1, 2, 0]), num_titles=3,
                            num_tracks=10, k=2)
    seeds = [rows[ptr[i]:ptr[i + 1]].tolist() for i in range(4)]
    assert seeds == [[], [6, 7], [1, 2], []]  # 6 and 7 in two playlists, 5 in one; ties by row
