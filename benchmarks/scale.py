"""The user's path at growing scale: wall time and peak RSS per step, growth per 10x.

For each size (generated MPD-shaped playlists) the steps a user takes, each in its own
child process so that its peak RSS is its own (`os.wait4` reports the child's
ru_maxrss):

  generate   python -m data sample (cached: a size is generated once, under --cache)
  ingest     python -m data ingest (a fresh home per size)
  stats      python -m data stats --json
  dashboard  the first render of each dashboard page (streamlit AppTest), one process each
  snapshot   the graph snapshot `ml train` builds from the store (its cache removed first)
  train-memory  `ml train`'s path capped at its first --train-steps steps, memory per stage
             (benchmarks/train.py --memory-profile --home: snapshot from its cache, training
             data and trainer, model, the steps, validation, the final track states; the
             stages also go to benchmarks/results/train-memory-store-<size>.json)
  epoch      python -m ml train --epochs 1 --no-evaluate (snapshot cached: set-up, one
             epoch, validation, saving)
  baselines  the baselines' part of the evaluation: item kNN and ALS (default settings)
             fitted on the training playlists, then they and popularity scored on the
             validation cases (each fit and the scoring timed in the log)
  evaluate   python -m ml evaluate latest --activate (baselines fitted, held-out playlists)
  recommend  python -m ml recommend --playlist <a pid> (from the served run)

Prints a table with the growth factor per 10x of playlists and merges the figures
into benchmarks/results/scale.json (a rerun of one step or size replaces only those).

    python benchmarks/scale.py --sizes 10000,100000
    python benchmarks/scale.py --sizes 1000000 --steps ingest,stats,dashboard,snapshot
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

from dashboard_render import RENDER  # the one page-render snippet (this folder)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "scale.json"
STEPS = ("generate", "ingest", "stats", "dashboard", "snapshot", "train-memory", "epoch",
         "baselines", "evaluate", "recommend")
PAGES = ("overview", "degrees", "training", "recommendations", "crawl")
SEED = 13


_SNAPSHOT = """
from data.store import Catalog
from ml.dataset.snapshot import load_snapshot
with Catalog.open() as catalog:
    s = load_snapshot(catalog)
print(f"{s.num_playlists} playlists, {s.num_tracks} tracks, {s.num_edges} edges")
"""


# The baselines' part of `ml evaluate`: fitted on the default split's training playlists with
# the default ALS settings (the evaluation's validation search fits 11 of these), then
# scored on the validation cases with the default batch.
_BASELINES = """
import time
from data.store import Catalog
from ml.config import TrainConfig
from ml.dataset.protocol import validation_cases
from ml.dataset.snapshot import load_snapshot
from ml.evaluation.scoring import evaluate_rankers
from ml.training.fit_baselines import BaselineInputs, build_baselines
from ml.training.trainer import config_holdout
from ml.training.training_data import training_data
cfg = TrainConfig()
with Catalog.open() as catalog:
    s = load_snapshot(catalog)
h = config_holdout(s, cfg)
data = training_data(s, h, cfg)
t = time.perf_counter()
inputs = BaselineInputs.of(data)
print(f"inputs_s={time.perf_counter() - t:.1f}", flush=True)
fitted = {}
for name in ("itemknn", "als"):
    t = time.perf_counter()
    fitted[name] = build_baselines([name], data, cfg, inputs=inputs)[0][0]
    print(f"{name}_fit_s={time.perf_counter() - t:.1f}", flush=True)
cases = validation_cases(s, h.validation, cfg.split_seed, cfg.max_validation_cases)
t = time.perf_counter()
result = evaluate_rankers([inputs.popularity, *fitted.values()], cases, s.track_artist,
                          batch_size=cfg.eval_batch)
print(f"score_s={time.perf_counter() - t:.1f}", flush=True)
print(f"{len(cases)} validation cases; NDCG " + ", ".join(
    f"{k} {v['ndcg']:.4f}" for k, v in result["overall"].items()))
"""


def run_child(cmd: list[str], env: dict[str, str], log: Path) -> dict:
    """Run `cmd`; its wall time, its own peak RSS and its last output line."""
    t0 = time.perf_counter()
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    last = lines[-1][:200] if lines else ""
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:5])} exited {proc.returncode}: {last} (log {log})")
    return {"wall_s": round(wall, 3), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "output": last}


def step_commands(step: str, size: int, slices: Path, home: Path,
                  train_steps: int = 2) -> list[tuple[str, list[str]]]:
    py = sys.executable
    if step == "generate":
        return [("", [py, "-m", "data", "sample", "--playlists", str(size), "--seed", str(SEED),
                      "--out", str(slices)])]
    if step == "ingest":
        return [("", [py, "-m", "data", "ingest", str(slices), "--no-progress"])]
    if step == "stats":
        return [("", [py, "-m", "data", "stats", "--json"])]
    if step == "dashboard":
        app = str(ROOT / "dashboard" / "app.py")
        return [(page, [py, "-c", RENDER, page, app]) for page in PAGES]
    if step == "snapshot":
        return [("", [py, "-c", _SNAPSHOT])]
    if step == "train-memory":
        return [("", [py, str(ROOT / "benchmarks" / "train.py"), "--memory-profile", "--home",
                      str(home), "--steps", str(train_steps), "--label", str(size)])]
    if step == "epoch":
        return [("", [py, "-m", "ml", "train", "--epochs", "1", "--no-evaluate", "--no-progress"])]
    if step == "baselines":
        return [("", [py, "-c", _BASELINES])]
    if step == "evaluate":
        return [("", [py, "-m", "ml", "evaluate", "latest", "--activate", "--no-progress"])]
    if step == "recommend":
        return [("", [py, "-m", "ml", "recommend", "--playlist", "mpd:7", "--k", "20"])]
    raise ValueError(step)


def run_size(size: int, steps: list[str], cache: Path, work: Path, threads: int,
             save, pages: list[str], train_steps: int = 2) -> dict:
    slices = cache / f"slices-{size}"
    home = work / f"home-{size}"
    logs = work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PLAYLISTGRAPH_HOME": str(home), "PLAYLISTGRAPH_AUTOTRAIN": "0",
           "PYTHONPATH": str(ROOT)}
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    out: dict[str, dict] = {}
    for step in steps:
        if step == "generate" and (slices / "manifest.json").exists():
            print(f"  {size:>9,} generate: cached in {slices}", flush=True)
            continue
        if step == "ingest" and home.exists():
            shutil.rmtree(home)  # a fresh home: the ingest of an empty catalog
        if step == "snapshot":
            for old in (home / "cache").glob("snapshot-v*.npz"):
                old.unlink()
        for part, cmd in step_commands(step, size, slices, home, train_steps):
            name = f"{step}:{part}" if part else step
            if step == "dashboard" and part not in pages:
                continue
            try:
                result = run_child(cmd, env, logs / f"{size}-{name.replace(':', '-')}.log")
            except RuntimeError as exc:  # recorded, and the next steps still run
                print(f"  {size:>9,} {name:<26} failed: {exc}", flush=True)
                save(size, {name: {"failed": str(exc)[:300]}})
                continue
            if step == "dashboard":  # the render itself, without the interpreter's start
                log = logs / f"{size}-{name.replace(':', '-')}.log"
                result["render_s"] = _marked(log, "first_s")
                result["rerun_s"] = _marked(log, "rerun_s")
            if step == "baselines":  # each part's seconds, from the log
                log = logs / f"{size}-{name}.log"
                for mark in ("inputs_s", "itemknn_fit_s", "als_fit_s", "score_s"):
                    result[mark] = _marked(log, mark)
            if step == "train-memory":  # the stages' own peaks, from the profile's file
                profile = json.loads(RESULTS.with_name(
                    f"train-memory-store-{size}.json").read_text())
                result["stages"] = {s["stage"]: s["peak_gib"] for s in profile["stages"]}
                # The profile resets the kernel's high-water mark between stages, which
                # ru_maxrss reads too: the process's peak is the highest stage peak.
                result["peak_rss_mb"] = round(profile["peak_gib"] * 1024, 1)
                result["batch_playlists"] = profile["batch_playlists"]
            out[name] = result
            print(f"  {size:>9,} {name:<26} {result['wall_s']:9.1f} s {result['peak_rss_mb']:9.0f} MB"
                  f"  {result['output'][:80]}", flush=True)
            save(size, {name: result})  # each step as it ends: a later failure loses nothing
    if "generate" in steps and (slices / "manifest.json").exists():
        out["manifest"] = json.loads((slices / "manifest.json").read_text())
    return out


def _marked(log: Path, name: str) -> float:
    marks = [line for line in log.read_text(errors="replace").splitlines()
             if line.startswith(f"{name}=")]
    return float(marks[-1].split("=", 1)[1])


def growth_table(results: dict[str, dict]) -> list[str]:
    sizes = sorted(int(s) for s in results)
    names = list(dict.fromkeys(n for s in sizes for n in results[str(s)] if n != "manifest"))
    head = f"{'step':<26}" + "".join(f"{s:>12,} pl" for s in sizes)
    lines = [head + "   growth per 10x (time / RSS)", "-" * len(head)]
    for name in names:
        cells, growth = [], []
        prev = None
        for s in sizes:
            r = results[str(s)].get(name)
            r = r if r and "wall_s" in r else None
            cells.append(f"{r['wall_s']:>8.1f}s {r['peak_rss_mb'] / 1024:>4.1f}G" if r else f"{'-':>15}")
            if r and prev:
                per10 = 1 / math.log10(s / prev[0])
                growth.append(f"{(r['wall_s'] / prev[1]['wall_s']) ** per10:.1f}x/"
                              f"{(r['peak_rss_mb'] / prev[1]['peak_rss_mb']) ** per10:.1f}x")
            if r:
                prev = (s, r)
        lines.append(f"{name:<26}" + "".join(cells) + "   " + "  ".join(growth))
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000", help="comma-separated playlist counts")
    ap.add_argument("--steps", default=",".join(STEPS), help=f"comma-separated: {', '.join(STEPS)}")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/playlistgraph-scale/slices"),
                    help="generated slices, kept between runs")
    ap.add_argument("--work", type=Path, default=Path("/tmp/playlistgraph-scale/work"),
                    help="homes and logs")
    ap.add_argument("--threads", type=int, default=0, help="OMP threads per step (0: all)")
    ap.add_argument("--pages", default=",".join(PAGES), help="dashboard pages to render")
    ap.add_argument("--train-steps", type=int, default=2,
                    help="train-memory: steps of the first epoch (the second is the first with "
                         "the optimizer's state)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    unknown = set(steps) - set(STEPS)
    if unknown:
        sys.exit(f"unknown step(s) {', '.join(sorted(unknown))}; choose from {', '.join(STEPS)}")
    steps = [s for s in STEPS if s in steps]  # always in the user's order
    sizes = [int(s) for s in args.sizes.split(",")]

    measured: dict[str, dict] = {}  # this run's figures

    def save(size: int, figures: dict) -> None:
        # Read again and merge: another run (another size) may write the file meanwhile.
        measured.setdefault(str(size), {}).update(figures)
        saved = json.loads(args.out.read_text()) if args.out.exists() else {}
        for s, steps in measured.items():
            saved.setdefault("sizes", {}).setdefault(s, {}).update(steps)
        saved["machine"] = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        saved["updated_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(saved, indent=2) + "\n")

    for size in sizes:
        save(size, run_size(size, steps, args.cache, args.work, args.threads, save,
                            [p.strip() for p in args.pages.split(",")], args.train_steps))
    print("\n".join(growth_table(json.loads(args.out.read_text())["sizes"])))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
