"""A generated graph snapshot at any scale, built as arrays (no JSON, no SQLite).

For benchmarks at full MPD scale (1M playlists, 2.26M tracks, 66M edges), where
going through slice files and the catalog would measure the data layer instead of
the model. The graph has the MPD's rough shape: lognormal playlist lengths (mean
~66), communities of taste with Zipf popularity inside, a share of global hits,
artists and albums grouped inside communities, and 30% of tracks without features.
"""
from __future__ import annotations

import numpy as np

from data.schema import AUDIO_FEATURES
from ml.dataset.snapshot import GraphSnapshot

PLAYLISTS_PER_COMMUNITY = 1000
HIT_SHARE = 0.1
MISSING_FEATURES = 0.3


def synthetic_snapshot(num_playlists: int, num_tracks: int, num_edges: int,
                       seed: int = 0) -> GraphSnapshot:
    """About `num_edges` distinct edges (within 1%): a first draw measures how many
    repeats the popularity skew makes, the second draws that much more."""
    rng = np.random.default_rng(seed)
    communities = max(4, num_playlists // PLAYLISTS_PER_COMMUNITY)
    playlist_community = rng.integers(0, communities, num_playlists)
    lengths = np.clip(np.exp(rng.normal(np.log(49), 0.8, num_playlists)), 5, 250)
    draw_seed = int(rng.integers(2**31))
    wanted = lengths * num_edges / lengths.sum()
    edge_playlist, track = _draw_edges(wanted, playlist_community, communities, num_tracks,
                                       draw_seed)
    if len(track) < 0.99 * num_edges:  # repeats were dropped: draw that much more
        edge_playlist, track = _draw_edges(wanted * num_edges / len(track), playlist_community,
                                           communities, num_tracks, draw_seed)
    block = max(num_tracks // communities, 1)

    pl_indptr = np.zeros(num_playlists + 1, np.int64)
    np.cumsum(np.bincount(edge_playlist, minlength=num_playlists), out=pl_indptr[1:])
    by_track = np.argsort(track, kind="stable")
    tr_indptr = np.zeros(num_tracks + 1, np.int64)
    np.cumsum(np.bincount(track, minlength=num_tracks), out=tr_indptr[1:])

    track_community = np.minimum(np.arange(num_tracks) // block, communities - 1)
    profile = rng.uniform(0.1, 0.9, (communities, len(AUDIO_FEATURES))).astype(np.float32)
    features = profile[track_community] + rng.normal(0, 0.05, (num_tracks, len(AUDIO_FEATURES)))
    has_features = rng.random(num_tracks) >= MISSING_FEATURES
    mask = np.repeat(has_features[:, None], len(AUDIO_FEATURES), axis=1)
    features = np.where(mask, features, 0.0).astype(np.float32)
    track_artist = (np.arange(num_tracks) // 8).astype(np.int32)
    track_album = (np.arange(num_tracks) // 3).astype(np.int32)

    titles = [f"taste {c} {variant}" for c in range(communities) for variant in ("mix", "vibes")]
    playlist_title = (playlist_community * 2 + rng.integers(0, 2, num_playlists)).astype(np.int32)
    return GraphSnapshot(
        version=0, track_ids=np.arange(1, num_tracks + 1, dtype=np.int64),
        playlist_ids=np.arange(1, num_playlists + 1, dtype=np.int64),
        pl_indptr=pl_indptr, pl_tracks=track.astype(np.int32),
        tr_indptr=tr_indptr, tr_playlists=edge_playlist[by_track].astype(np.int32),
        features=features, feature_mask=mask,
        track_artist=track_artist, artist_ids=np.arange(int(track_artist[-1]) + 1, dtype=np.int64),
        track_album=track_album, album_ids=np.arange(int(track_album[-1]) + 1, dtype=np.int64),
        playlist_title=playlist_title, titles=titles)


def _draw_edges(lengths: np.ndarray, playlist_community: np.ndarray, communities: int,
                num_tracks: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (playlist, track) pairs sorted by playlist, ~lengths[p] draws per playlist.

    Tracks 0..T-1 sit in community blocks of equal size; inside a block, lower = more
    popular (Zipf-like); a share of draws are global hits instead."""
    rng = np.random.default_rng(seed)
    block = max(num_tracks // communities, 1)
    counts = np.maximum(lengths.astype(np.int64), 1)
    edge_playlist = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    n = len(edge_playlist)
    rank = (block * rng.random(n) ** 2.5).astype(np.int64)
    track = playlist_community[edge_playlist] * block + rank
    hits = rng.random(n) < HIT_SHARE
    track[hits] = (num_tracks * rng.random(int(hits.sum())) ** 6).astype(np.int64)
    track = np.minimum(track, num_tracks - 1)
    keys = np.unique(edge_playlist * num_tracks + track)  # distinct, sorted by playlist
    return keys // num_tracks, keys % num_tracks
