"""Training: per-run curves, a comparison of runs, and the evaluation table."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.frames import charts, reranker_frames, run_frames
from dashboard.reads import recommender, training_runs
from dashboard.settings import load_settings

STATE_LABELS = {"running": "Training", "evaluating": "Evaluating", "done": "Done",
                "failed": "Failed", "cancelled": "Cancelled"}
VAL_METRICS = ("val_r_precision", "val_ndcg", "val_recall@100")

settings = load_settings()
home = str(settings.home)
runs = training_runs.all_runs(home)
active = recommender.serving_run_id(home)

st.title("Training runs")
st.caption("GraphSAGE runs on the catalog's playlist–track graph. Each run logs loss and "
           "validation metrics per epoch, then is evaluated on held-out playlists beside the "
           "baselines; only a run that finished evaluating becomes the model in use.")
if not runs:
    st.info("No training run yet. Start one with **Retrain** in the sidebar; its curves "
            "appear here while it trains.", icon=":material/model_training:")
    st.stop()

by_id = {r.run_id: r for r in runs}


def _run_label(run_id: str) -> str:
    run = by_id[run_id]
    tag = " · in use" if run_id == active else ""
    return f"{run_id} — {STATE_LABELS.get(run.state, run.state).lower()}{tag}"


ids = list(by_id)
selected = st.selectbox("Run", ids, index=ids.index(active) if active in by_id else 0,
                        format_func=_run_label, key="train_run")
run = by_id[selected]
metrics = run_frames.metrics_frame({run.run_id: run.metrics})

row = st.columns(5)
epochs_total = run.status.get("epochs") or run.config.get("epochs")
row[0].metric("State", STATE_LABELS.get(run.state, run.state), border=True)
row[1].metric("Epochs", f"{len(metrics)}" + (f" / {epochs_total}" if epochs_total else ""),
              border=True)
best_val = metrics["val_r_precision"].max() if len(metrics) else float("nan")
row[2].metric("Best val. R-precision", "—" if pd.isna(best_val) else f"{best_val:.4f}",
              border=True)
last_loss = metrics["loss"].iloc[-1] if len(metrics) else float("nan")
row[3].metric("Last loss", "—" if pd.isna(last_loss) else f"{last_loss:.4f}", border=True)
seconds = metrics["seconds"].mean() if len(metrics) else float("nan")
device = next((m.get("device") for m in reversed(run.metrics) if m.get("device")), None)
row[4].metric("Seconds per epoch", "—" if pd.isna(seconds) else f"{seconds:.1f}", border=True,
              help=f"Device: {device}" if device else None)
if run.state == "failed" and run.status.get("message"):
    st.error(f"This run failed: {run.status['message']}")

if metrics.empty:
    st.info("No epoch finished yet.")
else:
    val_metric = st.segmented_control("Validation metric", VAL_METRICS, default=VAL_METRICS[0],
                                      required=True, key="train_val_metric",
                                      format_func=lambda m: charts.METRIC_LABELS[m].replace(
                                          "Validation ", ""))
    left, right = st.columns(2, gap="large")
    left.altair_chart(charts.training_curve_chart(metrics, "loss"), width="stretch")
    right.altair_chart(charts.training_curve_chart(metrics, val_metric), width="stretch")

if run.config:
    with st.expander("Configuration of this run"):
        config = pd.DataFrame({"setting": list(run.config),
                               "value": [str(v) for v in run.config.values()]})
        st.dataframe(config, hide_index=True, width="stretch")

# ---- evaluation -------------------------------------------------------------------
st.subheader("Evaluation on held-out playlists")
evaluation = run_frames.evaluation_frame(run.evaluation)
if evaluation.empty:
    st.info("This run has not been evaluated (yet).")
else:
    st.caption("RecSys Challenge 2018 protocol: playlists never seen in training, given their "
               "title and a few seed tracks (the scenario); every model ranks all tracks and is "
               "scored on the hidden rest. Clicks: pages of 10 until the first hit (lower is "
               "better). Best value per scenario in bold.")
    protocol = run.evaluation.get("protocol") or {}
    if protocol.get("test_playlists"):
        st.caption(f"{protocol['test_playlists']:,} held-out playlists, "
                   f"{protocol.get('cases', 0):,} scenario cases, "
                   f"{protocol.get('tracks_ranked', 0):,} tracks ranked per case; "
                   f"overall = {protocol.get('overall', 'mean over scenarios')}.")
    note = run_frames.served_note(run.evaluation, charts.MODEL_LABELS)
    if note:
        st.info(note, icon=":material/recommend:")
    metric = st.segmented_control("Metric", run_frames.EVAL_METRICS, default="r_precision",
                                  required=True, format_func=charts.METRIC_LABELS.get,
                                  key="train_eval_metric")
    singles = evaluation[evaluation["model"] != "reranked"]  # GraphSAGE against the baselines
    best = run_frames.best_model(singles, metric)
    gnn = singles[(singles["scenario"] == "overall") & (singles["model"] == "gnn")]
    baselines = singles[(singles["scenario"] == "overall") & (singles["model"] != "gnn")]
    if not gnn.empty and not baselines.dropna(subset=[metric]).empty:
        label = charts.METRIC_LABELS[metric]
        if best == "gnn":
            st.success(f"GraphSAGE beats every baseline on overall {label}.")
        else:
            st.warning(f"GraphSAGE does not beat the baselines on overall {label}: "
                       f"{charts.MODEL_LABELS.get(best, best)} is best.")
    st.altair_chart(charts.evaluation_chart(evaluation, metric), width="stretch")
    pivot, best_cols = run_frames.metric_pivot(evaluation, metric, charts.MODEL_LABELS)
    model_cols = [c for c in pivot.columns if c not in ("scenario", "playlists")]
    pivot["scenario"] = pivot["scenario"].map(run_frames.scenario_label)
    styled = pivot.style.format({c: "{:.4f}" for c in model_cols}, na_rep="—").apply(
        lambda r: ["font-weight: 700" if c == best_cols[r.name] else "" for c in r.index],
        axis=1)
    st.dataframe(styled, hide_index=True, width="stretch",
                 column_config={"scenario": "Scenario",
                                "playlists": st.column_config.NumberColumn("Playlists")})

    importances = reranker_frames.importance_frame(run.evaluation)
    if not importances.empty:
        report = run.evaluation["reranker"]
        st.markdown("**Two-stage model: what the re-ranker uses**")
        st.caption(f"Candidates: the top {report['candidates']} of "
                   f"{', '.join(charts.MODEL_LABELS.get(m, m) for m in report['sources'])} "
                   f"({report['mean_candidates']:.0f} per playlist on average, holding "
                   f"{report['candidate_recall']['overall']:.1%} of the hidden tracks on "
                   f"validation); LightGBM lambdarank re-orders them, trained in "
                   f"{report['seconds']['total']:.0f} s. Share of each feature in the total gain:")
        st.altair_chart(reranker_frames.importance_chart(importances), width="stretch")

# ---- comparison -------------------------------------------------------------------
st.subheader("Compare runs")
if len(runs) < 2:
    st.caption("Only one run so far; retrain to compare.")
else:
    chosen = st.multiselect("Runs", ids, default=ids[:min(4, len(ids))], key="train_compare")
    compare_metric = st.selectbox("Curve", ("loss", *VAL_METRICS),
                                  format_func=charts.METRIC_LABELS.get, key="train_compare_metric")
    if chosen:
        frame = run_frames.metrics_frame({i: by_id[i].metrics for i in chosen})
        if not frame.empty:
            st.altair_chart(charts.training_curve_chart(frame, compare_metric), width="stretch")
        summary = []
        for i in chosen:
            m = run_frames.metrics_frame({i: by_id[i].metrics})
            ev = run_frames.evaluation_frame(by_id[i].evaluation)
            overall = ev[ev["scenario"] == "overall"].set_index("model")["r_precision"] \
                if not ev.empty else pd.Series(dtype=float)
            summary.append({"run_id": i, "active": i == active, "state": by_id[i].state,
                            "epochs": len(m),
                            "last_loss": m["loss"].iloc[-1] if len(m) else None,
                            "best_val_r_precision": m["val_r_precision"].max() if len(m) else None,
                            "gnn_r_precision": overall.get("gnn"),
                            "itemknn_r_precision": overall.get("itemknn"),
                            "popularity_r_precision": overall.get("popularity")})
        st.dataframe(run_frames.run_summary_frame(summary), hide_index=True, width="stretch",
                     column_config={
                         "run_id": "Run", "active": st.column_config.CheckboxColumn("In use"),
                         "state": "State", "epochs": "Epochs",
                         "last_loss": st.column_config.NumberColumn("Last loss", format="%.4f"),
                         "best_val_r_precision": st.column_config.NumberColumn(
                             "Best val R-prec.", format="%.4f"),
                         "gnn_r_precision": st.column_config.NumberColumn(
                             "GraphSAGE R-prec.", format="%.4f"),
                         "itemknn_r_precision": st.column_config.NumberColumn(
                             "Item kNN R-prec.", format="%.4f"),
                         "popularity_r_precision": st.column_config.NumberColumn(
                             "Popularity R-prec.", format="%.4f")})
