"""The embedding map: the served model's track vectors projected to 2-D, once per run.

`projection.npz` in the run directory holds, for every track of the run:
`track_ids` int64 [T] (catalog ids), `xy` float32 [T, 2], `artist_cluster` int32 [T]
(the k-means cluster of the track's primary artist, -1 without one), and `method`
('umap' or 'pca'), `model` (whose vectors: 'gnn' or 'als'), `fit_tracks` (how many
tracks the projection was fitted on).

UMAP is fitted on a sample of at most `fit_sample` tracks and every other track is
placed beside its most similar fitted tracks, so the cost stays bounded at full MPD
scale while the projection covers every track. PCA is the fallback for tiny runs (and a
choice). The dashboard runs `python -m ml.pipeline.project_run --if-missing` as a background job
after every training job (the run it evaluated is then the run in use); nothing here
needs a GPU.

    python -m ml.pipeline.project_run [RUN] [--method umap|pca] [--fit-sample 10000] [--if-missing]
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from data.command_line import add_home_argument
from data.graph_reads import track_metadata
from data.home import home_dir
from data.store import Catalog
from ml.errors import ArtifactError, UserError
from ml.runs import layout
from ml.runs.artifacts import load_als, save_npz_atomic
from ml.runs.directory import active_run, resolve_run, served_model_name

FILE = layout.PROJECTION
MIN_UMAP_TRACKS = 50  # below this UMAP's neighbour graph is too thin: PCA


@dataclass(frozen=True)
class Projection:
    track_ids: np.ndarray  # int64 [T]
    xy: np.ndarray  # float32 [T, 2]
    artist_cluster: np.ndarray  # int32 [T], -1 without an artist
    method: str
    model: str
    fit_tracks: int


def served_vectors(run_dir: Path) -> tuple[np.ndarray, np.ndarray, str]:
    """(catalog track ids int64 [T], vectors float32 [T, d], model) of the model the run
    serves: ALS item factors when ALS serves, else GraphSAGE's final track states (the
    co-occurrence baselines have no track vectors)."""
    try:
        with np.load(run_dir / layout.SERVING, allow_pickle=False) as npz:
            track_ids = np.asarray(npz["track_ids"], np.int64)
        states = np.load(run_dir / layout.TRACK_STATES, mmap_mode="r", allow_pickle=False)
    except FileNotFoundError as exc:
        raise ArtifactError(f"{run_dir} has no {Path(exc.filename).name}; the run did not "
                            "finish training, so it has no track vectors to map") from None
    if served_model_name(run_dir) == "als":
        factors, _ = load_als(run_dir)
        if len(factors) == len(track_ids):
            return track_ids, np.asarray(factors, np.float32), "als"
    return track_ids, np.asarray(states[-1], np.float32), "gnn"


def project(vectors: np.ndarray, method: str = "umap", fit_sample: int = 10_000,
            seed: int = 0, neighbours: int = 5) -> tuple[np.ndarray, int]:
    """(xy float32 [T, 2], tracks fitted on).

    UMAP on cosine distance (the models score by dot products of these vectors), fitted
    on a seeded sample; every other track is placed at the similarity-weighted mean of
    its `neighbours` most similar fitted tracks (one matrix product per chunk: far
    cheaper than UMAP's own `transform`). PCA when asked or for too few tracks."""
    n = len(vectors)
    rng = np.random.default_rng(seed)
    fit_rows = np.sort(rng.choice(n, size=min(n, fit_sample), replace=False)) if n else \
        np.zeros(0, np.int64)
    if method == "pca" or n < MIN_UMAP_TRACKS:
        return _pca(vectors, fit_rows), len(fit_rows)
    import umap  # seconds to import (numba): only when projecting

    reducer = umap.UMAP(n_components=2, n_neighbors=15, min_dist=0.1, metric="cosine",
                        init="pca", random_state=seed, n_jobs=1, low_memory=True)
    xy = np.empty((n, 2), np.float32)
    fitted = reducer.fit_transform(vectors[fit_rows]).astype(np.float32)
    xy[fit_rows] = fitted
    rest = np.setdiff1d(np.arange(n), fit_rows)
    xy[rest] = _place(_unit(vectors[rest]), _unit(vectors[fit_rows]), fitted, neighbours)
    return xy, len(fit_rows)


def _unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, np.float32)
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


def _place(queries: np.ndarray, anchors: np.ndarray, anchor_xy: np.ndarray, k: int,
           chunk: int = 4096) -> np.ndarray:
    """[Q, 2]: each query at the weighted mean of its k most cosine-similar anchors."""
    out = np.empty((len(queries), 2), np.float32)
    k = max(1, min(k, len(anchors)))
    for start in range(0, len(queries), chunk):
        sims = queries[start:start + chunk] @ anchors.T
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        weights = np.maximum(np.take_along_axis(sims, top, axis=1), 0) + 1e-6
        out[start:start + chunk] = (anchor_xy[top] * weights[..., None]).sum(1) \
            / weights.sum(1, keepdims=True)
    return out


def _pca(vectors: np.ndarray, fit_rows: np.ndarray) -> np.ndarray:
    if len(vectors) == 0:
        return np.zeros((0, 2), np.float32)
    sample = vectors[fit_rows].astype(np.float64)
    mean = sample.mean(axis=0)
    _, _, vt = np.linalg.svd(sample - mean, full_matrices=False)
    axes = vt[:2].T if vt.shape[0] >= 2 else np.eye(vectors.shape[1], 2)
    return ((vectors - mean) @ axes).astype(np.float32)


def artist_clusters(vectors: np.ndarray, artist_of_track: np.ndarray, clusters: int = 12,
                    seed: int = 0) -> np.ndarray:
    """int32 [T]: k-means over the artists' mean track vectors (cosine: rows normalised),
    each track labelled with its primary artist's cluster; -1 for tracks without one."""
    out = np.full(len(vectors), -1, np.int32)
    known = artist_of_track >= 0
    if not known.any():
        return out
    artists, inverse = np.unique(artist_of_track[known], return_inverse=True)
    sums = np.zeros((len(artists), vectors.shape[1]), np.float64)
    np.add.at(sums, inverse, vectors[known])
    sums /= np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
    k = max(1, min(clusters, len(artists)))
    from sklearn.cluster import MiniBatchKMeans

    labels = MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=3,
                             batch_size=4096).fit_predict(sums)
    out[known] = labels[inverse].astype(np.int32)
    return out


def project_run(run_dir: Path, catalog: Catalog, *, method: str = "umap",
                fit_sample: int = 10_000, clusters: int = 12, seed: int = 0) -> Path:
    """Compute and store the run's projection (written atomically); returns its path."""
    track_ids, vectors, model = served_vectors(run_dir)
    xy, fitted = project(vectors, method, fit_sample, seed)
    meta = track_metadata(catalog, track_ids)
    artist = np.full(len(track_ids), -1, np.int64)
    where = np.searchsorted(meta.track_ids, track_ids)
    found = (where < len(meta.track_ids)) & \
        (meta.track_ids[np.minimum(where, len(meta.track_ids) - 1)] == track_ids) \
        if len(meta.track_ids) else np.zeros(len(track_ids), bool)
    artist[found] = meta.artist[where[found]]
    path = run_dir / FILE
    save_npz_atomic(path, track_ids=track_ids, xy=xy.astype(np.float32),
                    artist_cluster=artist_clusters(vectors, artist, clusters, seed),
                    method=np.array("pca" if method == "pca" or len(vectors) < MIN_UMAP_TRACKS
                                    else "umap"),
                    model=np.array(model), fit_tracks=np.int64(fitted))
    return path


def load_projection(run_dir: Path) -> Projection | None:
    """The stored projection, or None when the run has none yet."""
    try:
        with np.load(run_dir / FILE, allow_pickle=False) as npz:
            return Projection(track_ids=npz["track_ids"], xy=npz["xy"],
                              artist_cluster=npz["artist_cluster"], method=str(npz["method"]),
                              model=str(npz["model"]), fit_tracks=int(npz["fit_tracks"]))
    except FileNotFoundError:
        return None
    except (KeyError, ValueError, OSError) as exc:
        raise ArtifactError(f"{run_dir / FILE} is corrupt ({exc}); delete it and run "
                            f"python -m ml.pipeline.project_run {run_dir.name}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ml.pipeline.project_run",
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                                     description="Project a run's track vectors to 2-D for "
                                                 "the dashboard's embedding map.")
    parser.add_argument("run", nargs="?", help="run id (default: the run in use)")
    parser.add_argument("--method", choices=("umap", "pca"), default="umap")
    parser.add_argument("--fit-sample", type=int, default=10_000,
                        help="tracks UMAP is fitted on (the rest are placed beside their "
                             "most similar fitted tracks)")
    parser.add_argument("--clusters", type=int, default=12, help="artist clusters (k-means)")
    parser.add_argument("--if-missing", action="store_true",
                        help="do nothing when the run already has a projection, or (no run "
                             "named) when no run is in use (the dashboard runs this after "
                             "every training job)")
    add_home_argument(parser, subcommands=False)
    args = parser.parse_args(argv)
    home = home_dir(args.home)
    try:
        if args.run:
            run_dir = resolve_run(args.run, home)
            if run_dir is None:
                raise UserError(f"no run {args.run!r}; list runs with python -m ml runs")
        else:
            active = active_run(home)
            if active is None and args.if_missing:
                print("no run is in use yet: nothing to project", flush=True)
                return 0
            if active is None:
                raise UserError("no run is in use yet; train one with python -m ml train, "
                                "or name a run")
            run_dir = active.path
        if args.if_missing and (run_dir / FILE).exists():
            print(f"run {run_dir.name} already has its projection ({run_dir / FILE})", flush=True)
            return 0
        started = time.perf_counter()
        print(f"projecting the track vectors of run {run_dir.name} ({args.method})…", flush=True)
        with Catalog.open(home) as catalog:
            path = project_run(run_dir, catalog, method=args.method, fit_sample=args.fit_sample,
                               clusters=args.clusters)
    except (UserError, ArtifactError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {path} in {time.perf_counter() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
