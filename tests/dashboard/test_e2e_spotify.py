"""End to end in a real browser: the Spotify account loop against the local fake API.

`streamlit run dashboard/app.py` on a fresh home (no training: the co-occurrence baseline
serves), driven by Chromium through Playwright: sign in from the sidebar (the fake's
/authorize redirects back to the app with code and state), read the library, pick
"My top tracks (4 weeks)", get recommendations, save them; the fake then holds a private
playlist with exactly those URIs in that order (read from the page's CSV). Saving other
recommendations to the same name updates that playlist. Sign out deletes the token. No
token or secret shows in the page, the server log or the job logs. Screenshots go to
test-output/e2e/screenshots/spotify-*.png.

Run: `.venv/bin/python -m pytest tests/dashboard/test_e2e_spotify.py -m e2e -s`
"""
from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest

from tests.dashboard.streamlit_server import running_dashboard
from tests.dashboard.test_e2e_browser import (OUTPUT, _idle, _open, _shot,
                                              _sidebar_text, fake_spotify, page)

pytestmark = pytest.mark.e2e
__all__ = ["fake_spotify", "page"]  # fixtures shared with test_e2e_browser.py


@pytest.fixture
def app_url(home: Path, fake_spotify):
    """The dashboard on the fake API, without the default training run."""
    env = {**os.environ, **fake_spotify.env(), "PLAYLISTGRAPH_HOME": str(home),
           "PLAYLISTGRAPH_AUTOTRAIN": "0",
           "PLAYLISTGRAPH_SPOTIFY_API_BASE": fake_spotify.base_url,
           "PLAYLISTGRAPH_SPOTIFY_TOKEN_URL": fake_spotify.token_url}
    # No --server.address: the repository's .streamlit/config.toml binds 127.0.0.1.
    with running_dashboard(env, OUTPUT / "streamlit-spotify.log") as url:
        yield url


def _csv_uris(page) -> list[str]:
    """The recommendations' URIs in rank order, from the page's own CSV download."""
    with page.expect_download() as download:
        page.get_by_text("Download CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    return [r["uri"] for r in sorted(rows, key=lambda r: int(r["rank"]))]


def _pick_list(page, text: str) -> None:
    page.get_by_test_id("stSelectbox").filter(has_text="Seeds from your account").click()
    page.get_by_role("option", name=text).click()
    _idle(page)


def test_sign_in_recommend_from_top_tracks_and_save_to_spotify(page, home: Path,
                                                              fake_spotify) -> None:
    fake = fake_spotify
    token_file = home / "spotify-user-token.json"
    page.get_by_role("heading", name="Catalog overview").wait_for(timeout=120_000)
    _idle(page, 120)

    # 1. Sign in from the sidebar: to the fake's /authorize and straight back to the app.
    _shot(page, "spotify-1-signed-out")
    page.get_by_role("link", name="Sign in with Spotify").click()
    name = fake.api.account.display_name(fake.user_id)
    page.get_by_test_id("stSidebar").get_by_text(f"Signed in as {name}").wait_for()
    _idle(page)
    assert "code=" not in page.url and "state=" not in page.url
    assert token_file.stat().st_mode & 0o777 == 0o600
    authorize = [r for r in fake.requests if r.path == "/authorize"]
    assert len(authorize) == 1 and authorize[0].status == 302
    _shot(page, "spotify-2-signed-in")

    # 2. My top tracks (4 weeks) as the seeds, read by the background job.
    _open(page, "Recommendations")
    page.get_by_test_id("stMain").get_by_text("My Spotify", exact=True).click()
    _idle(page)
    page.get_by_role("button", name="Read my Spotify library").click()
    page.get_by_text("Seeds from your account").wait_for(timeout=120_000)
    _idle(page)
    _pick_list(page, "My top tracks (4 weeks)")
    page.get_by_role("heading", name="Top 20 for My top tracks (4 weeks)").wait_for()
    _idle(page)
    assert not page.locator("iframe[src*='open.spotify.com/embed']").count()  # offline: off
    shown = _csv_uris(page)
    assert len(shown) == 20
    assert not set(shown) & set(fake.api.account.saved_tracks(fake.user_id))

    # 3. Save: a private playlist with exactly those URIs in that order, its link shown.
    page.get_by_role("button", name="Save 20 tracks to Spotify").click()
    page.get_by_text("Saved to a new private playlist").wait_for()
    _idle(page)
    [held] = fake.written_playlists
    assert held.uris == shown and held.public is False and held.owner_id == fake.user_id
    assert held.name == "PlaylistGraph: My top tracks (4 weeks)"
    link = page.get_by_role("link", name="Open it in Spotify ↗")
    assert link.get_attribute("href") == f"https://open.spotify.com/playlist/{held.id}"
    _shot(page, "spotify-3-saved")

    # 4. Other seeds saved to the same name: that playlist is updated, not duplicated.
    _pick_list(page, "My top tracks (6 months)")
    page.get_by_role("heading", name="Top 20 for My top tracks (6 months)").wait_for()
    _idle(page)
    again = _csv_uris(page)
    assert again != shown
    box = page.get_by_role("textbox", name="Playlist name")
    box.fill(held.name)
    box.press("Enter")
    _idle(page)
    page.get_by_role("button", name="Save 20 tracks to Spotify").click()
    page.get_by_text("Updated your private playlist").wait_for()
    _idle(page)
    assert len(fake.written_playlists) == 1 and held.uris == again
    _shot(page, "spotify-4-updated")

    # 5. Nothing secret in the page, the server's log or the jobs' logs.
    secrets = [*fake.accounts.issued_tokens(), fake.client_secret]
    seen = page.content() + page.get_by_test_id("stApp").inner_text()
    seen += (OUTPUT / "streamlit-spotify.log").read_text(errors="replace")
    seen += "".join(p.read_text(errors="replace") for p in (home / "jobs").rglob("*")
                    if p.is_file())
    assert not [s for s in secrets if s in seen]

    # 6. Sign out: the token file (and what was read from the account) is deleted.
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("link", name="Sign in with Spotify").wait_for()
    _idle(page)
    assert not token_file.exists() and not (home / "spotify-library.json").exists()
    assert "Signed in as" not in _sidebar_text(page)
    _shot(page, "spotify-5-signed-out")
