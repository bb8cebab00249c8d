"""How many candidates the two-stage model's sources should propose: one trained run
re-evaluated at several N (`--rerank-candidates`), the same GraphSAGE each time.

For each N, copies RUN's model files to `cand-<N>` beside it in HOME's runs, sets N in the
copy's config.json and runs `python -m ml evaluate` on it (the baselines' searches, the
re-ranker's fold models and booster, the evaluation: everything after GraphSAGE's training).
A copy that already holds an evaluation.json is read, not evaluated again. The choice is
made on the validation playlists; the test playlists' figures are printed beside them.
Writes benchmarks/results/rerank-candidates-NAME.json.

    python benchmarks/rerank_candidates.py HOME RUN [--n 200 300 500] [--name real-dev]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.quality import run  # noqa: E402
from data.atomic import write_text_atomic  # noqa: E402
from ml.runs import layout  # noqa: E402

MODEL_FILES = (layout.CONFIG, layout.STATUS, layout.METRICS, layout.CHECKPOINT, layout.MODEL,
               layout.SERVING, layout.TRACK_STATES, layout.SPLIT)
SHOWN = ("r_precision", "ndcg", "clicks")


def evaluated_copy(home: Path, run_id: str, n: int) -> tuple[dict, float | None]:
    """(evaluation.json of RUN re-evaluated at N, seconds the evaluation took or None when
    it was already there)."""
    copy = home / "runs" / f"cand-{n}"
    if (copy / layout.EVALUATION).exists():
        return json.loads((copy / layout.EVALUATION).read_text()), None
    copy.mkdir(exist_ok=True)
    for name in MODEL_FILES:
        shutil.copy2(home / "runs" / run_id / name, copy / name)
    config = json.loads((copy / layout.CONFIG).read_text())
    config["rerank_candidates"] = n
    (copy / layout.CONFIG).write_text(json.dumps(config, indent=1))
    started = time.perf_counter()
    run(["-m", "ml", "evaluate", copy.name, "--no-progress"],
        {**os.environ, "PLAYLISTGRAPH_HOME": str(home)})
    return json.loads((copy / layout.EVALUATION).read_text()), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home", type=Path)
    parser.add_argument("run", help="a trained run's id in HOME")
    parser.add_argument("--n", type=int, nargs="+", default=[200, 300, 500])
    parser.add_argument("--name", default="real-dev")
    args = parser.parse_args()
    rows = []
    for n in args.n:
        evaluation, seconds = evaluated_copy(args.home, args.run, n)
        reranker = evaluation["reranker"]
        rows.append({
            "n": n, "mean_candidates": reranker["mean_candidates"],
            "candidate_recall": reranker["candidate_recall"]["overall"],
            "validation": {m: evaluation["validation"]["overall"]["reranked"][m] for m in SHOWN},
            "test": {m: evaluation["overall"]["reranked"][m] for m in SHOWN},
            "title_only_test_r_precision":
                evaluation["scenarios"]["title_only"]["reranked"]["r_precision"],
            "reranker_seconds": reranker["seconds"],
            "evaluate_seconds": None if seconds is None else round(seconds, 1)})
    result = {"name": args.name, "run": args.run, "rows": rows,
              "chosen_by": "validation NDCG (the served model's selection metric)"}
    out = ROOT / "benchmarks" / "results" / f"rerank-candidates-{args.name}.json"
    write_text_atomic(out, json.dumps(result, indent=1) + "\n")
    print(f"{'N':>5} {'cands':>7} {'recall':>7}  " + "  ".join(
        f"{'val ' + m:>15} {'test ' + m:>15}" for m in SHOWN) + f" {'re-ranker s':>12}")
    for r in rows:
        print(f"{r['n']:>5} {r['mean_candidates']:>7} {r['candidate_recall']:>7.4f}  " + "  ".join(
            f"{r['validation'][m]:>15.4f} {r['test'][m]:>15.4f}" for m in SHOWN)
            + f" {r['reranker_seconds']['total']:>12}")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
