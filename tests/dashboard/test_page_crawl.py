"""AppTest: the Crawl page starts a real crawl of the local fake Spotify API and shows it.

The crawl runs as the dashboard's background job (`python -m crawler` against the fake
server); the page's figures are checked against the crawl tables read with plain SQL.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from dashboard.jobs import runner as jobs
from testkit.job_wait import wait_for_job
from data.sample import generate_sample
from tests.dashboard.apptest_helpers import frame_with, metrics, open_page, selectbox, texts
from tests.dashboard.conftest import sql

pytestmark = pytest.mark.usefixtures("no_autotrain")


@pytest.fixture(scope="module")
def fake_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fake-sample")
    generate_sample(120, 11, out, features=False)
    return out


@pytest.fixture
def fake_api(fake_sample: Path, monkeypatch: pytest.MonkeyPatch):
    from testkit.fake_spotify import FakeSpotify

    fake = FakeSpotify(fake_sample)
    fake.start()
    for key, value in fake.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("PLAYLISTGRAPH_SPOTIFY_API_BASE", fake.base_url)
    monkeypatch.setenv("PLAYLISTGRAPH_SPOTIFY_TOKEN_URL", fake.token_url)
    yield fake
    fake.stop()


def _start(at, seed: str, max_playlists: int = 6, depth: int = 1) -> None:
    at.text_input(key="crawl_seed").input(seed)
    at.number_input(key="crawl_max_pl").set_value(max_playlists)
    at.number_input(key="crawl_depth").set_value(depth)
    at.button[0].click()  # the form's "Start crawl"
    at.run()


def test_crawl_started_from_the_page_runs_and_its_numbers_match_the_store(
        home: Path, tiny: dict, fake_api) -> None:
    at = open_page("crawl")
    assert "No crawl yet" in texts(at)
    _start(at, f"https://open.spotify.com/playlist/{fake_api.catalog.seed_playlist().id}?si=x")
    assert not at.exception
    status = wait_for_job("crawl", home, timeout_s=120)
    assert status.state == "done", status.message
    assert "--seed-playlist" in status.command and fake_api.catalog.seed_playlist().id in \
        status.command
    assert "fake-client-secret" not in " ".join(status.command)

    at.run()
    assert not at.exception
    counts = dict(sql(home, "SELECT status, count(*) FROM crawl_playlists GROUP BY status"))
    shown = metrics(at.main)
    assert shown["Crawled"] == f"{counts.get('crawled', 0):,}"
    assert shown["Unreachable"] == f"{counts.get('unreachable', 0):,}"
    assert shown["Frontier"] == f"{counts.get('queued', 0):,}"
    assert counts.get("crawled", 0) + counts.get("unreachable", 0) == 6
    assert shown["API requests"] == f"{sql(home, 'SELECT requests FROM crawls')[0][0]:,}"
    # Every request the crawler counted reached the fake server (which also logged the token).
    assert int(shown["API requests"].replace(",", "")) == len(fake_api.api_requests())
    unreachable = sql(home, "SELECT name, reason FROM crawl_playlists "
                            "WHERE status = 'unreachable' ORDER BY visit_seq")
    assert unreachable, "this sample and seed are known to meet restricted playlists"
    table = frame_with(at.main, "reason")  # each reason's head in its cell, its rest below
    assert [(n, r.split(":")[0]) for n, r in unreachable] == list(zip(table["name"],
                                                                      table["reason"]))
    captions = " ".join(c.value for c in at.main.caption)
    assert all(f"**{r.split(':')[0]}**: {r.split(':', 1)[1].strip()}" in captions
               for _, r in unreachable)
    graph_playlists = sql(home, "SELECT count(DISTINCT spotify_id) FROM ("
                                "SELECT spotify_id FROM crawl_playlist_artists "
                                "UNION SELECT spotify_id FROM crawl_artist_finds)")[0][0]
    assert shown["Playlists"] == f"{graph_playlists:,}"
    assert "fake-client-secret" not in texts(at)
    _check_crawl_fixes(at, home, counts, graph_playlists)

    # The crawled owners now appear as users on the Recommendations page.
    at.switch_page("views/recommendations.py").run()
    at.segmented_control(key="rec_mode").set_value("User").run()
    assert not at.exception
    owners = sql(home, "SELECT count(DISTINCT p.owner_id) FROM playlists p "
                       "JOIN playlist_tracks pt ON pt.playlist_id = p.id "
                       "WHERE p.source = 'spotify'")[0][0]
    assert len(selectbox(at, "rec_owner").options) == owners > 0


def _check_crawl_fixes(at, home: Path, counts: dict, graph_playlists: int) -> None:
    """What a user tripped on: why the graph has more playlists than were visited, the
    seed's name and owner, the stop reason in the page's words, one crawled count for
    Overview and Crawl, and the graph drawn."""
    # The graph's playlists: visited ones plus those found by search, not visited yet.
    found_only = graph_playlists - counts.get("crawled", 0) - counts.get("unreachable", 0)
    help_text = {m.label: m.help for m in at.main.metric}["Playlists"]
    assert help_text.startswith(f"The graph's {graph_playlists:,} playlists: "
                                f"{counts.get('crawled', 0):,} crawled, "
                                f"{counts.get('unreachable', 0):,} unreachable")
    assert (f"{found_only:,} found by a search but not visited yet" in help_text) \
        == (found_only > 0)
    # The seed row carries the name and owner of the stored playlist, not None.
    seed = sql(home, "SELECT p.name, p.owner_name FROM crawl_playlists cp JOIN playlists p "
                     "ON p.id = cp.playlist_id WHERE cp.depth = 0")[0]
    listed = frame_with(at.main, "skipped")
    assert tuple(listed[["name", "owner_name"]].iloc[0]) == seed and None not in seed
    # The crawler's stop message in the page's words.
    message = sql(home, "SELECT message FROM crawls")[0][0]
    assert message == "reached --max-playlists (6)"
    assert "reached the Max playlists limit (6)" in texts(at) and "--max-" not in texts(at)
    # One function for the crawled count on Crawl and on Overview: playlists with tracks.
    crawled = sql(home, "SELECT count(*) FROM playlists p WHERE source = 'spotify' AND "
                        "EXISTS (SELECT 1 FROM playlist_tracks WHERE playlist_id = p.id)")[0][0]
    unreachable = sql(home, "SELECT count(*) FROM playlists p WHERE source = 'spotify' AND "
                            "NOT EXISTS (SELECT 1 FROM playlist_tracks "
                            "WHERE playlist_id = p.id)")[0][0]
    assert (f"In the catalog, over every crawl: {crawled:,} crawled playlists with stored "
            f"tracks and {unreachable:,} unreachable ones") in texts(at)
    # The graph is drawn: one node per playlist and artist of the crawl graph (under 300).
    artists = sql(home, "SELECT count(DISTINCT artist_id) FROM (SELECT artist_id FROM "
                        "crawl_playlist_artists UNION SELECT artist_id FROM crawl_artist_finds)")[0][0]
    import json
    specs = [json.loads(c.proto.spec) for c in at.main.get("vega_lite_chart")]
    drawn = [c for c in specs if any(p.get("name") == "node" for p in c.get("params", []))]
    assert len(drawn) == 1  # the network, with its click selection
    assert _arrow_rows(at, min(300, graph_playlists + artists))
    overview = open_page()
    assert metrics(overview)["Crawled playlists"] == f"{crawled:,}"


def _arrow_rows(at, nodes: int) -> bool:
    """Streamlit sends a chart's data frames as Arrow: is one of them `nodes` rows long?"""
    import pyarrow as pa
    for chart in at.main.get("vega_lite_chart"):
        for dataset in chart.proto.datasets:
            table = pa.ipc.open_stream(dataset.data.data).read_all()
            if table.num_rows == nodes and "node_id" in table.column_names:
                return True
    return False


def test_bad_seed_is_a_one_line_error_and_starts_nothing(home: Path, tiny: dict, fake_api) -> None:
    at = open_page("crawl")
    _start(at, "not a playlist")
    assert not at.exception
    assert "is not a Spotify playlist" in at.main.error[0].value
    assert jobs.job_status("crawl", home).state == "idle"


def test_missing_credentials_say_how_to_set_them(home: Path, tiny: dict,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SPOTIPY_CLIENT_ID", raising=False)
    monkeypatch.delenv("SPOTIPY_CLIENT_SECRET", raising=False)
    monkeypatch.chdir(home)  # no .streamlit/secrets.toml here
    monkeypatch.setenv("HOME", str(home))
    at = open_page("crawl")
    # Said on arrival, before any crawl is tried.
    assert "SPOTIPY_CLIENT_ID" in at.main.warning[0].value
    assert "then reload this page" in at.main.warning[0].value
    _start(at, "spotify:playlist:37i9dQZF1DXcBWIGoYBM5M")
    assert not at.exception
    assert "SPOTIPY_CLIENT_ID" in at.main.error[0].value
    assert jobs.job_status("crawl", home).state == "idle"


def test_credentials_from_streamlit_secrets_reach_the_crawler_and_nothing_else(
        home: Path, tiny: dict, fake_api, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = fake_api.client_secret
    monkeypatch.delenv("SPOTIPY_CLIENT_ID")
    monkeypatch.delenv("SPOTIPY_CLIENT_SECRET")
    monkeypatch.chdir(home)  # no secrets.toml the crawler could find by itself
    monkeypatch.setenv("HOME", str(home))
    at = open_page("crawl")
    at.secrets = {"SPOTIPY_CLIENT_ID": fake_api.client_id, "SPOTIPY_CLIENT_SECRET": secret}
    _start(at, fake_api.catalog.seed_playlist().id, max_playlists=2, depth=0)
    status = wait_for_job("crawl", home, timeout_s=120)
    assert status.state == "done", status.message
    at.run()
    assert secret not in texts(at)
    for path in (home / "jobs" / "crawl").iterdir():
        assert secret not in path.read_text(errors="replace"), path.name


def test_stop_then_resume_from_the_page(home: Path, tiny: dict, fake_api) -> None:
    fake_api.slow(0.3, times=-1)  # every API answer takes a while: the crawl is still running
    at = open_page("crawl")
    _start(at, fake_api.catalog.seed_playlist().id, max_playlists=10, depth=1)
    assert jobs.job_status("crawl", home).running
    deadline = time.monotonic() + 60
    while not sql(home, "SELECT count(*) FROM crawls WHERE state = 'running'")[0][0]:
        assert time.monotonic() < deadline, "the crawl never started"
        time.sleep(0.1)
    at.run()
    assert "running" in at.main.get("progress")[0].proto.text
    at.button(key="crawl_stop").click().run()
    status = wait_for_job("crawl", home, timeout_s=60)
    assert status.state == "cancelled"
    assert sql(home, "SELECT state FROM crawls")[0][0] == "stopped"  # resumable, not lost
    visited = sql(home, "SELECT count(*) FROM crawl_playlists WHERE status != 'queued'")[0][0]

    fake_api.clear_faults()
    at.run()
    resume = [b for b in at.button if b.label == "Resume last crawl"][0]
    assert not resume.disabled
    resume.click().run()
    status = wait_for_job("crawl", home, timeout_s=120)
    assert status.state == "done", status.message
    assert "--resume" in status.command
    assert sql(home, "SELECT count(*) FROM crawls")[0][0] == 1  # the same crawl, continued
    assert sql(home, "SELECT count(*) FROM crawl_playlists WHERE status != 'queued'")[0][0] \
        == 10 > visited
