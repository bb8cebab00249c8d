"""A run's evaluation from its files: the run's training data rebuilt from its split
(`ml.runs.artifacts.run_training_data`), its baselines fitted (ALS tuned on validation,
`ml.training.fit_baselines`), the two-stage model fitted (`ml.rerank.two_stage`), the
served model chosen on validation and `evaluation.json` written. The scoring itself is
`ml.evaluation.scoring` (pure).
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

import numpy as np
import torch

from data.store import Catalog
from ml.dataset.protocol import make_cases, validation_cases
from ml.errors import UserError
from ml.evaluation.bootstrap import noise_against, noise_against_single_models
from ml.evaluation.metrics import MAX_RECOMMENDATIONS
from ml.evaluation.scoring import evaluate_rankers, served_model
from ml.models.gnn_scorer import GnnScorer
from ml.models.ranking import Ranker
from ml.rerank.booster import save_booster
from ml.rerank.two_stage import candidate_sources, fit_two_stage
from ml.runs import layout
from ml.runs.ann_index import build_run_indexes
from ml.runs.artifacts import load_model, run_training_data, save_als
from ml.runs.directory import write_json_atomic
from ml.runtime import configure_torch, resolve_device
from ml.training.fit_baselines import BaselineInputs, build_baselines


def evaluate_run(run_dir: Path, home: Path | None = None, *, device: str | None = None,
                 progress: bool = False, err: TextIO = sys.stderr) -> dict:
    """Evaluate a trained run on its test playlists beside the baselines; writes evaluation.json."""
    served = load_model(run_dir)
    with Catalog.open(home) as catalog:
        config, data = run_training_data(run_dir, catalog, home)
    snapshot, holdout = data.snapshot, data.holdout
    if len(served.track_ids) != snapshot.num_tracks:
        raise UserError(f"{run_dir.name} does not match snapshot v{snapshot.version}; retrain")
    cases = make_cases(snapshot, holdout.test, config.split_seed)
    if not cases:
        raise UserError(f"{run_dir.name} has no test playlists to evaluate; ingest more data")
    torch_device = resolve_device(device or config.device)
    # As in training: the run's thread count and deterministic kernels, so that `ml
    # evaluate` on its own refits the re-ranker's fold model as `ml train` did.
    configure_torch(config.threads, torch_device)
    gnn = GnnScorer(served.model.to(torch_device), served.states, served.titles, torch_device,
                    vectors=torch.from_numpy(np.array(served.states[-1])))
    checks = validation_cases(snapshot, holdout.validation, config.split_seed,
                              config.max_validation_cases)
    inputs = BaselineInputs.of(data)
    baselines, searches = build_baselines(config.baseline_names(), data, config,
                                          config.threads, validation=checks, inputs=inputs)
    rankers: list[Ranker] = [gnn, *baselines]
    reranker_report = None
    if config.rerank:
        sources, source_searches = candidate_sources(config, rankers, inputs, checks,
                                                     snapshot.track_artist)
        two_stage, reranker_report = fit_two_stage(
            data, config, torch_device, sources, inputs,
            {name: r["params"] for name, r in {**searches, **source_searches}.items()},
            checks, config.threads)
        reranker_report["source_searches"] = source_searches
        save_booster(run_dir, two_stage.booster, two_stage.stage.names,
                     config.rerank_candidates, reranker_report)
        rankers.append(two_stage)
    # The served model is chosen on validation, never on the test playlists reported below.
    on_validation = evaluate_rankers(rankers, checks, snapshot.track_artist,
                                     batch_size=config.eval_batch)["overall"]
    rows: dict = {}
    evaluation = evaluate_rankers(rankers, cases, snapshot.track_artist,
                                  batch_size=config.eval_batch, progress=progress, err=err,
                                  rows_out=rows)
    if reranker_report is not None:
        evaluation["noise"] = noise_against_single_models(evaluation, rows, "reranked")
        evaluation["noise"]["against"] = noise_against(
            rows, "reranked", [b for b in ("rp3beta", "ease") if b in rows])
    evaluation["served"] = served_model(on_validation)
    evaluation["validation"] = {"overall": on_validation, "cases": len(checks),
                                "playlists": int(len(holdout.validation)), "selected_by": "ndcg"}
    if reranker_report is not None:
        evaluation["reranker"] = reranker_report
    for name, search in searches.items():  # "als", "rp3beta", "ease": the tuned values
        evaluation[name] = search
    if "als" in searches:
        als = next(r for r in baselines if r.name == "als")
        save_als(run_dir, als.item_factors.numpy(), searches["als"]["params"])
    evaluation["protocol"] = {
        "run_id": run_dir.name, "snapshot_version": snapshot.version,
        "test_playlists": int(len(holdout.test)), "cases": len(cases),
        "train_playlists": int(len(holdout.train)), "tracks_ranked": snapshot.num_tracks,
        "recommendations": MAX_RECOMMENDATIONS, "overall": "mean over scenarios",
        "split_seed": config.split_seed}
    write_json_atomic(run_dir / layout.EVALUATION, evaluation)
    # Serving's candidate indexes, from the vectors just saved (re-evaluating refits ALS).
    evaluation["indexes"] = build_run_indexes(run_dir)
    return evaluation
