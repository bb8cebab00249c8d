"""Altair charts as pure functions from small data frames (tested without Streamlit)."""
from __future__ import annotations

import altair as alt
import pandas as pd

from dashboard.frames.formatting import MODEL_LABELS
from dashboard.frames.run_frames import scenario_label

MODEL_COLORS = {"GraphSAGE": "#1DB954", "Popularity": "#B6BEC6", "Item kNN": "#4C78A8",
                "ALS": "#F58518", "Two-stage model": "#9467BD"}
METRIC_LABELS = {
    "loss": "Training loss",
    "val_r_precision": "Validation R-precision",
    "val_ndcg": "Validation NDCG",
    "val_recall@100": "Validation Recall@100",
    "r_precision": "R-precision", "ndcg": "NDCG", "clicks": "Clicks",
    "recall@20": "Recall@20", "recall@100": "Recall@100", "recall@500": "Recall@500",
}
_HEIGHT = 300


def _field(name: str) -> str:
    """Altair field name: '@', '.' and brackets have meanings in Vega-Lite field strings."""
    return name.replace(".", "\\.").replace("[", "\\[").replace("]", "\\]")


def degree_chart(raw: pd.DataFrame, bins: pd.DataFrame, fit: pd.DataFrame,
                 node_label: str, neighbour_label: str,
                 height: int = _HEIGHT + 80) -> alt.LayerChart:
    """Log–log degree distribution.

    raw:  degree, nodes, share (one row per distinct degree, faint points)
    bins: degree, lo, hi, nodes, density (log-binned, bold points)
    fit:  degree, density (two points of the fitted power-law line; may be empty)
    """
    x_title = f"Degree ({neighbour_label} per {node_label})"
    x = alt.X("degree:Q", scale=alt.Scale(type="log", nice=False), title=x_title,
              axis=alt.Axis(gridOpacity=0.5))
    y_scale = alt.Scale(type="log")
    layers = [
        alt.Chart(raw).mark_circle(size=18, opacity=0.35, color="#9aa5b1").encode(
            x=x, y=alt.Y("share:Q", scale=y_scale, title=f"Share of {node_label}s"),
            tooltip=[alt.Tooltip("degree:Q", title="degree"),
                     alt.Tooltip("nodes:Q", title=f"{node_label}s", format=","),
                     alt.Tooltip("share:Q", format=".2%")]),
        alt.Chart(bins).mark_line(point=alt.OverlayMarkDef(size=50, color="#1DB954"),
                                  color="#1DB954").encode(
            x=x, y=alt.Y("density:Q", scale=y_scale),
            tooltip=[alt.Tooltip("lo:Q", title="from degree"),
                     alt.Tooltip("hi:Q", title="to degree"),
                     alt.Tooltip("nodes:Q", title=f"{node_label}s", format=","),
                     alt.Tooltip("density:Q", title="share per degree", format=".2e")]),
    ]
    if not fit.empty:
        layers.append(alt.Chart(fit).mark_line(strokeDash=[6, 4], color="#e45756").encode(
            x=x, y=alt.Y("density:Q", scale=y_scale)))
    return alt.layer(*layers).properties(height=height)


# Runs in a comparison: distinct hues (Streamlit's own categorical palette starts with two
# blues), up to the five runs the comparison allows.
RUN_COLORS = ["#1DB954", "#E45756", "#4C78A8", "#F58518", "#B279A2"]


def training_curve_chart(metrics: pd.DataFrame, metric: str,
                         selected: pd.DataFrame | None = None,
                         height: int = _HEIGHT - 40) -> alt.LayerChart:
    """One line per run: `metric` by epoch, with a dashed rule at each run's selected epoch.

    metrics: run_id, epoch, <metric>; selected: run_id, epoch (the epoch whose weights
    serve; may be empty or None).
    """
    data = metrics[["run_id", "epoch", metric]].dropna()
    label = METRIC_LABELS.get(metric, metric)
    run_ids = list(dict.fromkeys(data["run_id"]))
    many = len(run_ids) > 1
    color = alt.Color("run_id:N", title="Run", sort=run_ids,
                      scale=alt.Scale(domain=run_ids,
                                      range=[RUN_COLORS[i % len(RUN_COLORS)]
                                             for i in range(len(run_ids))]),
                      legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=260)
                      if many else None)
    x = alt.X("epoch:Q", title="Epoch", axis=alt.Axis(format="d", tickMinStep=1),
              scale=alt.Scale(domainMin=1, nice=False))
    lines = alt.Chart(data).mark_line(point=alt.OverlayMarkDef(size=60)).encode(
        x=x,
        y=alt.Y(f"{_field(metric)}:Q", title=label,
                scale=alt.Scale(zero=False, padding=12), axis=alt.Axis(format=".3~g")),
        color=color,
        tooltip=[alt.Tooltip("run_id:N", title="run"), alt.Tooltip("epoch:Q", title="epoch"),
                 alt.Tooltip(f"{_field(metric)}:Q", title=label, format=".4f")])
    layers = [lines]
    if selected is not None and not selected.empty:
        marks = selected[selected["run_id"].isin(run_ids)].assign(
            note="selected epoch (its weights serve)")
        layers.append(alt.Chart(marks).mark_rule(strokeDash=[5, 4], size=2).encode(
            x="epoch:Q", color=color,
            tooltip=[alt.Tooltip("run_id:N", title="run"),
                     alt.Tooltip("epoch:Q", title="selected epoch"),
                     alt.Tooltip("note:N", title="")]))
    # The legend lists every run under the plot; the height is the plot's own.
    return alt.layer(*layers).properties(height=height, width="container", title=label)


def evaluation_chart(evaluation: pd.DataFrame, metric: str = "r_precision") -> alt.Chart:
    """Grouped bars: `metric` per scenario, one bar per model.

    evaluation: scenario, model, <metric> (as `run_frames.evaluation_frame` builds it).
    """
    label = METRIC_LABELS.get(metric, metric)
    data = evaluation[["scenario", "model", metric]].dropna().copy()
    data["model"] = data["model"].map(lambda m: MODEL_LABELS.get(m, m))
    data["scenario"] = data["scenario"].map(scenario_label)
    order = [MODEL_LABELS[m] for m in MODEL_LABELS if MODEL_LABELS[m] in set(data["model"])]
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("scenario:N", title="Scenario (seed tracks given)", sort=None,
                axis=alt.Axis(labelAngle=0, labelLimit=120)),
        xOffset=alt.XOffset("model:N", sort=order),
        y=alt.Y(f"{_field(metric)}:Q", title=label, axis=alt.Axis(format=".3~g")),
        color=alt.Color("model:N", title="Model", sort=order,
                        scale=alt.Scale(domain=order,
                                        range=[MODEL_COLORS.get(m, "#888888") for m in order]),
                        legend=alt.Legend(orient="bottom")),
        tooltip=["scenario:N", "model:N", alt.Tooltip(f"{_field(metric)}:Q", format=".4f")],
    ).properties(height=_HEIGHT, width="container")
