"""AppTest: the Embedding map shows the served run's stored projection, computes it in the
background when the run has none, and highlights a playlist's tracks and recommendations."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from dashboard.jobs import runner as jobs
from testkit.job_wait import wait_for_job
from data.home import runs_dir
from ml.pipeline.project_run import load_projection
from tests.dashboard.apptest_helpers import open_page, selectbox, texts
from tests.dashboard.conftest import sql

pytestmark = pytest.mark.usefixtures("no_autotrain")
RUN = "20250101-000000-aaaa"


def _served_run(home: Path) -> Path:
    """A run whose GraphSAGE vectors put the rock tracks (A–D) at one end, chill at the other."""
    ids = [r[0] for r in sql(home, "SELECT id FROM tracks ORDER BY id")]
    run = runs_dir(home) / RUN
    run.mkdir(parents=True)
    np.savez(run / "serving.npz", track_ids=np.array(ids, np.int64))
    states = np.zeros((1, len(ids), 3), np.float32)
    states[0, :, 0] = np.linspace(-1, 1, len(ids))
    states[0, :, 1] = np.arange(len(ids)) % 2
    np.save(run / "track_states.npy", states)
    (run / "evaluation.json").write_text(json.dumps({"served": "gnn"}))
    (run / "status.json").write_text(json.dumps({"state": "done"}))
    (runs_dir(home) / "ACTIVE").write_text(RUN + "\n")
    return run


def _drawn_rows(at) -> dict[str, int]:
    """{'points' or 'highlight': rows} of the data frames the map carries."""
    out = {}
    for chart in at.main.get("vega_lite_chart"):
        for dataset in chart.proto.datasets:
            table = pa.ipc.open_stream(dataset.data.data).read_all()
            out["highlight" if "role" in table.column_names else "points"] = table.num_rows
    return out


def test_no_model_yet_says_so(home: Path, tiny: dict) -> None:
    at = open_page("embedding")
    assert "No trained model yet" in at.main.info[0].value


def test_projection_is_computed_once_in_the_background_then_drawn(
        home: Path, tiny: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAYLISTGRAPH_PROJECTION_ARGS", "--method pca --clusters 2")
    run = _served_run(home)
    at = open_page("embedding")
    assert "Projecting the track vectors of run" in texts(at)
    status = wait_for_job("project", home, timeout_s=120)
    assert status.state == "done", status.message
    assert status.command == ["ml.pipeline.project_run", RUN, "--method", "pca", "--clusters", "2"]
    stored = load_projection(run)
    assert len(stored.track_ids) == 7 and stored.method == "pca"

    at.run()
    assert not at.exception
    assert "7 of 7 tracks drawn (PCA of the GraphSAGE track vectors" in texts(at)
    # Rock Classics (A, B, C) is the first playlist found by "rock": its three tracks are
    # highlighted as seeds, and what the model in use recommends for them too.
    at.text_input(key="map_playlist_query").input("rock classics").run()
    assert selectbox(at, "map_playlist").value == tiny["pl:Rock Classics"]
    table = at.main.dataframe[-1].value
    seeds = table[table["role"] == "Seed track"]
    assert sorted(seeds["track"]) == ["Granite", "Highway Song", "Thunder Road Trip"]
    recommended = table[table["role"] == "Recommended"]
    assert len(recommended) > 0 and recommended["rank"].tolist()[0] == "1"
    assert not set(recommended["track"]) & set(seeds["track"])
    # The chart carries every sampled point and the highlighted ones, nothing per edge.
    assert _drawn_rows(at) == {"points": 7, "highlight": len(table)}
    # The next visit reads the stored projection; no second job.
    started = jobs.job_status("project", home).started_at
    open_page("embedding")
    assert jobs.job_status("project", home).started_at == started
