"""The BFS against the fake API: order, limits, and a catalog that matches the server's data."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from data import crawl_reads, crawl_state
from data.ingest import ingest
from data.store import Catalog
from testkit.catalog_contents import natural_contents
from tests.crawler import crawl_queries
from tests.crawler.conftest import crawled_tracks, tiny_id
from testkit.fake_spotify import FakeSpotify
from testkit.fake_spotify.web_api import ITEMS_LIMIT, SEARCH_LIMIT
from tests.crawler.oracle import expected_crawl


def _visits(catalog: Catalog) -> list[dict]:
    return crawl_reads.crawl_playlists(catalog, status=None)


def _results(catalog: Catalog) -> dict:
    """What a crawl found (its counters and timestamps say how it went: left out)."""
    return {k: v for k, v in natural_contents(catalog).items()
            if k not in ("meta", "crawls", "crawl_pages")}


def test_tiny_crawl_visits_in_the_order_worked_out_by_hand(tiny: FakeSpotify, crawl, home: Path):
    run = crawl(tiny, "--seed-playlist", tiny_id(tiny, 0), "--max-depth", "3")
    assert run.rc == 0, run.err
    with Catalog.open(home) as cat:
        rows = [r for r in _visits(cat) if r["visit_seq"] is not None]
        pid_of = {p.id: p.pid for p in tiny.catalog.playlists}
        assert [pid_of[r["spotify_id"]] for r in rows] == [0, 1, 2, 3, 4, 5, 7]
        assert [r["depth"] for r in rows] == [0, 1, 1, 1, 1, 2, 3]
        assert [r["found_via"] for r in rows] == [None, "Alpha", "Alpha", "Bravo", "Bravo",
                                                  "Charlie", "Echo"]
        assert [r["status"] for r in rows] == ["crawled"] * 3 + ["unreachable"] * 2 + ["crawled"] * 2
        assert rows[3]["reason"].startswith("403") and rows[4]["reason"].startswith("404")
        # unreachable playlists are in the catalog with their metadata, without tracks
        by_source_id = {p["source_id"]: p for p in cat.playlists()}
        three = by_source_id[tiny_id(tiny, 3)]
        assert (three["name"], three["owner_id"], three["num_tracks"]) == ("three", "bob", 2)
        assert cat.playlist_track_ids(three["id"]) == []
        # tracks, artists and albums as the server has them, each stored once
        got = crawled_tracks(cat)
        for pid in (0, 1, 2, 5, 7):
            assert got[tiny_id(tiny, pid)] == [t.uri for t in tiny.catalog.by_pid[pid].tracks]
        assert cat.count("tracks") == 6  # A1 A2 B1 C1 E1 F1 (D1 only in unreachable ones)
        artists = {t["artist"] for t in cat.tracks()}
        assert artists == {"Alpha", "Bravo", "Charlie", "Echo", "Foxtrot"}
        progress = crawl_reads.crawl_progress(cat)
        # searched: A, B (depth 0), C (1), E (2); F (depth 3) is at the depth limit
        assert (progress["artists"], progress["artists_searched"]) == (5, 4)
        assert progress["state"] == "done" and "frontier is empty" in progress["message"]
    # metadata once (the seed), one items page per reachable playlist, one per search
    paths = Counter(r.path.split("/")[2] + ("/items" if r.path.endswith("/items") else "")
                    for r in tiny.api_requests())
    assert paths == {"playlists": 1, "playlists/items": 7, "search": 4, "audio-features": 1}


def test_depth_limit_zero_visits_only_the_seed_and_searches_nothing(tiny: FakeSpotify, crawl,
                                                                   home: Path):
    run = crawl(tiny, "--seed-playlist", tiny_id(tiny, 0), "--max-depth", "0")
    assert run.rc == 0, run.err
    assert not [r for r in tiny.api_requests() if "/search" in r.path]
    with Catalog.open(home) as cat:
        assert crawl_queries.visit_order(cat, 1) == [tiny_id(tiny, 0)]


def test_playlist_limit_stops_searching_once_the_frontier_is_enough_and_resume_extends_it(
        tiny: FakeSpotify, crawl, home: Path):
    run = crawl(tiny, "--seed-playlist", tiny_id(tiny, 0), "--max-depth", "3",
                "--max-playlists", "3")
    assert run.rc == 0, run.err
    with Catalog.open(home) as cat:
        assert crawl_queries.visit_order(cat, 1) == [tiny_id(tiny, p) for p in (0, 1, 2)]
    # Alpha's search filled the frontier to the limit: Bravo's and Charlie's were not needed
    assert [r.params["q"] for r in tiny.api_requests() if "/search" in r.path] == ["Alpha"]
    run = crawl(tiny, "--resume", "--max-playlists", "100")
    assert run.rc == 0, run.err
    with Catalog.open(home) as cat:
        assert crawl_queries.visit_order(cat, 1) == [tiny_id(tiny, p) for p in (0, 1, 2, 3, 4, 5, 7)]
    assert [r.params["q"] for r in tiny.api_requests() if "/search" in r.path] == \
        ["Alpha", "Bravo", "Charlie", "Echo"]


def test_user_auth_reads_own_restricted_playlist_and_starts_from_own_playlists(
        tiny: FakeSpotify, crawl, home: Path):
    from crawler.auth import PrivateTokenFile
    from data.home import USER_TOKEN_FILE
    PrivateTokenFile(home / USER_TOKEN_FILE).save_token_to_cache(tiny.issue_user_token("bob"))
    run = crawl(tiny, "--user-auth", "--max-depth", "3")
    assert run.rc == 0, run.err
    with Catalog.open(home) as cat:
        order = crawl_queries.visit_order(cat, 1)
        # bob's only playlist (3, restricted) is the seed and readable for him; Delta leads to 6
        assert order[0] == tiny_id(tiny, 3)
        assert tiny_id(tiny, 6) in order
        assert crawled_tracks(cat)[tiny_id(tiny, 3)] == [t.uri for t in
                                                         tiny.catalog.by_pid[3].tracks]
    assert {r.principal for r in tiny.api_requests()} == {"user:bob"}
    assert (home / USER_TOKEN_FILE).stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("search_pages", [1, 2])
def test_sample_crawl_matches_the_oracle_and_the_servers_data(fake: FakeSpotify, crawl,
                                                              home: Path, search_pages: int):
    seed = fake.catalog.seed_playlist().id
    run = crawl(fake, "--seed-playlist", seed, "--max-playlists", "40", "--max-depth", "2",
                "--search-pages", str(search_pages))
    assert run.rc == 0, run.err
    expected = expected_crawl(fake.catalog, [seed], max_playlists=40, max_depth=2,
                              search_pages=search_pages)
    with Catalog.open(home) as cat:
        rows = {r["spotify_id"]: r for r in _visits(cat)}
        assert crawl_queries.visit_order(cat, 1) == expected.order
        for visit in expected.visits:
            row = rows[visit.spotify_id]
            assert (row["depth"], row["found_via_uri"], row["status"]) == \
                (visit.depth, visit.found_via, visit.status)
            if visit.status_code:
                assert row["reason"].startswith(str(visit.status_code))
        assert max(r["depth"] for r in rows.values()) <= 2
        got = crawled_tracks(cat)
        crawled = [v.spotify_id for v in expected.visits if v.status == "crawled"]
        assert set(crawled) == {k for k, v in got.items() if v}
        for playlist_id in crawled:
            assert got[playlist_id] == [t.uri for t in fake.catalog.by_id[playlist_id].tracks]
        # each track once, with its name, album, duration and artist as the server has them
        served = {t.uri: t for pid in crawled for t in fake.catalog.by_id[pid].tracks}
        stored = {row["uri"]: row for row in cat.tracks()}
        assert set(stored) == set(served)
        for uri, t in served.items():
            row = stored[uri]
            assert (row["name"], row["album_uri"], row["album"], row["duration_ms"],
                    row["artist_uri"], row["artist"]) == \
                (t.name, t.album_uri, t.album_name, t.duration_ms, t.artists[0].uri,
                 t.artists[0].name)
        # owners and names as the server has them
        meta = {p["source_id"]: p for p in cat.playlists()}
        for v in expected.visits:
            p = fake.catalog.by_id[v.spotify_id]
            assert (meta[v.spotify_id]["name"], meta[v.spotify_id]["owner_id"]) == \
                (p.name, p.owner_id)
    requests = fake.api_requests()
    assert len(requests) == len({r.page_key for r in requests}), "a page was asked for twice"
    offsets = {r.params["offset"] for r in requests if "/search" in r.path}
    assert offsets == ({"0"} if search_pages == 1 else {"0", "10"})
    # Never more than the API allows (the fake would answer 400 "Invalid limit"), and the
    # playlists longer than one items page were read page by page.
    assert [r for r in requests if r.status == 400] == []
    assert all(int(r.params["limit"]) <= SEARCH_LIMIT for r in requests if "/search" in r.path)
    items = [r for r in requests if r.path.endswith("/items")]
    assert all(int(r.params["limit"]) <= ITEMS_LIMIT for r in items)
    long_ones = [pid for pid in crawled if len(fake.catalog.by_id[pid].tracks) > ITEMS_LIMIT]
    assert long_ones
    for playlist_id in long_ones:
        pages = [r for r in items if r.path == f"/v1/playlists/{playlist_id}/items"]
        assert len(pages) == -(-len(fake.catalog.by_id[playlist_id].tracks) // ITEMS_LIMIT)


def test_crawled_tracks_are_the_mpd_rows_of_the_same_sample(fake: FakeSpotify, sample_dir: Path,
                                                            crawl, home: Path):
    with Catalog.open(home) as cat:
        ingest(cat, [sample_dir], progress=False)
        tracks_before, artists_before = cat.count("tracks"), cat.count("artists")
    run = crawl(fake, "--seed-playlist", fake.catalog.seed_playlist().id, "--max-playlists", "25")
    assert run.rc == 0, run.err
    with Catalog.open(home) as cat:
        assert (cat.count("tracks"), cat.count("artists")) == (tracks_before, artists_before)
        by_key = {(p["source"], p["source_id"]): p["id"] for p in cat.playlists()}
        crawled = [k for (source, k) in by_key if source == "spotify"]
        readable = [k for k in crawled if fake.catalog.by_id[k].access == "public"]
        assert len(readable) >= 10
        for spotify_id in readable:
            pid = fake.catalog.by_id[spotify_id].pid
            # the same track rows, in the same order, as the MPD copy of the playlist
            assert cat.playlist_track_ids(by_key[("spotify", spotify_id)]) == \
                cat.playlist_track_ids(by_key[("mpd", str(pid))])


def test_request_limit_stops_cleanly_and_resume_finishes_like_one_crawl(
        fake: FakeSpotify, crawl, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    seed = fake.catalog.seed_playlist().id
    args = ["--seed-playlist", seed, "--max-playlists", "20"]
    run = crawl(fake, *args, "--max-requests", "9")
    assert run.rc == 3, run.err
    assert "continue with: python -m crawler --resume" in run.out
    with Catalog.open(home) as cat:
        progress = crawl_reads.crawl_progress(cat)
        assert progress["state"] == "stopped" and "--max-requests" in progress["message"]
        assert progress["requests"] == 9
    assert len(fake.api_requests()) == 9
    run = crawl(fake, "--resume", "--max-requests", "5000")
    assert run.rc == 0, run.err
    requests = fake.api_requests()
    assert len(requests) == len({r.page_key for r in requests})
    with Catalog.open(home) as cat:
        resumed = _results(cat)
        resumed_tracks = crawled_tracks(cat)

    other = tmp_path / "other-home"
    monkeypatch.setenv("PLAYLISTGRAPH_HOME", str(other))
    assert crawl(fake, *args).rc == 0
    with Catalog.open(other) as cat:
        assert _results(cat) == resumed
        assert crawled_tracks(cat) == resumed_tracks


def test_a_crawl_started_with_pages_of_100_resumes_with_pages_of_50(
        fake: FakeSpotify, crawl, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Crawls stored before the 2026 limit asked for 100 items a page; resumed, they ask 50."""
    args = ["--seed-playlist", fake.catalog.seed_playlist().id, "--max-playlists", "12"]
    assert crawl(fake, *args, "--max-requests", "5").rc == 3
    with Catalog.open(home) as cat, cat.write():
        crawl_state.update_config(cat, 1, {**crawl_state.get_crawl(cat, 1).config,
                                           "items_page_size": 100})
    run = crawl(fake, "--resume", "--max-requests", "5000")
    assert run.rc == 0, run.err
    assert "--items-page-size 100, above the API's maximum; continuing with 50" in run.err
    assert [r for r in fake.api_requests() if r.status == 400] == []
    with Catalog.open(home) as cat:
        assert crawl_state.get_crawl(cat, 1).config["items_page_size"] == ITEMS_LIMIT
        resumed = crawled_tracks(cat)
    monkeypatch.setenv("PLAYLISTGRAPH_HOME", str(tmp_path / "fresh"))
    assert crawl(fake, *args).rc == 0
    with Catalog.open(tmp_path / "fresh") as cat:
        assert crawled_tracks(cat) == resumed


def test_limits_hold_on_a_larger_crawl(fake: FakeSpotify, crawl, home: Path):
    run = crawl(fake, "--seed-playlist", fake.catalog.seed_playlist().id, "--max-playlists", "60",
                "--max-depth", "1", "--max-requests", "400")
    assert run.rc == 0, run.err
    with Catalog.open(home) as cat:
        rows = _visits(cat)
        visited = [r for r in rows if r["visit_seq"] is not None]
        assert len(visited) <= 60 and max(r["depth"] for r in rows) <= 1
        assert crawl_reads.crawl_progress(cat)["requests"] <= 400
    assert len(fake.api_requests()) <= 400
