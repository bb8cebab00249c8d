"""ALS, the anchor the GNN must beat, tuned on the validation playlists as the GNN is
(and RP3beta, EASE^R and the playlist–playlist sources the same way, `ml.training.tuned_models`).

A coordinate search: one hyperparameter at a time, each candidate value fitted and
scored on the validation cases with the others held at the best so far, in the order
the search string gives. `alpha=1,5;regularization=0.01,0.1` fits 2 + 2 models, not
the 4 of a full grid; the default search fits 11 and keeps the best by
validation NDCG. Test playlists are never looked at.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

ALS_PARAMETERS = {"factors": int, "regularization": float, "alpha": float, "iterations": int}


@dataclass(frozen=True)
class AlsParams:
    factors: int
    regularization: float
    alpha: float
    iterations: int


def parse_search(text: str, parameters: dict[str, type] = ALS_PARAMETERS,
                 flag: str = "--als-search") -> list[tuple[str, list]]:
    """`"alpha=1,5;factors=64,128"` → [("alpha", [1.0, 5.0]), ("factors", [64, 128])], the
    names among `parameters` (name → type; ALS's unless given).

    Raises ValueError with a one-line reason (naming `flag`) for anything else."""
    steps = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        name, _, values = part.partition("=")
        name = name.strip()
        if name not in parameters or not values.strip():
            raise ValueError(f"{flag}: {part!r} is not NAME=V1,V2,... with NAME one of "
                             f"{', '.join(parameters)}")
        try:
            parsed = [parameters[name](v) for v in values.split(",") if v.strip()]
        except ValueError:
            raise ValueError(f"{flag}: {part!r} has a value that is not a number") from None
        if any(v < 0 for v in parsed) or (any(v == 0 for v in parsed) and name != "beta"):
            raise ValueError(f"{flag}: {name} values must be positive")
        steps.append((name, parsed))
    return steps


def coordinate_search(start: AlsParams, steps: list[tuple[str, list]],
                      score: Callable[[AlsParams], float]) -> tuple[AlsParams, list[dict]]:
    """Best parameters by `score` (higher is better) and every trial as {params..., score}."""
    cache: dict[AlsParams, float] = {}

    def trial(params: AlsParams) -> float:
        if params not in cache:
            cache[params] = score(params)
        return cache[params]

    best = start
    for name, values in steps:
        for value in values:
            candidate = replace(best, **{name: value})
            if trial(candidate) > trial(best):
                best = candidate
    if not steps:
        trial(best)
    trials = [{**vars(p), "val_ndcg": round(s, 6)} for p, s in cache.items()]
    return best, trials
