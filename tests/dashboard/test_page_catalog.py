"""AppTest: the Overview and Degrees pages show exactly what the store holds.

The expected numbers are computed here with plain sqlite3 and numpy, independently of
`data.stats` and the dashboard's own code.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.dashboard.apptest_helpers import metrics, open_page
from tests.dashboard.conftest import sql

pytestmark = pytest.mark.usefixtures("no_autotrain")


def _one(home: Path, query: str) -> int:
    return sql(home, query)[0][0]


def test_overview_counts_equal_the_store(home: Path, tiny: dict) -> None:
    at = open_page()  # Overview is the default page
    shown = metrics(at)
    playlists = _one(home, "SELECT count(*) FROM playlists")
    mpd = _one(home, "SELECT count(*) FROM playlists WHERE source = 'mpd'")
    crawled = _one(home, "SELECT count(*) FROM playlists WHERE source = 'spotify'")
    tracks = _one(home, "SELECT count(*) FROM tracks")
    edges = _one(home, "SELECT count(*) FROM (SELECT DISTINCT playlist_id, track_id "
                       "FROM playlist_tracks)")
    with_tracks = _one(home, "SELECT count(DISTINCT playlist_id) FROM playlist_tracks")
    featured = _one(home, "SELECT count(*) FROM audio_features")
    version = int(_one(home, "SELECT value FROM meta WHERE key = 'store_version'"))
    assert shown["Playlists"] == f"{playlists:,}" == "8"
    assert shown["MPD playlists"] == f"{mpd:,}" == "5"
    assert shown["Crawled playlists"] == f"{crawled:,}" == "3"
    assert shown["Tracks"] == f"{tracks:,}"
    assert shown["Artists"] == f"{_one(home, 'SELECT count(*) FROM artists'):,}"
    assert shown["Playlist–track edges"] == f"{edges:,}" == "20"  # Alice's F twice counts once
    assert shown["Density"] == f"{edges / (with_tracks * tracks):.4f}"
    assert shown["Feature coverage"] == f"{featured / tracks:.1%}"
    assert shown["Store version"] == f"{version:,}"
    size = sum(p.stat().st_size for p in home.glob("catalog.sqlite*"))
    assert shown["Size on disk"] == f"{size / 1024:,.1f} KB"
    assert "2025-01-02 03:04 UTC" in at.main.markdown[-1].value  # last ingest

    by_source = at.dataframe[0].value.set_index("Kind")
    mpd_tracks = _one(home, "SELECT count(DISTINCT pt.track_id) FROM playlist_tracks pt "
                            "JOIN playlists p ON p.id = pt.playlist_id WHERE p.source = 'mpd'")
    both = _one(home, "SELECT count(*) FROM (SELECT pt.track_id FROM playlist_tracks pt "
                      "JOIN playlists p ON p.id = pt.playlist_id GROUP BY pt.track_id "
                      "HAVING count(DISTINCT p.source) = 2)")
    assert by_source.loc["Tracks", "MPD"] == mpd_tracks
    assert by_source.loc["Tracks", "In both"] == both == 6  # every crawled track: A–D, F, G
    assert by_source.loc["Playlists", "Crawled"] == crawled


def test_overview_on_an_empty_catalog_loaded_elsewhere_shows_zero_not_errors(
        home: Path, catalog, tiny: dict) -> None:
    # A catalog with playlists but no tracks at all would divide by zero without care.
    with catalog.write():
        catalog.execute("DELETE FROM playlist_tracks")
    at = open_page()
    assert metrics(at)["Density"] == "0.0000"


def _degree_histogram(home: Path, query: str) -> np.ndarray:
    return np.array([r[0] for r in sql(home, query)], dtype=float)


@pytest.mark.parametrize("tab, label, query", [
    (0, "Playlists", "SELECT count(DISTINCT track_id) FROM playlist_tracks GROUP BY playlist_id"),
    (1, "Tracks", "SELECT count(DISTINCT playlist_id) FROM playlist_tracks GROUP BY track_id"),
    (2, "Artists", "SELECT count(DISTINCT pt.playlist_id) FROM track_artists ta "
                   "JOIN playlist_tracks pt ON pt.track_id = ta.track_id GROUP BY ta.artist_id"),
])
def test_degrees_summary_equals_the_store(home: Path, tiny: dict, tab: int, label: str,
                                          query: str) -> None:
    at = open_page("degrees")
    degrees = _degree_histogram(home, query)
    shown = metrics(at.tabs[tab])
    assert at.tabs[tab].label == label
    assert shown[f"{label} with neighbours"] == f"{len(degrees):,}"
    assert shown["Mean degree"] == f"{degrees.mean():,.2f}"
    assert shown["Median degree"] == f"{np.median(degrees):,.1f}"
    assert shown["Max degree"] == f"{int(degrees.max()):,}"
    assert len(at.main.get("vega_lite_chart")) == 3  # one chart per tab


def test_a_write_to_the_store_shows_up_on_the_next_run(home: Path, catalog, tiny: dict) -> None:
    """Reads are cached on the store version: a commit bumps it, so nothing stale is shown."""
    from data.store import PlaylistRecord

    at = open_page()
    assert metrics(at)["Playlists"] == "8"
    with catalog.write():
        pid = catalog.upsert_playlist(PlaylistRecord("spotify", "carol1", "Carol's", "carol"))
        catalog.set_playlist_tracks(pid, [tiny["E"], tiny["G"]])
    at.run()
    shown = metrics(at)
    assert shown["Playlists"] == "9" and shown["Crawled playlists"] == "4"
    assert shown["Store version"] == str(catalog.version())
