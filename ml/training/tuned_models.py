"""RP3beta, EASE^R and the playlist–playlist sources, fitted on the training playlists and
tuned on the validation cases as ALS is (`ml.models.als_tuning.coordinate_search`: one
hyper-parameter at a time, validation NDCG, the test playlists never looked at).

The title-word source ignores the seeds, so it is tuned on the validation cases with
none (title only), the cases it exists for.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np

from ml.config import TrainConfig
from ml.dataset.protocol import Case
from ml.evaluation.scoring import evaluate_rankers
from ml.models.als_tuning import coordinate_search, parse_search
from ml.models.ease import EASE, EASE_PARAMETERS, EaseParams
from ml.models.neighbours import NEIGHBOUR_PARAMETERS, NeighbourParams, PlaylistKNN, TitleWords
from ml.models.ranking import Ranker
from ml.models.rp3beta import RP3_PARAMETERS, RP3beta, Rp3Params

if TYPE_CHECKING:  # fit_baselines builds these models: it imports this module
    from ml.training.fit_baselines import BaselineInputs


@dataclass(frozen=True)
class TunedModel:
    """How a model is made from `BaselineInputs` and a parameter set, and its search."""
    params_type: type
    parameters: dict[str, type]
    build: Callable[[BaselineInputs, object], Ranker]
    start: Callable[[TrainConfig], object]
    search: Callable[[TrainConfig], str]
    flag: str
    title_only: bool = False  # tuned on the cases without seeds


TUNED: dict[str, TunedModel] = {
    "rp3beta": TunedModel(
        Rp3Params, RP3_PARAMETERS,
        lambda i, p: RP3beta(i.interactions, i.by_title, alpha=p.alpha, beta=p.beta,
                             neighbours=p.neighbours),
        lambda c: Rp3Params(c.rp3_alpha, c.rp3_beta, c.rp3_neighbours),
        lambda c: c.rp3_search, "--rp3-search"),
    "ease": TunedModel(
        EaseParams, EASE_PARAMETERS,
        lambda i, p: EASE(i.interactions, i.by_title, regularization=p.regularization,
                          items=p.items),
        lambda c: EaseParams(c.ease_regularization, c.ease_items),
        lambda c: c.ease_search, "--ease-search"),
    "plknn": TunedModel(
        NeighbourParams, NEIGHBOUR_PARAMETERS,
        lambda i, p: PlaylistKNN(i.interactions, i.by_title, neighbours=p.neighbours,
                                 power=p.power),
        lambda c: NeighbourParams(c.plknn_neighbours, c.plknn_power),
        lambda c: c.plknn_search, "--plknn-search"),
    "titlewords": TunedModel(
        NeighbourParams, NEIGHBOUR_PARAMETERS,
        lambda i, p: TitleWords(i.interactions, i.titles, i.by_title, neighbours=p.neighbours,
                                power=p.power),
        lambda c: NeighbourParams(c.titlewords_neighbours, c.titlewords_power),
        lambda c: c.titlewords_search, "--titlewords-search", title_only=True),
}


def fit_tuned(name: str, inputs: BaselineInputs, config: TrainConfig,
              validation: list[Case] | None, track_artist: np.ndarray) -> tuple[Ranker, dict]:
    """Model `name` of TUNED fitted on `inputs`, tuned on `validation` when given (and its
    search is not ''), and the report {"params", "trials"}."""
    spec = TUNED[name]
    cases = [c for c in validation or [] if not (spec.title_only and len(c.seeds))]
    best: dict = {"score": -np.inf, "model": None}

    def score(params) -> float:
        model = spec.build(inputs, params)
        value = evaluate_rankers([model], cases, track_artist,
                                 batch_size=config.eval_batch)["overall"][name]["ndcg"]
        if value > best["score"]:
            best.update(score=value, model=model)
        return value

    params = spec.start(config)
    trials: list[dict] = []
    if cases and spec.search(config):
        params, trials = coordinate_search(
            params, parse_search(spec.search(config), spec.parameters, spec.flag), score)
    return best["model"] or spec.build(inputs, params), {"params": vars(params), "trials": trials}


def refit(name: str, inputs: BaselineInputs, params: dict) -> Ranker:
    """Model `name` with the given (tuned) parameters on `inputs`: for the re-ranker's fold
    and for serving a run's saved choice."""
    spec = TUNED[name]
    return spec.build(inputs, spec.params_type(**{k: spec.parameters[k](v)
                                                  for k, v in params.items()}))
