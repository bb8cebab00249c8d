"""The signed-in account through the one client, against the fake API: the web sign-in
(PKCE with the redirect to the app), reading the library into the catalog, saving a
playlist (private, in order, ≤100 URIs per request, re-save updates), and the errors."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from crawler.account import account_client, load_library, read_library, store_library, \
    write_library
from crawler.account_auth import (READ_SCOPES, SAVE_SCOPE, begin_sign_in, finish_sign_in,
                                  granted_scopes, sign_out)
from crawler.auth import SignInError
from crawler.client import MissingScope
from crawler.connection import SpotifyConnection
from crawler.playlist_save import save_playlist
from data.home import USER_TOKEN_FILE
from data.store import Catalog
from testkit.fake_spotify import FakeSpotify

REDIRECT = "http://127.0.0.1:8501/"


def sign_in(fake: FakeSpotify, home: Path, scopes=READ_SCOPES) -> None:
    """The dashboard's flow: the browser follows the authorize URL, the fake redirects back
    to the app with code and state, the app exchanges the code with its verifier."""
    pending = begin_sign_in(fake.client_id, fake.token_url, REDIRECT, tuple(scopes))
    answer = requests.get(pending.url, allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    where = urlsplit(answer.headers["Location"])
    query = {k: v[-1] for k, v in parse_qs(where.query).items()}
    assert f"{where.scheme}://{where.netloc}{where.path}" == REDIRECT
    assert query["state"] == pending.state
    finish_sign_in(pending, query["code"], fake.client_id, fake.token_url, home)


def client_for(fake: FakeSpotify, home: Path):
    env = {**fake.env(), "PLAYLISTGRAPH_SPOTIFY_API_BASE": fake.base_url,
           "PLAYLISTGRAPH_SPOTIFY_TOKEN_URL": fake.token_url}
    return account_client(SpotifyConnection(env=env, secrets=[]), home,
                          requests_per_window=100_000)  # no pacing in tests


def test_web_sign_in_writes_a_0600_token_with_the_asked_scopes_and_sign_out_deletes_it(
        fake: FakeSpotify, home: Path):
    sign_in(fake, home)
    token_file = home / USER_TOKEN_FILE
    assert token_file.stat().st_mode & 0o777 == 0o600
    assert granted_scopes(home) == set(READ_SCOPES)
    assert client_for(fake, home).me()["id"] == fake.user_id
    assert sign_out(home) and not token_file.exists()
    assert not [p for p in home.iterdir() if "token" in p.name]  # no temp file left behind


def test_a_code_exchanged_without_its_verifier_is_refused(fake: FakeSpotify, home: Path):
    pending = begin_sign_in(fake.client_id, fake.token_url, REDIRECT, READ_SCOPES)
    location = requests.get(pending.url, allow_redirects=False, timeout=5).headers["Location"]
    code = parse_qs(urlsplit(location).query)["code"][0]
    other = begin_sign_in(fake.client_id, fake.token_url, REDIRECT, READ_SCOPES)
    wrong = type(pending)(**{**pending.__dict__, "code_verifier": other.code_verifier})
    with pytest.raises(SignInError, match="refused the sign-in"):
        finish_sign_in(wrong, code, fake.client_id, fake.token_url, home)
    assert not (home / USER_TOKEN_FILE).exists()


def test_library_is_read_50_per_page_and_merged_into_the_catalog(fake: FakeSpotify, home: Path,
                                                                  catalog: Catalog):
    sign_in(fake, home)
    fake.reset_log()
    library, tracks, playlists = read_library(client_for(fake, home))
    account = fake.api.account
    assert library.user_id == fake.user_id
    assert library.display_name == account.display_name(fake.user_id) != fake.user_id
    assert library.get("saved").uris == account.saved_tracks(fake.user_id)
    for time_range in ("short_term", "medium_term", "long_term"):
        assert library.get(f"top:{time_range}").uris == account.top_tracks(fake.user_id,
                                                                            time_range)
    owned = fake.catalog.owned_by(fake.user_id)
    assert [m.spotify_id for m, _ in playlists] == [p.id for p in owned]
    assert [uris for _, uris in playlists] == [[t.uri for t in p.tracks] for p in owned]
    paged = [r for r in fake.api_requests() if r.path.rstrip("/") != "/v1/me"]
    assert paged and all(r.params.get("limit") == "50" and r.status == 200 for r in paged)
    assert len(library.get("saved").uris) > 50  # so paging was needed

    assert store_library(catalog, tracks, playlists) == len(owned)
    stored = catalog.query_dicts(
        "SELECT source_id, owner_id FROM playlists WHERE source = 'spotify' ORDER BY id")
    assert stored == [{"source_id": p.id, "owner_id": fake.user_id} for p in owned]
    first = catalog.existing_playlists("spotify", [owned[0].id])[owned[0].id]
    got = catalog.tracks(catalog.playlist_track_ids(first))
    by_id = {r["id"]: r["uri"] for r in got}
    assert [by_id[i] for i in catalog.playlist_track_ids(first)] == \
        [t.uri for t in owned[0].tracks]
    version = catalog.version()
    assert store_library(catalog, tracks, playlists) == 0  # nothing changed: no write
    assert catalog.version() == version
    write_library(home, library)
    assert (home / "spotify-library.json").stat().st_mode & 0o777 == 0o600
    assert load_library(home) == library


def test_save_creates_a_private_playlist_in_order_100_per_request_and_resave_updates_it(
        fake: FakeSpotify, home: Path):
    sign_in(fake, home, READ_SCOPES + (SAVE_SCOPE,))
    client = client_for(fake, home)
    uris = list(dict.fromkeys(t.uri for p in fake.catalog.playlists for t in p.tracks))[:250]
    fake.reset_log()
    first = save_playlist(client, home, fake.user_id, "PG test", uris, "made by a test")
    [held] = fake.written_playlists
    assert (held.id, held.name, held.public, held.owner_id) == \
        (first.playlist_id, "PG test", False, fake.user_id)
    assert held.uris == uris and first.saved == uris and first.created
    assert held.description == "made by a test"
    writes = [(r.method, r.path) for r in fake.api_requests()]
    assert writes == [("POST", "/v1/me/playlists")] + \
        [("POST", f"/v1/playlists/{held.id}/items")] * 3  # 100 + 100 + 50

    again = list(reversed(uris[:120]))
    fake.reset_log()
    second = save_playlist(client, home, fake.user_id, "PG test", again, "second")
    assert second.playlist_id == first.playlist_id and not second.created
    assert len(fake.written_playlists) == 1
    assert held.uris == again and held.description == "second"
    assert [(r.method, r.path.rsplit("/", 1)[-1]) for r in fake.api_requests()] == \
        [("PUT", held.id), ("PUT", "items"), ("POST", "items")]


def test_tracks_spotify_no_longer_serves_are_reported_and_the_rest_saved_in_order(
        fake: FakeSpotify, home: Path):
    sign_in(fake, home, READ_SCOPES + (SAVE_SCOPE,))
    uris = list(dict.fromkeys(t.uri for p in fake.catalog.playlists for t in p.tracks))[:130]
    gone = [uris[3], uris[77], uris[120]]
    fake.withdraw(gone)
    result = save_playlist(client_for(fake, home), home, fake.user_id, "with gaps", uris, "d")
    assert result.unavailable == gone
    assert fake.written_playlists[0].uris == [u for u in uris if u not in gone] == result.saved


def test_missing_scope_is_one_line_naming_it(fake: FakeSpotify, home: Path):
    sign_in(fake, home)  # read scopes only: no playlist-modify-private
    with pytest.raises(MissingScope) as caught:
        save_playlist(client_for(fake, home), home, fake.user_id, "x",
                      [fake.catalog.playlists[0].tracks[0].uri], "d")
    message = str(caught.value)
    assert "playlist-modify-private" in message and "sign in again" in message
    assert "\n" not in message and not fake.written_playlists
    assert fake.api_requests()[-1].status == 403


def test_a_429_with_retry_after_is_waited_out_on_save(fake: FakeSpotify, home: Path):
    sign_in(fake, home, READ_SCOPES + (SAVE_SCOPE,))
    fake.fail(429, retry_after=1, path="/items")
    uris = [t.uri for t in fake.catalog.playlists[0].tracks]
    result = save_playlist(client_for(fake, home), home, fake.user_id, "slow", uris, "d")
    assert fake.written_playlists[0].uris == list(dict.fromkeys(uris)) == result.saved
    assert [r.status for r in fake.api_requests()][-2:] == [429, 201]


def test_the_fake_refuses_more_than_100_uris_and_public_creation_without_its_scope(
        fake: FakeSpotify, home: Path):
    token = fake.issue_user_token(scope="playlist-modify-private")["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    made = requests.post(fake.base_url + "me/playlists", json={"name": "a"}, headers=headers,
                         timeout=5)
    assert made.status_code == 403  # the API's default is public: needs playlist-modify-public
    made = requests.post(fake.base_url + "me/playlists", json={"name": "a", "public": False},
                         headers=headers, timeout=5)
    assert made.status_code == 201 and made.json()["public"] is False
    uris = list(dict.fromkeys(t.uri for p in fake.catalog.playlists for t in p.tracks))[:101]
    too_many = requests.post(fake.base_url + f"playlists/{made.json()['id']}/items",
                             json={"uris": uris}, headers=headers, timeout=5)
    assert too_many.status_code == 400
    assert fake.written_playlists[0].uris == []


def test_the_fake_holds_account_reads_to_the_real_limits_and_scopes(fake: FakeSpotify):
    reader = fake.issue_user_token(scope="user-library-read user-top-read")["access_token"]
    other = fake.issue_user_token(scope="playlist-read-private")["access_token"]

    def get(path: str, token: str, **params) -> int:
        return requests.get(fake.base_url + path, params=params, timeout=5,
                            headers={"Authorization": f"Bearer {token}"}).status_code
    assert get("me/tracks", reader, limit=50) == 200
    assert get("me/tracks", reader, limit=51) == 400
    assert get("me/top/tracks", reader, limit=50, time_range="long_term") == 200
    assert get("me/top/tracks", reader, limit=51) == 400
    assert get("me/top/tracks", reader, time_range="forever") == 400
    assert get("me/tracks", other) == 403 and get("me/top/tracks", other) == 403
    assert get("me", other) == 200


def test_a_crawler_sign_in_keeps_the_permissions_the_token_has(fake: FakeSpotify, home: Path):
    from crawler.auth import user_auth
    from crawler.credentials import Credentials
    sign_in(fake, home, READ_SCOPES + (SAVE_SCOPE,))
    auth = user_auth(Credentials(fake.client_id, fake.client_secret), fake.token_url,
                     "http://127.0.0.1:8888/callback", home, requests.Session(), 5)
    assert set(auth.scope.split()) == set(READ_SCOPES + (SAVE_SCOPE,))
    assert auth.validate_token(auth.cache_handler.get_cached_token()) is not None


def test_playlists_playlistgraph_saved_are_not_read_back_as_the_users_taste(
        fake: FakeSpotify, home: Path):
    from crawler.playlist_save import saved_playlist_ids
    sign_in(fake, home, READ_SCOPES + (SAVE_SCOPE,))
    client = client_for(fake, home)
    track = fake.catalog.playlists[0].tracks[0].uri
    saved = save_playlist(client, home, fake.user_id, "mine", [track], "d")
    assert saved_playlist_ids(home) == {saved.playlist_id}
    listed = client.my_playlists(0)["items"]
    assert listed[0]["id"] == saved.playlist_id  # Spotify lists it with the user's own
    library, _, playlists = read_library(client, leave_out=saved_playlist_ids(home))
    assert saved.playlist_id not in {m.spotify_id for m, _ in playlists}
    assert library.get(f"playlist:{saved.playlist_id}") is None
