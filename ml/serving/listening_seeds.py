"""Seeds from a listener's imported plays, and recommendations from them ("My listening",
`python -m ml recommend --listener NAME [--since 3m]`).

A track's weight is the sum over its plays of

    minutes played x completion x 0.5 ** (age / half-life)

where completion is 1 for a play that ran to the end (reason_end 'trackdone'), 0.25 for
a skipped one and 0.5 otherwise, and age is counted back from the listener's last play
(so an export downloaded a year ago is not all faded). The heaviest tracks are the
seeds; the served model takes them as one seed list, and everything the listener has
played (in the whole history, not only the window) is left out of the result.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from data.listening_reads import ListenerPlays, listener_id, listener_plays
from data.store import Catalog
from ml.errors import UserError
from ml.serving.recommender import RecommendationList

HALF_LIFE_DAYS = 90.0
SEEDS = 50
COMPLETED, SKIPPED, OTHER = 1.0, 0.25, 0.5
_UNITS = {"d": 86400, "w": 7 * 86400, "m": 30 * 86400, "y": 365 * 86400}


def parse_window(text: str) -> int:
    """Seconds of a window like '90d', '6w', '3m' (30-day months) or '1y'."""
    found = re.fullmatch(r"\s*(\d+)\s*([dwmy])\s*", text.lower())
    if not found or int(found.group(1)) == 0:
        raise UserError(f"--since {text!r}: give a number and a unit, e.g. 90d, 6w, 3m or 1y")
    return int(found.group(1)) * _UNITS[found.group(2)]


def track_weights(plays: ListenerPlays, half_life_days: float = HALF_LIFE_DAYS
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(track ids, weights), heaviest first (ties: the lower id first)."""
    if len(plays) == 0:
        return np.zeros(0, np.int64), np.zeros(0)
    completion = np.where(plays.completed, COMPLETED, np.where(plays.skipped, SKIPPED, OTHER))
    age_days = (plays.ts.max() - plays.ts) / 86400.0
    weight = plays.ms_played / 60_000.0 * completion * 0.5 ** (age_days / half_life_days)
    tracks, inverse = np.unique(plays.track_id, return_inverse=True)
    total = np.bincount(inverse, weights=weight, minlength=len(tracks))
    order = np.lexsort((tracks, -total))
    return tracks[order], total[order]


@dataclass
class ListeningSeeds:
    listener: str
    seeds: list[int]  # catalog track ids, heaviest first
    weights: list[float]
    played: set[int]  # every track the listener played (left out of recommendations)
    plays_in_window: int
    window_start: int | None  # Unix seconds, None: the whole history


def listening_seeds(catalog: Catalog, listener: str, since: str | None = None,
                    n_seeds: int = SEEDS, half_life_days: float = HALF_LIFE_DAYS
                    ) -> ListeningSeeds:
    """The listener's seeds: the `n_seeds` heaviest tracks of the plays in the window
    (`since`, e.g. '3m', ending at the last play; None: all plays)."""
    with catalog.read():
        found = listener_id(catalog, listener)
        if found is None:
            names = [r[0] for r in catalog.query("SELECT name FROM listeners ORDER BY name")]
            raise UserError(f"no listener {listener!r} in the catalog "
                            f"({', '.join(names) or 'none imported yet'}); import an export "
                            "with python -m data listening PATH [--as NAME]")
        everything = listener_plays(catalog, found)
    start = None
    plays = everything
    if since is not None and len(everything):
        start = int(everything.ts.max()) - parse_window(since)
        keep = everything.ts >= start
        plays = ListenerPlays(*(getattr(everything, f)[keep] for f in
                                ("ts", "track_id", "ms_played", "skipped", "completed")))
    tracks, weights = track_weights(plays, half_life_days)
    if len(tracks) == 0:
        raise UserError(f"listener {listener!r} has no plays"
                        + (f" in the last {since}" if since else "")
                        + "; widen --since or import a longer history")
    return ListeningSeeds(listener, tracks[:n_seeds].tolist(), weights[:n_seeds].tolist(),
                          set(everything.track_id.tolist()), len(plays), start)


def recommend_unplayed(recommender, seeds: ListeningSeeds, k: int,
                       title: str | None = None) -> list:
    """Top-k of the served model for the seeds, without any track the listener played."""
    wanted = k + len(seeds.played)
    recs = recommender.recommend(seeds.seeds, wanted, title=title)
    kept = [r for r in recs if r.track_id not in seeds.played][:k]
    return _with_skipped(kept, recs.skipped_seeds)


def _with_skipped(items: Sequence, skipped: Sequence[int]):
    return RecommendationList(items, skipped)
