"""A real HTTP server on 127.0.0.1 that answers like the 2026 Spotify Web API.

spotipy talks to it unchanged (point `prefix` / the token URL at it). It serves a
`FakeCatalog` (web_api.py) and the accounts service (accounts.py), logs every request,
and has switchable faults: 429 with short or long Retry-After (or QUOTA_EXCEEDED), 5xx,
slow answers, unreadable bodies, junk items, and a server-side rate limit of N requests
per rolling window.
"""
from __future__ import annotations

import json
import math
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from testkit.fake_spotify.account_api import WrittenPlaylist, parse_body
from testkit.fake_spotify.accounts import SCOPE, Accounts
from testkit.fake_spotify.catalog import FakeCatalog
from testkit.fake_spotify.web_api import API, WebApi


@dataclass
class RequestRecord:
    method: str
    path: str  # e.g. /v1/playlists/ID/items
    params: dict[str, str]
    status: int
    principal: str  # 'app', 'user:<id>', '' (no or bad token), 'token' (accounts service)
    at: float
    fault: str | None = None  # the injected fault that shaped the answer, if any

    @property
    def page_key(self) -> tuple:
        """What identifies the page asked for (path and parameters)."""
        return (self.method, self.path, tuple(sorted(self.params.items())))


@dataclass
class Fault:
    """Answer matching API requests abnormally. Fires after `skip` matching requests,
    `times` times (-1: forever). Faults are tried in the order they were added."""
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


class FakeSpotify:
    """`FakeSpotify(sample_dir).start()` → the API base URL; `.token_url`; `.stop()`.

    Switches (change them any time): `junk` (junk items and null search results),
    `audio_features` ('forbidden' → 403 as for new apps, 'ok' → served from the sample's
    CSV), `rate_limit(n, window_s)`, `fail(...)`, `slow(...)`, `garbage(...)`,
    `withdraw(uris)` (tracks Spotify no longer serves). What users wrote through the API is
    in `written_playlists`; `issue_user_token(scope=...)` signs a user in without a browser.
    """

    def __init__(self, source: FakeCatalog | Path | str, *, client_id: str = "fake-client-id",
                 client_secret: str = "fake-client-secret", user_id: str | None = None,
                 token_ttl_s: int = 3600, port: int = 0, **catalog_options):
        self.catalog = source if isinstance(source, FakeCatalog) else \
            FakeCatalog.from_sample(Path(source), **catalog_options)
        # The account that signs in with --user-auth: by default the owner of the first
        # restricted playlist, so signing in makes a difference.
        self.user_id = user_id or next(
            (p.owner_id for p in self.catalog.playlists if p.access == "restricted"),
            self.catalog.playlists[0].owner_id)
        self.accounts = Accounts(client_id, client_secret, self.user_id, token_ttl_s)
        self.api = WebApi(self.catalog)
        self._log: list[RequestRecord] = []
        self._faults: list[Fault] = []
        self._rate_limit: tuple[int, float] | None = None
        self._window: deque[float] = deque()  # arrival times inside the rate window
        self._lock = threading.Lock()
        self._port = port
        self._server: ThreadingHTTPServer | None = None

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> str:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", self._port), handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._port = self._server.server_address[1]  # a restart keeps the same URLs
        self.api.base_url = self.base_url
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True,
                         name="fake-spotify").start()
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

    @property
    def client_id(self) -> str:
        return self.accounts.client_id

    @property
    def client_secret(self) -> str:
        return self.accounts.client_secret

    @client_secret.setter
    def client_secret(self, value: str) -> None:
        self.accounts.client_secret = value

    def env(self) -> dict[str, str]:
        """Credentials this server accepts, as environment variables."""
        return {"SPOTIPY_CLIENT_ID": self.client_id, "SPOTIPY_CLIENT_SECRET": self.client_secret}

    def crawler_args(self) -> list[str]:
        return ["--api-base", self.base_url, "--token-url", self.token_url]

    def issue_user_token(self, user_id: str | None = None, scope: str = SCOPE) -> dict:
        """A token_info dict (as spotipy caches it) for a signed-in user who granted `scope`."""
        return self.accounts.user_token(user_id, scope)

    @property
    def written_playlists(self) -> list[WrittenPlaylist]:
        """The playlists users created through the API, oldest first (what Spotify holds)."""
        return list(self.api.account.playlists.values())

    def withdraw(self, uris) -> None:
        """Tracks Spotify no longer serves: adding one fails the request with 400."""
        self.api.account.withdrawn.update(uris)

    # ---- switches, faults and the log ----------------------------------------------------

    @property
    def junk(self) -> bool:
        return self.api.junk

    @junk.setter
    def junk(self, on: bool) -> None:
        self.api.junk = on

    @property
    def audio_features(self) -> str:
        return self.api.audio_features

    @audio_features.setter
    def audio_features(self, mode: str) -> None:
        self.api.audio_features = mode

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
            self._rate_limit = None if n is None else (n, window_s)
            self._window.clear()

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    @property
    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._log)

    def api_requests(self) -> list[RequestRecord]:
        return [r for r in self.requests if r.path.startswith(API)]

    def reset_log(self) -> None:
        with self._lock:
            self._log.clear()

    def _fault_for(self, path: str) -> Fault | None:
        with self._lock:
            if self._rate_limit is not None:
                n, window_s = self._rate_limit
                now = time.monotonic()
                while self._window and self._window[0] <= now - window_s:
                    self._window.popleft()
                if len(self._window) >= n:  # refused requests do not count
                    wait = self._window[0] + window_s - now
                    return Fault("rate_limit", status=429, retry_after=max(1, math.ceil(wait)))
                self._window.append(now)
            for fault in self._faults:
                if fault.take(path):
                    return fault
        return None

    def _record(self, record: RequestRecord) -> None:
        with self._lock:
            self._log.append(record)


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
            status, where = self.fake.accounts.authorize(params)
            # Only the parameters that are not secrets (no code challenge).
            shown = {k: params[k] for k in ("client_id", "redirect_uri", "scope", "response_type")
                     if k in params}
            self.fake._record(RequestRecord("GET", url.path, shown, status, "token", time.time()))
            if status != 302:
                return self._send(status, where.encode(), {"Content-Type": "text/plain"})
            return self._send(302, b"", {"Location": where})
        self._api(url.path, params, None)

    def _api(self, path: str, params: dict[str, str], body: object) -> None:
        """A /v1/ request (GET, POST or PUT): token, faults, then the answer."""
        if not path.startswith(API):
            return self._json(404, {"error": {"status": 404, "message": "Service not found"}},
                              path, params, "")
        who = self.fake.accounts.principal(self.headers.get("Authorization", ""))
        if who is None:
            return self._json(401, {"error": {"status": 401, "message": "Invalid access token"}},
                              path, params, "")
        principal = "app" if who.kind == "app" else f"user:{who.user_id}"
        fault = self.fake._fault_for(path)
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.delay_s)  # then answer normally (the client may have given up)
        elif fault is not None and fault.kind == "garbage":
            self.fake._record(RequestRecord(self.command, path, params, 200, principal, time.time(),
                                            "garbage"))
            return self._send(200, b"<html>upstream hiccup</html>",
                              {"Content-Type": "text/html"})
        elif fault is not None:
            return self._fault_answer(fault, path, params, principal)
        if self.command == "GET":
            status, answer = self.fake.api.answer(path, params, who)
        else:
            status, answer = self.fake.api.write(self.command, path, params, body, who)
        if answer is None:  # PUT /playlists/{id}: Spotify answers 200 with an empty body
            self.fake._record(RequestRecord(self.command, path, params, status, principal,
                                            time.time()))
            return self._send(status, b"", {})
        self._json(status, answer, path, params, principal,
                   fault=fault.kind if fault is not None else None)

    def do_PUT(self) -> None:
        url = urlsplit(self.path)
        params = {k: v[-1] for k, v in parse_qs(url.query).items()}
        self._api(url.path, params, parse_body(self._body()))

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        if url.path.startswith(API):
            params = {k: v[-1] for k, v in parse_qs(url.query).items()}
            return self._api(url.path, params, parse_body(self._body()))
        form = {k: v[-1] for k, v in parse_qs(self._body().decode()).items()}
        if url.path != "/api/token":
            return self._json(404, {"error": {"status": 404, "message": "Service not found"}},
                              url.path, {}, "")
        status, body = self.fake.accounts.token(form, self.headers.get("Authorization", ""))
        # The log never holds the form: it carries secrets (code verifier, refresh token).
        self._json(status, body, url.path, {"grant_type": form.get("grant_type", "")}, "token")

    def _fault_answer(self, fault: Fault, path: str, params: dict[str, str],
                      principal: str) -> None:
        headers = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = str(int(math.ceil(fault.retry_after)))
        error = {"status": fault.status,
                 "message": "API rate limit exceeded" if fault.status == 429 else "Server error"}
        if fault.reason:
            error["reason"] = fault.reason
        self._json(fault.status, {"error": error}, path, params, principal, headers, fault.kind)

    def _json(self, status: int, body: object, path: str, params: dict[str, str],
              principal: str, headers: dict[str, str] | None = None,
              fault: str | None = None) -> None:
        self.fake._record(RequestRecord(self.command, path, params, status, principal, time.time(),
                                        fault))
        self._send(status, json.dumps(body).encode(),
                   {"Content-Type": "application/json; charset=utf-8", **(headers or {})})

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

