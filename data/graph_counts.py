"""Graph statistics kept at write time, so that no read rescans the playlist–track rows.

Per track and per artist the store keeps how many distinct playlists of each source
hold it (`track_playlist_counts`, `artist_playlist_counts`), the degree histograms
(`degree_histogram`) and a few counters (`graph_counters`). Every write that changes
a playlist's tracks changes them by a `CountDelta` in the same transaction:

- a crawl's `set_playlist_tracks` takes the playlist's old rows out and its new ones
  in; an artist link added to a stored track takes its playlists out and in again;
- an MPD ingest adds its playlists to `uncounted_playlists` slice by slice and counts
  them all at once at its end, from the rows it wrote (or, should another process have
  written in between, from the store). A killed ingest leaves them there; the next
  ingest counts them, and until then a read counts them on the fly.

Degrees count distinct neighbours: a playlist's degree is its number of distinct
tracks, a track's the number of distinct playlists holding it, an artist's the number
of distinct playlists holding any of its tracks.
"""
from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

SOURCES = ("mpd", "spotify")  # count columns: source code = index
# Which count column each playlist source adds to: a real MPD copy and the bundled sample
# are both MPD-format data; a user's export sits with the crawl side.
SPOTIFY_SIDE_SQL = "('spotify', 'export')"
KINDS = ("playlist", "track", "artist")
_CHUNK = 5000
_WHOLE_TABLE = 200_000  # from this many touched ids on, read the whole counts table
_WRITE_ROWS = 100_000  # count rows written per executemany


@dataclass
class CountDelta:
    """A change of the counts: per node id and source, distinct playlists gained (or lost)."""
    track_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    track_counts: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.int64))
    artist_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    artist_counts: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.int64))
    playlist_degrees: Counter = field(default_factory=Counter)  # degree -> playlists (±)
    rows: int = 0  # playlist-track rows (±)

    def __add__(self, other: "CountDelta") -> "CountDelta":
        t_ids, t_counts = _merge(self.track_ids, self.track_counts, other.track_ids,
                                 other.track_counts)
        a_ids, a_counts = _merge(self.artist_ids, self.artist_counts, other.artist_ids,
                                 other.artist_counts)
        degrees = Counter(self.playlist_degrees)
        degrees.update(other.playlist_degrees)
        return CountDelta(t_ids, t_counts, a_ids, a_counts, degrees, self.rows + other.rows)

    def __neg__(self) -> "CountDelta":
        return CountDelta(self.track_ids, -self.track_counts, self.artist_ids,
                          -self.artist_counts, Counter({d: -n for d, n in
                                                        self.playlist_degrees.items()}),
                          -self.rows)


class DeltaSum:
    """The sum of many deltas in dense arrays indexed by node id: adding a slice's delta
    costs that delta's size, not the catalog's."""

    def __init__(self) -> None:
        self.tracks = np.zeros((0, 2), np.int64)
        self.artists = np.zeros((0, 2), np.int64)
        self.degrees: Counter = Counter()
        self.rows = 0
        self.playlists: list[np.ndarray] = []  # the ids the deltas are of (kept by the caller)

    def add(self, delta: CountDelta) -> None:
        self.tracks = _add_dense(self.tracks, delta.track_ids, delta.track_counts)
        self.artists = _add_dense(self.artists, delta.artist_ids, delta.artist_counts)
        self.degrees.update(delta.playlist_degrees)
        self.rows += delta.rows

    def total(self) -> CountDelta:
        t = np.flatnonzero(self.tracks.any(1))
        a = np.flatnonzero(self.artists.any(1))
        return CountDelta(t, self.tracks[t], a, self.artists[a], Counter(self.degrees), self.rows)


def _add_dense(dense: np.ndarray, ids: np.ndarray, counts: np.ndarray) -> np.ndarray:
    if len(ids) and int(ids.max()) >= len(dense):
        grown = np.zeros((max(int(ids.max()) + 1, 2 * len(dense)), 2), np.int64)
        grown[:len(dense)] = dense
        dense = grown
    dense[ids] += counts  # ids are distinct within one delta
    return dense


def delta_of_rows(row_playlist: np.ndarray, row_source: np.ndarray, row_track: np.ndarray,
                  link_track: np.ndarray, link_artist: np.ndarray) -> CountDelta:
    """What playlist-track rows add: row_* int64 [R] (a track may repeat in a playlist;
    source 0 mpd, 1 spotify), and every artist link (link_*) of the rows' tracks."""
    if len(row_track) == 0:
        return CountDelta()
    row_playlist = np.asarray(row_playlist, np.int64)
    row_track = np.asarray(row_track, np.int64)
    span = int(row_track.max()) + 1
    keys, first = np.unique(row_playlist * span + row_track, return_index=True)
    playlist, track = keys // span, keys % span
    source = np.asarray(row_source, np.int64)[first]
    _, degree = np.unique(playlist, return_counts=True)
    track_ids, track_counts = _by_source(track, source)

    order = np.argsort(link_track, kind="stable")
    link_track, link_artist = np.asarray(link_track, np.int64)[order], \
        np.asarray(link_artist, np.int64)[order]
    lo = np.searchsorted(link_track, track, "left")
    hi = np.searchsorted(link_track, track, "right")
    n = hi - lo
    pair = np.repeat(np.arange(len(track)), n)
    offset = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    artist = link_artist[lo[pair] + offset]
    a_span = int(artist.max()) + 1 if len(artist) else 1
    a_keys, a_first = np.unique(playlist[pair] * a_span + artist, return_index=True)
    artist_ids, artist_counts = _by_source(a_keys % a_span, source[pair][a_first])
    return CountDelta(track_ids, track_counts, artist_ids, artist_counts,
                      Counter(degree.tolist()), len(row_track))


def delta_of_playlists(conn: sqlite3.Connection, playlist_ids: Iterable[int]) -> CountDelta:
    """What the stored rows of these playlists add (read from the store)."""
    ids = sorted(set(int(i) for i in playlist_ids))
    rows: list[tuple] = []
    for chunk in _chunks(ids):
        rows.extend(conn.execute(
            f"SELECT pt.playlist_id, p.source IN {SPOTIFY_SIDE_SQL}, pt.track_id FROM playlist_tracks pt "
            "JOIN playlists p ON p.id = pt.playlist_id "
            f"WHERE pt.playlist_id IN ({','.join('?' * len(chunk))})", chunk))
    if not rows:
        return CountDelta()
    arr = np.array(rows, np.int64)
    link_track, link_artist = links_of(conn, np.unique(arr[:, 2]))
    return delta_of_rows(arr[:, 0], arr[:, 1], arr[:, 2], link_track, link_artist)


def links_of(conn: sqlite3.Connection, track_ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """(track id, artist id) int64 arrays of every artist link of these tracks."""
    pairs: list[tuple] = []
    for chunk in _chunks(int(t) for t in track_ids):
        pairs.extend(conn.execute(
            "SELECT track_id, artist_id FROM track_artists "
            f"WHERE track_id IN ({','.join('?' * len(chunk))})", chunk))
    arr = np.array(pairs, np.int64).reshape(-1, 2)
    return arr[:, 0], arr[:, 1]


@dataclass
class CountSummary:
    """The small part every read needs: histograms and counters."""
    histograms: dict[str, Counter]  # kind -> {degree: nodes}
    counters: Counter  # see COUNTERS


COUNTERS = ("playlist_track_rows", "playlist_track_edges", "tracks_mpd", "tracks_spotify",
            "tracks_both", "artists_mpd", "artists_spotify", "artists_both")


def read_summary(conn: sqlite3.Connection) -> CountSummary:
    histograms = {kind: Counter() for kind in KINDS}
    for kind, degree, nodes in conn.execute("SELECT kind, degree, nodes FROM degree_histogram"):
        histograms[kind][degree] = nodes
    counters = Counter(dict(conn.execute("SELECT name, value FROM graph_counters")))
    return CountSummary(histograms, counters)


def apply_delta(conn: sqlite3.Connection, delta: CountDelta, summary: CountSummary | None = None,
                *, write: bool = True) -> CountSummary:
    """Add `delta` to the counts; returns the new summary. With write=False nothing is
    stored (a read counting what is not counted yet)."""
    summary = summary or read_summary(conn)
    for name, table, key, ids, counts in (
            ("track", "track_playlist_counts", "track_id", delta.track_ids, delta.track_counts),
            ("artist", "artist_playlist_counts", "artist_id", delta.artist_ids,
             delta.artist_counts)):
        if not len(ids):
            continue
        old = _stored_counts(conn, table, key, ids)
        new = old + counts
        if (new < 0).any():
            raise RuntimeError(f"{table} would go negative: the graph counts are out of step "
                               "with the stored rows; this is a bug, please report it")
        _histogram_move(summary.histograms[name], old.sum(1), new.sum(1))
        plural = f"{name}s"
        for i, source in enumerate(SOURCES):
            summary.counters[f"{plural}_{source}"] += int((new[:, i] > 0).sum() - (old[:, i] > 0).sum())
        summary.counters[f"{plural}_both"] += int((new > 0).all(1).sum() - (old > 0).all(1).sum())
        if name == "track":
            summary.counters["playlist_track_edges"] += int(counts.sum())
        if write:
            keep = new.sum(1) > 0
            kept_ids, kept = ids[keep], new[keep]
            for a in range(0, len(kept_ids), _WRITE_ROWS):  # bounded Python lists
                conn.executemany(
                    f"INSERT INTO {table} ({key}, mpd, spotify) VALUES (?, ?, ?) ON CONFLICT "
                    f"({key}) DO UPDATE SET mpd = excluded.mpd, spotify = excluded.spotify",
                    zip(kept_ids[a:a + _WRITE_ROWS].tolist(), kept[a:a + _WRITE_ROWS, 0].tolist(),
                        kept[a:a + _WRITE_ROWS, 1].tolist()))
            conn.executemany(f"DELETE FROM {table} WHERE {key} = ?",
                             ((i,) for i in ids[~keep].tolist()))
    summary.histograms["playlist"].update(delta.playlist_degrees)
    summary.counters["playlist_track_rows"] += delta.rows
    for kind in KINDS:
        hist = summary.histograms[kind]
        for d in [d for d, n in hist.items() if n == 0]:
            del hist[d]
    if write:
        conn.execute("DELETE FROM degree_histogram")
        conn.executemany("INSERT INTO degree_histogram (kind, degree, nodes) VALUES (?, ?, ?)",
                         ((kind, int(d), int(n)) for kind in KINDS
                          for d, n in summary.histograms[kind].items()))
        conn.executemany("INSERT INTO graph_counters (name, value) VALUES (?, ?) ON CONFLICT "
                         "(name) DO UPDATE SET value = excluded.value",
                         ((name, int(summary.counters[name])) for name in COUNTERS))
    return summary


def mark_uncounted(conn: sqlite3.Connection, playlist_ids: Iterable[int]) -> None:
    conn.executemany("INSERT OR IGNORE INTO uncounted_playlists (playlist_id) VALUES (?)",
                     ((int(i),) for i in playlist_ids))


def uncounted(conn: sqlite3.Connection) -> list[int]:
    return [r[0] for r in conn.execute("SELECT playlist_id FROM uncounted_playlists")]


def uncounted_rows(conn: sqlite3.Connection) -> int:
    """Playlist-track rows not counted yet (from the playlists' num_tracks where known)."""
    return conn.execute(
        "SELECT coalesce(sum(coalesce(p.num_tracks, 100)), 0) FROM uncounted_playlists u "
        "JOIN playlists p ON p.id = u.playlist_id").fetchone()[0]


def count_playlists(conn: sqlite3.Connection, playlist_ids: Sequence[int],
                    delta: CountDelta | None = None) -> None:
    """Count uncounted playlists: add `delta` (what their rows add, when the caller has
    it) or read their rows, and take them off the uncounted list."""
    apply_delta(conn, delta if delta is not None else delta_of_playlists(conn, playlist_ids))
    ids = np.unique(np.asarray(playlist_ids, np.int64))
    breaks = np.flatnonzero(np.diff(ids) != 1)  # runs of consecutive ids: one DELETE each
    firsts = np.concatenate([ids[:1], ids[breaks + 1]]).tolist()
    lasts = np.concatenate([ids[breaks], ids[-1:]]).tolist()
    conn.executemany("DELETE FROM uncounted_playlists WHERE playlist_id BETWEEN ? AND ?",
                     zip(firsts, lasts))


def is_counted(conn: sqlite3.Connection, playlist_id: int) -> bool:
    return conn.execute("SELECT 1 FROM uncounted_playlists WHERE playlist_id = ?",
                        (playlist_id,)).fetchone() is None


def playlists_of_tracks(conn: sqlite3.Connection, track_ids: Sequence[int]) -> list[int]:
    """Counted playlists holding any of these tracks."""
    out: set[int] = set()
    for chunk in _chunks(int(t) for t in track_ids):
        out.update(r[0] for r in conn.execute(
            "SELECT DISTINCT playlist_id FROM playlist_tracks "
            f"WHERE track_id IN ({','.join('?' * len(chunk))}) "
            "AND playlist_id NOT IN (SELECT playlist_id FROM uncounted_playlists)", chunk))
    return sorted(out)


def _stored_counts(conn: sqlite3.Connection, table: str, key: str, ids: np.ndarray) -> np.ndarray:
    """int64 [len(ids), 2]: the stored (mpd, spotify) counts of `ids` (zeros if absent)."""
    out = np.zeros((len(ids), 2), np.int64)
    if len(ids) >= _WHOLE_TABLE:
        flat = np.fromiter((v for row in conn.execute(
            f"SELECT {key}, mpd, spotify FROM {table} ORDER BY {key}") for v in row), np.int64)
        stored = flat.reshape(-1, 3)
        if len(stored):
            pos = np.minimum(np.searchsorted(stored[:, 0], ids), len(stored) - 1)
            hit = stored[pos, 0] == ids
            out[hit] = stored[pos[hit], 1:]
        return out
    where = {int(i): n for n, i in enumerate(ids.tolist())}
    for chunk in _chunks(where):
        for node, mpd, spotify in conn.execute(
                f"SELECT {key}, mpd, spotify FROM {table} "
                f"WHERE {key} IN ({','.join('?' * len(chunk))})", chunk):
            out[where[node]] = (mpd, spotify)
    return out


def _histogram_move(hist: Counter, old: np.ndarray, new: np.ndarray) -> None:
    changed = old != new
    old, new = old[changed], new[changed]
    hist.subtract(Counter(old[old > 0].tolist()))
    hist.update(Counter(new[new > 0].tolist()))


def _by_source(node: np.ndarray, source: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct nodes, int64 [n, 2] occurrences per source)."""
    ids, inverse = np.unique(node, return_inverse=True)
    counts = np.zeros((len(ids), 2), np.int64)
    np.add.at(counts, (inverse, source), 1)
    return ids, counts


def _merge(a_ids, a_counts, b_ids, b_counts) -> tuple[np.ndarray, np.ndarray]:
    ids = np.concatenate([a_ids, b_ids])
    counts = np.concatenate([a_counts, b_counts])
    if not len(ids):
        return ids.astype(np.int64), counts.reshape(0, 2).astype(np.int64)
    distinct, inverse = np.unique(ids, return_inverse=True)
    out = np.zeros((len(distinct), 2), np.int64)
    np.add.at(out, inverse, counts)
    return distinct, out


def _chunks(items: Iterable) -> list[list]:
    items = list(dict.fromkeys(items))
    return [items[i:i + _CHUNK] for i in range(0, len(items), _CHUNK)]
