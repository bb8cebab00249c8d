"""Reads over the catalog's tables beyond the `Catalog` read methods.

Finding playlists (by source id, by exact title, by title words), tracks by name or
artist, playlist owners and their tracks, and the co-occurrence evidence behind a
recommendation ("why"). Every result is small: search results and evidence are capped,
so no caller can pull the edge table through here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from data.store import Catalog

_MAX_SEEDS = 500  # seeds considered when explaining a recommendation (bounds the IN list)


def _like_pattern(query: str) -> str:
    """A LIKE pattern matching `query` anywhere; the user's % and _ match themselves."""
    escaped = query.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# ---- a playlist by what a user typed ------------------------------------------------

def playlist_by_source(catalog: Catalog, source: str, source_id: str) -> int | None:
    """The catalog id of the playlist with this source ('mpd' or 'spotify') and id, if stored."""
    row = catalog.query("SELECT id FROM playlists WHERE source = ? AND source_id = ?",
                        (source, source_id)).fetchone()
    return row[0] if row else None


def playlists_titled(catalog: Catalog, title: str, limit: int = 10) -> list[int]:
    """Ids of the playlists whose title is `title`, ignoring case and outer spaces."""
    return [r[0] for r in catalog.query(
        "SELECT id FROM playlists WHERE lower(trim(name)) = lower(trim(?)) ORDER BY id LIMIT ?",
        (title, limit))]


# ---- search -------------------------------------------------------------------------

def search_playlists(catalog: Catalog, query: str, limit: int = 50) -> list[dict]:
    """Playlists with stored tracks whose title contains `query` (case-insensitive),
    longest first.

    Each row: id, name, source, source_id, owner_name, tracks (rows in the store).
    Ranked by the length the source reported (stored rows where it reported none), so
    only the `limit` rows returned are counted. An empty query lists the longest playlists.
    Playlists without stored tracks (crawled ones whose items the API refused) are left
    out: they report a length but there is nothing to recommend from.
    """
    return catalog.query_dicts(
        "SELECT m.id, m.name, m.source, m.source_id, m.owner_name, "
        "(SELECT count(*) FROM playlist_tracks pt WHERE pt.playlist_id = m.id) AS tracks "
        "FROM (SELECT p.id, p.name, p.source, p.source_id, p.owner_name, "
        "      coalesce(p.num_tracks, (SELECT count(*) FROM playlist_tracks pt "
        "                              WHERE pt.playlist_id = p.id)) AS length "
        "      FROM playlists p WHERE p.name LIKE ? ESCAPE '\\' "
        "      AND EXISTS (SELECT 1 FROM playlist_tracks pt WHERE pt.playlist_id = p.id) "
        "      ORDER BY length DESC, p.id LIMIT ?) m "
        "ORDER BY m.length DESC, m.id",
        (_like_pattern(query), limit))


_TRACK_HITS = 5000  # matches ranked by popularity; past this, the first found are ranked


def search_tracks(catalog: Catalog, query: str, limit: int = 50) -> list[dict]:
    """Tracks whose name or (any) artist name contains `query`, most-listed first.

    Each row: id, name, artist (primary), playlists (distinct playlists holding it).
    """
    pattern = _like_pattern(query)
    return catalog.query_dicts(
        "WITH hits AS ("
        "  SELECT id FROM tracks WHERE name LIKE ?1 ESCAPE '\\' "
        "  UNION SELECT ta.track_id FROM artists a "
        "  JOIN track_artists ta ON ta.artist_id = a.id WHERE a.name LIKE ?1 ESCAPE '\\' "
        "  LIMIT ?3) "
        "SELECT t.id, t.name, ar.name AS artist, "
        "(SELECT count(DISTINCT pt.playlist_id) FROM playlist_tracks pt "
        " WHERE pt.track_id = t.id) AS playlists "
        "FROM hits h JOIN tracks t ON t.id = h.id "
        "LEFT JOIN track_artists ta ON ta.track_id = t.id AND ta.position = 0 "
        "LEFT JOIN artists ar ON ar.id = ta.artist_id "
        "ORDER BY playlists DESC, t.id LIMIT ?2",
        (pattern, limit, _TRACK_HITS))


# ---- owners (users) -----------------------------------------------------------------

def playlist_owners(catalog: Catalog, source: str = "spotify") -> list[dict]:
    """Owners of `source` playlists that hold tracks: owner_id, owner_name, playlists, tracks.

    `tracks` counts distinct tracks over all the owner's playlists. Largest first.
    """
    return catalog.query_dicts(
        "SELECT p.owner_id, max(p.owner_name) AS owner_name, "
        "count(DISTINCT p.id) AS playlists, count(DISTINCT pt.track_id) AS tracks "
        "FROM playlists p JOIN playlist_tracks pt ON pt.playlist_id = p.id "
        "WHERE p.source = ? AND p.owner_id IS NOT NULL "
        "GROUP BY p.owner_id ORDER BY tracks DESC, p.owner_id",
        (source,))


def owner_track_ids(catalog: Catalog, owner_id: str, source: str = "spotify") -> list[int]:
    """All tracks of the owner's playlists merged: distinct, in playlist then position order."""
    seen: dict[int, None] = {}
    for (track_id,) in catalog.query(
            "SELECT pt.track_id FROM playlists p JOIN playlist_tracks pt ON pt.playlist_id = p.id "
            "WHERE p.source = ? AND p.owner_id = ? ORDER BY p.id, pt.position",
            (source, owner_id)):
        seen.setdefault(track_id, None)
    return list(seen)


# ---- why: co-occurrence evidence ------------------------------------------------------

@dataclass
class Evidence:
    """Why a track fits a seed list: the seeds it shares playlists with."""
    track_id: int
    shared_playlists: int = 0  # distinct playlists holding the track and at least one seed
    # (seed id, shared playlists), most shared first
    seeds: list[tuple[int, int]] = field(default_factory=list)
    example_playlists: list[str] = field(default_factory=list)  # names of some shared playlists


def cooccurrence_evidence(catalog: Catalog, seed_ids: Sequence[int], track_ids: Sequence[int],
                          *, max_seeds_per_track: int = 3,
                          max_examples: int = 3) -> dict[int, Evidence]:
    """For each of `track_ids`: the playlists it shares with any of `seed_ids`.

    Counts distinct playlists. Example playlists are those sharing the most seeds with
    the track. (The seed playlist itself, when stored, never counts: recommendations
    exclude its tracks.) One pass over the (track, playlist, seed) join; the counting
    happens here. The join meets the seeds' playlists and the tracks' playlists on the
    track index: its cost is the seeds' and tracks' degrees, never the rows of every
    playlist that holds a track.
    """
    seeds = list(dict.fromkeys(int(s) for s in seed_ids))[:_MAX_SEEDS]
    tracks = list(dict.fromkeys(int(t) for t in track_ids))
    out = {t: Evidence(track_id=t) for t in tracks}
    if not seeds or not tracks:
        return out
    seed_marks = ",".join("?" * len(seeds))
    track_marks = ",".join("?" * len(tracks))
    per_seed: dict[int, dict[int, set[int]]] = {t: {} for t in tracks}  # track -> seed -> playlists
    per_playlist: dict[int, dict[int, set[int]]] = {t: {} for t in tracks}  # track -> pl -> seeds
    for track_id, playlist_id, seed_id in catalog.query(
            f"WITH seeded AS MATERIALIZED (SELECT DISTINCT playlist_id, track_id AS seed_id "
            f"  FROM playlist_tracks WHERE track_id IN ({seed_marks})) "
            f"SELECT DISTINCT a.track_id, a.playlist_id, s.seed_id "
            f"FROM playlist_tracks a JOIN seeded s ON s.playlist_id = a.playlist_id "
            f"WHERE a.track_id IN ({track_marks})",
            (*seeds, *tracks)):
        per_seed[track_id].setdefault(seed_id, set()).add(playlist_id)
        per_playlist[track_id].setdefault(playlist_id, set()).add(seed_id)
    examples: dict[int, list[int]] = {}
    for track_id, ev in out.items():
        ev.shared_playlists = len(per_playlist[track_id])
        ranked = sorted(((len(pls), seed) for seed, pls in per_seed[track_id].items()),
                        key=lambda x: (-x[0], x[1]))
        ev.seeds = [(seed, n) for n, seed in ranked[:max_seeds_per_track]]
        examples[track_id] = sorted(per_playlist[track_id],
                                    key=lambda p: (-len(per_playlist[track_id][p]), p)
                                    )[:max_examples]
    wanted = sorted({p for ids in examples.values() for p in ids})
    names = {row["id"]: row["name"] for row in catalog.playlists(wanted)} if wanted else {}
    for track_id, ids in examples.items():
        out[track_id].example_playlists = [names[p] for p in ids if p in names]
    return out
