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
    assert shown["Density"] == f"{100 * edges / (with_tracks * tracks):.3g}%" == "35.7%"
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
    with catalog.write():  # through the store, so the counts kept at write time follow
        for (playlist_id,) in catalog.query("SELECT id FROM playlists").fetchall():
            catalog.set_playlist_tracks(playlist_id, [])
    at = open_page()
    assert metrics(at)["Density"] == "0%"


def _degree_histogram(home: Path, query: str) -> np.ndarray:
    return np.array([r[0] for r in sql(home, query)], dtype=float)


def test_unreachable_crawled_playlists_are_not_counted_as_crawled(home: Path, catalog,
                                                                   tiny: dict) -> None:
    """A crawled playlist whose items the API refused is stored from its metadata only:
    Overview must not count it among the crawled playlists, and must say so."""
    from data.store import PlaylistRecord
    with catalog.write():
        catalog.upsert_playlist(PlaylistRecord("spotify", "refused", "Refused", "dora",
                                               num_tracks=40))
    at = open_page()
    shown = metrics(at)
    crawled = _one(home, "SELECT count(*) FROM playlists p WHERE source = 'spotify' AND "
                         "EXISTS (SELECT 1 FROM playlist_tracks WHERE playlist_id = p.id)")
    assert shown["Crawled playlists"] == f"{crawled}" == "3"
    assert shown["Playlists"] == "8"
    helps = {m.label: m.help for m in at.metric}
    assert "1 unreachable playlist the crawl found" in helps["Crawled playlists"]
    assert at.dataframe[0].value.set_index("Kind").loc["Playlists", "Crawled"] == 3


@pytest.mark.parametrize("column, label, query", [
    (0, "Playlists", "SELECT count(DISTINCT track_id) FROM playlist_tracks GROUP BY playlist_id"),
    (1, "Tracks", "SELECT count(DISTINCT playlist_id) FROM playlist_tracks GROUP BY track_id"),
    (2, "Artists", "SELECT count(DISTINCT pt.playlist_id) FROM track_artists ta "
                   "JOIN playlist_tracks pt ON pt.track_id = ta.track_id GROUP BY ta.artist_id"),
])
def test_degrees_summary_equals_the_store(home: Path, tiny: dict, column: int, label: str,
                                          query: str) -> None:
    at = open_page("degrees")
    degrees = _degree_histogram(home, query)
    # The three kinds side by side, one column each (not behind tabs).
    side_by_side = [c for c in at.main.columns if len(c.subheader)]
    assert [c.subheader[0].value for c in side_by_side] == ["Playlists", "Tracks", "Artists"]
    assert not at.main.tabs
    node = side_by_side[column]
    shown = metrics(node)
    assert node.subheader[0].value == label
    assert shown["Nodes"] == f"{len(degrees):,}"
    assert shown["Mean degree"] == f"{degrees.mean():,.2f}"
    assert shown["Median degree"] == f"{np.median(degrees):,.1f}"
    assert shown["Max degree"] == f"{int(degrees.max()):,}"
    # Playlist lengths are not power-law distributed: no slope is fitted to them.
    assert ("Power-law slope" in shown) == (label != "Playlists")
    assert len(at.main.get("vega_lite_chart")) == 3  # one chart per kind


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
