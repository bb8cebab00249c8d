"""Training runs as data frames: per-epoch metrics, run summaries and evaluation tables.

Input is what `ml.runs.directory` reads from a run directory (metrics.jsonl lines, the
evaluation.json document); output is tidy frames for tables and charts.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import pandas as pd

from ml.runs.directory import served_by

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


def selected_epoch(lines: Sequence[Mapping], config: Mapping) -> tuple[int | None, str]:
    """(the epoch whose weights the run saved for serving, the metric that chose it).

    The trainer keeps the weights of the epoch with the best `early_stopping` metric
    (default val_ndcg) and logs it as `best_epoch` on every metrics line; older runs
    without that field get the arg-max of the metric."""
    metric = str(config.get("early_stopping") or "val_ndcg")
    epochs = [m for m in lines if isinstance(m, Mapping) and m.get("epoch") is not None]
    if not epochs:
        return None, metric
    logged = epochs[-1].get("best_epoch")
    if logged:
        return int(logged), metric
    scored = [m for m in epochs if m.get(metric) is not None]
    if not scored:
        return None, metric
    return int(max(scored, key=lambda m: (float(m[metric]), -int(m["epoch"])))["epoch"]), metric


def eta_seconds(epoch_seconds: Sequence[float], done: int, total: int | None) -> float | None:
    """Seconds left for the remaining epochs at the mean pace so far (None: no pace yet,
    or no known total). Early stopping may end the run sooner; evaluation comes after."""
    paces = [float(s) for s in epoch_seconds if s is not None and s == s and s > 0]
    if not paces or not total:
        return None
    return max(0, int(total) - int(done)) * sum(paces) / len(paces)


def run_summary_frame(runs: Sequence[Mapping], models: Sequence[str],
                      labels: Mapping[str, str]) -> pd.DataFrame:
    """One row per run for the comparison table, as the page prints it ('—' for missing).

    runs: dicts with run_id, active (bool), state, epochs (completed), selected_epoch,
    val_at_selected (validation R-precision at that epoch), last_loss and overall
    ({model: overall test R-precision}). One 'R-prec.' column per model in `models`.
    """
    def number(v, fmt: str) -> str:
        return "—" if v is None or (isinstance(v, float) and v != v) else format(v, fmt)

    rows = []
    for r in runs:
        row = {"run_id": r["run_id"], "active": bool(r.get("active")),
               "state": str(r.get("state") or "—"),
               "epochs": number(r.get("epochs"), ","),
               "selected_epoch": number(r.get("selected_epoch"), "d"),
               "val_at_selected": number(r.get("val_at_selected"), ".4f"),
               "last_loss": number(r.get("last_loss"), ".4f")}
        overall = r.get("overall") or {}
        for m in models:
            row[f"{labels.get(m, m)} R-prec."] = number(overall.get(m), ".4f")
        rows.append(row)
    columns = ["run_id", "active", "state", "epochs", "selected_epoch", "val_at_selected",
               "last_loss", *[f"{labels.get(m, m)} R-prec." for m in models]]
    return pd.DataFrame(rows, columns=columns)


def models_in(evaluations: Sequence[Mapping]) -> list[str]:
    """The models evaluated in any of these evaluation documents, in MODELS order."""
    found = {m for ev in evaluations for m in ((ev or {}).get("overall") or {})}
    return [m for m in MODELS if m in found] + sorted(found - set(MODELS))


def served_contrast(evaluation: pd.DataFrame, document: Mapping, metric: str,
                    metric_label: str, labels: Mapping[str, str]) -> str | None:
    """Why the served model serves although another scores higher on the test table
    (None when the served model is also the best here, or nothing was evaluated)."""
    best = best_model(evaluation, metric)
    served = served_by(document)
    if best is None or best == served:
        return None
    name, winner = labels.get(served, served), labels.get(best, best)
    scores = (document.get("validation") or {}).get("overall") or {}
    if document.get("served") and served in scores and best in scores:
        basis = (f"the served model is chosen on the validation playlists by NDCG "
                 f"({name} {scores[served]['ndcg']:.4f}, {winner} {scores[best]['ndcg']:.4f}), "
                 "never on these test playlists")
    elif document.get("served"):
        basis = "the served model is chosen on the validation playlists, never on these"
    else:
        basis = ("this run was evaluated before the served model was chosen on validation "
                 "playlists, so its GraphSAGE model serves")
    return (f"{winner} scores higher than {name} on overall {metric_label} here, "
            f"yet {name} serves: {basis}.")


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
