"""The crawl job: `python -m crawler ...` in the background, with credentials in its env.

API base, token URL and credentials are resolved by the crawler's own
`SpotifyConnection` (environment, then .streamlit/secrets.toml), with this app's
`st.secrets` (which Streamlit may have read from another directory) after the files. The
URLs go to the crawler as flags, the credentials only in the child's environment.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from crawler.connection import (ConnectionSettingError, Endpoints, SecretsSource,
                                SpotifyConnection)
from crawler.credentials import ENV_ID, ENV_SECRET, CredentialsError
from dashboard.jobs import runner
from dashboard.settings import DashboardSettings
from data.spotify_ids import SeedError, parse_playlist_ref

CRAWL_JOB = "crawl"


class CrawlSetupError(ValueError):
    """Something to fix before a crawl can start (one line, says what to do)."""


@dataclass(frozen=True)
class CrawlRequest:
    seed: str  # URL, URI or id as typed; ignored when resuming
    max_playlists: int
    max_depth: int
    max_requests: int
    search_pages: int
    resume: bool = False


def dashboard_connection(secrets: Mapping | None) -> SpotifyConnection:
    """The crawler's resolution, with `st.secrets` as the last secrets source."""
    try:
        extra = [SecretsSource("Streamlit secrets", dict(secrets))] if secrets is not None else []
    except Exception:  # no secrets file: st.secrets raises on access
        extra = []
    return SpotifyConnection(extra_secrets=extra)


def credentials_env(connection: SpotifyConnection) -> dict[str, str]:
    """{SPOTIPY_CLIENT_ID, SPOTIPY_CLIENT_SECRET} for the child; CrawlSetupError if none."""
    try:
        creds = connection.credentials()
    except CredentialsError as exc:
        raise CrawlSetupError(str(exc)) from None
    return {ENV_ID: creds.client_id, ENV_SECRET: creds.client_secret}


def credentials_problem(secrets: Mapping | None) -> str | None:
    """What is missing for a crawl to start, in one line (None when credentials are set)."""
    try:
        credentials_env(dashboard_connection(secrets))
    except CrawlSetupError as exc:
        return str(exc)
    return None


def crawl_arguments(request: CrawlRequest, endpoints: Endpoints) -> list[str]:
    """The crawler's command line (no secrets); CrawlSetupError for a bad seed or limit."""
    args: list[str] = []
    if request.resume:
        args.append("--resume")
    else:
        try:
            args += ["--seed-playlist", parse_playlist_ref(request.seed)]
        except SeedError as exc:
            raise CrawlSetupError(str(exc)) from None
    for flag, value, least in (("--max-playlists", request.max_playlists, 1),
                               ("--max-depth", request.max_depth, 0),
                               ("--max-requests", request.max_requests, 1),
                               ("--search-pages", request.search_pages, 1)):
        if value < least:
            raise CrawlSetupError(f"{flag} must be at least {least}")
        args += [flag, str(int(value))]
    return args + ["--api-base", endpoints.api_base, "--token-url", endpoints.token_url]


def start_crawl(request: CrawlRequest, settings: DashboardSettings,
                secrets: Mapping | None = None) -> runner.JobStatus:
    """Start the crawl job; CrawlSetupError or JobAlreadyRunning when it cannot start."""
    connection = dashboard_connection(secrets)
    try:
        args = crawl_arguments(request, connection.endpoints())
    except (ConnectionSettingError, CredentialsError) as exc:
        raise CrawlSetupError(str(exc)) from None
    env = credentials_env(connection)
    return runner.start_job(CRAWL_JOB, "crawler", args, home=settings.home, env=env)


def stop_crawl(settings: DashboardSettings) -> bool:
    """SIGTERM: the crawler saves its state and can continue with --resume."""
    return runner.cancel_job(CRAWL_JOB, settings.home)


def crawl_job_status(settings: DashboardSettings) -> runner.JobStatus:
    return runner.job_status(CRAWL_JOB, settings.home)
