"""Real-world API behaviour during a crawl: junk items, server faults, rate limits, features."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from data import crawl_reads
from data.schema import AUDIO_FEATURES
from data.store import Catalog
from testkit.catalog_contents import natural_contents
from tests.crawler import crawl_queries
from tests.crawler.conftest import crawled_tracks, tiny_id
from testkit.fake_spotify import FakeSpotify
from tests.crawler.oracle import expected_crawl

SEED_ARGS = ["--max-playlists", "25", "--search-pages", "2"]


def _graph(home: Path) -> dict:
    with Catalog.open(home) as cat:
        contents = natural_contents(cat)
    return {k: v for k, v in contents.items() if k not in ("meta", "crawls", "crawl_pages")}


def test_junk_items_and_null_search_results_are_skipped_and_counted(fake: FakeSpotify, crawl,
                                                                    home: Path):
    fake.junk = True
    seed = fake.catalog.seed_playlist().id
    run = crawl(fake, "--seed-playlist", seed, *SEED_ARGS)
    assert run.rc == 0, run.err
    expected = expected_crawl(fake.catalog, [seed], max_playlists=25, max_depth=2,
                              search_pages=2, junk=True)
    crawled = [v.spotify_id for v in expected.visits if v.status == "crawled"]
    junk = Counter(kind for pid in crawled for _, kind in fake.catalog.junk_plan(
        fake.catalog.by_id[pid]))
    assert sum(junk.values()) >= 8  # the sample gives this crawl junk of every kind
    with Catalog.open(home) as cat:
        assert crawl_queries.visit_order(cat, 1) == expected.order
        progress = crawl_reads.crawl_progress(cat)
        assert progress["skipped"] == {k: junk[k] for k in ("null", "local", "episode", "invalid")}
        got = crawled_tracks(cat)
        for pid in crawled:
            assert got[pid] == [t.uri for t in fake.catalog.by_id[pid].tracks]
        rows = {r["spotify_id"]: r for r in crawl_reads.crawl_playlists(cat)}
        for pid in crawled:
            assert rows[pid]["skipped"] == len(fake.catalog.junk_plan(fake.catalog.by_id[pid]))
    # a legacy ('track' key) and a 2026 ('item' key) playlist were both read
    assert {fake.catalog.by_id[pid].legacy for pid in crawled} == {True, False}


def test_faults_are_survived_counted_and_change_nothing(fake: FakeSpotify, crawl, home: Path,
                                                       tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch):
    seed = fake.catalog.seed_playlist().id
    args = ["--seed-playlist", seed, *SEED_ARGS, "--timeout-s", "2"]  # a normal answer under load: < 2 s
    clean_home = tmp_path / "clean"
    monkeypatch.setenv("PLAYLISTGRAPH_HOME", str(clean_home))
    assert crawl(fake, *args).rc == 0
    clean_requests = len(fake.api_requests())
    clean_pages = {r.page_key for r in fake.api_requests() if r.status == 200}
    fake.reset_log()

    monkeypatch.setenv("PLAYLISTGRAPH_HOME", str(home))
    faults = [fake.fail(500, skip=2, times=2), fake.fail(503, skip=9),
              fake.fail(502, path="/search", skip=3), fake.slow(4.0, skip=12),
              fake.garbage(skip=15), fake.fail(429, retry_after=1, skip=5, path="/items")]
    run = crawl(fake, *args)
    assert run.rc == 0, run.err
    assert [f.fired for f in faults] == [2, 1, 1, 1, 1, 1]
    assert _graph(home) == _graph(clean_home)
    with Catalog.open(home) as cat:
        progress = crawl_reads.crawl_progress(cat)
    assert progress["retries"] == 6 and progress["rate_limited"] == 1
    assert progress["waits"] == 7 and progress["requests"] == clean_requests + 7
    assert "waiting 1 s" in run.err and "server error 500" in run.err
    # every page answered once, apart from the fault-shaped answers the client retried
    answered = [r.page_key for r in fake.api_requests() if r.status == 200 and not r.fault]
    assert len(answered) == len(set(answered)) and set(answered) == clean_pages


def test_pacing_under_a_server_rate_limit_avoids_429_storms(tiny: FakeSpotify, crawl, home: Path):
    tiny.rate_limit(6, window_s=1.0)
    run = crawl(tiny, "--seed-playlist", tiny_id(tiny, 0), "--max-depth", "3",
                "--requests-per-window", "6", "--window-s", "1")
    assert run.rc == 0, run.err
    statuses = Counter(r.status for r in tiny.api_requests())
    # Every page answered once; at most one 429, should scheduling on a loaded machine
    # delay one request past the pacer's margin.
    assert statuses[429] <= 1
    assert {k: v for k, v in statuses.items() if k != 429} == {200: 10, 403: 2, 404: 1}


def test_audio_features_come_from_the_api_when_it_answers(tiny: FakeSpotify, crawl, home: Path):
    tiny.audio_features = "ok"
    tiny.catalog.features.update({t.uri.rsplit(":", 1)[1]: {c: 0.5 + i / 100 for c in AUDIO_FEATURES}
                                  for i, t in enumerate(tiny.catalog.by_pid[0].tracks)})
    run = crawl(tiny, "--seed-playlist", tiny_id(tiny, 0), "--max-depth", "0")
    assert run.rc == 0, run.err
    with Catalog.open(home) as cat:
        ids, values = cat.audio_feature_rows()
        uris = {t["id"]: t["uri"] for t in cat.tracks([int(i) for i in ids])}
        stored = {uris[int(i)]: row for i, row in zip(ids, values)}
        assert set(stored) == {t.uri for t in tiny.catalog.by_pid[0].tracks}
        for i, t in enumerate(tiny.catalog.by_pid[0].tracks):
            assert list(stored[t.uri]) == pytest.approx([0.5 + i / 100] * len(AUDIO_FEATURES))
        assert crawl_reads.crawl_progress(cat)["features"] == "api"
        sources = {r[0] for r in cat.query("SELECT DISTINCT source FROM audio_features")}
        assert sources == {"spotify-api"}


def test_audio_features_403_warns_once_and_falls_back_to_the_csv(fake: FakeSpotify, crawl,
                                                                 home: Path, sample_dir: Path):
    csv = sample_dir / "audio_features.csv"
    run = crawl(fake, "--seed-playlist", fake.catalog.seed_playlist().id, "--max-playlists", "12",
                "--audio-features", f"api,csv:{csv}")
    assert run.rc == 0, run.err
    assert run.err.count("audio features: the API answered 403") == 1
    assert len([r for r in fake.api_requests() if "audio-features" in r.path]) == 1
    with Catalog.open(home) as cat:
        assert crawl_reads.crawl_progress(cat)["features"] == "csv"
        # every crawled track has the CSV's features
        assert cat.count("audio_features") == cat.count("tracks") > 0


def test_audio_features_none_asks_nothing(tiny: FakeSpotify, crawl, home: Path):
    run = crawl(tiny, "--seed-playlist", tiny_id(tiny, 0), "--audio-features", "none")
    assert run.rc == 0 and "audio features" not in run.err
    assert not [r for r in tiny.api_requests() if "audio-features" in r.path]
