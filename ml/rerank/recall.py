"""Candidate recall: the share of a query's hidden tracks the first stage puts in front of
the re-ranker, by source and for the union, at the first stage's N or any smaller N
(a source's top-n' is its candidates ranked below n')."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ml.dataset.protocol import SCENARIOS, Case
from ml.rerank.candidates import CandidateBatch


def recall_rows(batch: CandidateBatch, cases: Sequence[Case], sources: Sequence[str],
                ns: Sequence[int]) -> list[dict[str, float]]:
    """Per case: {f"{source}@{n}": recall, f"together@{n}": recall} for each n in `ns`
    (each at most the batch's N; "together" at the batch's own N also counts candidates no
    source ranked, such as the title's tracks of a query without seeds)."""
    out = []
    for q, case in enumerate(cases):
        hidden = np.isin(batch.rows[q], case.hidden)
        total = max(len(case.hidden), 1)
        ranks = batch.ranks[q]
        row: dict[str, float] = {}
        for n in ns:
            proposed = ranks < n
            for m, name in enumerate(sources):
                row[f"{name}@{n}"] = float((hidden & proposed[:, m]).sum() / total)
            row[f"together@{n}"] = float((hidden & proposed.any(1)).sum() / total)
        row["together@all"] = float(hidden.sum() / total)
        out.append(row)
    return out


def recall_table(rows: Sequence[dict[str, float]], cases: Sequence[Case]) -> dict:
    """{"overall": {key: mean over scenarios}, "scenarios": {scenario: {key: mean}}}."""
    scenarios: dict[str, dict[str, float]] = {}
    for sc in SCENARIOS:
        mine = [r for r, c in zip(rows, cases) if c.scenario == sc.name]
        if mine:
            scenarios[sc.name] = {k: round(float(np.mean([r[k] for r in mine])), 4)
                                  for k in mine[0]}
    keys = next(iter(scenarios.values())).keys() if scenarios else []
    overall = {k: round(float(np.mean([s[k] for s in scenarios.values()])), 4) for k in keys}
    return {"overall": overall, "scenarios": scenarios}
