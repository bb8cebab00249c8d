"""Graph statistics against counts made in Python straight from the slice files."""
from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from data.features_import import import_features
from data.ingest import ingest
from data.stats import graph_stats
from data.store import ArtistRef, Catalog, PlaylistRecord, TrackRecord
from tests.data.conftest import (
    expected_contents, load_slice, run_cli, slice_paths, small_slices,
)

# A playlist as the oracle sees it: (source, source_id) -> [(track uri, artist uri or None)].
Graph = dict[tuple[str, str], list[tuple[str, str | None]]]


def graph_from_slices(paths: list[Path]) -> Graph:
    expected = expected_contents(paths)
    artist_of = {uri: artist for uri, artist, _ in expected.track_artists}
    graph: Graph = defaultdict(list)
    for playlist, _, uri in sorted(expected.playlist_tracks):
        graph[tuple(playlist.split(":", 1))].append((uri, artist_of.get(uri)))
    return dict(graph)


def python_stats(graph: Graph, n_tracks: int, n_artists: int, n_albums: int,
                 with_features: int = 0) -> dict:
    """The figures graph_stats must give, counted in plain Python."""
    sources_of_track: dict[str, set] = defaultdict(set)
    playlists_of_track: dict[str, set] = defaultdict(set)
    playlists_of_artist: dict[str, set] = defaultdict(set)
    sources_of_artist: dict[str, set] = defaultdict(set)
    for key, items in graph.items():
        for uri, artist in items:
            sources_of_track[uri].add(key[0])
            playlists_of_track[uri].add(key)
            if artist:
                playlists_of_artist[artist].add(key)
                sources_of_artist[artist].add(key[0])
    per_source = Counter(source for source, _ in graph)
    edges = sum(len({uri for uri, _ in items}) for items in graph.values())

    def by_source(sources: dict[str, set], total: int) -> dict[str, int]:
        return {"mpd": sum("mpd" in s for s in sources.values()),
                "spotify": sum("spotify" in s for s in sources.values()),
                "both": sum(s == {"mpd", "spotify"} for s in sources.values()), "total": total}

    return {
        "playlists": {"mpd": per_source["mpd"], "sample": per_source["sample"],
                      "spotify": per_source["spotify"], "export": per_source["export"],
                      "total": len(graph)},
        "tracks": by_source(sources_of_track, n_tracks),
        "artists": by_source(sources_of_artist, n_artists),
        "albums": n_albums,
        "playlist_track_rows": sum(len(items) for items in graph.values()),
        "playlist_track_edges": edges,
        "track_artist_edges": len({(u, a) for items in graph.values() for u, a in items if a}),
        "density": edges / (len(graph) * n_tracks) if graph and n_tracks else 0.0,
        "tracks_with_features": with_features,
        "feature_coverage": with_features / n_tracks if n_tracks else 0.0,
        "playlist_degrees": dict(Counter(len({u for u, _ in items}) for items in graph.values())),
        "track_degrees": dict(Counter(len(p) for p in playlists_of_track.values())),
        "artist_degrees": dict(Counter(len(p) for p in playlists_of_artist.values())),
        "plays": 0, "listeners": 0,  # no listening imported in these catalogs
    }


def stats_dict(catalog: Catalog) -> dict:
    stats = graph_stats(catalog)
    out = {k: v for k, v in vars(stats).items() if k not in ("store_version", "uncounted_playlists")}
    out["density"] = pytest.approx(out["density"], rel=1e-12)
    out["feature_coverage"] = pytest.approx(out["feature_coverage"], rel=1e-12)
    return out


def test_an_empty_catalog_has_zero_everything(catalog: Catalog):
    stats = graph_stats(catalog)
    assert stats_dict(catalog) == python_stats({}, 0, 0, 0)
    assert stats.store_version == 0


def test_stats_of_hand_made_slices_match_python_counts(catalog: Catalog, slices_dir: Path):
    paths = small_slices(slices_dir, n_slices=3, per_slice=6)
    ingest(catalog, [slices_dir], progress=False)
    expected = expected_contents(paths)
    want = python_stats(graph_from_slices(paths), len(expected.tracks), len(expected.artists),
                        len(expected.albums))
    assert stats_dict(catalog) == want
    # small_slices repeats a track inside some playlists: rows and distinct edges differ.
    assert want["playlist_track_rows"] > want["playlist_track_edges"]


def test_crawled_playlists_count_per_source(catalog: Catalog, slices_dir: Path):
    paths = small_slices(slices_dir, n_slices=1, per_slice=5)
    ingest(catalog, [slices_dir], progress=False)
    mpd_uris = {t["track_uri"] for p in load_slice(paths[0])["playlists"] for t in p["tracks"]}
    shared = sorted(mpd_uris)[:2]
    # Crawled: two tracks the MPD has, and two new ones by a new artist.
    new = [TrackRecord(f"spotify:track:N{n:021d}", f"new {n}",
                       artists=(ArtistRef("spotify:artist:N000000000000000000001", "New"),))
           for n in range(2)]
    crawled = [TrackRecord(uri, "x") for uri in shared] + new
    with catalog.write():
        ids = catalog.upsert_tracks(crawled)
        pid = catalog.upsert_playlist(PlaylistRecord("spotify", "37i9dQZF1DX", "crawled"))
        catalog.set_playlist_tracks(pid, [ids[t.uri] for t in crawled])
        catalog.upsert_playlist(PlaylistRecord("spotify", "empty", "no tracks visible (403)"))

    expected = expected_contents(paths)
    artist_of = {uri: artist for uri, artist, _ in expected.track_artists}
    graph = graph_from_slices(paths)
    graph[("spotify", "37i9dQZF1DX")] = [(u, artist_of[u]) for u in shared] + \
        [(t.uri, t.artists[0].uri) for t in new]
    want = python_stats(graph, len(expected.tracks) + 2, len(expected.artists) + 1,
                        len(expected.albums))
    # The playlist without tracks is a node but not part of the bipartite graph.
    want["playlists"] = {**want["playlists"], "spotify": 2, "total": want["playlists"]["total"] + 1}
    assert stats_dict(catalog) == want
    assert want["tracks"]["both"] == 2 and want["tracks"]["spotify"] == 4


def test_feature_coverage_counts_tracks_with_a_row(catalog: Catalog, slices_dir: Path,
                                                   tmp_path: Path):
    paths = small_slices(slices_dir, n_slices=2, per_slice=5)
    ingest(catalog, [slices_dir], progress=False)
    uris = sorted(expected_contents(paths).tracks)
    with open(tmp_path / "f.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["uri", "energy"])
        writer.writerows([u, 0.5] for u in uris[::3])
        writer.writerow(["spotify:track:U000000000000000000001", 0.1])  # not in the catalog
    import_features(catalog, tmp_path / "f.csv")
    stats = graph_stats(catalog)
    assert stats.tracks_with_features == len(uris[::3])
    assert stats.feature_coverage == pytest.approx(len(uris[::3]) / len(uris))


def test_stats_of_a_generated_sample_match_its_files(catalog: Catalog, small_sample: Path):
    paths = slice_paths(small_sample)
    ingest(catalog, [small_sample], progress=False)
    csv_path = next(small_sample.glob("audio_features.csv*"))
    import_features(catalog, csv_path)
    expected = expected_contents(paths)
    with open(csv_path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    key = next(k for k in ("uri", "track_uri", "id", "track_id") if k in rows[0])
    featured = {r[key] if r[key].startswith("spotify:") else f"spotify:track:{r[key]}"
                for r in rows}
    want = python_stats(graph_from_slices(paths), len(expected.tracks), len(expected.artists),
                        len(expected.albums), with_features=len(featured & set(expected.tracks)))
    assert stats_dict(catalog) == want
    manifest = json.loads((small_sample / "manifest.json").read_text())
    assert want["playlist_track_rows"] == manifest["playlist_tracks"]
    assert want["tracks"]["total"] == manifest["unique_tracks"]


def test_stats_json_cli_parses_and_matches(home: Path, catalog: Catalog, slices_dir: Path):
    paths = small_slices(slices_dir, n_slices=2, per_slice=6)
    ingest(catalog, [slices_dir], progress=False)
    proc = run_cli(home, "stats", "--json")
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    expected = expected_contents(paths)
    want = python_stats(graph_from_slices(paths), len(expected.tracks), len(expected.artists),
                        len(expected.albums))
    for name in ("playlist_degrees", "track_degrees", "artist_degrees"):
        want[name] = {str(d): n for d, n in want[name].items()}
    assert got.pop("store_version") == catalog.version() == 2
    assert got.pop("uncounted_playlists") == 0
    assert got == {**want, "density": pytest.approx(want["density"], rel=1e-12)}
