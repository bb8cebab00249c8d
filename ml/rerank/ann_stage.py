"""The first stage answered from indexes: no query touches every track.

`IndexedSources` gives `ml.candidates.FirstStage` (and a single model served alone, via
`IndexedRanker`) each source's top-N from `ml.rerank.candidate_search`: GraphSAGE and ALS from
their ANN indexes; item-kNN, the other sparse sources (RP3beta, EASE^R, the neighbour
sources) and the title fallback from their sparse rows. The sources
run on threads of their own (`concurrent`): faiss, implicit's fold-in and the sparse
products release the GIL for most of their time, so on two cores they overlap.

The batch it returns has every source's exact score for every candidate (the union) and
the first source's longer list (`filler`) to complete a list after the re-ranked
candidates, in place of the exact path's dense [Q, T] scores.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Mapping, Sequence

import numpy as np

from ml.runs.ann_index import TrackIndex
from ml.models.baselines import ALS, ItemKNN, TitlePopularity
from ml.rerank.candidate_search import (PopularFill, SourceTop, als_top, gnn_top, knn_top,
                                       sparse_top)
from ml.models.sparse_ranker import SparseRanker
from ml.rerank.candidates import CandidateBatch, _positions
from ml.models.gnn_scorer import GnnScorer
from ml.models.ranking import Ranker


class IndexedSources:
    """Top-N per source without a full scan. `indexes`: {"gnn"/"als": TrackIndex}."""

    def __init__(self, indexes: Mapping[str, TrackIndex], by_title: TitlePopularity | None,
                 concurrent: bool = True):
        """by_title: the baselines' title fallback (None when only GraphSAGE is served)."""
        self.indexes = dict(indexes)
        self.fill = PopularFill(by_title) if by_title is not None else None
        self.concurrent = concurrent
        self._pool: ThreadPoolExecutor | None = None

    def supports(self, source: Ranker) -> bool:
        if isinstance(source, (ItemKNN, ALS, SparseRanker)) and self.fill is None:
            return False
        if isinstance(source, (ItemKNN, SparseRanker)):
            return True
        return isinstance(source, (GnnScorer, ALS)) and source.name in self.indexes

    def top(self, source: Ranker, seeds: Sequence[np.ndarray], titles: Sequence[str],
            n: int) -> SourceTop:
        if isinstance(source, GnnScorer):
            return gnn_top(source, self.indexes[source.name], seeds, titles, n)
        if isinstance(source, ALS):
            return als_top(source, self.indexes[source.name], self.fill, seeds, titles, n)
        if isinstance(source, ItemKNN):
            return knn_top(source, self.fill, seeds, titles, n)
        if isinstance(source, SparseRanker):
            return sparse_top(source, self.fill, seeds, titles, n)
        raise ValueError(f"no indexed first stage for model {source.name!r}")

    def candidates(self, sources: Sequence[Ranker], seeds: Sequence[np.ndarray],
                   titles: Sequence[str], n: int, fill: int = 0) -> CandidateBatch:
        """As `FirstStage.candidates`; the first source proposes max(n, fill) rows, of which
        its first n are candidates and all are `filler`."""
        wanted = [max(n, fill) if m == 0 else n for m in range(len(sources))]
        jobs = list(zip(sources, wanted))
        if self.concurrent and len(jobs) > 1:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=len(jobs),
                                                thread_name_prefix="first-stage")
            answers = list(self._pool.map(lambda job: self.top(job[0], seeds, titles, job[1]),
                                          jobs))
        else:
            answers = [self.top(source, seeds, titles, k) for source, k in jobs]
        proposed = [[a.rows[q][:n] for a in answers] for q in range(len(seeds))]
        untitled = [q for q, s in enumerate(seeds) if len(s) == 0]
        if untitled:
            by_title, _ = self.fill.title([titles[q] for q in untitled],
                                          [seeds[q] for q in untitled], n)
            for q, rows in zip(untitled, by_title):
                proposed[q].append(rows)
        rows, scores, ranks, filler, filler_scores = [], [], [], [], []
        top = np.zeros((len(seeds), len(sources)), np.float32)
        for q in range(len(seeds)):
            cand = np.unique(np.concatenate(proposed[q])).astype(np.int64)
            scores.append(np.stack([a.score(q, cand) for a in answers], 1).astype(np.float32))
            ranks.append(np.stack([_positions(proposed[q][m], cand, n)
                                   for m in range(len(sources))], 1))
            rows.append(cand)
            for m, a in enumerate(answers):
                if len(a.rows[q]):
                    top[q, m] = a.score(q, a.rows[q][:1])[0]
            filler.append(answers[0].rows[q])
            filler_scores.append(answers[0].score(q, answers[0].rows[q]))
        return CandidateBatch(rows, scores, ranks, top, None, filler, filler_scores)


class IndexedRanker(Ranker):
    """A single model served from its index: `recommend` asks for its top-k only;
    `scores` (every track) stays the exact model's."""

    def __init__(self, ranker: Ranker, sources: IndexedSources):
        self.ranker, self.sources, self.name = ranker, sources, ranker.name

    def scores(self, seeds, titles):
        return self.ranker.scores(seeds, titles)

    def recommend(self, seeds: Sequence[np.ndarray], titles: Sequence[str],
                  k: int) -> tuple[np.ndarray, np.ndarray]:
        answer = self.sources.top(self.ranker, seeds, titles, k)
        index = np.full((len(seeds), k), -1, np.int64)
        values = np.full((len(seeds), k), -np.inf, np.float32)
        for q, rows in enumerate(answer.rows):
            rows = rows[:k]
            index[q, :len(rows)] = rows
            values[q, :len(rows)] = answer.score(q, rows)
        return index, values


def indexed_sources(sources: Sequence[Ranker], indexes: Mapping[str, TrackIndex],
                    by_title: TitlePopularity,
                    concurrent: bool = True) -> IndexedSources | None:
    """IndexedSources when every source can be answered without a full scan (each vector
    model has its index), else None: the first stage then scores exactly."""
    indexed = IndexedSources(indexes, by_title, concurrent)
    return indexed if all(indexed.supports(s) for s in sources) else None


def ranked_lists(batch: CandidateBatch, predicted: Sequence[np.ndarray], k: int, below: float,
                 break_ties) -> tuple[np.ndarray, np.ndarray]:
    """The two-stage lists from an indexed batch: the candidates in the booster's order
    (ties by the first source), then the first source's other tracks in its order, scored
    `below` under its best, as `TwoStage.scores` orders every track. [Q, k] rows and
    scores, -1 / -inf padded."""
    index = np.full((len(batch.rows), k), -1, np.int64)
    values = np.full((len(batch.rows), k), -np.inf, np.float32)
    for q, (cand, p) in enumerate(zip(batch.rows, predicted)):
        shift = batch.top[q, 0] + below
        first = batch.scores[q][:, 0] - shift if len(cand) else np.zeros(0, np.float32)
        mine = break_ties(p, first).astype(np.float32) if len(cand) else np.zeros(0, np.float32)
        order = np.argsort(-mine, kind="stable")
        rest = ~np.isin(batch.filler[q], cand)
        rows = np.concatenate([cand[order], batch.filler[q][rest]])[:k]
        scores = np.concatenate([mine[order], batch.filler_scores[q][rest] - shift])[:k]
        index[q, :len(rows)] = rows
        values[q, :len(rows)] = scores
    return index, values
