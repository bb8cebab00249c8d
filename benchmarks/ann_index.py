"""Which ANN index for the first stage: flat vs IVF settings, measured per catalog size.

For each size and vector kind it builds each index (`ml.runs.ann_index.TrackIndex`) and times a
single query's search (the serving case), with recall of the top-N against the exact
top-N. Vectors: `gaussian` (i.i.d., no structure: the worst case for any index) or
`clustered` (a mixture of 2,000 Gaussian clusters with norms that vary, closer to trained
track vectors), or `--vectors FILE.npy` ([T, d] rows of a real run). Queries: the mean
a random track's vector plus noise (a playlist close to one track); `--vectors`
with `--queries-from Q.npy` uses real playlist vectors.

    python benchmarks/ann_index.py --tracks 100000 2262292 --dim 64 \
        --specs flat ivf:4096:820 ivfpq:4096:820 [--vectors track_states_last.npy]

Writes benchmarks/results/ann-index[-NAME].json.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from ml.runs.ann_index import IndexSpec, TrackIndex  # noqa: E402


def generated(kind: str, n: int, dim: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "gaussian":
        return rng.standard_normal((n, dim), dtype=np.float32)
    centres = rng.standard_normal((2000, dim), dtype=np.float32) * 2.0
    out = centres[rng.integers(0, 2000, n)]
    out += rng.standard_normal((n, dim), dtype=np.float32)
    out *= rng.lognormal(0.0, 0.3, n).astype(np.float32)[:, None]
    return out


def queries_for(vectors: np.ndarray, count: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed + 1)
    q = np.asarray(vectors[rng.integers(0, len(vectors), count)], np.float32)
    return q + 0.3 * q.std() * rng.standard_normal(q.shape, dtype=np.float32)


def exact_top(vectors: np.ndarray, queries: np.ndarray, n: int) -> np.ndarray:
    out = []
    for start in range(0, len(queries), 64):
        s = queries[start:start + 64] @ vectors.T
        out.append(np.argpartition(-s, n, axis=1)[:, :n])
    return np.concatenate(out)


def measure(vectors: np.ndarray, spec: IndexSpec, queries: np.ndarray, truth: np.ndarray,
            n: int) -> dict:
    t0 = time.perf_counter()
    index = TrackIndex.build(vectors, spec)
    build_s = time.perf_counter() - t0
    index.search(queries[:5], n)  # warm-up
    times, recalls = [], []
    for q, want in zip(queries, truth):
        t0 = time.perf_counter()
        got = index.search(q[None], n)[0]
        got = got[got >= 0]
        # as serving does: the proposed rows (3n for ivfpq) re-scored exactly, n kept
        got = got[np.argsort(-(vectors[got] @ q), kind="stable")][:n]
        times.append((time.perf_counter() - t0) * 1000)
        recalls.append(len(np.intersect1d(got, want)) / n)
    return {"spec": f"{index.spec.kind}" + (f":{index.spec.nlist}:{index.spec.nprobe}"
                                            if index.spec.kind != "flat" else ""),
            "build_s": round(build_s, 2), "bytes": index.nbytes(),
            "p50_ms": round(float(np.percentile(times, 50)), 3),
            "p95_ms": round(float(np.percentile(times, 95)), 3),
            f"recall@{n}": round(float(np.mean(recalls)), 4),
            f"min_recall@{n}": round(float(np.min(recalls)), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, nargs="+", default=[100_000])
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--kinds", nargs="+", default=["gaussian", "clustered"])
    parser.add_argument("--vectors", type=Path, default=None, help="[T, d] .npy of a real run")
    parser.add_argument("--specs", nargs="+", default=["flat", "ivf"])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--name", default=None)
    args = parser.parse_args()
    rows = []
    sets = ([("real", None)] if args.vectors else [(k, t) for t in args.tracks for k in args.kinds])
    for kind, size in sets:
        vectors = (np.load(args.vectors).astype(np.float32) if args.vectors
                   else generated(kind, size, args.dim, 0))
        queries = queries_for(vectors, args.queries, 0)
        truth = exact_top(vectors, queries, args.n)
        for text in args.specs:
            row = {"vectors": kind, "tracks": len(vectors), "dim": vectors.shape[1],
                   **measure(vectors, IndexSpec.parse(text), queries, truth, args.n)}
            rows.append(row)
            print("  ".join(f"{k}={v}" for k, v in row.items()), flush=True)
        del vectors
    out = ROOT / "benchmarks" / "results" / f"ann-index{'-' + args.name if args.name else ''}.json"
    out.write_text(json.dumps({"rows": rows, "queries": args.queries, "n": args.n,
                               "load_average": os.getloadavg()}, indent=1) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
