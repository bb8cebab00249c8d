"""Fixtures for the crawler tests: a generated sample served by the fake Spotify API, a
hand-made tiny catalog whose crawl is worked out by hand, and ways to run the crawler."""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from crawler import cli
from data.sample import generate_sample
from data.store import ArtistRef, Catalog, PlaylistRecord, TrackRecord
from data.mpd import MpdPlaylist
from testkit.fake_spotify import FakeCatalog, FakeSpotify

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_PLAYLISTS = 240
FAST = ["--requests-per-window", "100000", "--backoff-s", "0.01", "--no-progress"]


# ---------------------------------------------------------------------------- generated sample

@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("crawl-sample")
    generate_sample(SAMPLE_PLAYLISTS, 5, out)
    return out


@pytest.fixture(scope="session")
def sample_catalog(sample_dir: Path) -> FakeCatalog:
    return FakeCatalog.from_sample(sample_dir)


@pytest.fixture
def fake(sample_catalog: FakeCatalog):
    with FakeSpotify(sample_catalog) as server:
        yield server


# ---------------------------------------------------------------------------- the tiny catalog
# Artists A..F; playlist pid -> (name, track artists, access, owner). Search ranks by tracks
# by the artist, then pid. Worked out by hand, from seed 0 with depth limit 3:
#   visit 0 (artists A, B): A finds 1, 0, 2 -> queue 1, 2; B finds 0, 3, 4 -> queue 3, 4
#   visit 1 (A again), visit 2 (new C, depth 1): C finds 2, 5 -> queue 5
#   visit 3: restricted -> 403; visit 4: Spotify-owned -> 404
#   visit 5 (new E, depth 2): E finds 4, 5, 7 -> queue 7; visit 7 (new F, depth 3: not searched)
#   playlist 6 (artist D only) is never found: D's only other playlist is 3 (restricted).
TINY_ARTISTS = {k: ArtistRef(f"spotify:artist:{k * 22}", name) for k, name in
                zip("ABCDEF", ("Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot"))}
TINY_TRACKS = {name: TrackRecord(uri=f"spotify:track:{name[0] * 20}{name[1:].zfill(2)}",
                                 name=f"Song {name}", artists=(TINY_ARTISTS[name[0]],),
                                 album_uri=f"spotify:album:{name[0] * 20}{name[1:].zfill(2)}",
                                 album_name=f"Album {name}", duration_ms=200_000)
               for name in ("A1", "A2", "B1", "C1", "D1", "E1", "F1")}
TINY_PLAYLISTS = {
    0: ("seed mix", ["A1", "B1"], "public", "alice"),
    1: ("one", ["A1", "A2"], "public", "alice"),
    2: ("two", ["A2", "C1"], "public", "carol"),
    3: ("three", ["B1", "D1"], "restricted", "bob"),
    4: ("four", ["B1", "E1"], "spotify", "spotify"),
    5: ("five", ["C1", "E1"], "public", "carol"),
    6: ("six", ["D1"], "public", "alice"),
    7: ("seven", ["E1", "F1"], "public", "alice"),
}


@pytest.fixture
def tiny_catalog() -> FakeCatalog:
    playlists = [MpdPlaylist(PlaylistRecord("mpd", str(pid), name, num_followers=pid),
                             [TINY_TRACKS[t] for t in tracks])
                 for pid, (name, tracks, _, _) in TINY_PLAYLISTS.items()]
    overrides = {pid: {"access": access, "owner_id": owner, "owner_name": owner.title(),
                       "legacy": pid % 2 == 1}
                 for pid, (_, _, access, owner) in TINY_PLAYLISTS.items()}
    return FakeCatalog(playlists, overrides=overrides)


@pytest.fixture
def tiny(tiny_catalog: FakeCatalog):
    with FakeSpotify(tiny_catalog, user_id="bob") as server:
        yield server


def tiny_id(fake: FakeSpotify, pid: int) -> str:
    return fake.catalog.by_pid[pid].id


# ---------------------------------------------------------------------------- running crawls

@dataclass
class Run:
    rc: int
    out: str
    err: str


@pytest.fixture
def crawl(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):
    """crawl(fake, *args) runs `python -m crawler` in this process against the fake."""
    def run(fake: FakeSpotify, *args: str) -> Run:
        for key, value in fake.env().items():
            monkeypatch.setenv(key, value)
        capsys.readouterr()
        rc = cli.main([*fake.crawler_args(), *FAST, *args])
        captured = capsys.readouterr()
        return Run(rc, captured.out, captured.err)
    return run


def crawler_command(fake: FakeSpotify | None, *args: str) -> list[str]:
    base = [sys.executable, "-m", "crawler"]
    return base + ([*fake.crawler_args(), *FAST] if fake else []) + list(args)


def crawler_env(home: Path, fake: FakeSpotify | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPOTIPY_")}
    env.update(PLAYLISTGRAPH_HOME=str(home), PYTHONPATH=str(REPO_ROOT))
    if fake is not None:
        env.update(fake.env())
    env.update(extra)
    return env


def run_crawler(home: Path, fake: FakeSpotify | None, *args: str, cwd: Path = REPO_ROOT,
                timeout: float = 120, **env_extra: str) -> subprocess.CompletedProcess:
    """`python -m crawler ARGS` in a real subprocess."""
    return subprocess.run(crawler_command(fake, *args), cwd=cwd,
                          env=crawler_env(home, fake, **env_extra), capture_output=True,
                          text=True, timeout=timeout)


# ---------------------------------------------------------------------------- reading results

def crawled_tracks(catalog: Catalog) -> dict[str, list[str]]:
    """{spotify playlist id: track URIs in order} for every crawled playlist with tracks."""
    out = {}
    for p in catalog.playlists():
        if p["source"] != "spotify":
            continue
        ids = catalog.playlist_track_ids(p["id"])
        uris = {t["id"]: t["uri"] for t in catalog.tracks(ids)} if ids else {}
        out[p["source_id"]] = [uris[i] for i in ids]
    return out


def error_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("error:")]
