"""The one ranker interface every model implements, and the top-K step they share.

A query is a playlist given as its seed tracks (track row indices) and its normalized
title. `Ranker.scores` gives every track a score for each query; `Ranker.recommend`
masks the seeds and keeps the best `k`. Popularity, item-kNN, ALS, GraphSAGE
(`ml.models.gnn_scorer.GnnScorer`) and the two-stage model (`ml.rerank.booster.TwoStage`) are all
rankers, so evaluation, serving and the benchmarks take any of them the same way.
Fitting is each model's own constructor, from the run's training playlists only
(`ml.pipeline.evaluate_run.BaselineInputs`; the GNN from `ml train`, the two-stage model from
`ml.rerank.two_stage.fit_two_stage`).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch import Tensor


class Ranker:
    """Base class: `name`, `scores(seeds, titles)` and `recommend(seeds, titles, k)`."""

    name: str = ""

    def scores(self, seeds: Sequence[np.ndarray], titles: Sequence[str]) -> Tensor:
        """float32 [Q, T] for Q queries: higher is better. Seeds are not masked here."""
        raise NotImplementedError

    def recommend(self, seeds: Sequence[np.ndarray], titles: Sequence[str],
                  k: int) -> tuple[np.ndarray, np.ndarray]:
        """(track rows int64 [Q, k], scores float32 [Q, k]), best first, never a seed;
        -1 pads a row with fewer than k tracks."""
        return top_k(self.scores(seeds, titles), seeds, k)


_FEW_ROWS = 8  # up to this many rows, top_k partitions in numpy (serving: one query)


def top_k(scores: Tensor, exclude: Sequence[np.ndarray], k: int) -> tuple[np.ndarray, np.ndarray]:
    """Best `k` columns per row of `scores` [B, T], never one listed in `exclude[b]`.

    Returns (track indices int64 [B, k], scores float32 [B, k]); a row with fewer than
    k candidates is padded with index -1. `scores` is modified in place.
    """
    if len(exclude) != scores.shape[0]:
        raise ValueError("one exclude list per row")
    lengths = [len(e) for e in exclude]
    if sum(lengths):
        rows = torch.from_numpy(np.repeat(np.arange(len(exclude)), lengths))
        cols = torch.from_numpy(np.concatenate([np.asarray(e, np.int64) for e in exclude]))
        scores[rows.to(scores.device), cols.to(scores.device)] = float("-inf")
    k = min(k, scores.shape[1])
    if scores.device.type == "cpu" and scores.shape[0] <= _FEW_ROWS and k < scores.shape[1]:
        index, values = _top_k_cpu(scores.detach().float().numpy(), k)
    else:
        values, index = torch.topk(scores, k, dim=1)
        values, index = values.float().cpu().numpy(), index.cpu().numpy()
    index[~np.isfinite(values)] = -1
    return index, values


def _top_k_cpu(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """`torch.topk` for a few CPU rows [B, T]: a partition, then a sort of the k kept. For
    one query over the full catalog's 2.26M tracks that is 6 ms against torch.topk's 25; a
    batch of many rows is faster in torch.topk, which spreads the rows over its threads.
    Equal scores may come in another order than torch.topk's, which leaves it unspecified."""
    cut = scores.shape[1] - k
    index = np.argpartition(scores, cut, axis=1)[:, cut:]
    values = np.take_along_axis(scores, index, axis=1)
    order = np.argsort(-values, axis=1, kind="stable")
    return (np.take_along_axis(index, order, axis=1).astype(np.int64),
            np.take_along_axis(values, order, axis=1))
