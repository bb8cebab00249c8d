"""Signing the user in to their Spotify account with the redirect to a web app (the dashboard),
and the auth manager that uses the token afterwards without ever prompting.

The flow is PKCE (no client secret): `begin_sign_in` makes the code verifier, its S256
challenge and the authorize URL with a random `state`; the caller keeps the verifier on the
server side under the state (never in the page), and when Spotify redirects back with
`?code=…&state=…`, `finish_sign_in` exchanges the code with that verifier. The token goes
to the home directory's token file (mode 0600, written atomically); signing out deletes it.

Scopes are asked as the features need them and no more: reading the library
(`READ_SCOPES`) and writing a private playlist (`SAVE_SCOPE`); never the public-playlist,
e-mail or playback scopes. A token with fewer (the crawler's `--user-auth` asks only the
playlist-read ones) meets a 403 that names the missing scope and a link to sign in again.
"""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import requests
from spotipy.cache_handler import MemoryCacheHandler
from spotipy.exceptions import SpotifyOauthError
from spotipy.oauth2 import SpotifyPKCE

import crawler.client  # noqa: F401 - silences spotipy's logger (it logs the token exchange)
from crawler.auth import PrivateTokenFile, SignInError, authorize_url
from data.home import user_token_path

READ_SCOPES = ("playlist-read-private", "playlist-read-collaborative", "user-library-read",
               "user-top-read")
SAVE_SCOPE = "playlist-modify-private"  # playlist-modify-public only for a public playlist
# What the dashboard's sign-in asks: its features (reading, saving a private playlist), no more.
ACCOUNT_SCOPES = READ_SCOPES + (SAVE_SCOPE,)
SIGN_IN_TTL_S = 600.0  # an authorize URL not answered within this long is refused


class NotSignedIn(RuntimeError):
    """No usable token: sign in (again)."""


@dataclass(frozen=True)
class PendingSignIn:
    """What the server keeps between the authorize redirect and the callback."""
    state: str
    code_verifier: str
    redirect_uri: str
    scopes: tuple[str, ...]
    url: str  # the authorize URL to send the browser to (holds the challenge, not the verifier)
    created: float


def begin_sign_in(client_id: str, token_url: str, redirect_uri: str,
                  scopes: tuple[str, ...]) -> PendingSignIn:
    auth = _pkce(client_id, token_url, redirect_uri, scopes, None)
    auth.get_pkce_handshake_parameters()
    state = secrets.token_urlsafe(16)
    return PendingSignIn(state, auth.code_verifier, redirect_uri, tuple(scopes),
                         auth.get_authorize_url(state), time.time())


def finish_sign_in(pending: PendingSignIn, code: str, client_id: str, token_url: str,
                   home: Path, session: requests.Session | None = None,
                   timeout_s: float = 10.0) -> None:
    """Exchange the code for a token (saved 0600 in the home); SignInError in one line."""
    if time.time() - pending.created > SIGN_IN_TTL_S:
        raise SignInError("the sign-in took too long; sign in again")
    auth = _pkce(client_id, token_url, pending.redirect_uri, pending.scopes,
                 PrivateTokenFile(user_token_path(home)), session, timeout_s)
    auth.code_verifier = pending.code_verifier
    auth.code_challenge = "set"  # spotipy makes new handshake values when this is missing
    try:
        auth.get_access_token(code=code, check_cache=False)
    except SpotifyOauthError as exc:
        raise SignInError(f"Spotify refused the sign-in ({exc.error or 'no reason given'}); "
                          "sign in again") from None
    except requests.RequestException as exc:
        raise SignInError(f"cannot reach Spotify's accounts service ({type(exc).__name__}); "
                          "check the token URL and the network, then sign in again") from None


class SignedInAuth(SpotifyPKCE):
    """The cached user token, refreshed when it expires; never opens a browser or waits
    for input (a web page or a background job has nobody to answer)."""

    def get_access_token(self, code=None, check_cache=True):  # noqa: D401 - spotipy's API
        token = self.cache_handler.get_cached_token()
        if not token:
            raise NotSignedIn("not signed in to Spotify; sign in first")
        if self.is_token_expired(token):
            try:
                token = self.refresh_access_token(token["refresh_token"])
            except SpotifyOauthError:
                raise NotSignedIn("the Spotify sign-in has expired or was revoked; sign in "
                                  "again") from None
        return token["access_token"]


def signed_in_auth(client_id: str, token_url: str, home: Path,
                   session: requests.Session | None = None,
                   timeout_s: float = 10.0) -> SignedInAuth:
    auth = SignedInAuth(client_id=client_id, redirect_uri="http://127.0.0.1/", scope=None,
                        cache_handler=PrivateTokenFile(user_token_path(home)),
                        requests_session=session or requests.Session(),
                        requests_timeout=timeout_s, open_browser=False)
    auth.OAUTH_TOKEN_URL = token_url
    return auth


def granted_scopes(home: Path) -> set[str]:
    """The scopes of the cached token (empty when signed out)."""
    token = PrivateTokenFile(user_token_path(home)).get_cached_token() or {}
    return set(str(token.get("scope") or "").split())


def is_signed_in(home: Path) -> bool:
    return PrivateTokenFile(user_token_path(home)).get_cached_token() is not None


def sign_out(home: Path) -> bool:
    """Delete the token file (True if there was one)."""
    return PrivateTokenFile(user_token_path(home)).delete()


def _pkce(client_id: str, token_url: str, redirect_uri: str, scopes: tuple[str, ...],
          cache, session: requests.Session | None = None, timeout_s: float = 10.0) -> SpotifyPKCE:
    auth = SpotifyPKCE(client_id=client_id, redirect_uri=redirect_uri, scope=" ".join(scopes),
                       cache_handler=cache or MemoryCacheHandler(), open_browser=False,
                       requests_session=session or requests.Session(), requests_timeout=timeout_s)
    auth.OAUTH_TOKEN_URL = token_url
    auth.OAUTH_AUTHORIZE_URL = authorize_url(token_url)
    return auth

