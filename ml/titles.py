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


class TitleVocabulary:
    """Normalized titles seen often enough in training; index 0 means unknown."""

    def __init__(self, titles: Iterable[str]):
        self.titles: list[str] = list(titles)
        self._index = {t: i + 1 for i, t in enumerate(self.titles)}

    @classmethod
    def build(cls, normalized: Iterable[str], min_count: int) -> "TitleVocabulary":
        counts = Counter(t for t in normalized if t)
        # Sorted so the vocabulary, and so the model, do not depend on playlist order.
        return cls(sorted(t for t, n in counts.items() if n >= min_count))

    def __len__(self) -> int:
        """Entries including the unknown slot."""
        return len(self.titles) + 1

    def index(self, title: str | None) -> int:
        return self._index.get(normalize_title(title), 0)

    def indices(self, normalized: Iterable[str]) -> np.ndarray:
        return np.fromiter((self._index.get(t, 0) for t in normalized), np.int64)
