"""The served model's cache key: which models a write to the catalog must reload."""
from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.reads.recommender import model_version
from ml.runs.directory import new_run_dir, write_json_atomic


def _run(home: Path, evaluation: dict | None) -> str:
    run_dir = new_run_dir(home)
    if evaluation is not None:
        write_json_atomic(run_dir / "evaluation.json", evaluation)
    return run_dir.name


def test_co_occurrence_before_any_run_follows_the_catalog(home: Path) -> None:
    assert model_version(home, 7, None) == 7
    assert model_version(home, 8, None) == 8


@pytest.mark.parametrize("evaluation", [{"served": "gnn"}, {}, None])
def test_graphsage_follows_the_catalog(home: Path, evaluation: dict | None) -> None:
    # It places tracks added after training; a run evaluated before "served" existed, or
    # not evaluated, serves GraphSAGE.
    run_id = _run(home, evaluation)
    assert [model_version(home, v, run_id) for v in (3, 4)] == [3, 4]


@pytest.mark.parametrize("served", ["als", "itemknn", "popularity", "reranked"])
def test_models_fitted_on_the_run_snapshot_ignore_later_writes(home: Path, served: str) -> None:
    run_id = _run(home, {"served": served})
    assert model_version(home, 3, run_id) == model_version(home, 4, run_id)
