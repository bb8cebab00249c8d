"""Fitting the two-stage model of a run, and rebuilding it from the run's files.

The re-ranker must learn how far to trust each model on playlists those models never
saw, as the test playlists are. So it learns from a fold of the training playlists
that every source model is fitted without: item-kNN, popularity and the title tables
from the other training playlists, ALS with the tuned parameters on them, and a
GraphSAGE trained on them alone (the run's settings, at most `rerank_gnn_epochs`
epochs, its best epoch kept by validation like the run's own). The fold's playlists
are cut into the protocol's seed/target scenarios. Validation playlists only stop the
trainings and the boosting early; test playlists are never read here.
"""
from __future__ import annotations

import time
from dataclasses import replace
from typing import Sequence

import numpy as np
import torch

from ml.config import SOURCES, TrainConfig
from ml.dataset.protocol import SCENARIOS, Case, Holdout, make_cases
from ml.models.baselines import ALS, ItemKNN
from ml.models.gnn_scorer import GnnScorer
from ml.models.ranking import Ranker
from ml.rerank.booster import TwoStage, ranking_set, train_booster
from ml.rerank.candidates import FirstStage
from ml.rerank.features import TrackContext, feature_names
from ml.rerank.recall import recall_rows, recall_table
from ml.training.fit_baselines import BaselineInputs
from ml.training.tuned_models import TUNED, fit_tuned, refit
from ml.training.trainer import Trainer, fit, new_state
from ml.training.training_data import TrainingData, training_data
from ml.rerank.ann_stage import indexed_sources



def track_context(data: TrainingData, inputs: BaselineInputs) -> TrackContext:
    """The track features' tables from `inputs`."""
    s = data.snapshot
    return TrackContext.build(inputs.interactions, inputs.titles, s.track_artist, s.track_album,
                              s.features, s.feature_mask, data.feature_mean, data.feature_std)


def first_stage(sources: Sequence[Ranker], inputs, n: int, indexes=None) -> FirstStage:
    """The sources among SOURCES, in that order (GraphSAGE first: it fills the lists).
    indexes: {source: ml.runs.ann_index.TrackIndex}; when every vector source has one, the stage
    takes its candidates from them (ml.rerank.ann_stage), else it scores every track."""
    by_name = {r.name: r for r in sources}
    ordered = [by_name[name] for name in SOURCES if name in by_name]
    indexed = None
    if indexes is not None:
        indexed = indexed_sources(ordered, indexes, inputs.by_title)
    return FirstStage(ordered, inputs.by_title, n, indexed)


def candidate_sources(config: TrainConfig, models: Sequence[Ranker], inputs: BaselineInputs,
                      validation: list[Case], track_artist: np.ndarray
                      ) -> tuple[list[Ranker], dict[str, dict]]:
    """The run's `--rerank-sources`: the evaluated models named there, and those of TUNED
    that are no model of the report (the playlist–playlist and title-word neighbours,
    RP3beta or EASE^R left out of --baselines) fitted on `inputs` and tuned on
    `validation`; with those sources' searches."""
    by_name = {m.name: m for m in models}
    out, reports = [], {}
    for name in config.source_names():
        if name in by_name:
            out.append(by_name[name])
        elif name in TUNED:
            model, reports[name] = fit_tuned(name, inputs, config, validation, track_artist)
            out.append(model)
    return out, reports


def fit_two_stage(data: TrainingData, config: TrainConfig, device: torch.device,
                  sources: Sequence[Ranker], inputs: BaselineInputs, params: dict[str, dict],
                  validation: list[Case], threads: int = 0) -> tuple[TwoStage, dict]:
    """The run's two-stage model over `sources` (fitted on all training playlists, from
    `inputs`; `params` the tuned values of ALS and of every source in TUNED), and a
    report: timings, queries, candidate recall on validation by source."""
    started = time.perf_counter()
    s = data.snapshot
    rng = np.random.default_rng([config.split_seed, 0x2557])
    eligible = data.holdout.train[s.playlist_lengths()[data.holdout.train] >= 2]
    fold = np.sort(rng.choice(eligible, int(round(config.rerank_fold * len(eligible))),
                              replace=False))
    fold_inputs = BaselineInputs.of(data, exclude=fold)
    names = {r.name for r in sources}
    fold_sources: list[Ranker] = []
    fold_gnn = None
    if "gnn" in names:
        gnn, fold_gnn = _gnn_without(data, config, fold, validation, device)
        fold_sources.append(gnn)
    if "als" in names and "als" in params:
        als_params = params["als"]
        fold_sources.append(ALS(fold_inputs.interactions, fold_inputs.by_title,
                                factors=int(als_params["factors"]),
                                regularization=als_params["regularization"],
                                alpha=als_params["alpha"], iterations=int(als_params["iterations"]),
                                seed=config.seed, threads=threads))
    if "itemknn" in names:
        fold_sources.append(ItemKNN(fold_inputs.interactions, fold_inputs.by_title))
    for name in sorted(names & set(TUNED) & set(params)):
        fold_sources.append(refit(name, fold_inputs, params[name]))
    n = config.rerank_candidates
    fold_stage = first_stage(fold_sources, fold_inputs, n)
    cases = make_cases(s, fold, config.split_seed)
    if len(cases) > config.rerank_queries:
        keep = np.sort(rng.choice(len(cases), config.rerank_queries, replace=False))
        cases = [cases[i] for i in keep.tolist()]
    refit_s = time.perf_counter() - started
    train_set = ranking_set(fold_stage, track_context(data, fold_inputs), cases,
                            config.eval_batch)
    stage, context = first_stage(sources, inputs, n), track_context(data, inputs)
    recall_out: list[dict] = []
    valid_set = ranking_set(stage, context, validation, config.eval_batch,
                            recall_out=recall_out)
    features_s = time.perf_counter() - started - refit_s
    names_list = feature_names(stage.names)
    booster = train_booster(
        train_set, valid_set, names_list,
        params={"learning_rate": config.rerank_lr, "num_leaves": config.rerank_leaves,
                "min_data_in_leaf": config.rerank_min_leaf_data,
                "feature_fraction": config.rerank_feature_fraction,
                "max_bin": config.rerank_max_bin,
                "lambdarank_truncation_level": config.rerank_truncation},
        rounds=config.rerank_rounds, patience=config.rerank_patience, threads=threads or 0,
        seed=config.seed)
    boost_s = time.perf_counter() - started - refit_s - features_s
    two_stage = TwoStage(stage, context, booster)
    recall = {}
    for sc in SCENARIOS:
        values = [r for c, r in zip(validation, valid_set.recall) if c.scenario == sc.name]
        if values:
            recall[sc.name] = round(float(np.mean(values)), 4)
    report = {
        "candidates": n, "sources": stage.names, "fold_playlists": int(len(fold)),
        "source_params": {name: params[name] for name in stage.names if name in params},
        "recall_by_source": {**recall_table(recall_out, validation),
                             "on": "validation playlists"},
        "fold_gnn": fold_gnn,
        "train_queries": len(train_set.groups), "train_rows": int(len(train_set.labels)),
        "validation_queries": len(valid_set.groups),
        "best_iteration": int(booster.best_iteration or booster.current_iteration()),
        "mean_candidates": round(float(np.mean(valid_set.candidates)), 1) if validation else 0,
        "candidate_recall": {"overall": round(float(np.mean(list(recall.values()))), 4)
                             if recall else float("nan"), "scenarios": recall,
                             "on": "validation playlists"},
        "seconds": {"refit": round(refit_s, 1), "features": round(features_s, 1),
                    "boosting": round(boost_s, 1),
                    "total": round(time.perf_counter() - started, 1)},
        "importances": two_stage.importances()}
    return two_stage, report


def _gnn_without(data: TrainingData, config: TrainConfig, fold: np.ndarray,
                 validation: list[Case], device: torch.device) -> tuple[GnnScorer, dict]:
    """A GraphSAGE trained like the run's, on the training playlists less the fold, and
    what its training did."""
    started = time.perf_counter()
    holdout = data.holdout
    without = Holdout(train=np.setdiff1d(holdout.train, fold), validation=holdout.validation,
                      test=holdout.test)
    fold_data = training_data(data.snapshot, without, config)
    fold_config = replace(config, epochs=min(config.epochs, config.rerank_gnn_epochs))
    trainer = Trainer(fold_config, fold_data, device, validation)
    state = new_state(fold_config, fold_data, device)
    fit(fold_config, trainer, state)
    state.model.load_state_dict(state.best_model)
    scorer = GnnScorer(state.model, trainer.states(state.model), fold_data.vocab, device)
    return scorer, {"epochs": state.epoch, "best_epoch": state.best_epoch,
                    config.early_stopping: round(state.best_metric, 6),
                    "seconds": round(time.perf_counter() - started, 1)}
