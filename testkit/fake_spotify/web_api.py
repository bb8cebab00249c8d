"""The fake Web API's endpoints: what `GET /v1/...` answers, as the 2026 API would.

Playlists (metadata, and items paged by offset), search (type=playlist), audio
features (403 as for new apps, or served from the sample), batch artists (gone: 403),
and the signed-in user's profile, playlists, library and top tracks; writes (playlists the
user creates and fills) are account_api.py's. Page sizes are held to the real API's limits
below, with its answer to a larger one: 400 "Invalid limit".
"""
from __future__ import annotations

from urllib.parse import urlencode

from testkit.fake_spotify.account_api import (LIBRARY_LIMIT, TIME_RANGES, AccountApi,
                                              WrittenPlaylist)
from testkit.fake_spotify.accounts import Principal
from testkit.fake_spotify.catalog import FakeCatalog, FakePlaylist

API = "/v1/"
# The 2026 Web API's limits, as ../shared/DESIGN.md writes them (tests/crawler/
# test_fake_spotify.py reads them from there). Not taken from crawler/: the fake is the
# reference the crawler is checked against.
ITEMS_LIMIT = 50  # GET /playlists/{id}/items: limit 1..50 (default 20)
SEARCH_LIMIT = 10  # GET /search: limit 1..10
SEARCH_OFFSET_MAX = 1000  # GET /search: offset 0..1000
MY_PLAYLISTS_LIMIT = 50  # GET /me/playlists: limit 1..50 (default 20)
AUDIO_FEATURES_IDS = 100  # GET /audio-features: at most 100 ids
_SEARCH_TYPES = ("track", "artist", "album", "show", "episode", "audiobook")


class WebApi:
    def __init__(self, catalog: FakeCatalog):
        self.catalog = catalog
        self.base_url = ""  # set when the server knows its port
        self.junk = False  # junk items and null search results
        self.audio_features = "forbidden"  # or 'ok'
        self.account = AccountApi(catalog)

    def answer(self, path: str, params: dict[str, str], who: Principal) -> tuple[int, object]:
        parts = path[len(API):].strip("/").split("/")
        if parts[0] == "playlists" and len(parts) in (2, 3):
            return self._playlist(parts, params, who)
        if parts == ["search"]:
            return self._search(params)
        if parts == ["audio-features"]:
            if self.audio_features != "ok":
                return 403, {"error": {"status": 403}}
            ids = [i for i in params.get("ids", "").split(",") if i]
            if len(ids) > AUDIO_FEATURES_IDS:
                return error(400, "Too many ids requested")
            return 200, {"audio_features": [self._features(i) for i in ids]}
        if parts == ["artists"]:  # batch artists: gone for development-mode apps
            return error(403, "Forbidden")
        if parts[0] == "me":
            if who.kind != "user":
                return error(401, "This endpoint needs a user token")
            return self._me(parts, params, who)
        return error(404, "Service not found")

    def write(self, method: str, path: str, params: dict[str, str], body: object,
              who: Principal) -> tuple[int, object]:
        """POST/PUT /v1/...: the user's playlists (account_api.py)."""
        parts = path[len(API):].strip("/").split("/")
        if who.kind != "user":
            return error(401, "This endpoint needs a user token")
        if body is ...:
            return error(400, "Invalid JSON")
        if method == "POST" and parts == ["me", "playlists"]:
            status, created = self.account.create(body, who)
            if status != 201:
                return status, created
            full = self.account.simplified(created, self.base_url)
            full["followers"] = {"href": None, "total": 0}
            full["items"] = self.paging([], f"playlists/{created.id}/items", {}, 100)
            return status, full
        if parts[0] == "playlists" and len(parts) == 3 and parts[2] == "items":
            return self.account.write_items(method, parts[1], params, body, who)
        if method == "PUT" and parts[0] == "playlists" and len(parts) == 2:
            return self.account.change_details(parts[1], body, who)
        return error(405 if parts[:1] in (["me"], ["playlists"]) else 404,
                     "Method not allowed" if parts[:1] in (["me"], ["playlists"])
                     else "Service not found")

    def _me(self, parts: list[str], params: dict[str, str], who: Principal
            ) -> tuple[int, object]:
        user = who.user_id or ""
        if parts == ["me"]:
            return 200, {"id": user, "display_name": self.account.display_name(user),
                         "type": "user", "uri": f"spotify:user:{user}",
                         "external_urls": {"spotify": f"https://open.spotify.com/user/{user}"},
                         "href": f"{self.base_url}users/{user}"}
        if parts == ["me", "playlists"]:
            refused = page_error(params, 20, MY_PLAYLISTS_LIMIT)
            if refused:
                return refused
            mine = [self.account.simplified(p, self.base_url)
                    for p in self.account.written_by(user)]
            mine += [self.catalog.simplified(p, self.base_url, self.junk)
                     for p in self.catalog.owned_by(user)]
            return 200, self.paging(mine, "me/playlists", params, 20)
        if parts == ["me", "tracks"]:
            if not who.has("user-library-read"):
                return error(403, "Insufficient client scope")
            refused = page_error(params, 20, LIBRARY_LIMIT)
            if refused:
                return refused
            saved = [self.account.track_item(u) for u in self.account.saved_tracks(user)]
            return 200, self.paging(saved, "me/tracks", params, 20)
        if parts == ["me", "top", "tracks"]:
            if not who.has("user-top-read"):
                return error(403, "Insufficient client scope")
            refused = page_error(params, 20, LIBRARY_LIMIT)
            if refused:
                return refused
            time_range = params.get("time_range", "medium_term")
            if time_range not in TIME_RANGES:
                return error(400, "Invalid time range")
            top = [self.account.track_item(u)["track"]
                   for u in self.account.top_tracks(user, time_range)]
            return 200, self.paging(top, "me/top/tracks", params, 20)
        return error(404, "Service not found")

    def _written(self, p: WrittenPlaylist, parts: list[str], params: dict[str, str],
                 who: Principal) -> tuple[int, object]:
        """A playlist the user made: private ones only for their owner (as Spotify)."""
        if not p.public and p.owner_id != who.user_id:
            return error(404, "Resource not found")
        if len(parts) == 2:
            body = self.account.simplified(p, self.base_url)
            body["followers"] = {"href": None, "total": 0}
            body["items"] = self.paging(self.account.entries(p), f"playlists/{p.id}/items",
                                        {"offset": "0", "limit": "100"}, 100)
            return 200, body
        if parts[2] not in ("items", "tracks"):
            return error(404, "Service not found")
        refused = page_error(params, 20, ITEMS_LIMIT)
        if refused:
            return refused
        return 200, self.paging(self.account.entries(p), f"playlists/{p.id}/items", params, 20)

    def _playlist(self, parts: list[str], params: dict[str, str],
                  who: Principal) -> tuple[int, object]:
        written = self.account.playlists.get(parts[1])
        if written is not None:
            return self._written(written, parts, params, who)
        playlist = self.catalog.by_id.get(parts[1])
        if playlist is None or playlist.access == "spotify":
            return error(404, "Resource not found")
        readable = playlist.access == "public" or (
            who.kind == "user" and who.user_id == playlist.owner_id)
        items_key = "tracks" if playlist.legacy else "items"
        if len(parts) == 2:
            body = self.catalog.simplified(playlist, self.base_url, self.junk)
            body["followers"] = {"href": None, "total": playlist.followers}
            if readable:  # the first page comes with the metadata
                body[items_key] = self._items_page(playlist, 0, 100)
            return 200, body
        if parts[2] not in ("items", "tracks"):
            return error(404, "Service not found")
        if not readable:
            return error(403, "Forbidden")
        refused = page_error(params, 20, ITEMS_LIMIT)
        if refused:
            return refused
        return 200, self._items_page(playlist, _int(params.get("offset"), 0),
                                     _int(params.get("limit"), 20))

    def _items_page(self, playlist: FakePlaylist, offset: int, limit: int) -> dict:
        entries = self.catalog.entries(playlist, self.junk)
        return self.paging(entries, f"playlists/{playlist.id}/items",
                           {"offset": str(offset), "limit": str(limit)}, limit)

    def _search(self, params: dict[str, str]) -> tuple[int, object]:
        refused = page_error(params, SEARCH_LIMIT, SEARCH_LIMIT, SEARCH_OFFSET_MAX)
        if refused:
            return refused
        if not params.get("q"):
            return error(400, "No search query")
        body: dict = {}
        for kind in params.get("type", "").split(","):
            if kind == "playlist":
                page = self.paging(self.catalog.search(params["q"], self.junk), "search",
                                   params, 10)
                page["items"] = [None if pid is None else self.catalog.simplified(
                    self.catalog.by_id[pid], self.base_url, self.junk) for pid in page["items"]]
                body["playlists"] = page
            elif kind in _SEARCH_TYPES:
                body[kind + "s"] = self.paging([], "search", params, 10)
            else:
                return error(400, "Bad search type field")
        return 200, body

    def paging(self, items: list, path: str, params: dict[str, str], default_limit: int) -> dict:
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


def error(status: int, message: str) -> tuple[int, dict]:
    return status, {"error": {"status": status, "message": message}}


def page_error(params: dict[str, str], default_limit: int, max_limit: int,
               max_offset: int | None = None) -> tuple[int, dict] | None:
    """The real API's 400 for a `limit` or `offset` out of range, or None when both fit."""
    limit, offset = _int(params.get("limit"), default_limit), _int(params.get("offset"), 0)
    if limit is None or not 1 <= limit <= max_limit:
        return error(400, "Invalid limit")
    if offset is None or offset < 0 or (max_offset is not None and offset > max_offset):
        return error(400, "Invalid offset")
    return None


def _int(text: str | None, default: int) -> int | None:
    if text is None:
        return default
    try:
        return int(text)
    except ValueError:
        return None
