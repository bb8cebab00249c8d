"""No dataset shadows another: the bundled sample has a source of its own, real MPD slices
whose pids overlap it are stored beside it, a pid stored with other contents is a conflict,
the sample goes in one step, and homes from before the 'sample' source are migrated.

The "sample" here is a small generated one (data.sample, seed 7, gzip, like the bundled
one) and the "real" slices are generated with another seed: the same pids, other contents.
"""
from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from data.bundled import load_bundled_sample, needs_sample
from data.home import catalog_path
from data.ingest import ingest
from data.sample import generate_sample
from data.sample_removal import remove_sample
from data.schema import SCHEMA_VERSION
from data.stats import graph_stats
from data.store import Catalog
from testkit.catalog_contents import natural_contents, table_rows
from tests.data.conftest import error_lines, run_cli
from tests.data.test_graph_counts import kept, recount

SLICE, SAMPLE, REAL = 50, 150, 200  # playlists: 3 sample slices, 4 real; pids 0-149 overlap


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundled")
    generate_sample(SAMPLE, 7, out, slice_size=SLICE, gzip=True)
    return out


@pytest.fixture(scope="module")
def real_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("real")
    generate_sample(REAL, 8, out, slice_size=SLICE)
    (out / "audio_features.csv").unlink()  # real MPD slices come without features
    return out


def _real_slices(real_dir: Path) -> list[Path]:
    return sorted(real_dir.glob("mpd.slice.*"), key=lambda p: int(p.name.split(".")[2].split("-")[0]))


def _without_meta(catalog: Catalog) -> dict:
    contents = natural_contents(catalog)
    contents.pop("meta")  # store version and timestamps: when, not what
    return contents


def test_real_slices_beside_the_sample_and_removing_the_sample(tmp_path, sample_dir, real_dir):
    with Catalog(tmp_path / "never.sqlite") as never:
        assert ingest(never, [real_dir], progress=False).ok
        want = _without_meta(never)
        want_stats = graph_stats(never)
    with Catalog(tmp_path / "mixed.sqlite") as catalog:
        assert load_bundled_sample(catalog, progress=False, sample_dir=sample_dir).ok
        report = ingest(catalog, [real_dir], progress=False)
        # Every real playlist is stored, beside (not instead of) the sample's.
        assert report.ok and report.playlists_added == REAL and report.playlists_present == 0
        stats = graph_stats(catalog)
        assert stats.playlists["mpd"] == REAL and stats.playlists["sample"] == SAMPLE
        assert stats.playlists["total"] == REAL + SAMPLE
        assert kept(catalog) == recount(catalog)
        assert sum(stats.playlist_degrees.values()) == REAL + SAMPLE
        version = catalog.version()

        removed = remove_sample(catalog, sample_dir)
        assert removed.playlists == SAMPLE and removed.slices == 3
        assert catalog.version() > version  # caches keyed on it refresh
        assert _without_meta(catalog) == want  # exactly a catalog that never had the sample
        stats = graph_stats(catalog)
        assert stats.playlists == want_stats.playlists
        assert (stats.tracks, stats.artists, stats.playlist_degrees, stats.track_degrees,
                stats.artist_degrees, stats.feature_coverage) == (
            want_stats.tracks, want_stats.artists, want_stats.playlist_degrees,
            want_stats.track_degrees, want_stats.artist_degrees, want_stats.feature_coverage)
        # Removed for good: a later start does not load it again.
        assert not needs_sample(catalog) and remove_sample(catalog, sample_dir).playlists == 0


def test_removing_the_sample_from_a_catalog_of_only_the_sample(tmp_path, sample_dir):
    with Catalog(tmp_path / "c.sqlite") as catalog:
        load_bundled_sample(catalog, progress=False, sample_dir=sample_dir)
        remove_sample(catalog, sample_dir)
        counts = {t: catalog.count(t) for t in ("playlists", "playlist_tracks", "tracks",
                                                 "artists", "albums", "audio_features",
                                                 "ingested_slices")}
        assert counts == dict.fromkeys(counts, 0)
        stats = graph_stats(catalog)
        assert stats.playlist_degrees == stats.track_degrees == stats.artist_degrees == {}
        assert stats.playlist_track_edges == stats.playlist_track_rows == 0


def test_reingesting_the_same_slice_is_a_no_op(tmp_path, real_dir):
    with Catalog(tmp_path / "c.sqlite") as catalog:
        ingest(catalog, [real_dir], progress=False)
        before = table_rows(catalog)
        report = ingest(catalog, [real_dir], progress=False)
        assert report.ok and report.playlists_added == 0 and report.playlists_present == REAL
        assert report.playlists_conflicting == 0
        after = table_rows(catalog)
        for rows in (before, after):
            rows.pop("meta")
            rows.pop("ingested_slices")  # the times it was seen
        assert after == before


def _conflicting_slice(real_dir: Path, tmp_path: Path) -> Path:
    """The first real slice's pids with the contents of another generated sample."""
    other = tmp_path / "other"
    generate_sample(SLICE, 9, other, slice_size=SLICE)
    return other / f"mpd.slice.0-{SLICE - 1}.json"


def test_a_pid_stored_with_other_contents_is_refused_with_the_flag_to_use(tmp_path, real_dir):
    home = tmp_path / "home"
    assert run_cli(home, "ingest", "--no-progress", real_dir).returncode == 0
    with Catalog(catalog_path(home)) as catalog:
        before = table_rows(catalog)
    other = _conflicting_slice(real_dir, tmp_path)
    proc = run_cli(home, "ingest", "--no-progress", other)
    assert proc.returncode == 1
    (line,) = error_lines(proc.stderr)
    assert f"{SLICE} playlist(s) already stored with other contents" in line
    assert "--on-conflict replace" in line and "--on-conflict skip" in line
    assert "already present" not in line and "Traceback" not in proc.stderr
    assert "0 already present" in proc.stdout and f"{SLICE} stored with other contents" in proc.stdout
    with Catalog(catalog_path(home)) as catalog:
        assert table_rows(catalog) == before  # nothing written, nothing lost


def test_on_conflict_skip_keeps_and_replace_overwrites(tmp_path, real_dir):
    other = _conflicting_slice(real_dir, tmp_path)
    with Catalog(tmp_path / "skip.sqlite") as catalog:
        ingest(catalog, [real_dir], progress=False)
        before = natural_contents(catalog)["playlist_tracks"]
        report = ingest(catalog, [other], progress=False, on_conflict="skip")
        assert report.ok and report.playlists_conflicting == SLICE and report.playlists_replaced == 0
        assert natural_contents(catalog)["playlist_tracks"] == before
    with Catalog(tmp_path / "replace.sqlite") as catalog:
        ingest(catalog, [real_dir], progress=False)
        report = ingest(catalog, [other], progress=False, on_conflict="replace")
        assert report.ok and report.playlists_replaced == SLICE
        # The catalog now holds the other file's version of the first slice, the rest as was.
        with Catalog(tmp_path / "want.sqlite") as want:
            ingest(want, [other] + _real_slices(real_dir)[1:], progress=False)
            expect = natural_contents(want)
        assert natural_contents(catalog)["playlist_tracks"] == expect["playlist_tracks"]
        assert natural_contents(catalog)["playlists"] == expect["playlists"]
        assert kept(catalog) == recount(catalog)
        assert graph_stats(catalog).playlists["mpd"] == REAL


def _as_version_3(path: Path) -> None:
    """Turn a current catalog back into what version 3 stored: no 'sample' source."""
    conn = sqlite3.connect(path, isolation_level=None)
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'playlists'").fetchone()[0]
    conn.execute("BEGIN")
    conn.execute(re.sub(r'CREATE TABLE "?playlists"?', "CREATE TABLE playlists_v3", sql, count=1)
                 .replace("'mpd', 'sample', 'spotify', 'export'", "'mpd', 'spotify'"))
    conn.execute("INSERT INTO playlists_v3 SELECT id, replace(source, 'sample', 'mpd'), "
                 "source_id, name, description, owner_id, owner_name, collaborative, "
                 "modified_at, num_tracks, num_albums, num_artists, num_followers, num_edits, "
                 "duration_ms FROM playlists")
    conn.execute("DROP TABLE playlists")
    conn.execute("ALTER TABLE playlists_v3 RENAME TO playlists")
    for table in ("listening_files", "plays", "listeners"):  # later migrations' tables
        conn.execute(f"DROP TABLE {table}")
    conn.execute("PRAGMA user_version = 3")
    conn.execute("COMMIT")
    conn.close()


def test_an_older_home_is_migrated_and_the_sample_told_apart(tmp_path, sample_dir, real_dir,
                                                             monkeypatch):
    monkeypatch.setattr("data.home.BUNDLED_SAMPLE", sample_dir)
    path = tmp_path / "old.sqlite"
    with Catalog(path) as catalog:  # what a version-3 home could hold: the sample, then ...
        load_bundled_sample(catalog, progress=False, sample_dir=sample_dir)
        # ... real playlists at pids the sample does not use ...
        ingest(catalog, _real_slices(real_dir)[3:], progress=False)
        # ... and a sample pid whose stored contents are not the bundled file's (a real
        # playlist ingested before the sample, say): it must stay 'mpd'.
        with catalog.write():
            catalog.execute("UPDATE playlists SET name = 'my real list' "
                            "WHERE source = 'sample' AND source_id = '5'")
        want = {r[0]: r[1] for r in catalog.query("SELECT id, source FROM playlists")}
        want[catalog.query("SELECT id FROM playlists WHERE source_id = '5'").fetchone()[0]] = "mpd"
        rows = len(table_rows(catalog)["playlist_tracks"])
    _as_version_3(path)
    with Catalog(path) as catalog:
        assert catalog.query("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        got = {r[0]: r[1] for r in catalog.query("SELECT id, source FROM playlists")}
        assert got == want  # ids kept, sources told apart
        assert sum(s == "sample" for s in got.values()) == SAMPLE - 1
        assert len(table_rows(catalog)["playlist_tracks"]) == rows
        # Now the real slices at the sample's pids go in beside it.
        report = ingest(catalog, _real_slices(real_dir)[:3], progress=False,
                        on_conflict="skip")
        assert report.ok and report.playlists_added == SAMPLE - 1 and report.playlists_present == 0
        assert report.playlists_conflicting == 1  # pid 5: the stored 'mpd' one differs
