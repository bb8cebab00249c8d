"""The sample-data generator: MPD file format, exact manifest, and the MPD's shape."""
from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from data.sample import SampleManifest, generate_sample
from data.sample_catalog import ARTIST_DRAWS, HIT_SHARE, MEAN_LENGTH, SyntheticCatalog

N, SEED = 3000, 7

PLAYLIST_KEYS = {"name", "collaborative", "pid", "modified_at", "num_tracks", "num_albums",
                 "num_followers", "tracks", "num_edits", "duration_ms", "num_artists"}
TRACK_KEYS = ["pos", "artist_name", "track_uri", "artist_uri", "track_name", "album_uri",
              "duration_ms", "album_name"]
FEATURE_HEADER = ("id,danceability,energy,key,loudness,mode,speechiness,acousticness,"
                  "instrumentalness,liveness,valence,tempo,duration_ms,time_signature")
URI = {kind: re.compile(rf"^spotify:{kind}:[0-9A-Za-z]{{22}}$")
       for kind in ("track", "artist", "album")}


def read_text(path: Path) -> str:
    if path.name.endswith(".gz"):
        with gzip.open(path, "rt", encoding="ascii") as fh:
            return fh.read()
    return path.read_text(encoding="ascii")


def load(out: Path, manifest: SampleManifest) -> tuple[list[dict], list[dict]]:
    docs = [json.loads(read_text(out / name)) for name in manifest.slices]
    return docs, [p for doc in docs for p in doc["playlists"]]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("sample")
    manifest = generate_sample(N, SEED, out)
    docs, playlists = load(out, manifest)
    return out, manifest, docs, playlists


@pytest.fixture(scope="module")
def features(sample) -> dict[str, dict[str, float]]:
    out = sample[0]
    text = (out / "audio_features.csv").read_text(encoding="ascii")
    assert text.splitlines()[0] == FEATURE_HEADER
    return {row["id"]: {k: float(v) for k, v in row.items() if k != "id"}
            for row in csv.DictReader(io.StringIO(text))}


def test_slice_files_are_named_and_numbered_like_the_mpd(sample):
    out, manifest, docs, playlists = sample
    assert manifest.slices == ["mpd.slice.0-999.json", "mpd.slice.1000-1999.json",
                               "mpd.slice.2000-2999.json"]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        manifest.slices + ["audio_features.csv", "manifest.json"])
    for name, doc in zip(manifest.slices, docs):
        assert set(doc) == {"info", "playlists"}
        assert set(doc["info"]) == {"generated_on", "slice", "version"}
        assert doc["info"]["version"] == "v1"
        assert name == f"mpd.slice.{doc['info']['slice']}.json"
    assert [p["pid"] for p in playlists] == list(range(N))
    assert json.loads((out / "manifest.json").read_text()) == {
        **manifest.__dict__, "slices": manifest.slices}


def test_partial_last_slice_start_pid_and_gzip(tmp_path: Path):
    m = generate_sample(250, 3, tmp_path, slice_size=100, start_pid=5000, gzip=True,
                        features=False)
    assert m.slices == ["mpd.slice.5000-5099.json.gz", "mpd.slice.5100-5199.json.gz",
                        "mpd.slice.5200-5249.json.gz"]
    assert m.tracks_with_features == 0
    assert not list(tmp_path.glob("audio_features*"))
    _, playlists = load(tmp_path, m)
    assert [p["pid"] for p in playlists] == list(range(5000, 5250))


def test_records_have_exactly_the_real_schema(sample):
    playlists = sample[3]
    described = 0
    for p in playlists:
        keys = set(p)
        described += "description" in keys
        assert keys - {"description"} == PLAYLIST_KEYS
        assert p["collaborative"] in ("true", "false")  # a string, as in the MPD
        assert isinstance(p["name"], str) and p["name"].strip()
        assert 1262304000 <= p["modified_at"] <= 1509494400 and p["modified_at"] % 86400 == 0
        assert p["num_followers"] >= 1 and 1 <= p["num_edits"] <= p["num_tracks"]
        tracks = p["tracks"]
        assert p["num_tracks"] == len(tracks)
        assert [t["pos"] for t in tracks] == list(range(len(tracks)))
        assert p["num_artists"] == len({t["artist_uri"] for t in tracks})
        assert p["num_albums"] == len({t["album_uri"] for t in tracks})
        assert p["duration_ms"] == sum(t["duration_ms"] for t in tracks)
        for t in tracks:
            assert list(t) == TRACK_KEYS
            for kind in ("track", "artist", "album"):
                assert URI[kind].match(t[f"{kind}_uri"])
            assert 60_000 <= t["duration_ms"] <= 720_000
            assert t["track_name"] and t["artist_name"] and t["album_name"]
    assert 0.005 <= described / len(playlists) <= 0.04


def test_a_track_always_has_the_same_metadata(sample):
    seen: dict[str, tuple] = {}
    for p in sample[3]:
        for t in p["tracks"]:
            meta = (t["track_name"], t["artist_uri"], t["artist_name"], t["album_uri"],
                    t["album_name"], t["duration_ms"])
            assert seen.setdefault(t["track_uri"], meta) == meta


def test_manifest_counts_equal_counts_recomputed_from_the_files(sample, features):
    _, manifest, _, playlists = sample
    rows = [t for p in playlists for t in p["tracks"]]
    assert manifest.playlists == len(playlists) == N
    assert manifest.playlist_tracks == len(rows)
    assert manifest.unique_tracks == len({t["track_uri"] for t in rows})
    assert manifest.unique_artists == len({t["artist_uri"] for t in rows})
    assert manifest.unique_albums == len({t["album_uri"] for t in rows})
    assert manifest.tracks_with_features == len(features) == manifest.unique_tracks
    assert manifest.seed == SEED


def test_playlist_lengths_have_the_mpd_distribution(sample):
    lengths = np.array([p["num_tracks"] for p in sample[3]])
    assert lengths.min() >= 5 and lengths.max() <= 250
    assert 61 <= lengths.mean() <= 72            # MPD: 66.3
    assert 44 <= np.median(lengths) <= 54        # MPD: 49
    assert 12 <= np.percentile(lengths, 10) <= 18   # MPD: ~15
    assert 135 <= np.percentile(lengths, 90) <= 162  # MPD: ~148


def test_popularity_is_heavy_tailed(sample):
    playlists = sample[3]
    track_deg = Counter(u for p in playlists for u in {t["track_uri"] for t in p["tracks"]})
    artist_deg = Counter(u for p in playlists for u in {t["artist_uri"] for t in p["tracks"]})
    deg = np.array(list(track_deg.values()))
    assert 0.02 <= deg.max() / N <= 0.07          # MPD's top track: 4.7% of playlists
    assert np.median(deg) in (1, 2)
    assert (deg == 1).mean() > 0.4
    assert 0.06 <= max(artist_deg.values()) / N <= 0.18
    # several tracks per artist and album within playlists, as in the MPD (~0.64 / ~0.81)
    ratio_art = np.mean([p["num_artists"] / p["num_tracks"] for p in playlists])
    ratio_alb = np.mean([p["num_albums"] / p["num_tracks"] for p in playlists])
    assert 0.55 <= ratio_art <= 0.72 and 0.74 <= ratio_alb <= 0.88
    assert ratio_art < ratio_alb


def expected_unique(catalog: SyntheticCatalog, n_playlists: int) -> tuple[float, float, float]:
    """Expected distinct (tracks, artists, albums) in a sample of `n_playlists` drawn
    from `catalog` (Poisson approximation; tracks and artists are within ~2% of
    simulation, albums within ~5%)."""
    hit_share = HIT_SHARE[0] / (HIT_SHARE[0] + HIT_SHARE[1])
    rows = n_playlists * MEAN_LENGTH
    gen = catalog.artist_genre[catalog.track_artist]
    lam = (rows * (1 - hit_share) * catalog.slot_shares[gen]
           * catalog.artist_p[catalog.track_artist])
    lam *= catalog.track_p
    lam[catalog.hit_tracks] += rows * hit_share * np.diff(catalog.hit_cdf, prepend=0.0)
    per_artist = np.bincount(catalog.track_artist, weights=lam, minlength=catalog.n_artists)
    per_album = np.bincount(catalog.track_album, weights=lam, minlength=catalog.n_albums_catalog)
    return (float((-np.expm1(-lam)).sum()),
            float((-np.expm1(-per_artist * ARTIST_DRAWS)).sum()),
            float((-np.expm1(-per_album * 0.8)).sum()))


def test_catalog_grows_like_the_mpd():
    """At 1M playlists the catalog shows ~ the MPD's 2.26M tracks, 296K artists, 735K albums,
    without building a big catalog for small samples."""
    tracks, artists, albums = expected_unique(SyntheticCatalog(1_000_000, SEED), 1_000_000)
    assert 2.0e6 <= tracks <= 2.5e6
    assert 2.6e5 <= artists <= 3.3e5
    assert 6.4e5 <= albums <= 8.3e5
    small = SyntheticCatalog(N, SEED)
    assert small.n_tracks < 500_000


def test_features_cover_every_track_with_valid_ranges(sample, features):
    playlists = sample[3]
    assert set(features) == {t["track_uri"].split(":")[2] for p in playlists for t in p["tracks"]}
    X = {k: np.array([f[k] for f in features.values()]) for k in next(iter(features.values()))}
    for k in ("danceability", "energy", "speechiness", "acousticness", "instrumentalness",
              "liveness", "valence"):
        assert X[k].min() >= 0 and X[k].max() <= 1, k
    assert set(np.unique(X["key"])) <= set(range(12))
    assert set(np.unique(X["mode"])) == {0, 1}
    assert set(np.unique(X["time_signature"])) <= {3, 4, 5}
    assert X["loudness"].min() >= -60 and X["loudness"].max() <= 0
    assert X["tempo"].min() >= 50 and X["tempo"].max() <= 210
    durations = {t["track_uri"].split(":")[2]: t["duration_ms"]
                 for p in playlists for t in p["tracks"]}
    assert all(features[i]["duration_ms"] == d for i, d in durations.items())


def test_playlists_are_coherent_in_audio_features(sample, features):
    """Tracks of one playlist are closer to each other than tracks of random playlists:
    the latent tastes are there for a model to find."""
    cols = ["danceability", "energy", "loudness", "speechiness", "acousticness",
            "instrumentalness", "liveness", "valence", "tempo"]
    vec = {i: np.array([f[c] for c in cols]) for i, f in features.items()}
    X = np.array(list(vec.values()))
    mu, sd = X.mean(axis=0), X.std(axis=0)
    per_playlist = [np.array([(vec[t["track_uri"][14:]] - mu) / sd for t in p["tracks"]])
                    for p in sample[3]]
    within = np.mean([2 * m.var(axis=0).sum() for m in per_playlist])
    between = 2 * np.concatenate(per_playlist).var(axis=0).sum()
    assert within < 0.75 * between


def test_titles_look_like_real_ones(sample):
    names = Counter(p["name"].strip().lower() for p in sample[3])
    top = {n for n, _ in names.most_common(30)}
    assert {"country", "chill", "rap", "workout", "christmas"} <= top
    assert len(names) > 300
    assert any(not n.isascii() for n in (p["name"] for p in sample[3]))  # emoji


def test_same_inputs_give_byte_identical_files(tmp_path: Path):
    a = generate_sample(300, 11, tmp_path / "a", slice_size=120, gzip=True)
    b = generate_sample(300, 11, tmp_path / "b", slice_size=120, gzip=True)
    assert a == b
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert files == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    c = generate_sample(300, 12, tmp_path / "c", slice_size=120, gzip=True, features=False)
    other = (tmp_path / "c" / c.slices[0]).read_bytes()
    assert other != (tmp_path / "a" / a.slices[0]).read_bytes()
    # the playlists do not depend on how they are cut into slices
    d = generate_sample(300, 11, tmp_path / "d", slice_size=300, features=False)
    assert load(tmp_path / "d", d)[1] == load(tmp_path / "a", a)[1]


def test_tiny_and_invalid_requests(tmp_path: Path):
    m = generate_sample(1, 0, tmp_path)
    assert m.slices == ["mpd.slice.0-0.json"] and m.playlists == 1
    assert 5 <= m.playlist_tracks <= 250
    for bad in ({"n_playlists": 0}, {"slice_size": 0}, {"start_pid": -1}, {"seed": -1}):
        kwargs = {"n_playlists": 10, "seed": 1, "out_dir": tmp_path / "bad", **bad}
        with pytest.raises(ValueError):
            generate_sample(**kwargs)
