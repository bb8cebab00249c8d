"""The RecSys Challenge 2018 protocol: playlists held out whole, and the seed scenarios.

Held-out playlists (validation and test) are chosen by playlist with a fixed seed and
never enter training: not as nodes, not as edges, not as titles. Every held-out
playlist is evaluated in every scenario it is long enough for (more seeds than
tracks leaves nothing hidden): the title with its first 0/1/5/10/25/100 tracks, or
with 25/100 tracks drawn at random. The hidden tracks are the rest.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ml.dataset.snapshot import GraphSnapshot


@dataclass(frozen=True)
class Scenario:
    name: str
    seeds: int
    order: str  # "first" or "random"


SCENARIOS = (
    Scenario("title_only", 0, "first"),
    Scenario("first_1", 1, "first"),
    Scenario("first_5", 5, "first"),
    Scenario("first_10", 10, "first"),
    Scenario("first_25", 25, "first"),
    Scenario("first_100", 100, "first"),
    Scenario("random_25", 25, "random"),
    Scenario("random_100", 100, "random"),
)


@dataclass
class Holdout:
    train: np.ndarray  # playlist indices, ascending
    validation: np.ndarray
    test: np.ndarray


@dataclass
class Case:
    playlist: int  # snapshot playlist index
    scenario: str
    seeds: np.ndarray  # track indices given to the model
    hidden: np.ndarray  # distinct track indices to find
    title: str  # normalized title


def holdout_split(snapshot: GraphSnapshot, *, test_fraction: float, validation_fraction: float,
                  max_test: int, max_validation: int, seed: int) -> Holdout:
    """Split playlists by playlist. Only playlists with at least 2 tracks are held out
    (one needs something hidden); the draw depends only on `seed` and the snapshot."""
    n = snapshot.num_playlists
    candidates = np.flatnonzero(snapshot.playlist_lengths() >= 2)
    rng = np.random.default_rng(seed)
    shuffled = rng.permutation(candidates)
    n_test = min(max_test, int(round(test_fraction * n)))
    n_val = min(max_validation, int(round(validation_fraction * n)))
    # Keep at least half the playlists for training, whatever the fractions say.
    n_test = min(n_test, len(shuffled) // 4)
    n_val = min(n_val, len(shuffled) // 4)
    test = np.sort(shuffled[:n_test])
    validation = np.sort(shuffled[n_test:n_test + n_val])
    held = np.zeros(n, bool)
    held[test] = True
    held[validation] = True
    return Holdout(train=np.flatnonzero(~held), validation=validation, test=test)


def make_cases(snapshot: GraphSnapshot, playlists: np.ndarray, seed: int,
               scenarios: tuple[Scenario, ...] = SCENARIOS) -> list[Case]:
    """Every (playlist, scenario) pair where the playlist keeps at least one hidden track."""
    cases: list[Case] = []
    for playlist in playlists.tolist():
        tracks = snapshot.playlist_tracks(playlist).astype(np.int64)
        title = snapshot.normalized_title(playlist)
        rng = np.random.default_rng([seed, playlist])
        for sc in scenarios:
            if len(tracks) <= sc.seeds:
                continue
            if sc.order == "first":
                seeds, hidden = tracks[:sc.seeds], tracks[sc.seeds:]
            else:
                pick = np.zeros(len(tracks), bool)
                pick[rng.choice(len(tracks), sc.seeds, replace=False)] = True
                seeds, hidden = tracks[pick], tracks[~pick]
            cases.append(Case(playlist, sc.name, seeds, np.unique(hidden), title))
    return cases


def validation_cases(snapshot: GraphSnapshot, playlists: np.ndarray, seed: int,
                     max_cases: int) -> list[Case]:
    """The test set's cases for the validation playlists: every scenario each playlist is
    long enough for, so that selection sees the same mix the test reports. Beyond
    `max_cases` a random subset is kept (in playlist order), to bound the cost per epoch."""
    cases = make_cases(snapshot, playlists, seed)
    if len(cases) <= max_cases:
        return cases
    rng = np.random.default_rng([seed, 0x7A1])
    keep = np.sort(rng.choice(len(cases), max_cases, replace=False))
    return [cases[i] for i in keep.tolist()]


def training_edges(snapshot: GraphSnapshot, train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(playlist index, track index) int32 [E_train] of the training playlists only, in the
    snapshot's order (grouped by playlist). int32 like the snapshot's own index arrays:
    at MPD scale each int64 copy of the edges is 0.5 GB more for every step to hold."""
    keep = np.zeros(snapshot.num_playlists, bool)
    keep[train] = True
    edge_playlist = snapshot.edge_playlists()
    mask = keep[edge_playlist]
    return edge_playlist[mask], snapshot.pl_tracks[mask]
