"""Audio features as model input: standardized values, the key one-hot, and the missing-mask.

A missing value is 0 after standardization (the mean) and flagged in the mask, so
the MLP can tell "average" from "unknown"; a track with no features row at all is
all-mask-off and still gets a vector.
"""
from __future__ import annotations

import numpy as np

from data.schema import AUDIO_FEATURES

KEY = AUDIO_FEATURES.index("key")
NUMERIC = [i for i in range(len(AUDIO_FEATURES)) if i != KEY]
PITCH_CLASSES = 12
ENCODED_DIM = len(NUMERIC) + PITCH_CLASSES + len(AUDIO_FEATURES)
FEATURE_MASK = slice(ENCODED_DIM - len(AUDIO_FEATURES), ENCODED_DIM)  # the mask columns


def feature_stats(features: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean, std) float32 [11] over the known values; std 1 where a column is constant or empty."""
    known = mask.sum(0)
    total = np.where(mask, features, 0.0).sum(0, dtype=np.float64)
    mean = np.divide(total, known, out=np.zeros_like(total), where=known > 0)
    sq = np.where(mask, (features - mean) ** 2, 0.0).sum(0, dtype=np.float64)
    var = np.divide(sq, known, out=np.zeros_like(sq), where=known > 0)
    std = np.where(var > 1e-12, np.sqrt(var), 1.0)
    return mean.astype(np.float32), std.astype(np.float32)


def encode_features(features: np.ndarray, mask: np.ndarray, mean: np.ndarray,
                    std: np.ndarray) -> np.ndarray:
    """float32 [n, ENCODED_DIM]: standardized numeric values (0 where missing), key one-hot
    (all zero where missing or out of range), then the mask as 0/1."""
    n = len(features)
    z = np.where(mask, (features - mean) / std, 0.0)[:, NUMERIC]
    # Standardized values far out in the tails are data errors more often than music.
    z = np.clip(z, -5.0, 5.0)
    key = np.zeros((n, PITCH_CLASSES), np.float32)
    k = np.rint(features[:, KEY]).astype(np.int64)
    ok = mask[:, KEY] & (k >= 0) & (k < PITCH_CLASSES)
    key[np.flatnonzero(ok), k[ok]] = 1.0
    return np.concatenate([z.astype(np.float32), key, mask.astype(np.float32)], axis=1)
