"""MPD ingest: exact contents, idempotence, one transaction per slice, minimal extracts,
malformed input, and a real SIGKILL in the middle of an ingest."""
from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from data.home import catalog_path
from data.ingest import ingest
from data.store import Catalog
from testkit.catalog_contents import natural_contents, table_rows
from tests.data.conftest import (
    REPO_ROOT, error_lines, expected_contents, load_slice, mpd_playlist, run_cli, slice_paths,
    small_slices, write_slice,
)

GRAPH_TABLES = ("artists", "albums", "tracks", "track_artists", "playlists", "playlist_tracks")


def graph_tables(catalog: Catalog) -> dict[str, list[tuple]]:
    contents = natural_contents(catalog)
    return {t: contents[t] for t in GRAPH_TABLES}


def comparable(catalog: Catalog) -> dict[str, list[tuple]]:
    """Everything but the bookkeeping that legitimately differs between two equal catalogs:
    how many transactions it took (store_version) and when (last_ingest_at)."""
    contents = natural_contents(catalog)
    contents["meta"] = [r for r in contents["meta"]
                        if r[0] not in ("store_version", "last_ingest_at")]
    return contents


# ---------------------------------------------------------------------------- hand-made slices

def test_ingest_stores_exactly_what_the_slices_say(catalog: Catalog, slices_dir: Path):
    paths = small_slices(slices_dir, n_slices=3, per_slice=4)
    report = ingest(catalog, [slices_dir], progress=False)
    assert report.ok and report.errors == []
    assert (report.slices_ingested, report.playlists_added, report.playlists_present) == (3, 12, 0)
    expected = expected_contents(paths)
    assert graph_tables(catalog) == expected.tables()
    assert report.playlist_track_rows == len(expected.playlist_tracks)
    assert natural_contents(catalog)["ingested_slices"] == sorted((p.name, 4, 0) for p in paths)


def test_tracks_keep_their_pos_order_and_repeats(catalog: Catalog, slices_dir: Path):
    slices_dir.mkdir()
    playlist = mpd_playlist(5, [10, 11, 12, 10])
    playlist["tracks"] = [playlist["tracks"][i] for i in (2, 0, 3, 1)]  # file order != pos
    write_slice(slices_dir, [playlist])
    ingest(catalog, [slices_dir], progress=False)
    uris = {r["id"]: r["uri"] for r in catalog.tracks()}
    (pid,) = catalog.playlist_ids().tolist()
    assert [uris[t] for t in catalog.playlist_track_ids(pid)] == \
        [t["track_uri"] for t in sorted(playlist["tracks"], key=lambda t: t["pos"])]


def test_each_slice_is_one_transaction(catalog: Catalog, slices_dir: Path):
    small_slices(slices_dir, n_slices=5, per_slice=3)
    ingest(catalog, [slices_dir], progress=False)
    # Every committed write bumps the version by one: one commit per slice.
    assert catalog.version() == 5


def test_reingest_is_a_no_op(catalog: Catalog, slices_dir: Path):
    small_slices(slices_dir, n_slices=3, per_slice=4, gz=True)
    ingest(catalog, [slices_dir], progress=False)
    version, rows = catalog.version(), table_rows(catalog)
    report = ingest(catalog, [slices_dir], progress=False)
    assert (report.playlists_added, report.playlists_present,
            report.playlist_track_rows) == (0, 12, 0)
    assert catalog.version() == version
    assert table_rows(catalog) == rows  # ids, timestamps and all


def test_gzip_and_plain_slices_give_the_same_catalog(tmp_path: Path):
    small_slices(tmp_path / "plain", n_slices=2, per_slice=5)
    small_slices(tmp_path / "gz", n_slices=2, per_slice=5, gz=True)
    contents = []
    for kind in ("plain", "gz"):
        with Catalog(tmp_path / f"{kind}.sqlite") as catalog:
            assert ingest(catalog, [tmp_path / kind], progress=False).ok
            contents.append(graph_tables(catalog))
    assert contents[0] == contents[1]
    assert len(contents[0]["playlists"]) == 10


def test_directories_yield_only_slice_files_in_pid_order(catalog: Catalog, slices_dir: Path):
    slices_dir.mkdir()
    late = write_slice(slices_dir, [mpd_playlist(1000, [1, 2])])
    early = write_slice(slices_dir, [mpd_playlist(2, [3])])
    (slices_dir / "README.md").write_text("not a slice")
    (slices_dir / "audio_features.csv").write_text("id,energy\n")
    (slices_dir / "other.json").write_text("{}")
    seen: list[str] = []
    report = ingest(catalog, [slices_dir], progress=False, on_slice=lambda p: seen.append(p.name))
    assert report.ok
    # Numeric, not lexical, order: 2-2 comes before 1000-1000.
    assert seen == [early.name, late.name]


def test_files_and_directories_mix(catalog: Catalog, tmp_path: Path):
    a = small_slices(tmp_path / "a", n_slices=2, per_slice=2)
    b = small_slices(tmp_path / "b", n_slices=1, per_slice=2, first_pid=100)
    report = ingest(catalog, [tmp_path / "a", b[0]], progress=False)
    assert report.slices_ingested == 3
    assert graph_tables(catalog) == expected_contents(a + b).tables()


# ---------------------------------------------------------------------------- minimal extracts

def minimal(playlist: dict) -> dict:
    """What circulating MPD extracts look like: pid, name and three fields per track."""
    return {"pid": playlist["pid"], "name": playlist["name"],
            "tracks": [{k: t[k] for k in ("artist_name", "track_name", "track_uri")}
                       for t in playlist["tracks"]]}


def test_minimal_field_extract_ingests_and_invents_nothing(catalog: Catalog, tmp_path: Path,
                                                           four_slices: list[Path]):
    (tmp_path / "min").mkdir()
    paths = [write_slice(tmp_path / "min", [minimal(p) for p in load_slice(f)["playlists"]])
             for f in four_slices]
    report = ingest(catalog, [tmp_path / "min"], progress=False)
    assert report.ok and report.playlists_added == 200
    contents = graph_tables(catalog)
    assert contents == expected_contents(paths).tables()
    entries = [t for f in paths for p in load_slice(f)["playlists"] for t in p["tracks"]]
    names = {t["artist_name"] for t in entries}
    assert contents["artists"] == sorted((f"name:{n}", n, 1) for n in names)
    assert contents["albums"] == []
    assert all(album is None and duration is None for _, _, album, duration in contents["tracks"])
    # No counters, no collaborative flag, no modified_at, no description: NULL, none made up.
    assert all(row[3:] == (None,) * 11 for row in contents["playlists"])
    assert len(contents["tracks"]) == len({t["track_uri"] for t in entries})


def test_a_full_slice_after_a_minimal_one_fills_albums_of_shared_tracks(catalog: Catalog,
                                                                       tmp_path: Path):
    (tmp_path / "min").mkdir()
    (tmp_path / "full").mkdir()
    write_slice(tmp_path / "min", [minimal(mpd_playlist(0, [1, 2, 3]))])
    write_slice(tmp_path / "full", [mpd_playlist(1, [2, 3, 4])])
    ingest(catalog, [tmp_path / "min", tmp_path / "full"], progress=False)
    albums = {uri: album for uri, _, album, _ in graph_tables(catalog)["tracks"]}
    full_tracks = mpd_playlist(1, [2, 3, 4])["tracks"]
    assert {t["track_uri"]: t["album_uri"] for t in full_tracks}.items() <= albums.items()
    assert albums[mpd_playlist(0, [1])["tracks"][0]["track_uri"]] is None


def test_one_slice_mixing_minimal_and_full_entries_keeps_what_the_full_ones_say(
        catalog: Catalog, slices_dir: Path):
    # Merged extracts mix both kinds in one file; a track first met without its album
    # and later with it must end up with the album.
    slices_dir.mkdir()
    path = write_slice(slices_dir, [minimal(mpd_playlist(0, [1, 2])), mpd_playlist(1, [2, 1])])
    ingest(catalog, [slices_dir], progress=False)
    tracks = {uri: (album, duration) for uri, _, album, duration in graph_tables(catalog)["tracks"]}
    assert tracks == {t["track_uri"]: (t["album_uri"], t["duration_ms"])
                      for t in load_slice(path)["playlists"][1]["tracks"]}


# ---------------------------------------------------------------------------- malformed input
# Each bad file is made from a generated slice (pids 150-199); the store already holds
# slice 0-49, and the same run ingests slices 50-99 and 100-149 around the bad file.

def _rewrite(src: Path, dst: Path, change) -> Path:
    doc = load_slice(src)
    change(doc)
    dst.write_bytes(json.dumps(doc).encode())
    return dst


def _truncated_json(src: Path, d: Path) -> Path:
    raw = src.read_bytes()
    (d / src.name).write_bytes(raw[: len(raw) // 2])
    return d / src.name


def _truncated_gz(src: Path, d: Path) -> Path:
    raw = gzip.compress(src.read_bytes())
    (d / f"{src.name}.gz").write_bytes(raw[: len(raw) // 2])
    return d / f"{src.name}.gz"


def _not_json(src: Path, d: Path) -> Path:
    (d / src.name).write_text("pid,name\n150,road trip\n")
    return d / src.name


def _not_gzip(src: Path, d: Path) -> Path:
    (d / f"{src.name}.gz").write_bytes(src.read_bytes())  # plain JSON named .gz
    return d / f"{src.name}.gz"


def _no_playlists(src: Path, d: Path) -> Path:
    return _rewrite(src, d / src.name, lambda doc: doc.update(items=doc.pop("playlists")))


def _empty_tracks(src: Path, d: Path) -> Path:
    return _rewrite(src, d / src.name, lambda doc: doc["playlists"][1].update(tracks=[]))


def _no_track_uri_at_all(src: Path, d: Path) -> Path:
    def change(doc: dict) -> None:
        for t in doc["playlists"][1]["tracks"]:
            del t["track_uri"]
    return _rewrite(src, d / src.name, change)


def _one_track_without_uri(src: Path, d: Path) -> Path:
    return _rewrite(src, d / src.name,
                    lambda doc: doc["playlists"][1]["tracks"][1].pop("track_uri"))


def _duplicate_pid(src: Path, d: Path) -> Path:
    def change(doc: dict) -> None:
        twin = json.loads(json.dumps(doc["playlists"][0]))
        twin["tracks"] = twin["tracks"][::-1]
        doc["playlists"].append(twin)
    return _rewrite(src, d / src.name, change)


def _missing(src: Path, d: Path) -> Path:
    return d / src.name


# (make the bad input, words the error must contain, good playlists in the bad file)
MALFORMED = {
    "truncated-json": (_truncated_json, "truncated JSON", 0),
    "truncated-gz": (_truncated_gz, "truncated", 0),
    "not-json": (_not_json, "malformed", 0),
    "not-gzip": (_not_gzip, "not gzip", 0),
    "no-playlists": (_no_playlists, '"playlists"', 0),
    "empty-tracks": (_empty_tracks, "pid 151 has no tracks", 49),
    "no-track-uri": (_no_track_uri_at_all, "pid 151 has no track with a track_uri", 49),
    "one-track-without-uri": (_one_track_without_uri, "track_uri", 50),
    "duplicate-pid": (_duplicate_pid, "150", 50),
    "nonexistent": (_missing, "no such file", 0),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_input_is_reported_in_one_line_and_loses_nothing(
        case: str, home: Path, tmp_path: Path, four_slices: list[Path]):
    make_bad, problem, good_in_bad = MALFORMED[case]
    before, run_a, run_b, base = four_slices
    (tmp_path / "bad").mkdir()
    bad = make_bad(base, tmp_path / "bad")
    with Catalog.open(home) as catalog:
        assert ingest(catalog, [before], progress=False).ok
        stored_before = graph_tables(catalog)

    proc = run_cli(home, "ingest", "--no-progress", run_a, bad, run_b)

    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    errors = error_lines(proc.stderr)
    assert errors == proc.stderr.strip().splitlines(), "stderr holds nothing but error lines"
    assert len(errors) == 1 and str(bad) in errors[0] and problem in errors[0], proc.stderr
    summary = proc.stdout.strip().splitlines()[-1]
    assert summary.startswith("ingested ") and "skipped" in summary, summary
    with Catalog.open(home) as catalog:
        after = graph_tables(catalog)
    good = [before, run_a, run_b] + ([bad] if good_in_bad else [])
    assert after == expected_contents(good).tables()
    for table, rows in stored_before.items():
        assert set(rows) <= set(after[table]), f"{table} lost rows"
    assert len(after["playlists"]) == 150 + good_in_bad


# ---------------------------------------------------------------------------- killed and resumed

def test_a_killed_ingest_resumed_gives_the_same_catalog(home: Path, tmp_path: Path,
                                                        kill_sample: Path):
    files = slice_paths(kill_sample)
    env = {**os.environ, "PLAYLISTGRAPH_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, "-m", "data", "ingest", "--no-progress",
                             str(kill_sample)], cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        _wait_for_slices(proc, catalog_path(home), at_least=1)
        parsers = _children(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert parsers, "the ingest parses in a child process"
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in parsers):  # it ends with its parent
        assert time.monotonic() < deadline, f"parser process(es) {parsers} outlived the ingest"
        time.sleep(0.05)
    with Catalog.open(home) as catalog:
        killed = natural_contents(catalog)
    done = len(killed["ingested_slices"])
    assert 1 <= done < len(files), f"kill landed outside the ingest ({done}/{len(files)} slices)"

    # What survived is whole slices: every slice recorded is in full, nothing else is.
    recorded = [f for f in files if f.name in {row[0] for row in killed["ingested_slices"]}]
    expected_part = expected_contents(recorded)
    assert killed["playlists"] == sorted(expected_part.playlists.values())
    assert killed["playlist_tracks"] == sorted(expected_part.playlist_tracks)

    resumed = run_cli(home, "ingest", "--no-progress", kill_sample)
    assert resumed.returncode == 0, resumed.stderr
    straight_home = tmp_path / "straight"
    straight = run_cli(straight_home, "ingest", "--no-progress", kill_sample)
    assert straight.returncode == 0, straight.stderr
    with Catalog.open(home) as a, Catalog.open(straight_home) as b:
        resumed_contents, straight_contents = comparable(a), comparable(b)
    assert resumed_contents == straight_contents
    assert {t: resumed_contents[t] for t in GRAPH_TABLES} == expected_contents(files).tables()


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(p) for p in text.split()]


def _wait_for_slices(proc: subprocess.Popen, path: Path, at_least: int) -> int:
    deadline = time.monotonic() + 60
    while not path.exists():
        assert proc.poll() is None and time.monotonic() < deadline, "ingest never started"
        time.sleep(0.002)
    with Catalog(path) as catalog:
        while True:
            done = catalog.count("ingested_slices")
            if done >= at_least:
                return done
            assert proc.poll() is None, "ingest ended before it could be killed"
            assert time.monotonic() < deadline, "ingest made no progress in 60 s"
            time.sleep(0.002)


# ---------------------------------------------------------------------------- generated sample

def test_generated_sample_ingests_to_exactly_the_manifest_counts(catalog: Catalog,
                                                                 small_sample: Path):
    manifest = json.loads((small_sample / "manifest.json").read_text())
    report = ingest(catalog, [small_sample], progress=False)
    assert report.ok
    assert [p.name for p in slice_paths(small_sample)] == manifest["slices"]
    assert report.slices_ingested == len(manifest["slices"])
    assert catalog.count("playlists") == manifest["playlists"]
    assert catalog.count("playlist_tracks") == manifest["playlist_tracks"]
    assert catalog.count("tracks") == manifest["unique_tracks"]
    assert catalog.count("artists") == manifest["unique_artists"]
    assert catalog.count("albums") == manifest["unique_albums"]
    assert graph_tables(catalog) == expected_contents(slice_paths(small_sample)).tables()

    version, rows = catalog.version(), table_rows(catalog)
    again = ingest(catalog, [small_sample], progress=False)
    assert (again.playlists_added, again.playlists_present) == (0, manifest["playlists"])
    assert catalog.version() == version
    assert table_rows(catalog) == rows
