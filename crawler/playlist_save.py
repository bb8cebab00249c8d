"""Save a list of tracks to the signed-in user's Spotify account as a private playlist.

The first save of a name creates the playlist (`POST /me/playlists`, private) and adds the
tracks in order, at most 100 URIs per `POST /playlists/{id}/items`. The name's playlist id
is remembered in the home (user → name → id, 0600), so saving to the same name again
replaces that playlist's tracks (`PUT …/items` with the first 100, then `POST` the rest)
and its description instead of making a second playlist.

A track Spotify no longer serves (MPD tracks can be gone) makes the API refuse the whole
request with 400 "Payload contains a non-existing ID". The refused batch is split in
halves until the refused URIs are alone: those are reported, the rest are saved in order
(a few extra requests per missing track, none when all are served).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from crawler.client import ApiError, SpotifyClient
from data.atomic import write_text_atomic
from data.home import saved_playlists_path

ITEMS_PER_REQUEST = 100  # the Web API's maximum for POST/PUT /playlists/{id}/items
DESCRIPTION_MAX = 300  # Spotify cuts longer descriptions
_REFUSED_URI = ("non-existing", "invalid track uri", "invalid base62", "unsupported url")


@dataclass
class SaveResult:
    playlist_id: str
    name: str
    url: str
    created: bool  # False: an earlier save of this name was updated
    saved: list[str] = field(default_factory=list)  # in the playlist, in order
    unavailable: list[str] = field(default_factory=list)  # refused by Spotify (not served)


def description_for(seeds_label: str, n_seeds: int, model_label: str, day: str) -> str:
    text = (f"Made by PlaylistGraph from {seeds_label} ({n_seeds:,} seed tracks) with "
            f"{model_label}, {day}.")
    return text if len(text) <= DESCRIPTION_MAX else text[:DESCRIPTION_MAX - 1] + "…"


def save_playlist(client: SpotifyClient, home: Path, user_id: str, name: str,
                  uris: list[str], description: str) -> SaveResult:
    """Create or update the user's private playlist `name` to hold `uris` in order.

    Raises ApiError (MissingScope for a token without playlist-modify-private) and
    CrawlStop (rate limited for longer than the client waits)."""
    name = name.strip()
    if not name:
        raise ValueError("give the playlist a name")
    uris = list(dict.fromkeys(uris))  # a playlist of recommendations holds each track once
    playlist_id = _remembered(home).get(user_id, {}).get(name)
    created = False
    if playlist_id is not None:
        try:
            client.change_playlist_details(playlist_id, description)
        except ApiError as exc:
            if exc.status != 404:  # 404: it is gone; make a new one
                raise
            playlist_id = None
    if playlist_id is None:
        playlist_id = str(client.create_playlist(name, description, public=False)["id"])
        created = True
        _remember(home, user_id, name, playlist_id)
    result = SaveResult(playlist_id, name, f"https://open.spotify.com/playlist/{playlist_id}",
                        created)
    _write_items(client, result, uris, replace=not created)
    return result


def saved_playlist_ids(home: Path) -> set[str]:
    """Every playlist PlaylistGraph saved from this home (any user)."""
    return {pid for names in _remembered(home).values() for pid in names.values()}


def _write_items(client: SpotifyClient, result: SaveResult, uris: list[str],
                 replace: bool) -> None:
    pending_replace = replace  # the first accepted batch replaces the old tracks

    def send(batch: list[str]) -> None:
        nonlocal pending_replace
        try:
            if pending_replace:
                client.replace_items(result.playlist_id, batch)
                pending_replace = False
            else:
                client.add_items(result.playlist_id, batch)
            result.saved.extend(batch)
        except ApiError as exc:
            if exc.status != 400 or not any(s in exc.message.lower() for s in _REFUSED_URI):
                raise
            if len(batch) == 1:
                result.unavailable.append(batch[0])
                return
            half = len(batch) // 2
            send(batch[:half])
            send(batch[half:])

    for start in range(0, len(uris), ITEMS_PER_REQUEST):
        send(uris[start:start + ITEMS_PER_REQUEST])
    if pending_replace:  # nothing was accepted: the playlist must not keep the old tracks
        client.replace_items(result.playlist_id, [])


def _remembered(home: Path) -> dict[str, dict[str, str]]:
    try:
        raw = json.loads(saved_playlists_path(home).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return raw if isinstance(raw, dict) else {}


def _remember(home: Path, user_id: str, name: str, playlist_id: str) -> None:
    known = _remembered(home)
    known.setdefault(user_id, {})[name] = playlist_id
    write_text_atomic(saved_playlists_path(home), json.dumps(known, indent=1), mode=0o600)
