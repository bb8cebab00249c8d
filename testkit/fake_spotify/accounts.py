"""The fake accounts service: client-credentials, PKCE authorization code and refresh grants.

Tokens are random strings mapped to who holds them: the app (client credentials) or a
user (PKCE). The fake approves every authorization at once, as the user `user_id`.
"""
from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlencode

SCOPE = "playlist-read-collaborative playlist-read-private"


@dataclass(frozen=True)
class Principal:
    kind: str  # 'app' | 'user'
    user_id: str | None
    expires_at: float


class Accounts:
    def __init__(self, client_id: str, client_secret: str, user_id: str, token_ttl_s: int):
        self.client_id, self.client_secret = client_id, client_secret
        self.user_id = user_id
        self.token_ttl_s = token_ttl_s
        self._tokens: dict[str, Principal] = {}
        self._refresh: dict[str, str] = {}  # refresh token → user id
        self._codes: dict[str, tuple[str, str]] = {}  # code → (user id, code challenge)
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

    def user_token(self, user_id: str | None = None) -> dict:
        """A token_info dict, as spotipy caches it, for a signed-in user."""
        with self._lock:
            info = self._user_token(user_id or self.user_id)
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
                user, challenge = self._codes.pop(form.get("code", ""), (None, None))
                digest = base64.urlsafe_b64encode(hashlib.sha256(
                    form.get("code_verifier", "").encode()).digest()).decode().rstrip("=")
                if user is None or digest != challenge:
                    return _invalid("invalid_grant", "Invalid authorization code")
            elif grant == "refresh_token":
                user = self._refresh.get(form.get("refresh_token", ""))
                if user is None:
                    return _invalid("invalid_grant", "Invalid refresh token")
            else:
                return _invalid("unsupported_grant_type", "Unsupported grant type")
            return 200, self._user_token(user)

    def authorize(self, params: dict[str, str]) -> str:
        """GET /authorize: approve at once (the user "clicks Agree"); the redirect URL."""
        code = secrets.token_urlsafe(16)
        with self._lock:
            self._codes[code] = (self.user_id, params.get("code_challenge", ""))
        query = {"code": code, **({"state": params["state"]} if "state" in params else {})}
        return f"{params.get('redirect_uri', '')}?{urlencode(query)}"

    def _access_token(self, kind: str, user_id: str | None) -> dict:
        token = secrets.token_urlsafe(24)
        self._tokens[token] = Principal(kind, user_id, time.time() + self.token_ttl_s)
        return {"access_token": token, "token_type": "Bearer", "expires_in": self.token_ttl_s}

    def _user_token(self, user_id: str) -> dict:
        info = self._access_token("user", user_id)
        refresh = secrets.token_urlsafe(16)
        self._refresh[refresh] = user_id
        info.update(refresh_token=refresh, scope=SCOPE)
        return info


def _invalid(error: str, description: str) -> tuple[int, dict]:
    return 400, {"error": error, "error_description": description}
