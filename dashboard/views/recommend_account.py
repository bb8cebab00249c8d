"""The Recommendations page's Spotify account parts (not a page of its own):

- `seed_picker`: the "My Spotify" mode: read the signed-in user's library in the
  background (crawler/account.py), then pick "My saved tracks", "My top tracks (…)" or
  one of "My playlists" as the seeds; every track the user already has is left out.
- `after_table`: the embed player and "Save to Spotify" under the recommendations.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone

import pandas as pd
import streamlit as st

from crawler.account import account_client, load_library, stop_message
from crawler.account_auth import ACCOUNT_SCOPES, NotSignedIn, is_signed_in
from crawler.client import ApiError, AuthError, CrawlStop, MissingScope
from crawler.connection import ConnectionSettingError
from crawler.credentials import CredentialsError
from crawler.playlist_save import description_for, save_playlist
from dashboard.frames.formatting import when
from dashboard.jobs import runner
from dashboard.jobs.crawl_job import CrawlSetupError
from dashboard.jobs.library_job import library_job_status, start_library_read
from dashboard.reads import loaders
from dashboard.sections import embed_player, spotify_account
from dashboard.settings import DashboardSettings

MODE = "My Spotify"
POLL_S = 1.0


@dataclass
class AccountSeeds:
    seeds: list[int]
    label: str
    leave_out: set[int] = field(default_factory=set)  # tracks the user already has


def seed_picker(settings: DashboardSettings) -> AccountSeeds | None:
    """The mode's controls; the chosen list's seeds, or None (with the reason shown)."""
    refused = spotify_account.refusal(settings)
    if refused is not None:
        st.info(refused, icon=":material/lock:")
        return None
    if not is_signed_in(settings.home):
        st.info("Sign in with Spotify in the sidebar to recommend from your saved tracks, "
                "your top tracks and your playlists.", icon=":material/login:")
        return None
    who = spotify_account.profile(settings)
    library = load_library(settings.home)
    if library is not None and isinstance(who, tuple) and library.user_id != who[0]:
        library = None  # read while another account was signed in
    job = library_job_status(settings)
    left, right = st.columns([1, 3], vertical_alignment="center")
    with left:
        clicked = st.button("Read my library again" if library else "Read my Spotify library",
                            icon=":material/library_music:", key="rec_read_library",
                            disabled=job.running)
    with right:
        if library is not None:
            st.caption(f"Read {when(library.read_at)}: saved tracks, top tracks and the "
                       "playlists you own or collaborate on, merged into the catalog.")
    if clicked:
        _start_read(settings)
        return None
    if job.running:
        st.info("Reading your library from Spotify (50 tracks a request)…",
                icon=":material/hourglass_top:")
        st.fragment(_poll_read, run_every=POLL_S)(settings)
        return None
    if job.state == "failed":
        st.error(f"Reading your library failed: {job.message}", icon=":material/error:")
        if "sign in again" in job.message:
            spotify_account.sign_in_link(settings, ACCOUNT_SCOPES, "Sign in again")
    if library is None:
        return None
    lists = {lst.key: f"{lst.label} — {len(lst.uris):,} tracks" + (" (first ones)"
                                                                    if lst.truncated else "")
             for lst in library.lists if lst.uris}
    if not lists:
        st.warning("Your library has no tracks to start from.", icon=":material/music_off:")
        return None
    key = st.selectbox("Seeds from your account", list(lists), format_func=lists.__getitem__,
                       key="rec_account_list")
    chosen = library.get(key)
    with loaders.open_catalog(settings.home) as catalog:
        ids = catalog.track_ids_for_uris(sorted(library.known_uris()))
    return AccountSeeds([ids[u] for u in chosen.uris if u in ids], chosen.label,
                        set(ids.values()))


def _start_read(settings: DashboardSettings) -> None:
    try:
        start_library_read(settings, st.secrets)
    except CrawlSetupError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    except runner.JobAlreadyRunning:
        pass
    st.rerun()


def _poll_read(settings: DashboardSettings) -> None:
    if not library_job_status(settings).running:
        st.rerun(scope="app")


def after_table(settings: DashboardSettings, table: pd.DataFrame, label: str, n_seeds: int,
                model_label: str) -> None:
    """Under the recommendations: play them in the page, save them to Spotify."""
    embed_player.render(settings, table)
    _save_panel(settings, table, label, n_seeds, model_label)


def _save_panel(settings: DashboardSettings, table: pd.DataFrame, label: str, n_seeds: int,
                model_label: str) -> None:
    st.markdown("#### Save to Spotify")
    refused = spotify_account.refusal(settings)
    if refused is not None:
        st.caption(refused)
        return
    if not is_signed_in(settings.home):
        st.caption("Sign in to save these tracks as a private playlist in your account.")
        spotify_account.sign_in_link(settings, ACCOUNT_SCOPES, "Sign in with Spotify")
        return
    # The seeds are part of the key: new seeds give a new default name.
    name = st.text_input("Playlist name", value=f"PlaylistGraph: {label}"[:100],
                         key=f"rec_save_name-{zlib.crc32(label.encode()):08x}", help="Saving again to the same name updates that "
                         "playlist instead of making a second one.")
    uris = [u for u in table["uri"] if u]
    if st.button(f"Save {len(uris)} tracks to Spotify", icon=":material/playlist_add:",
                 type="primary", key="rec_save"):
        st.session_state["rec_saved"] = {
            **_save(settings, name, uris, label, n_seeds, model_label), "for": uris}
    outcome = st.session_state.get("rec_saved")
    if outcome is None or outcome["for"] != uris:  # said of other recommendations
        return
    if outcome.get("error"):
        st.error(outcome["error"], icon=":material/error:")
        if outcome.get("scope"):
            spotify_account.sign_in_link(settings, ACCOUNT_SCOPES, "Sign in again")
        return
    verb = "Saved to a new" if outcome["created"] else "Updated your"
    st.success(f"{verb} private playlist “{outcome['name']}”: {outcome['saved']} tracks, in "
               f"this order. [Open it in Spotify ↗]({outcome['url']})",
               icon=":material/check_circle:")
    if outcome["unavailable"]:
        names = dict(zip(table["uri"], table["track"]))
        missing = ", ".join(names.get(u) or u for u in outcome["unavailable"])
        st.warning(f"{len(outcome['unavailable'])} track(s) not saved: Spotify no longer serves "
                   f"them (the MPD is older than the catalog Spotify has now): {missing}.",
                   icon=":material/music_off:")


def _save(settings: DashboardSettings, name: str, uris: list[str], label: str, n_seeds: int,
          model_label: str) -> dict:
    """Save inline: at most 100 tracks are 2 to 3 requests (a few more per track Spotify
    refuses), so the page run stays short; waits are capped at 10 s."""
    description = description_for(label, n_seeds, model_label,
                                  datetime.now(timezone.utc).strftime("%Y-%m-%d"))
    try:
        client = account_client(spotify_account.connection(), settings.home)
        user = client.me()
        result = save_playlist(client, settings.home, str(user.get("id") or ""), name, uris,
                               description)
    except MissingScope as exc:
        return {"error": str(exc), "scope": exc.scope}
    except CrawlStop as exc:
        return {"error": f"Not saved: {stop_message(exc)}."}
    except (ValueError, NotSignedIn, ApiError, AuthError, CredentialsError,
            ConnectionSettingError) as exc:
        return {"error": f"Not saved: {exc}."}
    return {"name": result.name, "url": result.url, "created": result.created,
            "saved": len(result.saved), "unavailable": result.unavailable}
