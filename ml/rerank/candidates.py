"""First stage of the two-stage model: every source model proposes its top-N tracks.

A query's candidates are the union of the top-N of each source (GraphSAGE, ALS,
item-kNN) and, for a playlist with no seeds, the top-N of its title's tracks. For each
candidate the batch keeps every source's score and its rank in that source's top-N
(N when the source did not propose it): the re-ranker's per-model features.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from torch import Tensor

from ml.models.baselines import TitlePopularity
from ml.models.ranking import Ranker, top_k


@dataclass
class CandidateBatch:
    """Q queries; per query q, C_q candidates."""
    rows: list[np.ndarray]  # int64 [C_q] candidate track rows, ascending
    scores: list[np.ndarray]  # float32 [C_q, M] each source's score of each candidate
    ranks: list[np.ndarray]  # int32 [C_q, M] position in the source's top-N (N: not proposed)
    top: np.ndarray  # float32 [Q, M] each source's best score for the query
    fallback: Tensor | None  # float32 [Q, T] the first source's scores, seeds at -inf
    # From indexes (ml.rerank.ann_stage) instead of `fallback`: the first source's own longer
    # list per query (int64, best first, no seed) and its scores.
    filler: list[np.ndarray] | None = None
    filler_scores: list[np.ndarray] | None = None


class FirstStage:
    """The candidate generator: `sources` rank all tracks, each proposes `n`."""

    def __init__(self, sources: Sequence[Ranker], by_title: TitlePopularity, n: int,
                 indexed=None):
        """indexed: an `ml.rerank.ann_stage.IndexedSources` to take each source's top-N from
        indexes and sparse rows instead of scoring every track (None: exact)."""
        if not sources:
            raise ValueError("the two-stage model needs at least one source model")
        self.sources, self.by_title, self.n = list(sources), by_title, int(n)
        self.indexed = indexed

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.sources]

    def candidates(self, seeds: Sequence[np.ndarray], titles: Sequence[str],
                   fill: int = 0) -> CandidateBatch:
        """`fill`: with indexes, how many of the first source's tracks to keep as `filler`."""
        if self.indexed is not None:
            return self.indexed.candidates(self.sources, seeds, titles, self.n, fill)
        proposed: list[list[np.ndarray]] = [[] for _ in seeds]
        dense: list[Tensor] = []
        tops: list[np.ndarray] = []
        for source in self.sources:
            scores = source.scores(seeds, titles)
            index, values = top_k(scores, seeds, self.n)  # masks the seeds in `scores`
            dense.append(scores)
            tops.append(np.where(index[:, 0] >= 0, values[:, 0], 0.0).astype(np.float32))
            for q in range(len(seeds)):
                proposed[q].append(index[q])
        untitled = [q for q, s in enumerate(seeds) if len(s) == 0]
        if untitled:
            by_title, _ = top_k(self.by_title.scores([titles[q] for q in untitled]),
                                [seeds[q] for q in untitled], self.n)
            for q, row in zip(untitled, by_title):
                proposed[q].append(row)
        rows, scores, ranks = [], [], []
        for q in range(len(seeds)):
            cand = np.unique(np.concatenate(proposed[q]))
            cand = cand[cand >= 0]
            t = torch.from_numpy(cand).to(dense[0].device)
            scores.append(torch.stack([d[q, t] for d in dense], 1).float().cpu().numpy())
            ranks.append(np.stack([_positions(proposed[q][m], cand, self.n)
                                   for m in range(len(self.sources))], 1))
            rows.append(cand)
        return CandidateBatch(rows, scores, ranks, np.stack(tops, 1), dense[0])


def _positions(top: np.ndarray, wanted: np.ndarray, absent: int) -> np.ndarray:
    """int32 [len(wanted)]: where each wanted row sits in `top` (-1 padded), else `absent`."""
    valid = np.flatnonzero(top >= 0)
    if len(valid) == 0:
        return np.full(len(wanted), absent, np.int32)
    order = valid[np.argsort(top[valid], kind="stable")]
    sorted_top = top[order]
    pos = np.minimum(np.searchsorted(sorted_top, wanted), len(order) - 1)
    return np.where(sorted_top[pos] == wanted, order[pos], absent).astype(np.int32)
