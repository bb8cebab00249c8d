"""Auth managers for the one Spotify client: app tokens in memory, user tokens in a 0600 file.

spotipy reads its token URL from a class attribute; we set it on the instance, so a
custom URL (the local fake API) never leaks into other auth managers in the process.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests
from spotipy.cache_handler import CacheHandler, MemoryCacheHandler
from spotipy.exceptions import SpotifyOauthError
from spotipy.oauth2 import SpotifyClientCredentials, SpotifyPKCE

from crawler.credentials import Credentials
from data.atomic import write_text_atomic
from data.home import user_token_path

USER_SCOPE = "playlist-read-private playlist-read-collaborative"


class SignInError(RuntimeError):
    pass


class PrivateTokenFile(CacheHandler):
    """A token cache file created with mode 0600 (never world-readable, not even briefly)."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def get_cached_token(self) -> dict | None:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def save_token_to_cache(self, token_info: dict) -> None:
        write_text_atomic(self.path, json.dumps(token_info), mode=0o600)

    def delete(self) -> bool:
        """Sign out: remove the token (True if there was one)."""
        try:
            self.path.unlink()
            return True
        except FileNotFoundError:
            return False


def app_auth(credentials: Credentials, token_url: str, session: requests.Session,
             timeout_s: float) -> SpotifyClientCredentials:
    """Client-credentials flow; the token lives in memory only."""
    auth = SpotifyClientCredentials(
        client_id=credentials.client_id, client_secret=credentials.client_secret,
        requests_session=session, requests_timeout=timeout_s,
        cache_handler=MemoryCacheHandler())
    auth.OAUTH_TOKEN_URL = token_url
    return auth


def user_auth(credentials: Credentials, token_url: str, redirect_uri: str, home: Path,
              session: requests.Session, timeout_s: float,
              scope: str = USER_SCOPE) -> SpotifyPKCE:
    """PKCE flow (no secret needed); the user's token is cached in the home directory.

    The scopes the cached token already has are asked too: the token file is shared with
    the dashboard's sign-in, and a new sign-in here must not take its permissions away."""
    cache = PrivateTokenFile(user_token_path(home))
    granted = str((cache.get_cached_token() or {}).get("scope") or "").split()
    auth = SpotifyPKCE(
        client_id=credentials.client_id, redirect_uri=redirect_uri,
        scope=" ".join(sorted(set(scope.split()) | set(granted))),
        cache_handler=cache, requests_session=session,
        requests_timeout=timeout_s, open_browser=True)
    auth.OAUTH_TOKEN_URL = token_url
    auth.OAUTH_AUTHORIZE_URL = authorize_url(token_url)
    return auth


def authorize_url(token_url: str) -> str:
    """The authorize endpoint beside a token endpoint (…/api/token → …/authorize)."""
    parts = urlsplit(token_url)
    path = parts.path
    path = path[: -len("/api/token")] if path.endswith("/api/token") else path.rsplit("/", 1)[0]
    return urlunsplit((parts.scheme, parts.netloc, path + "/authorize", "", ""))


def sign_in(auth: SpotifyPKCE, *, interactive: bool | None = None) -> None:
    """Make sure a user token exists: the cached one (refreshed if needed) or a new sign-in.

    A new sign-in opens the browser and waits for Spotify's redirect, which needs a
    person at the machine; without a terminal it fails fast instead of hanging.
    """
    token_file = getattr(auth.cache_handler, "path", "the cached token")
    try:
        cached = auth.validate_token(auth.cache_handler.get_cached_token())
        if cached is not None:
            return
        if interactive is None:
            interactive = sys.stdin is not None and sys.stdin.isatty()
        if not interactive:
            raise SignInError("--user-auth needs a one-time sign-in in a browser: run "
                              "`python -m crawler --user-auth ...` once in a terminal, then the "
                              "token cached in the home directory is reused")
        auth.get_access_token()
    except SpotifyOauthError as exc:
        raise SignInError(f"sign-in failed ({exc.error or 'refused'}); delete {token_file} and "
                          "sign in again with --user-auth") from None
    except requests.RequestException as exc:
        raise SignInError(f"cannot reach Spotify's accounts service to sign in "
                          f"({type(exc).__name__}); check --token-url and the network") from None
