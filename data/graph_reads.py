"""Reads of the graph the model is built from, beyond the `Catalog` read methods: one
consistent copy of the playlist–track graph with its metadata, and the metadata of
tracks added later (artist, album, audio features).

Everything in `read_graph_tables` comes from one read transaction, so the arrays and
the store version describe the same state even while a crawl or an ingest writes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from data.schema import AUDIO_FEATURES
from data.store import Catalog, chunked


READ_PLAYLISTS = 20_000  # playlists per chunk of playlist-track rows (~1.3M rows)


@dataclass
class GraphTables:
    version: int
    track_ids: np.ndarray  # int64 [T], every track in the catalog, ascending
    track_artist: np.ndarray  # int64 [T], primary artist id, -1 where none
    track_album: np.ndarray  # int64 [T], album id, -1 where none
    edge_playlist: np.ndarray  # int32 (int64 past 2^31 ids) [E], by playlist then position
    edge_track: np.ndarray  # same dtype [E]
    playlist_ids: np.ndarray  # int64 [P], every playlist, ascending
    playlist_names: list[str]  # [P]
    feature_track_ids: np.ndarray  # int64 [F]
    features: np.ndarray  # float64 [F, 11], NaN where missing


def read_graph_tables(catalog: Catalog, chunk_playlists: int = READ_PLAYLISTS,
                      listening_as_playlists: bool = False) -> GraphTables:
    """Everything the graph snapshot is built from, as of one store version.

    `listening_as_playlists`: each listener-month of imported plays is one more playlist
    (ids after every stored playlist's, so the rows stay sorted by playlist), untitled: a
    title like "listening <name> <month>" would only teach the title model noise.

    The playlist-track rows are read in chunks of playlists, in primary-key order (by
    playlist, then position: no sort), straight into compact arrays: no Python row
    objects beyond one chunk, no second copy of all rows.
    """
    with catalog.read():
        version = catalog.version()
        track_ids, albums = catalog.query_int_columns(
            "SELECT id, coalesce(album_id, -1) FROM tracks ORDER BY id", 2)
        art_track, art_id = catalog.track_artist_pairs()
        track_artist = np.full(len(track_ids), -1, np.int64)
        if len(art_track):
            track_artist[np.searchsorted(track_ids, art_track)] = art_id
        rows = catalog.query("SELECT id, name FROM playlists ORDER BY id").fetchall()
        playlist_ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
        top = max(int(playlist_ids[-1]) if len(rows) else 0,
                  int(track_ids[-1]) if len(track_ids) else 0)
        dtype = np.int32 if top < 2**31 else np.int64
        playlists, tracks = [], []
        for first in range(0, len(playlist_ids), chunk_playlists):
            lo = int(playlist_ids[first])
            hi = int(playlist_ids[min(first + chunk_playlists, len(playlist_ids)) - 1])
            p, t = catalog.query_int_columns(
                "SELECT playlist_id, track_id FROM playlist_tracks WHERE playlist_id BETWEEN ? "
                "AND ? ORDER BY playlist_id, position", 2, (lo, hi))
            playlists.append(p.astype(dtype))
            tracks.append(t.astype(dtype))
        feature_ids, features = catalog.audio_feature_rows()
        if listening_as_playlists:
            from data.listening_reads import listening_months
            names, offsets, month_tracks = listening_months(catalog)
            pseudo = top + 1 + np.arange(len(names), dtype=np.int64)
            dtype = np.int32 if top + len(names) < 2**31 else np.int64
            playlists = [p.astype(dtype) for p in playlists]
            tracks = [t.astype(dtype) for t in tracks]
            playlists.append(np.repeat(pseudo, np.diff(offsets)).astype(dtype))
            tracks.append(month_tracks.astype(dtype))
            playlist_ids = np.concatenate([playlist_ids, pseudo])
            rows = rows + [(int(i), "") for i in pseudo]
    return GraphTables(
        version=version, track_ids=track_ids, track_artist=track_artist, track_album=albums,
        edge_playlist=_concatenate(playlists, dtype), edge_track=_concatenate(tracks, dtype),
        playlist_ids=playlist_ids, playlist_names=[r[1] or "" for r in rows],
        feature_track_ids=feature_ids, features=features)


def _concatenate(parts: list[np.ndarray], dtype) -> np.ndarray:
    out = np.concatenate(parts) if parts else np.zeros(0, dtype)
    parts.clear()
    return out


@dataclass
class TrackMetadata:
    track_ids: np.ndarray  # int64 [n], those of the asked ids that exist, ascending
    artist: np.ndarray  # int64 [n], primary artist id or -1
    album: np.ndarray  # int64 [n], album id or -1
    features: np.ndarray  # float64 [n, 11], NaN where missing (all NaN: no features row)
    has_features: np.ndarray  # bool [n]


def track_metadata(catalog: Catalog, ids: Sequence[int]) -> TrackMetadata:
    """Artist, album and audio features for the given tracks (e.g. ones added after training)."""
    wanted = sorted({int(i) for i in ids})
    rows: list[tuple] = []
    cols = ", ".join(f"af.{c}" for c in AUDIO_FEATURES)
    for chunk in chunked(wanted):
        rows.extend(catalog.query(
            f"SELECT t.id, coalesce(t.album_id, -1), coalesce(ta.artist_id, -1), "
            f"af.track_id IS NOT NULL, {cols} FROM tracks t "
            f"LEFT JOIN track_artists ta ON ta.track_id = t.id AND ta.position = 0 "
            f"LEFT JOIN audio_features af ON af.track_id = t.id "
            f"WHERE t.id IN ({','.join('?' * len(chunk))})", chunk))
    rows.sort(key=lambda r: r[0])
    n = len(rows)
    feats = np.array([r[4:] for r in rows], dtype=np.float64).reshape(n, len(AUDIO_FEATURES))
    return TrackMetadata(
        track_ids=np.array([r[0] for r in rows], np.int64),
        album=np.array([r[1] for r in rows], np.int64),
        artist=np.array([r[2] for r in rows], np.int64),
        features=feats, has_features=np.array([bool(r[3]) for r in rows], bool))
