"""Fitting the baselines of a run: their inputs (`BaselineInputs`: the training playlists'
interactions, the popularity tie-break, the title fallback) and the requested baselines,
ALS tuned on validation cases (`ml.models.als_tuning`), RP3beta and EASE^R likewise
(`ml.training.tuned_models`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import scipy.sparse as sp

from ml.config import TrainConfig
from ml.dataset.protocol import Case
from ml.evaluation.scoring import evaluate_rankers
from ml.models.als_tuning import AlsParams, coordinate_search, parse_search
from ml.models.baselines import ALS, ItemKNN, Popularity, TitlePopularity, interaction_matrix
from ml.models.ranking import Ranker
from ml.training.training_data import TrainingData
from ml.training.tuned_models import TUNED, fit_tuned


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
                    inputs: BaselineInputs | None = None) -> tuple[list[Ranker], dict]:
    """The requested baselines, trained on the training playlists of `data`, and the
    searches of the tuned ones ({name: {"params", "trials"}} for ALS, RP3beta, EASE^R).
    With `validation` cases and a search string, each is tuned on them
    (ml.models.als_tuning); else it uses its config fields as they are."""
    inputs = inputs or BaselineInputs.of(data)
    out: list[Ranker] = []
    reports: dict = {}
    for name in names:
        if name in TUNED:
            model, reports[name] = fit_tuned(name, inputs, config, validation,
                                             data.snapshot.track_artist)
            out.append(model)
        elif name == "popularity":
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
            reports["als"] = {"params": vars(params), "trials": trials}
    return out, reports
