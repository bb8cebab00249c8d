"""The one Spotify client against the fake API's faults: retries, waits, clean stops, pacing.

Real HTTP to the fake server; only the client's sleep is recorded instead of slept, so a
test can assert each wait without spending it.
"""
from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests

from crawler.auth import app_auth
from crawler.client import ApiError, AuthError, ClientSettings, CrawlStop, SpotifyClient
from crawler.credentials import Credentials
from crawler.pacing import Pacer
from testkit.fake_spotify import FakeSpotify


@pytest.fixture
def make_client(tiny: FakeSpotify):
    def make(*, secret: str | None = None, **settings) -> tuple[SpotifyClient, list, list]:
        sleeps: list[float] = []
        notes: list[str] = []
        session = requests.Session()
        auth = app_auth(Credentials(tiny.client_id, secret or tiny.client_secret),
                        tiny.token_url, session, 5)
        options = dict(requests_per_window=100_000, backoff_s=0.5, timeout_s=2.0)
        options.update(settings)
        client = SpotifyClient(ClientSettings(tiny.base_url, **options), auth, session=session,
                               notify=notes.append, sleep=sleeps.append)
        return client, sleeps, notes
    return make


def _seed(tiny: FakeSpotify) -> str:
    return tiny.catalog.by_pid[0].id


def test_short_retry_after_is_waited_out_visibly(tiny: FakeSpotify, make_client):
    client, sleeps, notes = make_client()
    tiny.fail(429, retry_after=3, times=2, path="/items")
    page = client.playlist_items(_seed(tiny), 0, 50)
    assert len(page["items"]) == 2
    assert sleeps == [3, 3]
    assert len(notes) == 2 and all("429" in n and "waiting 3 s" in n for n in notes)
    assert [r.status for r in tiny.api_requests()] == [429, 429, 200]
    assert (client.stats.requests, client.stats.rate_limited, client.stats.waits) == (3, 2, 2)


def test_long_retry_after_stops_cleanly_with_the_time_to_resume(tiny: FakeSpotify, make_client):
    client, sleeps, _ = make_client(max_wait_s=60)
    tiny.fail(429, retry_after=7200, path="/search")
    before = datetime.now(timezone.utc)
    with pytest.raises(CrawlStop) as stop:
        client.search_playlists("Alpha", 0, 10)
    assert sleeps == []
    assert "resume" in stop.value.message and "7200" in stop.value.message
    expected = before + timedelta(seconds=7200)
    assert abs((stop.value.resume_after - expected).total_seconds()) < 5
    assert len(tiny.api_requests()) == 1


def test_quota_exceeded_stops_even_with_a_short_retry_after(tiny: FakeSpotify, make_client):
    client, sleeps, _ = make_client()
    tiny.fail(429, retry_after=1, reason="QUOTA_EXCEEDED")
    with pytest.raises(CrawlStop) as stop:
        client.playlist(_seed(tiny))
    assert "QUOTA_EXCEEDED" in stop.value.message and sleeps == []


def test_server_errors_are_retried_with_growing_jittered_backoff(tiny: FakeSpotify, make_client):
    client, sleeps, notes = make_client(backoff_s=1.0, max_retries=5)
    tiny.fail(503, times=2)
    tiny.fail(500, times=1)
    assert client.playlist(_seed(tiny))["name"] == "seed mix"
    assert [r.status for r in tiny.api_requests()] == [503, 503, 500, 200]
    # delay k is in [base * 2**(k-1) / 2, base * 2**(k-1)]
    assert len(sleeps) == 3
    for k, slept in enumerate(sleeps):
        assert 2 ** k / 2 <= slept <= 2 ** k
    assert client.stats.retries == 3 and len(notes) == 3


def test_persistent_server_errors_stop_cleanly(tiny: FakeSpotify, make_client):
    client, sleeps, _ = make_client(max_retries=2)
    tiny.fail(502, times=-1)
    with pytest.raises(CrawlStop) as stop:
        client.playlist(_seed(tiny))
    assert "502" in stop.value.message and "--resume" in stop.value.message
    assert len(tiny.api_requests()) == 3 and len(sleeps) == 2


def test_timeouts_and_unreadable_bodies_are_retried(tiny: FakeSpotify, make_client):
    # 2 s: a normal answer is faster even on a loaded machine (test_faults once saw one
    # answer take more than 0.5 s under the suite's load)
    client, sleeps, _ = make_client(timeout_s=2.0)
    tiny.slow(4.0, times=1)
    tiny.garbage(times=1)  # faults fire in turn: the slow one first, then this
    assert client.playlist(_seed(tiny))["id"] == _seed(tiny)
    assert client.stats.retries == 2 and len(sleeps) == 2


def test_definite_errors_are_not_retried(tiny: FakeSpotify, make_client):
    client, sleeps, _ = make_client()
    with pytest.raises(ApiError) as err:
        client.playlist_items(tiny.catalog.by_pid[3].id, 0, 50)  # restricted
    assert err.value.status == 403
    with pytest.raises(ApiError) as err:
        client.search_playlists("Alpha", 0, 11)  # limit above 10: a 400 since 2026
    assert err.value.status == 400
    assert len(tiny.api_requests()) == 2 and sleeps == []


def test_rejected_credentials_raise_auth_error(tiny: FakeSpotify, make_client):
    client, _, _ = make_client(secret="not-the-secret")
    with pytest.raises(AuthError) as err:
        client.playlist(_seed(tiny))
    assert "SPOTIPY_CLIENT_SECRET" in str(err.value)


def test_request_budget_is_never_exceeded(tiny: FakeSpotify, make_client):
    client, _, _ = make_client()
    client.request_budget = 2
    client.playlist(_seed(tiny))
    client.playlist(_seed(tiny))
    with pytest.raises(CrawlStop):
        client.playlist(_seed(tiny))
    assert len(tiny.api_requests()) == 2


def test_no_token_or_secret_reaches_the_logs(tiny: FakeSpotify, make_client,
                                             caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    client, _, _ = make_client()
    client.playlist(_seed(tiny))
    with pytest.raises(ApiError):
        client.playlist_items(tiny.catalog.by_pid[3].id, 0, 50)
    tokens = tiny.accounts.issued_tokens()
    assert tokens
    for secret in [tiny.client_secret, *tokens]:
        assert secret not in caplog.text


class _Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_pacer_keeps_every_window_under_the_limit_and_halves_on_429():
    clock = _Clock()
    pacer = Pacer(30, 10.0, clock=clock, sleep=clock.sleep)
    sent = []
    for _ in range(100):
        pacer.before_request()
        sent.append(clock.now)
        pacer.on_success()
    for t in sent:
        assert sum(1 for s in sent if t <= s < t + 10.0) <= 30
    # evenly spread at nearly the full rate (the pacer keeps a small margin per window)
    assert 99 * 10 / 30 <= sent[-1] <= 99 * 10 / 30 * 1.05
    pacer.on_rate_limited()
    assert pacer.rate == pytest.approx(1.5)
    pacer.before_request()
    before = clock.now
    pacer.before_request()
    assert clock.now - before == pytest.approx(1 / 1.5, rel=0.01)


def test_real_waits_are_spent(tiny: FakeSpotify):
    """One end-to-end check with the real sleep: a 1 s Retry-After costs about 1 s."""
    session = requests.Session()
    auth = app_auth(Credentials(tiny.client_id, tiny.client_secret), tiny.token_url, session, 5)
    client = SpotifyClient(ClientSettings(tiny.base_url, requests_per_window=1000), auth,
                           session=session)
    tiny.fail(429, retry_after=1)
    started = time.monotonic()
    client.playlist(_seed(tiny))
    assert 1.0 <= time.monotonic() - started < 5.0
