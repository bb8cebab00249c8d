"""Top-K over all tracks with the seeds removed: the one ranking step every model shares."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch import Tensor


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
    values, index = torch.topk(scores, k, dim=1)
    values, index = values.float().cpu().numpy(), index.cpu().numpy()
    index[~np.isfinite(values)] = -1
    return index, values
