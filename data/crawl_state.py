"""The crawler's tables (migration 2): crawls, frontier and visited playlists, artists and
their searches, the playlist–artist graph, and the page cache of the unit in flight.

The crawler's writes and the frontier it works from; what the dashboard and the
analytics read about a crawl is in `data.crawl_reads`. Writes must run inside
`Catalog.write()`, so a crawler commits one playlist's whole unit (its catalog rows and
these) in one transaction.
Artists are passed in and out by URI; the tables keep the catalog's artist ids.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable, Sequence

from data.store import Catalog, chunked

COUNTERS = ("requests", "retries", "rate_limited", "waits", "wait_s",
            "skipped_null", "skipped_local", "skipped_episode", "skipped_invalid")
SKIP_KINDS = ("null", "local", "episode", "invalid")
STATES = ("running", "stopped", "done", "failed")


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class DiscoveredPlaylist:
    """A playlist as a crawl first met it (seed, search result or the user's list)."""
    spotify_id: str
    name: str | None = None
    description: str | None = None
    owner_id: str | None = None
    owner_name: str | None = None
    collaborative: bool | None = None
    total: int | None = None  # items, as the API reported them


@dataclass(frozen=True)
class FrontierEntry:
    playlist: DiscoveredPlaylist
    seq: int
    depth: int
    found_via: str | None  # artist URI; None for seeds


@dataclass(frozen=True)
class PendingArtist:
    uri: str
    name: str
    seq: int
    depth: int  # depth of the playlist the crawl first met the artist in


@dataclass(frozen=True)
class CrawlRow:
    id: int
    seeds: list[str]
    config: dict
    state: str
    message: str | None
    resume_after: str | None
    pid: int | None
    started_at: str
    updated_at: str
    counters: dict[str, float]
    features: str | None


# ---- crawls ---------------------------------------------------------------------------

def create_crawl(catalog: Catalog, seeds: Sequence[DiscoveredPlaylist], config: dict,
                 pid: int) -> int:
    """A new crawl in state 'running' with its seeds queued at depth 0."""
    at = now_iso()
    crawl_id = catalog.execute(
        "INSERT INTO crawls (seeds, config, state, pid, started_at, updated_at) "
        "VALUES (?, ?, 'running', ?, ?, ?) RETURNING id",
        (json.dumps([s.spotify_id for s in seeds]), json.dumps(config), pid, at, at)).fetchone()[0]
    enqueue(catalog, crawl_id, [FrontierEntry(s, seq, 0, None) for seq, s in enumerate(seeds)])
    return crawl_id


def latest_crawl(catalog: Catalog) -> CrawlRow | None:
    row = catalog.query("SELECT max(id) FROM crawls").fetchone()
    return get_crawl(catalog, row[0]) if row[0] is not None else None


def get_crawl(catalog: Catalog, crawl_id: int) -> CrawlRow | None:
    cur = catalog.query(
        f"SELECT id, seeds, config, state, message, resume_after, pid, started_at, updated_at, "
        f"features, {', '.join(COUNTERS)} FROM crawls WHERE id = ?", (crawl_id,))
    row = cur.fetchone()
    if row is None:
        return None
    return CrawlRow(id=row[0], seeds=json.loads(row[1]), config=json.loads(row[2]), state=row[3],
                    message=row[4], resume_after=row[5], pid=row[6], started_at=row[7],
                    updated_at=row[8], features=row[9], counters=dict(zip(COUNTERS, row[10:])))


def set_crawl_state(catalog: Catalog, crawl_id: int, state: str, *, message: str | None = None,
                    resume_after: str | None = None, pid: int | None = None) -> None:
    if state not in STATES:
        raise ValueError(f"unknown crawl state {state!r}")
    catalog.execute(
        "UPDATE crawls SET state = ?, message = ?, resume_after = ?, pid = ?, updated_at = ? "
        "WHERE id = ?", (state, message, resume_after, pid, now_iso(), crawl_id))


def update_config(catalog: Catalog, crawl_id: int, config: dict) -> None:
    catalog.execute("UPDATE crawls SET config = ? WHERE id = ?",
                         (json.dumps(config), crawl_id))


def set_features_outcome(catalog: Catalog, crawl_id: int, outcome: str) -> None:
    catalog.execute("UPDATE crawls SET features = ? WHERE id = ?", (outcome, crawl_id))


def save_counters(catalog: Catalog, crawl_id: int, counters: dict[str, float]) -> None:
    """Store the crawl's counters (absolute values, not increments)."""
    names = [c for c in COUNTERS if c in counters]
    catalog.execute(
        f"UPDATE crawls SET {', '.join(f'{c} = ?' for c in names)}, updated_at = ? WHERE id = ?",
        (*(counters[c] for c in names), now_iso(), crawl_id))


# ---- the frontier and the visited set --------------------------------------------------

def enqueue(catalog: Catalog, crawl_id: int, entries: Iterable[FrontierEntry]) -> None:
    """Queue playlists the crawl has not met before (ones it has met are left as they are)."""
    catalog.executemany(
        "INSERT OR IGNORE INTO crawl_playlists (crawl_id, spotify_id, seq, depth, found_via, "
        "status, name, description, owner_id, owner_name, collaborative, total) "
        "VALUES (?, ?, ?, ?, (SELECT id FROM artists WHERE uri = ?), 'queued', ?, ?, ?, ?, ?, ?)",
        ((crawl_id, e.playlist.spotify_id, e.seq, e.depth, e.found_via, e.playlist.name,
          e.playlist.description, e.playlist.owner_id, e.playlist.owner_name,
          None if e.playlist.collaborative is None else int(e.playlist.collaborative),
          e.playlist.total) for e in entries))


def next_queued(catalog: Catalog, crawl_id: int) -> FrontierEntry | None:
    """The frontier's head: the queued playlist met first."""
    row = catalog.query(
        "SELECT cp.spotify_id, cp.name, cp.description, cp.owner_id, cp.owner_name, "
        "cp.collaborative, cp.total, cp.seq, cp.depth, a.uri FROM crawl_playlists cp "
        "LEFT JOIN artists a ON a.id = cp.found_via "
        "WHERE cp.crawl_id = ? AND cp.status = 'queued' ORDER BY cp.seq LIMIT 1",
        (crawl_id,)).fetchone()
    if row is None:
        return None
    playlist = DiscoveredPlaylist(row[0], row[1], row[2], row[3], row[4],
                                  None if row[5] is None else bool(row[5]), row[6])
    return FrontierEntry(playlist, seq=row[7], depth=row[8], found_via=row[9])


def mark_visited(catalog: Catalog, crawl_id: int, spotify_id: str, *, status: str,
                 visit_seq: int, playlist_id: int, tracks: int | None = None,
                 skipped: int | None = None, reason: str | None = None) -> None:
    if status not in ("crawled", "unreachable"):
        raise ValueError(f"unknown visit status {status!r}")
    catalog.execute(
        "UPDATE crawl_playlists SET status = ?, visit_seq = ?, playlist_id = ?, tracks = ?, "
        "skipped = ?, reason = ? WHERE crawl_id = ? AND spotify_id = ?",
        (status, visit_seq, playlist_id, tracks, skipped, reason, crawl_id, spotify_id))


def known_playlists(catalog: Catalog, crawl_id: int, spotify_ids: Iterable[str]) -> set[str]:
    """Those of `spotify_ids` the crawl has met (queued or visited)."""
    found: set[str] = set()
    for chunk in chunked(spotify_ids):
        found.update(r[0] for r in catalog.query(
            f"SELECT spotify_id FROM crawl_playlists WHERE crawl_id = ? "
            f"AND spotify_id IN ({','.join('?' * len(chunk))})", (crawl_id, *chunk)))
    return found


def sequence_heads(catalog: Catalog, crawl_id: int) -> dict[str, int]:
    """The next free playlist seq, visit seq and artist seq of a crawl."""

    return {
        "playlist": catalog.query("SELECT coalesce(max(seq), -1) + 1 FROM crawl_playlists "
                              "WHERE crawl_id = ?", (crawl_id,)).fetchone()[0],
        "visit": catalog.query("SELECT coalesce(max(visit_seq), -1) + 1 FROM crawl_playlists "
                           "WHERE crawl_id = ?", (crawl_id,)).fetchone()[0],
        "artist": catalog.query("SELECT coalesce(max(seq), -1) + 1 FROM crawl_artists "
                            "WHERE crawl_id = ?", (crawl_id,)).fetchone()[0],
    }


def status_counts(catalog: Catalog, crawl_id: int) -> dict[str, int]:
    counts = {"queued": 0, "crawled": 0, "unreachable": 0}
    counts.update(catalog.query(
        "SELECT status, count(*) FROM crawl_playlists WHERE crawl_id = ? GROUP BY status",
        (crawl_id,)))
    return counts


# ---- artists and their searches ----------------------------------------------------------

def known_artists(catalog: Catalog, crawl_id: int, uris: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for chunk in chunked(uris):
        found.update(r[0] for r in catalog.query(
            f"SELECT a.uri FROM crawl_artists ca JOIN artists a ON a.id = ca.artist_id "
            f"WHERE ca.crawl_id = ? AND a.uri IN ({','.join('?' * len(chunk))})",
            (crawl_id, *chunk)))
    return found


def add_artists(catalog: Catalog, crawl_id: int, artists: Iterable[PendingArtist]) -> None:
    """Record artists met for the first time (already stored in `artists` by URI)."""
    catalog.executemany(
        "INSERT OR IGNORE INTO crawl_artists (crawl_id, artist_id, seq, depth) "
        "SELECT ?, id, ?, ? FROM artists WHERE uri = ?",
        ((crawl_id, a.seq, a.depth, a.uri) for a in artists))


def pending_artists(catalog: Catalog, crawl_id: int, max_depth: int, *, after_seq: int = -1,
                    limit: int = 100) -> list[PendingArtist]:
    """Up to `limit` artists not searched yet (seq > after_seq) whose finds would stay
    within `max_depth`, in seq order."""
    return [PendingArtist(*row) for row in catalog.query(
        "SELECT a.uri, a.name, ca.seq, ca.depth FROM crawl_artists ca "
        "JOIN artists a ON a.id = ca.artist_id "
        "WHERE ca.crawl_id = ? AND ca.searched = 0 AND ca.seq > ? AND ca.depth < ? "
        "ORDER BY ca.seq LIMIT ?", (crawl_id, after_seq, max_depth, limit))]


def searched_query(catalog: Catalog, crawl_id: int, query: str) -> list[str] | None:
    """The playlists (in rank order) an earlier search with the same query found, or None."""
    row = catalog.query(
        "SELECT artist_id FROM crawl_artists WHERE crawl_id = ? AND query = ? AND searched = 1 "
        "LIMIT 1", (crawl_id, query)).fetchone()
    if row is None:
        return None
    return [r[0] for r in catalog.query(
        "SELECT spotify_id FROM crawl_artist_finds WHERE crawl_id = ? AND artist_id = ? "
        "ORDER BY rank", (crawl_id, row[0]))]


def mark_searched(catalog: Catalog, crawl_id: int, artist_uri: str, *, query: str, pages: int,
                  found: Sequence[str]) -> None:
    """Record an artist's search and its finds (artist → playlist edges, in rank order)."""
    artist_id = catalog.query("SELECT id FROM artists WHERE uri = ?",
                              (artist_uri,)).fetchone()[0]
    catalog.execute("UPDATE crawl_artists SET searched = 1, query = ?, pages = ?, found = ? "
                    "WHERE crawl_id = ? AND artist_id = ?",
                    (query, pages, len(found), crawl_id, artist_id))
    catalog.executemany("INSERT OR IGNORE INTO crawl_artist_finds "
                        "(crawl_id, artist_id, spotify_id, rank) VALUES (?, ?, ?, ?)",
                        ((crawl_id, artist_id, sid, rank) for rank, sid in enumerate(found)))


def add_playlist_artists(catalog: Catalog, crawl_id: int, spotify_id: str,
                         track_counts: dict[str, int]) -> None:
    """Playlist–artist edges: {artist URI: tracks by that artist in the playlist}."""
    catalog.executemany(
        "INSERT INTO crawl_playlist_artists (crawl_id, spotify_id, artist_id, tracks) "
        "SELECT ?, ?, id, ? FROM artists WHERE uri = ? "
        "ON CONFLICT DO UPDATE SET tracks = excluded.tracks",
        ((crawl_id, spotify_id, n, uri) for uri, n in track_counts.items()))


def uris_with_features(catalog: Catalog, uris: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for chunk in chunked(uris):
        found.update(r[0] for r in catalog.query(
            f"SELECT t.uri FROM tracks t JOIN audio_features af ON af.track_id = t.id "
            f"WHERE t.uri IN ({','.join('?' * len(chunk))})", chunk))
    return found


# ---- the page cache of the unit in flight ------------------------------------------------

def put_page(catalog: Catalog, crawl_id: int, kind: str, key: str, page: int, status: int,
             body: bytes) -> None:
    catalog.execute(
        "INSERT OR REPLACE INTO crawl_pages (crawl_id, kind, key, page, status, body) "
        "VALUES (?, ?, ?, ?, ?, ?)", (crawl_id, kind, key, page, status, body))


def cached_page(catalog: Catalog, crawl_id: int, kind: str, key: str,
                page: int) -> tuple[int, bytes] | None:
    row = catalog.query(
        "SELECT status, body FROM crawl_pages WHERE crawl_id = ? AND kind = ? AND key = ? "
        "AND page = ?", (crawl_id, kind, key, page)).fetchone()
    return None if row is None else (row[0], bytes(row[1]))


def drop_pages(catalog: Catalog, crawl_id: int, kind: str, keys: Iterable[str]) -> None:
    catalog.executemany("DELETE FROM crawl_pages WHERE crawl_id = ? AND kind = ? AND key = ?",
                             ((crawl_id, kind, k) for k in keys))
