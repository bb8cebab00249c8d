"""`python -m ml train` end to end: snapshot → split → train → export → evaluate → activate.

The set-up and the epoch loop are `ml.training.trainer`'s `build_trainer` and `fit`
(`benchmarks/train.py` uses them too); this module keeps the run directory current.

The run directory is written as it goes (config, status, metrics per epoch,
checkpoint per epoch), so the dashboard can follow a run and `--resume` can continue
one. ACTIVE moves to the new run only after its evaluation succeeded; a failed or
cancelled (SIGTERM, Ctrl-C) run leaves the serving run alone.
"""
from __future__ import annotations

import signal
import sys
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, TextIO

import torch

from data.home import catalog_path, home_dir, runs_dir
from data.store import Catalog
from ml.runs.ann_index import build_run_indexes
from ml.config import TrainConfig
from ml.evaluation.scoring import evaluation_tables
from ml.pipeline.evaluate_run import evaluate_run
from ml.runs import layout
from ml.runs.artifacts import load_checkpoint, save_checkpoint, save_model, save_split
from ml.runs.directory import (activate, append_metrics, new_run_dir, read_status, resolve_run,
                               trim_metrics, write_json_atomic, write_status)
from ml.dataset.snapshot import load_snapshot, snapshot_of_version
from ml.errors import UserError
from ml.runtime import configure_torch, resolve_device
from ml.training.trainer import (EpochReport, Trainer, build_trainer, fit, new_state,
                                 restore_state)

# What --resume may change: how long and where to run, and what is fitted at evaluation
# beside the GraphSAGE, not what the GraphSAGE trains on.
RESUMABLE = {"epochs", "patience", "device", "threads", "eval_batch", "baselines", "rerank",
             "rerank_candidates", "rerank_fold", "rerank_gnn_epochs", "rerank_queries",
             "rerank_rounds", "rerank_leaves", "rerank_lr", "rerank_min_leaf_data",
             "rerank_feature_fraction", "rerank_max_bin", "rerank_truncation", "rerank_patience"}
MIN_PLAYLISTS = 20


class RunCancelled(Exception):
    pass


def run_training(config: TrainConfig, home: Path | None = None, *, resume: str | None = None,
                 overrides: set[str] | None = None, evaluate: bool = True, progress: bool = True,
                 out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> tuple[Path, str]:
    """Train (or resume) one run; returns (run directory, final state)."""
    home = home_dir(home)
    with Catalog.open(home) as catalog:
        if resume:
            run_dir, config, checkpoint = _resumed_run(resume, config, overrides or set(), home)
        else:
            _validate(config)
            checkpoint = None
            if catalog.count("playlist_tracks") == 0:
                raise UserError(f"the catalog at {catalog_path(home)} has no playlists yet; "
                                "ingest data first, e.g. python -m data load-sample")
        device = resolve_device(config.device)
        if not resume:
            # The directory exists from the start, so a dashboard sees the run at once.
            run_dir = new_run_dir(home)
        start = int(checkpoint["epoch"]) if checkpoint else 0
        write_status(run_dir, "running", start, config.epochs, "reading the catalog")
        try:
            with _cancel_on_sigterm():
                listening = config.listening_as_playlists
                snapshot = (snapshot_of_version(catalog, int(checkpoint["snapshot_version"]), home,
                                                f"resuming {run_dir.name}", listening)
                            if checkpoint else load_snapshot(catalog, home, listening))
                catalog.close()  # everything else works on the snapshot
                epoch, message = _train_and_evaluate(config, snapshot, checkpoint, run_dir, home,
                                                     device, evaluate, progress, out, err)
        except (RunCancelled, KeyboardInterrupt):
            epoch = (read_status(run_dir) or {}).get("epoch", start)  # the last finished epoch
            write_status(run_dir, "cancelled", epoch, config.epochs,
                         f"cancelled after epoch {epoch}; resume with "
                         f"python -m ml train --resume {run_dir.name}")
            print(f"cancelled after epoch {epoch}", file=out)
            print(run_dir, file=out, flush=True)
            return run_dir, "cancelled"
        except BaseException as exc:
            write_status(run_dir, "failed", (read_status(run_dir) or {}).get("epoch", start),
                         config.epochs,
                         str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__)
            raise
    write_status(run_dir, "done", epoch, config.epochs, message)
    print(run_dir, file=out, flush=True)
    return run_dir, "done"


def _train_and_evaluate(config: TrainConfig, snapshot, checkpoint: dict | None, run_dir: Path,
                        home: Path, device: torch.device, evaluate: bool, progress: bool,
                        out: TextIO, err: TextIO):
    if snapshot.num_playlists < MIN_PLAYLISTS:
        raise UserError(f"the catalog has {snapshot.num_playlists} playlists with tracks; training "
                        f"and holding out need at least {MIN_PLAYLISTS} (python -m data load-sample)")
    configure_torch(config.threads, device)
    holdout, data, trainer = build_trainer(config, snapshot, device)
    if checkpoint is not None:
        try:
            state = restore_state(config, data, device, checkpoint)
        except (RuntimeError, ValueError, KeyError) as exc:
            raise UserError(f"{run_dir}/checkpoint.pt does not fit this model and data "
                            f"({str(exc).splitlines()[0][:120]}); start a new run") from None
    else:
        state = new_state(config, data, device)
        write_json_atomic(run_dir / layout.CONFIG, {
            **config.to_dict(), "run_id": run_dir.name, "snapshot_version": snapshot.version,
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "torch": torch.__version__})
        save_split(run_dir, data)
    print(f"run {run_dir.name}: {snapshot.num_playlists:,} playlists "
          f"({len(holdout.train):,} train / {len(holdout.validation):,} validation / "
          f"{len(holdout.test):,} test), {snapshot.num_tracks:,} tracks, "
          f"{len(data.edge_track):,} training edges, device {device}", file=out, flush=True)

    _fit(config, trainer, state, run_dir, snapshot.version, device, progress, out)
    state.model.load_state_dict(state.best_model)
    save_model(run_dir, state.model, data, trainer.states(state.model), snapshot.version)
    epoch, best_epoch = state.epoch, state.best_epoch
    if not evaluate:
        build_run_indexes(run_dir)  # GraphSAGE's; ALS's comes with its evaluation
        return epoch, (f"done; best epoch {best_epoch}; not evaluated, so not serving "
                       f"(python -m ml evaluate {run_dir.name} --activate)")
    # The evaluation reads the saved run and fits its own models (the re-ranker's
    # GraphSAGE among them): the trainer's graph, weights and optimizer go first.
    del trainer, data, state
    write_status(run_dir, "evaluating", epoch, config.epochs,
                 "evaluating on held-out playlists")
    evaluation = evaluate_run(run_dir, home, device=str(device), progress=progress, err=err)
    print(evaluation_tables(evaluation), file=out, flush=True)
    activate(run_dir)
    return epoch, f"done; best epoch {best_epoch}, now serving"


def _resumed_run(resume: str, given: TrainConfig, overrides: set[str],
                 home: Path) -> tuple[Path, TrainConfig, dict]:
    run_dir = resolve_run(resume, home)
    if run_dir is None:
        raise UserError(f"no run {resume!r} under {runs_dir(home)}; list runs with python -m ml runs")
    checkpoint = load_checkpoint(run_dir / layout.CHECKPOINT)  # ArtifactError is a UserError
    config = _resumed_config(checkpoint["config"], given, overrides)
    _validate(config)
    return run_dir, config, checkpoint


def _validate(config: TrainConfig) -> None:
    try:
        config.validate()
    except ValueError as exc:
        raise UserError(str(exc)) from None


def _fit(config: TrainConfig, trainer: Trainer, state, run_dir: Path, snapshot_version: int,
         device: torch.device, progress: bool, out: TextIO) -> None:
    """`fit` with the run directory kept current: metrics, checkpoint and status per epoch."""
    trim_metrics(run_dir, state.epoch)  # a resumed run: rows past its checkpoint are redone
    write_status(run_dir, "running", state.epoch, config.epochs,
                 f"training from epoch {state.epoch + 1}")

    def record(r: EpochReport) -> None:
        epoch, loss, val = r.epoch, r.loss, r.validation
        append_metrics(run_dir, {"epoch": epoch, "loss": loss, "seconds": round(r.seconds, 3),
                                 "train_seconds": round(r.train_seconds, 3), "device": str(device),
                                 "steps": trainer.last_epoch_steps,
                                 "lr": state.optimizer.param_groups[0]["lr"],
                                 "edges_per_s": round(trainer.last_epoch_edges
                                                      / max(r.train_seconds, 1e-9)),
                                 **{k: round(v, 6) for k, v in val.items()},
                                 "best_epoch": state.best_epoch})
        save_checkpoint(run_dir / layout.CHECKPOINT, {
            "config": config.to_dict(), "spec": state.model.spec.to_dict(),
            "snapshot_version": snapshot_version, **state.to_checkpoint()})
        write_status(run_dir, "running", epoch, config.epochs,
                     f"epoch {epoch}: loss {loss:.4f}, {config.early_stopping} {r.score:.4f}")
        print(f"epoch {epoch:3d}/{config.epochs}  loss {loss:8.4f}  "
              f"val r-prec {val['val_r_precision']:.4f}  ndcg {val['val_ndcg']:.4f}  "
              f"recall@100 {val['val_recall@100']:.4f}  {r.seconds:6.1f}s  {device}"
              + ("  *" if state.best_epoch == epoch else ""), file=out, flush=True)
        if state.stopped:
            print(f"early stop: no better {config.early_stopping} for {config.patience} epochs; "
                  f"best epoch {state.best_epoch}", file=out, flush=True)

    fit(config, trainer, state, progress=progress, on_epoch=record)


def _resumed_config(stored: dict, given: TrainConfig, overrides: set[str]) -> TrainConfig:
    config = TrainConfig.from_dict(stored)
    changed = sorted(name for name in overrides - RESUMABLE
                     if getattr(given, name) != getattr(config, name))
    if changed:
        raise UserError(f"--resume keeps the run's settings; cannot change "
                        f"{', '.join('--' + c.replace('_', '-') for c in changed)} "
                        f"(only {', '.join(sorted('--' + r.replace('_', '-') for r in RESUMABLE))})")
    for name in overrides & RESUMABLE:
        setattr(config, name, getattr(given, name))
    return config


@contextmanager
def _cancel_on_sigterm() -> Iterator[None]:
    """SIGTERM raises RunCancelled in the main thread, so the run stops between Python ops."""
    def handler(signum, frame):
        raise RunCancelled()
    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
