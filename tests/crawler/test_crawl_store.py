"""The crawl tables (migration 2) through data.crawl_state and data.crawl_reads: frontier
order, first discovery wins, the page cache, and the reads the dashboard uses."""
from __future__ import annotations

import pytest

from data import crawl_reads, crawl_state
from data.crawl_state import DiscoveredPlaylist, FrontierEntry, PendingArtist
from data.schema import SCHEMA_VERSION
from tests.crawler import crawl_queries
from data.store import ArtistRef, Catalog, PlaylistRecord, TrackRecord

ARTIST = ArtistRef("spotify:artist:" + "A" * 22, "Alpha")


def _playlist(n: int) -> DiscoveredPlaylist:
    return DiscoveredPlaylist(f"{n:022d}", name=f"list {n}", owner_id="u", total=3)


def test_an_empty_home_has_no_crawl(catalog: Catalog):
    assert catalog.query("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 2
    assert crawl_reads.crawl_progress(catalog) == {}
    assert crawl_reads.unreachable_playlists(catalog) == []
    assert crawl_reads.frontier(catalog) == []


def test_frontier_is_popped_in_discovery_order_and_first_discovery_wins(catalog: Catalog):
    with catalog.write():
        catalog.upsert_tracks([TrackRecord("spotify:track:" + "T" * 22, "t", (ARTIST,))])
        crawl_id = crawl_state.create_crawl(catalog, [_playlist(0)], {"max_playlists": 5}, 1)
        crawl_state.enqueue(catalog, crawl_id, [
            FrontierEntry(_playlist(2), 2, 1, ARTIST.uri),
            FrontierEntry(_playlist(1), 1, 1, ARTIST.uri)])
        # met again later, deeper: ignored
        crawl_state.enqueue(catalog, crawl_id, [FrontierEntry(_playlist(1), 3, 2, None)])
    head = crawl_state.next_queued(catalog, crawl_id)
    assert (head.playlist.spotify_id, head.depth, head.found_via) == (f"{0:022d}", 0, None)
    with catalog.write():
        pid = catalog.upsert_playlist(PlaylistRecord("spotify", f"{0:022d}", "list 0"))
        crawl_state.mark_visited(catalog, crawl_id, f"{0:022d}", status="unreachable",
                                 visit_seq=0, playlist_id=pid, reason="403 forbidden")
    head = crawl_state.next_queued(catalog, crawl_id)
    assert (head.playlist.spotify_id, head.seq, head.depth, head.found_via) == \
        (f"{1:022d}", 1, 1, ARTIST.uri)
    assert crawl_state.status_counts(catalog, crawl_id) == {"queued": 2, "crawled": 0,
                                                            "unreachable": 1}
    progress = crawl_reads.crawl_progress(catalog)
    assert (progress["visited"], progress["frontier"], progress["unreachable"],
            progress["max_playlists"], progress["state"]) == (1, 2, 1, 5, "running")
    [row] = crawl_reads.unreachable_playlists(catalog)
    assert (row["name"], row["reason"], row["depth"]) == ("list 0", "403 forbidden", 0)
    assert [r["spotify_id"] for r in crawl_reads.frontier(catalog)] == [f"{1:022d}", f"{2:022d}"]
    assert crawl_state.sequence_heads(catalog, crawl_id) == {"playlist": 3, "visit": 1,
                                                             "artist": 0}


def test_page_cache_and_searches(catalog: Catalog):
    with catalog.write():
        catalog.upsert_tracks([TrackRecord("spotify:track:" + "T" * 22, "t", (ARTIST,))])
        crawl_id = crawl_state.create_crawl(catalog, [_playlist(0)], {}, 1)
        crawl_state.put_page(catalog, crawl_id, "search", "alpha", 0, 200, b'{"x": 1}')
        crawl_state.add_artists(catalog, crawl_id, [PendingArtist(ARTIST.uri, "Alpha", 0, 0)])
    assert crawl_state.cached_page(catalog, crawl_id, "search", "alpha", 0) == (200, b'{"x": 1}')
    assert crawl_state.cached_page(catalog, crawl_id, "search", "alpha", 1) is None
    assert [a.uri for a in crawl_state.pending_artists(catalog, crawl_id, 1)] == [ARTIST.uri]
    assert crawl_state.pending_artists(catalog, crawl_id, 0) == []  # at the depth limit
    with catalog.write():
        crawl_state.mark_searched(catalog, crawl_id, ARTIST.uri, query="alpha", pages=1,
                                  found=[f"{5:022d}", f"{4:022d}"])
        crawl_state.drop_pages(catalog, crawl_id, "search", ["alpha"])
    assert crawl_queries.pages_in_flight(catalog, crawl_id) == 0
    assert crawl_state.pending_artists(catalog, crawl_id, 1) == []
    assert crawl_state.searched_query(catalog, crawl_id, "alpha") == [f"{5:022d}", f"{4:022d}"]
    assert crawl_state.searched_query(catalog, crawl_id, "bravo") is None


def test_writes_need_a_transaction(catalog: Catalog):
    with pytest.raises(RuntimeError):
        crawl_state.create_crawl(catalog, [_playlist(0)], {}, 1)
