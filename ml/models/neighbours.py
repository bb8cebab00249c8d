"""Playlist–playlist sources: the training playlists nearest to a query, then their tracks.

- `PlaylistKNN` (as Kelen et al. placed 9th in the RecSys Challenge 2018 with alone):
  a training playlist's similarity to the query is the seeds it holds over
  sqrt(its length) (cosine up to the query's constant), raised to `power` to favour the
  closest; the `neighbours` most similar playlists vote for their tracks with that weight.
- `TitleWords`: the same over the title, for every query: a training playlist's
  similarity is the cosine of the two titles' word sets weighted by inverse document
  frequency, so "summer hits 2017" reaches "summer vibes" and "hits" playlists, not only
  the playlists titled exactly "summer hits 2017".

A query costs the playlists its seeds (or title words) sit in, then `neighbours`
playlists' track lists: nothing grows with the catalog's track count.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import scipy.sparse as sp

from ml.models.baselines import TitlePopularity, seed_matrix
from ml.models.sparse_ranker import SparseRanker, top_per_row


@dataclass(frozen=True)
class NeighbourParams:
    neighbours: int
    power: float


NEIGHBOUR_PARAMETERS = {"neighbours": int, "power": float}


class PlaylistKNN(SparseRanker):
    name = "plknn"

    def __init__(self, interactions: sp.csr_matrix, title_fallback: TitlePopularity, *,
                 neighbours: int, power: float):
        x = interactions.tocsr().astype(np.float32)
        x.data[:] = 1.0
        self.num_tracks = x.shape[1]
        self.title_fallback = title_fallback
        self.neighbours, self.power = int(neighbours), float(power)
        lengths = np.diff(x.indptr).astype(np.float64)
        scale = np.divide(1.0, np.sqrt(lengths), out=np.zeros_like(lengths), where=lengths > 0)
        self._tracks_by_playlist = x  # [P, T]
        self._playlists_by_track = (sp.diags(scale.astype(np.float32)) @ x).T.tocsr()  # [T, P]

    def sparse_scores(self, seeds: Sequence[np.ndarray], titles: Sequence[str]) -> sp.csr_matrix:
        similar = seed_matrix(seeds, self.num_tracks) @ self._playlists_by_track  # [Q, P]
        return vote(similar, self._tracks_by_playlist, self.neighbours, self.power)


class TitleWords(SparseRanker):
    """Tracks of the training playlists whose titles share words with the query's."""
    name = "titlewords"
    needs_seeds = False

    def __init__(self, interactions: sp.csr_matrix, playlist_titles: Sequence[str],
                 title_fallback: TitlePopularity, *, neighbours: int, power: float):
        x = interactions.tocsr().astype(np.float32)
        x.data[:] = 1.0
        self.num_tracks = x.shape[1]
        self.title_fallback = title_fallback
        self.neighbours, self.power = int(neighbours), float(power)
        words = sorted({w for t in playlist_titles if t for w in t.split()})
        self._word = {w: i for i, w in enumerate(words)}
        rows, cols = [], []
        for p, title in enumerate(playlist_titles):
            for w in set(title.split()) if title else ():
                rows.append(p)
                cols.append(self._word[w])
        incidence = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)),
                                  shape=(x.shape[0], len(words)))
        frequency = np.asarray(incidence.sum(axis=0)).ravel()
        titled = max(int((np.diff(incidence.indptr) > 0).sum()), 1)
        self._idf = np.log((1.0 + titled) / (1.0 + frequency)).astype(np.float32) + 1.0
        weighted = (incidence @ sp.diags(self._idf)).tocsr()
        norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
        scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
        self._playlists_by_word = (sp.diags(scale.astype(np.float32)) @ weighted).T.tocsr()
        self._tracks_by_playlist = x

    def sparse_scores(self, seeds: Sequence[np.ndarray], titles: Sequence[str]) -> sp.csr_matrix:
        rows, cols, vals = [], [], []
        for q, title in enumerate(titles):
            known = sorted({self._word[w] for w in title.split() if w in self._word})
            if not known:
                continue
            weight = self._idf[known]
            weight = weight / np.sqrt((weight ** 2).sum())
            rows += [q] * len(known)
            cols += known
            vals.append(weight)
        query = sp.csr_matrix((np.concatenate(vals) if vals else np.zeros(0, np.float32),
                               (rows, cols)), shape=(len(titles), len(self._word)))
        similar = query @ self._playlists_by_word  # [Q, P] cosine of the titles
        return vote(similar, self._tracks_by_playlist, self.neighbours, self.power)


def vote(similar: sp.csr_matrix, tracks_by_playlist: sp.csr_matrix, neighbours: int,
         power: float) -> sp.csr_matrix:
    """[Q, T]: the `neighbours` most similar playlists of each query vote for their tracks
    with similarity^power."""
    nearest = top_per_row(similar.tocsr(), neighbours)
    nearest.data = np.power(nearest.data, power, dtype=np.float32)
    return (nearest @ tracks_by_playlist).tocsr()
