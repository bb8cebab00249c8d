"""The Overview's "Bundled sample" panel: how many generated sample playlists the catalog
holds, and a confirmed button that removes them as the background `remove-sample` job
(`python -m data remove-sample`, one transaction; data.sample_removal)."""
from __future__ import annotations

import streamlit as st

from dashboard.jobs import runner
from dashboard.settings import DashboardSettings

REMOVE_JOB = "remove-sample"
POLL_S = 1.0


def render(settings: DashboardSettings, sample_playlists: int) -> None:
    """The panel; nothing when the catalog holds no sample and no removal ran."""
    job = runner.job_status(REMOVE_JOB, settings.home)
    if job.running:
        st.fragment(_follow, run_every=POLL_S)(settings)
        return
    if job.state == "failed":
        st.error(f"Removing the bundled sample failed: {job.message}. See "
                 f"{runner.log_path(REMOVE_JOB, settings.home)}, then try again.",
                 icon=":material/error:")
    if not sample_playlists:
        if job.state == "done":
            st.caption("The bundled sample was removed; the figures above are without it.")
        return
    st.subheader("Bundled sample")
    st.markdown(f"The catalog holds **{sample_playlists:,}** playlists of the bundled "
                "generated sample (made-up titles and tracks, there so the app works out of "
                "the box). Remove them before ingesting real MPD data, so the model and the "
                "statistics describe your data only. Tracks, artists, albums and audio "
                "features that only the sample held go too; a model trained on the sample "
                "keeps serving until you retrain.")
    sure = st.checkbox(f"Yes, remove the {sample_playlists:,} sample playlists",
                       key="remove_sample_confirm")
    if st.button("Remove the bundled sample", icon=":material/delete:", disabled=not sure,
                 key="remove_sample"):
        try:
            runner.start_job(REMOVE_JOB, "data", ["remove-sample"], home=settings.home)
        except runner.JobAlreadyRunning as exc:
            st.warning(str(exc))
            return
        st.rerun()


def _follow(settings: DashboardSettings) -> None:
    job = runner.job_status(REMOVE_JOB, settings.home)
    if job.running:
        st.info("Removing the bundled sample…", icon=":material/hourglass_top:")
        return
    st.rerun(scope="app")  # done: every figure on the page changes
