"""First start on a fresh home, as the pages see it: the bundled sample's load and the first
training run are background jobs (`dashboard.jobs.first_start`); this module starts them
when due (`start`) and draws the load's progress above every page until it is done (`show`).

The app's first script run in a server process starts the load whatever happened to an
earlier one (killed with the app, say); later runs show a failed load with a Retry button
instead of retrying it on every rerun. A page may be left, the tab closed: the job goes on,
and the panel picks up where it stands on the next visit.
"""
from __future__ import annotations

import streamlit as st

from dashboard.frames.formatting import count
from dashboard.jobs import first_start, runner
from dashboard.settings import DashboardSettings
from data.home import BUNDLED_SAMPLE

POLL_S = 1.0
LOADING_LABEL = "First start: loading the bundled sample into a new catalog…"


def start(settings: DashboardSettings) -> first_start.FirstStart | Exception:
    """Start the sample load or the first training when due. Draws nothing, so the app
    calls it before its first Streamlit command: a session that ends at once (a page
    switch, a closed tab) cannot stop it before the job exists."""
    try:
        return first_start.ensure_started(settings, restart_failed=_is_server_start(settings),
                                          sample_dir=BUNDLED_SAMPLE)
    except Exception as exc:  # corrupt file, schema from a newer version, unreadable home
        return exc


def show(settings: DashboardSettings, state: first_start.FirstStart | Exception) -> None:
    """Above the page: an unreadable catalog (and stop), a failed load, or its progress."""
    if isinstance(state, Exception):
        st.error(f"Cannot open the catalog in {settings.home} ({state}). Point "
                 "PLAYLISTGRAPH_HOME at another directory or move the file away, then reload.")
        st.stop()
    if not state.needed:
        if st.session_state.pop("_sample_loading", False):
            st.toast(f"Loaded the bundled sample: {state.progress.playlists:,} playlists."
                     + (" A first model trains in the background." if settings.autotrain
                        else ""), icon=":material/check_circle:")
        return
    if not state.available:
        st.error(f"The catalog is empty and the bundled sample is missing ({BUNDLED_SAMPLE}). "
                 "Ingest MPD slices with `python -m data ingest PATH` (or restore data/sample/), "
                 "then reload this page.", icon=":material/error:")
        st.stop()
    if state.job.state == "failed" and not state.job.running:
        st.error(f"Loading the bundled sample failed: {state.job.message or 'see the log'}. "
                 "Retry, or ingest MPD slices with `python -m data ingest PATH`.",
                 icon=":material/error:")
        if st.button("Retry loading the sample", key="sample_retry"):
            try:
                first_start.start_load(settings)
            except runner.JobAlreadyRunning:
                pass
            st.rerun()
        return
    st.session_state["_sample_loading"] = True
    st.fragment(_loading_panel, run_every=POLL_S)(settings)


def _is_server_start(settings: DashboardSettings) -> bool:
    """True the first time this server process asks for this home: the app's start, where
    a load killed with the previous app is started again."""
    key = str(settings.home)
    seen = _server_homes()
    if key in seen:
        return False
    seen.add(key)
    return True


@st.cache_resource(show_spinner=False)
def _server_homes() -> set[str]:
    return set()


def _loading_panel(settings: DashboardSettings) -> None:
    state = first_start.first_start(settings, BUNDLED_SAMPLE)
    if not state.job.running:
        st.rerun(scope="app")  # done (or failed): every page redraws with the whole sample
    progress = state.progress
    total = len(progress.slices) + (1 if progress.features_file else 0)
    done = len(progress.slices_done) + (1 if progress.features_done else 0)
    features = ("audio features imported" if progress.features_done else
                "audio features after the last slice" if progress.features_file else
                "no audio features file")
    # A bordered box, not st.status: a status shows "complete" as soon as the script run
    # ends, and this run ends at once while the job goes on.
    with st.container(border=True):
        st.markdown(f":material/downloading: **{LOADING_LABEL}**")
        st.progress(done / max(1, total),
                    text=f"{len(progress.slices_done)} of {len(progress.slices)} slices · "
                         f"{count(progress.playlists, 'playlist')} · {features}")
        st.caption(f"Reading MPD-format slices from `{BUNDLED_SAMPLE.name}/` into "
                   f"`{settings.home}` in the background: open other pages or close the tab, "
                   "the load goes on. The first model trains once the whole sample is in.")
