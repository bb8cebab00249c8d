"""Training: per-run curves, the evaluation table and a comparison of runs.

While a training job runs, the page body is a fragment that re-reads the run files every
two seconds, so the curves grow and the state, epoch and ETA of the running run show;
the selector follows the running run.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.frames import charts, reranker_frames, run_frames
from dashboard.frames.formatting import duration, when
from dashboard.jobs import first_start, runner, training_job
from dashboard.reads import recommender, training_runs
from dashboard.settings import load_settings

POLL_S = 2.0
STATE_LABELS = {"running": "Training", "evaluating": "Evaluating", "done": "Done",
                "failed": "Failed", "cancelled": "Cancelled"}
VAL_METRICS = ("val_r_precision", "val_ndcg", "val_recall@100")
MAX_COMPARED = 5

settings = load_settings()
home = str(settings.home)

st.title("Training runs")
st.caption("GraphSAGE runs on the catalog's playlist–track graph. Each run logs loss and "
           "validation metrics per epoch, then is evaluated on held-out playlists beside the "
           "baselines; only a run that finished evaluating becomes the model in use.")


def _state_label(run: training_runs.RunView) -> str:
    """The run's state; a running run before its first epoch is still starting."""
    if run.state == "running" and not run.metrics:
        return "Starting"
    return STATE_LABELS.get(run.state, run.state)


def _selected_frame(runs: list[training_runs.RunView]) -> pd.DataFrame:
    """run_id, epoch: each run's selected epoch (for the dashed rules on the curves)."""
    rows = [(r.run_id, run_frames.selected_epoch(r.metrics, r.config)[0]) for r in runs]
    return pd.DataFrame([(i, e) for i, e in rows if e is not None], columns=["run_id", "epoch"])


def _header(run: training_runs.RunView, progress: training_job.TrainingProgress,
            metrics: pd.DataFrame) -> None:
    row = st.columns([1.4, 1, 1, 1, 1, 1])  # room for "Evaluating"
    row[0].metric("State", _state_label(run), border=True)
    total = f" / {progress.epochs}" if progress.epochs else ""
    row[1].metric("Epochs", f"{len(metrics)}{total}", border=True)
    chosen, by = run_frames.selected_epoch(run.metrics, run.config)
    by_label = charts.METRIC_LABELS.get(by, by).replace("Validation ", "validation ")
    row[2].metric("Selected epoch", "—" if chosen is None else f"{chosen}", border=True,
                  help=f"The epoch whose weights the run keeps and serves: the best "
                       f"{by_label} so far. Dashed lines mark it on the curves.")
    row[3].metric("Val. R-precision", "—" if progress.val_r_precision is None
                  else f"{progress.val_r_precision:.4f}", border=True,
                  help="Validation R-precision at the selected epoch.")
    row[4].metric("Last loss", "—" if progress.loss is None else f"{progress.loss:.4f}",
                  border=True)
    seconds = metrics["seconds"].mean() if len(metrics) else float("nan")
    device = next((m.get("device") for m in reversed(run.metrics) if m.get("device")), None)
    pace = "—" if pd.isna(seconds) else f"{seconds:.1f} s per epoch"
    if progress.eta_s is not None:
        row[5].metric("ETA", f"{duration(progress.eta_s)}", border=True,
                      help=f"For the epochs left at {pace}; early stopping may end the run "
                           "sooner, and evaluation follows.")
    else:
        row[5].metric("s per epoch", "—" if pd.isna(seconds) else f"{seconds:.1f}",
                      border=True, help=f"Device: {device}" if device else None)
    if run.state == "failed" and run.status.get("message"):
        st.error(f"This run failed: {run.status['message']}")
    elif run.state in ("running", "evaluating") and run.status.get("message"):
        st.caption(f"Now: {run.status['message']}")


def _curves(run: training_runs.RunView, metrics: pd.DataFrame) -> None:
    if metrics.empty:
        st.info("No epoch finished yet; the curves appear after the first one.",
                icon=":material/hourglass_top:")
        return
    val_metric = st.segmented_control("Validation metric", VAL_METRICS, default=VAL_METRICS[0],
                                      required=True, key="train_val_metric",
                                      format_func=lambda m: charts.METRIC_LABELS[m].replace(
                                          "Validation ", ""))
    selected = _selected_frame([run])
    left, right = st.columns(2, gap="large")
    left.altair_chart(charts.training_curve_chart(metrics, "loss", selected), width="stretch")
    right.altair_chart(charts.training_curve_chart(metrics, val_metric, selected),
                       width="stretch")


def _evaluation(run: training_runs.RunView) -> None:
    st.subheader("Evaluation on held-out playlists")
    evaluation = run_frames.evaluation_frame(run.evaluation)
    if evaluation.empty:
        st.info("This run has not been evaluated (yet).")
        return
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
    label = charts.METRIC_LABELS[metric]
    singles = evaluation[evaluation["model"] != "reranked"]  # GraphSAGE against the baselines
    best = run_frames.best_model(singles, metric)
    gnn = singles[(singles["scenario"] == "overall") & (singles["model"] == "gnn")]
    baselines = singles[(singles["scenario"] == "overall") & (singles["model"] != "gnn")]
    if not gnn.empty and not baselines.dropna(subset=[metric]).empty:
        if best == "gnn":
            st.success(f"GraphSAGE beats every baseline on overall {label}.")
        else:
            st.warning(f"GraphSAGE does not beat the baselines on overall {label}: "
                       f"{charts.MODEL_LABELS.get(best, best)} is best.")
    contrast = run_frames.served_contrast(evaluation, run.evaluation, metric, label,
                                          charts.MODEL_LABELS)
    if contrast:
        st.info(contrast, icon=":material/help:")
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


def _compare(runs: list[training_runs.RunView], active: str | None,
             job: runner.JobStatus) -> None:
    st.subheader("Compare runs")
    if len(runs) < 2:
        st.caption("Only one run so far; retrain to compare.")
        return
    by_id = {r.run_id: r for r in runs}
    ids = list(by_id)
    chosen = st.multiselect(f"Runs (up to {MAX_COMPARED})", ids,
                            default=ids[:min(MAX_COMPARED, len(ids))],
                            max_selections=MAX_COMPARED, key="train_compare")
    if not chosen:
        return
    compare_metric = st.segmented_control("Curve", ("loss", *VAL_METRICS), default="loss",
                                          required=True, format_func=charts.METRIC_LABELS.get,
                                          key="train_compare_metric")
    picked = [by_id[i] for i in chosen]
    frame = run_frames.metrics_frame({r.run_id: r.metrics for r in picked})
    if not frame.empty:
        st.altair_chart(charts.training_curve_chart(frame, compare_metric,
                                                    _selected_frame(picked), height=320),
                        width="stretch")
    models = run_frames.models_in([r.evaluation for r in picked])
    summary = []
    for r in picked:
        progress = training_job.run_progress(job, r)
        ev = run_frames.evaluation_frame(r.evaluation)
        overall = (ev[ev["scenario"] == "overall"].set_index("model")["r_precision"].to_dict()
                   if not ev.empty else {})
        summary.append({"run_id": r.run_id, "active": r.run_id == active,
                        "state": STATE_LABELS.get(r.state, r.state),
                        "epochs": len([m for m in r.metrics if m.get("epoch") is not None]),
                        "selected_epoch": progress.selected_epoch,
                        "val_at_selected": progress.val_r_precision,
                        "last_loss": progress.loss, "overall": overall})
    table = run_frames.run_summary_frame(summary, models, charts.MODEL_LABELS)
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={
                     "run_id": "Run", "active": st.column_config.CheckboxColumn("In use"),
                     "state": "State", "epochs": "Epochs",
                     "selected_epoch": st.column_config.TextColumn(
                         "Selected epoch", help="The epoch whose weights the run serves."),
                     "val_at_selected": st.column_config.TextColumn(
                         "Val. R-prec.", help="Validation R-precision at the selected epoch."),
                     "last_loss": "Last loss"})
    st.caption("R-prec. columns: overall R-precision on the run's held-out test playlists, "
               "per model; — where a run was not evaluated or did not train that model.")


def _starting(job: runner.JobStatus) -> None:
    """A training job whose run has no directory yet (Python is loading the model code)."""
    st.markdown("**New run**")
    row = st.columns([1.4, 5])
    row[0].metric("State", "Starting", border=True)
    row[1].caption(f"Started {when(job.started_at)}. Now: starting the trainer; next it reads "
                   "the catalog and builds the graph snapshot, then the curves appear here "
                   "epoch by epoch.")


def _no_run_yet() -> None:
    sample = runner.job_status(first_start.SAMPLE_JOB, settings.home)
    last = runner.job_status(training_job.TRAIN_JOB, settings.home)
    if sample.running:
        st.info("The first training run starts by itself once the bundled sample has loaded "
                "(its progress is shown above).", icon=":material/hourglass_top:")
    elif last.state == "failed":
        st.error(f"The last training job failed before its run began: "
                 f"{last.message or 'see the log'}. Fix the cause, then **Retrain**.",
                 icon=":material/error:")
    else:
        st.info("No training run yet. Start one with **Retrain** in the sidebar; its curves "
                "appear here while it trains.", icon=":material/model_training:")


def _page() -> None:
    runs = training_runs.all_runs(home)
    job = runner.job_status(training_job.TRAIN_JOB, settings.home)
    live = training_job.training_progress(settings).run_id if job.running else None
    if job.running and live is None:
        _starting(job)
        if runs:
            st.divider()
    if not runs:
        if not job.running:
            _no_run_yet()
        return
    active = recommender.serving_run_id(home)
    by_id = {r.run_id: r for r in runs}
    ids = list(by_id)
    default = live if live in by_id else active if active in by_id else ids[0]

    def label(run_id: str) -> str:
        run = by_id[run_id]
        tag = " · in use" if run_id == active else ""
        return f"{run_id} — {_state_label(run).lower()}{tag}"

    # A new key per running run, so the selector moves to a run that has just started.
    selected = st.selectbox("Run", ids, index=ids.index(default), format_func=label,
                            key=f"train_run-{live}" if live else "train_run")
    run = by_id[selected]
    metrics = run_frames.metrics_frame({run.run_id: run.metrics})
    _header(run, training_job.run_progress(job, run), metrics)
    _curves(run, metrics)
    if run.config:
        with st.expander("Configuration of this run"):
            config = pd.DataFrame({"setting": list(run.config),
                                   "value": [str(v) for v in run.config.values()]})
            st.dataframe(config, hide_index=True, width="stretch")
    _evaluation(run)
    _compare(runs, active, job)


training_now = runner.job_status(training_job.TRAIN_JOB, settings.home).running
st.fragment(_page, run_every=POLL_S if training_now else None)()
