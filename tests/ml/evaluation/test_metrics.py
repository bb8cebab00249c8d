"""The challenge metrics on examples computed by hand."""
from __future__ import annotations

import math

import numpy as np
import pytest

from ml.evaluation.metrics import NO_CLICK, clicks, mean_metrics, ndcg, playlist_metrics, r_precision, recall_at

# Track t has artist ARTIST[t]: tracks 1, 2 and 8 by artist 0 ("a"), 3 and 5 by 1 ("b"),
# 4 and 7 by 2 ("c"), 6 by 3 ("d"); track 9 has no known artist.
ARTIST = np.array([-1, 0, 0, 1, 2, 1, 3, 2, 0, -1])
HIDDEN = np.array([1, 2, 3, 4])


def test_r_precision_counts_track_hits_in_the_first_g():
    # Top 4: 1 (hit), 5, 6, 3 (hit). Artist b of track 5 is already credited by hit 3.
    assert r_precision(np.array([1, 5, 6, 3, 7, 2]), HIDDEN, ARTIST) == pytest.approx(2 / 4)


def test_r_precision_gives_a_quarter_per_further_hidden_artist():
    # Top 4: 5 (b), 7 (c), 8 (a), 1 (hit, a). a is credited by the hit; b and c add 0.25 each.
    assert r_precision(np.array([5, 7, 8, 1]), HIDDEN, ARTIST) == pytest.approx((1 + 0.5) / 4)


def test_r_precision_ignores_tracks_after_the_first_g_and_unknown_artists():
    assert r_precision(np.array([9, 6, 9, 6, 1, 2, 3, 4]), HIDDEN, ARTIST) == 0.0


def test_r_precision_perfect_list_is_one():
    assert r_precision(np.array([4, 3, 2, 1, 5]), HIDDEN, ARTIST) == 1.0


def test_ndcg_hand_computed():
    # hits at ranks 2 and 4: DCG = 1/log2(3) + 1/log2(5); IDCG = 1 + 1/log2(3)
    expected = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert ndcg(np.array([3, 1, 4, 2]), np.array([1, 2])) == pytest.approx(expected)
    assert ndcg(np.array([1, 2, 3]), np.array([1, 2])) == pytest.approx(1.0)
    assert ndcg(np.array([5, 6]), np.array([1, 2])) == 0.0


def test_ndcg_ideal_is_capped_at_500_hits():
    hidden = np.arange(600)
    assert ndcg(np.arange(500), hidden) == pytest.approx(1.0)


def test_clicks_counts_pages_of_ten_before_the_first_hit():
    hidden = np.array([1000])
    ranked = np.arange(500)
    assert clicks(np.concatenate([[1000], ranked]), hidden) == 0
    assert clicks(np.concatenate([ranked[:9], [1000]]), hidden) == 0
    assert clicks(np.concatenate([ranked[:10], [1000]]), hidden) == 1
    assert clicks(np.concatenate([ranked[:23], [1000]]), hidden) == 2
    assert clicks(ranked, hidden) == NO_CLICK == 51


def test_recall_at_k():
    ranked = np.array([1, 7, 3] + list(range(100, 140)) + [2])
    assert recall_at(ranked, HIDDEN, 20) == pytest.approx(2 / 4)
    assert recall_at(ranked, HIDDEN, 100) == pytest.approx(3 / 4)


def test_playlist_metrics_and_mean():
    row = playlist_metrics(np.array([1, 2, 3, 4]), HIDDEN, ARTIST)
    assert row == {"r_precision": 1.0, "ndcg": pytest.approx(1.0), "clicks": 0.0,
                   "recall@20": 1.0, "recall@100": 1.0, "recall@500": 1.0}
    zero = playlist_metrics(np.array([9]), HIDDEN, ARTIST)
    assert zero["clicks"] == 51 and zero["ndcg"] == 0.0
    mean = mean_metrics([row, zero])
    assert mean["r_precision"] == 0.5 and mean["clicks"] == 25.5
