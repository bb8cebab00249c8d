"""RP3beta, EASE^R and the playlist–playlist sources on data where the answer is known.

Each model's weights are checked against its formula computed densely on a tiny
matrix, and each must find a taste: playlists are drawn from one of four disjoint
track blocks, so given seeds of a block, every recommendation must be of that block.
"""
from __future__ import annotations

import numpy as np
import pytest

from ml.models.baselines import Popularity, TitlePopularity, interaction_matrix
from ml.models.ease import EASE
from ml.models.neighbours import PlaylistKNN, TitleWords
from ml.models.rp3beta import RP3beta, rp3_weights
from ml.models.sparse_ranker import top_per_row

BLOCKS, PER_BLOCK, PLAYLISTS = 4, 25, 120
TRACKS = BLOCKS * PER_BLOCK
WORDS = ("summer", "rock", "chill", "party")


def blocks(seed: int = 0):
    """Playlist p holds 8 tracks of block p % 4; its title names the block's word."""
    rng = np.random.default_rng(seed)
    rows, cols = [], []
    for p in range(PLAYLISTS):
        block = p % BLOCKS
        tracks = block * PER_BLOCK + rng.choice(PER_BLOCK, 8, replace=False)
        rows += [p] * 8
        cols += tracks.tolist()
    x = interaction_matrix(np.array(rows), np.array(cols), PLAYLISTS, TRACKS)
    titles = [f"{WORDS[p % BLOCKS]} mix {p}" for p in range(PLAYLISTS)]
    popularity = Popularity(x)
    return x, titles, TitlePopularity(x, titles, popularity)


def models(x, titles, fallback):
    return [RP3beta(x, fallback, alpha=1.0, beta=0.5, neighbours=0),
            EASE(x, fallback, regularization=5.0, items=TRACKS),
            PlaylistKNN(x, fallback, neighbours=10, power=1.0)]


@pytest.mark.parametrize("index", range(3))
def test_each_item_model_finds_the_seeds_block(index):
    x, titles, fallback = blocks()
    model = models(x, titles, fallback)[index]
    for block in range(BLOCKS):
        seeds = np.arange(block * PER_BLOCK, block * PER_BLOCK + 3)
        rows, _ = model.recommend([seeds], ["anything"], 10)
        assert not set(rows[0].tolist()) & set(seeds.tolist()), model.name
        assert (rows[0] // PER_BLOCK == block).all(), (model.name, block, rows[0])


def test_rp3beta_weights_follow_the_formula():
    x, _, _ = blocks()
    dense = x.toarray().astype(np.float64)
    walk = (dense / dense.sum(0, keepdims=True).clip(1)).T @ (dense / dense.sum(1, keepdims=True))
    degree = dense.sum(0)
    expected = np.power(walk, 0.8) / np.power(degree, 0.3)[None, :]
    np.fill_diagonal(expected, 0.0)
    got = rp3_weights(x, 0.8, 0.3, TRACKS).toarray()
    assert np.allclose(got, expected, rtol=1e-4, atol=1e-7)
    kept = rp3_weights(x, 0.8, 0.3, 5)
    assert (np.diff(kept.indptr) <= 5).all()
    row = expected[7]
    assert set(kept[7].indices.tolist()) == set(np.argsort(-row, kind="stable")[:5].tolist())


def test_rp3beta_per_query_equals_the_full_neighbour_matrix():
    x, _, fallback = blocks(1)
    exact = RP3beta(x, fallback, alpha=0.8, beta=0.3, neighbours=0)
    full = RP3beta(x, fallback, alpha=0.8, beta=0.3, neighbours=TRACKS)
    seeds = [np.array([3, 9, 40]), np.array([77])]
    a = exact.sparse_scores(seeds, ["", ""]).toarray()
    b = full.sparse_scores(seeds, ["", ""]).toarray()
    for q, s in enumerate(seeds):
        others = np.setdiff1d(np.arange(TRACKS), s)  # W leaves a track out of its own row
        assert np.allclose(a[q, others], b[q, others], rtol=1e-4, atol=1e-7)
    pruned = RP3beta(x, fallback, alpha=0.8, beta=0.3, neighbours=30)
    rows, _ = pruned.recommend([np.arange(3)], [""], 10)
    assert (rows[0] // PER_BLOCK == 0).all()


def test_ease_weights_are_the_closed_form_on_the_kept_tracks():
    x, titles, fallback = blocks()
    model = EASE(x, fallback, regularization=5.0, items=40)
    # the 40 tracks in most playlists are the ones kept
    degree = np.asarray(x.sum(0)).ravel()
    assert set(model.items.tolist()) == set(np.argsort(-degree, kind="stable")[:40].tolist())
    sub = x.toarray()[:, model.items].astype(np.float64)
    inverse = np.linalg.inv(sub.T @ sub + 5.0 * np.eye(40))
    expected = -inverse / np.diag(inverse)[None, :]
    np.fill_diagonal(expected, 0.0)
    assert np.allclose(model.weights.numpy(), expected, atol=1e-4)
    seeds = model.items[:2]
    got = model.sparse_scores([seeds], [""]).toarray()[0]
    want = np.clip(expected[:2].sum(0), 0, None)
    assert np.allclose(got[model.items], want, atol=1e-4)
    outside = np.setdiff1d(np.arange(TRACKS), model.items)
    assert (got[outside] == 0).all()


def test_title_words_reach_playlists_that_share_a_word_not_only_the_exact_title():
    x, titles, fallback = blocks()
    model = TitleWords(x, titles, fallback, neighbours=20, power=1.0)
    # No training title is "rock anthems", but the "rock mix N" playlists share "rock".
    rows, _ = model.recommend([np.zeros(0, np.int64)], ["rock anthems"], 10)
    assert (rows[0] // PER_BLOCK == WORDS.index("rock")).all()
    # The exact-title table knows nothing of that title: it falls back to popularity.
    assert "rock anthems" not in fallback._row


def test_playlist_knn_weighs_the_nearest_playlists():
    x, titles, fallback = blocks()
    model = PlaylistKNN(x, fallback, neighbours=1, power=1.0)
    seeds = x[5].indices[:6]  # six tracks of playlist 5: it is the nearest playlist
    scores = model.sparse_scores([seeds], [""])
    assert set(scores.indices.tolist()) == set(x[5].indices.tolist())


def test_top_per_row_keeps_the_largest_of_each_row():
    import scipy.sparse as sp
    m = sp.csr_matrix(np.array([[0, 3, 1, 2], [5, 0, 0, 0], [1, 1, 1, 0]], np.float32))
    kept = top_per_row(m, 2).toarray()
    assert kept.tolist() == [[0, 3, 0, 2], [5, 0, 0, 0], [1, 1, 0, 0]]
