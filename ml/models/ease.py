"""EASE^R (Steck 2019): a closed-form item–item regression without the diagonal.

    P = (XᵀX + λI)⁻¹,   B[i, j] = −P[i, j] / P[j, j]  (B[j, j] = 0)
    score(q, j) = Σ_{s in seeds(q)} B[s, j]

P and B are dense `items` × `items`: the inverse is items³ work and items² floats, so
EASE^R is fitted on the `items` tracks held by most training playlists (the default
10,000: 400 MB per float32 matrix, about three alive while fitting, about 20 s of
Cholesky on two cores; at 2.26M tracks a full B would be 20 TB). A query costs
seeds × `items` additions; tracks outside the kept ones get no EASE^R score.
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
        local = self._position[queries.indices]
        kept = local >= 0
        rows = np.repeat(np.arange(len(seeds)), np.diff(queries.indptr))[kept]
        # The seed rows of B summed: [Q, items] from a 0/1 matrix (Q x items is small).
        x = torch.zeros(len(seeds), len(self.items))
        x[torch.from_numpy(rows), torch.from_numpy(local[kept])] = 1.0
        dense = x @ self.weights
        # Negative regression weights say "less likely than not": a candidate source and
        # the re-ranker need only the positive evidence, and the sparse rows must be >= 0.
        values = dense.clamp_min_(0).numpy()
        out = sp.csr_matrix(values)
        return sp.csr_matrix((out.data, self.items[out.indices], out.indptr),
                             shape=(len(seeds), self.num_tracks))
