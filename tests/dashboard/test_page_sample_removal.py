"""AppTest: the Overview tells the bundled sample apart and removes it, after a
confirmation, as a background job; every figure follows."""
from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.sections.sample_removal import REMOVE_JOB
from data.bundled import load_bundled_sample
from data.ingest import ingest
from data.sample import generate_sample
from data.store import Catalog
from tests.dashboard.apptest_helpers import metrics, open_page, texts
from tests.dashboard.conftest import sql
from testkit.job_wait import wait_for_job

pytestmark = pytest.mark.usefixtures("no_autotrain")


def test_overview_removes_the_sample_after_a_confirmation(home: Path, catalog: Catalog,
                                                          tmp_path: Path) -> None:
    generate_sample(60, 7, tmp_path / "sample", slice_size=30, gzip=True)
    generate_sample(40, 8, tmp_path / "real", slice_size=40)  # pids 0-39: the sample's too
    load_bundled_sample(catalog, progress=False, sample_dir=tmp_path / "sample")
    assert ingest(catalog, [tmp_path / "real"], progress=False).ok
    real_tracks = sql(home, "SELECT count(DISTINCT track_id) FROM playlist_tracks pt JOIN "
                            "playlists p ON p.id = pt.playlist_id WHERE p.source = 'mpd'")[0][0]

    at = open_page()
    shown = metrics(at)
    assert shown["Playlists"] == "100" and shown["MPD + sample playlists"] == "100"
    assert "**60** playlists of the bundled generated sample" in texts(at)
    button = at.button(key="remove_sample")
    assert button.disabled  # nothing happens without the confirmation
    at.checkbox(key="remove_sample_confirm").check().run()
    at.button(key="remove_sample").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert wait_for_job(REMOVE_JOB, home, timeout_s=60).state == "done"

    at = open_page()
    shown = metrics(at)
    assert shown["Playlists"] == "40" and shown["MPD playlists"] == "40"
    assert shown["Tracks"] == f"{real_tracks:,}"
    assert not at.checkbox  # no sample left: no panel
    assert sql(home, "SELECT source, count(*) FROM playlists GROUP BY source") == [("mpd", 40)]
