"""The first start: the bundled sample loads as a background job, then the first run trains.

    python -m dashboard.jobs.first_start          # start what a fresh home needs (returns at once)
    python -m dashboard.jobs.first_start load     # (the `sample` job itself)

`scripts/run.sh` runs the first form before `streamlit run`, and the app's first script
run calls `ensure_started` too: whichever comes first starts the `sample` job, the job
lock makes the other a no-op. The job loads every slice and the audio features (each
recorded as done by `data.bundled`), then starts the first training run: only then, so
the first model never trains on part of the sample. A load that was killed (the app, the
machine) is finished by the next start.
"""
from __future__ import annotations

import argparse

import sys
from dataclasses import dataclass
from pathlib import Path

from dashboard.jobs import runner
from dashboard.settings import DashboardSettings, SettingsError, load_settings
from data.bundled import SampleProgress, load_bundled_sample, needs_sample, sample_progress, \
    sample_slices
from data.home import BUNDLED_SAMPLE
from data.store import Catalog
from ml.runs.directory import list_runs

SAMPLE_JOB = "sample"


@dataclass(frozen=True)
class FirstStart:
    """Where the first start stands: what the catalog recorded and the load job's status."""
    needed: bool  # the sample is not (completely) in and should be
    available: bool  # the bundled sample's slices exist on disk
    progress: SampleProgress
    job: runner.JobStatus


def first_start(settings: DashboardSettings, sample_dir: Path = BUNDLED_SAMPLE) -> FirstStart:
    """Read the state (raises what Catalog.open raises for an unreadable catalog)."""
    with Catalog.open(settings.home) as catalog:
        needed = needs_sample(catalog, sample_dir)
        progress = sample_progress(catalog, sample_dir)
    return FirstStart(needed=needed, available=bool(sample_slices(sample_dir)),
                      progress=progress, job=runner.job_status(SAMPLE_JOB, settings.home))


def start_load(settings: DashboardSettings) -> runner.JobStatus:
    """Start the `sample` job (JobAlreadyRunning while one runs)."""
    return runner.start_job(SAMPLE_JOB, "dashboard.jobs.first_start", ["load"],
                            home=settings.home)


def ensure_started(settings: DashboardSettings, *, restart_failed: bool,
                   sample_dir: Path = BUNDLED_SAMPLE) -> FirstStart:
    """Start the sample load if the sample is needed and no load runs, else the first
    training run if it is due. `restart_failed`: also after a load that failed or was
    killed (an app start does; a page run shows the failure and offers Retry instead, so
    a sample that cannot load is not retried on every rerun)."""
    state = first_start(settings, sample_dir)
    if state.needed:
        if state.available and not state.job.running and (
                restart_failed or state.job.state != "failed"):
            try:
                start_load(settings)
            except runner.JobAlreadyRunning:
                pass
            state = first_start(settings, sample_dir)
        return state
    if settings.autotrain:
        start_first_training(settings, sample_dir)
    return state


def start_first_training(settings: DashboardSettings,
                         sample_dir: Path = BUNDLED_SAMPLE) -> bool:
    """Start the first training run: once per home, only while no run exists, and only
    once the whole sample is in (slices and features). True if it started now."""
    from dashboard.jobs import training_job  # imports Streamlit: only when training is due

    if list_runs(settings.home):
        return False
    if runner.job_status(training_job.TRAIN_JOB, settings.home).state != "idle":
        return False  # started before (running, finished or failed): the user's call now
    with Catalog.open(settings.home) as catalog:
        if needs_sample(catalog, sample_dir):
            return False
    try:
        training_job.start_training(settings)
    except runner.JobAlreadyRunning:
        return False
    return True


def load(settings: DashboardSettings, sample_dir: Path = BUNDLED_SAMPLE) -> int:
    """The `sample` job: load every slice and the features, then start the first run."""
    slices = sample_slices(sample_dir)
    if not slices:
        print(f"error: the bundled sample is missing ({sample_dir}); ingest MPD slices with "
              "python -m data ingest PATH", flush=True)
        return 1
    with Catalog.open(settings.home) as catalog:
        def on_slice(path: Path) -> None:
            print(f"reading {path.name} ({slices.index(path) + 1} of {len(slices)}); "
                  f"{catalog.count('playlists'):,} playlists so far", flush=True)

        report = load_bundled_sample(catalog, progress=False, sample_dir=sample_dir,
                                     on_slice=on_slice)
        progress = sample_progress(catalog, sample_dir)
    print(report.summary(), flush=True)
    if not progress.complete:
        problem = report.errors[0] if report.errors else "not every slice was stored"
        print(f"error: {problem}; ingest MPD slices with python -m data ingest PATH, or "
              "restore data/sample/ and restart the app", flush=True)
        return 1
    print(f"loaded the bundled sample: {progress.playlists:,} playlists, audio features from "
          f"{progress.features_file or 'no file'}", flush=True)
    if settings.autotrain and start_first_training(settings, sample_dir):
        print("started the first training run", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dashboard.jobs.first_start",
        description="Start the first-start load of the bundled sample as a background job "
                    "(scripts/run.sh does this before the dashboard starts); 'load' runs the "
                    "load itself, as the job does.")
    parser.add_argument("step", nargs="?", choices=["load"], help="run the load in this process")
    args = parser.parse_args(argv)
    from streamlit.logger import set_log_level

    set_log_level("error")  # its "no runtime" warning means nothing outside the app
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.step == "load":
        return load(settings)
    try:
        state = ensure_started(settings, restart_failed=True)
    except Exception as exc:  # an unreadable catalog: the dashboard says what to do
        print(f"first start: cannot open the catalog in {settings.home} ({exc}); the "
              "dashboard will say what to do", file=sys.stderr)
        return 0
    if state.job.running:
        print(f"Loading the bundled sample into {settings.home} in the background; the "
              "dashboard shows its progress.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
