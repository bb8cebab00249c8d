"""Candidate recall by source and together, per scenario, on the validation playlists, and
each source's cost per query: what the two-stage model's first stage is chosen from.

Uses a home where the catalog is ingested (the real development set: `python -m data
ingest .../real-dev`); splits it as `ml train` does (default flags), fits the sources on
the training playlists (ALS with the values given, the new sources tuned on validation
as `ml train` tunes them) and measures, for N = 200, 500, 1000, the share of each
validation case's hidden tracks among each source's top N and among their union.
GraphSAGE is left out (it needs the 13-minute training; its recall is in the run's
evaluation.json "reranker"). Test playlists are never read.

    PLAYLISTGRAPH_HOME=HOME python benchmarks/candidate_recall.py [--name real-dev]
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from data.atomic import write_text_atomic  # noqa: E402
from data.store import Catalog  # noqa: E402
from ml.config import TrainConfig  # noqa: E402
from ml.dataset.protocol import validation_cases  # noqa: E402
from ml.dataset.snapshot import load_snapshot  # noqa: E402
from ml.models.baselines import ALS, ItemKNN  # noqa: E402
from ml.rerank.candidates import FirstStage  # noqa: E402
from ml.rerank.recall import recall_rows, recall_table  # noqa: E402
from ml.training.fit_baselines import BaselineInputs  # noqa: E402
from ml.training.trainer import config_holdout  # noqa: E402
from ml.training.training_data import training_data  # noqa: E402
from ml.training.tuned_models import TUNED, fit_tuned  # noqa: E402

NS = (200, 500, 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="real-dev")
    parser.add_argument("--sources", default="itemknn,als,rp3beta,ease,plknn,titlewords")
    parser.add_argument("--als", default="128,10,40,15",
                        help="ALS factors,regularization,alpha,iterations (default: the values "
                             "the last real-dev run tuned)")
    parser.add_argument("--timed-queries", type=int, default=200)
    args = parser.parse_args()
    config = TrainConfig()
    with Catalog.open(None) as catalog:
        snapshot = load_snapshot(catalog, None)
    holdout = config_holdout(snapshot, config)
    data = training_data(snapshot, holdout, config)
    cases = validation_cases(snapshot, holdout.validation, config.split_seed,
                             config.max_validation_cases)
    inputs = BaselineInputs.of(data)
    sources, tuning, fit_s = [], {}, {}
    for name in args.sources.split(","):
        t0 = time.perf_counter()
        if name == "itemknn":
            model = ItemKNN(inputs.interactions, inputs.by_title)
        elif name == "als":
            f, r, a, i = args.als.split(",")
            model = ALS(inputs.interactions, inputs.by_title, factors=int(f),
                        regularization=float(r), alpha=float(a), iterations=int(i), seed=0)
        elif name in TUNED:
            model, tuning[name] = fit_tuned(name, inputs, config, cases, snapshot.track_artist)
        else:
            sys.exit(f"unknown source {name}")
        fit_s[name] = round(time.perf_counter() - t0, 1)
        print(f"{name}: fitted and tuned in {fit_s[name]} s {tuning.get(name, {}).get('params', '')}",
              flush=True)
        sources.append(model)
    stage = FirstStage(sources, inputs.by_title, max(NS))
    rows = []
    for start in range(0, len(cases), config.eval_batch):
        chunk = cases[start:start + config.eval_batch]
        batch = stage.candidates([c.seeds for c in chunk], [c.title for c in chunk])
        rows += recall_rows(batch, chunk, stage.names, NS)
    table = recall_table(rows, cases)
    per_query = {}
    timed = cases[:args.timed_queries]
    for model in sources:
        times = []
        for c in timed:
            t0 = time.perf_counter()
            if hasattr(model, "sparse_scores") and (len(c.seeds) or not model.needs_seeds):
                model.sparse_scores([c.seeds], [c.title])
            else:
                model.scores([c.seeds], [c.title])
            times.append(time.perf_counter() - t0)
        per_query[model.name] = {"p50_ms": round(1e3 * float(np.percentile(times, 50)), 2),
                                 "p95_ms": round(1e3 * float(np.percentile(times, 95)), 2),
                                 "sparse": hasattr(model, "sparse_scores")}
    result = {"name": args.name, "machine": f"{platform.machine()}, {platform.python_version()}",
              "validation_cases": len(cases), "tracks": snapshot.num_tracks,
              "train_playlists": int(len(holdout.train)), "fit_seconds": fit_s,
              "tuning": tuning, "recall": table, "per_query_ms": per_query,
              "note": "GraphSAGE not included; other jobs shared the 2-core machine"}
    out = ROOT / "benchmarks" / "results" / f"candidate-recall-{args.name}.json"
    write_text_atomic(out, json.dumps(result, indent=1))
    keys = [f"{s}@{n}" for s in [*stage.names, "together"] for n in NS]
    print(f"{'scenario':<12}" + "".join(f"{k:>16}" for k in keys))
    for sc, vals in [("overall", table["overall"]), *table["scenarios"].items()]:
        print(f"{sc:<12}" + "".join(f"{vals[k]:>16.4f}" for k in keys))
    print(json.dumps(per_query))


if __name__ == "__main__":
    main()
