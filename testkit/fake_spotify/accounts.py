"""The fake accounts service: client-credentials, PKCE authorization code and refresh grants.

Tokens are random strings mapped to who holds them: the app (client credentials) or a
user (PKCE), with the scopes the user granted. The fake approves every authorization at
once, as the user `user_id`, granting exactly the known scopes it was asked for, as Spotify
does when the user clicks "Agree"; the code exchange checks the PKCE verifier and the
redirect URI, and a refresh keeps the scopes.
"""
from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlencode

SCOPE = "playlist-read-collaborative playlist-read-private"  # what tests' tokens hold by default
# The scopes the fake knows (Spotify ignores nothing: an unknown scope fails the authorize).
KNOWN_SCOPES = frozenset({
    "playlist-read-private", "playlist-read-collaborative", "playlist-modify-private",
    "playlist-modify-public", "user-library-read", "user-library-modify", "user-top-read",
    "user-read-private", "user-read-email", "user-read-recently-played"})


@dataclass(frozen=True)
class Principal:
    kind: str  # 'app' | 'user'
    user_id: str | None
    expires_at: float
    scopes: frozenset[str] = frozenset()

    def has(self, scope: str) -> bool:
        return scope in self.scopes


class Accounts:
    def __init__(self, client_id: str, client_secret: str, user_id: str, token_ttl_s: int):
        self.client_id, self.client_secret = client_id, client_secret
        self.user_id = user_id
        self.token_ttl_s = token_ttl_s
        self._tokens: dict[str, Principal] = {}
        self._refresh: dict[str, tuple[str, frozenset[str]]] = {}  # refresh → (user, scopes)
        # code → (user id, code challenge, redirect URI, granted scopes)
        self._codes: dict[str, tuple[str, str, str, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def principal(self, authorization: str) -> Principal | None:
        """Who a request's `Authorization: Bearer …` header stands for (None: nobody valid)."""
        token = authorization[7:] if authorization.startswith("Bearer ") else ""
        with self._lock:
            found = self._tokens.get(token)
        return found if found and found.expires_at > time.time() else None

    def issued_tokens(self) -> list[str]:
        """Every access and refresh token handed out (for checking none leaks)."""
        with self._lock:
            return [*self._tokens, *self._refresh]

    def user_token(self, user_id: str | None = None, scope: str = SCOPE) -> dict:
        """A token_info dict, as spotipy caches it, for a signed-in user who granted `scope`."""
        with self._lock:
            info = self._user_token(user_id or self.user_id, frozenset(scope.split()))
        info["expires_at"] = int(time.time()) + self.token_ttl_s
        return info

    def token(self, form: dict[str, str], authorization: str) -> tuple[int, dict]:
        """POST /api/token."""
        grant = form.get("grant_type")
        with self._lock:
            if grant == "client_credentials":
                expected = base64.b64encode(
                    f"{self.client_id}:{self.client_secret}".encode()).decode()
                if authorization != f"Basic {expected}":
                    return _invalid("invalid_client", "Invalid client")
                return 200, self._access_token("app", None)
            if form.get("client_id") != self.client_id:
                return _invalid("invalid_client", "Invalid client")
            if grant == "authorization_code":
                user, challenge, redirect, scopes = self._codes.pop(
                    form.get("code", ""), (None, None, None, frozenset()))
                digest = base64.urlsafe_b64encode(hashlib.sha256(
                    form.get("code_verifier", "").encode()).digest()).decode().rstrip("=")
                if user is None or digest != challenge:
                    return _invalid("invalid_grant", "Invalid authorization code")
                if form.get("redirect_uri") != redirect:
                    return _invalid("invalid_grant", "Invalid redirect URI")
            elif grant == "refresh_token":
                user, scopes = self._refresh.get(form.get("refresh_token", ""),
                                                 (None, frozenset()))
                if user is None:
                    return _invalid("invalid_grant", "Invalid refresh token")
            else:
                return _invalid("unsupported_grant_type", "Unsupported grant type")
            return 200, self._user_token(user, scopes)

    def authorize(self, params: dict[str, str]) -> tuple[int, str]:
        """GET /authorize: approve at once (the user "clicks Agree").

        (302, the redirect URL with code and state), or (400, a one-line reason) for what
        Spotify refuses on its own page: an unknown client, no redirect URI, no PKCE
        challenge, an unknown scope."""
        if params.get("client_id") != self.client_id:
            return 400, "INVALID_CLIENT: Invalid client"
        redirect = params.get("redirect_uri", "")
        if not redirect.startswith(("http://", "https://")):
            return 400, "INVALID_CLIENT: Invalid redirect URI"
        if params.get("response_type") != "code" or not params.get("code_challenge") \
                or params.get("code_challenge_method") != "S256":
            return 400, "invalid_request: code and an S256 code_challenge are required"
        asked = frozenset(params.get("scope", "").replace(",", " ").split())
        if asked - KNOWN_SCOPES:
            return 400, f"invalid_scope: Illegal scope {sorted(asked - KNOWN_SCOPES)[0]}"
        code = secrets.token_urlsafe(16)
        with self._lock:
            self._codes[code] = (self.user_id, params["code_challenge"], redirect, asked)
        query = {"code": code, **({"state": params["state"]} if "state" in params else {})}
        return 302, f"{redirect}?{urlencode(query)}"

    def _access_token(self, kind: str, user_id: str | None,
                      scopes: frozenset[str] = frozenset()) -> dict:
        token = secrets.token_urlsafe(24)
        self._tokens[token] = Principal(kind, user_id, time.time() + self.token_ttl_s, scopes)
        return {"access_token": token, "token_type": "Bearer", "expires_in": self.token_ttl_s}

    def _user_token(self, user_id: str, scopes: frozenset[str]) -> dict:
        info = self._access_token("user", user_id, scopes)
        refresh = secrets.token_urlsafe(16)
        self._refresh[refresh] = (user_id, scopes)
        info.update(refresh_token=refresh, scope=" ".join(sorted(scopes)))
        return info


def _invalid(error: str, description: str) -> tuple[int, dict]:
    return 400, {"error": error, "error_description": description}
