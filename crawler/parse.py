"""Web API objects → catalog records, tolerant of the 2024/2026 shapes and of junk.

Playlist items carry the track under `item` (2026) or `track` (older responses); both
are read. Items can be null, local files or podcast episodes: those are skipped and
reported by kind. Nothing is invented: fields the API leaves out stay None.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from data.crawl_state import DiscoveredPlaylist
from data.store import ArtistRef, PlaylistRecord, TrackRecord

_TRACK_URI = re.compile(r"^spotify:track:[0-9A-Za-z]{22}$")
_ID = re.compile(r"^[0-9A-Za-z]{22}$")


@dataclass
class ItemsPage:
    tracks: list[TrackRecord] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)  # kind → count
    entries: int = 0  # entries on the page, junk included
    total: int | None = None


def parse_items_page(page: object) -> ItemsPage:
    """A /playlists/{id}/items page (or the items object inside a full playlist)."""
    out = ItemsPage()
    if not isinstance(page, dict):
        return out
    out.total = _int(page.get("total"))
    entries = page.get("items")
    if not isinstance(entries, list):
        return out
    out.entries = len(entries)
    for entry in entries:
        track = parse_item(entry)
        if isinstance(track, TrackRecord):
            out.tracks.append(track)
        else:
            out.skipped[track] = out.skipped.get(track, 0) + 1
    return out


def parse_item(entry: object) -> TrackRecord | str:
    """A playlist item → TrackRecord, or the kind of junk it is: null, local, episode, invalid."""
    if not isinstance(entry, dict):
        return "null"
    obj = entry.get("item")
    if obj is None:
        obj = entry.get("track")
    if obj is None:
        return "null"
    if not isinstance(obj, dict):
        return "invalid"
    uri = obj.get("uri")
    if entry.get("is_local") or obj.get("is_local") or (isinstance(uri, str)
                                                         and uri.startswith("spotify:local:")):
        return "local"
    if obj.get("type") == "episode" or (isinstance(uri, str) and uri.startswith("spotify:episode:")):
        return "episode"
    if not isinstance(uri, str) or not _TRACK_URI.match(uri):
        return "invalid"
    album = obj.get("album") if isinstance(obj.get("album"), dict) else {}
    return TrackRecord(
        uri=uri, name=_text(obj.get("name")) or "", artists=_artists(obj.get("artists")),
        album_uri=_text(album.get("uri")), album_name=_text(album.get("name")),
        duration_ms=_int(obj.get("duration_ms")))


def _artists(raw: object) -> tuple[ArtistRef, ...]:
    out: list[ArtistRef] = []
    for a in raw if isinstance(raw, list) else ():
        if not isinstance(a, dict):
            continue
        uri, name = _text(a.get("uri")), _text(a.get("name"))
        if uri and uri.startswith("spotify:artist:"):
            out.append(ArtistRef(uri, name or ""))
        elif name:
            out.append(ArtistRef.by_name(name))
    return tuple(dict.fromkeys(out))  # a track lists an artist once


def parse_playlist(obj: object) -> DiscoveredPlaylist | None:
    """A full or simplified playlist object (from GET /playlists/{id}, search, /me/playlists)."""
    if not isinstance(obj, dict):
        return None
    playlist_id = obj.get("id")
    if not isinstance(playlist_id, str) or not _ID.match(playlist_id):
        return None
    owner = obj.get("owner") if isinstance(obj.get("owner"), dict) else {}
    # 2026 simplified objects say {"items": {"total": n}}; older ones {"tracks": {"total": n}}.
    counts = obj.get("items") if isinstance(obj.get("items"), dict) else obj.get("tracks")
    total = _int(counts.get("total")) if isinstance(counts, dict) else None
    collaborative = obj.get("collaborative")
    return DiscoveredPlaylist(
        spotify_id=playlist_id, name=_text(obj.get("name")),
        description=_text(obj.get("description")), owner_id=_text(owner.get("id")),
        owner_name=_text(owner.get("display_name")),
        collaborative=collaborative if isinstance(collaborative, bool) else None, total=total)


def followers(obj: object) -> int | None:
    if isinstance(obj, dict) and isinstance(obj.get("followers"), dict):
        return _int(obj["followers"].get("total"))
    return None


def playlist_record(meta: DiscoveredPlaylist, *, num_followers: int | None = None) -> PlaylistRecord:
    return PlaylistRecord(
        source="spotify", source_id=meta.spotify_id, name=meta.name or "",
        description=meta.description, owner_id=meta.owner_id, owner_name=meta.owner_name,
        collaborative=meta.collaborative, num_tracks=meta.total, num_followers=num_followers)


def parse_search_page(page: object) -> tuple[list[DiscoveredPlaylist], int, int | None, int]:
    """A search response → (playlists in rank order, junk results, total, results on page)."""
    block = page.get("playlists") if isinstance(page, dict) else None
    if not isinstance(block, dict) or not isinstance(block.get("items"), list):
        return [], 0, None, 0
    found, junk = [], 0
    for obj in block["items"]:
        playlist = parse_playlist(obj)
        if playlist is None:
            junk += 1  # the real API returns null entries in search results
        else:
            found.append(playlist)
    return found, junk, _int(block.get("total")), len(block["items"])


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
