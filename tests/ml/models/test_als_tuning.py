"""The ALS search: what it parses, that it finds a known optimum one parameter at a time,
and that a run tunes ALS on validation and serves the model best on validation."""
from __future__ import annotations

import io

import pytest

from ml.config import TrainConfig
from ml.models.als_tuning import AlsParams, coordinate_search, parse_search
from ml.models.rp3beta import RP3_PARAMETERS
from ml.pipeline.train_run import run_training
from ml.runs.directory import read_evaluation
from tests.ml.conftest import fast_config


def test_parse_search_reads_each_parameter_and_rejects_the_rest():
    assert parse_search("alpha=1,5; factors=64,128") == [("alpha", [1.0, 5.0]),
                                                         ("factors", [64, 128])]
    assert parse_search("") == []
    for bad in ("beta=1", "alpha", "alpha=x", "factors=0", "alpha=1;iterations=2.5"):
        with pytest.raises(ValueError, match="--als-search"):
            parse_search(bad)
    with pytest.raises(ValueError, match="--als-search"):
        TrainConfig(als_search="alpha=").validate()


def test_every_tuned_model_has_its_own_search_flag():
    assert parse_search("beta=0,0.5;alpha=0.7", RP3_PARAMETERS, "--rp3-search") == [
        ("beta", [0.0, 0.5]), ("alpha", [0.7])]  # beta 0 (no popularity penalty) is allowed
    for flag, value in (("rp3_search", "factors=64"), ("ease_search", "regularization=-1"),
                        ("plknn_search", "neighbours=0"), ("titlewords_search", "power=x")):
        with pytest.raises(ValueError, match="--" + flag.replace("_", "-")):
            TrainConfig(**{flag: value}).validate()
    with pytest.raises(ValueError, match="--rerank-sources"):
        TrainConfig(rerank_sources="gnn,bm25").validate()


def test_coordinate_search_finds_a_separable_optimum_with_one_fit_per_value():
    best_at = {"factors": 128, "regularization": 0.1, "alpha": 20.0, "iterations": 30}
    fits = []

    def score(p: AlsParams) -> float:
        fits.append(p)
        return -sum(abs(getattr(p, k) - v) / v for k, v in best_at.items())

    start = AlsParams(factors=64, regularization=1.0, alpha=1.0, iterations=15)
    steps = parse_search("alpha=1,5,20,40;regularization=0.01,0.1,1;factors=32,128;"
                         "iterations=15,30")
    best, trials = coordinate_search(start, steps, score)
    assert vars(best) == best_at
    assert len(fits) == len(set(fits)) == len(trials)  # no setting is fitted twice
    assert len(fits) <= 1 + sum(len(v) for _, v in steps)
    assert max(trials, key=lambda t: t["val_ndcg"])["factors"] == 128


def test_a_run_tunes_als_on_validation_and_serves_the_best_on_validation(checkerboard, home):
    config = fast_config(epochs=3, baselines="popularity,itemknn,als",
                         als_search="alpha=1,10;factors=8,16")
    run_dir, state = run_training(config, home, progress=False, out=io.StringIO())
    assert state == "done"
    evaluation = read_evaluation(run_dir)
    trials = evaluation["als"]["trials"]
    assert len(trials) == 3  # the start (alpha 10, 8 factors), alpha 1, 16 factors
    best_trial = max(trials, key=lambda t: t["val_ndcg"])
    assert {k: best_trial[k] for k in ("alpha", "factors")} == \
        {k: evaluation["als"]["params"][k] for k in ("alpha", "factors")}
    validation = evaluation["validation"]["overall"]
    assert set(validation) == {"gnn", "popularity", "itemknn", "als"}
    assert evaluation["served"] == max(validation, key=lambda m: validation[m]["ndcg"])
    assert evaluation["validation"]["cases"] > 0
    assert (run_dir / "als.npz").exists()
