"""End to end in a real browser: a generated Spotify export imported with
`python -m data listening`, then the Listening page and "My listening" recommendations
in `streamlit run dashboard/app.py` (Chromium via Playwright, the helpers of
test_e2e_browser.py). Screenshots go to test-output/e2e/screenshots/listening-*.png.

Run: `.venv/bin/python -m pytest tests/dashboard/test_e2e_listening.py -m e2e -s`
"""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from tests.dashboard.streamlit_server import running_dashboard
from tests.dashboard.test_e2e_browser import (OUTPUT, _idle,  # noqa: F401
                                              _metric, _shot, _wait_for, page)

pytestmark = pytest.mark.e2e
LISTENER = "Test Listener"


ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def export_manifest(home: Path, tmp_path: Path):
    """The bundled sample and a generated two-year export, imported from the command line
    as a user does; the generator's manifest."""
    from data.store import Catalog
    from testkit.spotify_export import catalog_export_tracks, generate_history, write_export
    env = {**os.environ, "PLAYLISTGRAPH_HOME": str(home), "PLAYLISTGRAPH_AUTOTRAIN": "0"}
    subprocess.run([sys.executable, "-m", "data", "load-sample"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    with Catalog.open(home) as catalog:
        tracks = catalog_export_tracks(catalog.tracks())
    history = generate_history(tracks, plays=4000, start=datetime(2024, 1, 1), new_tracks=100)
    manifest = write_export(history, tmp_path / "my_spotify_data.zip", as_zip=True)
    done = subprocess.run([sys.executable, "-m", "data", "listening",
                           str(tmp_path / "my_spotify_data.zip"), "--as", LISTENER],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"{manifest.plays:,} plays added" in done.stdout
    return manifest


@pytest.fixture
def app_url(home: Path, export_manifest):
    """The dashboard on that home (no training: the co-occurrence baseline serves)."""
    env = {**os.environ, "PLAYLISTGRAPH_HOME": str(home), "PLAYLISTGRAPH_AUTOTRAIN": "0"}
    with running_dashboard(env, OUTPUT / "streamlit-listening.log") as url:
        yield url


def test_an_imported_export_on_the_listening_page_and_my_listening(page, export_manifest
                                                                    ) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text("Listening", exact=True).click()
    page.get_by_role("heading", name="Listening").first.wait_for()
    _idle(page)
    plays = _wait_for(lambda: _metric(page, "Plays"), 60, "the Plays metric")
    assert plays == f"{export_manifest.plays:,}"
    assert _metric(page, "Skip rate").endswith("%")
    # Six Altair charts: months, top artists, top tracks, day x hour, new vs repeat, overlap
    # (drawn by the browser a moment after the page's run).
    _wait_for(lambda: page.locator(".vega-embed canvas, .vega-embed svg").count() >= 6, 60,
              "the six charts")
    assert page.locator(".vega-embed").count() == 6
    assert page.get_by_text("Also in the catalog's other sources").count() == 1
    _shot(page, "listening-page")

    page.get_by_test_id("stSidebarNav").get_by_text("Recommendations", exact=True).click()
    page.get_by_role("heading", name="Recommendations").first.wait_for()
    _idle(page)
    page.get_by_text("My listening", exact=True).click()
    _idle(page, 120)
    page.get_by_text("Top", exact=False).filter(has_text=f"{LISTENER}'s listening").first \
        .wait_for(timeout=120_000)
    assert page.get_by_text("tracks Test Listener played are left out").count() == 1
    _shot(page, "listening-my-recommendations")
