"""Reading Spotify's data export ("Privacy settings → Download your data"): finding its
files in a .zip or a folder and decoding each into typed rows.

Only the fields PlaylistGraph uses are declared; msgspec skips the others without
building them, so `ip_addr`, `ip_addr_decrypted` and `user_agent_decrypted` are never
even turned into Python strings, let alone stored or logged.

Files (by name, anywhere in the zip or folder):
- extended streaming history: `Streaming_History_Audio_*.json`, older `endsong_*.json`;
- account data: `YourLibrary.json` (saved tracks), `Playlist*.json` (own playlists),
  `StreamingHistory_music_*.json` (the short history: names, no URIs), `Userdata.json`
  (read for its `username` only).
"""
from __future__ import annotations

import fnmatch
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Iterator

import msgspec
import numpy as np

KINDS = {  # file kind -> name patterns
    "extended": ("Streaming_History_Audio_*.json", "endsong_*.json"),
    "library": ("YourLibrary.json",),
    "playlists": ("Playlist*.json",),
    "short": ("StreamingHistory_music_*.json",),
    "userdata": ("Userdata.json",),
}
# The order files are imported in: plays with URIs first, so the short history (no URIs)
# can be matched against them and its duplicates of extended plays recognised.
IMPORT_ORDER = ("extended", "library", "playlists", "short")
EXPECTED = ", ".join(p for kind in IMPORT_ORDER for p in KINDS[kind])


class ExportError(Exception):
    """A file or path that cannot be imported; the message is one line."""


class ExtendedRow(msgspec.Struct):
    ts: str
    ms_played: int = 0
    spotify_track_uri: str | None = None
    master_metadata_track_name: str | None = None
    master_metadata_album_artist_name: str | None = None
    master_metadata_album_album_name: str | None = None
    spotify_episode_uri: str | None = None
    audiobook_uri: str | None = None
    audiobook_chapter_uri: str | None = None
    reason_start: str | None = None
    reason_end: str | None = None
    shuffle: bool | None = None
    skipped: bool | None = None
    offline: bool | None = None
    incognito_mode: bool | None = None
    platform: str | None = None
    conn_country: str | None = None
    username: str | None = None


class ShortRow(msgspec.Struct, rename="camel"):
    end_time: str
    artist_name: str
    track_name: str
    ms_played: int


class LibraryTrack(msgspec.Struct):
    uri: str | None = None
    track: str | None = None
    artist: str | None = None
    album: str | None = None


class Library(msgspec.Struct):
    tracks: list[LibraryTrack] = []


class PlaylistTrack(msgspec.Struct, rename="camel"):
    track_uri: str | None = None
    track_name: str | None = None
    artist_name: str | None = None
    album_name: str | None = None


class PlaylistItem(msgspec.Struct, rename="camel"):
    track: PlaylistTrack | None = None
    episode: dict | None = None
    audiobook: dict | None = None
    local_track: dict | None = None


class ExportPlaylist(msgspec.Struct, rename="camel"):
    name: str
    last_modified_date: str | None = None
    description: str | None = None
    number_of_followers: int | None = None
    items: list[PlaylistItem] = []


class Playlists(msgspec.Struct):
    playlists: list[ExportPlaylist]


class Userdata(msgspec.Struct):
    username: str | None = None


_DECODERS = {
    "extended": msgspec.json.Decoder(list[ExtendedRow]),
    "short": msgspec.json.Decoder(list[ShortRow]),
    "library": msgspec.json.Decoder(Library),
    "playlists": msgspec.json.Decoder(Playlists),
    "userdata": msgspec.json.Decoder(Userdata),
}


@dataclass
class ExportFile:
    """One file of an export, not read yet: `read()` gives its bytes (from disk or the zip)."""
    kind: str
    name: str  # the file name, as stored in listening_files
    where: str  # the path shown in messages
    _path: Path
    _member: str | None = None

    def read(self) -> bytes:
        try:
            if self._member is None:
                return self._path.read_bytes()
            with zipfile.ZipFile(self._path) as archive:
                return archive.read(self._member)
        except (OSError, zipfile.BadZipFile, KeyError) as exc:
            raise ExportError(f"{self.where}: cannot be read ({type(exc).__name__})") from None

    def decode(self):
        """The file's rows: list[ExtendedRow] | list[ShortRow] | Library | Playlists | Userdata."""
        data = self.read()
        try:
            return _DECODERS[self.kind].decode(data)
        except msgspec.ValidationError as exc:
            # msgspec names the field and the expected type, never the value.
            raise ExportError(f"{self.where}: not a Spotify {self.kind} file ({exc})") from None
        except msgspec.DecodeError:
            raise ExportError(f"{self.where}: truncated or not JSON") from None


def kind_of(name: str) -> str | None:
    base = PurePosixPath(name).name
    for kind, patterns in KINDS.items():
        if any(fnmatch.fnmatchcase(base, p) for p in patterns):
            return kind
    return None


def export_files(path: Path) -> list[ExportFile]:
    """The export files in `path` (a .zip, a folder, or one file), in import order.

    Raises ExportError for a path that holds none, or a file that is not one of them."""
    if not path.exists():
        raise ExportError(f"{path}: no such file or folder")
    if path.is_dir():
        found = [ExportFile(kind, p.name, str(p), p) for p in sorted(path.rglob("*.json"))
                 if (kind := kind_of(p.name))]
        what = "folder"
    elif zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                names = sorted(n for n in archive.namelist() if not n.endswith("/"))
        except (OSError, zipfile.BadZipFile) as exc:
            raise ExportError(f"{path}: not a readable zip ({exc})") from None
        found = [ExportFile(kind, PurePosixPath(n).name, f"{path}:{n}", path, n) for n in names
                 if (kind := kind_of(n))]
        what = "zip"
    elif path.suffix.lower() == ".zip":
        raise ExportError(f"{path}: not a readable zip (truncated download?); download it again")
    else:
        kind = kind_of(path.name)
        if kind is None:
            raise ExportError(f"{path}: not a Spotify export file (expected {EXPECTED})")
        found = [ExportFile(kind, path.name, str(path), path)]
        what = "file"
    if not any(f.kind in IMPORT_ORDER for f in found):
        raise ExportError(f"{path}: this {what} holds no Spotify export files (expected "
                          f"{EXPECTED}); give the downloaded .zip or its unpacked folder")
    order = {kind: i for i, kind in enumerate((*IMPORT_ORDER, "userdata"))}
    return sorted(found, key=lambda f: (order[f.kind], f.name))


def username_of(files: list[ExportFile]) -> str | None:
    """The export's username: from Userdata.json, else the first extended row that has one
    (only older `endsong_*.json` rows carry it)."""
    for f in files:
        if f.kind == "userdata":
            try:
                name = f.decode().username
            except ExportError:
                continue
            if name:
                return name
    for f in files:
        if f.kind == "extended":
            try:
                rows = f.decode()
            except ExportError:
                continue
            for row in rows:
                if row.username:
                    return row.username
            return None
    return None


def iter_kinds(files: list[ExportFile], kinds: tuple[str, ...]) -> Iterator[ExportFile]:
    return (f for f in files if f.kind in kinds)


# ---- values ---------------------------------------------------------------------------

def parse_ts(text: str) -> int:
    """Unix seconds of an export time: '2024-03-01T12:34:56Z' (extended) or
    '2024-03-01 12:34' (short history), both UTC. ValueError if it is neither."""
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return int(when.timestamp())


def parse_times(texts: list[str]) -> list[int | None]:
    """`parse_ts` of many (None where a text is not a time), on arrays where the texts
    are all 'YYYY-MM-DDTHH:MM:SSZ' or all 'YYYY-MM-DD HH:MM', as exports write them."""
    if not texts:
        return []
    try:
        trimmed = [t[:-1] if t.endswith("Z") else t for t in texts]
        return np.array(trimmed, dtype="datetime64[s]").astype(np.int64).tolist()
    except ValueError:
        out: list[int | None] = []
        for text in texts:
            try:
                out.append(parse_ts(text))
            except (ValueError, TypeError):
                out.append(None)
        return out


def parse_date(text: str | None) -> int | None:
    if not text:
        return None
    try:
        return int(datetime.strptime(text[:10], "%Y-%m-%d").replace(
            tzinfo=timezone.utc).timestamp())
    except ValueError:
        return None


def is_track_uri(uri: str | None) -> bool:
    """A Spotify track URI (local files are 'spotify:local:...', episodes 'spotify:episode:')."""
    return bool(uri) and uri.startswith("spotify:track:") and len(uri) > len("spotify:track:")


def normalize_name(text: str) -> str:
    """Artist and track names compared without case, accents or spacing differences."""
    if not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFKD", text)
                       if not unicodedata.combining(c))
    return " ".join(text.casefold().split())
