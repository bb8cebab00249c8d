"""Recommendation latency, exact and from ANN indexes, over catalogs up to 2.26M tracks (CPU).

Per catalog size (`--tracks`, default the full MPD's 2,262,292): writes a run directory
(model.pt, serving.npz, track_states.npy with random weights: latency does not depend on
what was learned) and generates an MPD-shaped graph of the same catalog
(testkit/synthetic.py, scaled from `--playlists`/`--edges` at full size) for ALS (128
factors), item-kNN and the two-stage model (a booster of `--trees` trees over the real
feature set). Track vectors and ALS factors carry the graph's taste communities
(`--vectors structured`; `random` for i.i.d. Gaussian ones). Then, in one run:
- each vector model's ANN index (`ml.runs.ann_index`): kind, build seconds, bytes;
- recall of each source's indexed top-N against its exact top-N (N = `--n`);
- p50/p95 of `Recommender.recommend(seeds, k=500)` per model and seed count (0, 1, 10,
  50, 100), exact and from the indexes, on the same queries;
- the two-stage model's batch throughput: `--batch-playlists` playlists from the
  indexes, `--exact-batch-playlists` of the same exactly (a full exact 10,000 would take
  most of an hour here).
Writes benchmarks/results/recommend[-NAME].json.

    python benchmarks/recommend.py [--tracks 10000 100000 1000000 2262292] [--queries 200]
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
from ml.dataset.titles import normalize_title  # noqa: E402
from ml.models.baselines import ALS, ItemKNN, Popularity, TitlePopularity, interaction_matrix  # noqa: E402
from ml.models.gnn_scorer import GnnScorer  # noqa: E402
from ml.models.graphsage import ModelSpec, PlaylistGraphSAGE  # noqa: E402
from ml.models.ranking import top_k  # noqa: E402
from ml.rerank.ann_stage import IndexedRanker, IndexedSources  # noqa: E402
from ml.rerank.booster import TwoStage  # noqa: E402
from ml.rerank.features import TrackContext, feature_names  # noqa: E402
from ml.rerank.two_stage import first_stage  # noqa: E402
from ml.runs.ann_index import OVERFETCH, IndexSpec, TrackIndex  # noqa: E402
from ml.runs.artifacts import save_model  # noqa: E402
from ml.serving.recommender import GnnRecommender, RankerRecommender  # noqa: E402
from testkit.synthetic import synthetic_snapshot  # noqa: E402

SEED_COUNTS = (0, 1, 10, 50, 100)


def write_run(run_dir: Path, num_tracks: int, dim: int, layers: int,
              vectors: np.ndarray | None = None) -> None:
    """A full-size run directory through the same writer training uses; `vectors`: the
    last layer's track states (random when None)."""
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
    if vectors is not None:
        states[-1] = torch.from_numpy(vectors)
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


def structured_vectors(snapshot, dim: int, seed: int) -> np.ndarray:
    """[T, dim] track vectors with the generated graph's taste communities in them (a
    trained model's vectors have such structure; i.i.d. random ones have none, the worst
    case for any index): the community's centre plus as much noise, norms that vary."""
    rng = np.random.default_rng(seed)
    communities = int(snapshot.titles and len(snapshot.titles) // 2) or 4
    block = max(snapshot.num_tracks // communities, 1)
    community = np.minimum(np.arange(snapshot.num_tracks) // block, communities - 1)
    centres = rng.standard_normal((communities, dim), dtype=np.float32)
    out = centres[community]
    out += rng.standard_normal(out.shape, dtype=np.float32)
    out *= rng.lognormal(0.0, 0.25, len(out)).astype(np.float32)[:, None]
    return out / np.float32(np.sqrt(dim))


def on_device(recommender: GnnRecommender, device: str) -> GnnRecommender:
    """The recommender with its GraphSAGE scorer (model, track vectors) on `device`."""
    if device != "cpu":
        s = recommender.scorer
        recommender.scorer = GnnScorer(s.model.to(device), s.states, s.titles, device,
                                       vectors=s.vectors)
        recommender.ranker = recommender.scorer
    return recommender


def build_models(run_dir: Path, snapshot, args) -> tuple[dict, dict, dict]:
    """Every model over the generated graph, exactly and from indexes:
    ({model: (exact recommender, indexed recommender)}, {source: ranker}, index report)."""
    import lightgbm as lgb
    interactions = interaction_matrix(snapshot.edge_playlists(),
                                      snapshot.pl_tracks.astype(np.int64),
                                      snapshot.num_playlists, snapshot.num_tracks)
    titles = [snapshot.normalized_title(p) for p in range(snapshot.num_playlists)]
    by_title = TitlePopularity(interactions, titles, Popularity(interactions))
    factors = (structured_vectors(snapshot, 128, 2) if args.vectors == "structured" else
               0.1 * np.random.default_rng(1).standard_normal((snapshot.num_tracks, 128),
                                                              dtype=np.float32))
    als = ALS.from_factors(factors, by_title, factors=128, regularization=10.0, alpha=40.0,
                           iterations=15)
    knn = ItemKNN(interactions, by_title)
    gnn = on_device(GnnRecommender.load(run_dir, exact=True), args.device)
    report, indexes = {}, {}
    spec = IndexSpec.parse(args.index) if args.index else None
    for name, vectors in (("gnn", gnn.scorer.vectors.cpu().numpy()), ("als", factors)):
        t0 = time.perf_counter()
        index = TrackIndex.build(vectors, spec)
        build_s = time.perf_counter() - t0
        indexes[name] = index
        report[name] = {"kind": index.spec.kind, "nlist": index.spec.nlist,
                        "nprobe": index.spec.nprobe, "overfetch": OVERFETCH[index.spec.kind],
                        "build_s": round(build_s, 2),
                        "bytes": index.nbytes(), "vectors_bytes": int(vectors.nbytes),
                        "dim": int(vectors.shape[1])}
    stage = first_stage([gnn.scorer, als, knn], SimpleNamespace(by_title=by_title),
                        args.candidates)
    names = feature_names(stage.names)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((20_000, len(names))).astype(np.float32)
    booster = lgb.train({"objective": "lambdarank", "num_leaves": 31, "verbosity": -1,
                         "min_data_in_leaf": 20, "num_threads": 1},
                        lgb.Dataset(x, (x[:, 0] > 1).astype(float), group=[500] * 40,
                                    feature_name=names), num_boost_round=args.trees)
    mask = snapshot.feature_mask
    context = TrackContext.build(interactions, titles, snapshot.track_artist,
                                 snapshot.track_album, snapshot.features, mask,
                                 np.zeros(mask.shape[1], np.float32),
                                 np.ones(mask.shape[1], np.float32))
    degree = snapshot.track_degrees()
    indexed = IndexedSources(indexes, by_title)
    fast_stage = first_stage([gnn.scorer, als, knn], SimpleNamespace(by_title=by_title),
                             args.candidates, indexes)
    fast_gnn = on_device(GnnRecommender.load(run_dir, exact=True), args.device)
    fast_gnn.ranker = IndexedRanker(fast_gnn.scorer, IndexedSources({"gnn": indexes["gnn"]},
                                                                    None))

    def served(ranker):
        return RankerRecommender(ranker, snapshot, degree)

    models = {"gnn": (gnn, fast_gnn),
              "als": (served(als), served(IndexedRanker(als, indexed))),
              "itemknn": (served(knn), served(IndexedRanker(knn, indexed))),
              "reranked": (served(TwoStage(stage, context, booster)),
                           served(TwoStage(fast_stage, context, booster)))}
    return models, {"gnn": gnn.scorer, "als": als, "itemknn": knn, "indexed": indexed}, report


def time_recommender(recommender, args, seed: int, pool: np.ndarray) -> list[dict]:
    """p50/p95/max of `recommend(seeds, k)` per seed count; the same queries for a given
    seed, so the exact and the indexed path answer the same playlists."""
    rng = np.random.default_rng(seed)
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


def source_recall(sources: dict, snapshot, args, pool_rows: np.ndarray) -> dict:
    """Per source and seed count: the share of the indexed top-N that is in the exact
    top-N (or tied with its last), i.e. recall@N against the exact ranking."""
    rng = np.random.default_rng(7)
    out: dict = {}
    for name in ("gnn", "als", "itemknn"):
        ranker = sources[name]
        out[name] = {}
        for n_seeds in SEED_COUNTS:
            values = []
            for _ in range(args.recall_queries // 8):  # 8 queries a batch
                seeds = [np.sort(rng.choice(pool_rows, n_seeds, replace=False)).astype(np.int64)
                         for _ in range(8)]
                titles = [normalize_title(snapshot.titles[int(rng.integers(len(snapshot.titles)))])
                          for _ in range(8)]
                dense = ranker.scores(seeds, titles)
                _, want = top_k(dense.clone(), seeds, args.n)
                got = sources["indexed"].top(ranker, seeds, titles, args.n).rows
                for q, g in enumerate(got):
                    # a hit: a track whose exact score reaches the exact N-th one (tracks
                    # tied there are equally right; float32 ties are common in the title
                    # fallback and the popularity tie-break)
                    kth = want[q][np.isfinite(want[q])][-1]
                    exact = dense[q, torch.from_numpy(g).to(dense.device)].cpu().numpy()
                    values.append(float((exact >= kth - 1e-6 * abs(kth)).sum()) / args.n)
            out[name][str(n_seeds)] = round(float(np.mean(values)), 4)
        out[name]["overall"] = round(float(np.mean(list(out[name].values()))), 4)
    return out


def throughput(ranker, args, pool_rows: np.ndarray, playlists: int, batch: int) -> dict:
    """Recommendations (top-k lists) per second for `playlists` playlists of 10 seeds, in
    batches of `batch` (as an offline evaluation or an export scores them)."""
    rng = np.random.default_rng(11)
    seeds = [np.sort(rng.choice(pool_rows, 10, replace=False)).astype(np.int64)
             for _ in range(playlists)]
    t0 = time.perf_counter()
    for start in range(0, playlists, batch):
        chunk = seeds[start:start + batch]
        ranker.recommend(chunk, [""] * len(chunk), args.k)
    seconds = time.perf_counter() - t0
    return {"playlists": playlists, "batch": batch, "seconds": round(seconds, 2),
            "per_second": round(playlists / seconds, 2)}


def measure_size(num_tracks: int, args) -> dict:
    """Everything at one catalog size; the generated graph scales with it."""
    share = num_tracks / 2_262_292
    playlists = max(1000, int(args.playlists * share))
    edges = max(20_000, int(args.edges * share))
    result: dict = {"tracks": num_tracks, "playlists": playlists, "edges": edges}
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "20260101-000000-0000"
        run_dir.mkdir()
        t0 = time.perf_counter()
        snapshot = synthetic_snapshot(playlists, num_tracks, edges)
        vectors = (structured_vectors(snapshot, args.dim, 1) if args.vectors == "structured"
                   else None)
        write_run(run_dir, num_tracks, args.dim, args.layers, vectors)
        models, sources, result["indexes"] = build_models(run_dir, snapshot, args)
        result["setup_s"] = round(time.perf_counter() - t0, 1)
        print(f"{num_tracks:,} tracks: set up in {result['setup_s']} s; indexes "
              + ", ".join(f"{k} {v['kind']}:{v['nlist']}:{v['nprobe']} {v['build_s']} s "
                          f"{v['bytes'] / 1e6:.0f} MB" for k, v in result["indexes"].items()),
              flush=True)
        degree = snapshot.track_degrees()
        pool_rows = np.flatnonzero(degree > 0)
        pool_ids = snapshot.track_ids[pool_rows]
        result["recall"] = source_recall(sources, snapshot, args, pool_rows)
        print(f"  recall@{args.n} of the indexed top-{args.n}: "
              + ", ".join(f"{k} {v['overall']}" for k, v in result["recall"].items()), flush=True)
        result["latency"] = {}
        for name, (exact, fast) in models.items():
            if name not in args.models:
                continue
            seed = 100 + list(models).index(name)
            pool = np.arange(1, num_tracks + 1) if name == "gnn" else pool_ids
            result["latency"][name] = {"exact": time_recommender(exact, args, seed, pool),
                                       "ann": time_recommender(fast, args, seed, pool)}
            if name == "reranked":  # the first stage's sources one after the other
                fast.ranker.stage.indexed.concurrent = False
                result["latency"][name]["ann_sequential"] = time_recommender(fast, args, seed,
                                                                            pool)
                fast.ranker.stage.indexed.concurrent = True
            for path in result["latency"][name]:
                rows = result["latency"][name][path]
                print(f"  {name:<9}{path:<15}" + "".join(
                    f"  {r['seeds']:>3}: {r['p50_ms']:>6.1f}/{r['p95_ms']:>6.1f}" for r in rows),
                    flush=True)
        if args.batch_playlists:
            exact, fast = models["reranked"]
            result["throughput"] = {
                "ann": throughput(fast.ranker, args, pool_rows, args.batch_playlists, 128),
                "exact": throughput(exact.ranker, args, pool_rows, args.exact_batch_playlists,
                                    32)}
            t = result["throughput"]
            print(f"  two-stage batch throughput: ann {t['ann']['per_second']:.1f}/s "
                  f"({t['ann']['playlists']:,} playlists), exact {t['exact']['per_second']:.1f}/s "
                  f"({t['exact']['playlists']:,} playlists): "
                  f"{t['ann']['per_second'] / t['exact']['per_second']:.1f}x", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--tracks", type=int, nargs="+", default=[2_262_292],
                        help="catalog sizes (the generated graph scales with each)")
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--layers", type=int, default=3)
    parser.add_argument("--queries", type=int, default=200, help="timed queries per seed count")
    parser.add_argument("--k", type=int, default=500)
    parser.add_argument("--playlists", type=int, default=1_000_000,
                        help="playlists of the generated graph at 2,262,292 tracks")
    parser.add_argument("--edges", type=int, default=66_000_000, help="its playlist-track edges")
    parser.add_argument("--candidates", type=int, default=TrainConfig().rerank_candidates,
                        help="candidates per source model")
    parser.add_argument("--trees", type=int, default=150, help="trees of the timed booster")
    parser.add_argument("--models", nargs="+", default=["gnn", "als", "itemknn", "reranked"])
    parser.add_argument("--vectors", choices=["structured", "random"], default="structured",
                        help="track vectors and ALS factors: with the graph's communities in "
                             "them, or i.i.d. Gaussian (no structure: the worst case for recall)")
    parser.add_argument("--index", default=None, help="index spec (default: by catalog size)")
    parser.add_argument("--n", type=int, default=200, help="top-N whose recall is measured")
    parser.add_argument("--recall-queries", type=int, default=96, help="per seed count")
    parser.add_argument("--batch-playlists", type=int, default=10_000,
                        help="playlists of the two-stage throughput (0: skip)")
    parser.add_argument("--exact-batch-playlists", type=int, default=512,
                        help="playlists the exact path's throughput is measured on")
    parser.add_argument("--name", default=None, help="results file: recommend[-NAME].json")
    parser.add_argument("--out", default=None, help="results file path (overrides --name)")
    parser.add_argument("--device", default="cpu",
                        help="where GraphSAGE scores (cuda: its exact scan and readout on the "
                             "GPU; ALS, item-kNN, faiss and the booster stay on the CPU)")
    args = parser.parse_args()
    if args.device == "cpu":
        torch.set_num_threads(min(2, os.cpu_count() or 1))  # the 2-core target machine
    sizes = [measure_size(t, args) for t in args.tracks]
    out = Path(args.out) if args.out else \
        RESULTS / f"recommend{'-' + args.name if args.name else ''}.json"
    RESULTS.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "sizes": sizes, "dim": args.dim, "layers": args.layers, "k": args.k,
        "queries": args.queries, "vectors": args.vectors, "candidates": args.candidates,
        "trees": args.trees, "threads": torch.get_num_threads(), "device": args.device,
        "load_average_after": os.getloadavg(),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                    "torch": torch.__version__}}, indent=1) + "\n")
    print(f"wrote {out} (load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
