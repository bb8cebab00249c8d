"""Reading MPD slice files (`.json` / `.json.gz`) into catalog records.

Real extracts of the MPD circulate with fields missing; a track needs only a
`track_uri`. Nothing is derived that the file does not say.

A slice is decoded with msgspec into typed structs holding only the fields the store
keeps (the rest of the file is skipped, not built into Python objects). A file whose
values have other types than the MPD's (a playlist without a pid, a track that is not
an object, ...) is decoded again without types and checked field by field, so that
each bad playlist is reported and the good ones kept; both paths give the same
`ParsedSlice`.
"""
from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Union

import msgspec
import numpy as np

from data.records import ArtistRef, PlaylistRecord, TrackRecord


class SliceError(ValueError):
    """A slice file that cannot be read at all."""


class _Track(msgspec.Struct):
    track_uri: Union[str, None] = None
    pos: Union[int, None] = None
    track_name: Union[str, None] = None
    artist_uri: Union[str, None] = None
    artist_name: Union[str, None] = None
    album_uri: Union[str, None] = None
    album_name: Union[str, None] = None
    duration_ms: Union[int, None] = None


class _Playlist(msgspec.Struct):
    pid: int
    tracks: Union[list[_Track], None] = None
    name: Union[str, None] = None
    description: Union[str, None] = None
    collaborative: Union[bool, str, None] = None
    modified_at: Union[int, None] = None
    num_tracks: Union[int, None] = None
    num_albums: Union[int, None] = None
    num_artists: Union[int, None] = None
    num_followers: Union[int, None] = None
    num_edits: Union[int, None] = None
    duration_ms: Union[int, None] = None


class _Slice(msgspec.Struct):
    playlists: list[_Playlist]


_typed = msgspec.json.Decoder(_Slice)
_untyped = msgspec.json.Decoder()

# A slice's playlist as the store takes it: PlaylistRecord's fields after `source`.
PLAYLIST_FIELDS = ("source_id", "name", "description", "owner_id", "owner_name", "collaborative",
                   "modified_at", "num_tracks", "num_albums", "num_artists", "num_followers",
                   "num_edits", "duration_ms")
# A slice's distinct track: (uri, name, album uri, album name, duration_ms).
# A track's artist link: (track index, position, artist uri, artist name, name_only).


@dataclass
class MpdPlaylist:
    record: PlaylistRecord
    tracks: list[TrackRecord]  # in playlist order


@dataclass
class ParsedSlice:
    """One slice in columns: its playlists, its distinct tracks and their artists, and
    each playlist's tracks as indices into `tracks` (rows `track_ptr[i]:track_ptr[i+1]`)."""
    path: Path
    playlist_rows: list[tuple] = field(default_factory=list)  # PLAYLIST_FIELDS per playlist
    tracks: list[tuple] = field(default_factory=list)  # distinct tracks, first sighting first
    artists: list[tuple] = field(default_factory=list)  # artist links of `tracks`
    track_ptr: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))  # int64 [P+1]
    track_index: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))  # int32 [rows]
    problems: list[str] = field(default_factory=list)  # one line each, playlist-level
    skipped_tracks: int = 0  # track entries without a track_uri

    @property
    def playlists(self) -> list[MpdPlaylist]:
        """The slice as records (for readers that want objects, not columns)."""
        links: dict[int, list[ArtistRef]] = {}
        for t, _, uri, name, name_only in self.artists:
            links.setdefault(t, []).append(ArtistRef(uri, name, bool(name_only)))
        records = [TrackRecord(uri, name, tuple(links.get(i, ())), album_uri, album_name, duration)
                   for i, (uri, name, album_uri, album_name, duration) in enumerate(self.tracks)]
        return [MpdPlaylist(PlaylistRecord("mpd", *row),
                            [records[i] for i in self.track_index[a:b].tolist()])
                for row, a, b in zip(self.playlist_rows, self.track_ptr[:-1].tolist(),
                                     self.track_ptr[1:].tolist())]


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
    builder = _SliceBuilder(path)
    try:
        doc = _typed.decode(raw)
    except msgspec.ValidationError:
        doc = None  # valid JSON, other types than the MPD's: check each playlist
    except msgspec.DecodeError as exc:
        raise SliceError(f"malformed or truncated JSON ({exc})") from None
    if doc is not None:
        for i, playlist in enumerate(doc.playlists):
            builder.add(i, playlist.pid, playlist.tracks, playlist)
        return builder.done()
    loose = _untyped.decode(raw)
    if not isinstance(loose, dict) or not isinstance(loose.get("playlists"), list):
        raise SliceError('not an MPD slice (expected an object with a "playlists" list)')
    for i, obj in enumerate(loose["playlists"]):
        if not isinstance(obj, dict):
            builder.problems.append(f"playlist #{i}: not an object")
            continue
        pid = obj.get("pid")
        if isinstance(pid, bool) or not isinstance(pid, int):
            builder.problems.append(f"playlist #{i}: no integer pid")
            continue
        items = obj.get("tracks")
        tracks = ([_loose_track(t) for t in items] if isinstance(items, list) else None)
        builder.add(i, pid, tracks, _LoosePlaylist(obj))
    return builder.done()


class _LoosePlaylist:
    """An untyped playlist object read like a `_Playlist`: wrong types read as absent."""

    def __init__(self, obj: dict):
        self._obj = obj

    def __getattr__(self, name: str):
        value = self._obj.get(name)
        if name == "collaborative":
            return value if isinstance(value, (bool, str)) else None
        if name in ("name", "description"):
            return value if isinstance(value, str) else None
        return _int(value)


def _loose_track(item: object) -> _Track:
    if not isinstance(item, dict):
        return _Track()
    text = {k: v if isinstance(v, str) else None for k in (
        "track_uri", "track_name", "artist_uri", "artist_name", "album_uri", "album_name")
        for v in [item.get(k)]}
    return _Track(pos=_int(item.get("pos")), duration_ms=_int(item.get("duration_ms")), **text)


class _SliceBuilder:
    """Collects a slice's playlists into a ParsedSlice: distinct tracks once, each
    playlist's tracks as indices, the validation rules in one place."""

    def __init__(self, path: Path):
        self.out = ParsedSlice(path=path)
        self.problems = self.out.problems
        self.index: dict[str, int] = {}  # track uri -> index in out.tracks
        self.artists: dict[int, tuple] = {}  # track index -> its artist link(s)
        self.pids: set[int] = set()
        self.rows: list[int] = []
        self.ptr: list[int] = [0]

    def add(self, i: int, pid: int, items: list[_Track] | None, p) -> None:
        if pid in self.pids:
            self.problems.append(f"playlist #{i}: pid {pid} appears twice in this file "
                                 "(second copy)")
            return
        if not items:
            self.problems.append(f"playlist #{i}: pid {pid} has no tracks")
            return
        # MPD lists tracks by `pos`; keep that order where every entry gives one.
        if all(t.pos is not None for t in items):
            items = sorted(items, key=lambda t: t.pos)
        index, rows, start = self.index, self.rows, len(self.rows)
        skipped = 0
        for t in items:
            uri = t.track_uri
            if not uri:
                skipped += 1
                continue
            k = index.get(uri)
            if k is None:  # each track once per slice: popular ones repeat a lot
                k = index[uri] = len(self.out.tracks)
                self.out.tracks.append((uri, t.track_name or "", t.album_uri or None,
                                        t.album_name or None, t.duration_ms))
                self.artists[k] = _artist_of(t)
            else:
                self._merge(k, t)
            rows.append(k)
        if len(rows) == start:
            self.problems.append(f"playlist #{i}: pid {pid} has no track with a track_uri")
            return
        self.out.skipped_tracks += skipped  # a skipped playlist is its own error
        self.pids.add(pid)
        self.ptr.append(len(rows))
        self.out.playlist_rows.append((
            str(pid), p.name or "", p.description or None, None, None, _flag(p.collaborative),
            p.modified_at, p.num_tracks, p.num_albums, p.num_artists, p.num_followers,
            p.num_edits, p.duration_ms))

    def _merge(self, k: int, t: _Track) -> None:
        """An earlier copy in this slice may have said less (a minimal extract): what either
        says, the first one winning."""
        uri, name, album_uri, album_name, duration = self.out.tracks[k]
        links = self.artists[k]
        if album_uri is not None and links and not links[0][2]:
            return
        self.out.tracks[k] = (uri, name or t.track_name or "", album_uri or t.album_uri or None,
                              album_name or t.album_name or None,
                              duration if duration is not None else t.duration_ms)
        known = {a[0] for a in links}
        self.artists[k] = links + tuple(a for a in _artist_of(t) if a[0] not in known)

    def done(self) -> ParsedSlice:
        out = self.out
        out.artists = [(k, pos, uri, name, name_only) for k, links in self.artists.items()
                       for pos, (uri, name, name_only) in enumerate(links)]
        out.track_ptr = np.array(self.ptr, np.int64)
        out.track_index = np.array(self.rows, np.int32)
        return out


def _artist_of(t: _Track) -> tuple:
    """((uri, name, name_only),) for the entry's artist, or () when it names none."""
    if t.artist_uri:
        return ((t.artist_uri, t.artist_name or "", 0),)
    if t.artist_name:
        return ((f"name:{t.artist_name}", t.artist_name, 1),)
    return ()


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _flag(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):  # the real MPD writes "collaborative": "false"
        return value == "true"
    return None
