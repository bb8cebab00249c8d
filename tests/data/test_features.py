"""Audio-features import: key columns, URI or bare id, extra and missing columns,
unknown tracks, idempotence, gzip, and bad files."""
from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

import pytest

from data.features_import import FeaturesFileError, import_features
from data.ingest import ingest
from data.schema import AUDIO_FEATURES
from data.store import Catalog
from testkit.catalog_contents import natural_contents, table_rows
from tests.data.conftest import error_lines, run_cli, small_slices, spotify_uri

KNOWN = range(0, 40)  # small_slices draws its tracks from 0..39
INT_COLUMNS = {"key", "mode"}


def feature_values(n: int) -> dict[str, float]:
    """Distinct, non-round values per track, so a mix-up of rows or columns shows."""
    return {c: (n % 12 if c == "key" else n % 2 if c == "mode" else round(0.001 * n + i / 17, 9))
            for i, c in enumerate(AUDIO_FEATURES)}


def track_id(n: int) -> str:
    """The bare 22-character Spotify id of track n."""
    return spotify_uri("track", n).rsplit(":", 1)[1]


def write_csv(path: Path, header: list[str], rows: list[list], *, gz: bool = False) -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    data = buf.getvalue().encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def features_csv(path: Path, tracks, *, key_column: str = "id", as_uri: bool = False,
                 columns=AUDIO_FEATURES, extra: bool = False, gz: bool = False) -> Path:
    header = [key_column, *columns] + (
        ["track_name", "time_signature", "analysis_url"] if extra else [])
    rows = []
    for n in tracks:
        uri = spotify_uri("track", n)
        values = feature_values(n)
        rows.append([uri if as_uri else track_id(n), *(values[c] for c in columns)]
                    + ([f"Track {n}", 4, f"https://api.spotify.com/v1/audio-analysis/{n}"]
                       if extra else []))
    return write_csv(path, header, rows, gz=gz)


def expected_rows(tracks, source: str, columns=AUDIO_FEATURES) -> list[tuple]:
    return sorted((spotify_uri("track", n),
                   *(feature_values(n)[c] if c in columns else None for c in AUDIO_FEATURES),
                   source) for n in tracks)


@pytest.fixture
def loaded(catalog: Catalog, slices_dir: Path) -> Catalog:
    """A catalog holding tracks 0..39 (from hand-made slices)."""
    small_slices(slices_dir, n_slices=4, per_slice=10)
    ingest(catalog, [slices_dir], progress=False)
    assert {r["uri"] for r in catalog.tracks()} == {spotify_uri("track", n) for n in KNOWN}
    return catalog


@pytest.mark.parametrize("as_uri", [False, True], ids=["bare-id", "uri"])
@pytest.mark.parametrize("key_column", ["id", "track_id", "uri", "track_uri"])
def test_each_key_column_loads_features_by_id_or_uri(loaded: Catalog, tmp_path: Path,
                                                     key_column: str, as_uri: bool):
    path = features_csv(tmp_path / "features.csv", range(0, 40, 3), key_column=key_column,
                        as_uri=as_uri)
    report = import_features(loaded, path)
    assert (report.rows, report.stored, report.unknown, report.bad) == (14, 14, 0, 0)
    assert natural_contents(loaded)["audio_features"] == \
        expected_rows(range(0, 40, 3), "csv:features.csv")


def test_key_and_mode_are_integers_and_values_round_trip(loaded: Catalog, tmp_path: Path):
    import_features(loaded, features_csv(tmp_path / "f.csv", [5]))
    track_ids, feats = loaded.audio_feature_rows()
    stored = dict(zip(AUDIO_FEATURES, feats[0].tolist()))
    assert stored == feature_values(5)
    row = natural_contents(loaded)["audio_features"][0]
    assert all(isinstance(row[1 + AUDIO_FEATURES.index(c)], int) for c in INT_COLUMNS)


def test_extra_columns_are_ignored_and_missing_ones_stay_null(loaded: Catalog, tmp_path: Path):
    some = ("energy", "tempo", "mode")
    path = features_csv(tmp_path / "f.csv", [1, 2], columns=some, extra=True)
    report = import_features(loaded, path, source="kaggle")
    assert report.stored == 2
    assert natural_contents(loaded)["audio_features"] == expected_rows([1, 2], "kaggle", some)


def test_rows_for_unknown_tracks_are_counted_and_not_stored(loaded: Catalog, tmp_path: Path):
    path = features_csv(tmp_path / "f.csv", [1, 2, 500, 501, 502])
    report = import_features(loaded, path)
    assert (report.rows, report.stored, report.unknown) == (5, 2, 3)
    assert [r[0] for r in natural_contents(loaded)["audio_features"]] == \
        [spotify_uri("track", 1), spotify_uri("track", 2)]
    assert "3 for tracks not in the catalog" in report.summary()


def test_unusable_keys_and_values_are_counted_not_guessed(loaded: Catalog, tmp_path: Path):
    good = spotify_uri("track", 3)
    path = write_csv(tmp_path / "f.csv", ["uri", "energy", "tempo"], [
        [good, "0.5", "not a number"],
        ["", "0.1", "100"],
        ["spotify:album:A000000000000000000003", "0.2", "90"],
        ["too-short", "0.3", "80"],
        [f"https://open.spotify.com/track/{track_id(4)}?si=x", "", "nan"],
    ])
    report = import_features(loaded, path)
    assert (report.rows, report.stored, report.bad) == (5, 2, 3)
    rows = {r[0]: r for r in natural_contents(loaded)["audio_features"]}
    energy, tempo = 1 + AUDIO_FEATURES.index("energy"), 1 + AUDIO_FEATURES.index("tempo")
    assert (rows[good][energy], rows[good][tempo]) == (0.5, None)
    four = rows[spotify_uri("track", 4)]
    assert (four[energy], four[tempo]) == (None, None)


def test_reimport_is_a_no_op_and_a_changed_file_updates(loaded: Catalog, tmp_path: Path):
    path = features_csv(tmp_path / "f.csv", KNOWN)
    import_features(loaded, path)
    version, rows = loaded.version(), table_rows(loaded)
    report = import_features(loaded, path)
    assert (report.rows, report.stored) == (40, 0)
    assert loaded.version() == version
    assert table_rows(loaded) == rows

    write_csv(path, ["id", "energy"], [[track_id(7), "0.999"]])
    report = import_features(loaded, path)
    assert report.stored == 1
    assert loaded.version() == version + 1
    row = {r[0]: r for r in natural_contents(loaded)["audio_features"]}[spotify_uri("track", 7)]
    assert row[1 + AUDIO_FEATURES.index("energy")] == 0.999


def test_a_file_with_fewer_columns_updates_those_and_keeps_the_rest(loaded: Catalog,
                                                                    tmp_path: Path):
    import_features(loaded, features_csv(tmp_path / "full.csv", [7]), source="full")
    write_csv(tmp_path / "energy.csv", ["id", "energy", "tempo"], [[track_id(7), "0.999", ""]])
    assert import_features(loaded, tmp_path / "energy.csv", source="energy").stored == 1
    row = natural_contents(loaded)["audio_features"][0]
    expected = {**feature_values(7), "energy": 0.999}
    assert row[1:-1] == tuple(expected[c] for c in AUDIO_FEATURES)
    assert row[-1] == "energy"


def test_gzipped_csv_loads_the_same_as_plain(loaded: Catalog, tmp_path: Path):
    import_features(loaded, features_csv(tmp_path / "f.csv.gz", KNOWN, gz=True), source="s")
    assert natural_contents(loaded)["audio_features"] == expected_rows(KNOWN, "s")


def test_a_csv_without_a_key_column_is_refused_and_changes_nothing(loaded: Catalog, tmp_path: Path):
    import_features(loaded, features_csv(tmp_path / "ok.csv", [1]))
    rows = table_rows(loaded)
    path = write_csv(tmp_path / "f.csv", ["name", "energy"], [["x", "0.1"]])
    with pytest.raises(FeaturesFileError, match="id, track_id, uri, track_uri"):
        import_features(loaded, path)
    assert table_rows(loaded) == rows


# ---------------------------------------------------------------------------- the CLI

def test_cli_imports_and_reports_counts(home: Path, loaded: Catalog, tmp_path: Path):
    path = features_csv(tmp_path / "features.csv", [1, 2, 3, 900], key_column="track_uri",
                        as_uri=True, extra=True)
    proc = run_cli(home, "features", path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == (
        "read 4 rows: 3 stored or updated, "
        "1 for tracks not in the catalog (not stored), 0 without a track key")
    assert natural_contents(loaded)["audio_features"] == \
        expected_rows([1, 2, 3], "csv:features.csv")


def _no_key_column(d: Path) -> Path:
    return write_csv(d / "nokey.csv", ["name", "energy"], [["x", "1"]])


def _nonexistent(d: Path) -> Path:
    return d / "missing.csv"


def _a_directory(d: Path) -> Path:
    (d / "features").mkdir()
    return d / "features"


def _not_gzip(d: Path) -> Path:
    return features_csv(d / "plain.csv", [1]).rename(d / "plain.csv.gz")


def _truncated_gzip(d: Path) -> Path:
    raw = gzip.compress(features_csv(d / "full.csv", KNOWN).read_bytes())
    (d / "cut.csv.gz").write_bytes(raw[: len(raw) // 2])
    return d / "cut.csv.gz"


def _not_utf8(d: Path) -> Path:
    (d / "latin1.csv").write_bytes("id,energy\nÄé,1\n".encode("latin-1"))
    return d / "latin1.csv"


# (make the bad file, words its one-line error must contain)
BAD_FILES = {
    "no-key-column": (_no_key_column, "no track key column"),
    "nonexistent": (_nonexistent, "no such file"),
    "directory": (_a_directory, "features"),
    "not-gzip": (_not_gzip, "plain.csv.gz"),
    "truncated-gzip": (_truncated_gzip, "cut.csv.gz"),
    "not-utf8": (_not_utf8, "latin1.csv"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_cli_bad_file_gives_one_line_error_and_keeps_stored_features(case: str, home: Path,
                                                                     loaded: Catalog,
                                                                     tmp_path: Path):
    import_features(loaded, features_csv(tmp_path / "f.csv", KNOWN))
    rows = table_rows(loaded)
    make, words = BAD_FILES[case]
    proc = run_cli(home, "features", make(tmp_path))
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = error_lines(proc.stderr)
    assert len(errors) == 1 and errors == proc.stderr.strip().splitlines(), proc.stderr
    assert words in errors[0]
    assert table_rows(loaded) == rows
