"""Training runs as data frames: per-epoch metrics, run summaries and evaluation tables.

Input is what `ml.runs` reads from a run directory (metrics.jsonl lines, the
evaluation.json document); output is tidy frames for tables and charts.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import pandas as pd

EPOCH_COLUMNS = ("epoch", "loss", "val_r_precision", "val_ndcg", "val_recall@100", "seconds")
EVAL_METRICS = ("r_precision", "ndcg", "clicks", "recall@20", "recall@100", "recall@500")
MODELS = ("gnn", "popularity", "itemknn", "als")
# Lower is better for clicks (pages of 10 until the first hit); higher for the rest.
LOWER_IS_BETTER = frozenset({"clicks", "loss"})


def metrics_frame(metrics_by_run: Mapping[str, Sequence[Mapping]]) -> pd.DataFrame:
    """run_id + EPOCH_COLUMNS, one row per (run, epoch); missing values are NaN."""
    rows = [{"run_id": run_id, **{c: line.get(c) for c in EPOCH_COLUMNS}}
            for run_id, lines in metrics_by_run.items() for line in lines
            if isinstance(line, Mapping) and line.get("epoch") is not None]
    df = pd.DataFrame(rows, columns=["run_id", *EPOCH_COLUMNS])
    for c in EPOCH_COLUMNS:
        df[c] = pd.to_numeric(df[c], errors="coerce")
    return df.sort_values(["run_id", "epoch"], kind="stable").reset_index(drop=True)


def _scenario_sort_key(name: str) -> tuple[int, int, str]:
    """overall, title only, first N (by N), random N (by N), then anything else."""
    kind, _, count = name.partition("_")
    if name == "overall":
        return (0, 0, name)
    if name == "title_only":
        return (1, 0, name)
    if count.isdigit() and kind in ("first", "random"):
        return (2 if kind == "first" else 3, int(count), name)
    return (4, 0, name)


def scenario_label(name: str) -> str:
    """'first_5' -> 'first 5 tracks', 'title_only' -> 'title only'."""
    kind, _, count = name.partition("_")
    if count.isdigit() and kind in ("first", "random"):
        return f"{kind} {count} track{'s' if count != '1' else ''}"
    return name.replace("_", " ")


def evaluation_frame(evaluation: Mapping) -> pd.DataFrame:
    """scenario, model, playlists, *EVAL_METRICS: 'overall' first, then scenarios in order.

    `playlists` is the held-out playlists scored in the scenario; for 'overall' (the mean
    over scenarios) it is the number of held-out playlists (`protocol.test_playlists`).
    """
    rows = []
    protocol = evaluation.get("protocol") or {}
    blocks = [("overall", evaluation.get("overall") or {}, protocol.get("test_playlists"))]
    for name, block in (evaluation.get("scenarios") or {}).items():
        if isinstance(block, Mapping):
            blocks.append((name, block, block.get("n")))
    for scenario, block, n in blocks:
        for model, values in block.items():
            if model == "n" or not isinstance(values, Mapping):
                continue
            rows.append({"scenario": scenario, "model": model, "playlists": n,
                         **{m: values.get(m) for m in EVAL_METRICS}})
    df = pd.DataFrame(rows, columns=["scenario", "model", "playlists", *EVAL_METRICS])
    if df.empty:
        return df
    for m in EVAL_METRICS:
        df[m] = pd.to_numeric(df[m], errors="coerce")
    model_rank = {m: i for i, m in enumerate(MODELS)}
    df["_s"] = df["scenario"].map(_scenario_sort_key)
    df["_m"] = df["model"].map(lambda m: model_rank.get(m, len(MODELS)))
    return df.sort_values(["_s", "_m"]).drop(columns=["_s", "_m"]).reset_index(drop=True)


def best_model(evaluation: pd.DataFrame, metric: str = "r_precision",
               scenario: str = "overall") -> str | None:
    """The model with the best `metric` in `scenario` (None if nothing was evaluated)."""
    rows = evaluation[(evaluation["scenario"] == scenario)].dropna(subset=[metric])
    if rows.empty:
        return None
    pick = rows[metric].idxmin() if metric in LOWER_IS_BETTER else rows[metric].idxmax()
    return str(rows.loc[pick, "model"])


def served_note(evaluation: Mapping, labels: Mapping[str, str]) -> str | None:
    """Which model this run serves and why, in one sentence (None before evaluation).

    The served model is the one with the best validation NDCG (`evaluation["served"]`,
    chosen on validation playlists, never on the test playlists the tables show)."""
    served = evaluation.get("served")
    if not served:
        return None
    scores = (evaluation.get("validation") or {}).get("overall") or {}
    name = labels.get(served, served)
    others = ", ".join(f"{labels.get(m, m)} {v['ndcg']:.4f}" for m, v in scores.items()
                       if m != served)
    why = (f"it has the best validation NDCG, {scores[served]['ndcg']:.4f} "
           f"(against {others}) on {evaluation['validation'].get('cases', 0):,} validation "
           f"cases" if served in scores else "it has the best validation NDCG")
    als = (evaluation.get("als") or {}).get("params")
    tuned = (f" ALS was tuned on the same validation cases: {als['factors']} factors, "
             f"regularization {als['regularization']:g}, alpha {als['alpha']:g}, "
             f"{als['iterations']} iterations." if als else "")
    return f"Recommendations from this run use {name}: {why}.{tuned}"


def run_summary_frame(runs: Sequence[Mapping]) -> pd.DataFrame:
    """One row per run for comparison tables.

    runs: dicts with run_id, state, epochs (completed), best_val_r_precision,
    last_loss, gnn_r_precision (overall, from the evaluation), active (bool), config (dict).
    """
    columns = ["run_id", "active", "state", "epochs", "last_loss", "best_val_r_precision",
               "gnn_r_precision", "itemknn_r_precision", "popularity_r_precision"]
    return pd.DataFrame([{c: r.get(c) for c in columns} for r in runs], columns=columns)


def metric_pivot(evaluation: pd.DataFrame, metric: str,
                 labels: Mapping[str, str] | None = None) -> tuple[pd.DataFrame, list[str | None]]:
    """Scenarios × models table of one metric, and the best model column per row.

    Returns (frame with columns scenario, playlists, <model labels...>, best column per row,
    None where the row has no value).
    """
    labels = labels or {}
    pivot = evaluation.pivot(index="scenario", columns="model", values=metric)
    pivot = pivot.reindex(index=list(dict.fromkeys(evaluation["scenario"])),
                          columns=[m for m in MODELS if m in pivot.columns]
                          + sorted(c for c in pivot.columns if c not in MODELS))
    playlists = evaluation.drop_duplicates("scenario").set_index("scenario")["playlists"]
    pivot.insert(0, "playlists", playlists.reindex(pivot.index))
    pivot = pivot.rename(columns=dict(labels)).reset_index()
    model_cols = [c for c in pivot.columns if c not in ("scenario", "playlists")]
    best: list[str | None] = []
    for _, row in pivot[model_cols].iterrows():
        values = row.dropna()
        if values.empty:
            best.append(None)
        else:
            best.append(str(values.idxmin() if metric in LOWER_IS_BETTER else values.idxmax()))
    return pivot, best
