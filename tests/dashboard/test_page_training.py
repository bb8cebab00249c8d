"""AppTest: the Training page shows each run's curves, the evaluation table and a comparison.

Run directories are written here in the format `python -m ml train` writes (the
contract in ml/runs/directory.py); the page must show exactly their numbers.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from data.home import runs_dir
from tests.dashboard.apptest_helpers import frame_with, metrics, open_page, texts

pytestmark = pytest.mark.usefixtures("no_autotrain")

OLD, NEW = "20250101-000000-aaaa", "20250102-000000-bbbb"
EVAL = {
    "overall": {"gnn": {"r_precision": 0.21, "ndcg": 0.3, "clicks": 1.2, "recall@20": 0.1,
                        "recall@100": 0.3, "recall@500": 0.5},
                "popularity": {"r_precision": 0.05, "ndcg": 0.1, "clicks": 9.0, "recall@20": 0.02,
                               "recall@100": 0.05, "recall@500": 0.2},
                "itemknn": {"r_precision": 0.17, "ndcg": 0.25, "clicks": 2.0, "recall@20": 0.08,
                            "recall@100": 0.2, "recall@500": 0.45}},
    "scenarios": {
        "title_only": {"n": 5, "gnn": {"r_precision": 0.11}, "popularity": {"r_precision": 0.04},
                       "itemknn": {"r_precision": 0.03}},
        "first_5": {"n": 7, "gnn": {"r_precision": 0.23}, "popularity": {"r_precision": 0.05},
                    "itemknn": {"r_precision": 0.25}},
    },
    "protocol": {"test_playlists": 9, "overall": "mean over scenarios"},
}


def write_run(home: Path, run_id: str, losses: list[float], vals: list[float], *,
              state: str = "done", evaluation: dict | None = None, message: str = "",
              epochs: int | None = None, best_epochs: list[int] | None = None,
              ndcgs: list[float] | None = None) -> Path:
    path = runs_dir(home) / run_id
    path.mkdir(parents=True)
    epochs = epochs or len(losses)
    (path / "config.json").write_text(json.dumps({"epochs": epochs, "dim": 32}))
    ndcgs = ndcgs or [v + 0.1 for v in vals]
    (path / "metrics.jsonl").write_text("".join(
        json.dumps({"epoch": i + 1, "loss": loss, "seconds": 2.0, "device": "cpu",
                    "val_r_precision": v, "val_ndcg": n, "val_recall@100": v + 0.2,
                    **({"best_epoch": best_epochs[i]} if best_epochs else {})}) + "\n"
        for i, (loss, v, n) in enumerate(zip(losses, vals, ndcgs))))
    (path / "status.json").write_text(json.dumps({
        "state": state, "epoch": len(losses), "epochs": epochs, "pid": 1,
        "message": message, "updated_at": "2025-01-02T00:00:00+00:00"}))
    if evaluation is not None:
        (path / "evaluation.json").write_text(json.dumps(evaluation))
    return path


@pytest.fixture
def two_runs(home: Path, tiny: dict) -> None:
    write_run(home, OLD, [1.0, 0.8, 0.7], [0.10, 0.15, 0.12], evaluation=EVAL)
    write_run(home, NEW, [0.9, 0.6], [0.2, 0.3], state="failed", message="out of memory")
    (runs_dir(home) / "ACTIVE").write_text(OLD + "\n")


def test_active_run_is_selected_with_its_numbers(home: Path, two_runs: None) -> None:
    at = open_page("training")
    run = at.selectbox(key="train_run")
    assert run.value == OLD
    assert [o.split(" — ")[0] for o in run.options] == [NEW, OLD]  # newest first
    shown = metrics(at.main)
    assert shown["Epochs"] == "3 / 3"
    assert shown["Selected epoch"] == "2"  # the best validation NDCG (0.25)
    assert shown["Val. R-precision"] == "0.1500"
    assert shown["Last loss"] == "0.7000"
    assert shown["s per epoch"] == "2.0"
    assert len(at.main.get("vega_lite_chart")) >= 3  # loss, validation, evaluation (+ compare)


def test_evaluation_table_puts_gnn_beside_baselines_per_scenario(home: Path,
                                                                 two_runs: None) -> None:
    at = open_page("training")
    table = frame_with(at.main, "scenario").set_index("scenario")
    assert list(table.index) == ["overall", "title only", "first 5 tracks"]
    assert table.loc["overall", "GraphSAGE"] == 0.21
    assert table.loc["first 5 tracks", "Item kNN"] == 0.25
    assert table.loc["title only", "Popularity"] == 0.04
    assert table.loc["first 5 tracks", "playlists"] == 7
    assert table.loc["overall", "playlists"] == 9  # held-out playlists (protocol)
    assert "GraphSAGE beats every baseline on overall R-precision" in texts(at)
    at.segmented_control(key="train_eval_metric").set_value("clicks").run()
    clicks = frame_with(at.main, "scenario").set_index("scenario")
    assert clicks.loc["overall", "Popularity"] == 9.0


def test_failed_run_shows_its_error_and_comparison_lists_both(home: Path,
                                                              two_runs: None) -> None:
    at = open_page("training")
    at.selectbox(key="train_run").set_value(NEW).run()
    assert not at.exception
    assert "This run failed: out of memory" in at.main.error[0].value
    assert "has not been evaluated" in texts(at)
    compare = frame_with(at.main, "run_id")
    assert compare["run_id"].tolist() == [NEW, OLD]
    assert compare["active"].tolist() == [False, True]
    assert compare.set_index("run_id").loc[OLD, "GraphSAGE R-prec."] == "0.2100"
    assert compare.set_index("run_id").loc[NEW, "GraphSAGE R-prec."] == "—"  # not evaluated


def test_no_runs_yet_points_to_retrain(home: Path, tiny: dict) -> None:
    at = open_page("training")
    assert "No training run yet" in at.main.info[0].value


def test_page_says_which_model_serves_and_why(home: Path, tiny: dict) -> None:
    """ALS beats GraphSAGE on validation here, so the page must say ALS serves, with the
    validation figures that decided it, not the test figures of the table."""
    evaluation = {**EVAL, "served": "als",
                  "validation": {"overall": {"gnn": {"ndcg": 0.2}, "popularity": {"ndcg": 0.05},
                                             "itemknn": {"ndcg": 0.18}, "als": {"ndcg": 0.22}},
                                 "cases": 1234},
                  "als": {"params": {"factors": 128, "regularization": 0.1, "alpha": 20.0,
                                     "iterations": 30}}}
    write_run(home, OLD, [1.0, 0.8], [0.1, 0.2], evaluation=evaluation)
    (runs_dir(home) / "ACTIVE").write_text(OLD + "\n")
    at = open_page("training")
    note = next(i.value for i in at.main.info if "Recommendations from this run use" in i.value)
    assert note.startswith("Recommendations from this run use ALS: it has the best validation "
                           "NDCG, 0.2200 (against GraphSAGE 0.2000, Popularity 0.0500, "
                           "Item kNN 0.1800) on 1,234 validation cases.")
    assert "128 factors, regularization 0.1, alpha 20, 30 iterations" in note
    # The sidebar's "Model in use" names the same model.
    assert ":material/hub: **ALS**" in [m.value for m in at.sidebar.markdown]


def test_selected_epoch_is_the_one_that_serves_not_the_best_r_precision(home: Path,
                                                                        tiny: dict) -> None:
    """R-precision peaks at epoch 4, but the trainer kept epoch 3 (best NDCG): the page
    must show epoch 3 and R-precision at epoch 3, and mark epoch 3 on the curves."""
    write_run(home, OLD, [1.0, 0.9, 0.8, 0.7], [0.10, 0.12, 0.14, 0.19],
              ndcgs=[0.2, 0.25, 0.3, 0.28], best_epochs=[1, 2, 3, 3], evaluation=EVAL)
    (runs_dir(home) / "ACTIVE").write_text(OLD + "\n")
    at = open_page("training")
    shown = metrics(at.main)
    assert shown["Selected epoch"] == "3" and shown["Val. R-precision"] == "0.1400"
    loss_chart = json.loads(at.main.get("vega_lite_chart")[0].proto.spec)
    rules = [layer for layer in loss_chart["layer"] if layer["mark"]["type"] == "rule"]
    assert len(rules) == 1


def test_running_run_shows_state_epoch_and_eta(home: Path, tiny: dict) -> None:
    """Two of ten epochs done at 2.0 s each: eight left, 16 s."""
    write_run(home, NEW, [0.9, 0.8], [0.1, 0.2], state="running", epochs=10)
    at = open_page("training")
    shown = metrics(at.main)
    assert shown["State"] == "Training"
    assert shown["Epochs"] == "2 / 10"
    assert shown["ETA"] == "16 s"


def test_compare_runs_is_readable(home: Path, tiny: dict) -> None:
    """Distinct colours per run, a tall chart, '—' instead of None, and an ALS column."""
    with_als = {**EVAL, "overall": {**EVAL["overall"], "als": {"r_precision": 0.23}}}
    write_run(home, OLD, [1.0, 0.8, 0.7], [0.10, 0.15, 0.12], evaluation=with_als)
    write_run(home, NEW, [0.9, 0.6], [0.2, 0.3], state="cancelled")
    (runs_dir(home) / "ACTIVE").write_text(OLD + "\n")
    at = open_page("training")
    compare = frame_with(at.main, "run_id").set_index("run_id")
    assert compare.loc[OLD, "ALS R-prec."] == "0.2300"
    assert compare.loc[NEW, "ALS R-prec."] == "—"
    assert compare.loc[OLD, "selected_epoch"] == "2"
    assert not compare.astype(str).isin(["None", "nan"]).any().any()
    assert list(compare.columns[-4:]) == ["GraphSAGE R-prec.", "Popularity R-prec.",
                                          "Item kNN R-prec.", "ALS R-prec."]
    chart = json.loads(at.main.get("vega_lite_chart")[-1].proto.spec)
    assert chart["height"] == 320
    colors = chart["layer"][0]["encoding"]["color"]["scale"]["range"]
    assert len(set(colors)) == 2
    # ALS scores higher than GraphSAGE on the test table while GraphSAGE serves: say why.
    assert ("ALS scores higher than GraphSAGE on overall R-precision here, yet GraphSAGE "
            "serves") in texts(at)
