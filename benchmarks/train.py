"""Training benchmark: the CPU on the bundled sample; a GPU at full MPD scale when CUDA exists.

1. CPU, bundled sample (3,000 playlists): `python -m ml train` with the default config
   in a fresh home, as a user runs it. Reports epoch time, message-passing edges/s,
   epochs to early stop, the training time (epochs incl. validation), the end-to-end
   wall time (snapshot, training, baselines, evaluation) and the test metrics.
   Writes benchmarks/results/train-cpu.json.
2. GPU, full MPD scale: a generated graph of 1M playlists, 2.26M tracks, 66M edges
   (testkit/synthetic.py: arrays, no JSON or SQLite), trained with the pipeline's
   `build_trainer` and `fit` (the loop `ml train` runs) until early stopping. Reports
   epoch time, edges/s, time to converge and peak GPU memory (targets on one H100: an
   epoch < 30 s, convergence < 10 min). Without CUDA it is skipped with a message and no
   file is written. Writes benchmarks/results/train-gpu.json.

    python benchmarks/train.py
    python benchmarks/train.py --skip-cpu --gpu-scale 0.01 --gpu-device cpu   # dry run
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results"

import torch  # noqa: E402

from data.bundled import load_bundled_sample  # noqa: E402
from data.home import BUNDLED_SAMPLE  # noqa: E402
from data.store import Catalog  # noqa: E402
from ml.config import TrainConfig, add_config_arguments, config_from_args  # noqa: E402
from ml.runs.directory import read_evaluation, read_metrics  # noqa: E402
from ml.runtime import configure_torch  # noqa: E402
from ml.training.trainer import EpochReport, build_trainer, fit, new_state  # noqa: E402
from testkit.synthetic import synthetic_snapshot  # noqa: E402

MPD = {"playlists": 1_000_000, "tracks": 2_262_292, "edges": 66_346_428}


def cpu_sample(extra_args: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        with Catalog.open(home) as catalog:
            load_bundled_sample(catalog, progress=False)
        env = {**os.environ, "PLAYLISTGRAPH_HOME": str(home)}
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "ml", "train", "--no-progress", *extra_args],
                              cwd=ROOT, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if proc.returncode != 0:
            raise SystemExit(f"python -m ml train failed:\n{proc.stderr[-2000:]}")
        run_dir = Path(proc.stdout.strip().splitlines()[-1])
        rows = read_metrics(run_dir)
        evaluation = read_evaluation(run_dir)
        header = proc.stdout.splitlines()[0]
    best = max(rows, key=lambda r: r["val_ndcg"])
    return {
        "data": "bundled sample (data/sample)", "run_header": header,
        "device": rows[0]["device"], "threads": torch.get_num_threads(),
        "epochs": len(rows), "best_epoch": best["epoch"],
        "steps_per_epoch": rows[0].get("steps"),
        "epoch_seconds_median": statistics.median(r["train_seconds"] for r in rows),
        "epoch_seconds_min": min(r["train_seconds"] for r in rows),
        "edges_per_s_median": statistics.median(r["edges_per_s"] for r in rows),
        "training_seconds": round(sum(r["seconds"] for r in rows), 1),
        "end_to_end_seconds": round(wall, 1),
        "test_overall": evaluation["overall"], "test_scenarios": evaluation["scenarios"],
        "load_average": os.getloadavg(),
    }


def gpu_full_scale(args: argparse.Namespace) -> dict | None:
    device = torch.device(args.gpu_device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("GPU part skipped: no CUDA device on this machine (run this script where "
              "torch.cuda.is_available() is True; --gpu-device cpu --gpu-scale 0.01 dry-runs it)")
        return None
    scale = args.gpu_scale
    sizes = {k: max(int(v * scale), 1000) for k, v in MPD.items()}
    t0 = time.perf_counter()
    snapshot = synthetic_snapshot(sizes["playlists"], sizes["tracks"], sizes["edges"], seed=0)
    generated = time.perf_counter() - t0
    config = TrainConfig(batch_playlists=args.gpu_batch, targets_per_playlist=10,
                         uniform_negatives=4096, popular_negatives=4096, epochs=args.gpu_epochs,
                         patience=args.gpu_patience, test_fraction=0.001, max_test=1000,
                         validation_fraction=0.001, max_validation=1000, device=str(device))
    configure_torch(0, device)
    t0 = time.perf_counter()
    holdout, data, trainer = build_trainer(config, snapshot, device)
    state = new_state(config, data, device)
    prepared = time.perf_counter() - t0
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    epochs, started = [], time.perf_counter()
    best_at = 0.0

    def record(r: EpochReport) -> None:
        nonlocal best_at
        elapsed = time.perf_counter() - started
        if r.improved:
            best_at = elapsed
        epochs.append({"epoch": r.epoch, "loss": round(r.loss, 4),
                       "seconds": round(r.train_seconds, 2),
                       "edges_per_s": round(trainer.last_epoch_edges / r.train_seconds),
                       "val_ndcg": round(r.validation["val_ndcg"], 4),
                       "elapsed": round(elapsed, 1)})
        print(f"  epoch {r.epoch:3d}  loss {r.loss:8.4f}  {r.train_seconds:7.2f}s  "
              f"{epochs[-1]['edges_per_s']:>14,} edges/s  "
              f"val ndcg {r.validation['val_ndcg']:.4f}", flush=True)

    # The pipeline's own loop: early stopping, learning-rate decay, best weights kept.
    fit(config, trainer, state, deadline=started + args.gpu_minutes * 60, on_epoch=record)
    best = max(e["val_ndcg"] for e in epochs) if epochs else float("nan")
    peak = torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else None
    return {
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "scale": scale, "playlists": snapshot.num_playlists, "tracks": snapshot.num_tracks,
        "edges": snapshot.num_edges, "training_edges": int(len(data.edge_track)),
        "config": {k: getattr(config, k) for k in ("dim", "layers", "batch_playlists",
                                                     "targets_per_playlist", "uniform_negatives",
                                                     "popular_negatives", "lr", "patience")},
        "generate_seconds": round(generated, 1), "prepare_seconds": round(prepared, 1),
        "steps_per_epoch": trainer.last_epoch_steps,
        "epoch_seconds_median": statistics.median(e["seconds"] for e in epochs),
        "edges_per_s_median": statistics.median(e["edges_per_s"] for e in epochs),
        "epochs_run": len(epochs), "time_to_converge_seconds": round(best_at, 1),
        "best_val_ndcg": round(best, 4), "peak_gpu_memory_gib": peak, "epochs": epochs,
    }


def _rss_gib() -> tuple[float, float]:
    """(current, peak) resident memory of this process, GiB, from /proc/self/status."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines()
                  if ":" in line)
    return (int(fields["VmRSS"].split()[0]) / 2**20, int(fields["VmHWM"].split()[0]) / 2**20)


def _reset_peak_rss() -> None:
    """Start the peak (VmHWM) again from the current RSS, so the next stage's peak is its own."""
    Path("/proc/self/clear_refs").write_text("5")


def _profile_config(device: torch.device, home: str | None, flags: str) -> TrainConfig:
    """The default config (on a generated graph: small held-out sets), then `flags` as
    `python -m ml train` takes them."""
    parser = argparse.ArgumentParser(prog="--config")
    add_config_arguments(parser)
    base = TrainConfig(device=str(device), **({} if home else {
        "test_fraction": 0.001, "max_test": 1000, "validation_fraction": 0.001,
        "max_validation": 1000}))
    return config_from_args(parser.parse_args(flags.split()), base)


def memory_profile(args: argparse.Namespace) -> dict:
    """Host memory of `ml train`'s path, stage by stage: the snapshot (from the store of
    --home, the real path, else generated at --gpu-scale), the training data and trainer,
    the model, the first --steps steps of an epoch, validation, and the final track states.
    Each stage reports the resident memory after it, its own peak (the kernel's high-water
    mark, reset between stages) and the process's peak so far."""
    from ml.dataset.snapshot import load_snapshot
    device = torch.device(args.gpu_device if args.home is None else "cpu")
    config = _profile_config(device, args.home, args.config)
    configure_torch(0, device)
    stages, started = [], time.perf_counter()

    def stage(name: str) -> None:
        now, peak = _rss_gib()
        so_far = max([peak] + [s["peak_gib"] for s in stages])
        stages.append({"stage": name, "rss_gib": round(now, 2), "peak_gib": round(peak, 2),
                       "peak_so_far_gib": round(so_far, 2),
                       "elapsed_s": round(time.perf_counter() - started, 1)})
        print(f"  {name:<40} rss {now:6.2f} GiB  stage peak {peak:6.2f} GiB  "
              f"{stages[-1]['elapsed_s']:8.1f} s", flush=True)
        _reset_peak_rss()

    stage("start (imports)")
    if args.home:
        with Catalog.open(Path(args.home)) as catalog:
            snapshot = load_snapshot(catalog, Path(args.home))
    else:
        sizes = {k: max(int(v * args.gpu_scale), 1000) for k, v in MPD.items()}
        snapshot = synthetic_snapshot(sizes["playlists"], sizes["tracks"], sizes["edges"], seed=0)
    stage(f"snapshot ({snapshot.num_edges:,} edges)")
    holdout, data, trainer = build_trainer(config, snapshot, device)
    stage("training data + trainer")
    state = new_state(config, data, device)
    stage("model + optimizer")
    batch = trainer.batch_size(len(holdout.train))
    t0 = time.perf_counter()
    trainer.run_epoch(state, 1, step_limit=args.steps)
    step_s = (time.perf_counter() - t0) / max(trainer.last_epoch_steps, 1)
    stage(f"{trainer.last_epoch_steps} steps of {batch:,} playlists")
    if not args.no_validation:
        trainer.validate(state.model)
        stage("validation")
        trainer.states(state.model)
        stage("track states (saved with the model)")
    return {"source": args.home or f"synthetic x {args.gpu_scale}", "config_flags": args.config,
            "playlists": snapshot.num_playlists, "tracks": snapshot.num_tracks,
            "edges": snapshot.num_edges, "batch_playlists": batch,
            "loss_chunk": config.loss_chunk,
            "steps_per_epoch": math.ceil(len(holdout.train) / batch),
            "seconds_per_step": round(step_s, 1), "stages": stages,
            "peak_gib": max(s["peak_gib"] for s in stages),
            "load_average": os.getloadavg(), "threads": torch.get_num_threads()}


def epoch_scaling(args: argparse.Namespace) -> dict:
    """Epoch cost against edges on the CPU: generated graphs at --fractions of MPD scale,
    the default config; --steps timed steps (after one warm-up step) give the median step
    time, and an epoch is its step count times that (the step count is capped by
    --max-steps, 32: it stops growing past 4,096 training playlists)."""
    device = torch.device("cpu")
    configure_torch(0, device)
    rows = []
    for fraction in (float(f) for f in args.fractions.split(",")):
        sizes = {k: max(int(v * fraction), 1000) for k, v in MPD.items()}
        snapshot = synthetic_snapshot(sizes["playlists"], sizes["tracks"], sizes["edges"], seed=0)
        config = TrainConfig(device="cpu")
        holdout, data, trainer = build_trainer(config, snapshot, device)
        state = new_state(config, data, device)
        batch = trainer.batch_size(len(holdout.train))
        steps = math.ceil(len(holdout.train) / batch)
        trainer.run_epoch(state, 1, step_limit=1)  # warm-up
        times = []
        for i in range(args.steps):
            t0 = time.perf_counter()
            trainer.run_epoch(state, 2 + i, step_limit=1)
            times.append(time.perf_counter() - t0)
        step = statistics.median(times)
        rows.append({"fraction": fraction, "playlists": snapshot.num_playlists,
                     "edges": snapshot.num_edges, "train_playlists": len(holdout.train),
                     "batch_playlists": batch, "steps_per_epoch": steps,
                     "step_seconds_median": round(step, 2),
                     "epoch_seconds": round(step * steps, 1),
                     "epoch_us_per_edge": round(step * steps / snapshot.num_edges * 1e6, 2)})
        print(f"  {fraction:6.1%} of MPD  {snapshot.num_edges:>11,} edges  {steps:3d} steps of "
              f"{batch:>6,}  {step:6.2f} s/step  epoch {step * steps:8.1f} s  "
              f"{rows[-1]['epoch_us_per_edge']:6.2f} us/edge", flush=True)
        del snapshot, data, trainer, state
    return {"rows": rows, "load_average": os.getloadavg(), "threads": torch.get_num_threads()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--skip-cpu", action="store_true", help="only the full-scale part")
    parser.add_argument("--cpu-args", default="", help="extra flags for python -m ml train")
    parser.add_argument("--gpu-device", default="cuda", help="cuda, or cpu for a dry run")
    parser.add_argument("--gpu-scale", type=float, default=1.0, help="fraction of MPD scale")
    parser.add_argument("--gpu-batch", type=int, default=32768, help="playlists per step")
    parser.add_argument("--gpu-epochs", type=int, default=60, help="maximum epochs")
    parser.add_argument("--gpu-patience", type=int, default=3, help="early-stopping patience")
    parser.add_argument("--gpu-minutes", type=float, default=15, help="time cap for the loop")
    parser.add_argument("--gpu-out", default=None,
                        help="write the full-scale part's JSON here (benchmarks/gpu_check.sh)")
    parser.add_argument("--memory-profile", action="store_true",
                        help="only the host-memory profile of ml train's path (see memory_profile)")
    parser.add_argument("--home", default=None,
                        help="memory profile: the catalog home to train on (else generated)")
    parser.add_argument("--steps", type=int, default=3, help="memory profile: steps to run")
    parser.add_argument("--config", default="",
                        help="memory profile: ml train flags over the default config, e.g. "
                             "'--max-steps 4 --loss-chunk 0'")
    parser.add_argument("--no-validation", action="store_true",
                        help="memory profile: stop after the steps")
    parser.add_argument("--label", default="",
                        help="memory profile: appended to the result file's name")
    parser.add_argument("--epoch-scaling", action="store_true",
                        help="only the CPU epoch time at --fractions of MPD scale")
    parser.add_argument("--fractions", default="0.005,0.01,0.02,0.04")
    args = parser.parse_args()
    if args.epoch_scaling:
        result = epoch_scaling(args)
        (RESULTS / "epoch-scaling-cpu.json").write_text(json.dumps(result, indent=2) + "\n")
        return
    if args.memory_profile:
        result = memory_profile(args)
        name = "train-memory-" + ("store" if args.home else f"synthetic-{args.gpu_scale:g}") \
            + (f"-{args.label}" if args.label else "")
        (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {RESULTS / name}.json")
        return
    machine = {"platform": platform.platform(), "cpus": os.cpu_count(), "torch": torch.__version__,
               "cuda": torch.cuda.is_available()}
    RESULTS.mkdir(parents=True, exist_ok=True)

    if not args.skip_cpu:
        if not (BUNDLED_SAMPLE / "manifest.json").exists():
            raise SystemExit(f"no bundled sample at {BUNDLED_SAMPLE}")
        cpu = cpu_sample(args.cpu_args.split())
        print("CPU, bundled sample, default config")
        for key in ("run_header", "threads", "epochs", "best_epoch", "steps_per_epoch",
                    "epoch_seconds_median", "epoch_seconds_min", "edges_per_s_median",
                    "training_seconds", "end_to_end_seconds", "load_average"):
            print(f"  {key:<22} {cpu[key]}")
        print(f"  {'model':<12}{'r_precision':>12}{'ndcg':>10}{'clicks':>10}{'recall@100':>12}")
        for model, m in cpu["test_overall"].items():
            print(f"  {model:<12}{m['r_precision']:>12.4f}{m['ndcg']:>10.4f}{m['clicks']:>10.3f}"
                  f"{m['recall@100']:>12.4f}")
        models = list(cpu["test_overall"])
        print(f"  NDCG by scenario  {'n':>5}" + "".join(f"{m:>12}" for m in models))
        for name, entry in cpu["test_scenarios"].items():
            print(f"  {name:<17} {entry['n']:>5}"
                  + "".join(f"{entry[m]['ndcg']:>12.4f}" for m in models))
        (RESULTS / "train-cpu.json").write_text(json.dumps({**cpu, "machine": machine}, indent=2))

    print("full MPD scale" + ("" if args.gpu_scale == 1 else f" x {args.gpu_scale}")
          + f" on {args.gpu_device}")
    gpu = gpu_full_scale(args)
    if gpu is not None:
        for key in ("device", "playlists", "tracks", "edges", "steps_per_epoch",
                    "epoch_seconds_median", "edges_per_s_median", "epochs_run",
                    "time_to_converge_seconds", "best_val_ndcg", "peak_gpu_memory_gib"):
            print(f"  {key:<26} {gpu[key]}")
        name = "train-gpu.json" if args.gpu_device.startswith("cuda") and args.gpu_scale == 1 \
            else "train-gpu-dryrun.json"
        path = Path(args.gpu_out) if args.gpu_out else RESULTS / name
        path.write_text(json.dumps({**gpu, "machine": machine}, indent=2))


if __name__ == "__main__":
    main()
