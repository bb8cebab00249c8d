"""The crawl a correct crawler makes, computed straight from the fake's data (no HTTP).

A plain breadth-first search written from the issue's definition: visit a playlist,
read its tracks' artists (first appearance order), search each artist not searched
before (if its depth is below the limit) and queue unseen playlists in rank order.
It searches every artist (no early stop), so it predicts what is visited, in which
order, at which depth and via which artist — not how many searches a crawler saves.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from testkit.fake_spotify import FakeCatalog


@dataclass
class Visit:
    spotify_id: str
    depth: int
    found_via: str | None  # artist URI
    status: str  # 'crawled' | 'unreachable'
    status_code: int | None  # 403 / 404 for unreachable ones


@dataclass
class ExpectedCrawl:
    visits: list[Visit] = field(default_factory=list)

    @property
    def order(self) -> list[str]:
        return [v.spotify_id for v in self.visits]


def expected_crawl(cat: FakeCatalog, seeds: list[str], *, max_playlists: int, max_depth: int,
                   search_pages: int = 1, page_size: int = 10, junk: bool = False,
                   user: str | None = None) -> ExpectedCrawl:
    out = ExpectedCrawl()
    queue = deque((s, 0, None) for s in seeds)
    met = set(seeds)
    artists_met: set[str] = set()
    while queue and len(out.visits) < max_playlists:
        playlist_id, depth, via = queue.popleft()
        playlist = cat.by_id.get(playlist_id)
        if playlist is None or playlist.access == "spotify":
            out.visits.append(Visit(playlist_id, depth, via, "unreachable", 404))
            continue
        if playlist.access == "restricted" and playlist.owner_id != user:
            out.visits.append(Visit(playlist_id, depth, via, "unreachable", 403))
            continue
        out.visits.append(Visit(playlist_id, depth, via, "crawled", None))
        new_artists = []
        for track in playlist.tracks:
            for artist in track.artists:
                if artist.uri not in artists_met:
                    artists_met.add(artist.uri)
                    new_artists.append(artist)
        if depth >= max_depth:
            continue
        for artist in new_artists:
            ranked = cat.search(artist.name, junk)[:search_pages * page_size]
            for found in ranked:
                if found is not None and found not in met:
                    met.add(found)
                    queue.append((found, depth + 1, artist.uri))
    return out
