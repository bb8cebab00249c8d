"""The embedding map's projection: every track placed, neighbours kept together, stored
in the run directory with the served model's vectors."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from data.home import runs_dir
from data.store import Catalog
from ml.pipeline.project_run import artist_clusters, load_projection, project, project_run
from tests.dashboard.conftest import build_tiny_catalog


def _two_directions(n: int, dim: int = 16, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n vectors: the first half near one direction, the second near an orthogonal one."""
    rng = np.random.default_rng(seed)
    base = np.zeros((2, dim), np.float32)
    base[0, 0], base[1, 1] = 1.0, 1.0
    group = (np.arange(n) >= n // 2).astype(int)
    return (base[group] + 0.05 * rng.standard_normal((n, dim))).astype(np.float32), group


def test_pca_of_vectors_in_a_plane_keeps_every_distance() -> None:
    """Vectors on a 2-D plane in 8-D: projecting onto the plane (what PCA finds, even from a
    sample) moves no point relative to another."""
    rng = np.random.default_rng(1)
    a, b = 10 * rng.standard_normal(300), rng.standard_normal(300)
    axes = np.linalg.qr(rng.standard_normal((8, 2)))[0].T  # two orthonormal directions
    vectors = (np.outer(a, axes[0]) + np.outer(b, axes[1]) + 3.0).astype(np.float32)
    xy, fitted = project(vectors, "pca", fit_sample=100)
    assert xy.shape == (300, 2) and fitted == 100
    def distances(p: np.ndarray) -> np.ndarray:
        return np.linalg.norm(p[:, None, :] - p[None, :, :], axis=-1)
    np.testing.assert_allclose(distances(xy), distances(vectors.astype(np.float64)),
                               atol=1e-3)


def test_umap_places_every_track_and_keeps_the_two_groups_apart() -> None:
    vectors, group = _two_directions(400)
    xy, fitted = project(vectors, "umap", fit_sample=200, seed=0)
    assert xy.shape == (400, 2) and fitted == 200 and np.isfinite(xy).all()
    centre = np.array([xy[group == g].mean(axis=0) for g in (0, 1)])
    nearest = np.argmin(((xy[:, None, :] - centre[None]) ** 2).sum(-1), axis=1)
    assert (nearest == group).mean() == 1.0  # fitted and placed tracks alike


def test_artist_clusters_follow_the_artists_vectors() -> None:
    vectors, group = _two_directions(40)
    artists = np.where(np.arange(40) % 10 == 9, -1, np.arange(40) // 5)  # 8 artists, 5 tracks
    labels = artist_clusters(vectors, artists, clusters=2)
    assert (labels[artists < 0] == -1).all()
    for artist in range(8):  # a track has its artist's cluster
        assert len(set(labels[artists == artist])) == 1
    assert labels[(artists >= 0) & (group == 0)][0] != labels[(artists >= 0) & (group == 1)][0]


def test_project_run_stores_every_track_of_the_served_model(home: Path, catalog: Catalog) -> None:
    ids = build_tiny_catalog(catalog)
    tracks = np.array(sorted(ids[x] for x in "ABCDEFG"), np.int64)
    run = runs_dir(home) / "20250101-000000-aaaa"
    run.mkdir(parents=True)
    np.savez(run / "serving.npz", track_ids=tracks)
    states = np.random.default_rng(0).standard_normal((2, len(tracks), 4)).astype(np.float32)
    np.save(run / "track_states.npy", states)
    (run / "evaluation.json").write_text(json.dumps({"served": "gnn"}))
    project_run(run, catalog, method="pca", clusters=2)
    stored = load_projection(run)
    assert stored.track_ids.tolist() == tracks.tolist()
    assert stored.model == "gnn" and stored.method == "pca" and stored.xy.shape == (7, 2)
    # The Rockers' two tracks (A, B) share a cluster; every track has an artist here.
    by_id = dict(zip(stored.track_ids.tolist(), stored.artist_cluster.tolist()))
    assert by_id[ids["A"]] == by_id[ids["B"]] and min(by_id.values()) >= 0
    # When ALS serves, its item factors are what the map shows.
    np.savez(run / "als.npz", item_factors=np.eye(7, 3, dtype=np.float32), factors=3.0,
             regularization=0.1, alpha=1.0, iterations=1.0)
    (run / "evaluation.json").write_text(json.dumps({"served": "als"}))
    project_run(run, catalog, method="pca", clusters=2)
    assert load_projection(run).model == "als"
