"""Recommendation latency: top-500 for a new playlist over a 2.26M-track catalog, on the CPU.

Writes a run directory at full MPD scale (model.pt, serving.npz, track_states.npy with
random weights: latency does not depend on what was learned), loads it the way the
dashboard does (`GnnRecommender.load`, states memory-mapped) and times
`Recommender.recommend(seeds, k=500)` for playlists the model never saw, from the title
alone to 100 seeds. Then the same for ALS (128 factors), item-kNN and the two-stage
model over a generated MPD-shaped graph of the same catalog (testkit/synthetic.py;
`--playlists`, `--edges`), with a booster of `--trees` trees over the real feature set.
Target: p95 under 100 ms. Writes benchmarks/results/recommend.json.

    python benchmarks/recommend.py [--tracks 2262292] [--queries 200] [--no-two-stage]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results"

import numpy as np  # noqa: E402
import torch  # noqa: E402

from data.schema import AUDIO_FEATURES  # noqa: E402
from ml.config import TrainConfig  # noqa: E402
from ml.dataset.audio_features import ENCODED_DIM  # noqa: E402
from ml.dataset.titles import TitleVocabulary  # noqa: E402
from ml.models.baselines import ALS, ItemKNN, Popularity, TitlePopularity, interaction_matrix  # noqa: E402
from ml.models.graphsage import ModelSpec, PlaylistGraphSAGE  # noqa: E402
from ml.rerank.booster import TwoStage  # noqa: E402
from ml.rerank.features import TrackContext, feature_names  # noqa: E402
from ml.rerank.two_stage import first_stage  # noqa: E402
from ml.runs.artifacts import save_model  # noqa: E402
from ml.serving.recommender import GnnRecommender, RankerRecommender  # noqa: E402
from testkit.synthetic import synthetic_snapshot  # noqa: E402

SEED_COUNTS = (0, 1, 10, 50, 100)


def write_run(run_dir: Path, num_tracks: int, dim: int, layers: int) -> None:
    """A full-size run directory through the same writer training uses."""
    artists, albums = num_tracks // 8, num_tracks // 3
    torch.manual_seed(0)
    default = TrainConfig()  # the served model's shape: fold-in readout, normalized queries
    model = PlaylistGraphSAGE(ModelSpec(num_tracks=num_tracks, num_artists=artists,
                                        num_albums=albums, num_titles=20_001,
                                        feature_dim=ENCODED_DIM, dim=dim, layers=layers,
                                        dropout=0.0, combine=default.combine,
                                        activation=default.activation,
                                        query_scale=default.query_scale,
                                        fold_in=default.fold_in))
    states = [torch.randn(num_tracks, dim) for _ in range(layers)]
    ones = np.ones
    data = SimpleNamespace(
        snapshot=SimpleNamespace(track_ids=np.arange(1, num_tracks + 1, dtype=np.int64),
                                 artist_ids=np.arange(artists, dtype=np.int64),
                                 album_ids=np.arange(albums, dtype=np.int64)),
        track_seen=ones(num_tracks, bool), artist_seen=ones(artists, bool),
        album_seen=ones(albums, bool),
        vocab=TitleVocabulary(f"title {i}" for i in range(20_000)),
        feature_mean=np.zeros(len(AUDIO_FEATURES), np.float32),
        feature_std=np.ones(len(AUDIO_FEATURES), np.float32))
    save_model(run_dir, model, data, states, snapshot_version=0)


def two_stage_recommenders(gnn: GnnRecommender, args) -> dict[str, RankerRecommender]:
    """ALS, item-kNN and the two-stage model over a generated graph of the same tracks."""
    import lightgbm as lgb
    snapshot = synthetic_snapshot(args.playlists, args.tracks, args.edges)
    interactions = interaction_matrix(snapshot.edge_playlists(),
                                      snapshot.pl_tracks.astype(np.int64),
                                      snapshot.num_playlists, snapshot.num_tracks)
    titles = [snapshot.normalized_title(p) for p in range(snapshot.num_playlists)]
    by_title = TitlePopularity(interactions, titles, Popularity(interactions))
    rng = np.random.default_rng(1)
    als = ALS.from_factors((0.1 * rng.standard_normal((args.tracks, 128))).astype(np.float32),
                           by_title, factors=128, regularization=10.0, alpha=40.0,
                           iterations=15)
    knn = ItemKNN(interactions, by_title)
    inputs = SimpleNamespace(interactions=interactions, titles=titles, by_title=by_title)
    stage = first_stage([gnn.scorer, als, knn], inputs, args.candidates)
    n_features = len(feature_names(stage.names))
    x = rng.standard_normal((20_000, n_features)).astype(np.float32)
    booster = lgb.train({"objective": "lambdarank", "num_leaves": 31, "verbosity": -1,
                         "min_data_in_leaf": 20, "num_threads": 1},
                        lgb.Dataset(x, (x[:, 0] > 1).astype(float), group=[500] * 40,
                                    feature_name=feature_names(stage.names)),
                        num_boost_round=args.trees)
    mask = snapshot.feature_mask
    context = TrackContext.build(interactions, titles, snapshot.track_artist,
                                 snapshot.track_album, snapshot.features, mask,
                                 np.zeros(mask.shape[1], np.float32),
                                 np.ones(mask.shape[1], np.float32))
    degree = snapshot.track_degrees()
    return {name: RankerRecommender(ranker, snapshot, degree)
            for name, ranker in (("als", als), ("itemknn", knn),
                                 ("reranked", TwoStage(stage, context, booster)))}


def time_recommender(recommender, args, rng, pool: np.ndarray) -> list[dict]:
    for _ in range(5):  # warm-up: page in the vectors, let torch pick its kernels
        recommender.recommend(rng.choice(pool, 10).tolist(), k=args.k)
    rows = []
    for n in SEED_COUNTS:
        times = []
        for _ in range(args.queries):
            seeds = rng.choice(pool, n, replace=False).tolist()
            t0 = time.perf_counter()
            recs = recommender.recommend(seeds, k=args.k, title="taste 7 mix" if n == 0 else None)
            times.append((time.perf_counter() - t0) * 1000)
            assert len(recs) == args.k and not set(seeds) & {r.track_id for r in recs}
        rows.append({"seeds": n, "p50_ms": round(float(np.percentile(times, 50)), 2),
                     "p95_ms": round(float(np.percentile(times, 95)), 2),
                     "max_ms": round(float(np.max(times)), 2)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--tracks", type=int, default=2_262_292, help="catalog size")
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--layers", type=int, default=3)
    parser.add_argument("--queries", type=int, default=200, help="timed queries per seed count")
    parser.add_argument("--k", type=int, default=500)
    parser.add_argument("--playlists", type=int, default=1_000_000,
                        help="playlists of the generated graph (ALS, item-kNN, two-stage)")
    parser.add_argument("--edges", type=int, default=66_000_000, help="its playlist-track edges")
    parser.add_argument("--candidates", type=int, default=TrainConfig().rerank_candidates,
                        help="candidates per source model")
    parser.add_argument("--trees", type=int, default=150, help="trees of the timed booster")
    parser.add_argument("--no-two-stage", action="store_true", help="time the GNN alone")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    models: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "20260101-000000-0000"
        run_dir.mkdir()
        t0 = time.perf_counter()
        write_run(run_dir, args.tracks, args.dim, args.layers)
        written = time.perf_counter() - t0
        t0 = time.perf_counter()
        recommender = GnnRecommender.load(run_dir)
        loaded = time.perf_counter() - t0
        models["gnn"] = time_recommender(recommender, args, rng,
                                         np.arange(1, args.tracks + 1))
        if not args.no_two_stage:
            t0 = time.perf_counter()
            others = two_stage_recommenders(recommender, args)
            built = time.perf_counter() - t0
            pool = others["als"].snapshot.track_ids[others["als"]._degree > 0]
            for name, rec in others.items():
                models[name] = time_recommender(rec, args, rng, pool)
    print(f"top-{args.k} for a new playlist, {args.tracks:,} tracks, dim {args.dim}, "
          f"{args.layers} layers, {torch.get_num_threads()} CPU threads "
          f"(load average {os.getloadavg()[0]:.2f})")
    print(f"  run written in {written:.1f}s, loaded in {loaded:.2f}s"
          + ("" if args.no_two_stage else
             f"; generated graph ({args.playlists:,} playlists, {args.edges:,} edges) and the "
             f"other models built in {built:.0f}s; two-stage: top-{args.candidates} per source, "
             f"{args.trees} trees"))
    print(f"  {'model':<10}{'seeds':>6}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for name, rows in models.items():
        for r in rows:
            print(f"  {name:<10}{r['seeds']:>6}{r['p50_ms']:>10.1f}{r['p95_ms']:>10.1f}"
                  f"{r['max_ms']:>10.1f}")
    worst = {name: max(r["p95_ms"] for r in rows) for name, rows in models.items()}
    for name, p95 in worst.items():
        print(f"  {name}: worst p95 {p95:.1f} ms (target < 100 ms): "
              + ("met" if p95 < 100 else "NOT met"))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "recommend.json").write_text(json.dumps({
        "tracks": args.tracks, "dim": args.dim, "layers": args.layers, "k": args.k,
        "threads": torch.get_num_threads(), "load_seconds": round(loaded, 3),
        "latency": models["gnn"], "worst_p95_ms": worst["gnn"], "target_p95_ms": 100,
        "models": {name: {"latency": rows, "worst_p95_ms": worst[name]}
                   for name, rows in models.items()},
        "generated_graph": None if args.no_two_stage else {
            "playlists": args.playlists, "edges": args.edges, "candidates": args.candidates,
            "trees": args.trees},
        "load_average": os.getloadavg(),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                    "torch": torch.__version__}}, indent=2))


if __name__ == "__main__":
    main()
