"""Is one model's lead over another more than noise? A paired bootstrap over playlists.

Test playlists are drawn with replacement, the same draw for both models and for every
scenario (a playlist is evaluated in several scenarios, so they are not independent);
each draw gives the mean per-scenario difference and their mean over scenarios, as the
overall figures are made. The 95% interval of those draws is the noise: a difference
whose interval lies wholly below 0 is a real loss.
"""
from __future__ import annotations

import numpy as np


def paired_bootstrap(rows: dict[str, dict[str, list[dict]]], model: str, baseline: str,
                     metric: str, *, resamples: int = 1000, seed: int = 0) -> dict:
    """`rows[model][scenario]`: per-case metric dicts carrying "playlist". Returns
    {"overall": {...}, "scenarios": {scenario: {...}}}, each {"diff", "low", "high"}:
    model minus baseline, observed and the 2.5/97.5 percentiles of the draws."""
    scenarios = [s for s in rows[model] if s in rows[baseline]]
    playlists = sorted({r["playlist"] for s in scenarios for r in rows[model][s]})
    column = {p: i for i, p in enumerate(playlists)}
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(playlists), (resamples, len(playlists)))
    weights = np.stack([np.bincount(d, minlength=len(playlists)) for d in draws]).astype(float)
    out: dict = {"scenarios": {}}
    observed, sampled = [], []
    for s in scenarios:
        a = {r["playlist"]: r[metric] for r in rows[model][s]}
        b = {r["playlist"]: r[metric] for r in rows[baseline][s]}
        common = sorted(set(a) & set(b))
        diff = np.array([a[p] - b[p] for p in common])
        w = weights[:, [column[p] for p in common]]
        means = (w * diff).sum(1) / np.maximum(w.sum(1), 1)
        observed.append(float(diff.mean()))
        sampled.append(means)
        out["scenarios"][s] = _interval(observed[-1], means)
    out["overall"] = _interval(float(np.mean(observed)), np.mean(sampled, axis=0))
    return out


def _interval(diff: float, draws: np.ndarray) -> dict:
    low, high = np.percentile(draws, [2.5, 97.5])
    return {"diff": round(diff, 5), "low": round(float(low), 5), "high": round(float(high), 5)}


def noise_against_single_models(evaluation: dict, rows: dict, model: str) -> dict:
    """`model` against the best other model of each scenario (and overall), on the test
    playlists' R-precision and NDCG: paired bootstrap intervals."""
    out: dict = {"method": "paired bootstrap over test playlists, 1000 draws, 95% interval",
                 "metrics": {}}
    for metric in ("r_precision", "ndcg"):
        per: dict = {}
        for scenario, entry in [("overall", evaluation["overall"]),
                                *evaluation["scenarios"].items()]:
            others = {m: v[metric] for m, v in entry.items() if m not in ("n", model)}
            best = max(others, key=others.get)
            result = paired_bootstrap(rows, model, best, metric)
            per[scenario] = {"against": best, **(result["overall"] if scenario == "overall"
                                                  else result["scenarios"][scenario])}
        out["metrics"][metric] = per
    return out


def noise_against(rows: dict, model: str, baselines: list[str]) -> dict:
    """`model` against each named baseline, in every scenario and overall, on the test
    playlists' R-precision and NDCG: {baseline: {metric: {scenario: {diff, low, high}}}}."""
    out: dict = {}
    for baseline in baselines:
        out[baseline] = {}
        for metric in ("r_precision", "ndcg"):
            result = paired_bootstrap(rows, model, baseline, metric)
            out[baseline][metric] = {"overall": result["overall"], **result["scenarios"]}
    return out
