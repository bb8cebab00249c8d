"""Scoring models on held-out cases and reporting them side by side (pure: no files).

Reading a run's files, fitting its baselines and writing its `evaluation.json` are in
`ml.pipeline.evaluate_run`. The evaluation's shape:
    {"overall": {MODEL: {metric: value}},
     "scenarios": {SCENARIO: {MODEL: {metric: value}, "n": playlists}},
     "protocol": {...how the numbers were made...}}
"overall" weighs every scenario equally (as the challenge's equal-sized categories
did); a scenario's value is the mean over its playlists.
"""
from __future__ import annotations

import sys
from typing import Sequence, TextIO

import numpy as np
from tqdm import tqdm

from ml.dataset.protocol import SCENARIOS, Case
from ml.evaluation.metrics import MAX_RECOMMENDATIONS, METRIC_NAMES, mean_metrics, playlist_metrics
from ml.models.ranking import Ranker


def evaluate_rankers(rankers: Sequence[Ranker], cases: list[Case], track_artist: np.ndarray, *,
                     batch_size: int = 128, progress: bool = False, err: TextIO = sys.stderr,
                     rows_out: dict | None = None) -> dict:
    """Rank all tracks for every case with every model; metrics per scenario and overall.
    `rows_out`, when given, receives the per-case metrics: {model: {scenario: [dict with
    "playlist"]}}, for `ml.evaluation.bootstrap`."""
    per_model: dict[str, dict[str, list[dict]]] = {}
    total = len(rankers) * ((len(cases) + batch_size - 1) // batch_size)
    bar = tqdm(total=total, desc="evaluating", unit="batch", disable=not progress, file=err,
               dynamic_ncols=True, leave=False)
    for ranker in rankers:
        rows: dict[str, list[dict]] = {}
        for start in range(0, len(cases), batch_size):
            batch = cases[start:start + batch_size]
            seeds = [c.seeds for c in batch]
            ranked, _ = ranker.recommend(seeds, [c.title for c in batch], MAX_RECOMMENDATIONS)
            for case, row in zip(batch, ranked):
                rows.setdefault(case.scenario, []).append(
                    {**playlist_metrics(row[row >= 0], case.hidden, track_artist),
                     "playlist": case.playlist})
            bar.update(1)
        per_model[ranker.name] = rows
    bar.close()
    if rows_out is not None:
        rows_out.update(per_model)
    return summarize(per_model)


def summarize(per_model: dict[str, dict[str, list[dict]]]) -> dict:
    scenarios: dict[str, dict] = {}
    order = [s.name for s in SCENARIOS]
    names = sorted({s for rows in per_model.values() for s in rows},
                   key=lambda s: (order.index(s) if s in order else len(order), s))
    for scenario in names:
        entry: dict = {}
        for model, rows in per_model.items():
            entry[model] = mean_metrics(rows.get(scenario, []))
        entry["n"] = max(len(rows.get(scenario, [])) for rows in per_model.values())
        scenarios[scenario] = entry
    overall = {model: {m: float(np.mean([scenarios[s][model][m] for s in scenarios]))
                       if scenarios else float("nan") for m in METRIC_NAMES}
               for model in per_model}
    return {"overall": overall, "scenarios": scenarios}


def evaluation_tables(evaluation: dict) -> str:
    """One fixed-width table per scenario, then overall; models as rows, metrics as columns."""
    blocks = []
    for scenario, entry in evaluation["scenarios"].items():
        models = {k: v for k, v in entry.items() if k != "n"}
        blocks.append(_table(f"{scenario} (n={entry['n']})", models))
    blocks.append(_table("overall (mean over scenarios)", evaluation["overall"]))
    return "\n\n".join(blocks)


def _table(title: str, models: dict[str, dict[str, float]]) -> str:
    head = f"{'model':<11}" + "".join(f"{m:>12}" for m in METRIC_NAMES)
    lines = [title, head, "-" * len(head)]
    for model, values in models.items():
        lines.append(f"{model:<11}" + "".join(f"{values[m]:>12.4f}" for m in METRIC_NAMES))
    return "\n".join(lines)


def served_model(validation_overall: dict[str, dict[str, float]]) -> str:
    """The model with the best validation NDCG (ties: the first listed, the GNN)."""
    return max(validation_overall, key=lambda m: validation_overall[m]["ndcg"])
