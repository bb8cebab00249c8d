"""Storing tracks with their artists and albums: the one upsert behind `Catalog.upsert_tracks`
(a crawl's records) and the MPD ingest (a slice's columns).

A track already stored (from the MPD or a crawl) stays the same row; fields it lacked
(album, duration) are filled in, artists it lacked are appended, nothing known is
overwritten. New rows get ids max(id) + 1, ... in the order given; the caller holds the
write lock, so they cannot collide.

`KnownTracks` lets a long ingest skip the lookups of tracks it has already stored or
checked in this process: a track is remembered once it is complete (album and
duration) with exactly one artist link, and a later sighting that says no more needs
no SQL. What it remembers is kept only for the transactions that committed, and all of
it is forgotten when another process wrote to the store in between.
"""
from __future__ import annotations

import sqlite3
from itertools import repeat
from typing import Sequence

import numpy as np

from data import graph_counts

_CHUNK = 5000  # bound parameters per IN (...) lookup
_NO_ARTIST = 0  # artist ids start at 1
_LOW = 0xFFFFFFFF


class KnownTracks:
    """uri -> (track id << 32 | its one artist's id) for tracks needing no further write,
    and uri -> id for artists, as of this process's last committed transaction."""

    def __init__(self) -> None:
        self.tracks: dict[str, int] = {}
        self.artists: dict[str, int] = {}
        self.version: int | None = None
        self._pending_tracks: dict[str, int] = {}
        self._pending_artists: list[str] = []  # added to `artists` by the open transaction
        self.foreign_write = False  # another process wrote between two of our transactions
        self.links_changed = False  # a stored track got another artist

    def begin(self, store_version: int) -> None:
        """At the start of a transaction: drop what a rolled-back one added, and forget
        everything if another process wrote since this one's last commit."""
        for uri in self._pending_artists:
            self.artists.pop(uri, None)
        self._pending_artists.clear()
        self._pending_tracks.clear()
        if self.version is not None and store_version != self.version:
            self.foreign_write = True
            self.tracks.clear()
            self.artists.clear()

    def forget(self) -> None:
        self.tracks.clear()
        self.artists.clear()
        self.version = None

    def committed(self, store_version: int) -> None:
        self.tracks.update(self._pending_tracks)
        self._pending_tracks.clear()
        self._pending_artists.clear()
        self.version = store_version


def upsert_track_rows(conn: sqlite3.Connection, tracks: Sequence[tuple], links: Sequence[tuple],
                      known: KnownTracks | None = None
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Store distinct tracks; returns their ids (int64 [len(tracks)]) and every artist
    link they have in the store afterwards, (track id, artist id) int64 arrays.

    tracks: (uri, name, album uri, album name, duration_ms) each, distinct URIs;
    links: (track index, position, artist uri, artist name, name_only) each.
    """
    known = known if known is not None else KnownTracks()
    n = len(tracks)
    # Which tracks `known` vouches for, decided on arrays: a slice repeats most of the
    # tracks earlier slices stored, and a loop over them in Python was most of its time.
    hits = np.fromiter(map(known.tracks.get, (row[0] for row in tracks), repeat(-1)),
                       np.int64, n)
    link_of_track = np.fromiter((link[0] for link in links), np.int64, len(links))
    link_count = np.bincount(link_of_track, minlength=n)
    only_artist = np.full(n, -1, np.int64)  # the artist's known id, where it has one link
    only_artist[link_of_track] = np.fromiter(
        map(known.artists.get, (link[2] for link in links), repeat(-1)), np.int64, len(links))
    vouched = (hits >= 0) & ((link_count == 0) | (
        (link_count == 1) & (only_artist == (hits & _LOW))))
    ids_array = np.where(vouched, hits >> 32, 0)
    with_artist = vouched & ((hits & _LOW) != _NO_ARTIST)
    link_track = ids_array[with_artist].tolist()
    link_artist = (hits[with_artist] & _LOW).tolist()
    ids = ids_array.tolist()
    todo = np.flatnonzero(~vouched).tolist()
    if todo:
        todo_links = np.flatnonzero(~vouched[link_of_track]).tolist()
        for track_id, artist_ids in _store(conn, tracks, [links[j] for j in todo_links], todo,
                                           ids, known):
            link_track.extend([track_id] * len(artist_ids))
            link_artist.extend(artist_ids)
    return (np.array(ids, np.int64), np.array(link_track, np.int64),
            np.array(link_artist, np.int64))


def _store(conn: sqlite3.Connection, tracks: Sequence[tuple], links: Sequence[tuple],
           todo: list[int], ids: list[int], known: KnownTracks) -> list[tuple[int, list[int]]]:
    """The tracks `todo` that `known` could not vouch for: look up, insert, fill, link.
    `links` are those of the `todo` tracks. Returns (track id, its artist ids) for each."""
    link_of: dict[int, list[tuple]] = {}
    for link in links:
        link_of.setdefault(link[0], []).append(link)
    # uri -> (id, album missing, duration missing)
    stored: dict[str, tuple[int, int, int]] = {}
    for chunk in _chunks([tracks[k][0] for k in todo]):
        stored.update((r[0], r[1:]) for r in conn.execute(
            "SELECT uri, id, album_id IS NULL, duration_ms IS NULL FROM tracks "
            f"WHERE uri IN ({','.join('?' * len(chunk))})", chunk))
    new = [k for k in todo if tracks[k][0] not in stored]
    old = [k for k in todo if tracks[k][0] in stored]
    fill = [k for k in old if (stored[tracks[k][0]][1] and tracks[k][2])
            or (stored[tracks[k][0]][2] and tracks[k][4] is not None)]

    artist_ids = known.artists
    artist_rows: dict[str, tuple] = {}
    for k in todo:
        for _, _, uri, name, name_only in link_of.get(k, ()):
            if uri not in artist_ids:
                artist_rows.setdefault(uri, (name, int(name_only)))
    found = _ensure_rows(conn, "artists", ("name", "name_only"), artist_rows)
    artist_ids.update(found)
    known._pending_artists.extend(found)
    album_rows: dict[str, tuple] = {}
    for k in new + fill:
        if tracks[k][2]:
            album_rows.setdefault(tracks[k][2], (tracks[k][3],))
    album_ids = _ensure_rows(conn, "albums", ("name",), album_rows)

    next_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM tracks").fetchone()[0]
    for i, k in enumerate(new):
        ids[k] = next_id + i
    for k in old:
        ids[k] = stored[tracks[k][0]][0]
    conn.executemany(
        "INSERT INTO tracks (id, uri, name, album_id, duration_ms) VALUES (?, ?, ?, ?, ?)",
        ((ids[k], uri, name, album_ids.get(album), duration)
         for k in new for uri, name, album, _, duration in [tracks[k]]))
    conn.executemany(
        "UPDATE tracks SET album_id = coalesce(album_id, ?), "
        "duration_ms = coalesce(duration_ms, ?) WHERE id = ?",
        ((album_ids.get(tracks[k][2]), tracks[k][4], ids[k]) for k in fill))
    conn.executemany(
        "INSERT INTO track_artists (track_id, artist_id, position) VALUES (?, ?, ?)",
        ((ids[k], artist_ids[uri], pos) for k in new for _, pos, uri, _, _ in link_of.get(k, ())))

    # A stored track keeps its artists and their order; new ones are appended.
    linked: dict[int, list[int]] = {}
    for chunk in _chunks([ids[k] for k in old]):
        for track_id, artist_id in conn.execute(
                "SELECT track_id, artist_id FROM track_artists "
                f"WHERE track_id IN ({','.join('?' * len(chunk))})", chunk):
            linked.setdefault(track_id, []).append(artist_id)
    extra = [(ids[k], artist_ids[uri]) for k in old for _, _, uri, _, _ in link_of.get(k, ())
             if artist_ids[uri] not in linked.get(ids[k], ())]
    if extra:
        # The playlists holding these tracks now hold tracks of more artists.
        affected = graph_counts.playlists_of_tracks(conn, [t for t, _ in extra])
        before = graph_counts.delta_of_playlists(conn, affected)
        conn.executemany(
            "INSERT OR IGNORE INTO track_artists (track_id, artist_id, position) "
            "SELECT ?1, ?2, count(*) FROM track_artists WHERE track_id = ?1", extra)
        graph_counts.apply_delta(conn, graph_counts.delta_of_playlists(conn, affected) + -before)
        known.links_changed = True
    for track_id, artist_id in extra:
        linked.setdefault(track_id, []).append(artist_id)

    # Remember what needs no further write: complete tracks with at most one artist.
    out = []
    for k in todo:
        uri, _, album, _, duration = tracks[k]
        if uri in stored:
            _, album_missing, duration_missing = stored[uri]
            complete = (not album_missing or bool(album)) and \
                (not duration_missing or duration is not None)
            artists = linked.get(ids[k], [])
        else:
            complete = bool(album) and duration is not None
            artists = [artist_ids[link[2]] for link in link_of.get(k, ())]
        if complete and len(artists) <= 1:
            known._pending_tracks[uri] = ids[k] << 32 | (artists[0] if artists else _NO_ARTIST)
        out.append((ids[k], artists))
    return out


def _ensure_rows(conn: sqlite3.Connection, table: str, columns: tuple[str, ...],
                 rows: dict[str, tuple]) -> dict[str, int]:
    """Ids for `rows` ({uri: values}) in artists/albums, inserting the unseen ones in order."""
    ids: dict[str, int] = {}
    for chunk in _chunks(rows):
        ids.update(conn.execute(
            f"SELECT uri, id FROM {table} WHERE uri IN ({','.join('?' * len(chunk))})", chunk))
    new = [uri for uri in rows if uri not in ids]
    next_id = conn.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchone()[0]
    marks = ", ".join("?" * (len(columns) + 2))
    conn.executemany(
        f"INSERT INTO {table} (id, uri, {', '.join(columns)}) VALUES ({marks})",
        ((next_id + i, uri, *rows[uri]) for i, uri in enumerate(new)))
    ids.update((uri, next_id + i) for i, uri in enumerate(new))
    return ids


def _chunks(items) -> list[list]:
    items = list(dict.fromkeys(items))
    return [items[i:i + _CHUNK] for i in range(0, len(items), _CHUNK)]
