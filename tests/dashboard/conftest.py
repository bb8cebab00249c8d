"""Fixtures for the dashboard tests: a tiny catalog whose answers are known by hand."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from data.store import ArtistRef, Catalog, PlaylistRecord, TrackRecord

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"

ROCKERS = ArtistRef("spotify:artist:rockers", "The Rockers")
STONES = ArtistRef("spotify:artist:stoneband", "Stone Band")
CALM = ArtistRef("spotify:artist:calm", "Calm Person")

# Seven tracks: A–D rock (two artists), E–G chill.
TRACKS = {
    "A": TrackRecord("spotify:track:A", "Highway Song", (ROCKERS,)),
    "B": TrackRecord("spotify:track:B", "Thunder Road Trip", (ROCKERS,)),
    "C": TrackRecord("spotify:track:C", "Granite", (STONES,)),
    "D": TrackRecord("spotify:track:D", "Pebble", (STONES,)),
    "E": TrackRecord("spotify:track:E", "Slow Morning", (CALM,)),
    "F": TrackRecord("spotify:track:F", "Rainy Window", (CALM,)),
    "G": TrackRecord("spotify:track:G", "Tea Time", (CALM,)),
}

# (source, source id, title, owner id, owner name, tracks)
PLAYLISTS = [
    ("mpd", "0", "Rock Classics", None, None, "ABC"),
    ("mpd", "1", "rock road trip", None, None, "ABD"),
    ("mpd", "2", "Chill", None, None, "EF"),
    ("mpd", "3", "chill evening", None, None, "EFG"),
    ("mpd", "4", "Mixed 100%", None, None, "AE"),
    ("spotify", "alice1", "Alice rock", "alice", "Alice", "AB"),
    ("spotify", "alice2", "Alice chill", "alice", "Alice", "FGF"),  # F twice
    ("spotify", "bob1", "Bob's mix", "bob", "Bob", "CDA"),
]


def build_tiny_catalog(catalog: Catalog) -> dict[str, int]:
    """Write the tiny catalog; return {track letter: track id} plus {'pl:<title>': playlist id}."""
    ids: dict[str, int] = {}
    with catalog.write():
        by_uri = catalog.upsert_tracks(list(TRACKS.values()))
        ids.update({k: by_uri[t.uri] for k, t in TRACKS.items()})
        for source, source_id, title, owner_id, owner_name, letters in PLAYLISTS:
            pid = catalog.upsert_playlist(PlaylistRecord(
                source=source, source_id=source_id, name=title, owner_id=owner_id,
                owner_name=owner_name))
            catalog.set_playlist_tracks(pid, [ids[x] for x in letters])
            ids[f"pl:{title}"] = pid
        catalog.put_audio_features(
            [(TRACKS[x].uri, {"danceability": 0.5, "energy": 0.7}) for x in "ABC"], "test")
        catalog.set_meta("last_ingest_at", "2025-01-02T03:04:05+00:00")
    return ids


@pytest.fixture
def tiny(catalog: Catalog) -> dict[str, int]:
    return build_tiny_catalog(catalog)


def sql(home: Path, query: str, params: tuple = ()) -> list[tuple]:
    """Read the catalog with plain sqlite3: the independent check of what pages show."""
    conn = sqlite3.connect(home / "catalog.sqlite")
    try:
        return conn.execute(query, params).fetchall()
    finally:
        conn.close()


@pytest.fixture
def no_autotrain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAYLISTGRAPH_AUTOTRAIN", "0")


@pytest.fixture(autouse=True)
def model_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages wait for the served model as long as a page run may take, so that a loaded
    machine never shows a test the "loading" state it did not ask for."""
    monkeypatch.setenv("PLAYLISTGRAPH_MODEL_WAIT_S", "600")


@pytest.fixture(autouse=True)
def quick_projection(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every training job that ends done starts a projection job (its follow-up): PCA, so a
    test's run is projected in a second, not after UMAP's compile, and leaves no long job."""
    monkeypatch.setenv("PLAYLISTGRAPH_PROJECTION_ARGS", "--method pca")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the test, for the browser tests' `page`
    fixture to see whether the test failed."""
    report = (yield).get_result()
    setattr(item, f"report_{report.when}", report)
