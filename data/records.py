"""The records a source hands to the store: a playlist, a track, a track's artist.

Kept apart from `data.store` so that readers of sources (`data.mpd`) and the schema's
migrations can use them without importing the store.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


class ArtistRef(NamedTuple):
    uri: str
    name: str
    name_only: bool = False  # True: no Spotify URI was known; `uri` is 'name:<name>'

    @classmethod
    def by_name(cls, name: str) -> "ArtistRef":
        return cls(uri=f"name:{name}", name=name, name_only=True)


# NamedTuples, not dataclasses: an MPD slice makes tens of thousands of these.
class TrackRecord(NamedTuple):
    uri: str
    name: str
    artists: tuple[ArtistRef, ...] = ()
    album_uri: str | None = None
    album_name: str | None = None
    duration_ms: int | None = None


@dataclass(frozen=True)
class PlaylistRecord:
    source: str  # 'mpd', 'sample' (the bundled sample), 'spotify' or 'export'
    source_id: str  # the MPD pid or the Spotify playlist id
    name: str
    description: str | None = None
    owner_id: str | None = None
    owner_name: str | None = None
    collaborative: bool | None = None
    modified_at: int | None = None
    num_tracks: int | None = None
    num_albums: int | None = None
    num_artists: int | None = None
    num_followers: int | None = None
    num_edits: int | None = None
    duration_ms: int | None = None
