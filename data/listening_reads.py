"""Reads of imported listening (data.listening): the listeners, a listener's plays as
arrays, the tracks they played with where else the catalog holds them.

A play counts as skipped when the export says `skipped`, or, where it does not say
(older rows, the short history), when it ended by the forward button.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from data.store import Catalog


@dataclass
class ListenerPlays:
    """One listener's plays, ts ascending (int64 / bool arrays of one length)."""
    ts: np.ndarray  # Unix seconds UTC, the end of the play
    track_id: np.ndarray
    ms_played: np.ndarray
    skipped: np.ndarray  # bool
    completed: np.ndarray  # bool: reason_end 'trackdone'

    def __len__(self) -> int:
        return len(self.ts)


def listeners(catalog: Catalog) -> list[dict]:
    """Every listener with plays: id, name, plays, first and last ts; most plays first."""
    return catalog.query_dicts(
        "SELECT l.id, l.name, count(p.ts) AS plays, min(p.ts) AS first_ts, max(p.ts) AS last_ts "
        "FROM listeners l JOIN plays p ON p.listener_id = l.id GROUP BY l.id "
        "ORDER BY plays DESC, l.name")


def listener_id(catalog: Catalog, name: str) -> int | None:
    row = catalog.query("SELECT id FROM listeners WHERE name = ?", (name,)).fetchone()
    return row[0] if row else None


def listener_plays(catalog: Catalog, listener: int, since_ts: int | None = None) -> ListenerPlays:
    """The plays of `listener` (an id), all or those ending at or after `since_ts`."""
    # The two flags travel as one column: a column less is a tenth less time at 100K plays.
    ts, track, ms, flags = catalog.query_int_columns(
        "SELECT ts, track_id, ms_played, coalesce(skipped, reason_end = 'fwdbtn', 0) "
        "+ 2 * coalesce(reason_end = 'trackdone', 0) FROM plays "
        "WHERE listener_id = ? AND ts >= ? ORDER BY ts", 4,
        (listener, since_ts if since_ts is not None else -2**62))
    return ListenerPlays(ts, track, ms, (flags & 1).astype(bool), (flags & 2).astype(bool))


def played_tracks(catalog: Catalog, listener: int) -> list[dict]:
    """The distinct tracks `listener` played: track_id, name, artist, and whether an MPD
    playlist ('mpd', 'sample') or a crawled one ('spotify') also holds it (the
    listener's own export playlists are not counted as other sources)."""
    return catalog.query_dicts(
        "SELECT t.id AS track_id, t.name, coalesce(ar.name, '') AS artist, "
        "coalesce(c.mpd, 0) > 0 AS in_mpd, "
        "coalesce(c.spotify, 0) > 0 AND EXISTS (SELECT 1 FROM playlist_tracks pt "
        "  JOIN playlists pl ON pl.id = pt.playlist_id "
        "  WHERE pt.track_id = t.id AND pl.source = 'spotify') AS in_crawl "
        "FROM (SELECT DISTINCT track_id FROM plays WHERE listener_id = ?) x "
        "JOIN tracks t ON t.id = x.track_id "
        "LEFT JOIN track_artists ta ON ta.track_id = t.id AND ta.position = 0 "
        "LEFT JOIN artists ar ON ar.id = ta.artist_id "
        "LEFT JOIN track_playlist_counts c ON c.track_id = t.id ORDER BY t.id", (listener,))


def listening_months(catalog: Catalog) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Each listener-month as a pseudo-playlist (`ml train --listening-as-playlists`):
    (names 'listening <listener> <YYYY-MM>', int64 [M+1] offsets, int64 track ids), the
    distinct tracks of each month in the order of their first play that month."""
    rows = catalog.query(
        "SELECT l.name, strftime('%Y-%m', p.ts, 'unixepoch') AS month, p.track_id, "
        "min(p.ts) AS first FROM plays p JOIN listeners l ON l.id = p.listener_id "
        "GROUP BY p.listener_id, month, p.track_id "
        "ORDER BY p.listener_id, month, first, p.track_id").fetchall()
    names: list[str] = []
    starts: list[int] = []
    for i, (listener, month, _, _) in enumerate(rows):
        name = f"listening {listener} {month}"
        if not names or names[-1] != name:
            names.append(name)
            starts.append(i)
    offsets = np.array([*starts, len(rows)], np.int64)
    return names, offsets, np.array([r[2] for r in rows], np.int64)
