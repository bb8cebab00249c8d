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


@dataclass
class GraphTables:
    version: int
    track_ids: np.ndarray  # int64 [T], every track in the catalog, ascending
    track_artist: np.ndarray  # int64 [T], primary artist id, -1 where none
    track_album: np.ndarray  # int64 [T], album id, -1 where none
    edge_playlist: np.ndarray  # int64 [E], by playlist then position
    edge_position: np.ndarray  # int64 [E]
    edge_track: np.ndarray  # int64 [E]
    playlist_ids: np.ndarray  # int64 [P], every playlist, ascending
    playlist_names: list[str]  # [P]
    feature_track_ids: np.ndarray  # int64 [F]
    features: np.ndarray  # float64 [F, 11], NaN where missing


def read_graph_tables(catalog: Catalog) -> GraphTables:
    """Everything the graph snapshot is built from, as of one store version."""
    with catalog.read():
        version = catalog.version()
        track_ids, albums = catalog.query_int_columns(
            "SELECT id, coalesce(album_id, -1) FROM tracks ORDER BY id", 2)
        art_track, art_id = catalog.track_artist_pairs()
        track_artist = np.full(len(track_ids), -1, np.int64)
        if len(art_track):
            track_artist[np.searchsorted(track_ids, art_track)] = art_id
        edge_playlist, edge_position, edge_track = catalog.playlist_track_edges()
        order = np.lexsort((edge_position, edge_playlist))  # the docstring's order, made sure
        rows = catalog.query("SELECT id, name FROM playlists ORDER BY id").fetchall()
        feature_ids, features = catalog.audio_feature_rows()
    return GraphTables(
        version=version, track_ids=track_ids, track_artist=track_artist, track_album=albums,
        edge_playlist=edge_playlist[order], edge_position=edge_position[order],
        edge_track=edge_track[order],
        playlist_ids=np.fromiter((r[0] for r in rows), np.int64, len(rows)),
        playlist_names=[r[1] or "" for r in rows],
        feature_track_ids=feature_ids, features=features)


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
