"""First start on a fresh home: load the bundled sample, then train a first model.

The sample is ingested in the app's process behind an `st.status` (a few seconds);
a process-wide lock makes a second browser session wait for the first instead of
ingesting alongside it. Training then starts as the background `train` job, once per
home: after that, retraining is the user's choice (sidebar).
"""
from __future__ import annotations

import threading
import time
from pathlib import Path

import streamlit as st

from dashboard.jobs import runner, training_job
from dashboard.reads.loaders import open_catalog
from dashboard.settings import DashboardSettings
from data.bundled import load_bundled_sample, needs_sample
from data.home import BUNDLED_SAMPLE
from ml.runs.directory import list_runs


@st.cache_resource
def _sample_lock() -> threading.Lock:
    return threading.Lock()


def ensure_catalog_ready(settings: DashboardSettings) -> None:
    """Load the bundled sample into an empty catalog and start the default training run."""
    try:
        with open_catalog(settings.home) as catalog:
            fresh = needs_sample(catalog)
    except Exception as exc:  # corrupt file, schema from a newer version, unreadable home
        st.error(f"Cannot open the catalog in {settings.home} ({exc}). Point PLAYLISTGRAPH_HOME "
                 "at another directory or move the file away, then reload.")
        st.stop()
    if fresh:
        _load_sample(settings)
    if settings.autotrain:
        start_default_training(settings)


def _load_sample(settings: DashboardSettings) -> None:
    if not any(BUNDLED_SAMPLE.glob("mpd.slice.*")):
        st.error(f"The catalog is empty and the bundled sample is missing ({BUNDLED_SAMPLE}). "
                 "Ingest MPD slices with `python -m data ingest PATH` (or restore data/sample/), "
                 "then reload this page.", icon=":material/error:")
        st.stop()
    with _sample_lock():
        with open_catalog(settings.home) as catalog:
            if not needs_sample(catalog):  # another session loaded it while we waited
                return
            with st.status("First start: loading the bundled sample playlists into a new "
                           "catalog…", expanded=True) as status:
                st.write(f"Reading MPD-format slices from `{BUNDLED_SAMPLE.name}/` into "
                         f"`{settings.home}`.")
                slices = sorted(BUNDLED_SAMPLE.glob("mpd.slice.*"))
                bar = st.progress(0.0, text=f"0 of {len(slices)} slices · 0 playlists")
                reached: list[Path] = []

                def on_slice(path: Path) -> None:
                    # Called as each slice begins: the ones before it are in the catalog.
                    done = len(reached)
                    reached.append(path)
                    bar.progress(done / max(1, len(slices)),
                                 text=f"{done} of {len(slices)} slices · "
                                      f"{catalog.count('playlists'):,} playlists · "
                                      f"reading {path.name}")

                started = time.perf_counter()
                report = load_bundled_sample(catalog, progress=False, sample_dir=BUNDLED_SAMPLE,
                                             on_slice=on_slice)
                bar.progress(1.0, text=f"{len(slices)} of {len(slices)} slices · "
                                       f"{catalog.count('playlists'):,} playlists")
                seconds = time.perf_counter() - started
                if not report.ok or report.playlists_added == 0:
                    problem = report.errors[0] if report.errors else "no playlists found"
                    status.update(label="Could not load the bundled sample", state="error")
                    st.error(f"{problem}. Ingest MPD slices with `python -m data ingest PATH`, "
                             "then reload this page.")
                    st.stop()
                st.write(f"{report.playlists_added:,} playlists and "
                         f"{report.playlist_track_rows:,} playlist tracks in {seconds:.1f} s.")
                status.update(label=f"Loaded the bundled sample: "
                                    f"{report.playlists_added:,} playlists", state="complete",
                              expanded=False)


def start_default_training(settings: DashboardSettings) -> None:
    """Start the first training run: once per home, only while no run exists."""
    if list_runs(settings.home):
        return
    status = runner.job_status(training_job.TRAIN_JOB, settings.home)
    if status.state != "idle":  # started before (running, finished or failed): user's call now
        return
    with open_catalog(settings.home) as catalog:
        if needs_sample(catalog):
            return
    try:
        training_job.start_training(settings)
    except runner.JobAlreadyRunning:
        return
    st.toast("Training a first model in the background. Until it is ready, recommendations "
             "come from the co-occurrence baseline.", icon=":material/model_training:")
