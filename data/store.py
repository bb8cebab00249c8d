"""The catalog store: one SQLite database (WAL) that every package reads and writes through.

No SQL lives outside `data/`. Writes happen inside `Catalog.write()`, one transaction
per unit of work; each committed transaction that changed rows bumps the store version,
so caches can key on `Catalog.version()`.
"""
from __future__ import annotations

import sqlite3
import time
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np

from data.home import catalog_path
from data.records import ArtistRef, PlaylistRecord, TrackRecord
from data import graph_counts
from data.schema import AUDIO_FEATURES, DEFERRABLE_INDEXES, migrate
from data.track_writes import KnownTracks, upsert_track_rows

_CHUNK = 5000  # bound parameters per IN (...) lookup


_PLAYLIST_COLUMNS = tuple(f.name for f in fields(PlaylistRecord))


class CatalogUnreadable(sqlite3.DatabaseError):
    """The catalog file is not an SQLite database (or is damaged); the message is one line
    saying what to do. A DatabaseError still, for callers that catch those."""


class Catalog:
    """A connection to the catalog. Use as a context manager or call close()."""

    def __init__(self, path: Path | str, *, timeout_s: float = 60.0):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, timeout=timeout_s, isolation_level=None,
                                     check_same_thread=False)
        try:
            self._set_wal(timeout_s)
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.execute("PRAGMA cache_size = -131072")  # 128 MiB
            self._conn.execute("PRAGMA temp_store = MEMORY")
            migrate(self._conn)
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            if type(exc) is not sqlite3.DatabaseError:  # locked, read-only, ...: not the file
                raise
            raise CatalogUnreadable(
                f"cannot open the catalog at {self.path} ({exc}); point --home / "
                "PLAYLISTGRAPH_HOME at another directory or move the file away") from None
        self._in_write = False

    def _set_wal(self, timeout_s: float) -> None:
        # Switching a fresh file to WAL needs an exclusive lock, and SQLite may answer
        # SQLITE_BUSY at once instead of waiting when several processes open it together.
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                self._conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    @classmethod
    def open(cls, home: Path | None = None) -> "Catalog":
        return cls(catalog_path(home))

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> "Catalog":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- transactions and version -------------------------------------------------

    def version(self) -> int:
        """Monotonically increasing; changes with every committed write that changed rows."""
        return int(self._conn.execute(
            "SELECT value FROM meta WHERE key = 'store_version'").fetchone()[0])

    @contextmanager
    def write(self) -> Iterator["Catalog"]:
        """One transaction. Commits on success (bumping the version if rows changed)."""
        if self._in_write:
            raise RuntimeError("nested Catalog.write()")
        self._conn.execute("BEGIN IMMEDIATE")
        self._in_write = True
        before = self._conn.total_changes
        try:
            yield self
            if self._conn.total_changes != before:
                self._conn.execute(
                    "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'store_version'")
            self._conn.execute("COMMIT")
        except BaseException:
            # A signal's KeyboardInterrupt (the crawler's SIGTERM) can land just after the
            # COMMIT, when there is nothing left to roll back: keep it, not a rollback error.
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise
        finally:
            self._in_write = False

    def _require_write(self) -> None:
        if not self._in_write:
            raise RuntimeError("writes must happen inside Catalog.write()")

    @contextmanager
    def read(self) -> Iterator["Catalog"]:
        """One read transaction: every query inside sees the same store version, even
        while another process writes. Inside `write()` or `read()` it is that transaction."""
        if self._conn.in_transaction:
            yield self
            return
        self._conn.execute("BEGIN")
        try:
            yield self
        finally:
            self._conn.execute("COMMIT")

    # ---- SQL for the modules of `data/` ----------------------------------------------
    # The read and write modules (catalog_reads, graph_reads, crawl_state, ...) hold their
    # own SQL and run it through these, so the connection stays the Catalog's alone.

    def query(self, sql: str, params: Sequence = ()) -> sqlite3.Cursor:
        """Run a read; iterate the cursor or call fetchone()/fetchall()."""
        return self._conn.execute(sql, tuple(params))

    def query_dicts(self, sql: str, params: Sequence = ()) -> list[dict]:
        """A read's rows as dicts keyed by column name."""
        cur = self._conn.execute(sql, tuple(params))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur]

    def query_int_columns(self, sql: str, n: int, params: Sequence = ()) -> tuple[np.ndarray, ...]:
        """A read of `n` integer columns as `n` int64 arrays (no Python row objects kept)."""
        flat = np.fromiter((v for row in self._conn.execute(sql, tuple(params)) for v in row),
                           dtype=np.int64)
        cols = flat.reshape(-1, n)
        return tuple(np.ascontiguousarray(cols[:, i]) for i in range(n))

    def execute(self, sql: str, params: Sequence = ()) -> sqlite3.Cursor:
        """Run a write; only inside `write()`, so it commits with its unit of work."""
        self._require_write()
        return self._conn.execute(sql, tuple(params))

    def executemany(self, sql: str, rows: Iterable[Sequence]) -> sqlite3.Cursor:
        """Run a write once per row; only inside `write()`."""
        self._require_write()
        return self._conn.executemany(sql, rows)

    @contextmanager
    def bulk_load(self) -> Iterator["Catalog"]:
        """Bulk-load mode for many transactions in a row.

        Drops the secondary indexes that random inserts make slow and rebuilds them
        (sorted, in one pass) on exit, whether the load succeeded or not; and lets the
        WAL grow to 64 MiB between checkpoints, so hot pages are written back once per
        several transactions instead of once per transaction. A process killed inside
        leaves the indexes missing: queries stay correct, only slower, and the next
        ingest rebuilds them.
        """
        with self.write():
            for name in DEFERRABLE_INDEXES:
                self._conn.execute(f"DROP INDEX IF EXISTS {name}")
        self._conn.execute("PRAGMA wal_autocheckpoint = 16384")
        try:
            yield self
        finally:
            self._conn.execute("PRAGMA wal_autocheckpoint = 1000")
            self.ensure_indexes()

    def ensure_indexes(self) -> None:
        """Create any deferrable index that is missing (a no-op when all exist)."""
        present = {r[0] for r in self._conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index'")}
        missing = [sql for name, sql in DEFERRABLE_INDEXES.items() if name not in present]
        if missing:
            # The index sort spills to temporary files, not memory: at MPD scale it sorts
            # 66M entries.
            self._conn.execute("PRAGMA temp_store = FILE")
            try:
                with self.write():
                    for sql in missing:
                        self._conn.execute(sql)
            finally:
                self._conn.execute("PRAGMA temp_store = MEMORY")

    def set_meta(self, key: str, value: str) -> None:
        self._require_write()
        self._conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                           "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))

    def meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    # ---- writes ------------------------------------------------------------------

    def upsert_tracks(self, tracks: Sequence[TrackRecord]) -> dict[str, int]:
        """Insert unseen tracks, their artists and albums; return {track uri: track id}.

        A track already stored (from the MPD or a crawl) stays the same row; fields it
        lacked (album, duration) are filled in, artists it lacked are appended, nothing
        known is overwritten (data.track_writes).
        """
        self._require_write()
        unique: dict[str, TrackRecord] = {}
        for t in tracks:
            seen = unique.get(t.uri)
            unique[t.uri] = t if seen is None or seen == t else merge_tracks(seen, t)
        rows = [(t.uri, t.name, t.album_uri, t.album_name, t.duration_ms) for t in unique.values()]
        links = [(k, pos, a.uri, a.name, int(a.name_only))
                 for k, t in enumerate(unique.values()) for pos, a in enumerate(t.artists)]
        ids, _, _ = self.upsert_track_rows(rows, links)
        return dict(zip(unique, ids.tolist()))

    def upsert_track_rows(self, tracks: Sequence[tuple], links: Sequence[tuple],
                          known: KnownTracks | None = None
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`upsert_tracks` on columns: (uri, name, album uri, album name, duration_ms) per
        distinct track and (track index, position, artist uri, name, name_only) per artist
        link; returns the track ids and the tracks' artist links as (track ids, artist
        ids). `known` skips tracks this process already stored."""
        self._require_write()
        return upsert_track_rows(self._conn, tracks, links, known)

    def existing_playlists(self, source: str, source_ids: Iterable[str]) -> dict[str, int]:
        """{source_id: playlist id} for those of `source_ids` already stored."""
        found: dict[str, int] = {}
        for chunk in chunked(source_ids):
            found.update(self._conn.execute(
                "SELECT source_id, id FROM playlists WHERE source = ? "
                f"AND source_id IN ({','.join('?' * len(chunk))})", (source, *chunk)))
        return found

    def upsert_playlist(self, record: PlaylistRecord) -> int:
        """Insert or update a playlist's metadata; return its id. Tracks are set separately."""
        self._require_write()
        cols = ", ".join(_PLAYLIST_COLUMNS)
        marks = ", ".join("?" * len(_PLAYLIST_COLUMNS))
        updates = ", ".join(f"{c} = coalesce(excluded.{c}, {c})"
                            for c in _PLAYLIST_COLUMNS if c not in ("source", "source_id"))
        values = [getattr(record, c) for c in _PLAYLIST_COLUMNS]
        values[_PLAYLIST_COLUMNS.index("collaborative")] = (
            None if record.collaborative is None else int(record.collaborative))
        return self._conn.execute(
            f"INSERT INTO playlists ({cols}) VALUES ({marks}) "
            f"ON CONFLICT (source, source_id) DO UPDATE SET {updates} RETURNING id",
            values).fetchone()[0]

    def insert_playlists(self, source: str, rows: Sequence[tuple]) -> np.ndarray:
        """Insert new playlists (PlaylistRecord's fields after `source`, per row, none of
        them stored yet); returns their ids, consecutive, in the order given."""
        self._require_write()
        first = self._conn.execute("SELECT coalesce(max(id), 0) + 1 FROM playlists").fetchone()[0]
        cols = ", ".join(_PLAYLIST_COLUMNS)
        marks = ", ".join("?" * (len(_PLAYLIST_COLUMNS) + 1))
        collaborative = _PLAYLIST_COLUMNS.index("collaborative") - 1
        self._conn.executemany(
            f"INSERT INTO playlists (id, {cols}) VALUES ({marks})",
            ((first + i, source, *row[:collaborative],
              None if row[collaborative] is None else int(row[collaborative]),
              *row[collaborative + 1:]) for i, row in enumerate(rows)))
        return np.arange(first, first + len(rows), dtype=np.int64)

    def replace_playlist(self, playlist_id: int, source: str, row: Sequence) -> None:
        """Overwrite a stored playlist's metadata with `row` (PlaylistRecord's fields after
        `source`, as `insert_playlists` takes them); its id stays. Tracks are set apart."""
        self._require_write()
        names = _PLAYLIST_COLUMNS[1:]
        values = list(row)
        collaborative = names.index("collaborative")
        values[collaborative] = None if values[collaborative] is None else int(values[collaborative])
        self._conn.execute(
            f"UPDATE playlists SET {', '.join(f'{c} = ?' for c in names)} "
            "WHERE id = ? AND source = ?", (*values, playlist_id, source))

    def set_playlist_tracks(self, playlist_id: int, track_ids: Sequence[int]) -> None:
        """Replace the playlist's track list (positions 0..n-1); the graph counts follow."""
        self._require_write()
        counted = graph_counts.is_counted(self._conn, playlist_id)
        before = graph_counts.delta_of_playlists(self._conn, [playlist_id]) if counted else None
        self._conn.execute("DELETE FROM playlist_tracks WHERE playlist_id = ?", (playlist_id,))
        self._conn.executemany(
            "INSERT INTO playlist_tracks (playlist_id, position, track_id) VALUES (?, ?, ?)",
            ((playlist_id, pos, tid) for pos, tid in enumerate(track_ids)))
        if counted:
            after = graph_counts.delta_of_playlists(self._conn, [playlist_id])
            graph_counts.apply_delta(self._conn, after + -before)

    def add_playlist_track_rows(self, rows: Iterable[tuple[int, int, int]]) -> None:
        """Bulk insert (playlist_id, position, track_id) rows for new playlists; the caller
        counts them (`count_playlists`, or `mark_uncounted` to count them later)."""
        self._require_write()
        self._conn.executemany(
            "INSERT INTO playlist_tracks (playlist_id, position, track_id) VALUES (?, ?, ?)", rows)

    def mark_uncounted(self, playlist_ids: Iterable[int]) -> None:
        """Playlists whose rows are not in the graph counts yet (data.graph_counts)."""
        self._require_write()
        graph_counts.mark_uncounted(self._conn, playlist_ids)

    def count_playlists(self, playlist_ids: Sequence[int],
                        delta: graph_counts.CountDelta | None = None) -> None:
        """Add uncounted playlists to the graph counts: `delta` is what their rows add,
        when the caller has it; else their rows are read."""
        self._require_write()
        graph_counts.count_playlists(self._conn, playlist_ids, delta)

    def uncount_playlists(self, playlist_ids: Sequence[int]) -> None:
        """Take counted playlists out of the graph counts (before their rows are deleted)."""
        self._require_write()
        if len(playlist_ids):
            graph_counts.apply_delta(
                self._conn, -graph_counts.delta_of_playlists(self._conn, playlist_ids))

    def uncounted_playlists(self) -> list[int]:
        return graph_counts.uncounted(self._conn)

    def count_summary(self, catch_up_rows: int) -> tuple[graph_counts.CountSummary, int]:
        """(histograms and counters, playlists left out): uncounted playlists are counted
        on the fly (nothing stored) when they hold at most `catch_up_rows` rows."""
        summary = graph_counts.read_summary(self._conn)
        pending = graph_counts.uncounted(self._conn)
        if pending and graph_counts.uncounted_rows(self._conn) <= catch_up_rows:
            delta = graph_counts.delta_of_playlists(self._conn, pending)
            return graph_counts.apply_delta(self._conn, delta, summary, write=False), 0
        return summary, len(pending)

    def record_slice(self, name: str, playlists: int, skipped: int, at: str) -> None:
        self._require_write()
        self._conn.execute(
            "INSERT INTO ingested_slices (name, playlists, skipped, ingested_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET playlists = excluded.playlists, "
            "skipped = excluded.skipped, ingested_at = excluded.ingested_at "
            "WHERE playlists != excluded.playlists OR skipped != excluded.skipped",
            (name, playlists, skipped, at))

    def put_audio_features(self, rows: Iterable[tuple[str, dict[str, float | None]]],
                           source: str) -> int:
        """Store features for tracks given by URI; rows for unknown tracks are dropped.

        Returns how many rows were stored (inserted or changed).
        """
        self._require_write()
        cols = ", ".join(AUDIO_FEATURES)
        marks = ", ".join("?" * len(AUDIO_FEATURES))
        # A file without some column (or with an empty cell) keeps the stored value.
        updates = ", ".join(f"{c} = coalesce(excluded.{c}, audio_features.{c})"
                            for c in (*AUDIO_FEATURES, "source"))
        changed = " OR ".join(f"(excluded.{c} IS NOT NULL AND audio_features.{c} IS NOT excluded.{c})"
                              for c in (*AUDIO_FEATURES, "source"))
        before = self._conn.total_changes
        self._conn.executemany(
            f"INSERT INTO audio_features (track_id, {cols}, source) "
            f"SELECT id, {marks}, ? FROM tracks WHERE uri = ? "
            f"ON CONFLICT (track_id) DO UPDATE SET {updates} WHERE {changed}",
            ((*(feats.get(c) for c in AUDIO_FEATURES), source, uri) for uri, feats in rows))
        return self._conn.total_changes - before

    def _ids_by_uri(self, table: str, uris: Iterable[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for chunk in chunked(uris):
            out.update(self._conn.execute(
                f"SELECT uri, id FROM {table} WHERE uri IN ({','.join('?' * len(chunk))})", chunk))
        return out

    # ---- reads for the model and the dashboard --------------------------------------

    def count(self, table: str) -> int:
        if table not in {"tracks", "artists", "albums", "playlists", "playlist_tracks",
                         "track_artists", "audio_features", "ingested_slices"}:
            raise ValueError(f"unknown table {table!r}")
        return self._conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    def playlist_track_edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(playlist_id, position, track_id) int64 arrays for every playlist–track row,
        sorted by playlist then position."""
        return self.query_int_columns(
            "SELECT playlist_id, position, track_id FROM playlist_tracks "
            "ORDER BY playlist_id, position", 3)

    def track_artist_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """(track_id, artist_id) for the primary (first) artist of each track."""
        return self.query_int_columns(
            "SELECT track_id, artist_id FROM track_artists WHERE position = 0", 2)

    def track_ids(self) -> np.ndarray:
        return self.query_int_columns("SELECT id FROM tracks ORDER BY id", 1)[0]

    def playlist_ids(self, source: str | None = None) -> np.ndarray:
        if source is None:
            return self.query_int_columns("SELECT id FROM playlists ORDER BY id", 1)[0]
        return self.query_int_columns(
            "SELECT id FROM playlists WHERE source = ? ORDER BY id", 1, (source,))[0]

    def audio_feature_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """(track_id int64 [n], features float64 [n, 11]) with NaN where a value is missing."""
        rows = self._conn.execute(
            f"SELECT track_id, {', '.join(AUDIO_FEATURES)} FROM audio_features ORDER BY track_id"
        ).fetchall()
        if not rows:
            return np.zeros(0, np.int64), np.zeros((0, len(AUDIO_FEATURES)))
        arr = np.array(rows, dtype=np.float64)  # None becomes nan
        return arr[:, 0].astype(np.int64), arr[:, 1:]

    def playlists(self, ids: Sequence[int] | None = None) -> list[dict]:
        """Playlist metadata rows as dicts (all, or those with the given ids)."""
        sql = f"SELECT id, {', '.join(_PLAYLIST_COLUMNS)} FROM playlists"
        return self._dict_rows(sql, ids)

    def tracks(self, ids: Sequence[int] | None = None) -> list[dict]:
        """Track rows with album name and primary artist (id, uri, name, artist, ...)."""
        sql = ("SELECT t.id, t.uri, t.name, t.duration_ms, al.uri AS album_uri, al.name AS album, "
               "ar.id AS artist_id, ar.uri AS artist_uri, ar.name AS artist "
               "FROM tracks t LEFT JOIN albums al ON al.id = t.album_id "
               "LEFT JOIN track_artists ta ON ta.track_id = t.id AND ta.position = 0 "
               "LEFT JOIN artists ar ON ar.id = ta.artist_id")
        return self._dict_rows(sql, ids, id_column="t.id")

    def track_ids_for_uris(self, uris: Iterable[str]) -> dict[str, int]:
        return self._ids_by_uri("tracks", uris)

    def playlist_track_ids(self, playlist_id: int) -> list[int]:
        return [r[0] for r in self._conn.execute(
            "SELECT track_id FROM playlist_tracks WHERE playlist_id = ? ORDER BY position",
            (playlist_id,))]

    def _dict_rows(self, sql: str, ids: Sequence[int] | None, id_column: str = "id") -> list[dict]:
        if ids is None:
            return self.query_dicts(sql + f" ORDER BY {id_column}")
        return [row for chunk in chunked(ids) for row in self.query_dicts(
            sql + f" WHERE {id_column} IN ({','.join('?' * len(chunk))})", chunk)]


def chunked(items: Iterable, size: int = _CHUNK) -> list[list]:
    """Distinct items in order, in slices of at most `size`, for `IN (...)` lookups."""
    items = list(dict.fromkeys(items))
    return [items[i:i + size] for i in range(0, len(items), size)]


def merge_tracks(a: TrackRecord, b: TrackRecord) -> TrackRecord:
    """One record from two sightings of a track: what either says, the first one winning."""
    artists = a.artists + tuple(x for x in b.artists if x.uri not in {y.uri for y in a.artists})
    return TrackRecord(a.uri, a.name or b.name, artists, a.album_uri or b.album_uri,
                       a.album_name or b.album_name,
                       a.duration_ms if a.duration_ms is not None else b.duration_ms)
