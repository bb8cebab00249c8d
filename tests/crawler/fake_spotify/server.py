"""A real HTTP server on 127.0.0.1 that answers like the 2026 Spotify Web API.

spotipy talks to it unchanged (point `prefix` / the token URL at it). It serves a
`FakeCatalog`, logs every request, and has switchable faults: 429 with short or long
Retry-After (or QUOTA_EXCEEDED), 5xx, slow answers, unreadable bodies, junk items,
and a server-side rate limit of N requests per rolling window.
"""
from __future__ import annotations

import base64
import hashlib
import json
import math
import secrets
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.crawler.fake_spotify.catalog import FakeCatalog, FakePlaylist

API = "/v1/"


@dataclass
class RequestRecord:
    method: str
    path: str  # e.g. /v1/playlists/ID/items
    params: dict[str, str]
    status: int
    principal: str  # 'app', 'user:<id>', '' (no or bad token), 'token' (token endpoint)
    at: float
    fault: str | None = None  # the injected fault that shaped the answer, if any

    @property
    def page_key(self) -> tuple:
        """What identifies the page asked for (path and parameters)."""
        return (self.method, self.path, tuple(sorted(self.params.items())))


@dataclass
class Fault:
    """Answer matching API requests abnormally. Fires after `skip` matching requests,
    `times` times (-1: forever)."""
    kind: str  # 'status' | 'slow' | 'garbage'
    status: int = 500
    retry_after: float | None = None
    reason: str | None = None  # e.g. QUOTA_EXCEEDED in a 429 body
    delay_s: float = 0.0
    path: str = ""  # substring of the request path ('' = any API request)
    skip: int = 0
    times: int = 1
    seen: int = 0
    fired: int = 0

    def take(self, path: str) -> bool:
        if self.path not in path or (self.times >= 0 and self.fired >= self.times):
            return False
        self.seen += 1
        if self.seen <= self.skip:
            return False
        self.fired += 1
        return True


@dataclass
class _Principal:
    kind: str  # 'app' | 'user'
    user_id: str | None
    expires_at: float


@dataclass
class _State:
    tokens: dict[str, _Principal] = field(default_factory=dict)
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # refresh token → user id
    codes: dict[str, tuple[str, str]] = field(default_factory=dict)  # code → (user, challenge)
    log: list[RequestRecord] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    window: deque = field(default_factory=deque)  # times of requests in the rate window


class FakeSpotify:
    """`FakeSpotify(sample_dir).start()` → the API base URL; `.token_url`; `.stop()`.

    Switches (change them any time): `junk` (junk items and null search results),
    `audio_features` ('forbidden' → 403 as for new apps, 'ok' → served from the sample's
    CSV), `rate_limit(n, window_s)`, `fail(...)`, `slow(...)`, `garbage(...)`.
    """

    def __init__(self, source: FakeCatalog | Path | str, *, client_id: str = "fake-client-id",
                 client_secret: str = "fake-client-secret", user_id: str | None = None,
                 token_ttl_s: int = 3600, port: int = 0, **catalog_options):
        self.catalog = source if isinstance(source, FakeCatalog) else \
            FakeCatalog.from_sample(Path(source), **catalog_options)
        self.client_id, self.client_secret = client_id, client_secret
        # The account that signs in with --user-auth: by default the owner of the first
        # restricted playlist, so signing in makes a difference.
        self.user_id = user_id or next(
            (p.owner_id for p in self.catalog.playlists if p.access == "restricted"),
            self.catalog.playlists[0].owner_id)
        self.token_ttl_s = token_ttl_s
        self.junk = False
        self.audio_features = "forbidden"
        self.rate_limit_n: int | None = None
        self.rate_limit_window_s = 30.0
        self._state = _State()
        self._lock = threading.Lock()
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> str:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", self._port), handler)
        self._port = self._server.server_address[1]  # a restart keeps the same URLs
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True, name="fake-spotify")
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakeSpotify":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def base_url(self) -> str:
        return self.origin + API

    @property
    def token_url(self) -> str:
        return self.origin + "/api/token"

    def env(self) -> dict[str, str]:
        """Credentials this server accepts, as environment variables."""
        return {"SPOTIPY_CLIENT_ID": self.client_id, "SPOTIPY_CLIENT_SECRET": self.client_secret}

    def crawler_args(self) -> list[str]:
        return ["--api-base", self.base_url, "--token-url", self.token_url]

    # ---- faults and the log ----------------------------------------------------------------

    def fail(self, status: int, *, times: int = 1, skip: int = 0, path: str = "",
             retry_after: float | None = None, reason: str | None = None) -> Fault:
        return self._add(Fault("status", status=status, times=times, skip=skip, path=path,
                               retry_after=retry_after, reason=reason))

    def slow(self, delay_s: float, *, times: int = 1, skip: int = 0, path: str = "") -> Fault:
        return self._add(Fault("slow", delay_s=delay_s, times=times, skip=skip, path=path))

    def garbage(self, *, times: int = 1, skip: int = 0, path: str = "") -> Fault:
        return self._add(Fault("garbage", times=times, skip=skip, path=path))

    def rate_limit(self, n: int | None, window_s: float = 30.0) -> None:
        """At most `n` API requests per rolling `window_s` (None: no limit)."""
        with self._lock:
            self.rate_limit_n, self.rate_limit_window_s = n, window_s
            self._state.window.clear()

    def clear_faults(self) -> None:
        with self._lock:
            self._state.faults.clear()

    def _add(self, fault: Fault) -> Fault:
        with self._lock:
            self._state.faults.append(fault)
        return fault

    @property
    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._state.log)

    def api_requests(self) -> list[RequestRecord]:
        return [r for r in self.requests if r.path.startswith(API)]

    def reset_log(self) -> None:
        with self._lock:
            self._state.log.clear()

    def issue_user_token(self, user_id: str | None = None) -> dict:
        """A token_info dict (as spotipy caches it) for a signed-in user."""
        user = user_id or self.user_id
        with self._lock:
            info = self._new_token("user", user)
            refresh = secrets.token_urlsafe(16)
            self._state.refresh_tokens[refresh] = user
        info.update(refresh_token=refresh, scope="playlist-read-collaborative "
                                                 "playlist-read-private",
                    expires_at=int(time.time()) + self.token_ttl_s)
        return info

    # ---- answering (called from handler threads) -------------------------------------------

    def _new_token(self, kind: str, user_id: str | None) -> dict:
        token = secrets.token_urlsafe(24)
        self._state.tokens[token] = _Principal(kind, user_id, time.time() + self.token_ttl_s)
        return {"access_token": token, "token_type": "Bearer", "expires_in": self.token_ttl_s}

    def _token(self, form: dict[str, str], auth_header: str) -> tuple[int, dict]:
        grant = form.get("grant_type")
        with self._lock:
            if grant == "client_credentials":
                expected = base64.b64encode(
                    f"{self.client_id}:{self.client_secret}".encode()).decode()
                if auth_header != f"Basic {expected}":
                    return 400, {"error": "invalid_client", "error_description": "Invalid client"}
                return 200, self._new_token("app", None)
            if form.get("client_id") != self.client_id:
                return 400, {"error": "invalid_client", "error_description": "Invalid client"}
            if grant == "authorization_code":
                user, challenge = self._state.codes.pop(form.get("code", ""), (None, None))
                verifier = form.get("code_verifier", "")
                digest = base64.urlsafe_b64encode(
                    hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
                if user is None or digest != challenge:
                    return 400, {"error": "invalid_grant", "error_description": "Invalid code"}
            elif grant == "refresh_token":
                user = self._state.refresh_tokens.get(form.get("refresh_token", ""))
                if user is None:
                    return 400, {"error": "invalid_grant",
                                 "error_description": "Invalid refresh token"}
            else:
                return 400, {"error": "unsupported_grant_type"}
            info = self._new_token("user", user)
            refresh = secrets.token_urlsafe(16)
            self._state.refresh_tokens[refresh] = user
            info.update(refresh_token=refresh,
                        scope="playlist-read-collaborative playlist-read-private")
            return 200, info

    def _authorize(self, params: dict[str, str]) -> str:
        """Approve at once (the user "clicks Agree") and redirect back with a code."""
        code = secrets.token_urlsafe(16)
        with self._lock:
            self._state.codes[code] = (self.user_id, params.get("code_challenge", ""))
        query = {"code": code}
        if "state" in params:
            query["state"] = params["state"]
        return f"{params.get('redirect_uri', '')}?{urlencode(query)}"

    def _principal(self, auth_header: str) -> _Principal | None:
        token = auth_header[7:] if auth_header.startswith("Bearer ") else ""
        with self._lock:
            found = self._state.tokens.get(token)
        return found if found and found.expires_at > time.time() else None

    def _fault_for(self, path: str) -> Fault | None:
        with self._lock:
            if self.rate_limit_n is not None:
                now = time.monotonic()
                window = self._state.window
                while window and window[0] <= now - self.rate_limit_window_s:
                    window.popleft()
                if len(window) >= self.rate_limit_n:
                    wait = window[0] + self.rate_limit_window_s - now
                    return Fault("status", status=429, retry_after=max(1, math.ceil(wait)))
                window.append(now)
            for fault in self._state.faults:
                if fault.take(path):
                    return fault
        return None

    def _api(self, path: str, params: dict[str, str], who: _Principal) -> tuple[int, object]:
        parts = path[len(API):].strip("/").split("/")
        cat = self.catalog
        if parts[0] == "playlists" and len(parts) in (2, 3):
            playlist = cat.by_id.get(parts[1])
            if playlist is None or playlist.access == "spotify":
                return _error(404, "Resource not found")
            readable = playlist.access == "public" or (
                who.kind == "user" and who.user_id == playlist.owner_id)
            if len(parts) == 2:
                body = cat.simplified(playlist, self.base_url, self.junk)
                body["followers"] = {"href": None, "total": playlist.followers}
                if readable:
                    body[("tracks" if playlist.legacy else "items")] = self._items_page(
                        playlist, 0, 100)
                return 200, body
            if parts[2] not in ("items", "tracks"):
                return _error(404, "Service not found")
            if not readable:
                return _error(403, "Forbidden")
            limit, offset = _int(params.get("limit"), 20), _int(params.get("offset"), 0)
            if limit is None or offset is None or not 1 <= limit <= 100 or offset < 0:
                return _error(400, "Invalid limit or offset")
            return 200, self._items_page(playlist, offset, limit)
        if parts == ["search"]:
            return self._search(params)
        if parts == ["audio-features"]:
            if self.audio_features != "ok":
                return 403, {"error": {"status": 403}}
            ids = [i for i in params.get("ids", "").split(",") if i][:100]
            return 200, {"audio_features": [self._features(i) for i in ids]}
        if parts == ["artists"]:  # batch artists: gone for development-mode apps
            return _error(403, "Forbidden")
        if parts[0] == "me":
            if who.kind != "user":
                return _error(401, "This endpoint needs a user token")
            if parts == ["me"]:
                return 200, {"id": who.user_id, "display_name": who.user_id, "type": "user"}
            if parts == ["me", "playlists"]:
                return 200, self._paging(
                    [cat.simplified(p, self.base_url, self.junk)
                     for p in cat.owned_by(who.user_id)], "me/playlists", params, 50)
        return _error(404, "Service not found")

    def _items_page(self, playlist: FakePlaylist, offset: int, limit: int) -> dict:
        entries = self.catalog.entries(playlist, self.junk)
        return self._paging(entries, f"playlists/{playlist.id}/items",
                            {"offset": str(offset), "limit": str(limit)}, limit)

    def _search(self, params: dict[str, str]) -> tuple[int, object]:
        limit, offset = _int(params.get("limit"), 10), _int(params.get("offset"), 0)
        if limit is None or offset is None or not 1 <= limit <= 10 or not 0 <= offset <= 1000:
            return _error(400, "Invalid limit")
        if not params.get("q"):
            return _error(400, "No search query")
        types = params.get("type", "").split(",")
        body: dict = {}
        for kind in types:
            if kind == "playlist":
                ranked = self.catalog.search(params["q"], self.junk)
                page = self._paging(ranked, "search", params, 10)
                page["items"] = [None if pid is None else self.catalog.simplified(
                    self.catalog.by_id[pid], self.base_url, self.junk) for pid in page["items"]]
                body["playlists"] = page
            elif kind in ("track", "artist", "album", "show", "episode", "audiobook"):
                body[kind + "s"] = self._paging([], "search", params, 10)
            else:
                return _error(400, "Bad search type field")
        return 200, body

    def _paging(self, items: list, path: str, params: dict[str, str], default_limit: int) -> dict:
        limit = _int(params.get("limit"), default_limit) or default_limit
        offset = _int(params.get("offset"), 0) or 0

        def link(at: int) -> str:
            return f"{self.base_url}{path}?{urlencode({**params, 'offset': at, 'limit': limit})}"
        return {"href": link(offset), "items": items[offset:offset + limit], "limit": limit,
                "next": link(offset + limit) if offset + limit < len(items) else None,
                "offset": offset, "previous": link(max(0, offset - limit)) if offset else None,
                "total": len(items)}

    def _features(self, track_id: str) -> dict | None:
        values = self.catalog.features.get(track_id)
        if values is None:
            return None
        return {**values, "type": "audio_features", "id": track_id,
                "uri": f"spotify:track:{track_id}",
                "track_href": f"{self.base_url}tracks/{track_id}"}

    def _record(self, record: RequestRecord) -> None:
        with self._lock:
            self._state.log.append(record)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeSpotify
    protocol_version = "HTTP/1.1"  # keep-alive, as the real API

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle's algorithm and
        # delayed ACKs add ~40 ms to every keep-alive response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        params = {k: v[-1] for k, v in parse_qs(url.query).items()}
        if url.path == "/authorize":
            self._send(302, b"", headers={"Location": self.fake._authorize(params)})
            self.fake._record(RequestRecord("GET", url.path, params, 302, "token", time.time()))
            return
        if not url.path.startswith(API):
            return self._json(404, {"error": {"status": 404, "message": "Service not found"}},
                              url.path, params, "")
        who = self.fake._principal(self.headers.get("Authorization", ""))
        if who is None:
            return self._json(401, {"error": {"status": 401, "message": "Invalid access token"}},
                              url.path, params, "")
        principal = "app" if who.kind == "app" else f"user:{who.user_id}"
        fault = self.fake._fault_for(url.path)
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.delay_s)  # then answer normally (the client may have given up)
        elif fault is not None and fault.kind == "garbage":
            self.fake._record(RequestRecord("GET", url.path, params, 200, principal, time.time(),
                                            "garbage"))
            return self._send(200, b"<html>upstream hiccup</html>",
                              headers={"Content-Type": "text/html"})
        elif fault is not None:
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = str(int(math.ceil(fault.retry_after)))
            error = {"status": fault.status, "message": "API rate limit exceeded"
                     if fault.status == 429 else "Server error"}
            if fault.reason:
                error["reason"] = fault.reason
            return self._json(fault.status, {"error": error}, url.path, params, principal,
                              headers, fault=fault.kind)
        status, body = self.fake._api(url.path, params, who)
        self._json(status, body, url.path, params, principal,
                   fault=fault.kind if fault is not None else None)

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[-1] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if url.path != "/api/token":
            return self._json(404, {"error": {"status": 404, "message": "Service not found"}},
                              url.path, {}, "")
        status, body = self.fake._token(form, self.headers.get("Authorization", ""))
        # The log never holds the form: it carries secrets (code verifier, refresh token).
        self._json(status, body, url.path, {"grant_type": form.get("grant_type", "")}, "token")

    def _json(self, status: int, body: object, path: str, params: dict[str, str],
              principal: str, headers: dict[str, str] | None = None,
              fault: str | None = None) -> None:
        self.fake._record(RequestRecord(self.command, path, params, status, principal, time.time(),
                                        fault))
        self._send(status, json.dumps(body).encode(),
                   headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})})

    def _send(self, status: int, payload: bytes, headers: dict[str, str]) -> None:
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test); nothing to answer

    def log_message(self, format: str, *args) -> None:
        pass  # the request log is kept in FakeSpotify.requests


def _error(status: int, message: str) -> tuple[int, dict]:
    return status, {"error": {"status": status, "message": message}}


def _int(text: str | None, default: int) -> int | None:
    if text is None:
        return default
    try:
        return int(text)
    except ValueError:
        return None
