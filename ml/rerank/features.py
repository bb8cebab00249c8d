"""The re-ranker's features for (query, candidate) pairs: what no single model sees.

Per source model: its score, the gap to its best score for the query, its rank in its
top-N and whether it proposed the candidate at all. Then the track's popularity, how
many of the seeds share its artist and its album, the number of seeds, how often it
sits in training playlists with the query's title and title words, and the distance
of its audio features from the seeds' mean (with a flag when either side has none), and
its co-occurrence with the seeds and the seeds' popularity against its own
(`ml.rerank.seed_features`).
Everything is computed from the training playlists the source models were fitted on.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import scipy.sparse as sp

from ml.rerank.candidates import CandidateBatch
from ml.rerank.seed_features import SEED_FEATURES, seed_features

PER_SOURCE = ("score", "gap", "rank", "absent")
TRACK_FEATURES = ("sources", "popularity", "seeds", "artist_share", "artist_seeds",
                  "album_share", "album_seeds", "title_playlists", "title_share",
                  "title_words", "audio_distance", "audio_missing",
                  *SEED_FEATURES)


def feature_names(sources: Sequence[str]) -> list[str]:
    return [f"{s}_{p}" for s in sources for p in PER_SOURCE] + list(TRACK_FEATURES)


@dataclass
class TrackContext:
    """What the track features are read from (all [T]-indexed by track row)."""
    popularity: np.ndarray  # float64 [T] training playlists holding the track
    track_artist: np.ndarray  # int [T] (-1 unknown)
    track_album: np.ndarray  # int [T] (-1 unknown)
    title_rows: dict[str, int]  # normalized title -> row of `by_title`
    by_title: sp.csr_matrix  # [titles, T] training playlists with that title holding the track
    word_rows: dict[str, int]  # title word -> row of `by_word`
    by_word: sp.csr_matrix  # [words, T]
    audio: np.ndarray  # float32 [T, F] standardized audio features, 0 where missing
    has_audio: np.ndarray  # bool [T]
    playlists_by_track: sp.csr_matrix  # [T, P] 0/1: the training playlists holding each track

    @classmethod
    def build(cls, interactions: sp.csr_matrix, playlist_titles: Sequence[str],
              track_artist: np.ndarray, track_album: np.ndarray, features: np.ndarray,
              feature_mask: np.ndarray, feature_mean: np.ndarray,
              feature_std: np.ndarray) -> "TrackContext":
        """From the [P, T] training interactions and every playlist's normalized title
        ('' for playlists that are not training playlists)."""
        titles = sorted({t for t in playlist_titles if t})
        words = sorted({w for t in playlist_titles for w in t.split()})
        title_rows = {t: i for i, t in enumerate(titles)}
        word_rows = {w: i for i, w in enumerate(words)}
        pl, ti, wi, wp = [], [], [], []
        for p, title in enumerate(playlist_titles):
            if title:
                pl.append(p)
                ti.append(title_rows[title])
                for w in set(title.split()):
                    wp.append(p)
                    wi.append(word_rows[w])
        n = interactions.shape[0]
        by_title = _incidence(ti, pl, len(titles), n) @ interactions
        by_word = _incidence(wi, wp, len(words), n) @ interactions
        mask = feature_mask.all(axis=1)
        audio = np.where(feature_mask, (features - feature_mean) / feature_std, 0.0)
        return cls(np.asarray(interactions.sum(axis=0)).ravel().astype(np.float64),
                   np.asarray(track_artist), np.asarray(track_album), title_rows,
                   _sorted_csr(by_title), word_rows, _sorted_csr(by_word),
                   np.clip(audio, -5, 5).astype(np.float32), mask,
                   _binary(interactions).T.tocsr())

    def features(self, batch: CandidateBatch, seeds: Sequence[np.ndarray],
                 titles: Sequence[str], n: int) -> list[np.ndarray]:
        """Per query, float32 [C_q, len(feature_names(sources))]."""
        return [self._query(batch, q, np.asarray(seeds[q], np.int64), titles[q], n)
                for q in range(len(seeds))]

    def _query(self, batch: CandidateBatch, q: int, seeds: np.ndarray, title: str,
               n: int) -> np.ndarray:
        cand = batch.rows[q]
        scores, ranks = batch.scores[q], batch.ranks[q]
        absent = ranks >= n
        per_source = np.stack([scores, scores - batch.top[q], ranks.astype(np.float32),
                               absent.astype(np.float32)], 2).reshape(len(cand), -1)
        popularity = self.popularity[cand]
        artist_n = _matches(self.track_artist[seeds], self.track_artist[cand])
        album_n = _matches(self.track_album[seeds], self.track_album[cand])
        share = 1.0 / max(len(seeds), 1)
        title_n = _row_values(self.by_title, self.title_rows.get(title), cand)
        words = [self.word_rows[w] for w in dict.fromkeys(title.split()) if w in self.word_rows]
        per_word = (np.mean([_row_values(self.by_word, w, cand) for w in words], axis=0)
                    if words else np.zeros(len(cand)))
        seen = np.maximum(popularity, 1.0)
        with_audio = seeds[self.has_audio[seeds]]
        if len(with_audio):
            centre = self.audio[with_audio].mean(0)
            distance = np.sqrt(((self.audio[cand] - centre) ** 2).mean(1))
            missing = ~self.has_audio[cand]
        else:
            distance, missing = np.zeros(len(cand)), np.ones(len(cand), bool)
        track = np.stack([
            (~absent).sum(1), np.log1p(popularity), np.full(len(cand), len(seeds)),
            artist_n * share, artist_n, album_n * share, album_n,
            np.log1p(title_n), title_n / seen, per_word / seen,
            np.where(missing, np.nan, distance), missing], 1)
        with_seeds = seed_features(self.playlists_by_track, self.popularity, seeds, cand)
        return np.concatenate([per_source, track, with_seeds], 1).astype(np.float32)


def _binary(matrix: sp.spmatrix) -> sp.csr_matrix:
    out = sp.csr_matrix(matrix, dtype=np.float32, copy=True)
    out.data[:] = 1.0
    return out


def _incidence(rows: list[int], cols: list[int], num_rows: int, num_cols: int) -> sp.csr_matrix:
    return sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)),
                         shape=(num_rows, num_cols))


def _sorted_csr(matrix: sp.spmatrix) -> sp.csr_matrix:
    out = sp.csr_matrix(matrix)
    out.sort_indices()
    return out


def _row_values(matrix: sp.csr_matrix, row: int | None, cols: np.ndarray) -> np.ndarray:
    """matrix[row, cols] as float64 (0 for a missing row), from a row with sorted indices."""
    if row is None:
        return np.zeros(len(cols))
    start, end = matrix.indptr[row], matrix.indptr[row + 1]
    index, data = matrix.indices[start:end], matrix.data[start:end]
    if len(index) == 0:
        return np.zeros(len(cols))
    pos = np.minimum(np.searchsorted(index, cols), len(index) - 1)
    return np.where(index[pos] == cols, data[pos], 0.0).astype(np.float64)


def _matches(seed_values: np.ndarray, values: np.ndarray) -> np.ndarray:
    """How many seeds share each value (unknown, -1, matches nothing)."""
    known, counts = np.unique(seed_values[seed_values >= 0], return_counts=True)
    if len(known) == 0:
        return np.zeros(len(values))
    pos = np.minimum(np.searchsorted(known, values), len(known) - 1)
    return np.where((values >= 0) & (known[pos] == values), counts[pos], 0).astype(np.float64)
