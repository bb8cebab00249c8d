"""Fixtures for the model tests: a small "checkerboard" catalog where the right answer is
known, fast training configurations, and a CLI runner.

The checkerboard: TASTES groups of tracks, each with its own artists, albums and
audio-feature profile. Every playlist takes its tracks from one taste and is titled
after it. Given seeds from a taste, the right recommendations are that taste's
other tracks; a model that ranks another taste's track above them is wrong. Each
artist also has a few rare tracks that sit in a single playlist, as most tracks do
in the real MPD (they get no id embedding: artist, album and features carry them).
"""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from data.schema import AUDIO_FEATURES
from data.store import ArtistRef, Catalog, PlaylistRecord, TrackRecord
from ml.config import TrainConfig

REPO_ROOT = Path(__file__).resolve().parents[2]
TASTES = 4
ARTISTS_PER_TASTE = 4
TRACKS_PER_ARTIST = 8
RARE_PER_ARTIST = 3
PLAYLISTS_PER_TASTE = 40
TITLES = ("rock", "jazz", "techno", "folk")


def track_uri(taste: int, n: int) -> str:
    return f"spotify:track:T{taste:02d}{n:019d}"


@dataclass
class Checkerboard:
    catalog: Catalog
    taste_of_track: dict[int, int]  # catalog track id -> taste
    tracks_of_taste: dict[int, list[int]]  # taste -> catalog track ids (the regular ones)
    playlists_of_taste: dict[int, list[int]]  # taste -> catalog playlist ids


def build_checkerboard(catalog: Catalog, *, seed: int = 0, playlists_per_taste: int =
                       PLAYLISTS_PER_TASTE, source_offset: int = 0) -> Checkerboard:
    rng = np.random.default_rng(seed)
    records: list[TrackRecord] = []
    features: list[tuple[str, dict]] = []
    for taste in range(TASTES):
        profile = rng.uniform(0.1, 0.9, len(AUDIO_FEATURES))
        for a in range(ARTISTS_PER_TASTE):
            artist = ArtistRef(f"spotify:artist:A{taste:02d}{a:019d}", f"artist {taste}-{a}")
            album = f"spotify:album:B{taste:02d}{a:019d}"
            for i in range(TRACKS_PER_ARTIST + RARE_PER_ARTIST):
                uri = track_uri(taste, _track_number(a, i))
                records.append(TrackRecord(uri=uri, name=f"song {taste}-{a}-{i}", artists=(artist,),
                                           album_uri=album, album_name=f"album {taste}-{a}"))
                values = np.clip(profile + rng.normal(0, 0.03, len(AUDIO_FEATURES)), 0, 1)
                row = dict(zip(AUDIO_FEATURES, values.tolist()))
                row["key"] = float(taste * 3)
                features.append((uri, row))
    per_taste = ARTISTS_PER_TASTE * TRACKS_PER_ARTIST
    with catalog.write():
        ids = catalog.upsert_tracks(records)
        catalog.put_audio_features(features, "test")
        playlists: dict[int, list[int]] = {t: [] for t in range(TASTES)}
        for taste in range(TASTES):
            pool = [ids[track_uri(taste, _track_number(a, i))]
                    for a in range(ARTISTS_PER_TASTE) for i in range(TRACKS_PER_ARTIST)]
            rare = [ids[track_uri(taste, _track_number(a, i))] for a in range(ARTISTS_PER_TASTE)
                    for i in range(TRACKS_PER_ARTIST, TRACKS_PER_ARTIST + RARE_PER_ARTIST)]
            home_of_rare = rng.integers(0, playlists_per_taste, len(rare))
            # A popularity gradient inside each taste, as real playlists have.
            weights = np.linspace(2.0, 1.0, per_taste)
            for k in range(playlists_per_taste):
                length = int(rng.integers(10, 20))
                chosen = rng.choice(per_taste, length, replace=False, p=weights / weights.sum())
                pid = catalog.upsert_playlist(PlaylistRecord(
                    source="mpd", source_id=str(source_offset + taste * 1000 + k),
                    name=TITLES[taste].title() if k % 2 else TITLES[taste]))
                extra = [r for r, h in zip(rare, home_of_rare) if h == k]
                catalog.set_playlist_tracks(pid, [pool[c] for c in chosen] + extra)
                playlists[taste].append(pid)
    taste_of = {tid: int(uri[15:17]) for uri, tid in ids.items()}
    tracks_of = {t: [ids[track_uri(t, _track_number(a, i))] for a in range(ARTISTS_PER_TASTE)
                     for i in range(TRACKS_PER_ARTIST)] for t in range(TASTES)}
    return Checkerboard(catalog, taste_of, tracks_of, playlists)


def _track_number(artist: int, i: int) -> int:
    return artist * 100 + i


@pytest.fixture
def checkerboard(catalog: Catalog) -> Checkerboard:
    return build_checkerboard(catalog)


def fast_config(**overrides) -> TrainConfig:
    """Small and quick, still enough to learn the checkerboard."""
    values = dict(dim=16, layers=2, epochs=8, patience=0, lr_patience=0, batch_playlists=16, targets_per_playlist=16,
                  test_fraction=0.2, validation_fraction=0.2,
                  uniform_negatives=64, popular_negatives=32, lr=0.02, threads=1,
                  eval_batch=64, baselines="popularity,itemknn", als_iterations=3,
                  als_factors=8, rerank=False,
                  # benchmarks/gpu_check.sh runs the model tests on cuda through this
                  device=os.environ.get("PLAYLISTGRAPH_TEST_DEVICE", "cpu"))
    values.update(overrides)
    return TrainConfig(**values)


def run_ml(home: Path, *args: str, timeout: float = 180, **popen) -> subprocess.CompletedProcess:
    """`python -m ml ARGS` in a subprocess against `home`."""
    env = {**os.environ, "PLAYLISTGRAPH_HOME": str(home), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "ml", *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout, **popen)
