"""Features of a candidate against the query's seeds, as the RecSys 2018 winners used:

- co-occurrence: in how many training playlists the candidate sits with each seed; the
  number and share of seeds it ever sits with, the largest and the mean count over seeds;
- the closest seed: how far from the end of the seed list the last seed it sits with is
  (0: the last seed; NaN: none). With the first N tracks as seeds the hidden tracks
  follow the list, so a track that goes with the latest seeds is the likelier next one;
- popularity profile: the seeds' mean and spread of log popularity, and the candidate's
  log popularity against them (difference, and in the seeds' standard deviations).

A query costs one sparse product of its seeds' and its candidates' playlist lists.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

SEED_FEATURES = ("cooc_seeds", "cooc_seed_share", "cooc_max", "cooc_mean", "closest_seed",
                 "seed_pop_mean", "seed_pop_std", "pop_vs_seeds", "pop_z")


def seed_features(playlists_by_track: sp.csr_matrix, popularity: np.ndarray,
                  seeds: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """float64 [len(candidates), len(SEED_FEATURES)] for one query; `playlists_by_track`
    is the 0/1 [T, P] of the training playlists, `seeds` in the query's order."""
    n = len(candidates)
    log_pop = np.log1p(popularity[candidates])
    if len(seeds) == 0:
        nan = np.full(n, np.nan)
        return np.stack([np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n), nan,
                         nan, nan, nan, nan], 1)
    # [S, C], computed as the transpose of [C, S]: the product needs its right side in
    # CSR, and the seeds' rows are fewer (and less popular) than the candidates'.
    together = (playlists_by_track[candidates] @ playlists_by_track[seeds].T).toarray().T
    sits = together > 0
    count = sits.sum(0).astype(np.float64)
    # The first True from the end of the seed list: 0 when the last seed is one.
    closest = np.where(sits.any(0), np.argmax(sits[::-1], 0), np.nan)
    seed_pop = np.log1p(popularity[seeds])
    mean, std = float(seed_pop.mean()), float(seed_pop.std())
    return np.stack([count, count / len(seeds), together.max(0), together.mean(0), closest,
                     np.full(n, mean), np.full(n, std), log_pop - mean,
                     (log_pop - mean) / (std + 0.1)], 1)
