"""Does the two-stage model lose quality when its candidates come from ANN indexes?

Takes a trained, evaluated run (e.g. the default `ml train` on the real development set,
as benchmarks/quality.py runs it), builds IVF indexes over its GraphSAGE track vectors and
ALS item factors in memory (the run's own files are not changed; its catalog is small
enough that `ml train` itself would build flat, exact ones), and:
- per source and IVF setting: recall@N of the indexed top-N against the exact top-N on the
  run's test cases;
- scores the two-stage model on the test cases with exact candidates and with indexed ones
  (same booster, same sources), R-precision and NDCG per scenario and overall, with the
  paired bootstrap (ml/bootstrap.py) of the difference.
Writes benchmarks/results/ann-quality-<NAME>.json.

    PLAYLISTGRAPH_HOME=HOME python benchmarks/ann_quality.py RUN [--nprobe 2 4 8] [--nlist N]
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

from data.home import home_dir  # noqa: E402
from data.store import Catalog  # noqa: E402
from ml.runs.ann_index import IndexSpec, TrackIndex, _ivf_size  # noqa: E402
from ml.rerank.ann_stage import IndexedSources  # noqa: E402
from ml.runs.artifacts import load_als  # noqa: E402
from ml.evaluation.bootstrap import paired_bootstrap  # noqa: E402
from ml.evaluation.scoring import evaluate_rankers  # noqa: E402
from ml.dataset.protocol import make_cases  # noqa: E402
from ml.models.ranking import top_k  # noqa: E402
from ml.rerank.booster import TwoStage  # noqa: E402
from ml.training.fit_baselines import BaselineInputs
from ml.pipeline.evaluate_run import run_training_data  # noqa: E402
from ml.runs.directory import resolve_run  # noqa: E402
from ml.serving.recommender import two_stage_from_run  # noqa: E402
from ml.rerank.two_stage import first_stage  # noqa: E402


def recall(source, indexed: IndexedSources, cases, n: int) -> float:
    values = []
    for start in range(0, len(cases), 64):
        chunk = cases[start:start + 64]
        seeds, titles = [c.seeds for c in chunk], [c.title for c in chunk]
        dense = source.scores(seeds, titles)
        _, want = top_k(dense.clone(), seeds, n)
        got = indexed.top(source, seeds, titles, n).rows
        for q, rows in enumerate(got):
            kth = want[q][np.isfinite(want[q])][-1]
            exact = dense[q, rows].numpy()
            values.append(float((exact >= kth - 1e-6 * abs(kth)).sum()) / n)
    return round(float(np.mean(values)), 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="run id or path")
    parser.add_argument("--kind", choices=["ivf", "ivfpq"], default="ivfpq",
                        help="the IVF kind (ml.runs.ann_index; ivfpq serves above 150K tracks)")
    parser.add_argument("--nlist", type=int, default=0, help="IVF cells (default: by size)")
    parser.add_argument("--nprobe", type=int, nargs="+", default=[2, 4, 8],
                        help="cells scanned per query: recall for each, quality for the last")
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--name", default="real-dev")
    args = parser.parse_args()
    home = home_dir(None)
    run_dir = resolve_run(args.run, home)
    with Catalog.open(home) as catalog:
        config, data = run_training_data(run_dir, catalog, home)
    inputs = BaselineInputs.of(data)
    exact = two_stage_from_run(run_dir, data, inputs, exact=True)
    sources = {s.name: s for s in exact.stage.sources}
    cases = make_cases(data.snapshot, data.holdout.test, config.split_seed)
    vectors = {"gnn": np.asarray(sources["gnn"].vectors.numpy(), np.float32),
               "als": load_als(run_dir)[0]}
    nlist = args.nlist or _ivf_size(len(vectors["gnn"]))[0]
    report: dict = {"run": run_dir.name, "kind": args.kind, "tracks": int(len(vectors["gnn"])), "cases": len(cases),
                    "nlist": nlist, "n": args.n, "recall": {}, "build_s": {}}
    indexes = {}
    for nprobe in args.nprobe:
        for name, v in vectors.items():
            t0 = time.perf_counter()
            indexes[name] = TrackIndex.build(v, IndexSpec(args.kind, nlist, nprobe))
            report["build_s"][name] = round(time.perf_counter() - t0, 2)
        indexed = IndexedSources(indexes, inputs.by_title)
        # every source of the run's first stage (the sparse ones are exact by construction)
        report["recall"][str(nprobe)] = {name: recall(source, indexed, cases, args.n)
                                         for name, source in sources.items()}
        print(f"nlist {nlist} nprobe {nprobe}: recall@{args.n} {report['recall'][str(nprobe)]}",
              flush=True)
    report["nprobe"] = args.nprobe[-1]
    fast = TwoStage(first_stage(exact.stage.sources, inputs, exact.stage.n, indexes),
                    exact.context, exact.booster)
    fast.name = "reranked_ann"
    rows: dict = {}
    timings = {}
    for ranker in (exact, fast):
        t0 = time.perf_counter()
        result = evaluate_rankers([ranker], cases, data.snapshot.track_artist,
                                  batch_size=config.eval_batch, rows_out=rows)
        timings[ranker.name] = round(time.perf_counter() - t0, 1)
        report.setdefault("overall", {}).update(result["overall"])
        for scenario, entry in result["scenarios"].items():
            report.setdefault("scenarios", {}).setdefault(scenario, {}).update(entry)
    report["evaluate_s"] = timings
    report["bootstrap"] = {m: paired_bootstrap(rows, "reranked_ann", "reranked", m)
                           for m in ("r_precision", "ndcg")}
    report["load_average"] = os.getloadavg()
    out = ROOT / "benchmarks" / "results" / f"ann-quality-{args.name}.json"
    out.write_text(json.dumps(report, indent=1) + "\n")
    for metric in ("r_precision", "ndcg"):
        b = report["bootstrap"][metric]["overall"]
        print(f"{metric}: exact {report['overall']['reranked'][metric]:.4f}, ANN "
              f"{report['overall']['reranked_ann'][metric]:.4f}, difference {b['diff']:+.4f} "
              f"[{b['low']:+.4f}, {b['high']:+.4f}] (95% paired bootstrap)")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
