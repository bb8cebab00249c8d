"""The one Spotify client every crawler request goes through.

spotipy does the HTTP and auth, with its own retries off: it gets a plain
`requests.Session()` (no urllib3 retry adapter), so a 429 reaches us with its real
status and `Retry-After` header instead of being slept through silently or turned
into "Max Retries". Here we pace requests, retry 5xx answers and timeouts with
exponential backoff and jitter, wait out short `Retry-After`s with a visible message,
and stop cleanly (resumably) on long ones or on QUOTA_EXCEEDED.
"""
from __future__ import annotations

import email.utils
import logging
import random
import time
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import requests
import spotipy
from spotipy.exceptions import SpotifyException, SpotifyOauthError
from spotipy.oauth2 import SpotifyClientCredentials

from crawler.pacing import Pacer

# spotipy logs request headers (the bearer token) at DEBUG and every HTTP error at
# ERROR; neither may reach the user's terminal or a log file.
logging.getLogger("spotipy").setLevel(logging.CRITICAL + 1)

_AUTH_ERRORS = {"invalid_client", "invalid_grant", "unauthorized_client", "invalid_request",
                "unsupported_grant_type", "invalid_scope"}
_MAX_RATE_LIMIT_WAITS = 20  # consecutive short 429 waits on one request before stopping


class ApiError(Exception):
    """A definite answer that retrying will not change (400, 403, 404, ...)."""

    def __init__(self, status: int, message: str):
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class MissingScope(ApiError):
    """403 on an endpoint that needs a scope the user did not grant: sign in again."""

    def __init__(self, scope: str, what: str):
        super().__init__(403, f"Spotify refused {what}: the sign-in lacks the permission "
                              f"{scope}; sign in again to grant it")
        self.scope = scope


class AuthError(Exception):
    """Spotify rejected the credentials or the token."""


class CrawlStop(Exception):
    """A clean, resumable stop: the crawl saves its state and exits."""

    def __init__(self, message: str, resume_after: datetime | None = None):
        super().__init__(message)
        self.message = message
        self.resume_after = resume_after


@dataclass
class ClientSettings:
    api_base: str
    timeout_s: float = 10.0
    max_retries: int = 5
    backoff_s: float = 1.0
    backoff_max_s: float = 60.0
    max_wait_s: float = 60.0
    requests_per_window: int = 90
    window_s: float = 30.0


@dataclass
class ClientStats:
    requests: int = 0  # HTTP requests sent to the API (retries included)
    retries: int = 0  # re-sent after a 5xx answer, a timeout or a broken body
    rate_limited: int = 0  # 429 answers
    waits: int = 0  # sleeps on Retry-After or backoff
    wait_s: float = 0.0


class SpotifyClient:
    def __init__(self, settings: ClientSettings, auth_manager: Any, *,
                 session: requests.Session | None = None,
                 notify: Callable[[str], None] = lambda message: None,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic,
                 stats: ClientStats | None = None):
        self.settings = settings
        self.stats = stats or ClientStats()
        self.request_budget: int | None = None  # stop once stats.requests reaches it
        self._notify, self._sleep = notify, sleep
        self._pacer = Pacer(settings.requests_per_window, settings.window_s,
                            clock=clock, sleep=sleep)
        self._auth = auth_manager
        self._sp = spotipy.Spotify(
            auth_manager=auth_manager, requests_session=session or requests.Session(),
            retries=0, status_retries=0, requests_timeout=settings.timeout_s)
        self._sp.prefix = settings.api_base if settings.api_base.endswith("/") \
            else settings.api_base + "/"

    # ---- the endpoints the crawler uses ---------------------------------------------------

    def playlist(self, playlist_id: str) -> dict:
        return self._call(f"playlist {playlist_id}", lambda: self._sp.playlist(
            playlist_id, additional_types=("track", "episode")))

    def playlist_items(self, playlist_id: str, offset: int, limit: int) -> dict:
        return self._call(f"items of {playlist_id}", lambda: self._sp.playlist_items(
            playlist_id, limit=limit, offset=offset, additional_types=("track", "episode")))

    def search_playlists(self, query: str, offset: int, limit: int) -> dict:
        return self._call("search", lambda: self._sp.search(
            q=query, limit=limit, offset=offset, type="playlist"))

    def audio_features(self, track_ids: list[str]) -> list:
        def call():
            with warnings.catch_warnings():  # spotipy marks the endpoint deprecated
                warnings.simplefilter("ignore", DeprecationWarning)
                return self._sp.audio_features(track_ids)
        return self._call("audio features", call)

    def my_playlists(self, offset: int, limit: int = 50) -> dict:
        return self._call("your playlists", lambda: self._sp.current_user_playlists(
            limit=limit, offset=offset))

    # ---- the signed-in user's account (a user token; each endpoint's scope named) ----------

    def me(self) -> dict:
        return self._call("your profile", self._sp.current_user)

    def saved_tracks(self, offset: int, limit: int = 50) -> dict:
        return self._call("your saved tracks", lambda: self._sp.current_user_saved_tracks(
            limit=limit, offset=offset), scope="user-library-read")

    def top_tracks(self, time_range: str, offset: int, limit: int = 50) -> dict:
        return self._call("your top tracks", lambda: self._sp.current_user_top_tracks(
            limit=limit, offset=offset, time_range=time_range), scope="user-top-read")

    def create_playlist(self, name: str, description: str, *, public: bool = False) -> dict:
        """POST /me/playlists (the only way to create one since 2026); private by default
        here, where the API's own default is public."""
        return self._call("creating a playlist", lambda: self._sp._post("me/playlists", payload={
            "name": name, "public": public, "collaborative": False,
            "description": description}), scope=_modify_scope(public))

    def add_items(self, playlist_id: str, uris: list[str], *, public: bool = False) -> dict:
        """POST /playlists/{id}/items: `uris` (at most 100) appended in order."""
        return self._call("adding tracks to the playlist", lambda: self._sp._post(
            f"playlists/{playlist_id}/items", payload={"uris": list(uris)}),
            scope=_modify_scope(public))

    def replace_items(self, playlist_id: str, uris: list[str], *, public: bool = False) -> dict:
        """PUT /playlists/{id}/items: the playlist becomes `uris` (at most 100)."""
        return self._call("replacing the playlist's tracks", lambda: self._sp._put(
            f"playlists/{playlist_id}/items", payload={"uris": list(uris)}),
            scope=_modify_scope(public))

    def change_playlist_details(self, playlist_id: str, description: str, *,
                                public: bool = False) -> None:
        """PUT /playlists/{id}; Spotify answers 200 with an empty body."""
        self._call("updating the playlist's description", lambda: self._sp._put(
            f"playlists/{playlist_id}", payload={"description": description}),
            scope=_modify_scope(public), empty_body=True)

    def authenticate(self) -> None:
        """Get a token now, so bad credentials fail at the start, not mid-crawl.

        A token request is not an API request: it is not paced or counted.
        """
        failures = 0
        while True:
            try:
                self._auth.get_access_token(as_dict=False) if _takes_as_dict(self._auth) \
                    else self._auth.get_access_token()
                return
            except SpotifyOauthError as exc:
                if (exc.error or "") in _AUTH_ERRORS:
                    raise AuthError(f"Spotify refused the credentials ({exc.error}); check "
                                    "SPOTIPY_CLIENT_ID and SPOTIPY_CLIENT_SECRET") from None
                problem = "token endpoint error"
            except (requests.Timeout, requests.ConnectionError) as exc:
                problem = _network_problem(exc)
            failures += 1
            if failures > self.settings.max_retries:
                raise AuthError(f"cannot get a token ({problem}, {failures} tries); check "
                                "--token-url and the network") from None
            self._backoff("the token request", problem, failures)

    # ---- retries, waits and stops ----------------------------------------------------------

    def _call(self, what: str, request: Callable[[], Any], *, scope: str | None = None,
              empty_body: bool = False) -> Any:
        """`request()` with retries; `scope` is the user scope the endpoint needs (its 403
        becomes MissingScope); `empty_body` for endpoints that answer 2xx without JSON."""
        failures = rate_waits = 0
        reauthenticated = False
        while True:
            if self.request_budget is not None and self.stats.requests >= self.request_budget:
                raise CrawlStop(f"reached --max-requests ({self.request_budget} requests); "
                                "raise it and continue with --resume")
            self._pacer.before_request()
            self.stats.requests += 1
            try:
                result = request()
            except SpotifyException as exc:
                status = exc.http_status
                if status == 429:
                    self.stats.rate_limited += 1
                    self._pacer.on_rate_limited()
                    rate_waits += 1
                    self._wait_rate_limit(what, exc, rate_waits)
                    continue
                if status is not None and status >= 500:
                    failures += 1
                    self._backoff(what, f"server error {status}", failures)
                    continue
                if status == 401 and not reauthenticated:
                    # An expired or revoked token: fetch a new one once.
                    reauthenticated = True
                    self._drop_cached_token()
                    continue
                if status == 401:
                    raise AuthError("Spotify rejected the access token (401); check the app's "
                                    "credentials or sign in again with --user-auth") from None
                if status == 403 and scope is not None and self._lacks(scope, exc):
                    raise MissingScope(scope, what) from None
                raise ApiError(status or 0, _error_message(exc)) from None
            except SpotifyOauthError as exc:
                if (exc.error or "") in _AUTH_ERRORS:
                    raise AuthError(f"Spotify refused the credentials ({exc.error}); check "
                                    "SPOTIPY_CLIENT_ID and SPOTIPY_CLIENT_SECRET") from None
                failures += 1
                self._backoff(what, "token endpoint error", failures)
                continue
            except (requests.Timeout, requests.ConnectionError) as exc:
                failures += 1
                self._backoff(what, _network_problem(exc), failures)
                continue
            if result is None and not empty_body:
                # spotipy returns None for a 2xx body that is not JSON.
                failures += 1
                self._backoff(what, "unreadable response body", failures)
                continue
            self._pacer.on_success()
            return result

    def _wait_rate_limit(self, what: str, exc: SpotifyException, attempt: int) -> None:
        retry_after = _retry_after_s(exc.headers)
        reason = f"{exc.reason or ''} {exc.msg or ''}"
        if "QUOTA_EXCEEDED" in reason:
            resume = _resume_time(retry_after if retry_after is not None else 24 * 3600)
            raise CrawlStop("Spotify says the app's quota is exceeded (429 QUOTA_EXCEEDED); "
                            f"resume after {_fmt(resume)} with --resume", resume)
        wait = retry_after if retry_after is not None else min(2.0 ** attempt, 30.0)
        if wait > self.settings.max_wait_s or attempt > _MAX_RATE_LIMIT_WAITS:
            resume = _resume_time(wait)
            raise CrawlStop(f"rate limited: Spotify asks to wait {wait:.0f} s (longer than "
                            f"--max-wait-s {self.settings.max_wait_s:.0f}); resume after "
                            f"{_fmt(resume)} with --resume", resume)
        self._notify(f"rate limited (429) on {what}: waiting {wait:.0f} s as Spotify asks")
        self._sleep_counted(wait)

    def _backoff(self, what: str, problem: str, failures: int) -> None:
        if failures > self.settings.max_retries:
            raise CrawlStop(f"{problem} on {what} persisted after {self.settings.max_retries} "
                            "retries; try again later with --resume")
        self.stats.retries += 1
        # Exponential backoff with "equal jitter": half fixed, half random, so retries
        # from many requests spread out but each still waits a while.
        delay = min(self.settings.backoff_max_s, self.settings.backoff_s * 2 ** (failures - 1))
        delay = delay / 2 + random.uniform(0, delay / 2)
        self._notify(f"{problem} on {what}: retry {failures}/{self.settings.max_retries} "
                     f"in {delay:.1f} s")
        self._sleep_counted(delay)

    def _sleep_counted(self, seconds: float) -> None:
        self.stats.waits += 1
        self.stats.wait_s += seconds
        self._sleep(seconds)

    def _lacks(self, scope: str, exc: SpotifyException) -> bool:
        """Whether a 403 is for want of `scope`: Spotify says "Insufficient client scope",
        or the cached token does not list it (a 403 for another reason, such as a playlist
        the user does not own, stays an ApiError)."""
        if "scope" in _error_message(exc).lower():
            return True
        cache = getattr(self._auth, "cache_handler", None)
        token = cache.get_cached_token() if cache is not None else None
        return bool(token) and scope not in str(token.get("scope") or "").split()

    def _drop_cached_token(self) -> None:
        cache = getattr(self._auth, "cache_handler", None)
        token = cache.get_cached_token() if cache is not None else None
        if token:
            token = dict(token, expires_at=0)  # forces a refresh, keeps a refresh token
            cache.save_token_to_cache(token)


def _modify_scope(public: bool) -> str:
    return "playlist-modify-public" if public else "playlist-modify-private"


def _takes_as_dict(auth: Any) -> bool:
    # Client credentials take as_dict (and warn without it); PKCE does not.
    return isinstance(auth, SpotifyClientCredentials)


def _retry_after_s(headers: Any) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), or None."""
    value = (headers or {}).get("Retry-After") if headers is not None else None
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _resume_time(seconds: float) -> datetime:
    return datetime.now(timezone.utc) + timedelta(seconds=seconds)


def _fmt(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S UTC")


def _error_message(exc: SpotifyException) -> str:
    # spotipy's msg is "<url>:\n <message>"; the URL adds nothing for the user.
    msg = (exc.msg or "").split("\n")[-1].strip()
    return msg if msg and msg != "None" else "no message"


def _network_problem(exc: Exception) -> str:
    return "timeout" if isinstance(exc, requests.Timeout) else "connection error"
