"""The signed-in user's library, read through the one Spotify client and merged into the catalog.

`python -m crawler.account` (the dashboard's "Read my Spotify library" job) reads, 50 per
page as the 2026 API allows: the profile, the saved tracks, the top tracks of the three
time ranges, and the playlists the user owns or collaborates on (the only ones whose items
a development-mode app may read) with their items. Tracks merge into the catalog by URI;
the user's playlists are stored as playlists of source 'spotify' owned by the user, so the
graph and training see them. The lists are written to the home's library file (0600):
the seed lists of the Recommendations page. Each list is bounded (`--max-tracks`), and
playlists PlaylistGraph itself saved to the account are left out (they are its output,
not the user's taste).

Exit status: 0 read, 1 not signed in or Spotify refused, 3 rate limited (try later).
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

import requests

from crawler.account_auth import NotSignedIn, signed_in_auth
from crawler.client import ApiError, AuthError, ClientSettings, CrawlStop, SpotifyClient
from crawler.connection import ConnectionSettingError, SpotifyConnection
from crawler.credentials import CredentialsError
from crawler.parse import parse_item, parse_playlist, playlist_record
from crawler.playlist_save import saved_playlist_ids
from data.atomic import write_text_atomic
from data.crawl_state import DiscoveredPlaylist
from data.home import home_dir, library_path
from data.store import Catalog, TrackRecord

PAGE_MAX = 50  # /me/tracks, /me/top/tracks, /me/playlists, /playlists/{id}/items
TIME_RANGES = {"short_term": "4 weeks", "medium_term": "6 months", "long_term": "all time"}
DEFAULT_MAX_TRACKS = 2000  # per list: 40 requests at most
DEFAULT_MAX_PLAYLISTS = 100


@dataclass
class TrackList:
    key: str  # 'saved', 'top:short_term', 'playlist:<spotify id>'
    label: str  # what the page shows
    uris: list[str] = field(default_factory=list)
    truncated: bool = False  # stopped at --max-tracks


@dataclass
class Library:
    user_id: str
    display_name: str
    read_at: str
    lists: list[TrackList] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)  # local files, episodes, …

    def known_uris(self) -> set[str]:
        """Every track the user already has (saved, top or in their playlists)."""
        return {u for lst in self.lists for u in lst.uris}

    def get(self, key: str) -> TrackList | None:
        return next((lst for lst in self.lists if lst.key == key), None)


def account_client(connection: SpotifyConnection, home: Path, *, max_wait_s: float = 10.0,
                   timeout_s: float = 10.0, requests_per_window: int = 90,
                   notify: Callable[[str], None] = lambda message: None) -> SpotifyClient:
    """The one Spotify client, as the signed-in user (NotSignedIn when nobody is), paced
    as the crawler is."""
    endpoints = connection.endpoints()
    session = requests.Session()
    auth = signed_in_auth(connection.credentials().client_id, endpoints.token_url, home,
                          session, timeout_s)
    settings = ClientSettings(api_base=endpoints.api_base, timeout_s=timeout_s,
                              max_wait_s=max_wait_s, requests_per_window=requests_per_window)
    return SpotifyClient(settings, auth, session=session, notify=notify)


def read_library(client: SpotifyClient, *, max_tracks: int = DEFAULT_MAX_TRACKS,
                 max_playlists: int = DEFAULT_MAX_PLAYLISTS,
                 leave_out: set[str] = frozenset()
                 ) -> tuple[Library, dict[str, TrackRecord], list[tuple[DiscoveredPlaylist, list[str]]]]:
    """(the library's lists, every track read by URI, the user's playlists with their URIs).

    `leave_out`: playlist ids not to read (those PlaylistGraph saved)."""
    profile = client.me()
    user_id = str(profile.get("id") or "")
    library = Library(user_id, str(profile.get("display_name") or user_id),
                      datetime.now(timezone.utc).isoformat(timespec="seconds"))
    tracks: dict[str, TrackRecord] = {}

    def collect(key: str, label: str, entries: Iterator[object]) -> TrackList:
        found = TrackList(key, label)
        for entry in entries:
            track = parse_item(entry)
            if isinstance(track, TrackRecord):
                tracks.setdefault(track.uri, track)
                found.uris.append(track.uri)
            else:
                library.skipped[track] = library.skipped.get(track, 0) + 1
            if len(found.uris) >= max_tracks:
                found.truncated = True
                break
        library.lists.append(found)
        return found

    collect("saved", "My saved tracks", _paged(lambda o: client.saved_tracks(o, PAGE_MAX)))
    for time_range, span in TIME_RANGES.items():
        top = _paged(lambda o, r=time_range: client.top_tracks(r, o, PAGE_MAX))
        collect(f"top:{time_range}", f"My top tracks ({span})", ({"track": t} for t in top))
    playlists: list[tuple[DiscoveredPlaylist, list[str]]] = []
    for obj in _paged(lambda o: client.my_playlists(o, PAGE_MAX)):
        meta = parse_playlist(obj)
        if meta is None or meta.spotify_id in leave_out or len(playlists) >= max_playlists:
            continue
        if meta.owner_id != user_id and not meta.collaborative:
            continue  # followed: a development-mode app may not read its items
        items = _paged(lambda o, p=meta.spotify_id: client.playlist_items(p, o, PAGE_MAX))
        found = collect(f"playlist:{meta.spotify_id}", f"My playlist “{meta.name or '?'}”",
                        items)
        playlists.append((meta, found.uris))
    return library, tracks, playlists


def store_library(catalog: Catalog, tracks: dict[str, TrackRecord],
                  playlists: list[tuple[DiscoveredPlaylist, list[str]]]) -> int:
    """Merge into the catalog: new tracks, and the user's playlists as source 'spotify'.

    Writes only what changed (a re-read of an unchanged library leaves the store version,
    and so every cache keyed on it, as it was). Returns the playlists written."""
    known = catalog.track_ids_for_uris(list(tracks))
    stored = catalog.existing_playlists("spotify", [m.spotify_id for m, _ in playlists])
    changed = [(m, uris) for m, uris in playlists if m.spotify_id not in stored
               or _stored_uris(catalog, stored[m.spotify_id]) != uris]
    new = [t for uri, t in tracks.items() if uri not in known]
    if not new and not changed:
        return 0
    with catalog.write():
        ids = {**known, **catalog.upsert_tracks(new)} if new else dict(known)
        for meta, uris in changed:
            playlist_id = catalog.upsert_playlist(playlist_record(meta))
            catalog.set_playlist_tracks(playlist_id, [ids[u] for u in uris])
    return len(changed)


def write_library(home: Path, library: Library) -> None:
    # The user's listening is personal: readable by them only, like the token.
    write_text_atomic(library_path(home), json.dumps(asdict(library)), mode=0o600)


def load_library(home: Path) -> Library | None:
    try:
        raw = json.loads(library_path(home).read_text(encoding="utf-8"))
        return Library(raw["user_id"], raw["display_name"], raw["read_at"],
                       [TrackList(**lst) for lst in raw["lists"]], raw.get("skipped", {}))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def forget_library(home: Path) -> None:
    library_path(home).unlink(missing_ok=True)


def stop_message(exc: CrawlStop) -> str:
    """A rate-limit or retry stop, said for an account action (no crawl to --resume)."""
    if exc.resume_after is None:
        return "Spotify did not answer after several tries; try again later"
    when = exc.resume_after.strftime("%Y-%m-%d %H:%M UTC")
    quota = "its quota is used up" if "QUOTA" in exc.message else "it is rate-limited"
    return f"Spotify asks the app to wait ({quota}); try again after {when}"


def _stored_uris(catalog: Catalog, playlist_id: int) -> list[str]:
    ids = catalog.playlist_track_ids(playlist_id)
    by_id = {r["id"]: r["uri"] for r in catalog.tracks(ids)}
    return [by_id[i] for i in ids]


def _paged(fetch: Callable[[int], dict]) -> Iterator[object]:
    """The items of every page, following `offset` until the last page."""
    offset = 0
    while True:
        page = fetch(offset)
        items = page.get("items") if isinstance(page, dict) else None
        yield from items or []
        if not items or not page.get("next"):
            return
        offset += len(items)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m crawler.account",
        description="Read the signed-in user's saved tracks, top tracks and playlists into the "
                    "catalog (sign in from the dashboard's sidebar first).")
    parser.add_argument("--home", default=None, help="home directory (default: "
                        "$PLAYLISTGRAPH_HOME, else .playlistgraph/ in the repository)")
    parser.add_argument("--max-tracks", type=int, default=DEFAULT_MAX_TRACKS,
                        help="read at most this many tracks per list")
    parser.add_argument("--max-playlists", type=int, default=DEFAULT_MAX_PLAYLISTS,
                        help="read at most this many of the user's playlists")
    args = parser.parse_args(argv)
    home = home_dir(args.home)
    try:
        client = account_client(SpotifyConnection(), home, max_wait_s=60.0,
                                notify=lambda m: print(m, file=sys.stderr, flush=True))
        library, tracks, playlists = read_library(
            client, max_tracks=args.max_tracks, max_playlists=args.max_playlists,
            leave_out=saved_playlist_ids(home))
        with Catalog.open(home) as catalog:
            written = store_library(catalog, tracks, playlists)
        write_library(home, library)
    except CrawlStop as exc:
        print(f"stopped: {stop_message(exc)}", file=sys.stderr)
        return 3
    except (NotSignedIn, ApiError, AuthError, CredentialsError,
            ConnectionSettingError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    sizes = ", ".join(f"{lst.label} {len(lst.uris)}" for lst in library.lists)
    print(f"read the library of {library.display_name}: {sizes}; {written} playlist(s) "
          f"stored, {len(tracks)} distinct tracks ({client.stats.requests} requests)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
