"""The bootstrap's noise judgement on differences whose truth is known."""
from __future__ import annotations

import numpy as np

from ml.evaluation.bootstrap import noise_against, paired_bootstrap


def rows_of(values: dict[str, np.ndarray]) -> dict:
    return {s: [{"playlist": p, "ndcg": float(v)} for p, v in enumerate(vals)]
            for s, vals in values.items()}


def test_a_constant_lead_has_no_noise():
    rng = np.random.default_rng(0)
    base = {"first_1": rng.random(200), "first_5": rng.random(200)}
    rows = {"a": rows_of({s: v + 0.1 for s, v in base.items()}), "b": rows_of(base)}
    result = paired_bootstrap(rows, "a", "b", "ndcg", resamples=200)
    for entry in [result["overall"], *result["scenarios"].values()]:
        assert abs(entry["diff"] - 0.1) < 1e-6
        assert abs(entry["low"] - 0.1) < 1e-6 and abs(entry["high"] - 0.1) < 1e-6


def test_pure_noise_straddles_zero_and_a_real_loss_does_not():
    rng = np.random.default_rng(1)
    base = {"first_1": rng.random(300)}
    noisy = {"first_1": base["first_1"] + rng.normal(0, 0.2, 300)}
    worse = {"first_1": base["first_1"] - 0.1 + rng.normal(0, 0.2, 300)}
    tie = paired_bootstrap({"a": rows_of(noisy), "b": rows_of(base)}, "a", "b", "ndcg")
    assert tie["overall"]["low"] < 0 < tie["overall"]["high"]
    loss = paired_bootstrap({"a": rows_of(worse), "b": rows_of(base)}, "a", "b", "ndcg")
    assert loss["overall"]["high"] < 0


def test_the_two_stage_model_is_judged_against_each_named_baseline_in_every_scenario():
    rng = np.random.default_rng(2)
    base = {"first_1": rng.random(200), "random_25": rng.random(200)}

    def rows(shift: float) -> dict:
        return {s: [{"playlist": p, "ndcg": float(v + shift), "r_precision": float(v + shift)}
                    for p, v in enumerate(vals)] for s, vals in base.items()}

    result = noise_against({"reranked": rows(0.05), "rp3beta": rows(0.0), "ease": rows(0.1)},
                           "reranked", ["rp3beta", "ease"])
    assert set(result) == {"rp3beta", "ease"}
    for metric in ("ndcg", "r_precision"):
        assert set(result["rp3beta"][metric]) == {"overall", "first_1", "random_25"}
        assert all(abs(e["diff"] - 0.05) < 1e-6 and e["low"] > 0
                   for e in result["rp3beta"][metric].values())
        assert all(e["high"] < 0 for e in result["ease"][metric].values())
