"""AppTest: the Spotify account on the dashboard against the fake API.

Sign-in from the sidebar (the link's PKCE parameters, Spotify's redirect back with code
and state, the 0600 token, the display name, sign-out deleting the token), "My Spotify"
seeds read by the background job with the user's known tracks left out, Save to Spotify
(the fake then holds that private playlist, in order; saving again updates it), the
one-line message for a missing scope, and the password when the app is served to others.
"""
from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from streamlit import config as st_config

from crawler.auth import PrivateTokenFile
from data.home import USER_TOKEN_FILE
from data.sample import generate_sample
from data.store import Catalog, PlaylistRecord
from testkit.fake_spotify import FakeSpotify
from testkit.job_wait import wait_for_job
from tests.dashboard.apptest_helpers import open_page, texts

pytestmark = pytest.mark.usefixtures("no_autotrain")
ALL_SCOPES = ("playlist-read-private playlist-read-collaborative user-library-read "
              "user-top-read playlist-modify-private")


@pytest.fixture(scope="module")
def account_sample(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("account-sample")
    generate_sample(120, 7, out)
    return out


@pytest.fixture
def fake(account_sample: Path, home: Path, monkeypatch: pytest.MonkeyPatch):
    """The fake API, the dashboard pointed at it, and a catalog holding its playlists."""
    with FakeSpotify(account_sample) as server:
        for name, value in {**server.env(), "PLAYLISTGRAPH_SPOTIFY_API_BASE": server.base_url,
                            "PLAYLISTGRAPH_SPOTIFY_TOKEN_URL": server.token_url}.items():
            monkeypatch.setenv(name, value)
        with Catalog.open(home) as catalog, catalog.write():
            for p in server.catalog.playlists:
                ids = catalog.upsert_tracks(list(p.tracks))
                pid = catalog.upsert_playlist(PlaylistRecord("mpd", str(p.pid), p.name))
                catalog.set_playlist_tracks(pid, [ids[t.uri] for t in p.tracks])
        yield server


@pytest.fixture
def loopback_only():
    """Restore the server address after a test that opens the app up."""
    before = st_config.get_option("server.address")
    yield
    st_config.set_option("server.address", before)


def _sign_in_url(at) -> str | None:
    for block in (at.sidebar, at.main):
        for element in block.markdown:
            found = re.search(r'href="([^"]+)"[^>]*class="pg-sign-in"', str(element.value))
            if found:
                return html.unescape(found.group(1))
    return None


def _signed_in(fake: FakeSpotify, home: Path, scope: str = ALL_SCOPES) -> None:
    PrivateTokenFile(home / USER_TOKEN_FILE).save_token_to_cache(
        fake.issue_user_token(scope=scope))


def test_sign_in_from_the_sidebar_and_sign_out(fake: FakeSpotify, home: Path) -> None:
    at = open_page()
    url = _sign_in_url(at)
    assert url is not None and url.startswith(fake.origin + "/authorize?")
    query = {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}
    assert query["client_id"] == fake.client_id and query["code_challenge_method"] == "S256"
    assert set(query["scope"].split()) == set(ALL_SCOPES.split())  # no public or other scopes
    assert query["redirect_uri"].startswith("http://127.0.0.1:")
    # The browser follows the link; the fake approves and redirects back to the app.
    back = requests.get(url, allow_redirects=False, timeout=5).headers["Location"]
    returned = {k: v[-1] for k, v in parse_qs(urlsplit(back).query).items()}
    assert returned["state"] == query["state"]
    for name, value in returned.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    token = home / USER_TOKEN_FILE
    assert token.stat().st_mode & 0o777 == 0o600
    name = fake.api.account.display_name(fake.user_id)
    assert any(f"Signed in as **{name}**" in m.value for m in at.sidebar.markdown)
    assert "code" not in at.query_params and "state" not in at.query_params
    page = texts(at) + "".join(str(m.value) for m in at.sidebar.markdown)
    assert not [t for t in fake.accounts.issued_tokens() if t in page]
    at.button(key="spotify_sign_out").click().run()
    assert not token.exists()
    assert _sign_in_url(at) is not None


def test_a_replayed_callback_is_refused(fake: FakeSpotify, home: Path) -> None:
    at = open_page()
    url = _sign_in_url(at)
    back = requests.get(url, allow_redirects=False, timeout=5).headers["Location"]
    returned = {k: v[-1] for k, v in parse_qs(urlsplit(back).query).items()}
    for name, value in {**returned, "state": "not-the-state"}.items():
        at.query_params[name] = value
    at.run()
    assert "expired or was already used" in " ".join(str(e.value) for e in at.sidebar.error)
    assert not (home / USER_TOKEN_FILE).exists()


def _recommend_from_top_tracks(at, fake: FakeSpotify):
    from dashboard.jobs import runner
    at.switch_page("views/recommendations.py").run()
    at.segmented_control(key="rec_mode").set_value("My Spotify").run()
    at.button(key="rec_read_library").click().run()
    status = wait_for_job("spotify-library", timeout_s=120)
    assert status.state == "done", status.message
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    lists = at.selectbox(key="rec_account_list")
    assert lists.options[:4] == [
        f"My saved tracks — {len(fake.api.account.saved_tracks(fake.user_id)):,} tracks",
        *[f"My top tracks ({span}) — {len(fake.api.account.top_tracks(fake.user_id, r)):,} "
          "tracks" for r, span in (("short_term", "4 weeks"), ("medium_term", "6 months"),
                                   ("long_term", "all time"))]]
    lists.set_value("top:short_term").run()
    assert not at.exception, [e.value for e in at.exception]
    return _shown_uris(at)


def _shown_uris(at) -> list[str]:
    """The track URIs of the recommendations table, in rank order (from its Spotify links)."""
    links = at.main.dataframe[-1].value["link"]
    return ["spotify:track:" + link.rsplit("/", 1)[1] for link in links]


def test_my_top_tracks_recommend_new_tracks_and_save_them_in_order(fake: FakeSpotify,
                                                                 home: Path) -> None:
    _signed_in(fake, home)
    at = open_page()
    shown = _recommend_from_top_tracks(at, fake)
    known = set(fake.api.account.saved_tracks(fake.user_id))
    assert len(shown) == 20 and not set(shown) & known  # only tracks new to the user
    at.button(key="rec_save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    [held] = fake.written_playlists
    assert held.uris == shown and held.public is False
    assert held.name == "PlaylistGraph: My top tracks (4 weeks)"
    assert "PlaylistGraph" in held.description and "My top tracks (4 weeks)" in held.description
    success = " ".join(str(s.value) for s in at.success)
    assert f"https://open.spotify.com/playlist/{held.id}" in success
    at.slider(key="rec_k").set_value(30).run()
    at.button(key="rec_save").click().run()
    assert len(fake.written_playlists) == 1  # updated, not a second playlist
    assert held.uris == _shown_uris(at) and len(held.uris) == 30
    assert "Updated your private playlist" in " ".join(str(s.value) for s in at.success)


def test_saving_without_the_scope_says_which_and_offers_to_sign_in_again(
        fake: FakeSpotify, home: Path) -> None:
    _signed_in(fake, home, ALL_SCOPES.replace(" playlist-modify-private", ""))
    at = open_page()
    _recommend_from_top_tracks(at, fake)
    at.button(key="rec_save").click().run()
    [error] = [str(e.value) for e in at.main.error]
    assert "playlist-modify-private" in error and "sign in again" in error and "\n" not in error
    assert _sign_in_url(at) is not None and not fake.written_playlists


def _unlock(at, password: str) -> None:
    """Type the password and submit the form in one run (a form sends its values on submit)."""
    at.sidebar.text_input(key="dashboard_pw").input(password)
    [button] = [b for b in at.sidebar.button if b.label == "Unlock"]
    button.click().run()


def test_reading_the_library_without_its_scope_says_which_and_offers_to_sign_in_again(
        fake: FakeSpotify, home: Path) -> None:
    """A token from `python -m crawler --user-auth` (playlist-read scopes only)."""
    from dashboard.jobs import runner
    _signed_in(fake, home, "playlist-read-private playlist-read-collaborative")
    at = open_page("recommendations")
    at.segmented_control(key="rec_mode").set_value("My Spotify").run()
    at.button(key="rec_read_library").click().run()
    assert wait_for_job("spotify-library", timeout_s=120).state == "failed"
    at.run()
    [error] = [str(e.value) for e in at.main.error]
    assert "user-library-read" in error and "sign in again" in error and "\n" not in error
    assert _sign_in_url(at) is not None
    assert not [t for t in fake.accounts.issued_tokens() if t in error]


def test_served_to_others_needs_the_password(fake: FakeSpotify, home: Path,
                                             loopback_only) -> None:
    from dashboard.access import set_password
    st_config.set_option("server.address", "0.0.0.0")
    at = open_page()
    assert _sign_in_url(at) is None
    assert "has no password" in " ".join(str(c.value) for c in at.sidebar.caption)
    set_password(home, "correct horse")
    assert "correct horse" not in (home / "dashboard-password").read_text()
    at = open_page()
    assert _sign_in_url(at) is None
    _unlock(at, "wrong password")
    assert _sign_in_url(at) is None and "Wrong password." in [e.value for e in at.sidebar.error]
    _unlock(at, "correct horse")
    assert _sign_in_url(at) is not None


def test_saving_is_refused_when_served_to_others_without_the_password(
        fake: FakeSpotify, home: Path, loopback_only) -> None:
    _signed_in(fake, home)
    st_config.set_option("server.address", "0.0.0.0")
    at = open_page("recommendations")
    at.segmented_control(key="rec_mode").set_value("Track list").run()
    at.segmented_control(key="rec_mode").set_value("My Spotify").run()
    assert "has no password" in texts(at)
    assert not [b for b in at.button if b.key in ("rec_save", "rec_read_library")]


@pytest.mark.parametrize("setting, shown", [("auto", False), ("on", True)])
def test_the_embed_player_is_off_offline_and_plays_the_chosen_track_when_on(
        fake: FakeSpotify, home: Path, monkeypatch: pytest.MonkeyPatch, setting: str,
        shown: bool) -> None:
    """"auto" with the fake API (offline) leaves it off; "on" embeds the chosen track."""
    monkeypatch.setenv("PLAYLISTGRAPH_SPOTIFY_EMBED", setting)
    _signed_in(fake, home)
    at = open_page()
    uris = _recommend_from_top_tracks(at, fake)
    assert at.toggle(key="rec_embed_on").value is shown
    frames = [e.proto.src for e in at.main.get("iframe")]
    if not shown:
        assert frames == []
        return
    assert frames == [f"https://open.spotify.com/embed/track/{uris[0].rsplit(':', 1)[1]}"]
    [choice] = [b for b in at.main.selectbox if b.key.startswith("rec_embed_track")]
    choice.set_value(uris[3]).run()
    assert [e.proto.src for e in at.main.get("iframe")] == [
        f"https://open.spotify.com/embed/track/{uris[3].rsplit(':', 1)[1]}"]
    assert "preview" not in " ".join(frames)  # no preview URLs: Spotify removed them
