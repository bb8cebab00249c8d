"""The catalog store: migrations, WAL, the store version, and the typed write/read API."""
from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import numpy as np
import pytest

from data.home import catalog_path
from data.schema import SCHEMA_VERSION, SchemaTooNewError
from data.store import ArtistRef, Catalog, PlaylistRecord, TrackRecord
from testkit.catalog_contents import natural_contents, table_names, table_rows
from tests.data.conftest import set_user_version_in_file, spotify_uri, sqlite_header

# The catalog tables issue 2 asks for (later migrations add more, e.g. the crawler's).
CATALOG_TABLES = {"albums", "artists", "audio_features", "ingested_slices", "meta",
                  "playlist_tracks", "playlists", "track_artists", "tracks"}


def track(n: int, *, album: int | None = None, duration: int | None = None,
          artist: int | None = None) -> TrackRecord:
    return TrackRecord(
        uri=spotify_uri("track", n), name=f"Track {n}",
        artists=() if artist is None else (ArtistRef(spotify_uri("artist", artist), f"A{artist}"),),
        album_uri=None if album is None else spotify_uri("album", album),
        album_name=None if album is None else f"Album {album}", duration_ms=duration)


# ---------------------------------------------------------------------------- migrations

def test_migrates_an_empty_file_to_the_current_schema(home: Path):
    path = catalog_path(home)
    path.touch()  # an empty file is an empty SQLite database at user_version 0
    with Catalog(path) as catalog:
        assert CATALOG_TABLES <= set(table_names(catalog))
        assert all(catalog.count(t) == 0 for t in CATALOG_TABLES if t != "meta")
        assert catalog.version() == 0
    # Read after close: in WAL mode page 1 reaches the main file at the last checkpoint.
    assert sqlite_header(path)["user_version"] == SCHEMA_VERSION


def test_reopening_a_current_catalog_keeps_its_rows_and_version(home: Path):
    with Catalog.open(home) as catalog:
        with catalog.write():
            catalog.upsert_tracks([track(1)])
        version = catalog.version()
    with Catalog.open(home) as catalog:
        assert catalog.version() == version == 1
        assert catalog.track_ids_for_uris([spotify_uri("track", 1)])
    assert sqlite_header(catalog_path(home))["user_version"] == SCHEMA_VERSION


def test_a_catalog_from_a_newer_schema_is_refused_and_left_untouched(home: Path):
    with Catalog.open(home) as catalog:
        with catalog.write():
            catalog.upsert_tracks([track(1)])
    path = catalog_path(home)
    set_user_version_in_file(path, SCHEMA_VERSION + 1)
    before = path.read_bytes()
    with pytest.raises(SchemaTooNewError, match=rf"version {SCHEMA_VERSION + 1} is newer"):
        Catalog(path)
    assert path.read_bytes() == before


def test_concurrent_openers_of_a_fresh_file_migrate_it_once(home: Path):
    # Several connections race through migrate() (sqlite3 releases the GIL); each must
    # either run a migration or see it done, never apply one twice.
    path = catalog_path(home)
    barrier = threading.Barrier(4)
    opened: list[Catalog] = []
    failures: list[BaseException] = []

    def open_catalog() -> None:
        barrier.wait()
        try:
            opened.append(Catalog(path))
        except BaseException as exc:  # noqa: BLE001 - reported by the assert below
            failures.append(exc)

    threads = [threading.Thread(target=open_catalog) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert failures == []
        assert [table_names(c) for c in opened] == [table_names(opened[0])] * 4
        assert CATALOG_TABLES <= set(table_names(opened[0]))
        assert {c.version() for c in opened} == {0}
    finally:
        for c in opened:
            c.close()
    assert sqlite_header(path)["user_version"] == SCHEMA_VERSION


# ---------------------------------------------------------------------------- WAL

def test_the_catalog_is_in_wal_mode(home: Path):
    path = catalog_path(home)
    with Catalog(path) as catalog:
        with catalog.write():
            catalog.upsert_tracks([track(1)])
        assert Path(f"{path}-wal").exists()
    header = sqlite_header(path)
    assert (header["write_version"], header["read_version"]) == (2, 2)  # WAL is persistent


def test_a_reader_sees_committed_data_while_a_writer_holds_its_transaction(home: Path):
    with Catalog.open(home) as writer, Catalog.open(home) as reader:
        with writer.write():
            writer.upsert_tracks([track(1)])
        with writer.write():
            writer.upsert_tracks([track(2)])
            # WAL: the reader is not blocked and sees the last committed state.
            assert reader.count("tracks") == 1
            assert reader.version() == 1
        assert reader.count("tracks") == 2
        assert reader.version() == 2


# ---------------------------------------------------------------------------- store version

def test_version_increases_with_every_write_that_changes_rows(catalog: Catalog):
    versions = [catalog.version()]
    with catalog.write():
        catalog.upsert_tracks([track(1, album=1)])
    versions.append(catalog.version())
    with catalog.write():
        pid = catalog.upsert_playlist(PlaylistRecord("mpd", "7", "seven"))
    versions.append(catalog.version())
    with catalog.write():
        catalog.set_playlist_tracks(pid, list(catalog.track_ids_for_uris(
            [spotify_uri("track", 1)]).values()))
    versions.append(catalog.version())
    assert versions == [0, 1, 2, 3]


def test_version_does_not_change_on_a_no_op_write(catalog: Catalog):
    with catalog.write():
        ids = catalog.upsert_tracks([track(1, album=1, duration=5, artist=1)])
        pid = catalog.upsert_playlist(PlaylistRecord("mpd", "7", "seven", num_tracks=1))
        catalog.set_playlist_tracks(pid, list(ids.values()))
        catalog.put_audio_features([(spotify_uri("track", 1), {"energy": 0.5})], "test")
    version, rows = catalog.version(), table_rows(catalog)
    with catalog.write():
        assert catalog.upsert_tracks([track(1, album=1, duration=5, artist=1)]) == ids
        catalog.put_audio_features([(spotify_uri("track", 1), {"energy": 0.5})], "test")
    with catalog.write():
        pass
    assert catalog.version() == version
    assert table_rows(catalog) == rows


def test_a_failed_write_rolls_back_and_keeps_the_version(catalog: Catalog):
    with catalog.write():
        catalog.upsert_tracks([track(1)])
    version, rows = catalog.version(), table_rows(catalog)
    with pytest.raises(ZeroDivisionError):
        with catalog.write():
            catalog.upsert_tracks([track(2), track(3)])
            1 / 0
    assert catalog.version() == version
    assert table_rows(catalog) == rows


def test_an_interrupt_after_the_commit_keeps_the_rows_and_its_exception(catalog: Catalog):
    # The crawler turns SIGTERM into KeyboardInterrupt; Python runs the handler at the next
    # bytecode, which can be just after COMMIT returned (CI, 8 Dec): the transaction is
    # over, and a ROLLBACK then raised "no transaction is active" in place of the interrupt.
    with pytest.raises(KeyboardInterrupt):
        with catalog.write():
            catalog.upsert_tracks([track(1)])
            catalog._conn.execute("COMMIT")  # the transaction ends as COMMIT would end it
            raise KeyboardInterrupt
    assert catalog.count("tracks") == 1  # what was committed stays
    with catalog.write():  # and the catalog takes the next write
        catalog.upsert_tracks([track(2)])
    assert catalog.count("tracks") == 2


def test_writes_outside_a_transaction_and_nested_transactions_are_refused(catalog: Catalog):
    with pytest.raises(RuntimeError, match="inside Catalog.write"):
        catalog.upsert_tracks([track(1)])
    with catalog.write():
        with pytest.raises(RuntimeError, match="nested"):
            with catalog.write():
                pass
    assert catalog.count("tracks") == 0


def test_version_is_shared_by_every_connection(home: Path):
    with Catalog.open(home) as a, Catalog.open(home) as b:
        with a.write():
            a.upsert_tracks([track(1)])
        with b.write():
            b.upsert_tracks([track(2)])
        assert a.version() == b.version() == 2


# ---------------------------------------------------------------------------- writes

def test_tracks_artists_and_albums_are_keyed_by_uri(catalog: Catalog):
    with catalog.write():
        first = catalog.upsert_tracks([track(1, album=1, artist=1), track(2, album=1, artist=1)])
    with catalog.write():
        again = catalog.upsert_tracks([track(2, album=1, artist=1), track(3, album=2, artist=2)])
    assert again[spotify_uri("track", 2)] == first[spotify_uri("track", 2)]
    assert (catalog.count("tracks"), catalog.count("albums"), catalog.count("artists")) == (3, 2, 2)
    assert catalog.count("track_artists") == 3


def test_a_later_sighting_fills_missing_fields_and_overwrites_nothing(catalog: Catalog):
    with catalog.write():
        catalog.upsert_tracks([track(1), track(2, album=2, duration=200)])
    with catalog.write():
        catalog.upsert_tracks([track(1, album=1, duration=100), track(2, album=9, duration=999)])
    rows = {r["uri"]: (r["album_uri"], r["duration_ms"]) for r in catalog.tracks()}
    assert rows == {spotify_uri("track", 1): (spotify_uri("album", 1), 100),
                    spotify_uri("track", 2): (spotify_uri("album", 2), 200)}


def test_one_batch_seeing_a_track_with_and_without_its_album_keeps_the_album(catalog: Catalog):
    # The same track can appear in two playlists of one slice, once with full fields and
    # once from a minimal extract; what one sighting knows must not be lost.
    with catalog.write():
        catalog.upsert_tracks([track(1, album=1, duration=100), track(1)])
    row = catalog.tracks()[0]
    assert (row["album_uri"], row["duration_ms"]) == (spotify_uri("album", 1), 100)


def test_an_artist_known_only_by_name_is_keyed_by_it_and_marked(catalog: Catalog):
    with catalog.write():
        catalog.upsert_tracks([TrackRecord(spotify_uri("track", 1), "t",
                                           artists=(ArtistRef.by_name("Nobody"),))])
    assert natural_contents(catalog)["artists"] == [("name:Nobody", "Nobody", 1)]


def test_playlist_upsert_keeps_known_counters_and_updates_given_ones(catalog: Catalog):
    with catalog.write():
        first = catalog.upsert_playlist(PlaylistRecord(
            "spotify", "abc", "old name", description="d", num_followers=5, collaborative=False))
    with catalog.write():
        again = catalog.upsert_playlist(PlaylistRecord("spotify", "abc", "new name"))
        other = catalog.upsert_playlist(PlaylistRecord("mpd", "abc", "an MPD pid that looks alike"))
    assert again == first != other
    row = catalog.playlists([first])[0]
    assert (row["name"], row["description"], row["num_followers"], row["collaborative"]) == \
        ("new name", "d", 5, 0)
    assert catalog.existing_playlists("spotify", ["abc", "zzz"]) == {"abc": first}


def test_playlist_source_must_be_mpd_or_spotify(catalog: Catalog):
    with pytest.raises(sqlite3.IntegrityError):
        with catalog.write():
            catalog.upsert_playlist(PlaylistRecord("youtube", "1", "x"))
    assert catalog.count("playlists") == 0


def test_set_playlist_tracks_replaces_the_list_with_positions(catalog: Catalog):
    with catalog.write():
        ids = catalog.upsert_tracks([track(n) for n in range(5)])
        pid = catalog.upsert_playlist(PlaylistRecord("spotify", "p", "p"))
        order = [ids[spotify_uri("track", n)] for n in (3, 1, 3, 0)]
        catalog.set_playlist_tracks(pid, order)
    assert catalog.playlist_track_ids(pid) == order
    with catalog.write():
        catalog.set_playlist_tracks(pid, order[:2])
    assert catalog.playlist_track_ids(pid) == order[:2]
    assert catalog.count("playlist_tracks") == 2


def test_audio_features_are_stored_by_uri_with_nulls_and_source(catalog: Catalog):
    with catalog.write():
        catalog.upsert_tracks([track(1), track(2)])
        stored = catalog.put_audio_features(
            [(spotify_uri("track", 2), {"energy": 0.25, "tempo": 120.0}),
             (spotify_uri("track", 99), {"energy": 1.0})], source="api")
    assert stored == 1
    rows = natural_contents(catalog)["audio_features"]
    assert rows == [(spotify_uri("track", 2), None, 0.25, None, None, None, None, None, None,
                     None, None, 120.0, "api")]
    track_ids, feats = catalog.audio_feature_rows()
    id_of = {r["uri"]: r["id"] for r in catalog.tracks()}
    assert track_ids.tolist() == [id_of[spotify_uri("track", 2)]]
    assert feats.shape == (1, 11)
    assert feats[0, 1] == 0.25 and feats[0, 10] == 120.0
    assert np.isnan(feats[0, [0, 2, 3, 4, 5, 6, 7, 8, 9]]).all()


def test_count_rejects_unknown_tables(catalog: Catalog):
    with pytest.raises(ValueError, match="unknown table"):
        catalog.count("sqlite_master; DROP TABLE tracks")


# ---------------------------------------------------------------------------- reads

def test_playlist_track_edges_are_sorted_by_playlist_then_position(catalog: Catalog):
    with catalog.write():
        ids = catalog.upsert_tracks([track(n) for n in range(6)])
        tid = [ids[spotify_uri("track", n)] for n in range(6)]
        a = catalog.upsert_playlist(PlaylistRecord("mpd", "1", "a"))
        b = catalog.upsert_playlist(PlaylistRecord("mpd", "2", "b"))
        catalog.set_playlist_tracks(b, [tid[0], tid[5]])
        catalog.set_playlist_tracks(a, [tid[5], tid[4], tid[0]])
    playlist, position, track_id = catalog.playlist_track_edges()
    assert playlist.dtype == position.dtype == track_id.dtype == np.int64
    assert list(zip(playlist.tolist(), position.tolist(), track_id.tolist())) == [
        (a, 0, tid[5]), (a, 1, tid[4]), (a, 2, tid[0]), (b, 0, tid[0]), (b, 1, tid[5])]


def test_track_artist_pairs_give_the_primary_artist(catalog: Catalog):
    two = TrackRecord(spotify_uri("track", 1), "duet", artists=(
        ArtistRef(spotify_uri("artist", 1), "Lead"), ArtistRef(spotify_uri("artist", 2), "Feat")))
    with catalog.write():
        ids = catalog.upsert_tracks([two, track(2, artist=2)])
    artists = {r["artist_uri"]: r["artist_id"] for r in catalog.tracks()}
    pairs = sorted(zip(*(a.tolist() for a in catalog.track_artist_pairs())))
    assert pairs == sorted([(ids[spotify_uri("track", 1)], artists[spotify_uri("artist", 1)]),
                            (ids[spotify_uri("track", 2)], artists[spotify_uri("artist", 2)])])
    assert catalog.count("track_artists") == 3


def test_reads_by_id_and_by_source(catalog: Catalog):
    with catalog.write():
        ids = catalog.upsert_tracks([track(1, album=1, artist=1), track(2)])
        m = catalog.upsert_playlist(PlaylistRecord("mpd", "1", "m"))
        s = catalog.upsert_playlist(PlaylistRecord("spotify", "x", "s"))
    assert catalog.playlist_ids().tolist() == [m, s]
    assert catalog.playlist_ids("spotify").tolist() == [s]
    assert catalog.track_ids().tolist() == sorted(ids.values())
    row = catalog.tracks([ids[spotify_uri("track", 1)]])[0]
    assert (row["uri"], row["album"], row["artist"]) == (spotify_uri("track", 1), "Album 1", "A1")
    assert [p["source_id"] for p in catalog.playlists([s])] == ["x"]
    assert catalog.track_ids_for_uris([spotify_uri("track", 2), "spotify:track:none"]) == \
        {spotify_uri("track", 2): ids[spotify_uri("track", 2)]}
