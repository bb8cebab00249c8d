"""Reading MPD slice files (`.json` / `.json.gz`) into catalog records.

Real extracts of the MPD circulate with fields missing; a track needs only a
`track_uri`. Nothing is derived that the file does not say.
"""
from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import orjson

from data.store import ArtistRef, PlaylistRecord, TrackRecord, merge_tracks


class SliceError(ValueError):
    """A slice file that cannot be read at all."""


@dataclass
class MpdPlaylist:
    record: PlaylistRecord
    tracks: list[TrackRecord]  # in playlist order


@dataclass
class ParsedSlice:
    path: Path
    playlists: list[MpdPlaylist]
    problems: list[str] = field(default_factory=list)  # one line each, playlist-level
    skipped_tracks: int = 0  # track entries without a track_uri
    pids: set[str] = field(default_factory=set)


def slice_files(paths: list[Path]) -> Iterator[Path]:
    """Expand directories into their slice files (sorted by first pid), keep files as given."""
    for path in paths:
        if path.is_dir():
            found = [p for p in path.iterdir()
                     if p.is_file() and (p.name.endswith(".json") or p.name.endswith(".json.gz"))
                     and p.name.startswith("mpd.slice.")]
            yield from sorted(found, key=_slice_sort_key)
        else:
            yield path


def _slice_sort_key(path: Path) -> tuple[int, str]:
    try:
        return int(path.name.split(".")[2].split("-")[0]), path.name
    except (IndexError, ValueError):
        return (1 << 62), path.name


def read_bytes(path: Path) -> bytes:
    try:
        if path.name.endswith(".gz"):
            with gzip.open(path, "rb") as fh:
                return fh.read()
        return path.read_bytes()
    except FileNotFoundError:
        raise SliceError("no such file") from None
    except (EOFError, OSError, zlib.error) as exc:
        raise SliceError(f"cannot decompress ({exc}); the file is truncated or not gzip") from None


def parse_slice(path: Path) -> ParsedSlice:
    """Parse one slice. Raises SliceError when the file as a whole is unusable."""
    raw = read_bytes(path)
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise SliceError(f"malformed or truncated JSON ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("playlists"), list):
        raise SliceError('not an MPD slice (expected an object with a "playlists" list)')
    parsed = ParsedSlice(path=path, playlists=[])
    seen: dict[str, TrackRecord] = {}
    for i, obj in enumerate(doc["playlists"]):
        problem = _parse_playlist(obj, parsed, seen)
        if problem:
            parsed.problems.append(f"playlist #{i}: {problem}")
    return parsed


def _parse_playlist(obj: object, out: ParsedSlice, seen: dict[str, TrackRecord]) -> str | None:
    if not isinstance(obj, dict):
        return "not an object"
    pid = obj.get("pid")
    if isinstance(pid, bool) or not isinstance(pid, int):
        return "no integer pid"
    if str(pid) in out.pids:
        return f"pid {pid} appears twice in this file (second copy)"
    items = obj.get("tracks")
    if not isinstance(items, list) or not items:
        return f"pid {pid} has no tracks"
    # MPD lists tracks by `pos`; keep that order where every entry gives one.
    if all(isinstance(t, dict) and isinstance(t.get("pos"), int) for t in items):
        items = sorted(items, key=lambda t: t["pos"])
    tracks: list[TrackRecord] = []
    skipped = 0
    for item in items:
        uri = item.get("track_uri") if isinstance(item, dict) else None
        if not isinstance(uri, str) or not uri:
            skipped += 1
            continue
        track = seen.get(uri)
        if track is None:  # parse each track once per slice: popular ones repeat a lot
            track = seen[uri] = _parse_track(uri, item)
        elif track.album_uri is None or not track.artists or track.artists[0].name_only:
            # An earlier copy in this slice said less (a minimal extract); keep both.
            track = seen[uri] = merge_tracks(track, _parse_track(uri, item))
        tracks.append(track)
    if not tracks:
        return f"pid {pid} has no track with a track_uri"
    out.skipped_tracks += skipped  # counted for kept playlists; a skipped one is its own error
    out.pids.add(str(pid))
    out.playlists.append(MpdPlaylist(
        record=PlaylistRecord(
            source="mpd", source_id=str(pid), name=_text(obj.get("name")) or "",
            description=_text(obj.get("description")),
            collaborative=_flag(obj.get("collaborative")),
            modified_at=_int(obj.get("modified_at")),
            num_tracks=_int(obj.get("num_tracks")), num_albums=_int(obj.get("num_albums")),
            num_artists=_int(obj.get("num_artists")),
            num_followers=_int(obj.get("num_followers")), num_edits=_int(obj.get("num_edits")),
            duration_ms=_int(obj.get("duration_ms"))),
        tracks=tracks))
    return None


def _parse_track(uri: str, item: dict) -> TrackRecord:
    artist_name = _text(item.get("artist_name"))
    artist_uri = _text(item.get("artist_uri"))
    if artist_uri:
        artists = (ArtistRef(artist_uri, artist_name or ""),)
    elif artist_name:
        artists = (ArtistRef.by_name(artist_name),)
    else:
        artists = ()
    return TrackRecord(uri, _text(item.get("track_name")) or "", artists,
                       _text(item.get("album_uri")), _text(item.get("album_name")),
                       _int(item.get("duration_ms")))


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _flag(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):  # the real MPD writes "collaborative": "false"
        return value == "true"
    return None
