"""Each source model's top-N for a query without scoring every track.

The exact first stage (`ml.candidates.FirstStage` without indexes) asks every source for
a [Q, T] score matrix and keeps its top-N. At the full MPD's 2.26M tracks that is a pass
over every track vector per source and query. Here each source proposes its top-N from
an index or from its sparse scores, and scores any other rows on request:

- GraphSAGE and ALS: the query vector (the playlist readout, the folded-in ALS factors)
  searched in the run's `ml.runs.ann_index.TrackIndex`; proposed rows are re-scored exactly from
  the vectors (ALS with its popularity tie-break), so a score is the exact model's score.
- item-kNN: its co-occurrence scores are sparse (only tracks that share a playlist with a
  seed score above the popularity tie-break), so the top-N is read from the sparse row
  and, if it is short, filled from the most popular tracks: the exact top-N.
- RP3beta, EASE^R, the playlist and title-word neighbours (`SparseRanker`): their
  per-query sparse rows, read the same way.
- a query without seeds: ALS and the seed-based sparse sources fall back to the title's
  popular tracks
  (`TitlePopularity`), also sparse, filled the same way.

A `SourceTop` holds one source's answer for a batch of queries: the rows it proposes
(best first, never a seed) and `score(q, rows)` for any rows of query q.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import scipy.sparse as sp
import torch

from ml.runs.ann_index import TrackIndex
from ml.models.baselines import (ALS, ItemKNN, TitlePopularity, _single_threaded_blas,
                                 seed_matrix)
from ml.models.gnn_scorer import GnnScorer
from ml.models.sparse_ranker import SparseRanker

POPULAR_KEPT = 4096  # most popular tracks kept sorted for filling short sparse lists


@dataclass
class SourceTop:
    rows: list[np.ndarray]  # per query: int64 proposed rows, best first, seeds excluded
    score: Callable[[int, np.ndarray], np.ndarray]  # (q, rows) -> float32 scores


class PopularFill:
    """The popularity tie-break every baseline adds (`Popularity.fill`), with the most
    popular tracks kept in order: what fills a sparse top-N that runs short."""

    def __init__(self, fallback: TitlePopularity):
        self.fallback = fallback
        self.fill = fallback.popularity.fill().numpy()
        self.log_counts = fallback.popularity.log_counts.numpy()
        keep = min(POPULAR_KEPT, len(self.fill))
        top = np.argpartition(-self.fill, keep - 1)[:keep] if keep else np.zeros(0, np.int64)
        self.popular = top[np.argsort(-self.fill[top], kind="stable")].astype(np.int64)

    def top(self, rows: np.ndarray, values: np.ndarray, exclude: np.ndarray, n: int,
            base: np.ndarray) -> np.ndarray:
        """The best n rows when `rows` score `values` and every other track scores its
        `base` value (base is monotone in popularity), never one in `exclude`."""
        # Any track outside `rows` and the first n + |exclude| popular ones scores at most
        # their base (and a row's value is never below its base): the pool holds the top n.
        need = n + len(exclude)
        popular = (self.popular[:need] if need <= len(self.popular)
                   else np.argsort(-base, kind="stable")[:need])
        popular = popular[~np.isin(popular, exclude)]
        if len(rows) > need:  # a linear cut first: a sparse row can hold most of the catalog
            # At most |exclude| of the rows scoring >= the need-th are seeds, so these rows
            # (ties at the need-th kept) hold every row of the top n.
            cut = values >= -np.partition(-values, need - 1)[need - 1]
            rows, values = rows[cut], values[cut]
        keep = ~np.isin(rows, exclude)
        rows, values = rows[keep], values[keep]
        pool = np.concatenate([rows, popular])
        score = np.concatenate([values, base[popular]])
        pool, first = np.unique(pool, return_index=True)  # a sparse row's own value wins
        score = score[first]
        order = np.lexsort((pool, -score))[:n]
        return pool[order].astype(np.int64)

    def title(self, titles: Sequence[str], seeds: Sequence[np.ndarray],
              n: int) -> tuple[list[np.ndarray], list[tuple[np.ndarray, np.ndarray] | None]]:
        """Per query: the title fallback's top-n and its sparse (rows, scores) (None for an
        unknown title, scored by overall popularity)."""
        tops, sparse = [], []
        counts = self.fallback._counts
        for title, exclude in zip(titles, seeds):
            row = self.fallback._row.get(title)
            if row is None:
                tops.append(self.top(np.zeros(0, np.int64), np.zeros(0, np.float32),
                                     np.asarray(exclude, np.int64), n, self.log_counts))
                sparse.append(None)
                continue
            start, end = counts.indptr[row], counts.indptr[row + 1]
            cols = counts.indices[start:end].astype(np.int64)
            order = np.argsort(cols)
            cols = cols[order]
            values = (self.fill[cols]
                      + np.log1p(counts.data[start:end][order])).astype(np.float32)
            tops.append(self.top(cols, values, np.asarray(exclude, np.int64), n, self.fill))
            sparse.append((cols, values))
        return tops, sparse

    @staticmethod
    def title_scores(entry: tuple[np.ndarray, np.ndarray] | None, rows: np.ndarray,
                     fill: np.ndarray, log_counts: np.ndarray) -> np.ndarray:
        if entry is None:
            return log_counts[rows].astype(np.float32)
        return _sparse_values(entry[0], entry[1], rows, fill[rows])


def gnn_top(scorer: GnnScorer, index: TrackIndex, seeds: Sequence[np.ndarray],
            titles: Sequence[str], n: int) -> SourceTop:
    """GraphSAGE's top-n from its index; scores are the readout's dot products."""
    with torch.no_grad():
        on_device = scorer.playlist_vectors(seeds, titles).float()
    queries = on_device.cpu().numpy()  # faiss searches on the CPU

    def score(q: int, rows: np.ndarray) -> np.ndarray:
        if scorer.vectors.device.type == "cpu":
            return (scorer.vectors.numpy()[rows] @ queries[q]).astype(np.float32)
        picked = scorer.vectors[torch.from_numpy(rows).to(scorer.vectors.device)]
        return (picked @ on_device[q]).cpu().numpy().astype(np.float32)

    return SourceTop(_searched(index, queries, seeds, n, score), score)



def _title_fallback(fill: PopularFill, queries: Sequence[int], seeds: Sequence[np.ndarray],
                    titles: Sequence[str], n: int) -> tuple[list[np.ndarray], dict]:
    """The title fallback's top-n for `queries` (those a source answers by title: no
    seeds), and its sparse scores by query."""
    title_tops, title_sparse = fill.title([titles[q] for q in queries],
                                          [seeds[q] for q in queries], n)
    return title_tops, dict(zip(queries, title_sparse))


def als_top(als: ALS, index: TrackIndex, fill: PopularFill, seeds: Sequence[np.ndarray],
            titles: Sequence[str], n: int) -> SourceTop:
    """ALS's top-n: folded-in factors searched in its index; the title fallback for a
    query without seeds (as `ALS.scores`)."""
    seeded = [q for q, s in enumerate(seeds) if len(s)]
    users = np.zeros((len(seeds), als.item_factors.shape[1]), np.float32)
    if seeded:
        queries = seed_matrix([seeds[q] for q in seeded], als.num_tracks)
        with _single_threaded_blas():
            solved = als.model.recalculate_user(np.arange(len(seeded)), queries)
        users[seeded] = np.asarray(solved, np.float32).reshape(len(seeded), -1)
    factors = als.item_factors.numpy()
    untitled = [q for q, s in enumerate(seeds) if len(s) == 0]
    title_tops, by_title = _title_fallback(fill, untitled, seeds, titles, n)

    def score(q: int, rows: np.ndarray) -> np.ndarray:
        if q in by_title:
            return fill.title_scores(by_title[q], rows, fill.fill, fill.log_counts)
        return (factors[rows] @ users[q] + fill.fill[rows]).astype(np.float32)

    tops: list[np.ndarray] = [np.zeros(0, np.int64)] * len(seeds)
    if seeded:
        found = _searched(index, users[seeded], [seeds[q] for q in seeded], n,
                          lambda i, rows: score(seeded[i], rows))
        for q, rows in zip(seeded, found):
            tops[q] = rows
    for q, rows in zip(untitled, title_tops):
        tops[q] = rows
    return SourceTop(tops, score)


def knn_top(knn: ItemKNN, fill: PopularFill, seeds: Sequence[np.ndarray],
            titles: Sequence[str], n: int) -> SourceTop:
    """item-kNN's exact top-n from its sparse co-occurrence rows (the title fallback for a
    query without seeds, as `ItemKNN.scores`)."""
    seeded = [q for q, s in enumerate(seeds) if len(s)]
    rows = sp.csr_matrix((len(seeded), knn.num_tracks), dtype=np.float32)
    if seeded:
        queries = seed_matrix([seeds[q] for q in seeded], knn.num_tracks)
        rows = sp.csr_matrix((queries @ knn._scaled_t) @ knn.interactions)
        rows.data = rows.data * knn.inv_sqrt_degree[rows.indices]
    return _sparse_top(seeded, rows, fill, seeds, titles, n)


def sparse_top(ranker: SparseRanker, fill: PopularFill, seeds: Sequence[np.ndarray],
               titles: Sequence[str], n: int) -> SourceTop:
    """The exact top-n of RP3beta, EASE^R, the playlist and title-word neighbours: their
    per-query sparse rows above the popularity tie-break (as `SparseRanker.scores`)."""
    answered = [q for q, s in enumerate(seeds) if len(s) or not ranker.needs_seeds]
    rows = sp.csr_matrix((len(answered), ranker.num_tracks), dtype=np.float32)
    if answered:
        rows = ranker.sparse_scores([seeds[q] for q in answered],
                                    [titles[q] for q in answered]).tocsr()
    return _sparse_top(answered, rows, fill, seeds, titles, n)


def _sparse_top(answered: list[int], rows: sp.csr_matrix, fill: PopularFill,
                seeds: Sequence[np.ndarray], titles: Sequence[str], n: int) -> SourceTop:
    """A source whose score is `fill` plus a sparse row for the `answered` queries (one
    row each, in order) and the title fallback for the other queries."""
    rows_of: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for i, q in enumerate(answered):
        cols = rows.indices[rows.indptr[i]:rows.indptr[i + 1]]
        # numpy's argsort of a row is ~3x faster than scipy's sort_indices (its columns are
        # distinct, so the order is the same): a row of 100 seeds holds ~150K tracks at 2.26M.
        order = np.argsort(cols)
        cols = cols[order].astype(np.int64)
        values = (rows.data[rows.indptr[i]:rows.indptr[i + 1]][order]
                  + fill.fill[cols]).astype(np.float32)
        rows_of[q] = (cols, values)
    title_queries = sorted(set(range(len(seeds))) - set(answered))
    title_tops, by_title = _title_fallback(fill, title_queries, seeds, titles, n)

    def score(q: int, at: np.ndarray) -> np.ndarray:
        if q in by_title:
            return fill.title_scores(by_title[q], at, fill.fill, fill.log_counts)
        cols, values = rows_of[q]
        return _sparse_values(cols, values, at, fill.fill[at])

    tops: list[np.ndarray] = [np.zeros(0, np.int64)] * len(seeds)
    for q in answered:
        cols, values = rows_of[q]
        tops[q] = fill.top(cols, values, np.asarray(seeds[q], np.int64), n, fill.fill)
    for q, top in zip(title_queries, title_tops):
        tops[q] = top
    return SourceTop(tops, score)


def _searched(index: TrackIndex, queries: np.ndarray, seeds: Sequence[np.ndarray], n: int,
              score: Callable[[int, np.ndarray], np.ndarray]) -> list[np.ndarray]:
    """Per query the index's top n + seeds, seeds dropped, ordered by the exact score."""
    longest = max((len(s) for s in seeds), default=0)
    found = index.search(queries, n + longest)
    out = []
    for q, row in enumerate(found):
        row = row[row >= 0]
        row = row[~np.isin(row, np.asarray(seeds[q], np.int64))]
        values = score(q, row)
        out.append(row[np.lexsort((row, -values))][:n])
    return out


def _sparse_values(cols: np.ndarray, values: np.ndarray, rows: np.ndarray,
                   default: np.ndarray) -> np.ndarray:
    """values at `rows` from sorted sparse (cols, values); `default` elsewhere."""
    if len(cols) == 0:
        return np.asarray(default, np.float32)
    pos = np.minimum(np.searchsorted(cols, rows), len(cols) - 1)
    return np.where(cols[pos] == rows, values[pos], default).astype(np.float32)
