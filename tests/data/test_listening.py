"""`python -m data listening`: a generated Spotify export imports exactly what the generator
wrote; personal fields never reach the catalog file; re-import, overlap, bad files."""
from __future__ import annotations

import io
import json
import shutil
import zipfile
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from data.home import catalog_path
from data.listening import import_listening
from data.store import Catalog
from testkit.spotify_export import (ACCOUNT_DIR, EXTENDED_DIR, YEAR_S, History,
                                    catalog_export_tracks, generate_history, write_export)
from tests.data.conftest import error_lines, run_cli

START = datetime(2023, 1, 1)


@pytest.fixture(scope="session")
def sample_catalog(small_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A catalog file holding the 400-playlist sample (copied into each test's home)."""
    from data.ingest import ingest
    path = tmp_path_factory.mktemp("listening_catalog") / "catalog.sqlite"
    with Catalog(path) as catalog:
        ingest(catalog, [small_sample], progress=False)
    return path


@pytest.fixture(scope="session")
def history(sample_catalog: Path) -> History:
    """Two years of one listener's plays: catalog tracks and tracks the catalog lacks."""
    with Catalog(sample_catalog) as catalog:
        tracks = catalog_export_tracks(catalog.tracks())
    return generate_history(tracks, plays=6000, start=START, days=730, new_tracks=120)


@pytest.fixture
def store(home: Path, sample_catalog: Path) -> Catalog:
    path = catalog_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(sample_catalog, path)
    with Catalog(path) as catalog:
        yield catalog


def stored_plays(catalog: Catalog, listener: str) -> set[tuple[int, str, int]]:
    return set(catalog.query(
        "SELECT p.ts, t.uri, p.ms_played FROM plays p JOIN tracks t ON t.id = p.track_id "
        "JOIN listeners l ON l.id = p.listener_id WHERE l.name = ?", (listener,)))


def export_playlists(catalog: Catalog, listener: str) -> dict[str, list[str]]:
    out = {}
    for row in catalog.query_dicts("SELECT id, source_id, owner_id FROM playlists "
                                   "WHERE source = 'export'"):
        assert row["owner_id"] == listener and row["source_id"].startswith(f"{listener}:")
        uris = {r["id"]: r["uri"] for r in catalog.tracks(catalog.playlist_track_ids(row["id"]))}
        out[row["source_id"][len(listener) + 1:]] = [
            uris[t] for t in catalog.playlist_track_ids(row["id"])]
    return out


def test_a_generated_two_year_export_imports_exactly(store: Catalog, history: History,
                                                     tmp_path: Path):
    catalog_uris = set(store.track_ids_for_uris(t["uri"] for t in store.tracks()))
    tracks_before = store.count("tracks")
    manifest = write_export(history, tmp_path / "my_spotify_data.zip", as_zip=True,
                            file_rows=2500)
    assert sum(f.startswith(EXTENDED_DIR) for f in manifest.files) == 3  # several yearly files

    report = import_listening(store, [tmp_path / "my_spotify_data.zip"])

    assert report.ok, report.errors
    assert report.listeners == [history.username]
    assert report.files_imported == len(manifest.files) - 1  # all but Userdata.json
    assert report.plays_added == manifest.plays and report.plays_present == 0
    assert stored_plays(store, history.username) == manifest.play_keys
    assert dict(report.skipped) == manifest.skipped
    assert manifest.skipped["episode"] > 0 and manifest.skipped["audiobook"] > 0 \
        and manifest.skipped["no_track_uri"] > 0
    # Tracks merge by URI; the missing ones are added with the export's names.
    assert report.tracks_added == manifest.new_uris and len(manifest.new_uris) > 0
    assert report.tracks_merged == len(manifest.track_uris & catalog_uris) > 0
    assert store.count("tracks") == tracks_before + len(manifest.new_uris)
    song = next(t for t in store.tracks() if t["uri"] in manifest.new_uris
                and t["name"] == "Export Song 0")
    assert song["artist"] == "Export Artist 0"
    # The saved tracks and own playlists are playlists of source 'export'.
    assert export_playlists(store, history.username) == manifest.playlists
    assert set(manifest.playlists) == {"library", "playlist:Road trip", "playlist:Focus",
                                       "playlist:Focus#2"}
    # The short history repeats the last year's extended plays: matched, none counted twice.
    assert report.short_rows == manifest.short_rows > 0
    assert report.short_matched == manifest.short_rows - manifest.short_unmatched
    assert report.short_added == 0
    assert f"({report.match_rate:.1%})" in report.summary()
    # Each play keeps its detail.
    row = store.query_dicts("SELECT * FROM plays ORDER BY ts LIMIT 1")[0]
    first = next(r for r in history.rows if r["spotify_track_uri"])
    assert (row["ms_played"], row["reason_end"], row["platform"], row["conn_country"],
            row["skipped"], row["shuffle"], row["incognito"], row["history"]) == (
        first["ms_played"], first["reason_end"], first["platform"], first["conn_country"],
        int(first["skipped"]), int(first["shuffle"]), int(first["incognito_mode"]), "extended")


def test_every_row_with_a_track_uri_is_a_play_whatever_its_ms_played(store: Catalog,
                                                                    history: History,
                                                                    tmp_path: Path):
    write_export(history, tmp_path / "export", account=False)
    report = import_listening(store, [tmp_path / "export"])
    # The newer format names nobody and there is no Userdata.json: the default listener.
    assert report.listeners == ["me"] and "'me'" in report.summary()
    short = [r for r in history.rows if r["spotify_track_uri"] and r["ms_played"] < 2000]
    assert len(short) > 0
    stored = stored_plays(store, "me")
    assert {(int(datetime.fromisoformat(r["ts"]).timestamp()), r["spotify_track_uri"],
             r["ms_played"]) for r in short} <= stored


def test_ip_addresses_user_agents_and_the_replaced_username_never_reach_the_file(
        store: Catalog, history: History, tmp_path: Path, home: Path):
    # The older format carries username, ip_addr_decrypted and user_agent_decrypted.
    manifest = write_export(history, tmp_path / "old", endsong=True)
    assert len(manifest.ip_addresses) > 50 and any("agent" in s for s in manifest.secrets)
    report = import_listening(store, [tmp_path / "old"], listener="Sam")
    assert report.ok and report.listeners == ["Sam"]
    assert report.plays_added == manifest.plays
    # With the catalog still open the WAL holds the import's pages: grep both files.
    files = [catalog_path(home), catalog_path(home).with_name("catalog.sqlite-wal")]
    assert files[1].exists() and files[1].stat().st_size > 0
    contents = b"".join(f.read_bytes() for f in files if f.exists())
    for secret in (*manifest.ip_addresses, *manifest.secrets):
        assert secret.encode() not in contents, secret
    assert b"203.0.113." not in contents
    assert store.query("SELECT name FROM listeners").fetchall() == [("Sam",)]


def test_without_as_the_username_is_the_listener_id_and_nothing_is_logged(
        home: Path, store: Catalog, history: History, tmp_path: Path):
    manifest = write_export(history, tmp_path / "export.zip", as_zip=True)
    proc = run_cli(home, "listening", tmp_path / "export.zip")
    assert proc.returncode == 0, proc.stderr
    assert f"{manifest.plays:,} plays added" in proc.stdout
    assert all(ip not in proc.stdout + proc.stderr for ip in manifest.ip_addresses)
    assert store.query("SELECT name FROM listeners").fetchall() == [(history.username,)]
    stats = run_cli(home, "stats")
    (line,) = [x for x in stats.stdout.splitlines() if x.startswith("plays (listeners)")]
    assert line.split()[-2:] == [f"{manifest.plays:,}", "(1)"]
    as_json = json.loads(run_cli(home, "stats", "--json").stdout)
    assert (as_json["plays"], as_json["listeners"]) == (manifest.plays, 1)


def test_reimport_adds_nothing_and_an_overlapping_export_adds_only_new_plays(
        store: Catalog, history: History, tmp_path: Path):
    t0 = int(history.ts[0])
    older = write_export(history, tmp_path / "older.zip", as_zip=True, until=t0 + YEAR_S * 3 // 2)
    newer = write_export(history, tmp_path / "newer.zip", as_zip=True, since=t0 + YEAR_S // 2)
    assert older.play_keys & newer.play_keys and newer.play_keys - older.play_keys

    first = import_listening(store, [tmp_path / "older.zip"])
    assert first.plays_added == older.plays
    version = store.version()
    again = import_listening(store, [tmp_path / "older.zip"])
    assert (again.plays_added, again.plays_present) == (0, older.plays)
    assert again.tracks_added == set() and again.playlists_stored == 0
    assert store.version() == version  # not even the store version moved

    later = import_listening(store, [tmp_path / "newer.zip"])
    assert later.plays_added == len(newer.play_keys - older.play_keys)
    assert later.plays_present == len(newer.play_keys & older.play_keys)
    assert stored_plays(store, history.username) == older.play_keys | newer.play_keys


def test_a_short_history_imported_before_the_extended_one_is_not_counted_twice(
        store: Catalog, history: History, tmp_path: Path):
    manifest = write_export(history, tmp_path / "export")
    short_files = sorted((tmp_path / "export" / ACCOUNT_DIR).glob("StreamingHistory_music_*"))
    first = import_listening(store, short_files, listener="me")
    # Only tracks already in the catalog can be matched before the extended history adds
    # the rest; the local files never match.
    assert 0 < first.short_matched < manifest.short_rows - manifest.short_unmatched
    assert first.short_added == first.short_matched
    import_listening(store, [tmp_path / "export"], listener="me")
    assert stored_plays(store, "me") == manifest.play_keys
    assert store.query("SELECT count(*) FROM plays WHERE history = 'account'").fetchone()[0] == 0


def _bad_inputs(tmp_path: Path) -> list[Path]:
    bad = tmp_path / "bad"
    bad.mkdir()
    truncated = bad / "Streaming_History_Audio_2024_0.json"
    truncated.write_text('[{"ts": "2024-01-01T10:00:00Z", "ms_played": 1000, "spotify_track_u')
    wrong_shape = bad / "Playlist1.json"
    wrong_shape.write_text(json.dumps({"playlists": [{"items": "not a list"}]}))
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    empty_zip = tmp_path / "photos.zip"
    with zipfile.ZipFile(empty_zip, "w") as archive:
        archive.writestr("cat.json", "{}")
    cut_zip = tmp_path / "cut.zip"
    cut_zip.write_bytes(b"PK\x03\x04" + b"\0" * 40)
    return [truncated, wrong_shape, notes, empty_zip, cut_zip]


def test_bad_files_are_one_line_errors_and_the_other_files_are_still_imported(
        home: Path, store: Catalog, history: History, tmp_path: Path):
    manifest = write_export(history, tmp_path / "good", account=False)
    bad = _bad_inputs(tmp_path)
    before = store.version()
    proc = run_cli(home, "listening", *bad, tmp_path / "good")
    assert proc.returncode == 1
    errors = error_lines(proc.stderr)
    assert len(errors) == len(bad) == len(proc.stderr.strip().splitlines())
    assert "truncated or not JSON" in errors[0] and "nothing of it stored" in errors[0]
    assert "not a Spotify playlists file" in errors[1]
    assert "not a Spotify export file" in errors[2] and "Streaming_History_Audio_*.json" in errors[2]
    assert "holds no Spotify export files" in errors[3]
    assert "not a readable zip" in errors[4]
    assert store.version() > before
    assert stored_plays(store, "me") == manifest.play_keys  # none from the truncated file
    assert store.query("SELECT count(*) FROM playlists WHERE source = 'export'").fetchone()[0] == 0
    assert [r[0] for r in store.query("SELECT name FROM listening_files")] == [
        f for f in (Path(p).name for p in manifest.files)]


def test_a_bad_file_inside_a_zip_does_not_stop_its_good_files(store: Catalog, history: History,
                                                             tmp_path: Path):
    manifest = write_export(history, tmp_path / "export.zip", as_zip=True, file_rows=4000)
    with zipfile.ZipFile(tmp_path / "export.zip", "a") as archive:
        archive.writestr(f"my_spotify_data/{EXTENDED_DIR}/Streaming_History_Audio_2099_9.json",
                         '[{"ts": 17}]')
    err = io.StringIO()
    report = import_listening(store, [tmp_path / "export.zip"], err=err)
    assert len(report.errors) == 1 and "Streaming_History_Audio_2099_9.json" in report.errors[0]
    assert err.getvalue().count("\n") == 1
    assert report.plays_added == manifest.plays
    assert Counter(report.skipped) == Counter(manifest.skipped)


def test_a_row_with_an_unreadable_time_is_counted_and_skipped_not_the_file(store: Catalog,
                                                                          tmp_path: Path):
    uri = store.tracks()[0]["uri"]
    rows = [{"ts": "2024-05-01T10:00:00Z", "ms_played": 1000, "spotify_track_uri": uri},
            {"ts": "yesterday", "ms_played": 2000, "spotify_track_uri": uri},
            {"ts": "2024-05-01T11:00:00Z", "ms_played": 0, "spotify_track_uri": uri}]
    path = tmp_path / "Streaming_History_Audio_2024_0.json"
    path.write_text(json.dumps(rows))
    report = import_listening(store, [path], listener="Ada")
    assert report.ok and report.plays_added == 2 and report.skipped == {"bad_time": 1}
    assert "1 rows with an unreadable time" in report.summary()
    assert stored_plays(store, "Ada") == {(1714557600, uri, 1000), (1714561200, uri, 0)}


def test_a_version_3_catalog_migrates_keeping_its_playlists_and_takes_export_ones(
        home: Path, small_sample: Path):
    """Migration v4 rebuilds the playlists table (wider CHECK), ids and rows kept."""
    import sqlite3
    from data.ingest import ingest
    from data.schema import _V3_COUNTS, MIGRATIONS, SCHEMA_VERSION, _statements
    path = catalog_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    for script in MIGRATIONS[:MIGRATIONS.index(_V3_COUNTS) + 1]:
        for statement in _statements(script):
            conn.execute(statement)
    conn.execute("INSERT INTO playlists (id, source, source_id, name) VALUES "
                 "(7, 'spotify', 'abc', 'crawled one')")
    conn.execute(f"PRAGMA user_version = {MIGRATIONS.index(_V3_COUNTS) + 1}")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO playlists (source, source_id, name) VALUES ('export', 'x', 'y')")
    conn.close()
    with Catalog(path) as catalog:
        assert catalog.query("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert catalog.playlists()[0]["source_id"] == "abc" and catalog.playlists()[0]["id"] == 7
        ingest(catalog, [small_sample], progress=False)
        with catalog.write():
            catalog.execute("INSERT INTO playlists (source, source_id, name) "
                            "VALUES ('export', 'x', 'y')")
        assert catalog.query("SELECT count(*) FROM playlists WHERE source = 'export'"
                             ).fetchone()[0] == 1


def test_an_empty_as_name_is_refused_before_anything_is_read(home: Path, tmp_path: Path):
    proc = run_cli(home, "listening", tmp_path / "missing.zip", "--as", " ")
    assert proc.returncode == 2 and error_lines(proc.stderr) == [
        "error: --as needs a name (or leave it out to use the export's username)"]
