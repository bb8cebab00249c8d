"""The re-ranker learns what no source model knows: a planted feature.

In this catalog a playlist is one album: given two of its tracks, the hidden tracks are
exactly the album's others. The only source model scores tracks at random, so its
order is worthless; the album overlap with the seeds is the one signal. The booster
must learn it, and with the albums taken away the same training must fall to chance.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from ml.dataset.protocol import Case
from ml.evaluation.scoring import evaluate_rankers
from ml.models.baselines import Popularity, TitlePopularity, interaction_matrix
from ml.models.ranking import Ranker
from ml.rerank.booster import TwoStage, _break_ties, ranking_set, train_booster
from ml.rerank.candidates import FirstStage
from ml.rerank.features import TrackContext, feature_names

ALBUMS, PER_ALBUM, PLAYLISTS = 30, 8, 300
TRACKS = ALBUMS * PER_ALBUM


class RandomScores(Ranker):
    """A source model that knows nothing: random scores, drawn anew for each seed list."""
    name = "random"

    def __init__(self, seed: int):
        self.seed = seed

    def scores(self, seeds, titles):
        rows = [np.random.default_rng([self.seed, *s.tolist()]).random(TRACKS) for s in seeds]
        return torch.from_numpy(np.array(rows, np.float32).reshape(len(seeds), TRACKS))


def album_cases(rng, n: int) -> list[Case]:
    cases = []
    for i in range(n):
        album = int(rng.integers(ALBUMS))
        tracks = album * PER_ALBUM + rng.permutation(PER_ALBUM)
        cases.append(Case(i, "first_5", tracks[:2].astype(np.int64),
                          np.sort(tracks[2:]).astype(np.int64), ""))
    return cases


def two_stage(album: np.ndarray, seed: int = 0) -> tuple[FirstStage, TrackContext]:
    rng = np.random.default_rng(seed)
    playlist = np.repeat(np.arange(PLAYLISTS), 10)
    interactions = interaction_matrix(playlist, rng.integers(0, TRACKS, len(playlist)),
                                      PLAYLISTS, TRACKS)
    titles = [""] * PLAYLISTS
    popularity = Popularity(interactions)
    stage = FirstStage([RandomScores(seed)], TitlePopularity(interactions, titles, popularity),
                       n=TRACKS)
    context = TrackContext.build(interactions, titles, np.full(TRACKS, -1), album,
                                 np.zeros((TRACKS, 11), np.float32), np.zeros((TRACKS, 11), bool),
                                 np.zeros(11, np.float32), np.ones(11, np.float32))
    return stage, context


def fitted_ndcg(album: np.ndarray) -> float:
    rng = np.random.default_rng(1)
    stage, context = two_stage(album)
    train, valid, test = album_cases(rng, 200), album_cases(rng, 50), album_cases(rng, 100)
    booster = train_booster(ranking_set(stage, context, train), ranking_set(stage, context, valid),
                            feature_names(stage.names),
                            params={"num_leaves": 7, "learning_rate": 0.1, "min_data_in_leaf": 20},
                            rounds=60, patience=20, threads=1, seed=0)
    ranker = TwoStage(stage, context, booster)
    result = evaluate_rankers([ranker], test, np.full(TRACKS, -1))
    return result["overall"]["reranked"]["ndcg"]


def test_the_reranker_learns_a_planted_feature_and_falls_without_it():
    albums = np.arange(TRACKS) // PER_ALBUM
    with_albums = fitted_ndcg(albums)
    without = fitted_ndcg(np.full(TRACKS, -1))
    assert with_albums > 0.95  # every hidden track ranked above the other 232
    # by chance 6 hits among 238 tracks land around NDCG 0.2
    assert without < 0.35 and without < with_albums - 0.5


def test_the_two_stage_ranker_never_returns_a_seed_and_always_fills_its_list():
    stage, context = two_stage(np.arange(TRACKS) // PER_ALBUM)
    rng = np.random.default_rng(2)
    cases = album_cases(rng, 40)
    booster = train_booster(ranking_set(stage, context, cases), ranking_set(stage, context, []),
                            feature_names(stage.names), params={"num_leaves": 7}, rounds=10,
                            patience=5, threads=1, seed=0)
    stage.n = 20  # candidates are now a small part of the catalog: the rest fills the list
    ranker = TwoStage(stage, context, booster)
    seeds = [c.seeds for c in cases[:3]]
    index, values = ranker.recommend(seeds, [""] * 3, 100)
    for row, s in zip(index, seeds):
        assert len(set(row.tolist())) == 100 and not set(row.tolist()) & set(s.tolist())
    # candidates (re-ranked) come before every filled track
    batch = stage.candidates(seeds, [""] * 3)
    for row, cand in zip(index, batch.rows):
        assert set(row[:len(cand)].tolist()) == set(cand.tolist())


def test_candidate_recall_counts_hidden_tracks_among_the_candidates():
    stage, context = two_stage(np.arange(TRACKS) // PER_ALBUM)
    cases = album_cases(np.random.default_rng(3), 5)
    found = ranking_set(stage, context, cases, keep_empty=True)
    # N = T: everything but the seeds
    assert found.recall == [1.0] * 5 and found.candidates == [TRACKS - 2] * 5
    stage.n = 1
    found = ranking_set(stage, context, cases, keep_empty=True)
    assert found.candidates == [1] * 5 and all(r in (0.0, 1 / 6) for r in found.recall)


def test_feature_names_match_the_feature_rows():
    stage, context = two_stage(np.arange(TRACKS) // PER_ALBUM)
    case = album_cases(np.random.default_rng(4), 1)[0]
    batch = stage.candidates([case.seeds], [""])
    rows = context.features(batch, [case.seeds], [""], stage.n)[0]
    names = feature_names(stage.names)
    assert rows.shape == (TRACKS - 2, len(names))
    album_seeds = rows[:, names.index("album_seeds")]
    hidden = np.isin(batch.rows[0], case.hidden)
    assert (album_seeds[hidden] == 2).all() and (album_seeds[~hidden] == 0).all()
    assert (rows[:, names.index("random_absent")] == 0).all()
    assert (rows[:, names.index("seeds")] == 2).all()


def test_equal_booster_scores_are_ordered_by_the_first_source_and_distinct_ones_kept():
    predicted = np.array([1.0, 1.0, 0.5, 0.5, 2.0])
    first_source = np.array([0.1, 0.9, 5.0, 7.0, -3.0])
    out = _break_ties(predicted, first_source)
    assert np.argsort(-out, kind="stable").tolist() == [4, 1, 0, 3, 2]
    assert len(np.unique(out)) == len(out)
    distinct = np.array([0.3, 0.1, 0.2])
    assert _break_ties(distinct, np.array([0.0, 9.0, 1.0])) is distinct
