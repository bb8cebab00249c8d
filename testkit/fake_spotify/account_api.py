"""The signed-in user's side of the fake Web API: library, top tracks, and writing playlists.

- `GET /me/tracks` (user-library-read) and `GET /me/top/tracks?time_range=…`
  (user-top-read): 1..50 per page (default 20), as the 2026 API; a missing scope answers
  403 "Insufficient client scope", a bad `time_range` 400.
- `POST /me/playlists` (playlist-modify-public, or -private for `"public": false`; the
  API's default is public), `POST`/`PUT /playlists/{id}/items` (at most 100 URIs, 400
  beyond; a URI Spotify does not serve fails the whole request with 400 "Payload contains
  a non-existing ID"), `PUT /playlists/{id}` (details; 200 with an empty body).

What was written is kept in `playlists` (id → `WrittenPlaylist`), so tests assert the
playlist Spotify would hold. The user's library is a pure function of the catalog: their
saved tracks are the distinct tracks of the playlists they own, newest first; their top
tracks for a time range are a share of those growing with the range, in an order fixed by
(seed, range, uri).
"""
from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field

from testkit.fake_spotify.accounts import Principal
from testkit.fake_spotify.catalog import FakeCatalog, _hash, spotify_id, track_object

LIBRARY_LIMIT = 50  # GET /me/tracks, GET /me/top/tracks: limit 1..50 (default 20)
ITEMS_WRITE_MAX = 100  # POST/PUT /playlists/{id}/items: at most 100 URIs per request
TIME_RANGES = ("short_term", "medium_term", "long_term")
TOP_SHARE = {"short_term": 0.3, "medium_term": 0.6, "long_term": 1.0}
_TRACK_URI = re.compile(r"^spotify:track:[0-9A-Za-z]{22}$")


@dataclass
class WrittenPlaylist:
    id: str
    owner_id: str
    name: str
    description: str
    public: bool
    collaborative: bool
    uris: list[str] = field(default_factory=list)
    snapshots: int = 1  # one per change, as snapshot ids change

    @property
    def uri(self) -> str:
        return f"spotify:playlist:{self.id}"


class AccountApi:
    def __init__(self, catalog: FakeCatalog):
        self.catalog = catalog
        self.playlists: dict[str, WrittenPlaylist] = {}
        self.withdrawn: set[str] = set()  # track URIs Spotify no longer serves
        self._lock = threading.Lock()
        self._tracks = {t.uri: t for p in catalog.playlists for t in p.tracks}

    # ---- reads ------------------------------------------------------------------------------

    def saved_tracks(self, user_id: str) -> list[str]:
        """The user's saved tracks, newest first: the distinct tracks of their playlists."""
        seen = dict.fromkeys(t.uri for p in self.catalog.owned_by(user_id) for t in p.tracks)
        return list(reversed(seen))

    def top_tracks(self, user_id: str, time_range: str) -> list[str]:
        """A share of the library that grows with the range (30 %, 60 %, all), each range
        in its own order, so the three lists differ as a listener's do."""
        library = sorted(dict.fromkeys(t.uri for p in self.catalog.owned_by(user_id)
                                       for t in p.tracks))
        share = TOP_SHARE[time_range]
        picked = sorted(library, key=lambda uri: _hash(self.catalog.seed, "top-pick", uri))
        picked = picked[:max(1, round(len(library) * share))] if library else []
        return sorted(picked, key=lambda uri: _hash(self.catalog.seed, "top", time_range, uri))

    def display_name(self, user_id: str) -> str:
        return next((p.owner_name for p in self.catalog.playlists if p.owner_id == user_id),
                    user_id)

    def written_by(self, user_id: str) -> list[WrittenPlaylist]:
        with self._lock:
            return [p for p in reversed(self.playlists.values()) if p.owner_id == user_id]

    def track_item(self, uri: str, at: str = "2026-01-01T12:00:00Z") -> dict:
        return {"added_at": at, "track": track_object(self._tracks[uri])}

    def serves(self, uri: str) -> bool:
        return uri in self._tracks and uri not in self.withdrawn

    # ---- writes -----------------------------------------------------------------------------

    def create(self, body: object, who: Principal) -> tuple[int, object]:
        """POST /me/playlists."""
        if not isinstance(body, dict) or not isinstance(body.get("name"), str) \
                or not body["name"].strip():
            return error(400, "Missing required field: name")
        public = body.get("public", True) is not False
        scope = "playlist-modify-public" if public else "playlist-modify-private"
        if not who.has(scope):
            return error(403, "Insufficient client scope")
        with self._lock:
            playlist_id = spotify_id(self.catalog.seed, "written", who.user_id, len(self.playlists))
            playlist = WrittenPlaylist(playlist_id, who.user_id, body["name"],
                                       str(body.get("description") or ""), public,
                                       bool(body.get("collaborative", False)))
            self.playlists[playlist_id] = playlist
        return 201, playlist

    def change_details(self, playlist_id: str, body: object, who: Principal
                       ) -> tuple[int, object]:
        """PUT /playlists/{id}: 200 with an empty body."""
        playlist, refused = self._writable(playlist_id, who)
        if refused:
            return refused
        if not isinstance(body, dict):
            return error(400, "Invalid JSON")
        with self._lock:
            for key in ("name", "description"):
                if isinstance(body.get(key), str):
                    setattr(playlist, key, body[key])
            if isinstance(body.get("public"), bool):
                playlist.public = body["public"]
            playlist.snapshots += 1
        return 200, None

    def write_items(self, method: str, playlist_id: str, params: dict[str, str], body: object,
                    who: Principal) -> tuple[int, object]:
        """POST (add at `position`, else at the end) or PUT (replace) /playlists/{id}/items."""
        playlist, refused = self._writable(playlist_id, who)
        if refused:
            return refused
        position = None
        if isinstance(body, dict):
            uris, position = body.get("uris"), body.get("position")
        elif isinstance(body, list):  # spotipy's playlist_add_items sends a bare array
            uris = body
        else:
            uris = None
        if uris is None and params.get("uris"):
            uris = params["uris"].split(",")
        if position is None and params.get("position", "").isdigit():
            position = int(params["position"])
        if not isinstance(uris, list) or (method == "POST" and not uris):
            return error(400, "Missing required field: uris")
        if len(uris) > ITEMS_WRITE_MAX:
            return error(400, f"You can add a maximum of {ITEMS_WRITE_MAX} tracks per request.")
        bad = next((u for u in uris if not isinstance(u, str) or not _TRACK_URI.match(u)), None)
        if bad is not None:
            return error(400, f"Invalid track uri: {bad}")
        if not all(self.serves(u) for u in uris):
            return error(400, "Payload contains a non-existing ID")
        with self._lock:
            if method == "PUT":
                playlist.uris = list(uris)
            else:
                at = len(playlist.uris) if position is None else position
                if not isinstance(at, int) or not 0 <= at <= len(playlist.uris):
                    return error(400, "Index out of bounds")
                playlist.uris[at:at] = uris
            playlist.snapshots += 1
        snapshot = {"snapshot_id": self.snapshot_id(playlist)}
        return (201 if method == "POST" else 200), snapshot

    def _writable(self, playlist_id: str, who: Principal
                  ) -> tuple[WrittenPlaylist | None, tuple[int, dict] | None]:
        playlist = self.playlists.get(playlist_id)
        if playlist is None:
            # The catalog's playlists are read-only here: someone else's, or the fake's own.
            known = self.catalog.by_id.get(playlist_id)
            return None, (error(404, "Resource not found") if known is None
                          or known.access == "spotify" else error(403, "Forbidden"))
        if playlist.owner_id != who.user_id and not playlist.collaborative:
            return None, error(403, "You cannot add tracks to a playlist you don't own.")
        scope = "playlist-modify-public" if playlist.public else "playlist-modify-private"
        if not who.has(scope):
            return None, error(403, "Insufficient client scope")
        return playlist, None

    # ---- JSON objects -----------------------------------------------------------------------

    def snapshot_id(self, p: WrittenPlaylist) -> str:
        return spotify_id(self.catalog.seed, "snapshot", p.id, p.snapshots)

    def simplified(self, p: WrittenPlaylist, base: str) -> dict:
        return {
            "collaborative": p.collaborative, "description": p.description,
            "external_urls": {"spotify": f"https://open.spotify.com/playlist/{p.id}"},
            "href": f"{base}playlists/{p.id}", "id": p.id, "images": [], "name": p.name,
            "owner": {"display_name": self.display_name(p.owner_id),
                      "external_urls": {"spotify": f"https://open.spotify.com/user/{p.owner_id}"},
                      "href": f"{base}users/{p.owner_id}", "id": p.owner_id, "type": "user",
                      "uri": f"spotify:user:{p.owner_id}"},
            "primary_color": None, "public": p.public, "snapshot_id": self.snapshot_id(p),
            "items": {"href": f"{base}playlists/{p.id}/items", "total": len(p.uris)},
            "type": "playlist", "uri": p.uri}

    def entries(self, p: WrittenPlaylist) -> list[dict]:
        return [{"added_at": "2026-01-01T12:00:00Z", "added_by": {"id": p.owner_id,
                                                                  "type": "user"},
                 "is_local": False, "primary_color": None,
                 "item": track_object(self._tracks[u])} for u in p.uris]


def error(status: int, message: str) -> tuple[int, dict]:
    return status, {"error": {"status": status, "message": message}}


def parse_body(raw: bytes) -> object:
    try:
        return json.loads(raw.decode("utf-8")) if raw else None
    except (UnicodeDecodeError, ValueError):
        return ...  # not JSON: the caller answers 400
