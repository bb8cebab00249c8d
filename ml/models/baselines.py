"""Baselines the GNN must beat, trained on the same training playlists.

- `Popularity`: tracks by how many training playlists hold them.
- `ItemKNN`: item–item co-occurrence with cosine similarity, summed over the seeds
  (all neighbours; scored per query, so no T×T matrix is ever built).
- `ALS`: implicit-feedback matrix factorization (the `implicit` package); a held-out
  playlist's factors are solved from its seeds (fold-in), as `implicit` does.

With no seeds, ItemKNN and ALS fall back to `TitlePopularity` (the most common tracks
of training playlists with the same normalized title, else overall popularity), the
same information the GNN's title embedding gets. Every model fills its list with
popular tracks after its own scores run out (a tie-break far below any real score).
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from ml.models.ranking import Ranker

_FILL = 1e-6  # weight of the popularity tie-break: below any co-occurrence score


def interaction_matrix(edge_playlist: np.ndarray, edge_track: np.ndarray, num_playlists: int,
                       num_tracks: int) -> sp.csr_matrix:
    """Binary [P, T] CSR of the given (distinct) edges."""
    data = np.ones(len(edge_playlist), np.float32)
    return sp.csr_matrix((data, (edge_playlist, edge_track)), shape=(num_playlists, num_tracks))


def seed_matrix(seeds: Sequence[np.ndarray], num_tracks: int) -> sp.csr_matrix:
    """Binary CSR [Q, T] of each query's distinct seeds."""
    distinct = [np.unique(np.asarray(s, np.int64)) for s in seeds]
    indptr = np.zeros(len(distinct) + 1, np.int64)
    np.cumsum([len(s) for s in distinct], out=indptr[1:])
    indices = np.concatenate(distinct) if distinct else np.zeros(0, np.int64)
    return sp.csr_matrix((np.ones(len(indices), np.float32), indices, indptr),
                         shape=(len(distinct), num_tracks))


class Popularity(Ranker):
    name = "popularity"

    def __init__(self, interactions: sp.csr_matrix):
        counts = np.asarray(interactions.sum(axis=0)).ravel()
        self.counts = counts
        self.log_counts = torch.from_numpy(np.log1p(counts).astype(np.float32))
        self._fill: Tensor | None = None

    def scores(self, seeds: Sequence[np.ndarray], titles: Sequence[str]) -> Tensor:
        return self.log_counts.expand(len(seeds), -1).clone()

    def fill(self) -> Tensor:
        """[T] popularity scaled into [0, _FILL]: the tie-break other models add (not to be
        modified: it is computed once)."""
        if self._fill is None:
            self._fill = self.log_counts / max(float(self.log_counts.max()), 1e-12) * _FILL
        return self._fill


class TitlePopularity:
    """Track counts among training playlists with the same normalized title."""

    def __init__(self, interactions: sp.csr_matrix, playlist_titles: Sequence[str],
                 popularity: Popularity):
        self.popularity = popularity
        titles = sorted({t for t in playlist_titles if t})
        self._row = {t: i for i, t in enumerate(titles)}
        rows = np.array([self._row.get(t, -1) for t in playlist_titles], np.int64)
        keep = np.flatnonzero(rows >= 0)
        by_title = sp.csr_matrix((np.ones(len(keep), np.float32), (rows[keep], keep)),
                                 shape=(len(titles), interactions.shape[0]))
        self._counts = (by_title @ interactions).tocsr()

    def scores(self, titles: Sequence[str]) -> Tensor:
        out = self.popularity.fill().expand(len(titles), -1).clone()
        for i, title in enumerate(titles):
            row = self._row.get(title)
            if row is not None:
                start, end = self._counts.indptr[row], self._counts.indptr[row + 1]
                cols = torch.from_numpy(self._counts.indices[start:end].astype(np.int64))
                out[i, cols] += torch.from_numpy(np.log1p(self._counts.data[start:end]))
            else:
                out[i] = self.popularity.log_counts
        return out


class ItemKNN(Ranker):
    name = "itemknn"

    def __init__(self, interactions: sp.csr_matrix, title_fallback: TitlePopularity):
        self.interactions = interactions
        self.num_tracks = interactions.shape[1]
        degree = np.asarray(interactions.sum(axis=0)).ravel()
        self.inv_sqrt_degree = np.divide(1.0, np.sqrt(degree), out=np.zeros_like(degree),
                                         where=degree > 0).astype(np.float32)
        self._scaled_t = (interactions @ sp.diags(self.inv_sqrt_degree)).T.tocsr()  # [T, P]
        self.title_fallback = title_fallback
        self._fill = title_fallback.popularity.fill()

    def scores(self, seeds: Sequence[np.ndarray], titles: Sequence[str]) -> Tensor:
        return _seeded_or_title(self._co_occurrence, seeds, titles, self.title_fallback,
                                self.num_tracks)

    def _co_occurrence(self, seeds: Sequence[np.ndarray]) -> Tensor:
        # score_t = sum_s co(s, t) / sqrt(deg_s deg_t), as two sparse products.
        queries = seed_matrix(seeds, self.num_tracks)
        via_playlists = queries @ self._scaled_t  # [B, P]
        dense = (via_playlists @ self.interactions).toarray().astype(np.float32)
        return torch.from_numpy(dense * self.inv_sqrt_degree) + self._fill


class ALS(Ranker):
    name = "als"

    def __init__(self, interactions: sp.csr_matrix, title_fallback: TitlePopularity, *,
                 factors: int, regularization: float, alpha: float, iterations: int,
                 seed: int, threads: int = 0):
        from implicit.cpu.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits
        # implicit parallelizes itself; a threaded BLAS underneath only oversubscribes
        # (and implicit warns about it when the model is built).
        with threadpool_limits(1, "blas"):
            self.model = AlternatingLeastSquares(
                factors=factors, regularization=regularization, alpha=alpha,
                iterations=iterations, random_state=seed, num_threads=threads)
            self.model.fit(interactions, show_progress=False)
        self._finish(title_fallback)

    @classmethod
    def from_factors(cls, item_factors: np.ndarray, title_fallback: TitlePopularity, *,
                     factors: int, regularization: float, alpha: float, iterations: int,
                     threads: int = 0) -> "ALS":
        """A fitted model from its saved item factors [T, factors]: fold-in needs no more."""
        from implicit.cpu.als import AlternatingLeastSquares
        self = cls.__new__(cls)
        self.model = AlternatingLeastSquares(factors=int(factors), regularization=regularization,
                                             alpha=alpha, iterations=int(iterations),
                                             num_threads=threads)
        self.model.item_factors = np.ascontiguousarray(item_factors, np.float32)
        self._finish(title_fallback)
        return self

    def _finish(self, title_fallback: TitlePopularity) -> None:
        self.item_factors = torch.from_numpy(np.asarray(self.model.item_factors, np.float32))
        self.num_tracks = self.item_factors.shape[0]
        self.title_fallback = title_fallback
        self._fill = title_fallback.popularity.fill()

    def scores(self, seeds: Sequence[np.ndarray], titles: Sequence[str]) -> Tensor:
        return _seeded_or_title(self._folded_in, seeds, titles, self.title_fallback,
                                self.num_tracks)

    def _folded_in(self, seeds: Sequence[np.ndarray]) -> Tensor:
        queries = seed_matrix(seeds, self.num_tracks)
        with _single_threaded_blas():
            users = self.model.recalculate_user(np.arange(len(seeds)), queries)
        return torch.from_numpy(np.asarray(users, np.float32).reshape(len(seeds), -1)) \
            @ self.item_factors.T + self._fill


def _seeded_or_title(score: Callable[[Sequence[np.ndarray]], Tensor],
                     seeds: Sequence[np.ndarray], titles: Sequence[str],
                     fallback: TitlePopularity, num_tracks: int) -> Tensor:
    """[Q, T]: `score` of the queries with seeds, the title fallback's for those without
    (a query without seeds is never scored by `score`: over a full catalog that is a
    wasted pass over every track)."""
    seeded = [i for i, s in enumerate(seeds) if len(s)]
    if len(seeded) == len(seeds):
        return score(seeds)
    out = torch.empty(len(seeds), num_tracks)
    if seeded:
        out[seeded] = score([seeds[i] for i in seeded])
    empty = [i for i, s in enumerate(seeds) if len(s) == 0]
    out[empty] = fallback.scores([titles[i] for i in empty])
    return out


_BLAS = None


def _single_threaded_blas():
    """A context with BLAS on one thread (implicit's fold-in parallelizes itself), from one
    controller: building a new one per query reads every loaded library again (~3 ms)."""
    global _BLAS
    from threadpoolctl import ThreadpoolController
    if _BLAS is None:
        _BLAS = ThreadpoolController()
    return _BLAS.limit(limits=1, user_api="blas")
