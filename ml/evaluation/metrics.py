"""RecSys Challenge 2018 metrics for one ranked list against the hidden tracks.

`ranked` is the recommendation list (track indices, best first, at most 500, seeds
already removed); `hidden` the distinct hidden tracks of the playlist. Definitions:

- R-precision: of the first |G| recommendations, each hidden track counts 1; each
  further hidden artist reached only through a non-hidden track counts 0.25 (an
  artist already credited by a track hit earns nothing more, so the score stays <= 1).
- NDCG: DCG = sum_i rel_i / log2(i + 1) over the first 500, IDCG the same for a
  perfect list of min(|G|, 500) hits (as in Spotify's reference code).
- Clicks: Recommended Songs refreshes of 10 before the first hit; 51 when none of
  the 500 hits.
- Recall@K: hidden tracks among the first K, over |G|.
"""
from __future__ import annotations

import numpy as np

MAX_RECOMMENDATIONS = 500
RECALL_KS = (20, 100, 500)
METRIC_NAMES = ("r_precision", "ndcg", "clicks", *(f"recall@{k}" for k in RECALL_KS))
NO_CLICK = MAX_RECOMMENDATIONS // 10 + 1
ARTIST_CREDIT = 0.25


def r_precision(ranked: np.ndarray, hidden: np.ndarray, track_artist: np.ndarray) -> float:
    """`track_artist[t]` is the artist of track t (-1 unknown)."""
    return _r_precision(*_hits(ranked, hidden), track_artist)


def ndcg(ranked: np.ndarray, hidden: np.ndarray, k: int = MAX_RECOMMENDATIONS) -> float:
    return _ndcg(*_hits(ranked, hidden, k)[1:], k)


def clicks(ranked: np.ndarray, hidden: np.ndarray) -> float:
    return _clicks(_hits(ranked, hidden)[1])


def recall_at(ranked: np.ndarray, hidden: np.ndarray, k: int) -> float:
    return _recall_at(*_hits(ranked, hidden, k)[1:], k)


def playlist_metrics(ranked: np.ndarray, hidden: np.ndarray,
                     track_artist: np.ndarray) -> dict[str, float]:
    """All metrics of METRIC_NAMES for one playlist, from one membership test."""
    top, hit, hidden = _hits(ranked, hidden, max(MAX_RECOMMENDATIONS, *RECALL_KS))
    out = {"r_precision": _r_precision(top, hit, hidden, track_artist),
           "ndcg": _ndcg(hit, hidden, MAX_RECOMMENDATIONS), "clicks": _clicks(hit)}
    for k in RECALL_KS:
        out[f"recall@{k}"] = _recall_at(hit, hidden, k)
    return out


def _hits(ranked: np.ndarray, hidden: np.ndarray, k: int = MAX_RECOMMENDATIONS
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(the list's first max(k, |G|) tracks, whether each is hidden, the distinct hidden):
    what every metric reads, the membership test done once."""
    hidden = np.unique(hidden)
    top = np.asarray(ranked[:max(k, len(hidden))])
    return top, np.isin(top, hidden), hidden


def _r_precision(top: np.ndarray, hit: np.ndarray, hidden: np.ndarray,
                 track_artist: np.ndarray) -> float:
    top, is_hit = top[:len(hidden)], hit[:len(hidden)]
    hidden_artists = _known(track_artist[hidden])
    hit_artists = _known(track_artist[top[is_hit]])
    reached = _known(track_artist[top[~is_hit]])
    extra = np.setdiff1d(np.intersect1d(reached, hidden_artists), hit_artists)
    return (int(is_hit.sum()) + ARTIST_CREDIT * len(extra)) / len(hidden)


def _ndcg(hit: np.ndarray, hidden: np.ndarray, k: int) -> float:
    rel = hit[:k]
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = float(discounts[:len(rel)][rel].sum())
    idcg = float(discounts[:min(len(hidden), k)].sum())
    return dcg / idcg


def _clicks(hit: np.ndarray) -> float:
    hits = np.flatnonzero(hit[:MAX_RECOMMENDATIONS])
    return float(hits[0] // 10) if len(hits) else float(NO_CLICK)


def _recall_at(hit: np.ndarray, hidden: np.ndarray, k: int) -> float:
    return int(hit[:k].sum()) / len(hidden)


def mean_metrics(rows: list[dict[str, float]]) -> dict[str, float]:
    """Per-metric mean over playlists (empty input: NaN)."""
    return {m: float(np.mean([r[m] for r in rows])) if rows else float("nan")
            for m in METRIC_NAMES}


def _known(artists: np.ndarray) -> np.ndarray:
    return np.unique(artists[artists >= 0])
