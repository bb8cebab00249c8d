"""The sidebar: which model serves, retraining with live progress, the Spotify account.

The panel is a fragment that polls every two seconds while a training job runs (and
not at all otherwise). When the job ends, it reruns the whole app, so every page
picks up the new model in use.
"""
from __future__ import annotations

import streamlit as st

from dashboard.frames.formatting import MODEL_LABELS, duration, when
from dashboard.jobs import first_start, runner, training_job
from dashboard.reads import recommender
from dashboard.sections import spotify_account
from dashboard.settings import DashboardSettings

POLL_S = 2.0
APP_NAME = "PlaylistGraph"
APP_TAGLINE = "Spotify crawl + Million Playlist Dataset → GraphSAGE recommendations"
RUNNING_NOTICE = ("A training run is in progress, so Retrain is disabled until it ends; "
                  "the current model keeps serving meanwhile.")


def render(settings: DashboardSettings) -> None:
    running = runner.job_status(training_job.TRAIN_JOB, settings.home).running
    with st.sidebar:
        st.markdown(f"### :material/graphic_eq: {APP_NAME}")
        st.caption(APP_TAGLINE)
        st.fragment(_model_panel, run_every=POLL_S if running else None)(settings, running)
        spotify_account.render(settings)


def _model_panel(settings: DashboardSettings, was_running: bool) -> None:
    progress = training_job.training_progress(settings)
    if was_running and not progress.job.running:
        # The job ended: maybe a new model serves; refresh every page. (Its projection for
        # the Embedding map was started by the job's supervisor, browser or not.)
        st.rerun(scope="app")

    st.markdown("#### Model in use")
    run_id = recommender.serving_run_id(settings.home)
    if run_id:
        served = recommender.served_model(settings.home, run_id)
        st.markdown(f":material/hub: **{MODEL_LABELS.get(served, served)}**")
        st.caption(f"run {run_id}")
    else:
        st.markdown(":material/join_inner: **Co-occurrence baseline**")
        st.caption("No trained model yet; recommendations use item co-occurrence.")

    running = progress.job.running
    # A run started during the first start's load would train on part of the sample.
    loading = runner.job_status(first_start.SAMPLE_JOB, settings.home).running
    if st.button("Retrain", icon=":material/model_training:", type="primary",
                 key="retrain", width="stretch", disabled=running or loading,
                 help="Disabled while a training run is in progress." if running else
                 "Disabled while the bundled sample loads; the first run starts after it."
                 if loading else
                 "Train a new model on the catalog as it is now, in the background."):
        try:
            training_job.start_training(settings)
        except runner.JobAlreadyRunning:
            pass  # another session started one a moment ago: the notice below says so
        st.rerun(scope="app")  # start polling
    if running and progress.state != "done":
        # Drawn on every poll, so it lasts as long as the run does. Once the run is done
        # and its job only exits, `_running` says it finished: not both at once.
        st.info(RUNNING_NOTICE, icon=":material/hourglass_top:")

    job = progress.job
    if job.running:
        _running(progress, settings)
    elif job.state == "failed":
        st.error(f"Last training failed: {job.message or 'see the log'}",
                 icon=":material/error:")
    elif job.state == "cancelled":
        st.caption(f"Last training was cancelled ({when(job.finished_at)}).")
    elif job.state == "done":
        st.caption(f"Last training finished {when(job.finished_at)}.")


def _running(progress: training_job.TrainingProgress, settings: DashboardSettings) -> None:
    if progress.run_id is None:
        st.info("Training is starting: building the graph snapshot…",
                icon=":material/hourglass_top:")
    elif progress.state == "done":  # the trainer is exiting; the new run already serves
        st.success(f"Run `{progress.run_id}` finished and was evaluated.",
                   icon=":material/check_circle:")
        return
    elif progress.state == "evaluating":
        st.info(f"Run `{progress.run_id}` trained; evaluating against the baselines on "
                "held-out playlists…", icon=":material/fact_check:")
    else:
        epoch = progress.epoch or 0
        total = f" / {progress.epochs}" if progress.epochs else ""
        st.progress(progress.fraction,
                    text=f"Run `{progress.run_id}` · {epoch}{total} epochs done")
        figures = []
        if progress.eta_s is not None:
            figures.append(f"about {duration(progress.eta_s)} left, then evaluation")
        if progress.loss is not None:
            figures.append(f"loss {progress.loss:.4f}")
        if progress.val_r_precision is not None:
            figures.append(f"val R-precision {progress.val_r_precision:.4f} "
                           f"(epoch {progress.selected_epoch})")
        if figures:
            st.caption(" · ".join(figures))
    if st.button("Cancel training", icon=":material/stop_circle:", key="cancel_training",
                 width="stretch"):
        training_job.cancel_training(settings)
        st.toast("Cancelling the training run…")
