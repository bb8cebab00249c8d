"""Degree distributions as small frames: raw histogram, log-binned density, power-law fit.

Input is always a histogram {degree: number of nodes} (as `data.stats` computes it in
the database), so nothing here ever touches per-node or per-edge data.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class DegreeSummary:
    nodes: int  # nodes with degree >= 1
    mean: float
    median: float
    max: int
    slope: float | None  # log-log slope of the log-binned density (None: too few bins)
    fit_intercept: float | None  # log10 density at degree 1 on the fitted line


def histogram_frame(histogram: Mapping[int, int]) -> pd.DataFrame:
    """One row per distinct degree: degree, nodes, share (of all nodes)."""
    items = sorted((int(d), int(n)) for d, n in histogram.items() if int(d) > 0 and int(n) > 0)
    df = pd.DataFrame(items, columns=["degree", "nodes"])
    total = df["nodes"].sum()
    df["share"] = df["nodes"] / total if total else 0.0
    return df


def log_bins(histogram: Mapping[int, int], bins_per_decade: int = 5) -> pd.DataFrame:
    """Log-binned density: degree (geometric bin centre), lo, hi (inclusive), nodes, density.

    `density` is the share of nodes per unit of degree in the bin, comparable with the
    raw `share` of a single degree; log bins keep the sparse tail from looking like noise.
    """
    df = histogram_frame(histogram)
    columns = ["degree", "lo", "hi", "nodes", "density"]
    if df.empty:
        return pd.DataFrame(columns=columns)
    top = int(df["degree"].max())
    n_edges = max(2, int(np.ceil(np.log10(top + 1) * bins_per_decade)) + 1)
    edges = np.unique(np.floor(np.logspace(0, np.log10(top + 1), n_edges)).astype(np.int64))
    if edges[-1] <= top:
        edges = np.append(edges, top + 1)
    which = np.searchsorted(edges, df["degree"].to_numpy(), side="right") - 1
    counts = np.bincount(which, weights=df["nodes"].to_numpy(), minlength=len(edges) - 1)
    lo, hi = edges[:-1], edges[1:] - 1
    total = df["nodes"].sum()
    out = pd.DataFrame({
        "degree": np.sqrt(lo * hi.astype(float)),
        "lo": lo, "hi": hi,
        "nodes": counts[:len(lo)].astype(np.int64),
        "density": counts[:len(lo)] / (hi - lo + 1) / total,
    })
    return out[out["nodes"] > 0].reset_index(drop=True)


def fit_power_law(bins: pd.DataFrame) -> tuple[float, float] | None:
    """(slope, intercept) of a least-squares line through log10(density) vs log10(degree).

    A descriptive slope, not a test that the distribution is a power law. None when
    fewer than three bins are populated.
    """
    if len(bins) < 3:
        return None
    slope, intercept = np.polyfit(np.log10(bins["degree"].to_numpy(float)),
                                  np.log10(bins["density"].to_numpy(float)), 1)
    return float(slope), float(intercept)


def summarize(histogram: Mapping[int, int], fit: bool = True) -> DegreeSummary:
    """Mean, median, max; with `fit`, the power-law slope of the log-binned density
    (leave it off for distributions that are not heavy-tailed, e.g. playlist lengths)."""
    df = histogram_frame(histogram)
    if df.empty:
        return DegreeSummary(0, 0.0, 0.0, 0, None, None)
    degrees, nodes = df["degree"].to_numpy(), df["nodes"].to_numpy()
    total = int(nodes.sum())
    cumulative = np.cumsum(nodes)
    # Median of the expanded list of degrees (average of the two middle ones when even).
    lower = degrees[np.searchsorted(cumulative, (total + 1) // 2)]
    upper = degrees[np.searchsorted(cumulative, total // 2 + 1)]
    line = fit_power_law(log_bins(histogram)) if fit else None
    return DegreeSummary(
        nodes=total, mean=float((degrees * nodes).sum() / total),
        median=(float(lower) + float(upper)) / 2, max=int(degrees.max()),
        slope=line[0] if line else None, fit_intercept=line[1] if line else None)


def fit_line(summary: DegreeSummary, bins: pd.DataFrame) -> pd.DataFrame:
    """Two points of the fitted line over the binned range, for plotting."""
    if summary.slope is None or bins.empty:
        return pd.DataFrame(columns=["degree", "density"])
    xs = np.array([bins["degree"].min(), bins["degree"].max()], dtype=float)
    return pd.DataFrame({"degree": xs,
                         "density": 10 ** (summary.fit_intercept + summary.slope * np.log10(xs))})
