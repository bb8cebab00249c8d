"""RP3beta (Paudel et al. 2017; tuned as in Dacrema et al. 2019): a three-step random walk
track → playlist → track, its probabilities raised to `alpha`, divided by the target
track's popularity to the power `beta` (the popularity penalty), each track's `neighbours`
best targets kept.

    W[i, j] = (Σ_p X[p, i] / deg(i) · X[p, j] / len(p))^alpha / deg(j)^beta
    score(q, j) = Σ_{s in seeds(q)} W[s, j]

W is built once from the training playlists, a block of tracks at a time, so memory
is the kept neighbour lists (T × `neighbours`), never T × T. A query costs its seeds'
neighbour lists: seeds × `neighbours` additions, whatever the catalog's size.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import scipy.sparse as sp

from ml.models.baselines import TitlePopularity
from ml.models.sparse_ranker import SparseRanker, row_normalized, seed_matrix, top_per_row

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
        self.weights = rp3_weights(interactions, alpha, beta, neighbours)  # [T, T] sparse

    def sparse_scores(self, seeds: Sequence[np.ndarray], titles: Sequence[str]) -> sp.csr_matrix:
        return (seed_matrix(seeds, self.num_tracks) @ self.weights).tocsr()


def rp3_weights(interactions: sp.csr_matrix, alpha: float, beta: float,
                neighbours: int) -> sp.csr_matrix:
    """float32 CSR [T, T]: each track's `neighbours` best RP3beta targets (itself excluded)."""
    x = interactions.tocsr().astype(np.float32)
    x.data[:] = 1.0
    walk_in = row_normalized(x.T.tocsr())  # [T, P]: track → playlist
    walk_out = row_normalized(x)  # [P, T]: playlist → track
    degree = np.asarray(x.sum(axis=0)).ravel()
    penalty = np.divide(1.0, np.power(degree, beta), out=np.zeros_like(degree),
                        where=degree > 0).astype(np.float32)
    lengths = np.diff(x.indptr).astype(np.float64)
    # A track's walk touches sum(len(p) for p of the track) targets: blocks of tracks are
    # cut so that each block's product stays near _BLOCK_WORK entries.
    work = np.asarray(x.T.tocsr() @ lengths).ravel()
    blocks, start, acc = [], 0, 0.0
    for t, w in enumerate(work):
        acc += w
        if acc > _BLOCK_WORK:
            blocks.append((start, t + 1))
            start, acc = t + 1, 0.0
    if start < len(work):
        blocks.append((start, len(work)))
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
