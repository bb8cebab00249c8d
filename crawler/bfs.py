"""The breadth-first crawl: playlist → its items → the tracks' artists → playlists found by
searching each artist's name → unseen playlists, depth by depth.

One playlist is one unit of work: its items pages, the searches for artists not yet
searched, and their audio features are fetched first (each page is cached in the
store as it arrives), then the unit's catalog rows, edges, newly found playlists and
counters commit in one transaction. A crawl killed at any moment therefore resumes
at the unit in flight, reading the pages it already has instead of asking again.

Searches stop as soon as the frontier holds enough playlists to reach
--max-playlists: the artists left are kept pending (in discovery order) and are
searched first if a resumed crawl raises the limit, so the visit order is the same
as a crawl that had the larger limit from the start.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Iterator

import orjson

from crawler.audio_features import FeatureFetcher
from crawler.client import ApiError, AuthError, CrawlStop, SpotifyClient
from crawler.config import CrawlConfig
from crawler.parse import (ItemsPage, followers, parse_items_page, parse_playlist,
                           parse_search_page, playlist_record)
from crawler.progress import ProgressLine, Snapshot
from data import crawl_state
from data.crawl_state import DiscoveredPlaylist, FrontierEntry, PendingArtist
from data.store import Catalog, TrackRecord


_PENDING_BATCH = 100  # pending artists read per query


@dataclass
class CrawlResult:
    crawl_id: int
    state: str  # 'done' or 'stopped'
    message: str
    resume_after: datetime | None = None
    error: bool = False  # stopped by something the user has to fix (credentials)


@dataclass
class _Search:
    artist: PendingArtist
    query: str  # the search key: the artist's name, case-folded
    pages: int
    found: list[str]  # playlist ids in rank order


@dataclass
class _Unit:
    entry: FrontierEntry | None
    meta: DiscoveredPlaylist | None = None
    num_followers: int | None = None
    tracks: list[TrackRecord] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    unreachable: str | None = None  # the reason
    new_artists: list[PendingArtist] = field(default_factory=list)
    artist_tracks: dict[str, int] = field(default_factory=dict)
    searches: list[_Search] = field(default_factory=list)
    new_entries: list[FrontierEntry] = field(default_factory=list)
    features: list = field(default_factory=list)


class Crawler:
    def __init__(self, catalog: Catalog, client: SpotifyClient, config: CrawlConfig,
                 crawl_id: int, *, features: FeatureFetcher, progress: ProgressLine,
                 notify: Callable[[str], None]):
        self.catalog, self.client, self.config, self.crawl_id = catalog, client, config, crawl_id
        self.features, self.progress, self.notify = features, progress, notify
        crawl = crawl_state.get_crawl(catalog, crawl_id)
        counters = crawl.counters
        for name in ("requests", "retries", "rate_limited", "waits"):
            setattr(client.stats, name, int(counters[name]))
        client.stats.wait_s = float(counters["wait_s"])
        client.request_budget = config.max_requests
        self.skipped = {k: int(counters[f"skipped_{k}"]) for k in crawl_state.SKIP_KINDS}
        self._features_outcome = crawl.features
        heads = crawl_state.sequence_heads(catalog, crawl_id)
        self._next_playlist_seq, self._next_visit = heads["playlist"], heads["visit"]
        self._next_artist_seq = heads["artist"]
        counts = crawl_state.status_counts(catalog, crawl_id)
        self.visited = counts["crawled"] + counts["unreachable"]
        self.unreachable = counts["unreachable"]
        self.frontier = counts["queued"]

    # ---- the loop ----------------------------------------------------------------------

    def run(self) -> CrawlResult:
        """Crawl until a limit, an empty frontier or a clean stop; state is saved either way."""
        try:
            while True:
                if self.visited >= self.config.max_playlists:
                    return self._finish("done", f"reached --max-playlists "
                                                f"({self.config.max_playlists})")
                entry = crawl_state.next_queued(self.catalog, self.crawl_id)
                if entry is None and not crawl_state.pending_artists(
                        self.catalog, self.crawl_id, self.config.max_depth, limit=1):
                    return self._finish("done", "the frontier is empty: every playlist "
                                                "within --max-depth was visited")
                self._run_unit(entry)
        except CrawlStop as stop:
            return self._finish("stopped", stop.message, stop.resume_after)
        except KeyboardInterrupt:
            return self._finish("stopped", "interrupted; continue with --resume")
        except AuthError as exc:
            result = self._finish("stopped", str(exc))
            result.error = True
            return result

    def _finish(self, state: str, message: str, resume_after: datetime | None = None) -> CrawlResult:
        csv_report = self.features.import_fallback_csv(self.catalog)
        if csv_report:
            self.progress.message(csv_report)
        with self.catalog.write():
            self._save_counters()
            crawl_state.set_crawl_state(
                self.catalog, self.crawl_id, state, message=message,
                resume_after=_iso_ceil(resume_after) if resume_after else None)
        self._show(force=True)
        self.progress.close()
        return CrawlResult(self.crawl_id, state, message, resume_after)

    # ---- one unit: fetch everything, then commit once --------------------------------------

    def _run_unit(self, entry: FrontierEntry | None) -> None:
        unit = _Unit(entry)
        if entry is not None:
            self._read_playlist(unit)
        self._search_artists(unit)
        if unit.tracks:
            unit.features = self.features.from_api(self.catalog, unit.tracks)
        self._commit(unit)

    def _read_playlist(self, unit: _Unit) -> None:
        entry = unit.entry
        meta = entry.playlist
        if meta.name is None:  # a seed: nothing known about it yet
            status, body = self._page("playlist", meta.spotify_id, 0,
                                      lambda: self.client.playlist(meta.spotify_id))
            found = parse_playlist(body) if status == 200 else None
            if found is None:
                unit.meta, unit.unreachable = meta, _unreachable_reason(status, body)
                return
            meta, unit.num_followers = found, followers(body)
        unit.meta = meta
        size = self.config.items_page_size
        pages: list[ItemsPage] = []
        total: int | None = None
        while total is None or len(pages) * size < total:
            offset = len(pages) * size
            status, body = self._page(
                "items", meta.spotify_id, len(pages),
                lambda: self.client.playlist_items(meta.spotify_id, offset, size))
            if status != 200:
                unit.unreachable = _unreachable_reason(status, body)
                return
            page = parse_items_page(body)
            pages.append(page)
            total = page.total if page.total is not None else offset + page.entries
            if page.entries == 0:  # the playlist shrank while we read it
                break
        for page in pages:
            unit.tracks.extend(page.tracks)
            for kind, n in page.skipped.items():
                unit.skipped[kind] = unit.skipped.get(kind, 0) + n
        for track in unit.tracks:
            for artist in track.artists:
                unit.artist_tracks[artist.uri] = unit.artist_tracks.get(artist.uri, 0) + 1
        names = {a.uri: a.name for t in unit.tracks for a in t.artists}
        known = crawl_state.known_artists(self.catalog, self.crawl_id, unit.artist_tracks)
        for uri in unit.artist_tracks:  # first-appearance order
            if uri not in known:
                unit.new_artists.append(PendingArtist(uri, names[uri], self._next_artist_seq,
                                                      entry.depth))
                self._next_artist_seq += 1

    def _search_artists(self, unit: _Unit) -> None:
        """Search pending artists (in discovery order) until the frontier covers the limit."""
        cfg = self.config
        visits_after = self.visited + (unit.entry is not None)
        frontier_after = self.frontier - (unit.entry is not None)
        met: set[str] = set()
        queries: dict[str, list[str]] = {}
        for artist in self._candidates(unit):
            if visits_after + frontier_after + len(unit.new_entries) >= cfg.max_playlists:
                break
            # Search ignores case: artists whose names differ only in case share one search.
            key = artist.name.strip().casefold()
            earlier = queries.get(key)
            if earlier is None and key:
                earlier = crawl_state.searched_query(self.catalog, self.crawl_id, key)
            if earlier is not None or not key:
                # Same name as an artist searched before: same results, no new request.
                unit.searches.append(_Search(artist, key, 0, list(earlier or [])))
                continue
            found, pages = self._search(artist.name.strip(), key)
            queries[key] = [p.spotify_id for p in found]
            unit.searches.append(_Search(artist, key, pages, queries[key]))
            known = crawl_state.known_playlists(self.catalog, self.crawl_id,
                                                [p.spotify_id for p in found])
            for playlist in found:
                if playlist.spotify_id in known or playlist.spotify_id in met:
                    continue
                met.add(playlist.spotify_id)
                unit.new_entries.append(FrontierEntry(playlist, self._next_playlist_seq,
                                                      artist.depth + 1, artist.uri))
                self._next_playlist_seq += 1

    def _candidates(self, unit: _Unit) -> Iterator[PendingArtist]:
        """Artists to search, in discovery order: those left pending by earlier units
        (read lazily: after a limit is reached there can be many), then the unit's own."""
        after = -1
        while True:
            batch = crawl_state.pending_artists(self.catalog, self.crawl_id,
                                                self.config.max_depth, after_seq=after,
                                                limit=_PENDING_BATCH)
            yield from batch
            if len(batch) < _PENDING_BATCH:
                break
            after = batch[-1].seq
        yield from (a for a in unit.new_artists if a.depth < self.config.max_depth)

    def _search(self, query: str, key: str) -> tuple[list[DiscoveredPlaylist], int]:
        size = self.config.search_page_size
        found: dict[str, DiscoveredPlaylist] = {}
        pages = 0
        for k in range(self.config.search_pages):
            status, body = self._page("search", key, k, lambda: self.client.search_playlists(
                query, k * size, size))
            pages += 1
            if status != 200:  # e.g. a 400 for a query the API will not take: no results
                break
            playlists, _junk, total, entries = parse_search_page(body)
            for p in playlists:
                found.setdefault(p.spotify_id, p)
            if entries < size or total is None or (k + 1) * size >= total:
                break
        return list(found.values()), pages

    def _commit(self, unit: _Unit) -> None:
        cat, cid = self.catalog, self.crawl_id
        with cat.write():
            if unit.entry is not None:
                record = playlist_record(unit.meta, num_followers=unit.num_followers)
                if unit.unreachable is None:
                    track_ids = cat.upsert_tracks(unit.tracks)
                    playlist_id = cat.upsert_playlist(record)
                    cat.set_playlist_tracks(playlist_id, [track_ids[t.uri] for t in unit.tracks])
                    crawl_state.add_artists(cat, cid, unit.new_artists)
                    crawl_state.add_playlist_artists(cat, cid, unit.meta.spotify_id,
                                                     unit.artist_tracks)
                    if unit.features:
                        cat.put_audio_features(unit.features, source="spotify-api")
                else:
                    playlist_id = cat.upsert_playlist(record)
                crawl_state.mark_visited(
                    cat, cid, unit.meta.spotify_id,
                    status="crawled" if unit.unreachable is None else "unreachable",
                    visit_seq=self._next_visit, playlist_id=playlist_id,
                    tracks=None if unit.unreachable else len(unit.tracks),
                    skipped=None if unit.unreachable else sum(unit.skipped.values()),
                    reason=unit.unreachable)
                crawl_state.drop_pages(cat, cid, "playlist", [unit.meta.spotify_id])
                crawl_state.drop_pages(cat, cid, "items", [unit.meta.spotify_id])
            for search in unit.searches:
                crawl_state.mark_searched(cat, cid, search.artist.uri, query=search.query,
                                          pages=search.pages, found=search.found)
            crawl_state.enqueue(cat, cid, unit.new_entries)
            crawl_state.drop_pages(cat, cid, "search", {s.query for s in unit.searches})
            skipped = {k: self.skipped[k] + unit.skipped.get(k, 0) for k in self.skipped}
            self._save_counters(skipped)
            if self.features.outcome() != self._features_outcome:
                crawl_state.set_features_outcome(cat, cid, self.features.outcome())
        # Only now is the unit stored: update what the progress line shows.
        self.skipped = skipped
        self._features_outcome = self.features.outcome()
        self.frontier += len(unit.new_entries)
        if unit.entry is not None:
            self._next_visit += 1
            self.visited += 1
            self.frontier -= 1
            self.unreachable += unit.unreachable is not None
        self._show()

    # ---- pages, counters, progress ---------------------------------------------------------

    def _page(self, kind: str, key: str, page: int, fetch: Callable[[], object]) -> tuple[int, object]:
        """(status, body) of one API page: from the unit's cache, else fetched and cached."""
        cached = crawl_state.cached_page(self.catalog, self.crawl_id, kind, key, page)
        if cached is not None:
            return cached[0], orjson.loads(cached[1])
        try:
            status, body = 200, fetch()
        except ApiError as exc:
            status, body = exc.status, {"error": {"status": exc.status, "message": exc.message}}
        with self.catalog.write():
            crawl_state.put_page(self.catalog, self.crawl_id, kind, key, page, status,
                                 orjson.dumps(body))
            self._save_counters()
        self._show()
        return status, body

    def _save_counters(self, skipped: dict[str, int] | None = None) -> None:
        s = self.client.stats
        counters = {"requests": s.requests, "retries": s.retries, "rate_limited": s.rate_limited,
                    "waits": s.waits, "wait_s": round(s.wait_s, 3)}
        counters.update({f"skipped_{k}": v for k, v in (skipped or self.skipped).items()})
        crawl_state.save_counters(self.catalog, self.crawl_id, counters)

    def _show(self, force: bool = False) -> None:
        s = self.client.stats
        self.progress.update(Snapshot(
            visited=self.visited, max_playlists=self.config.max_playlists,
            frontier=self.frontier, requests=s.requests, waits=s.waits, wait_s=s.wait_s,
            unreachable=self.unreachable, skipped=sum(self.skipped.values())), force=force)


def _iso_ceil(when: datetime) -> str:
    """ISO time rounded up to the second, so resuming "after" it is never too early."""
    if when.microsecond:
        when = when.replace(microsecond=0) + timedelta(seconds=1)
    return when.isoformat(timespec="seconds")


def _unreachable_reason(status: int, body: object) -> str:
    if status == 403:
        return ("403 forbidden: the API shows the items only of playlists the signed-in user "
                "owns or collaborates on (try --user-auth)")
    if status == 404:
        return "404 not found: a Spotify-owned or algorithmic playlist, or deleted"
    if status == 200:
        return "the API sent a playlist object without an id"
    message = body.get("error", {}).get("message") if isinstance(body, dict) else None
    return f"{status}: {message or 'error'}"
