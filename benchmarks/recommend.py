"""Recommendation latency: top-500 for a new playlist over a 2.26M-track catalog, on the CPU.

Writes a run directory at full MPD scale (model.pt, serving.npz, track_states.npy with
random weights: latency does not depend on what was learned), loads it the way the
dashboard does (`GnnRecommender.load`, states memory-mapped) and times
`Recommender.recommend(seeds, k=500)` for playlists the model never saw, from the title
alone to 100 seeds. Target: p95 under 100 ms. Writes benchmarks/results/recommend.json.

    python benchmarks/recommend.py [--tracks 2262292] [--queries 200]
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
from ml.artifacts import save_model  # noqa: E402
from ml.features import ENCODED_DIM  # noqa: E402
from ml.model import ModelSpec, PlaylistGraphSAGE  # noqa: E402
from ml.serving import GnnRecommender  # noqa: E402
from ml.config import TrainConfig  # noqa: E402
from ml.titles import TitleVocabulary  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--tracks", type=int, default=2_262_292, help="catalog size")
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--layers", type=int, default=3)
    parser.add_argument("--queries", type=int, default=200, help="timed queries per seed count")
    parser.add_argument("--k", type=int, default=500)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "20260101-000000-0000"
        run_dir.mkdir()
        t0 = time.perf_counter()
        write_run(run_dir, args.tracks, args.dim, args.layers)
        written = time.perf_counter() - t0
        t0 = time.perf_counter()
        recommender = GnnRecommender.load(run_dir)
        loaded = time.perf_counter() - t0
        for _ in range(5):  # warm-up: page in the vectors, let torch pick its kernels
            recommender.recommend(rng.integers(1, args.tracks + 1, 10).tolist(), k=args.k)
        rows = []
        for n in SEED_COUNTS:
            times = []
            for _ in range(args.queries):
                seeds = rng.integers(1, args.tracks + 1, n).tolist()
                t0 = time.perf_counter()
                recs = recommender.recommend(seeds, k=args.k, title="title 7" if n == 0 else None)
                times.append((time.perf_counter() - t0) * 1000)
                assert len(recs) == args.k and not set(seeds) & {r.track_id for r in recs}
            rows.append({"seeds": n, "p50_ms": round(float(np.percentile(times, 50)), 2),
                         "p95_ms": round(float(np.percentile(times, 95)), 2),
                         "max_ms": round(float(np.max(times)), 2)})
    print(f"top-{args.k} for a new playlist, {args.tracks:,} tracks, dim {args.dim}, "
          f"{args.layers} layers, {torch.get_num_threads()} CPU threads "
          f"(load average {os.getloadavg()[0]:.2f})")
    print(f"  run written in {written:.1f}s, loaded in {loaded:.2f}s")
    print(f"  {'seeds':>6}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for r in rows:
        print(f"  {r['seeds']:>6}{r['p50_ms']:>10.1f}{r['p95_ms']:>10.1f}{r['max_ms']:>10.1f}")
    worst_p95 = max(r["p95_ms"] for r in rows)
    print(f"  worst p95 {worst_p95:.1f} ms (target < 100 ms): "
          + ("met" if worst_p95 < 100 else "NOT met"))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "recommend.json").write_text(json.dumps({
        "tracks": args.tracks, "dim": args.dim, "layers": args.layers, "k": args.k,
        "threads": torch.get_num_threads(), "load_seconds": round(loaded, 3),
        "latency": rows, "worst_p95_ms": worst_p95, "target_p95_ms": 100,
        "load_average": os.getloadavg(),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                    "torch": torch.__version__}}, indent=2))


if __name__ == "__main__":
    main()
