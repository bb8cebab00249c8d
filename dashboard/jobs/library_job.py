"""The "read my Spotify library" job: `python -m crawler.account` in the background.

Reading a library takes one request per 50 tracks (a large one: minutes, with pacing and
Retry-After waits), so it never runs inside a page's script run. The API base, token URL
and the app's credentials go to the child in its environment, resolved as the Crawl page
resolves them; the user's token is the home's 0600 token file.
"""
from __future__ import annotations

from typing import Mapping

from crawler.connection import (ENV_API_BASE, ENV_TOKEN_URL, ConnectionSettingError)
from dashboard.jobs import runner
from dashboard.jobs.crawl_job import CrawlSetupError, credentials_env, dashboard_connection
from dashboard.settings import DashboardSettings

LIBRARY_JOB = "spotify-library"


def start_library_read(settings: DashboardSettings,
                       secrets: Mapping | None = None) -> runner.JobStatus:
    """Start the job; CrawlSetupError (one line) or JobAlreadyRunning when it cannot."""
    connection = dashboard_connection(secrets)
    try:
        endpoints = connection.endpoints()
    except ConnectionSettingError as exc:
        raise CrawlSetupError(str(exc)) from None
    env = {**credentials_env(connection), ENV_API_BASE: endpoints.api_base,
           ENV_TOKEN_URL: endpoints.token_url}
    return runner.start_job(LIBRARY_JOB, "crawler.account", [], home=settings.home, env=env)


def library_job_status(settings: DashboardSettings) -> runner.JobStatus:
    return runner.job_status(LIBRARY_JOB, settings.home)
