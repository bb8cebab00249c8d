"""Recommendation quality on real playlists, as a user gets it.

Ingests MPD slices (and optional audio-feature CSVs) into a fresh home, runs the
default `python -m ml train` in a subprocess exactly as a user would, and reports the
run's evaluation: per scenario and overall, every model side by side (best marked
with *), the tuned ALS, the served model and how training went (time, epochs, best
epoch, whether early stopping fired). Writes benchmarks/results/quality-<name>.json.

    python benchmarks/quality.py                       # ../shared/reference/mpd/real-dev when present
    python benchmarks/quality.py --name sample data/sample
    python benchmarks/quality.py --features F.csv.gz SLICES...
    python benchmarks/quality.py data/sample -- --split-seed 7   # flags after -- go to ml train
    python benchmarks/quality.py --reuse HOME RUN      # re-evaluate a trained run instead
    python benchmarks/quality.py --home DIR            # keep the home (for ann_quality.py)

`--reuse` skips ingest and training: it runs `python -m ml evaluate RUN` in HOME (a
home where the default `ml train` already ran), so that evaluation changes (such as
the two-stage model, which is fitted at evaluation) are measured without training the
GNN again; training times then come from the run's metrics.

The real playlists are never copied: they are read where they lie.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REAL_DEV = ROOT.parent / "shared" / "reference" / "mpd" / "real-dev"
REAL_FEATURES = ROOT.parent / "shared" / "reference" / "features" / "dataset-of-10s.csv.gz"
SAMPLE = ROOT / "data" / "sample"
METRICS = ("r_precision", "ndcg", "clicks", "recall@100")
LOWER_IS_BETTER = {"clicks"}


def run(args: list[str], env: dict) -> str:
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True)
    if proc.returncode != 0:
        sys.exit(f"error: python {' '.join(args)} failed ({proc.returncode}): "
                 f"{(proc.stderr or proc.stdout).strip().splitlines()[-1:]}")
    return proc.stdout


def mark_best(models: dict[str, dict], metric: str) -> dict[str, str]:
    values = {m: v[metric] for m, v in models.items()}
    best = (min if metric in LOWER_IS_BETTER else max)(values.values())
    return {m: f"{v:.4f}{'*' if v == best else ' '}" for m, v in values.items()}


def table(evaluation: dict) -> str:
    blocks = [("overall", evaluation["overall"], None)]
    blocks += [(s, {k: v for k, v in e.items() if k != "n"}, e["n"])
               for s, e in evaluation["scenarios"].items()]
    lines = [f"{'scenario':<12}{'n':>6}  {'model':<11}" + "".join(f"{m:>13}" for m in METRICS)]
    for name, models, n in blocks:
        cells = {metric: mark_best(models, metric) for metric in METRICS}
        for model in models:
            lines.append(f"{name:<12}{'' if n is None else n:>6}  {model:<11}"
                         + "".join(f"{cells[m][model]:>13}" for m in METRICS))
        lines.append("")
    return "\n".join(lines)


def recall_by_source_table(recall: dict) -> str:
    """Candidate recall on validation: a row per scenario, a column per source@N."""
    keys = list(recall["overall"])
    lines = ["  candidate recall on validation (source@N; together: their union):",
             f"  {'scenario':<12}" + "".join(f"{k:>17}" for k in keys)]
    for name, values in [("overall", recall["overall"]), *recall["scenarios"].items()]:
        lines.append(f"  {name:<12}" + "".join(f"{values[k]:>17.4f}" for k in keys))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog="Flags after -- go to python -m ml train.")
    parser.add_argument("slices", nargs="*", type=Path,
                        help="MPD slice files or folders (default: the real development set "
                             "when present, else the bundled sample)")
    parser.add_argument("--features", nargs="*", type=Path, default=None,
                        help="audio-feature CSVs (default: the reference features with the "
                             "real set, none with the sample)")
    parser.add_argument("--name", default=None, help="results name (default: real-dev or sample)")
    parser.add_argument("--reuse", nargs=2, metavar=("HOME", "RUN"), default=None,
                        help="re-evaluate RUN (a trained run in HOME) instead of training anew")
    parser.add_argument("--home", type=Path, default=None,
                        help="train in this new home and keep it (default: a temporary one)")
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])
    extra = argv[split + 1:]  # after --: flags for python -m ml train
    real = not args.slices and REAL_DEV.is_dir()
    slices = args.slices or [REAL_DEV if real else SAMPLE]
    features = args.features if args.features is not None else (
        [REAL_FEATURES] if real and REAL_FEATURES.exists() else [])
    name = args.name or ("real-dev" if real else "sample" if not args.slices else "custom")

    if args.home is not None and args.home.exists() and any(args.home.iterdir()):
        sys.exit(f"--home {args.home} is not empty; name a new folder")
    with tempfile.TemporaryDirectory(prefix="quality-") as tmp:
        tmp = str(args.home) if args.home is not None else tmp
        ingest_s = evaluate_s = 0.0
        if args.reuse:
            env = {**os.environ, "PLAYLISTGRAPH_HOME": args.reuse[0]}
            t0 = time.perf_counter()
            out = run(["-m", "ml", "evaluate", args.reuse[1], "--no-progress"], env)
            evaluate_s = time.perf_counter() - t0
            run_dir = Path(out.strip().splitlines()[-1]).parent
        else:
            env = {**os.environ, "PLAYLISTGRAPH_HOME": tmp}
            t0 = time.perf_counter()
            run(["-m", "data", "ingest", *map(str, slices), "--no-progress"], env)
            for csv in features:
                run(["-m", "data", "features", str(csv)], env)
            ingest_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            out = run(["-m", "ml", "train", "--no-progress", *extra], env)
            train_s = time.perf_counter() - t0
            run_dir = Path(out.strip().splitlines()[-1])
        evaluation = json.loads((run_dir / "evaluation.json").read_text())
        metrics = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
        config = json.loads((run_dir / "config.json").read_text())
        if args.reuse:
            train_s = sum(m["seconds"] for m in metrics) + evaluate_s

    last = metrics[-1]
    training = {
        "epochs_run": last["epoch"], "epoch_cap": config["epochs"], "best_epoch": last["best_epoch"],
        "early_stopped": last["epoch"] < config["epochs"],
        "training_s": round(sum(m["seconds"] for m in metrics), 1),
        "train_command_s": round(train_s, 1), "ingest_s": round(ingest_s, 1),
        "steps_per_epoch": last["steps"],
        "evaluate_s": round(evaluate_s, 1) if args.reuse else None,
        "reused_run": run_dir.name if args.reuse else None}
    result = {
        "name": name, "slices": [str(s) for s in slices], "features": [str(f) for f in features],
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "train_args": extra, "config": config, "training": training,
        "served": evaluation.get("served"), "als": evaluation.get("als", {}).get("params"),
        "rp3beta": evaluation.get("rp3beta", {}).get("params"),
        "ease": evaluation.get("ease", {}).get("params"),
        "validation": evaluation.get("validation"), "protocol": evaluation["protocol"],
        "reranker": evaluation.get("reranker"), "noise": evaluation.get("noise"),
        "overall": evaluation["overall"], "scenarios": evaluation["scenarios"]}
    out_path = ROOT / "benchmarks" / "results" / f"quality-{name}.json"
    out_path.write_text(json.dumps(result, indent=2) + "\n")

    p = evaluation["protocol"]
    print(f"{name}: {p['train_playlists']:,} train / {p['test_playlists']:,} test playlists "
          f"({p['cases']:,} cases), {p['tracks_ranked']:,} tracks ranked; test metrics, "
          f"* = best")
    print(table(evaluation))
    print(f"training {training['training_s']} s over {training['epochs_run']} epochs "
          f"(cap {training['epoch_cap']}, {training['steps_per_epoch']} steps each), best epoch "
          f"{training['best_epoch']}, early stop {'fired' if training['early_stopped'] else 'did NOT fire'}; "
          f"ml train end to end {training['train_command_s']} s")
    print(f"tuned ALS: {result['als']}; RP3beta: {result['rp3beta']}; EASE^R: {result['ease']}; "
          f"served (best validation NDCG): {result['served']}")
    reranker = result["reranker"]
    if reranker:
        print(f"two-stage: top-{reranker['candidates']} of {', '.join(reranker['sources'])} "
              f"({reranker['mean_candidates']} candidates on average), candidate recall "
              f"{reranker['candidate_recall']['overall']:.4f} on validation; re-ranker fitted in "
              f"{reranker['seconds']['total']} s ({reranker['seconds']}) vs GNN training "
              f"{training['training_s']} s; best iteration {reranker['best_iteration']}")
        print("  importances (gain share): " + ", ".join(
            f"{k} {v:.3f}" for k, v in list(reranker["importances"].items())[:10]))
        if reranker.get("recall_by_source"):
            print(recall_by_source_table(reranker["recall_by_source"]))
    for metric, per in (result["noise"] or {}).get("metrics", {}).items():
        print(f"  reranked vs the best other model, {metric} (95% paired bootstrap):")
        for scenario, e in per.items():
            verdict = ("better" if e["low"] > 0 else "worse beyond noise" if e["high"] < 0
                       else "within noise")
            print(f"    {scenario:<12} vs {e['against']:<10} {e['diff']:+.4f} "
                  f"[{e['low']:+.4f}, {e['high']:+.4f}]  {verdict}")
    for baseline, metrics in (result["noise"] or {}).get("against", {}).items():
        for metric, per in metrics.items():
            below = [s for s, e in per.items() if e["low"] <= 0]
            print(f"  reranked vs {baseline}, {metric}: better beyond noise in "
                  f"{len(per) - len(below)} of {len(per)}"
                  + (f" (not in {', '.join(below)})" if below else ""))
    print(f"wrote {out_path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
