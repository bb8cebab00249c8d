"""Training can use listening: export playlists join the graph like any playlist; with
`--listening-as-playlists` each listener-month is a pseudo-playlist too (default off)."""
from __future__ import annotations

from pathlib import Path

from data.listening import import_listening
from data.store import Catalog
from ml.__main__ import build_parser
from ml.config import TrainConfig, config_from_args
from ml.dataset.snapshot import load_snapshot, snapshot_path
from tests.dashboard.conftest import build_tiny_catalog
from tests.dashboard.listening_history import NEW, hand_made_history


def _tracks_of(snapshot, playlist: int) -> list[int]:
    return snapshot.track_ids[snapshot.playlist_tracks(playlist)].tolist()


def test_listener_months_are_pseudo_playlists_only_when_asked(home: Path, catalog: Catalog,
                                                             tmp_path: Path):
    ids = build_tiny_catalog(catalog)
    import_listening(catalog, [hand_made_history(tmp_path)], listener="Robin")
    new = catalog.track_ids_for_uris([NEW])[NEW]
    stored = catalog.playlist_ids().tolist()

    plain = load_snapshot(catalog, home)
    assert plain.playlist_ids.tolist() == stored  # plays are no training edges by default

    months = load_snapshot(catalog, home, listening=True)
    assert months.playlist_ids[:len(stored)].tolist() == stored
    extra = list(range(len(stored), months.num_playlists))
    assert len(extra) == 2  # January and February 2024
    assert min(months.playlist_ids[extra]) > max(stored)
    # Each month's distinct tracks in the order of their first play that month.
    assert _tracks_of(months, extra[0]) == [ids["A"], ids["E"]]
    assert _tracks_of(months, extra[1]) == [new, ids["G"]]
    assert [months.normalized_title(p) for p in extra] == ["", ""]  # untitled
    assert months.num_edges == plain.num_edges + 4
    version = catalog.version()
    assert snapshot_path(version, home).exists()
    assert snapshot_path(version, home, listening=True).exists()


def test_export_playlists_join_the_graph_like_any_playlist(home: Path, catalog: Catalog,
                                                          tmp_path: Path):
    from datetime import datetime
    from testkit.spotify_export import catalog_export_tracks, generate_history, write_export
    build_tiny_catalog(catalog)
    history = generate_history(catalog_export_tracks(catalog.tracks()), plays=1500,
                               start=datetime(2024, 1, 1), days=60, new_tracks=120)
    manifest = write_export(history, tmp_path / "export")
    import_listening(catalog, [tmp_path / "export"])
    snapshot = load_snapshot(catalog, home)
    export_ids = catalog.playlist_ids("export").tolist()
    assert len(export_ids) == len(manifest.playlists) == 4
    assert all(manifest.playlists.values())
    for playlist_id in export_ids:
        index = snapshot.playlist_index(playlist_id)
        assert index >= 0
        uris = {r["id"]: r["uri"] for r in catalog.tracks(_tracks_of(snapshot, index))}
        assert set(uris.values()) == set(manifest.playlists[
            catalog.playlists([playlist_id])[0]["source_id"].split(":", 1)[1]])


def test_the_flag_alone_turns_it_on_and_it_is_off_by_default():
    parser = build_parser()
    assert config_from_args(parser.parse_args(["train"])).listening_as_playlists is False
    on = config_from_args(parser.parse_args(["train", "--listening-as-playlists"]))
    assert on.listening_as_playlists is True
    assert config_from_args(parser.parse_args(
        ["train", "--listening-as-playlists", "no"])).listening_as_playlists is False
    assert TrainConfig.from_dict({"dim": 8}).listening_as_playlists is False  # older runs
