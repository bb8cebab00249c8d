"""`python -m ml recommend … --save-to-spotify NAME`: the command-line form of Save to Spotify.

Uses the home's token (signed in from the dashboard, or here: in a terminal, the PKCE
sign-in opens the browser and waits on the crawler's redirect URI, `--redirect-uri` of
`python -m crawler`, default http://127.0.0.1:8888/callback). The sign-in asks the
dashboard's scopes plus those already granted, so the shared token never narrows.
"""
from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import TextIO

import requests

from crawler.account import account_client, stop_message
from crawler.account_auth import ACCOUNT_SCOPES, SAVE_SCOPE, NotSignedIn, granted_scopes
from crawler.auth import SignInError, sign_in, user_auth
from crawler.client import ApiError, AuthError, CrawlStop
from crawler.config import CrawlConfig
from crawler.connection import ConnectionSettingError, SpotifyConnection
from crawler.credentials import CredentialsError
from crawler.playlist_save import description_for, save_playlist


def save_recommendations(home: Path, name: str, uris: list[str], seeds_label: str,
                         n_seeds: int, model_label: str, *, interactive: bool | None = None,
                         out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Save `uris` in order as the user's private playlist `name`; 0 saved, 1 not."""
    out, err = out or sys.stdout, err or sys.stderr
    connection = SpotifyConnection()
    description = description_for(seeds_label, n_seeds, model_label,
                                  datetime.now(timezone.utc).strftime("%Y-%m-%d"))
    try:
        if SAVE_SCOPE not in granted_scopes(home):
            _sign_in(connection, home, interactive)
        client = account_client(connection, home, max_wait_s=60.0,
                                notify=lambda message: print(message, file=err, flush=True))
        user = client.me()
        result = save_playlist(client, home, str(user.get("id") or ""), name, uris, description)
    except CrawlStop as exc:
        print(f"error: not saved: {stop_message(exc)}", file=err)
        return 1
    except (ValueError, NotSignedIn, SignInError, ApiError, AuthError, CredentialsError,
            ConnectionSettingError) as exc:
        print(f"error: not saved: {exc}", file=err)
        return 1
    state = "a new" if result.created else "your existing (tracks replaced)"
    print(f"saved {len(result.saved)} tracks in order to {state} private playlist "
          f"“{result.name}”: {result.url}", file=out)
    if result.unavailable:
        print(f"warning: {len(result.unavailable)} track(s) not saved, Spotify no longer "
              f"serves them: {' '.join(result.unavailable)}", file=err)
    return 0


def _sign_in(connection: SpotifyConnection, home: Path, interactive: bool | None) -> None:
    if interactive is None:
        interactive = sys.stdin is not None and sys.stdin.isatty()
    if not interactive:
        raise SignInError(f"saving needs a Spotify sign-in with the permission {SAVE_SCOPE}: "
                          "sign in from the dashboard's sidebar, or run this command in a "
                          "terminal to sign in here")
    scopes = " ".join(sorted(set(ACCOUNT_SCOPES) | granted_scopes(home)))
    auth = user_auth(connection.credentials(), connection.endpoints().token_url,
                     CrawlConfig().redirect_uri, home, requests.Session(), 10.0, scope=scopes)
    sign_in(auth, interactive=True)
