"""The graph snapshot: arrays that agree with the catalog, and the on-disk cache."""
from __future__ import annotations

import numpy as np
import pytest

import data.graph_reads
import ml.dataset.snapshot
from data.schema import AUDIO_FEATURES
from data.store import ArtistRef, PlaylistRecord, TrackRecord
from ml.dataset.snapshot import load_snapshot, snapshot_path
from ml.dataset.titles import normalize_title


def _tiny(catalog):
    """Two playlists; 'b' lists track 2 twice; track 3 has no features, track 4 is in none."""
    tracks = [TrackRecord(f"spotify:track:{i}", f"t{i}", (ArtistRef(f"spotify:artist:{i % 2}",
                                                                    f"a{i % 2}"),),
                          album_uri=f"spotify:album:{i}") for i in range(5)]
    with catalog.write():
        ids = catalog.upsert_tracks(tracks)
        t = [ids[f"spotify:track:{i}"] for i in range(5)]
        a = catalog.upsert_playlist(PlaylistRecord("mpd", "1", "Road Trip 🚗!!"))
        b = catalog.upsert_playlist(PlaylistRecord("mpd", "2", "chill"))
        catalog.upsert_playlist(PlaylistRecord("spotify", "x", "empty"))
        catalog.set_playlist_tracks(a, [t[0], t[1], t[2]])
        catalog.set_playlist_tracks(b, [t[2], t[3], t[2], t[1]])
        catalog.put_audio_features(
            [(f"spotify:track:{i}", {"energy": 0.5 + i / 10, "tempo": None}) for i in (0, 1, 2, 4)],
            "test")
    return t, a, b


def test_arrays_match_the_catalog(catalog, home):
    t, a, b = _tiny(catalog)
    s = load_snapshot(catalog, home)
    assert s.num_tracks == 5 and s.num_playlists == 2  # the empty playlist is no node
    assert list(s.playlist_ids) == [a, b]
    index = s.track_index(np.array(t))
    assert list(s.playlist_tracks(0)) == list(index[[0, 1, 2]])
    assert list(s.playlist_tracks(1)) == list(index[[2, 3, 1]])  # repeat dropped, order kept
    assert s.num_edges == 6
    # the two CSRs are transposes of each other
    forward = {(p, int(x)) for p in range(2) for x in s.playlist_tracks(p)}
    backward = {(int(s.tr_playlists[k]), tr) for tr in range(s.num_tracks)
                for k in range(s.tr_indptr[tr], s.tr_indptr[tr + 1])}
    assert forward == backward
    assert list(s.track_degrees()) == [1, 2, 2, 1, 0]


def test_features_mask_artists_titles(catalog, home):
    t, a, b = _tiny(catalog)
    s = load_snapshot(catalog, home)
    energy, tempo = AUDIO_FEATURES.index("energy"), AUDIO_FEATURES.index("tempo")
    assert s.feature_mask[:, energy].tolist() == [True, True, True, False, True]
    assert not s.feature_mask[:, tempo].any()  # stored as NULL
    assert s.features[1, energy] == pytest.approx(0.6)
    assert s.features[3].tolist() == [0.0] * len(AUDIO_FEATURES)
    assert s.track_artist.tolist() == [0, 1, 0, 1, 0]
    assert len(s.album_ids) == 5
    assert s.normalized_title(0) == "road trip" == normalize_title("Road Trip 🚗!!")
    assert s.normalized_title(1) == "chill"
    assert s.track_index(np.array([10**9])).tolist() == [-1]


def test_second_load_uses_the_cache_not_the_database(catalog, home, monkeypatch):
    _tiny(catalog)
    first = load_snapshot(catalog, home)
    assert snapshot_path(catalog.version(), home).exists()

    def no_database(*_):
        raise AssertionError("the database was read again")
    monkeypatch.setattr(ml.dataset.snapshot, "read_graph_tables", no_database)
    second = load_snapshot(catalog, home)
    assert np.array_equal(first.pl_tracks, second.pl_tracks)
    assert np.array_equal(first.feature_mask, second.feature_mask)
    assert first.titles == second.titles


def test_a_write_changes_the_version_and_the_snapshot(catalog, home):
    t, a, b = _tiny(catalog)
    before = load_snapshot(catalog, home)
    with catalog.write():
        catalog.set_playlist_tracks(a, [t[0], t[4]])
    after = load_snapshot(catalog, home)
    assert after.version > before.version
    assert list(after.track_degrees()) == [1, 1, 1, 1, 1]


def test_a_torn_cache_file_is_rebuilt(catalog, home):
    _tiny(catalog)
    load_snapshot(catalog, home)
    snapshot_path(catalog.version(), home).write_bytes(b"not a zip")
    assert load_snapshot(catalog, home).num_edges == 6


def test_reads_are_one_transaction(catalog, home, monkeypatch):
    """The version in the snapshot is the one its arrays were read at."""
    _tiny(catalog)
    tables = data.graph_reads.read_graph_tables(catalog)
    assert tables.version == catalog.version()
    assert len(tables.edge_track) == 7  # rows, before the repeat is dropped


def test_synthetic_snapshot_has_the_asked_size_and_agrees_with_itself():
    from testkit.synthetic import synthetic_snapshot
    s = synthetic_snapshot(num_playlists=2000, num_tracks=5000, num_edges=60_000, seed=1)
    assert s.num_playlists == 2000 and s.num_tracks == 5000
    assert abs(s.num_edges - 60_000) <= 600
    assert s.playlist_lengths().min() >= 1 and s.track_degrees().sum() == s.num_edges
    edges = set(zip(s.edge_playlists().tolist(), s.pl_tracks.tolist()))
    assert len(edges) == s.num_edges  # distinct
    by_track = {(int(p), t) for t in range(s.num_tracks)
                for p in s.tr_playlists[s.tr_indptr[t]:s.tr_indptr[t + 1]]}
    assert by_track == edges
    assert s.feature_mask.any(axis=1).mean() == pytest.approx(0.7, abs=0.05)
