"""The crawl job: `python -m crawler ...` in the background, with credentials in its env.

Credentials are looked up where the crawler looks (environment, then
.streamlit/secrets.toml) and also in this app's `st.secrets`, which Streamlit may have
read from another working directory; they travel only in the child's environment.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from crawler.credentials import (ENV_ID, ENV_SECRET, HOW_TO_SET, CredentialsError,
                                 from_streamlit_secrets, load_credentials)
from crawler.seeds import SeedError, parse_playlist_ref
from dashboard import jobs
from dashboard.settings import DashboardSettings

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


def credentials_env(secrets: Mapping | None) -> dict[str, str]:
    """{SPOTIPY_CLIENT_ID, SPOTIPY_CLIENT_SECRET} for the child; CrawlSetupError if none."""
    try:
        creds = load_credentials()
    except CredentialsError as exc:
        creds = None
        problem = str(exc)
    if creds is None and secrets is not None:
        try:
            creds = from_streamlit_secrets(secrets)
        except Exception:  # no secrets file: st.secrets raises on access
            creds = None
        problem = f"no Spotify credentials: {HOW_TO_SET}"
    if creds is None:
        raise CrawlSetupError(problem)
    return {ENV_ID: creds.client_id, ENV_SECRET: creds.client_secret}


def crawl_arguments(request: CrawlRequest, settings: DashboardSettings) -> list[str]:
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
    if settings.api_base:
        args += ["--api-base", settings.api_base]
    if settings.token_url:
        args += ["--token-url", settings.token_url]
    return args


def start_crawl(request: CrawlRequest, settings: DashboardSettings,
                secrets: Mapping | None = None) -> jobs.JobStatus:
    """Start the crawl job; CrawlSetupError or JobAlreadyRunning when it cannot start."""
    args = crawl_arguments(request, settings)
    env = credentials_env(secrets)
    return jobs.start_job(CRAWL_JOB, "crawler", args, home=settings.home, env=env)


def stop_crawl(settings: DashboardSettings) -> bool:
    """SIGTERM: the crawler saves its state and can continue with --resume."""
    return jobs.cancel_job(CRAWL_JOB, settings.home)


def crawl_job_status(settings: DashboardSettings) -> jobs.JobStatus:
    return jobs.job_status(CRAWL_JOB, settings.home)
