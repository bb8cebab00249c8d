"""Fixtures and helpers for the data-layer tests: hand-made MPD slices, an oracle that
reads slice files with plain `json` (never through `data.mpd`), and a CLI runner."""
from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------------------- the CLI

def run_cli(home: Path, *args: str | os.PathLike,
            timeout: float = 120) -> subprocess.CompletedProcess:
    """`python -m data ARGS` in a real subprocess against `home`."""
    env = {**os.environ, "PLAYLISTGRAPH_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "data", *map(str, args)], cwd=REPO_ROOT,
                          env=env, capture_output=True, text=True, timeout=timeout)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


# ---------------------------------------------------------------------------- hand-made slices
# Spotify ids are 22 alphanumeric characters; these are made of the kind and a number.

def spotify_uri(kind: str, n: int) -> str:
    return f"spotify:{kind}:{kind[0].upper()}{n:021d}"


def mpd_track(n: int, pos: int) -> dict:
    """Track n, with every field a full MPD slice has. Artist and album follow from n."""
    artist, album = n % 7, n % 11
    return {"pos": pos, "artist_name": f"Artist {artist}", "track_uri": spotify_uri("track", n),
            "artist_uri": spotify_uri("artist", artist), "track_name": f"Track {n}",
            "album_uri": spotify_uri("album", album), "duration_ms": 180_000 + n,
            "album_name": f"Album {album}"}


def mpd_playlist(pid: int, tracks: list[int], **extra) -> dict:
    items = [mpd_track(n, pos) for pos, n in enumerate(tracks)]
    playlist = {"name": f"list {pid}", "collaborative": "false", "pid": pid,
                "modified_at": 1_500_000_000 + pid, "num_tracks": len(items),
                "num_albums": len({t["album_uri"] for t in items}), "num_followers": 1 + pid % 3,
                "tracks": items, "num_edits": 2,
                "duration_ms": sum(t["duration_ms"] for t in items),
                "num_artists": len({t["artist_uri"] for t in items})}
    playlist.update(extra)
    return playlist


def write_slice(directory: Path, playlists: list[dict], *, gz: bool = False,
                name: str | None = None) -> Path:
    first, last = playlists[0]["pid"], playlists[-1]["pid"]
    name = name or f"mpd.slice.{first}-{last}.json" + (".gz" if gz else "")
    path = directory / name
    raw = json.dumps({"info": {"slice": f"{first}-{last}", "version": "v1"},
                      "playlists": playlists}).encode()
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return path


def small_slices(directory: Path, n_slices: int = 3, per_slice: int = 4, *, first_pid: int = 0,
                 gz: bool = False) -> list[Path]:
    """Slices whose playlists share tracks across slices; one playlist repeats a track and
    one lists its tracks out of `pos` order, as real slices can."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for s in range(n_slices):
        playlists = []
        for k in range(per_slice):
            pid = first_pid + s * per_slice + k
            tracks = [(pid * 3 + j * 5) % 40 for j in range(3 + pid % 5)]
            if pid % 4 == 1:
                tracks.append(tracks[0])  # the same track twice in one playlist
            playlist = mpd_playlist(pid, tracks)
            if pid % 4 == 2:
                playlist["tracks"].reverse()  # file order != pos order
            playlists.append(playlist)
        paths.append(write_slice(directory, playlists, gz=gz))
    return paths


# ---------------------------------------------------------------------------- the oracle

def load_slice(path: Path) -> dict:
    raw = path.read_bytes()
    return json.loads(gzip.decompress(raw) if path.name.endswith(".gz") else raw)


def slice_paths(directory: Path) -> list[Path]:
    """The slice files in `directory`, by first pid (mpd.slice.<first>-<last>.json[.gz])."""
    return sorted((p for p in directory.iterdir()
                   if p.name.startswith("mpd.slice.") and p.name.endswith((".json", ".json.gz"))),
                  key=lambda p: int(p.name.split(".")[2].split("-")[0]))


@dataclass
class Expected:
    """What a catalog holding exactly these slices must contain, by natural keys."""
    playlists: dict[tuple, tuple] = field(default_factory=dict)  # (source, pid) -> row
    tracks: dict[str, list] = field(default_factory=dict)  # uri -> [uri, name, album, duration]
    artists: dict[str, tuple] = field(default_factory=dict)
    albums: dict[str, tuple] = field(default_factory=dict)
    track_artists: set[tuple] = field(default_factory=set)
    playlist_tracks: set[tuple] = field(default_factory=set)  # ("mpd:<pid>", position, uri)

    def tables(self) -> dict[str, list[tuple]]:
        return {"artists": sorted(self.artists.values()), "albums": sorted(self.albums.values()),
                "tracks": sorted(tuple(t) for t in self.tracks.values()),
                "track_artists": sorted(self.track_artists),
                "playlists": sorted(self.playlists.values()),
                "playlist_tracks": sorted(self.playlist_tracks)}


def expected_contents(paths: list[Path]) -> Expected:
    """Read slices with plain json and apply the documented ingest rules: the first playlist
    with a pid is the one stored; its tracks are ordered by `pos` where every entry has one;
    a track needs a track_uri; the first sighting of a URI names it and later ones only fill
    what was missing; an artist without artist_uri is keyed 'name:<name>'."""
    out = Expected()
    flag = {"true": 1, "false": 0, True: 1, False: 0}
    for path in paths:
        for p in load_slice(path)["playlists"]:
            items = p.get("tracks") or []
            if all(isinstance(t.get("pos"), int) for t in items):
                items = sorted(items, key=lambda t: t["pos"])
            items = [t for t in items if t.get("track_uri")]
            if not items:
                continue
            key = ("mpd", str(p["pid"]))
            if key in out.playlists:
                continue  # a pid seen before (this file or an earlier one) is not read again
            out.playlists[key] = (
                *key, p.get("name") or "", p.get("description") or None, None, None,
                flag.get(p.get("collaborative")), p.get("modified_at"), p.get("num_tracks"),
                p.get("num_albums"), p.get("num_artists"), p.get("num_followers"),
                p.get("num_edits"), p.get("duration_ms"))
            for pos, t in enumerate(items):
                uri = t["track_uri"]
                out.playlist_tracks.add((f"mpd:{p['pid']}", pos, uri))
                row = out.tracks.setdefault(uri, [uri, t.get("track_name") or "", None, None])
                if t.get("album_uri"):
                    out.albums.setdefault(t["album_uri"], (t["album_uri"], t.get("album_name")))
                    row[2] = row[2] or t["album_uri"]
                row[3] = row[3] if row[3] is not None else t.get("duration_ms")
                if t.get("artist_uri"):
                    artist = (t["artist_uri"], t.get("artist_name") or "", 0)
                elif t.get("artist_name"):
                    artist = (f"name:{t['artist_name']}", t["artist_name"], 1)
                else:
                    continue
                out.artists.setdefault(artist[0], artist)
                out.track_artists.add((uri, artist[0], 0))
    return out


# ---------------------------------------------------------------------------- SQLite file header
# https://www.sqlite.org/fileformat.html#the_database_header: read from the file itself,
# independently of the code under test.

def sqlite_header(path: Path) -> dict[str, int]:
    head = path.read_bytes()[:100]
    assert head[:16] == b"SQLite format 3\x00", f"{path} is not an SQLite database"
    return {"write_version": head[18], "read_version": head[19],  # 2 = WAL, 1 = rollback
            "user_version": int.from_bytes(head[60:64], "big")}


def set_user_version_in_file(path: Path, version: int) -> None:
    """Stamp a closed database with another schema version (as a newer release would)."""
    assert not Path(f"{path}-wal").exists(), "close every connection first"
    with open(path, "r+b") as fh:
        fh.seek(60)
        fh.write(version.to_bytes(4, "big"))


# ---------------------------------------------------------------------------- fixtures

@pytest.fixture
def slices_dir(tmp_path: Path) -> Path:
    return tmp_path / "slices"


# ---------------------------------------------------------------------------- generated samples
# Session-scoped: generated once, only read by the tests.

@pytest.fixture(scope="session")
def small_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """400 playlists in 4 plain-JSON slices, with audio_features.csv and manifest.json."""
    from data.sample import generate_sample
    out = tmp_path_factory.mktemp("small_sample")
    generate_sample(400, 11, out, slice_size=100)
    return out


@pytest.fixture(scope="session")
def kill_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Enough gzipped slices that a SIGKILL lands between the first and the last commit."""
    from data.sample import generate_sample
    out = tmp_path_factory.mktemp("kill_sample")
    generate_sample(600, 5, out, slice_size=30, gzip=True, features=False)
    return out


@pytest.fixture(scope="session")
def four_slices(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """200 generated playlists in 4 plain-JSON slices of 50, to read or transform."""
    from data.sample import generate_sample
    out = tmp_path_factory.mktemp("four_slices")
    generate_sample(200, 23, out, slice_size=50, features=False)
    return slice_paths(out)
