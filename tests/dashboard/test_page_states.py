"""A page never contradicts the sidebar, and no table shows NaN, None or a blank cell where
a value is expected: the Training page from the moment a run exists, and every page's
tables after a crawl that met unreachable (403) playlists."""
from __future__ import annotations

import math
import os
import signal
import time
from pathlib import Path

import pandas as pd
import pytest

from dashboard.jobs import runner as jobs
from testkit.job_wait import wait_for_job
from dashboard.jobs import training_job
from dashboard.settings import load_settings
from tests.dashboard.apptest_helpers import frame_with, open_page, texts
from tests.dashboard.test_page_crawl import _start, fake_api, fake_sample  # noqa: F401 (fixtures)
from tests.dashboard.test_sidebar_training import sample_dir, sampled  # noqa: F401 (fixtures)

pytestmark = pytest.mark.usefixtures("no_autotrain")

PAGES = ("overview", "degrees", "training", "recommendations", "embedding", "crawl")


def test_training_page_shows_a_run_that_is_starting(home: Path, sampled) -> None:
    """The trainer is frozen before its run directory exists (a moment that lasts seconds
    while Python imports torch): the page shows the starting run, as the sidebar does."""
    jobs_started = training_job.start_training(load_settings())
    supervisor = jobs_started.supervisor_pid
    os.killpg(supervisor, signal.SIGSTOP)
    try:
        at = open_page("training")
        assert not at.exception
        shown = texts(at)
        assert "No training run yet" not in shown
        assert {m.label: m.value for m in at.main.metric}["State"] == "Starting"
        assert "building the graph snapshot" in shown
        assert "Training is starting" in "\n".join(str(e.value) for e in at.sidebar.info)
    finally:
        os.killpg(supervisor, signal.SIGCONT)
        jobs.cancel_job("train", home)
        wait_for_job("train", home, timeout_s=60)


def _blank(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, str) and not value.strip()


def _blank_cells(at) -> list[tuple[str, str]]:
    """(column, row) of every blank cell in the page's tables."""
    out = []
    for element in at.main.dataframe:
        frame = element.value
        for column in frame.columns:
            for row, value in frame[column].items():
                if _blank(value):
                    out.append((column, str(row)))
    return out


def test_no_page_shows_blank_cells_after_a_crawl_with_unreachable_playlists(
        home: Path, tiny: dict, fake_api) -> None:  # noqa: F811
    at = open_page("crawl")
    _start(at, fake_api.catalog.seed_playlist().id, max_playlists=6, depth=1)
    status = wait_for_job("crawl", home, timeout_s=120)
    assert status.state == "done", status.message
    at.run()
    assert not at.exception
    listed = frame_with(at.main, "skipped")
    unreachable = listed[listed["status"] == "unreachable"]
    assert len(unreachable), "this sample and seed are known to meet restricted playlists"
    assert set(unreachable["tracks"]) == {"— (unreachable: 403)"}
    assert set(unreachable["skipped"]) == {"— (unreachable: 403)"}
    seed = listed[listed["depth"] == 0]
    assert list(seed["found_via"]) == ["seed"]
    assert _blank_cells(at) == []
    for page in PAGES:
        at.switch_page(f"views/{page}.py").run()
        assert not at.exception, page
        assert _blank_cells(at) == [], page
