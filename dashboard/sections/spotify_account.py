"""The sidebar's Spotify account panel: sign in (PKCE, Spotify redirects back to this app),
who is signed in, sign out; and the dashboard password when the app is served to others.

The PKCE verifier never reaches the browser: it waits here, in the server process, under
the random `state` the authorize URL carries, and the redirect back (`?code=…&state=…`)
is matched to it once. The token lands in the home's 0600 token file (crawler/account_auth).
"""
from __future__ import annotations

import html
import os
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import streamlit as st

from crawler.account import account_client, forget_library
from crawler.account_auth import (ACCOUNT_SCOPES, SIGN_IN_TTL_S, NotSignedIn, PendingSignIn,
                                  begin_sign_in, finish_sign_in, granted_scopes, is_signed_in,
                                  sign_out)
from crawler.auth import SignInError
from crawler.client import ApiError, AuthError, CrawlStop
from crawler.connection import ConnectionSettingError, SpotifyConnection
from crawler.credentials import CredentialsError
from dashboard import access
from dashboard.jobs.crawl_job import dashboard_connection
from dashboard.settings import DashboardSettings
from data.home import user_token_path

ENV_REDIRECT = "PLAYLISTGRAPH_SPOTIFY_REDIRECT_URI"
UNLOCKED = "spotify_account_unlocked"  # session state: this session entered the password
_PENDING_KEY = "spotify_sign_in_state"


@st.cache_resource
def _pending() -> tuple[dict[str, tuple[PendingSignIn, bool]], threading.Lock]:
    """Sign-ins waiting for Spotify's redirect, by state, with whether the session that
    began one had entered the dashboard password (the redirect opens a new session)."""
    return {}, threading.Lock()


def connection() -> SpotifyConnection:
    return dashboard_connection(st.secrets)


def refusal(settings: DashboardSettings) -> str | None:
    """Why this session may not use the account (served to others without the password)."""
    return access.account_refusal(settings.home, access.served_address(),
                                  bool(st.session_state.get(UNLOCKED)))


def redirect_uri() -> str:
    """The app's own address, which must be registered with the Spotify app exactly."""
    configured = os.environ.get(ENV_REDIRECT, "").strip()
    if configured:
        return configured
    try:
        parts = urlsplit(str(st.context.url or ""))
    except Exception:  # noqa: BLE001 - no browser context (AppTest, bare mode)
        parts = None
    if parts is not None and parts.scheme in ("http", "https") and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}/"
    return "http://127.0.0.1:8501/"


def sign_in_link(settings: DashboardSettings, scopes: tuple[str, ...], label: str) -> None:
    """A link that starts the sign-in in this tab, asking `scopes` (plus those granted)."""
    try:
        conn = connection()
        client_id = conn.credentials().client_id
        token_url = conn.endpoints().token_url
    except (CredentialsError, ConnectionSettingError) as exc:
        st.caption(f"Cannot sign in: {exc}")
        return
    wanted = tuple(sorted(set(scopes) | granted_scopes(settings.home)))
    store, lock = _pending()
    with lock:
        _expire(store)
        known = store.get(st.session_state.get(_PENDING_KEY, ""))
        if known is None or known[0].scopes != wanted:
            pending = begin_sign_in(client_id, token_url, redirect_uri(), wanted)
            store[pending.state] = (pending, bool(st.session_state.get(UNLOCKED)))
            st.session_state[_PENDING_KEY] = pending.state
            known = store[pending.state]
    url = html.escape(known[0].url, quote=True)
    st.markdown(f'<a href="{url}" target="_self" class="pg-sign-in" style="display:inline-block;'
                'padding:0.35rem 0.9rem;border-radius:0.5rem;background:#1DB954;color:white;'
                f'text-decoration:none;font-weight:600">{html.escape(label)}</a>',
                unsafe_allow_html=True)


def handle_callback(settings: DashboardSettings) -> None:
    """Finish a sign-in when Spotify redirected back here with ?code=…&state=…."""
    state = st.query_params.get("state")
    if state is None or ("code" not in st.query_params and "error" not in st.query_params):
        return
    code, error = st.query_params.get("code"), st.query_params.get("error")
    for name in ("code", "state", "error"):
        st.query_params.pop(name, None)  # the code is single-use: never leave it in the URL
    store, lock = _pending()
    with lock:
        _expire(store)
        found = store.pop(state, None)
    if found is None:
        st.error("This sign-in link has expired or was already used; sign in again.",
                 icon=":material/error:")
        return
    pending, unlocked = found
    if error or not code:
        st.warning(f"Spotify sign-in was not completed ({error or 'no code'}).",
                   icon=":material/warning:")
        return
    try:
        conn = connection()
        finish_sign_in(pending, code, conn.credentials().client_id, conn.endpoints().token_url,
                       settings.home)
    except (SignInError, CredentialsError, ConnectionSettingError) as exc:
        st.error(f"Sign-in failed: {exc}", icon=":material/error:")
        return
    st.session_state[UNLOCKED] = unlocked or bool(st.session_state.get(UNLOCKED))
    st.toast("Signed in to Spotify.")


class _ProfileUnreadable(Exception):
    pass


@st.cache_data(ttl=600, show_spinner=False)
def _profile(home: str, token_stamp: int) -> tuple[str, str]:
    """(user id, display name); _ProfileUnreadable (not cached: the next run tries again)."""
    try:
        me = account_client(connection(), Path(home), max_wait_s=5.0, timeout_s=5.0).me()
    except (NotSignedIn, ApiError, AuthError, CredentialsError, ConnectionSettingError) as exc:
        raise _ProfileUnreadable(str(exc)) from None
    except CrawlStop:
        raise _ProfileUnreadable("Spotify is rate-limiting the app; try again in a while") \
            from None
    return str(me.get("id") or ""), str(me.get("display_name") or me.get("id") or "")


def profile(settings: DashboardSettings) -> tuple[str, str] | str | None:
    """The signed-in user's (id, display name), a one-line problem, or None (signed out).

    Cached per token file version (a sign-in or a refresh rewrites it)."""
    path = user_token_path(settings.home)
    try:
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError:
        return None
    try:
        return _profile(str(settings.home), stamp)
    except _ProfileUnreadable as exc:
        return str(exc)


def render(settings: DashboardSettings) -> None:
    """The panel (inside the sidebar)."""
    handle_callback(settings)
    st.markdown("#### Spotify account")
    refused = refusal(settings)
    if refused is not None:
        st.caption(refused)
        if access.has_password(settings.home):
            _password_form(settings)
        return
    who = profile(settings) if is_signed_in(settings.home) else None
    if who is None:
        st.caption("Sign in to recommend from your saved and top tracks and your playlists, "
                   "and to save recommendations as a private playlist.")
        sign_in_link(settings, ACCOUNT_SCOPES, "Sign in with Spotify")
        return
    if isinstance(who, str):
        st.caption(f"Signed in, but Spotify does not answer: {who}")
    else:
        st.markdown(f":material/account_circle: Signed in as **{_md(who[1])}**")
    if st.button("Sign out", icon=":material/logout:", key="spotify_sign_out", width="stretch"):
        sign_out(settings.home)
        forget_library(settings.home)  # what was read from the account goes with it
        st.rerun(scope="app")


def _password_form(settings: DashboardSettings) -> None:
    with st.form("dashboard_password", border=False):
        password = st.text_input("Dashboard password", type="password", key="dashboard_pw")
        if st.form_submit_button("Unlock", icon=":material/lock_open:"):
            if access.check_password(settings.home, password):
                st.session_state[UNLOCKED] = True
                st.rerun(scope="app")
            st.error("Wrong password.", icon=":material/lock:")


def _expire(store: dict[str, tuple[PendingSignIn, bool]]) -> None:
    now = time.time()
    for state in [s for s, (p, _) in store.items() if now - p.created > SIGN_IN_TTL_S]:
        del store[state]


def _md(text: str) -> str:
    return text.replace("*", "\\*").replace("_", "\\_")
