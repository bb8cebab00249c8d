"""The candidate-against-seeds features and candidate recall by source, on tiny data
where every value can be counted by hand."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ml.dataset.protocol import Case
from ml.rerank.candidates import CandidateBatch
from ml.rerank.recall import recall_rows, recall_table
from ml.rerank.seed_features import SEED_FEATURES, seed_features

# Playlists (rows) over tracks 0..5: track 4 sits with seed 0 twice and with seed 1 once;
# track 5 sits with seed 1 only; track 3 with no seed.
PLAYLISTS = [[0, 4], [0, 4, 2], [1, 4, 5], [3], [2, 3]]


def playlists_by_track() -> sp.csr_matrix:
    rows = [p for p, tracks in enumerate(PLAYLISTS) for _ in tracks]
    cols = [t for tracks in PLAYLISTS for t in tracks]
    x = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(PLAYLISTS), 6))
    return x.T.tocsr()


def test_co_occurrence_closest_seed_and_popularity_profile():
    x = playlists_by_track()
    popularity = np.asarray(x.sum(axis=1)).ravel()
    seeds = np.array([0, 1])  # in the query's order: seed 1 is the last
    out = seed_features(x, popularity, seeds, np.array([4, 5, 3]))
    f = {name: out[:, i] for i, name in enumerate(SEED_FEATURES)}
    assert f["cooc_seeds"].tolist() == [2, 1, 0]
    assert f["cooc_seed_share"].tolist() == [1.0, 0.5, 0.0]
    assert f["cooc_max"].tolist() == [2, 1, 0]
    assert f["cooc_mean"].tolist() == [1.5, 0.5, 0.0]
    # track 4 and track 5 sit with the last seed (1): distance 0; track 3 with none
    assert f["closest_seed"][:2].tolist() == [0, 0] and np.isnan(f["closest_seed"][2])
    assert f["closest_seed"].shape == (3,)
    seed_log = np.log1p([2.0, 1.0])
    assert np.allclose(f["seed_pop_mean"], seed_log.mean())
    assert np.allclose(f["pop_vs_seeds"], np.log1p([3.0, 1.0, 2.0]) - seed_log.mean())
    # with the seeds reversed, track 5 now sits only with the first of two seeds
    out = seed_features(x, popularity, seeds[::-1].copy(), np.array([5]))
    assert out[0, SEED_FEATURES.index("closest_seed")] == 1


def test_a_query_without_seeds_has_no_co_occurrence():
    x = playlists_by_track()
    out = seed_features(x, np.ones(6), np.zeros(0, np.int64), np.array([1, 2]))
    assert out.shape == (2, len(SEED_FEATURES))
    assert (out[:, :4] == 0).all() and np.isnan(out[:, 4:]).all()


def test_recall_by_source_counts_each_sources_top_n():
    # candidates 10..13; source a ranks 10 and 11 first, source b ranks 12 at 0 and 13 at 3
    n = 4
    ranks = np.array([[0, n], [1, n], [n, 0], [n, 3]], np.int32)
    batch = CandidateBatch([np.array([10, 11, 12, 13])], [np.zeros((4, 2), np.float32)],
                           [ranks], np.zeros((1, 2), np.float32), None)
    case = Case(0, "first_5", np.array([1]), np.array([11, 13, 99, 98]), "")
    row = recall_rows(batch, [case], ["a", "b"], [2, 4])[0]
    assert row["a@2"] == 0.25 and row["b@2"] == 0.0 and row["b@4"] == 0.25
    assert row["together@2"] == 0.25 and row["together@4"] == 0.5 and row["together@all"] == 0.5
    table = recall_table([row], [case])
    assert table["overall"]["together@4"] == 0.5 and set(table["scenarios"]) == {"first_5"}
