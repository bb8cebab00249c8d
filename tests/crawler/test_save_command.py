"""`python -m ml recommend … --save-to-spotify NAME` against the fake API: the printed
recommendations become the user's private playlist in that order; the same name again
updates it; without a sign-in that may write, one line says what to do. No token is printed."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from crawler.auth import PrivateTokenFile
from data.home import USER_TOKEN_FILE
from data.store import Catalog, PlaylistRecord
from ml.__main__ import main as ml_main
from testkit.fake_spotify import FakeSpotify

SCOPES = ("playlist-read-private playlist-read-collaborative user-library-read user-top-read "
          "playlist-modify-private")


@pytest.fixture
def pointed(fake: FakeSpotify, home: Path, catalog: Catalog, monkeypatch: pytest.MonkeyPatch):
    for name, value in {**fake.env(), "PLAYLISTGRAPH_SPOTIFY_API_BASE": fake.base_url,
                        "PLAYLISTGRAPH_SPOTIFY_TOKEN_URL": fake.token_url}.items():
        monkeypatch.setenv(name, value)
    with catalog.write():
        for p in fake.catalog.playlists:
            ids = catalog.upsert_tracks(list(p.tracks))
            pid = catalog.upsert_playlist(PlaylistRecord("mpd", str(p.pid), p.name))
            catalog.set_playlist_tracks(pid, [ids[t.uri] for t in p.tracks])
    return fake


def _printed_uris(text: str) -> list[str]:
    return re.findall(r"spotify:track:[0-9A-Za-z]{22}", text)


def test_recommend_save_to_spotify_then_update(pointed: FakeSpotify, home: Path, capsys):
    PrivateTokenFile(home / USER_TOKEN_FILE).save_token_to_cache(
        pointed.issue_user_token(scope=SCOPES))
    seeds = [t.uri for t in pointed.catalog.playlists[0].tracks[:3]]
    assert ml_main(["recommend", "--tracks", *seeds, "--k", "12",
                    "--save-to-spotify", "From the CLI"]) == 0
    first = capsys.readouterr()
    [held] = pointed.written_playlists
    assert held.uris == _printed_uris(first.out.split("saved")[0])
    assert len(held.uris) == 12 and held.public is False and held.name == "From the CLI"
    assert f"https://open.spotify.com/playlist/{held.id}" in first.out
    assert ml_main(["recommend", "--tracks", *seeds[:1], "--k", "5",
                    "--save-to-spotify", "From the CLI"]) == 0
    second = capsys.readouterr()
    assert len(pointed.written_playlists) == 1 and "existing" in second.out
    assert held.uris == _printed_uris(second.out.split("saved")[0])
    everything = first.out + first.err + second.out + second.err
    assert not [t for t in pointed.accounts.issued_tokens() if t in everything]
    assert pointed.client_secret not in everything


def test_without_a_writing_sign_in_it_says_what_to_do(pointed: FakeSpotify, home: Path,
                                                      capsys):
    seeds = [t.uri for t in pointed.catalog.playlists[0].tracks[:3]]
    assert ml_main(["recommend", "--tracks", *seeds, "--save-to-spotify", "x"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: not saved:") and "playlist-modify-private" in err[-1]
    assert not pointed.written_playlists
