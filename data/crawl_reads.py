"""What a crawl looks like from outside, for the dashboard and the crawler's analytics:
its live progress, its playlists (visited, unreachable, the frontier) and the
playlist–artist and artist → found-playlist edges. Reads only; the crawler's writes
and the frontier it works from are in `data.crawl_state`.
"""
from __future__ import annotations

from data.crawl_state import SKIP_KINDS, get_crawl, latest_crawl, status_counts
from data.store import Catalog


def crawl_progress(catalog: Catalog, crawl_id: int | None = None) -> dict:
    """Live progress of a crawl (the latest one by default); {} when there is none.

    Keys: crawl_id, state, message, resume_after, seeds, started_at, updated_at, pid,
    max_playlists, max_depth, max_requests, visited, crawled, unreachable, frontier,
    artists, artists_searched, requests, retries, rate_limited, waits, wait_s,
    skipped (dict by kind), skipped_total, features.
    """
    crawl = get_crawl(catalog, crawl_id) if crawl_id is not None else latest_crawl(catalog)
    if crawl is None:
        return {}
    counts = status_counts(catalog, crawl.id)
    artists, searched = catalog.query(
        "SELECT count(*), coalesce(sum(searched), 0) FROM crawl_artists WHERE crawl_id = ?",
        (crawl.id,)).fetchone()
    skipped = {k: int(crawl.counters[f"skipped_{k}"]) for k in SKIP_KINDS}
    return {
        "crawl_id": crawl.id, "state": crawl.state, "message": crawl.message,
        "resume_after": crawl.resume_after, "seeds": crawl.seeds,
        "started_at": crawl.started_at, "updated_at": crawl.updated_at, "pid": crawl.pid,
        "max_playlists": crawl.config.get("max_playlists"),
        "max_depth": crawl.config.get("max_depth"),
        "max_requests": crawl.config.get("max_requests"),
        "visited": counts["crawled"] + counts["unreachable"], "crawled": counts["crawled"],
        "unreachable": counts["unreachable"], "frontier": counts["queued"],
        "artists": artists, "artists_searched": searched,
        **{c: crawl.counters[c] for c in ("requests", "retries", "rate_limited", "waits")},
        "wait_s": float(crawl.counters["wait_s"]),
        "skipped": skipped, "skipped_total": sum(skipped.values()), "features": crawl.features,
    }


def crawl_playlists(catalog: Catalog, crawl_id: int | None = None, *,
                    status: str | None = None, limit: int = 1000) -> list[dict]:
    """The crawl's playlists (visited in visit order, then the frontier in BFS order).

    Keys: spotify_id, name, owner_id, owner_name, depth, found_via (artist name),
    found_via_uri, status, reason, tracks, total, skipped, playlist_id, seq, visit_seq.
    """
    crawl_id = _crawl_id(catalog, crawl_id)
    if crawl_id is None:
        return []
    where, params = "cp.crawl_id = ?", [crawl_id]
    if status is not None:
        where += " AND cp.status = ?"
        params.append(status)
    # A seed is queued before anything is known of it; its name and owner are then only
    # on the stored playlist.
    return catalog.query_dicts(
        "SELECT cp.spotify_id, coalesce(cp.name, p.name) AS name, "
        "coalesce(cp.owner_id, p.owner_id) AS owner_id, "
        "coalesce(cp.owner_name, p.owner_name) AS owner_name, cp.depth, "
        "a.name AS found_via, a.uri AS found_via_uri, cp.status, cp.reason, cp.tracks, "
        "cp.total, cp.skipped, cp.playlist_id, cp.seq, cp.visit_seq FROM crawl_playlists cp "
        "LEFT JOIN playlists p ON p.id = cp.playlist_id "
        f"LEFT JOIN artists a ON a.id = cp.found_via WHERE {where} "
        "ORDER BY cp.visit_seq IS NULL, cp.visit_seq, cp.seq LIMIT ?", (*params, limit))


def unreachable_playlists(catalog: Catalog, crawl_id: int | None = None,
                          limit: int = 1000) -> list[dict]:
    """Playlists whose items the API refused, with the reason (same keys as crawl_playlists)."""
    return crawl_playlists(catalog, crawl_id, status="unreachable", limit=limit)


def frontier(catalog: Catalog, crawl_id: int | None = None, limit: int = 1000) -> list[dict]:
    """The queued playlists in the order the crawl will visit them."""
    return crawl_playlists(catalog, crawl_id, status="queued", limit=limit)


def playlist_artist_edges(catalog: Catalog, crawl_id: int | None = None) -> list[tuple]:
    """(playlist spotify_id, playlist name, artist uri, artist name, tracks) for every
    playlist–artist edge of the crawl (all crawls when crawl_id is None)."""
    where, params = ("", ()) if crawl_id is None else ("WHERE pa.crawl_id = ?", (crawl_id,))
    return catalog.query(
        "SELECT pa.spotify_id, coalesce(cp.name, p.name), a.uri, a.name, sum(pa.tracks) "
        "FROM crawl_playlist_artists pa JOIN artists a ON a.id = pa.artist_id "
        "JOIN crawl_playlists cp ON cp.crawl_id = pa.crawl_id AND cp.spotify_id = pa.spotify_id "
        "LEFT JOIN playlists p ON p.id = cp.playlist_id "
        f"{where} GROUP BY pa.spotify_id, a.uri ORDER BY pa.spotify_id, a.uri", params).fetchall()


def artist_find_edges(catalog: Catalog, crawl_id: int | None = None) -> list[tuple]:
    """(artist uri, artist name, playlist spotify_id, playlist name, rank) for every
    artist → found-playlist edge (all crawls when crawl_id is None)."""
    where, params = ("", ()) if crawl_id is None else ("WHERE f.crawl_id = ?", (crawl_id,))
    return catalog.query(
        "SELECT a.uri, a.name, f.spotify_id, cp.name, min(f.rank) "
        "FROM crawl_artist_finds f JOIN artists a ON a.id = f.artist_id "
        "JOIN crawl_playlists cp ON cp.crawl_id = f.crawl_id AND cp.spotify_id = f.spotify_id "
        f"{where} GROUP BY a.uri, f.spotify_id ORDER BY a.uri, f.spotify_id", params).fetchall()


def crawled_playlist_counts(catalog: Catalog) -> dict[str, int]:
    """Crawled playlists in the catalog, over every crawl, by what became of them.

    Keys: crawled (its tracks were read and stored), unreachable (stored from its
    metadata only: the API refused its items). The one source of these figures for
    every page that shows them.
    """
    row = catalog.query(
        "SELECT coalesce(sum(stored), 0), coalesce(sum(1 - stored), 0) FROM ("
        "SELECT EXISTS (SELECT 1 FROM playlist_tracks pt WHERE pt.playlist_id = p.id) AS stored "
        "FROM playlists p WHERE p.source = 'spotify')").fetchone()
    return {"crawled": int(row[0]), "unreachable": int(row[1])}


def graph_node_attributes(catalog: Catalog) -> tuple[list[dict], list[dict]]:
    """What the crawls know of each node of the playlist–artist graph, over every crawl.

    Returns (playlists, artists). Playlists: spotify_id, depth (the smallest BFS depth it
    was found at), status ('crawled' if any crawl read it, else 'unreachable', else
    'queued'), playlist_id (catalog id, None until visited), reason. Artists: uri, depth
    (the smallest), searched (whether any crawl searched its name).
    """
    playlists = catalog.query_dicts(
        "SELECT spotify_id, min(depth) AS depth, CASE max(CASE status WHEN 'crawled' THEN 2 "
        "WHEN 'unreachable' THEN 1 ELSE 0 END) WHEN 2 THEN 'crawled' WHEN 1 THEN 'unreachable' "
        "ELSE 'queued' END AS status, max(playlist_id) AS playlist_id, max(reason) AS reason "
        "FROM crawl_playlists GROUP BY spotify_id")
    artists = catalog.query_dicts(
        "SELECT a.uri, min(ca.depth) AS depth, max(ca.searched) AS searched "
        "FROM crawl_artists ca JOIN artists a ON a.id = ca.artist_id GROUP BY a.uri")
    return playlists, artists


def _crawl_id(catalog: Catalog, crawl_id: int | None) -> int | None:
    if crawl_id is not None:
        return crawl_id
    row = catalog.query("SELECT max(id) FROM crawls").fetchone()
    return row[0]
