"""Playlist titles as a model input: normalized the way the RecSys 2018 winners did.

"Country 🤠!!", "country" and "COUNTRY " are one title. What stays is lowercase
letters, digits and single spaces; a title that normalizes to nothing is unknown.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import Iterable

import numpy as np

_NOT_WORD = re.compile(r"[^0-9a-z ]+")
_SPACES = re.compile(r"\s+")


def normalize_title(title: str | None) -> str:
    """Lowercase, accents folded, emoji and punctuation dropped, whitespace collapsed."""
    if not title:
        return ""
    folded = unicodedata.normalize("NFKD", title.lower())
    ascii_only = folded.encode("ascii", "ignore").decode("ascii")
    return _SPACES.sub(" ", _NOT_WORD.sub(" ", ascii_only)).strip()


MAX_TOKENS = 8  # title words kept per playlist; MPD titles are short (median 2 words)


class TitleVocabulary:
    """Normalized titles and title words seen often enough in training.

    One index space: 0 is unknown, then whole titles, then words. `encode` gives each
    playlist a row [whole title, word 1 .. word MAX_TOKENS] (0 pads), so "summer hits
    2017" is placed by its whole title when that was seen and by "summer", "hits" and
    "2017" when it was not.
    """

    def __init__(self, titles: Iterable[str], tokens: Iterable[str] = (),
                 seed_ptr: np.ndarray | None = None, seed_rows: np.ndarray | None = None):
        self.titles: list[str] = list(titles)
        self.tokens: list[str] = list(tokens)
        # Per whole title (vocabulary index i: rows seed_rows[seed_ptr[i]:seed_ptr[i + 1]]),
        # the tracks most common in training playlists with that title; see `seeds`.
        self.seed_ptr = np.zeros(len(self.titles) + 2, np.int64) if seed_ptr is None else seed_ptr
        self.seed_rows = np.zeros(0, np.int64) if seed_rows is None else seed_rows
        self._index = {t: i + 1 for i, t in enumerate(self.titles)}
        offset = len(self.titles) + 1
        self._token_index = {t: offset + i for i, t in enumerate(self.tokens)}

    @classmethod
    def build(cls, normalized: Iterable[str], min_count: int,
              token_min_count: int = 0) -> "TitleVocabulary":
        """Titles in at least `min_count` training playlists; words in at least
        `token_min_count` (0: no words)."""
        normalized = [t for t in normalized if t]
        counts = Counter(normalized)
        words = Counter(w for t in normalized for w in set(t.split())) if token_min_count else {}
        # Sorted so the vocabulary, and so the model, do not depend on playlist order.
        return cls(sorted(t for t, n in counts.items() if n >= min_count),
                   sorted(w for w, n in words.items() if n >= token_min_count))

    def __len__(self) -> int:
        """Entries including the unknown slot."""
        return len(self.titles) + 1 + len(self.tokens)

    def seeds(self, normalized: str) -> np.ndarray:
        """Track rows that stand in for seeds when a playlist has only this title: the title
        is read the way the model reads any playlist, from tracks, and the graph says
        which tracks playlists with this title hold."""
        i = self._index.get(normalized, 0)
        return self.seed_rows[self.seed_ptr[i]:self.seed_ptr[i + 1]] if i else self.seed_rows[:0]

    def index(self, title: str | None) -> int:
        return self._index.get(normalize_title(title), 0)

    def encode(self, normalized: Iterable[str]) -> np.ndarray:
        """int64 [N, 1 + MAX_TOKENS]: whole-title index, then word indices (0 unknown/pad)."""
        rows = []
        for title in normalized:
            words = [self._token_index[w] for w in dict.fromkeys(title.split())
                     if w in self._token_index][:MAX_TOKENS]
            rows.append([self._index.get(title, 0), *words, *[0] * (MAX_TOKENS - len(words))])
        return np.array(rows, np.int64).reshape(-1, 1 + MAX_TOKENS)
