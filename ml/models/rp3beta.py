"""RP3beta (Paudel et al. 2017; tuned as in Dacrema et al. 2019): a three-step random walk
track → playlist → track, its probabilities raised to `alpha`, divided by the target
track's popularity to the power `beta` (the popularity penalty), each track's `neighbours`
best targets kept.

    W[i, j] = (Σ_p X[p, i] / deg(i) · X[p, j] / len(p))^alpha / deg(j)^beta
    score(q, j) = Σ_{s in seeds(q)} W[s, j]

Two ways to the same scores:
- `neighbours` 0 (the default): exact, all neighbours, computed per query: the walks
  from each seed (its playlists' tracks), raised to alpha, summed. Nothing is fitted, so
  tuning alpha and beta costs only their evaluation; a query costs
  Σ over seeds of the lengths of the seed's playlists (on the development set ~10^3
  per seed; on the full MPD a popular seed's 45,000 playlists make it ~3·10^6).
- `neighbours` K > 0: W is built once from the training playlists, a block of tracks
  at a time, each track's K best targets kept, so memory is T × K, never T × T, and a
  query costs seeds × K additions whatever the catalog's size (the way to serve RP3beta
  at full scale; building W costs Σ over playlists of length², ~10^10 for the MPD).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import scipy.sparse as sp

from ml.models.baselines import TitlePopularity, seed_matrix
from ml.models.sparse_ranker import SparseRanker, row_normalized, top_per_row

_BLOCK_WORK = 20_000_000  # walk products per block of tracks (bounds the block's memory)


@dataclass(frozen=True)
class Rp3Params:
    alpha: float
    beta: float
    neighbours: int


RP3_PARAMETERS = {"alpha": float, "beta": float, "neighbours": int}


class RP3beta(SparseRanker):
    name = "rp3beta"

    def __init__(self, interactions: sp.csr_matrix, title_fallback: TitlePopularity, *,
                 alpha: float, beta: float, neighbours: int):
        self.num_tracks = interactions.shape[1]
        self.title_fallback = title_fallback
        self.alpha = float(alpha)
        self.weights = None  # [T, T] sparse, when neighbours are pruned
        if neighbours > 0:
            self.weights = rp3_weights(interactions, alpha, beta, neighbours)
            return
        x = interactions.tocsr().astype(np.float32)
        x.data[:] = 1.0
        self._walk_in = row_normalized(x.T.tocsr())  # [T, P]
        self._walk_out = row_normalized(x)  # [P, T]
        self._penalty = _penalty(x, beta)

    def sparse_scores(self, seeds: Sequence[np.ndarray], titles: Sequence[str]) -> sp.csr_matrix:
        queries = seed_matrix(seeds, self.num_tracks)
        if self.weights is not None:
            return (queries @ self.weights).tocsr()
        # One walk row per (query, seed), raised to alpha, then summed per query.
        walks = (self._walk_in[queries.indices] @ self._walk_out).tocsr()
        walks.data = np.power(walks.data, self.alpha, dtype=np.float32)
        owner = sp.csr_matrix((np.ones(len(queries.indices), np.float32),
                               (np.repeat(np.arange(len(seeds)), np.diff(queries.indptr)),
                                np.arange(len(queries.indices)))),
                              shape=(len(seeds), len(queries.indices)))
        summed = (owner @ walks).tocsr()
        return (summed @ sp.diags(self._penalty)).tocsr()


def rp3_weights(interactions: sp.csr_matrix, alpha: float, beta: float,
                neighbours: int) -> sp.csr_matrix:
    """float32 CSR [T, T]: each track's `neighbours` best RP3beta targets (itself excluded)."""
    x = interactions.tocsr().astype(np.float32)
    x.data[:] = 1.0
    walk_in = row_normalized(x.T.tocsr())  # [T, P]: track → playlist
    walk_out = row_normalized(x)  # [P, T]: playlist → track
    penalty = _penalty(x, beta)
    lengths = np.diff(x.indptr).astype(np.float64)
    # A track's walk touches sum(len(p) for p of the track) targets: blocks of tracks are
    # cut so that each block's product stays near _BLOCK_WORK entries.
    work = np.cumsum(np.asarray(x.T.tocsr() @ lengths).ravel())
    cuts = np.flatnonzero(np.diff(np.floor(work / _BLOCK_WORK))) + 1
    edges = [0, *cuts.tolist(), len(work)]
    blocks = [(lo, hi) for lo, hi in zip(edges[:-1], edges[1:]) if hi > lo]
    parts = []
    for lo, hi in blocks:
        block = (walk_in[lo:hi] @ walk_out).tocsr()
        block.data = np.power(block.data, alpha, dtype=np.float32)
        block = (block @ sp.diags(penalty)).tocsr()
        block = block.tocoo()
        keep = block.row + lo != block.col  # a track is not its own neighbour
        block = sp.csr_matrix((block.data[keep], (block.row[keep], block.col[keep])),
                              shape=(hi - lo, x.shape[1]))
        parts.append(top_per_row(block, neighbours))
    if not parts:
        return sp.csr_matrix((x.shape[1], x.shape[1]), dtype=np.float32)
    return sp.vstack(parts).tocsr().astype(np.float32)


def _penalty(x: sp.csr_matrix, beta: float) -> np.ndarray:
    """float32 [T]: 1 / popularity^beta (0 for a track in no playlist)."""
    degree = np.asarray(x.sum(axis=0)).ravel()
    return np.divide(1.0, np.power(degree, beta), out=np.zeros_like(degree),
                     where=degree > 0).astype(np.float32)
