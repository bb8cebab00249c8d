"""`python -m data ...` as a user runs it: output, exit status, and refusal of bad catalogs."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from data.home import catalog_path
from data.schema import SCHEMA_VERSION
from data.store import Catalog
from testkit.catalog_contents import table_rows
from tests.data.conftest import (
    error_lines, expected_contents, run_cli, set_user_version_in_file, slice_paths, small_slices,
)


def test_ingest_succeeds_with_a_summary(home: Path, slices_dir: Path):
    paths = small_slices(slices_dir, n_slices=3, per_slice=4)
    proc = run_cli(home, "ingest", "--no-progress", slices_dir)
    assert proc.returncode == 0, proc.stderr
    rows = len(expected_contents(paths).playlist_tracks)
    assert proc.stdout.strip() == (
        f"ingested 3 slice(s): 12 new playlists, {rows} playlist-track rows, 0 already present")
    assert proc.stderr == ""
    again = run_cli(home, "ingest", "--no-progress", slices_dir)
    assert again.returncode == 0
    assert again.stdout.strip() == ("ingested 3 slice(s): 0 new playlists, 0 playlist-track rows, "
                                    "12 already present")


def test_ingest_progress_bar_shows_slices_and_playlists_per_second(home: Path, slices_dir: Path):
    small_slices(slices_dir, n_slices=3, per_slice=4)
    proc = run_cli(home, "ingest", slices_dir)
    assert proc.returncode == 0
    final = re.split(r"[\r\n]", proc.stderr.strip())[-1]
    assert "3/3" in final and "slice/s" in final, final
    assert re.search(r"playlists_per_s=[\d,]+", final), final


def test_stats_table_shows_the_counts(home: Path, slices_dir: Path):
    paths = small_slices(slices_dir, n_slices=2, per_slice=5)
    assert run_cli(home, "ingest", "--no-progress", slices_dir).returncode == 0
    proc = run_cli(home, "stats")
    assert proc.returncode == 0, proc.stderr
    expected = expected_contents(paths)
    lines = {re.split(r"\s{2,}", line.strip())[0]: re.split(r"\s{2,}", line.strip())[-1]
             for line in proc.stdout.splitlines()}
    assert lines["playlists (MPD / crawled / total)"] == "10 / 0 / 10"
    n = len(expected.tracks)
    assert lines["tracks (in MPD / in crawled / total)"] == f"{n} / 0 / {n}"
    assert lines["albums"] == str(len(expected.albums))
    assert lines["playlist-track rows"] == str(len(expected.playlist_tracks))
    assert lines["store version"] == "2"


def test_home_flag_overrides_the_environment(home: Path, tmp_path: Path, slices_dir: Path):
    small_slices(slices_dir, n_slices=1, per_slice=2)
    other = tmp_path / "other-home"
    proc = run_cli(home, "--home", other, "ingest", "--no-progress", slices_dir)
    assert proc.returncode == 0, proc.stderr
    assert catalog_path(other).exists()
    assert not catalog_path(home).exists()


@pytest.mark.parametrize("command", [["stats"], ["ingest", "--no-progress", "."]])
def test_a_catalog_from_a_newer_schema_is_refused_in_one_line(home: Path, command: list[str]):
    with Catalog.open(home):
        pass
    path = catalog_path(home)
    set_user_version_in_file(path, SCHEMA_VERSION + 1)
    before = path.read_bytes()
    proc = run_cli(home, *command)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == error_lines(proc.stderr)
    (line,) = error_lines(proc.stderr)
    assert f"version {SCHEMA_VERSION + 1}" in line and "newer" in line and "update" in line
    assert path.read_bytes() == before


def test_a_file_that_is_not_a_catalog_is_refused_and_left_alone(home: Path):
    path = catalog_path(home)
    path.write_bytes(b"these are not the bytes of an SQLite database" * 100)
    before = path.read_bytes()
    proc = run_cli(home, "stats")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("error:") and str(path) in line and "PLAYLISTGRAPH_HOME" in line
    assert path.read_bytes() == before


def test_sample_command_writes_slices_that_ingest_to_its_counts(home: Path, tmp_path: Path):
    out = tmp_path / "gen"
    proc = run_cli(home, "sample", "--playlists", "300", "--seed", "3", "--out", out,
                   "--slice-size", "100", "--gzip")
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(slice_paths(out)) == 3 and all(p.name.endswith(".json.gz") for p in slice_paths(out))
    assert proc.stdout.strip() == (
        f"wrote 300 playlists ({manifest['playlist_tracks']} playlist tracks, "
        f"{manifest['unique_tracks']} tracks, {manifest['unique_artists']} artists) to {out}")
    assert run_cli(home, "ingest", "--no-progress", out).returncode == 0
    with Catalog.open(home) as catalog:
        counts = [catalog.count(t) for t in ("playlists", "playlist_tracks", "tracks", "artists")]
    assert counts == [300, manifest["playlist_tracks"], manifest["unique_tracks"],
                      manifest["unique_artists"]]


def test_load_sample_ingests_slices_and_features_once(home: Path, small_sample: Path):
    proc = run_cli(home, "load-sample", "--dir", small_sample)
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((small_sample / "manifest.json").read_text())
    with Catalog.open(home) as catalog:
        assert catalog.count("playlists") == manifest["playlists"]
        assert catalog.count("audio_features") > 0
        version, rows = catalog.version(), table_rows(catalog)
    again = run_cli(home, "load-sample", "--dir", small_sample)
    assert again.returncode == 0, again.stderr
    with Catalog.open(home) as catalog:
        assert catalog.version() == version
        assert table_rows(catalog) == rows


@pytest.mark.parametrize("contents", [[], ["README.md", "mpd.slice.notes.txt"]])
def test_a_folder_without_slices_is_an_error(home: Path, tmp_path: Path, contents: list[str]):
    folder = tmp_path / "not-the-mpd"
    folder.mkdir()
    for name in contents:
        (folder / name).write_text("hello")
    proc = run_cli(home, "ingest", folder)
    assert proc.returncode == 1
    (line,) = proc.stderr.splitlines()
    assert line == (f"error: {folder}: no MPD slices (mpd.slice.*.json or .json.gz) in this "
                    "folder; give the folder or the files that hold them")
    assert proc.stdout.startswith("ingested 0 slice(s)")


def test_an_empty_folder_beside_good_slices_still_ingests_them_and_exits_1(
        home: Path, tmp_path: Path, slices_dir: Path):
    small_slices(slices_dir, n_slices=2, per_slice=3)
    (tmp_path / "empty").mkdir()
    proc = run_cli(home, "ingest", "--no-progress", tmp_path / "empty", slices_dir)
    assert proc.returncode == 1
    assert len(error_lines(proc.stderr)) == 1 and "empty: no MPD slices" in proc.stderr
    assert "ingested 2 slice(s): 6 new playlists" in proc.stdout


def test_error_lines_never_share_the_progress_bars_line(home: Path, slices_dir: Path):
    small_slices(slices_dir, n_slices=3, per_slice=4)
    (slices_dir / "mpd.slice.100-103.json").write_text('{"info": {}, "playlists": [')
    (slices_dir / "mpd.slice.200-203.json").write_text("not json")
    proc = run_cli(home, "ingest", slices_dir)  # progress on; stderr is a pipe, not a terminal
    assert proc.returncode == 1
    lines = proc.stderr.split("\n")
    errors = [line for line in lines if "error:" in line]
    assert len(errors) == 2
    for line in errors:  # the whole line is the error: nothing of the bar before or after it
        assert line.startswith("error: ") and "slice/s" not in line and "\r" not in line
    final = re.split(r"[\r\n]", proc.stderr.strip())[-1]
    assert "5/5" in final and "slice/s" in final, final
