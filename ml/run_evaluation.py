"""A run's evaluation from its files: the run's training data rebuilt from its split, its
baselines fitted (ALS tuned on validation), the served model chosen on validation and
`evaluation.json` written. The scoring itself is `ml.evaluate` (pure).
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence, TextIO

import numpy as np
import scipy.sparse as sp
import torch

from data.store import Catalog
from ml.ann import build_run_indexes
from ml.artifacts import load_model, load_split, save_als
from ml.baselines import ALS, ItemKNN, Popularity, TitlePopularity, interaction_matrix
from ml.bootstrap import paired_bootstrap
from ml.config import TrainConfig
from ml.errors import UserError
from ml.evaluate import evaluate_rankers, served_model
from ml.inference import GnnScorer
from ml.metrics import MAX_RECOMMENDATIONS
from ml.prepare import TrainingData, training_data
from ml.protocol import Case, Holdout, make_cases, validation_cases
from ml.ranking import Ranker
from ml.runs import write_json_atomic
from ml.runtime import resolve_device, snapshot_of_version
from ml.reranker import save_booster
from ml.tuning import AlsParams, coordinate_search, parse_search
from ml.two_stage import fit_two_stage


@dataclass
class BaselineInputs:
    """What every baseline is fitted from: the training playlists' [P, T] interactions, the
    popularity tie-break and the title fallback used when a playlist has no seeds."""
    interactions: sp.csr_matrix
    popularity: Popularity
    by_title: TitlePopularity

    titles: list[str]  # per playlist, its normalized title ('' unless a training playlist)

    @classmethod
    def of(cls, data: TrainingData, exclude: np.ndarray | None = None) -> "BaselineInputs":
        """From the training playlists, less those in `exclude` (playlist indices)."""
        s = data.snapshot
        playlists = data.holdout.train
        keep = np.ones(len(data.edge_playlist), bool)
        if exclude is not None and len(exclude):
            playlists = np.setdiff1d(playlists, exclude)
            keep = np.isin(data.edge_playlist, playlists)
        interactions = interaction_matrix(data.edge_playlist[keep], data.edge_track[keep],
                                          s.num_playlists, s.num_tracks)
        popularity = Popularity(interactions)
        train_titles = [""] * s.num_playlists
        for p in playlists.tolist():
            train_titles[p] = s.normalized_title(p)
        return cls(interactions, popularity,
                   TitlePopularity(interactions, train_titles, popularity), train_titles)


def build_baselines(names: Sequence[str], data: TrainingData, config: TrainConfig,
                    threads: int = 0, validation: list[Case] | None = None,
                    inputs: BaselineInputs | None = None) -> tuple[list[Ranker], dict | None]:
    """The requested baselines, trained on the training playlists of `data`, and the ALS
    search ({"params", "trials"}; None without ALS). With `validation` cases and a
    `config.als_search`, ALS is tuned on them (ml.tuning); else it uses the als_* fields."""
    inputs = inputs or BaselineInputs.of(data)
    out: list[Ranker] = []
    als_report = None
    for name in names:
        if name == "popularity":
            out.append(inputs.popularity)
        elif name == "itemknn":
            out.append(ItemKNN(inputs.interactions, inputs.by_title))
        elif name == "als":
            def fit(params: AlsParams) -> ALS:
                return ALS(inputs.interactions, inputs.by_title, factors=params.factors,
                           regularization=params.regularization, alpha=params.alpha,
                           iterations=params.iterations, seed=config.seed, threads=threads)

            # The search's best trial is kept as it was fitted, not fitted again: it is
            # the first trial with the highest score, as coordinate_search picks it.
            best: dict = {"score": -np.inf, "model": None}

            def score(params: AlsParams) -> float:
                model = fit(params)
                value = evaluate_rankers([model], validation, data.snapshot.track_artist,
                                         batch_size=config.eval_batch)["overall"]["als"]["ndcg"]
                if value > best["score"]:
                    best.update(score=value, model=model)
                return value

            params = AlsParams(config.als_factors, config.als_regularization, config.als_alpha,
                               config.als_iterations)
            trials: list[dict] = []
            if validation and config.als_search:
                params, trials = coordinate_search(params, parse_search(config.als_search), score)
            out.append(best["model"] or fit(params))
            als_report = {"params": vars(params), "trials": trials}
    return out, als_report


def noise_against_single_models(evaluation: dict, rows: dict, model: str) -> dict:
    """`model` against the best other model of each scenario (and overall), on the test
    playlists' R-precision and NDCG: paired bootstrap intervals (`ml.bootstrap`)."""
    out: dict = {"method": "paired bootstrap over test playlists, 1000 draws, 95% interval",
                 "metrics": {}}
    for metric in ("r_precision", "ndcg"):
        per: dict = {}
        for scenario, entry in [("overall", evaluation["overall"]),
                                *evaluation["scenarios"].items()]:
            others = {m: v[metric] for m, v in entry.items() if m not in ("n", model)}
            best = max(others, key=others.get)
            result = paired_bootstrap(rows, model, best, metric)
            per[scenario] = {"against": best, **(result["overall"] if scenario == "overall"
                                                  else result["scenarios"][scenario])}
        out["metrics"][metric] = per
    return out


def run_training_data(run_dir: Path, catalog: Catalog, home: Path | None
                      ) -> tuple[TrainConfig, TrainingData]:
    """The run's config and training data, rebuilt from its snapshot version and split."""
    config = TrainConfig.from_dict(_read_config(run_dir))
    version, validation_ids, test_ids = load_split(run_dir)
    snapshot = snapshot_of_version(catalog, version, home, f"reading {run_dir.name}")
    validation = np.array([snapshot.playlist_index(int(p)) for p in validation_ids], np.int64)
    test = np.array([snapshot.playlist_index(int(p)) for p in test_ids], np.int64)
    if (validation < 0).any() or (test < 0).any():
        raise UserError(f"{run_dir.name} does not match snapshot v{version}; retrain")
    held = np.zeros(snapshot.num_playlists, bool)
    held[validation] = held[test] = True
    holdout = Holdout(train=np.flatnonzero(~held), validation=validation, test=test)
    return config, training_data(snapshot, holdout, config)


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
    gnn = GnnScorer(served.model.to(torch_device), served.states, served.titles, torch_device,
                    vectors=torch.from_numpy(np.array(served.states[-1])))
    checks = validation_cases(snapshot, holdout.validation, config.split_seed,
                              config.max_validation_cases)
    inputs = BaselineInputs.of(data)
    baselines, als_report = build_baselines(config.baseline_names(), data, config,
                                            config.threads, validation=checks, inputs=inputs)
    rankers: list[Ranker] = [gnn, *baselines]
    reranker_report = None
    if config.rerank:
        two_stage, reranker_report = fit_two_stage(
            data, config, torch_device, rankers, inputs,
            als_report["params"] if als_report else None, checks, config.threads)
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
    evaluation["served"] = served_model(on_validation)
    evaluation["validation"] = {"overall": on_validation, "cases": len(checks),
                                "playlists": int(len(holdout.validation)), "selected_by": "ndcg"}
    if reranker_report is not None:
        evaluation["reranker"] = reranker_report
    if als_report is not None:
        evaluation["als"] = als_report
        als = next(r for r in baselines if r.name == "als")
        save_als(run_dir, als.item_factors.numpy(), als_report["params"])
    evaluation["protocol"] = {
        "run_id": run_dir.name, "snapshot_version": snapshot.version,
        "test_playlists": int(len(holdout.test)), "cases": len(cases),
        "train_playlists": int(len(holdout.train)), "tracks_ranked": snapshot.num_tracks,
        "recommendations": MAX_RECOMMENDATIONS, "overall": "mean over scenarios",
        "split_seed": config.split_seed}
    write_json_atomic(run_dir / "evaluation.json", evaluation)
    # Serving's candidate indexes, from the vectors just saved (re-evaluating refits ALS).
    evaluation["indexes"] = build_run_indexes(run_dir)
    return evaluation


def _read_config(run_dir: Path) -> dict:
    try:
        raw = json.loads((run_dir / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"{run_dir}/config.json is missing or corrupt ({exc.__class__.__name__}); "
                        "not a complete run") from None
    if not isinstance(raw, dict):
        raise UserError(f"{run_dir}/config.json is not a run configuration")
    return raw
