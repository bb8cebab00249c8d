"""Second stage: a LightGBM lambdarank model re-orders the first stage's candidates.

`TwoStage` is a `Ranker` like the single models: its scores put the re-ranked
candidates first (in the booster's order) and every other track after them, in the
first source's (GraphSAGE's) order, so a list is always full. `train_booster` learns
from queries cut from training playlists (seeds given, the rest hidden: label 1 for a
hidden candidate) and stops early on validation queries. The booster is saved in the
run directory as `reranker.txt` with `reranker.json` (sources, N, feature names).
"""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch import Tensor

from data.atomic import atomic_path, write_text_atomic
from ml.dataset.protocol import Case
from ml.errors import ArtifactError
from ml.models.ranking import Ranker
from ml.rerank.candidates import FirstStage
from ml.rerank.features import TrackContext, feature_names
from ml.rerank.recall import recall_rows
from ml.runs import layout
from ml.rerank.ann_stage import ranked_lists

PIPELINE_CHUNK = 32  # queries ranked while the next chunk's candidates are searched
RECALL_AT = (200, 500, 1000)  # candidate recall by source is reported at these N (and N)
_BELOW = 1e4  # non-candidates sit this far below any booster score (|score| << 1e4)


class TwoStage(Ranker):
    name = "reranked"

    def __init__(self, stage: FirstStage, context: TrackContext, booster):
        self.stage, self.context, self.booster = stage, context, booster
        self.feature_names = feature_names(stage.names)

    def scores(self, seeds: Sequence[np.ndarray], titles: Sequence[str]) -> Tensor:
        batch = self.stage.candidates(seeds, titles)
        features = self.context.features(batch, seeds, titles, self.stage.n)
        out = batch.fallback
        # batch.top holds each source's best score over the non-seed tracks (0 for none),
        # the largest finite value of `out`, whose seeds are already -inf.
        out -= torch.from_numpy(batch.top[:, :1]).to(out.device) + _BELOW
        sizes = [len(r) for r in batch.rows]
        if sum(sizes):
            predicted = np.split(self.booster.predict(np.concatenate(features), num_threads=1),
                                 np.cumsum(sizes)[:-1])
            for q, (cand, p) in enumerate(zip(batch.rows, predicted)):
                if len(cand):
                    cols = torch.from_numpy(cand).to(out.device)
                    first = out[q, cols].cpu().numpy()  # the first source's order (shifted)
                    out[q, cols] = torch.from_numpy(
                        _break_ties(p, first).astype(np.float32)).to(out.device)
        return out

    def recommend(self, seeds: Sequence[np.ndarray], titles: Sequence[str],
                  k: int) -> tuple[np.ndarray, np.ndarray]:
        """From indexes, a batch goes in chunks of PIPELINE_CHUNK queries, the next chunk's
        candidates searched on a thread while this chunk's are ranked: the searches (faiss,
        the sparse products) release the GIL, the features and lists mostly hold it, so on
        two cores they overlap (a batch of 128 at 2.26M tracks: ~15% more lists a second)."""
        if self.stage.indexed is None:
            return super().recommend(seeds, titles, k)
        chunks = [slice(s, s + PIPELINE_CHUNK) for s in range(0, len(seeds), PIPELINE_CHUNK)]
        if len(chunks) <= 1:  # one query (serving): no thread
            return self._ranked(self.stage.candidates(seeds, titles, fill=k), seeds, titles, k)

        def search(chunk: slice):
            return self.stage.candidates(seeds[chunk], titles[chunk], fill=k)

        parts = []
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="rerank-ahead") as ahead:
            pending = ahead.submit(search, chunks[0])
            for i, chunk in enumerate(chunks):
                batch = pending.result()
                if i + 1 < len(chunks):
                    pending = ahead.submit(search, chunks[i + 1])
                parts.append(self._ranked(batch, seeds[chunk], titles[chunk], k))
        return (np.concatenate([rows for rows, _ in parts]),
                np.concatenate([scores for _, scores in parts]))

    def _ranked(self, batch, seeds: Sequence[np.ndarray], titles: Sequence[str],
                k: int) -> tuple[np.ndarray, np.ndarray]:
        """The top-k lists of an indexed candidate batch: features, booster, order."""
        features = self.context.features(batch, seeds, titles, self.stage.n)
        sizes = [len(r) for r in batch.rows]
        flat = (self.booster.predict(np.concatenate(features), num_threads=1) if sum(sizes)
                else np.zeros(0))
        predicted = np.split(flat, np.cumsum(sizes)[:-1])
        return ranked_lists(batch, predicted, k, _BELOW, _break_ties)

    def explain(self, seeds: np.ndarray, title: str, rows: np.ndarray) -> dict[int, dict[str, float]]:
        """Per candidate row in `rows`: each feature's contribution to its score (SHAP values
        from the booster), for the tracks the two-stage model ranked for this query."""
        batch = self.stage.candidates([seeds], [title])
        features = self.context.features(batch, [seeds], [title], self.stage.n)[0]
        contrib = self.booster.predict(features, pred_contrib=True, num_threads=1)[:, :-1]
        at = {int(r): i for i, r in enumerate(batch.rows[0])}
        return {int(r): dict(zip(self.feature_names, contrib[at[int(r)]].tolist()))
                for r in rows if int(r) in at}

    def importances(self) -> dict[str, float]:
        """Each feature's share of the total gain, largest first."""
        gain = self.booster.feature_importance(importance_type="gain")
        total = float(gain.sum()) or 1.0
        pairs = sorted(zip(self.feature_names, gain.tolist()), key=lambda p: -p[1])
        return {name: round(g / total, 4) for name, g in pairs}


def _break_ties(predicted: np.ndarray, secondary: np.ndarray) -> np.ndarray:
    """`predicted` with equal values ordered by `secondary` (higher first), every distinct
    value's order kept: a booster of a few trees gives many candidates the same score, and
    those are then ordered as the first source orders them, not by track row."""
    distinct = np.unique(predicted)
    if len(distinct) == len(predicted):
        return predicted
    gap = float(np.diff(distinct).min()) if len(distinct) > 1 else 1.0
    order = np.argsort(-secondary, kind="stable")
    place = np.empty(len(predicted))
    place[order] = np.arange(len(predicted))
    return predicted + (1.0 - place / len(predicted)) * 0.5 * gap


@dataclass
class RankingSet:
    """Feature rows of many queries, grouped by query, with 0/1 labels."""
    features: np.ndarray  # float32 [N, F]
    labels: np.ndarray  # float32 [N]
    groups: list[int] = field(default_factory=list)  # rows per query, in order
    recall: list[float] = field(default_factory=list)  # hidden tracks among candidates, per query
    candidates: list[int] = field(default_factory=list)  # candidates per query


def ranking_set(stage: FirstStage, context: TrackContext, cases: Sequence[Case],
                batch_size: int = 128, keep_empty: bool = False,
                recall_out: list[dict] | None = None) -> RankingSet:
    """Candidates, features and labels for `cases`; queries whose candidates hold no hidden
    track teach nothing and are dropped (unless `keep_empty`). `recall_out`, when given,
    receives each case's candidate recall by source (`ml.rerank.recall.recall_rows`)."""
    feats, labels, groups, recall, sizes = [], [], [], [], []
    for start in range(0, len(cases), batch_size):
        chunk = cases[start:start + batch_size]
        seeds, titles = [c.seeds for c in chunk], [c.title for c in chunk]
        batch = stage.candidates(seeds, titles)
        rows = context.features(batch, seeds, titles, stage.n)
        if recall_out is not None:
            recall_out += recall_rows(batch, chunk, stage.names,
                                      sorted({n for n in RECALL_AT if n < stage.n} | {stage.n}))
        for case, cand, x in zip(chunk, batch.rows, rows):
            y = np.isin(cand, case.hidden).astype(np.float32)
            recall.append(float(y.sum() / len(case.hidden)))
            sizes.append(len(cand))
            if (y.sum() == 0 and not keep_empty) or len(cand) == 0:
                continue
            feats.append(x)
            labels.append(y)
            groups.append(len(cand))
    width = len(feature_names(stage.names))
    return RankingSet(np.concatenate(feats) if feats else np.zeros((0, width), np.float32),
                      np.concatenate(labels) if labels else np.zeros(0, np.float32),
                      groups, recall, sizes)


def train_booster(train: RankingSet, validation: RankingSet, names: list[str], *,
                  params: dict, rounds: int, patience: int, threads: int, seed: int):
    """A lambdarank booster, early-stopped on the validation queries' NDCG."""
    import lightgbm as lgb
    if not train.groups:
        raise ValueError("no training query has a hidden track among its candidates")
    full = {"objective": "lambdarank", "metric": "ndcg", "eval_at": [100], "verbosity": -1,
            "num_threads": threads, "seed": seed, "deterministic": True,
            "force_row_wise": True, **params}
    dtrain = lgb.Dataset(train.features, train.labels, group=train.groups, feature_name=names,
                         free_raw_data=True)
    callbacks = []
    valid_sets = []
    if validation.groups:
        valid_sets = [lgb.Dataset(validation.features, validation.labels,
                                  group=validation.groups, reference=dtrain)]
        callbacks.append(lgb.early_stopping(patience, verbose=False))
    return lgb.train(full, dtrain, num_boost_round=rounds, valid_sets=valid_sets,
                     callbacks=callbacks)


def save_booster(run_dir: Path, booster, sources: list[str], n: int, report: dict) -> None:
    with atomic_path(run_dir / layout.RERANKER_MODEL) as tmp:
        booster.save_model(str(tmp), num_iteration=booster.best_iteration or None)
    meta = {"sources": sources, "candidates": n, "features": feature_names(sources), **report}
    write_text_atomic(run_dir / layout.RERANKER_META, json.dumps(meta, indent=1))


def load_booster(run_dir: Path):
    """(booster, metadata) of a run's re-ranker; ArtifactError with what to do otherwise."""
    import lightgbm as lgb
    missing = [n for n in (layout.RERANKER_META, layout.RERANKER_MODEL)
               if not (run_dir / n).exists()]
    if missing:
        raise ArtifactError(f"{run_dir} has no re-ranker ({missing[0]} is missing); re-evaluate "
                            f"it with python -m ml evaluate {run_dir.name}")
    try:
        meta = json.loads((run_dir / layout.RERANKER_META).read_text(encoding="utf-8"))
        text = (run_dir / layout.RERANKER_MODEL).read_text(encoding="utf-8")
        # LightGBM aborts the whole process on a model file cut short: check that its last
        # sections are there before handing it over.
        if "\nend of trees\n" not in text or "\nend of parameters\n" not in text:
            raise ValueError(f"{layout.RERANKER_MODEL} is truncated")
        booster = lgb.Booster(model_str=text)
    except (ValueError, OSError, lgb.basic.LightGBMError) as exc:
        raise ArtifactError(f"{run_dir}: reranker files are corrupt ({str(exc)[:120]}); "
                            f"re-evaluate with python -m ml evaluate {run_dir.name}") from None
    if booster.feature_name() != meta.get("features"):
        raise ArtifactError(f"{run_dir}/reranker.txt does not match reranker.json; "
                            f"re-evaluate with python -m ml evaluate {run_dir.name}")
    return booster, meta
