"""`python -m crawler` as a user meets it: seeds, one-line errors, --help, secrets kept secret."""
from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from data.spotify_ids import SeedError, parse_playlist_ref
from data import crawl_reads
from data.store import Catalog
from tests.crawler.conftest import (REPO_ROOT, crawler_command, crawler_env, error_lines,
                                    run_crawler, tiny_id)
from testkit.fake_spotify import FakeSpotify

PID = "37i9dQZF1DXcBWIGoYBM5M"


@pytest.mark.parametrize("text", [
    PID,
    f"spotify:playlist:{PID}",
    f"spotify:user:someone:playlist:{PID}",
    f"https://open.spotify.com/playlist/{PID}",
    f"https://open.spotify.com/playlist/{PID}?si=a1b2c3d4e5f6&pt=xyz",
    f"open.spotify.com/playlist/{PID}?si=abc",
    f"https://open.spotify.com/intl-de/playlist/{PID}",
    f"https://open.spotify.com/embed/playlist/{PID}?utm_source=generator",
    f"  {PID}\n",
])
def test_seed_forms_that_name_a_playlist(text: str):
    assert parse_playlist_ref(text) == PID


@pytest.mark.parametrize("text", [
    "", "not a playlist", PID[:-1], PID + "x", f"spotify:track:{PID}",
    f"https://open.spotify.com/track/{PID}", f"https://open.spotify.com/album/{PID}?si=1",
    f"https://example.com/playlist/{PID}", f"spotify:playlist:{PID[:-1]}!",
])
def test_other_seeds_are_refused(text: str):
    with pytest.raises(SeedError) as err:
        parse_playlist_ref(text)
    assert "\n" not in str(err.value) and "playlist" in str(err.value)


def test_bad_seed_is_a_one_line_error_even_without_credentials(home: Path, tmp_path: Path):
    done = run_crawler(home, None, "--seed-playlist", "https://open.spotify.com/track/" + PID,
                       cwd=tmp_path, HOME=str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and error_lines(done.stderr)
    assert "open.spotify.com/playlist" in done.stderr


def test_missing_credentials_say_how_to_set_them(home: Path, tmp_path: Path):
    done = run_crawler(home, None, "--seed-playlist", PID, cwd=tmp_path, HOME=str(tmp_path))
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr
    assert "SPOTIPY_CLIENT_ID" in done.stderr and "SPOTIPY_CLIENT_SECRET" in done.stderr
    assert "developer.spotify.com" in done.stderr


def test_credentials_from_streamlit_secrets_file(tiny: FakeSpotify, home: Path, tmp_path: Path):
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(
        f'[spotify]\nclient_id = "{tiny.client_id}"\nclient_secret = "{tiny.client_secret}"\n')
    done = run_crawler(home, None, "--seed-playlist", tiny_id(tiny, 0), "--max-depth", "0",
                       *tiny.crawler_args(), cwd=tmp_path, HOME=str(tmp_path))
    assert done.returncode == 0, done.stderr


def test_wrong_credentials_are_a_one_line_error_and_lose_nothing(tiny: FakeSpotify, home: Path,
                                                                 crawl):
    assert crawl(tiny, "--seed-playlist", tiny_id(tiny, 0), "--max-depth", "1").rc == 0
    with Catalog.open(home) as cat:
        before = cat.count("playlist_tracks")
    done = run_crawler(home, tiny, "--resume", "--max-depth", "3", SPOTIPY_CLIENT_SECRET="wrong")
    assert done.returncode == 1
    assert len(error_lines(done.stderr)) == 1 and "Traceback" not in done.stderr
    assert "SPOTIPY_CLIENT_SECRET" in done.stderr
    with Catalog.open(home) as cat:
        assert cat.count("playlist_tracks") == before


@pytest.mark.parametrize("args, message", [
    ([], "--seed-playlist"),
    (["--resume"], "nothing to resume"),
    (["--seed-playlist", PID, "--resume"], "not both"),
    (["--seed-playlist", PID, "--max-playlists", "0"], "--max-playlists"),
    (["--seed-playlist", PID, "--search-page-size", "11"], "at most 10"),
    (["--seed-playlist", PID, "--items-page-size", "51"], "at most 50"),
    (["--seed-playlist", PID, "--audio-features", "sometimes"], "--audio-features"),
    (["--seed-playlist", PID, "--audio-features", "csv:/no/such.csv"], "no such file"),
    (["--seed-playlist", PID, "--api-base", "api.spotify.com"], "http"),
])
def test_usage_errors_are_one_line(tiny: FakeSpotify, crawl, args: list[str], message: str):
    run = crawl(tiny, *args)
    assert run.rc == 2
    assert run.err.count("\n") == 1 and run.err.startswith("error:") and message in run.err
    assert tiny.api_requests() == []


def test_help_shows_every_option_with_its_default(home: Path):
    done = run_crawler(home, None, "--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    for flag, default in [("--max-playlists", "100"), ("--max-depth", "2"),
                          ("--max-requests", "5000"), ("--search-pages", "1"),
                          ("--audio-features", "api"),
                          ("--api-base", "https://api.spotify.com/v1/"),
                          ("--token-url", "https://accounts.spotify.com/api/token")]:
        assert flag in text
        assert f"(default: {default})" in text[text.index(flag + " "):]
    for flag in ("--seed-playlist", "--resume", "--user-auth", "--home"):
        assert flag in text


def test_secrets_never_reach_output_store_or_logs(tiny: FakeSpotify, home: Path):
    tiny.client_secret = "s3cr3t-Do-Not-Print-7f9c"
    tiny.fail(503, times=1)
    tiny.fail(429, retry_after=1, times=1)
    done = run_crawler(home, tiny, "--seed-playlist", tiny_id(tiny, 0), "--max-depth", "3")
    assert done.returncode == 0, done.stderr
    tokens = tiny.accounts.issued_tokens()
    assert tokens
    stored = b"".join(p.read_bytes() for p in home.rglob("*") if p.is_file())
    for secret in [tiny.client_secret, *tokens]:
        assert secret not in done.stdout and secret not in done.stderr
        assert secret.encode() not in stored
    assert not list(Path.cwd().glob(".cache*"))


def test_a_second_crawler_is_refused_while_one_runs(tiny: FakeSpotify, home: Path, crawl):
    tiny.slow(1.5, times=1)  # keeps the first crawl running while the second tries
    first = subprocess.Popen(crawler_command(tiny, "--seed-playlist", tiny_id(tiny, 0)),
                             cwd=REPO_ROOT, env=crawler_env(home, tiny),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with Catalog.open(home) as cat:
                if crawl_reads.crawl_progress(cat).get("state") == "running":
                    break
            time.sleep(0.05)
        second = crawl(tiny, "--resume")
        assert second.rc == 2 and "is running" in second.err
    finally:
        first.wait(timeout=60)
    assert first.returncode == 0


def test_user_auth_without_a_terminal_or_with_a_revoked_token_is_a_one_line_error(
        tiny: FakeSpotify, crawl, home: Path):
    from crawler.auth import PrivateTokenFile
    from data.home import USER_TOKEN_FILE
    run = crawl(tiny, "--user-auth")  # no cached token, and no terminal to sign in from
    assert run.rc == 1 and run.err.count("\n") == 1 and "in a terminal" in run.err
    revoked = dict(tiny.issue_user_token("bob"), expires_at=0, refresh_token="revoked")
    PrivateTokenFile(home / USER_TOKEN_FILE).save_token_to_cache(revoked)
    run = crawl(tiny, "--user-auth")
    assert run.rc == 1 and run.err.count("\n") == 1 and "sign in again" in run.err
    assert tiny.api_requests() == []
