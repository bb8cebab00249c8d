"""The fake API answers like the 2026 Web API, to an unchanged spotipy client."""
from __future__ import annotations

import re

import pytest
import requests
import spotipy
from spotipy.cache_handler import MemoryCacheHandler
from spotipy.exceptions import SpotifyException, SpotifyOauthError
from spotipy.oauth2 import SpotifyClientCredentials

from crawler.config import ITEMS_PAGE_MAX, SEARCH_PAGE_MAX, CrawlConfig
from tests.crawler.conftest import REPO_ROOT
from testkit.fake_spotify import FakeSpotify
from testkit.fake_spotify.web_api import ITEMS_LIMIT, SEARCH_LIMIT

DESIGN = REPO_ROOT.parent / "shared" / "DESIGN.md"


def _spotipy(fake: FakeSpotify, secret: str | None = None) -> spotipy.Spotify:
    auth = SpotifyClientCredentials(fake.client_id, secret or fake.client_secret,
                                    cache_handler=MemoryCacheHandler())
    auth.OAUTH_TOKEN_URL = fake.token_url
    sp = spotipy.Spotify(auth_manager=auth, requests_session=requests.Session(), retries=0)
    sp.prefix = fake.base_url
    return sp


def _status(call) -> int:
    with pytest.raises(SpotifyException) as err:
        call()
    return err.value.http_status


def test_2026_shapes_and_access_rules(tiny: FakeSpotify):
    sp = _spotipy(tiny)
    cat = tiny.catalog
    public, restricted, spotify = cat.by_pid[0], cat.by_pid[3], cat.by_pid[4]
    page = sp.playlist_items(public.id)
    assert [e["item"]["uri"] for e in page["items"]] == [t.uri for t in public.tracks]
    assert "track" not in page["items"][0]
    assert "popularity" not in page["items"][0]["item"]
    legacy = sp.playlist_items(cat.by_pid[1].id)  # odd pids use the pre-2026 'track' key
    assert [e["track"]["uri"] for e in legacy["items"]] == [t.uri for t in cat.by_pid[1].tracks]
    meta = sp.playlist(restricted.id)  # metadata answers, items do not
    assert (meta["name"], meta["owner"]["id"], meta["tracks"]["total"]) == ("three", "bob", 2)
    assert _status(lambda: sp.playlist_items(restricted.id)) == 403
    assert _status(lambda: sp.playlist(spotify.id)) == 404
    assert _status(lambda: sp.playlist_items(spotify.id)) == 404
    assert _status(lambda: sp.artists(["A" * 22])) == 403  # batch artists: gone
    assert _status(lambda: sp._get("audio-features", ids="A" * 22)) == 403


def test_search_finds_playlists_holding_the_artist_ten_at_most(fake: FakeSpotify):
    sp = _spotipy(fake)
    artist = fake.catalog.seed_playlist().tracks[0].artists[0]
    holding = {p.id for p in fake.catalog.playlists
               if any(a.name == artist.name for t in p.tracks for a in t.artists)}
    first = sp.search(artist.name, limit=10, type="playlist")["playlists"]
    assert first["total"] >= len(holding) and len(first["items"]) == min(10, first["total"])
    assert {p["id"] for p in first["items"]} <= holding | {
        p.id for p in fake.catalog.playlists if artist.name.lower() in p.name.lower()}
    assert _status(lambda: sp.search(artist.name, limit=11, type="playlist")) == 400
    if first["total"] > 10:
        second = sp.next(first)["playlists"]  # paging by offset, as `next` says
        assert second["offset"] == 10
        assert not {p["id"] for p in first["items"]} & {p["id"] for p in second["items"]}


def test_items_page_by_the_api_maximum(fake: FakeSpotify):
    sp = _spotipy(fake)
    big = max((p for p in fake.catalog.playlists if p.access == "public"),
              key=lambda p: len(p.tracks))
    assert len(big.tracks) > 2 * ITEMS_LIMIT
    pages = [sp.playlist_items(big.id, limit=ITEMS_LIMIT)]
    while pages[-1]["next"]:
        pages.append(sp.next(pages[-1]))
    key = "track" if big.legacy else "item"
    uris = [e[key]["uri"] for page in pages for e in page["items"]]
    assert uris == [t.uri for t in big.tracks]
    assert len(pages) == -(-len(big.tracks) // ITEMS_LIMIT)
    assert pages[0]["total"] == len(big.tracks)


def _design_limits() -> dict[str, int]:
    """The page limits ../shared/DESIGN.md writes for the 2026 API."""
    if not DESIGN.is_file():
        pytest.skip(f"{DESIGN} is not in this checkout")
    text = " ".join(DESIGN.read_text(encoding="utf-8").split())
    items = re.search(r"Playlist items: at most (\d+) per page \(`limit` > (\d+) is a 400 "
                      r'"Invalid limit"\)', text)
    search = re.search(r"Search: at most (\d+) results per request \(`limit` > (\d+) is a "
                       r"400\)", text)
    assert items and search, "DESIGN.md no longer states the items and search limits"
    assert items[1] == items[2] and search[1] == search[2]
    return {"items": int(items[1]), "search": int(search[1])}


def test_the_fakes_limits_are_the_ones_design_md_states():
    limits = _design_limits()
    assert (ITEMS_LIMIT, SEARCH_LIMIT) == (limits["items"], limits["search"])
    # and the crawler asks for no more than that, by default and at most
    assert (CrawlConfig().items_page_size, ITEMS_PAGE_MAX) == (limits["items"],) * 2
    assert (CrawlConfig().search_page_size, SEARCH_PAGE_MAX) == (limits["search"],) * 2


def _answer(fake: FakeSpotify, path: str, **params) -> tuple[int, dict]:
    token = requests.post(fake.token_url, data={"grant_type": "client_credentials"},
                          auth=(fake.client_id, fake.client_secret)).json()["access_token"]
    answer = requests.get(fake.base_url + path, params=params,
                          headers={"Authorization": f"Bearer {token}"})
    return answer.status_code, answer.json()


@pytest.mark.parametrize("endpoint, most", [("items", "items"), ("search", "search")])
def test_a_limit_above_the_maximum_is_a_400_invalid_limit(tiny: FakeSpotify, endpoint: str,
                                                          most: str):
    """Just as the real API: the largest limit works, one more is refused with its body."""
    most = _design_limits()[most]
    path, params = ((f"playlists/{tiny.catalog.by_pid[0].id}/items", {}) if endpoint == "items"
                    else ("search", {"q": "Alpha", "type": "playlist"}))
    assert _answer(tiny, path, limit=most, **params)[0] == 200
    for limit in (most + 1, 0, "x"):
        assert _answer(tiny, path, limit=limit, **params) == (
            400, {"error": {"status": 400, "message": "Invalid limit"}})
    assert _answer(tiny, path, limit=1, offset=-1, **params) == (
        400, {"error": {"status": 400, "message": "Invalid offset"}})


def test_other_2026_limits(tiny: FakeSpotify):
    status, body = _answer(tiny, "search", q="Alpha", type="playlist", offset=1001)
    assert (status, body["error"]["message"]) == (400, "Invalid offset")
    ids = ",".join(["A" * 22] * 101)
    tiny.audio_features = "ok"
    assert _answer(tiny, "audio-features", ids=ids)[0] == 400


def test_tokens_are_checked(tiny: FakeSpotify):
    with pytest.raises(SpotifyOauthError) as err:
        _spotipy(tiny, secret="wrong").playlist(tiny.catalog.by_pid[0].id)
    assert err.value.error == "invalid_client"
    answer = requests.get(tiny.base_url + "playlists/" + tiny.catalog.by_pid[0].id,
                          headers={"Authorization": "Bearer made-up"})
    assert answer.status_code == 401
    assert [r.status for r in tiny.requests] == [400, 401]


def test_pkce_sign_in_against_the_fake(tiny: FakeSpotify, home, monkeypatch: pytest.MonkeyPatch):
    """The --user-auth wiring: authorize URL and token URL on the fake, token file 0600."""
    import socket
    import threading
    import webbrowser

    from crawler.auth import user_auth
    from data.home import USER_TOKEN_FILE
    from crawler.credentials import Credentials

    with socket.socket() as s:  # a free port for spotipy's redirect listener
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    def browser(url: str, *args, **kwargs) -> bool:
        # Stands in for the person: follow the authorize URL (the fake approves at once)
        # to the redirect, which spotipy's local server is waiting for.
        threading.Thread(target=requests.get, args=(url,), daemon=True).start()
        return True
    monkeypatch.setattr(webbrowser, "open", browser)
    auth = user_auth(Credentials(tiny.client_id, tiny.client_secret), tiny.token_url,
                     f"http://127.0.0.1:{port}/callback", home, requests.Session(), 5)
    assert auth.OAUTH_AUTHORIZE_URL == tiny.origin + "/authorize"
    token = auth.get_access_token()
    assert tiny.accounts.principal(f"Bearer {token}").user_id == "bob"
    assert (home / USER_TOKEN_FILE).stat().st_mode & 0o777 == 0o600
    assert spotipy.SpotifyPKCE.OAUTH_TOKEN_URL == "https://accounts.spotify.com/api/token"
