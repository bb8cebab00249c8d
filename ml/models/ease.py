"""EASE^R (Steck 2019): a closed-form item–item regression without the diagonal.

    P = (XᵀX + λI)⁻¹,   B[i, j] = −P[i, j] / P[j, j]  (B[j, j] = 0)
    score(q, j) = Σ_{s in seeds(q)} B[s, j]

P and B are dense `items` × `items`: the inverse is items³ work and items² floats, so
EASE^R is fitted on the `items` tracks held by most training playlists. The default
10,000 is 400 MB per float32 matrix (about three alive while fitting) and covers 51% of
the real development set's training interactions; 20,000 would cover 63% for 1.6 GB per
matrix and 8× the work, too much beside four other jobs on a 2-core, 24 GB machine; at
2.26M tracks a full B would be 20 TB. A query costs seeds × `items` additions (its
seeds' rows of B); tracks outside the kept ones get no EASE^R score.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import scipy.sparse as sp
import torch

from ml.models.baselines import TitlePopularity, seed_matrix
from ml.models.sparse_ranker import SparseRanker


@dataclass(frozen=True)
class EaseParams:
    regularization: float
    items: int


EASE_PARAMETERS = {"regularization": float, "items": int}


class EASE(SparseRanker):
    name = "ease"

    def __init__(self, interactions: sp.csr_matrix, title_fallback: TitlePopularity, *,
                 regularization: float, items: int):
        self.num_tracks = interactions.shape[1]
        self.title_fallback = title_fallback
        degree = np.asarray(interactions.sum(axis=0)).ravel()
        seen = np.flatnonzero(degree > 0)
        keep = seen[np.argsort(-degree[seen], kind="stable")[:items]]
        self.items = np.sort(keep).astype(np.int64)  # track rows with a column of B
        x = interactions.tocsc()[:, self.items].astype(np.float32)
        gram = torch.from_numpy((x.T @ x).toarray().astype(np.float32))
        gram.diagonal().add_(float(regularization))
        factor = torch.linalg.cholesky(gram)
        del gram
        inverse = torch.cholesky_inverse(factor)
        del factor
        weights = inverse / (-inverse.diagonal())  # column j divided by −P[j, j]
        weights.diagonal().zero_()
        self.weights = weights  # float32 [items, items]
        self._position = np.full(self.num_tracks, -1, np.int64)
        self._position[self.items] = np.arange(len(self.items))

    def sparse_scores(self, seeds: Sequence[np.ndarray], titles: Sequence[str]) -> sp.csr_matrix:
        queries = seed_matrix(seeds, self.num_tracks)
        # Each query sums its kept seeds' rows of B: seeds × items additions, not a product
        # of a [Q, items] 0/1 matrix with all of B.
        local = torch.from_numpy(self._position[queries.indices])
        dense = torch.zeros(len(seeds), len(self.items))
        for q in range(len(seeds)):
            rows = local[queries.indptr[q]:queries.indptr[q + 1]]
            rows = rows[rows >= 0]
            if len(rows):
                dense[q] = self.weights.index_select(0, rows).sum(0)
        # Negative regression weights say "less likely than not": a candidate source and
        # the re-ranker need only the positive evidence, and the sparse rows must be >= 0.
        values = dense.clamp_min_(0).numpy()
        out = sp.csr_matrix(values)
        return sp.csr_matrix((out.data, self.items[out.indices], out.indptr),
                             shape=(len(seeds), self.num_tracks))
