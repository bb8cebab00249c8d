"""One way to say where the crawler connects: flags, then environment, then secrets.toml,
for `python -m crawler` (in a subprocess, as a user runs it) and the dashboard's Crawl job."""
from __future__ import annotations

import socket
from pathlib import Path

import pytest

from crawler.connection import (DEFAULT_API_BASE, DEFAULT_TOKEN_URL, ENV_API_BASE, ENV_TOKEN_URL,
                                ConnectionSettingError, SecretsSource, SpotifyConnection)
from crawler.credentials import CredentialsError
from dashboard.jobs.crawl_job import CrawlRequest, crawl_arguments, credentials_env, dashboard_connection
from data import crawl_state
from data.store import Catalog
from tests.crawler.conftest import FAST, error_lines, run_crawler, tiny_id
from testkit.fake_spotify import FakeSpotify

FILE = SecretsSource("secrets.toml", {
    ENV_API_BASE: "http://file.example/v1/", "SPOTIPY_CLIENT_ID": "file-id",
    "SPOTIPY_CLIENT_SECRET": "file-secret",
    "spotify": {"token_url": "http://file.example/api/token"}})


def test_flags_then_environment_then_secrets_then_spotify():
    env = {ENV_TOKEN_URL: "http://env.example/api/token"}
    got = SpotifyConnection(env=env, secrets=[FILE]).endpoints("http://flag.example/v1/")
    assert (got.api_base, got.token_url) == ("http://flag.example/v1/",
                                             "http://env.example/api/token")
    got = SpotifyConnection(env={}, secrets=[FILE]).endpoints()
    assert (got.api_base, got.token_url) == ("http://file.example/v1/",
                                             "http://file.example/api/token")
    got = SpotifyConnection(env={}, secrets=[]).endpoints()
    assert (got.api_base, got.token_url) == (DEFAULT_API_BASE, DEFAULT_TOKEN_URL)


def test_credentials_come_as_a_pair_from_one_place():
    half = {"SPOTIPY_CLIENT_ID": "env-id"}  # no secret beside it: the file's pair is used
    creds = SpotifyConnection(env=half, secrets=[FILE]).credentials()
    assert (creds.client_id, creds.client_secret) == ("file-id", "file-secret")
    env = {"SPOTIPY_CLIENT_ID": "env-id", "SPOTIPY_CLIENT_SECRET": "env-secret"}
    assert SpotifyConnection(env=env, secrets=[FILE]).credentials().client_id == "env-id"
    assert "file-secret" not in repr(creds) and "file-secret" not in str(creds)
    with pytest.raises(CredentialsError) as err:
        SpotifyConnection(env=half, secrets=[]).credentials()
    assert "SPOTIPY_CLIENT_SECRET not set" in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("env, secrets, where", [
    ({ENV_API_BASE: "api.spotify.com"}, [], f"${ENV_API_BASE}"),
    ({}, [SecretsSource("/x/secrets.toml", {ENV_API_BASE: "localhost:1"})],
     f"{ENV_API_BASE} in /x/secrets.toml"),
])
def test_a_base_that_is_not_a_url_names_where_it_came_from(env, secrets, where):
    with pytest.raises(ConnectionSettingError) as err:
        SpotifyConnection(env=env, secrets=secrets).endpoints()
    assert str(err.value).startswith(f"{where} must be an http:// or https:// URL")


def _fake_env(fake: FakeSpotify) -> dict[str, str]:
    return {ENV_API_BASE: fake.base_url, ENV_TOKEN_URL: fake.token_url, **fake.env()}


def _write_secrets(folder: Path, text: str) -> None:
    (folder / ".streamlit").mkdir()
    (folder / ".streamlit" / "secrets.toml").write_text(text)


def _crawl_seed(tiny: FakeSpotify, home: Path, cwd: Path, *args: str, **env: str):
    """`python -m crawler` from `cwd` (also $HOME, so no other secrets file is found)."""
    return run_crawler(home, None, "--seed-playlist", tiny_id(tiny, 0), "--max-depth", "0",
                       *FAST, *args, cwd=cwd, HOME=str(cwd), **env)


def test_the_cli_crawls_where_the_environment_points(tiny: FakeSpotify, home: Path,
                                                     tmp_path: Path):
    done = _crawl_seed(tiny, home, tmp_path, **_fake_env(tiny))
    assert done.returncode == 0, done.stderr
    assert tiny.api_requests(), "the crawl went elsewhere"
    with Catalog.open(home) as cat:
        config = crawl_state.latest_crawl(cat).config
    assert (config["api_base"], config["token_url"]) == (tiny.base_url, tiny.token_url)


def test_the_cli_crawls_where_secrets_toml_points(tiny: FakeSpotify, home: Path, tmp_path: Path):
    _write_secrets(tmp_path,
                   f'[spotify]\napi_base = "{tiny.base_url}"\ntoken_url = "{tiny.token_url}"\n'
                   f'client_id = "{tiny.client_id}"\nclient_secret = "{tiny.client_secret}"\n')
    done = _crawl_seed(tiny, home, tmp_path)
    assert done.returncode == 0, done.stderr
    assert tiny.api_requests()


def test_a_flag_wins_over_the_environment(tiny: FakeSpotify, home: Path, tmp_path: Path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    done = _crawl_seed(tiny, home, tmp_path, *tiny.crawler_args(),
                       **{**_fake_env(tiny), ENV_API_BASE: dead + "/v1/",
                          ENV_TOKEN_URL: dead + "/api/token"})
    assert done.returncode == 0, done.stderr


def test_a_bad_base_in_the_environment_is_a_one_line_usage_error(home: Path, tmp_path: Path):
    done = run_crawler(home, None, "--seed-playlist", "37i9dQZF1DXcBWIGoYBM5M", cwd=tmp_path,
                       HOME=str(tmp_path), **{ENV_API_BASE: "api.spotify.com"})
    assert done.returncode == 2
    assert error_lines(done.stderr) == done.stderr.splitlines()
    assert f"${ENV_API_BASE} must be an http:// or https:// URL" in done.stderr


def test_the_dashboard_resolves_like_the_cli(tiny: FakeSpotify, home: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch):
    """Same environment and secrets file: the Crawl job gets what the CLI crawl used."""
    _write_secrets(tmp_path, f'SPOTIPY_CLIENT_ID = "{tiny.client_id}"\n'
                             f'SPOTIPY_CLIENT_SECRET = "{tiny.client_secret}"\n'
                             f'{ENV_TOKEN_URL} = "{tiny.token_url}"\n')
    done = _crawl_seed(tiny, home, tmp_path, **{ENV_API_BASE: tiny.base_url})
    assert done.returncode == 0, done.stderr
    with Catalog.open(home) as cat:
        used = crawl_state.latest_crawl(cat).config

    for name in ("SPOTIPY_CLIENT_ID", "SPOTIPY_CLIENT_SECRET", ENV_TOKEN_URL):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(ENV_API_BASE, tiny.base_url)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    connection = dashboard_connection(None)
    args = crawl_arguments(CrawlRequest(tiny_id(tiny, 0), 5, 0, 100, 1), connection.endpoints())
    assert args[args.index("--api-base") + 1] == used["api_base"] == tiny.base_url
    assert args[args.index("--token-url") + 1] == used["token_url"] == tiny.token_url
    assert credentials_env(connection) == tiny.env()
    # st.secrets comes after the files, for a dashboard started elsewhere
    monkeypatch.chdir(home)
    monkeypatch.setenv("HOME", str(home))
    streamlit_secrets = {"spotify": {"client_id": "st-id", "client_secret": "st-secret"}}
    assert credentials_env(dashboard_connection(streamlit_secrets))["SPOTIPY_CLIENT_ID"] == "st-id"


def test_help_says_where_settings_come_from(home: Path):
    done = run_crawler(home, None, "--help")
    text = " ".join(done.stdout.split())
    for name in (f"${ENV_API_BASE}", f"${ENV_TOKEN_URL}", "$SPOTIPY_CLIENT_ID",
                 "$SPOTIPY_CLIENT_SECRET", ".streamlit/secrets.toml", "Crawl page"):
        assert name in text
