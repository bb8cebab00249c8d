"""Seeds from a listener's plays (ml.serving.listening_seeds) and `ml recommend --listener`."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from data.listening import import_listening
from data.listening_reads import ListenerPlays
from data.store import Catalog
from ml.errors import UserError
from ml.serving.listening_seeds import listening_seeds, parse_window, track_weights
from tests.dashboard.conftest import build_tiny_catalog
from tests.dashboard.listening_history import hand_made_history
from tests.ml.conftest import run_ml

DAY = 86400


def test_weights_are_minutes_times_completion_times_recency():
    # Track 1: two full 4-minute plays, one 90 days before the last play (half weight).
    # Track 2: one skipped 8-minute play on the last day (a quarter). Track 3: 2 minutes,
    # neither skipped nor played to the end (a half), on the last day.
    plays = ListenerPlays(
        ts=np.array([0, 90 * DAY, 90 * DAY, 90 * DAY]), track_id=np.array([1, 1, 2, 3]),
        ms_played=np.array([240_000, 240_000, 480_000, 120_000]),
        skipped=np.array([False, False, True, False]),
        completed=np.array([True, True, False, False]))
    tracks, weights = track_weights(plays, half_life_days=90)
    assert tracks.tolist() == [1, 2, 3]
    assert weights.tolist() == pytest.approx([4 * 0.5 + 4, 8 * 0.25, 2 * 0.5])
    # A longer half-life fades the old play less; the order stays.
    assert track_weights(plays, half_life_days=1e9)[1][0] == pytest.approx(8)


@pytest.mark.parametrize("text, seconds", [("90d", 90 * DAY), ("6w", 42 * DAY),
                                           ("3m", 90 * DAY), ("1y", 365 * DAY)])
def test_windows(text: str, seconds: int):
    assert parse_window(text) == seconds


@pytest.mark.parametrize("text", ["3", "m", "0d", "3 months", "-1d"])
def test_bad_windows_say_what_to_give(text: str):
    with pytest.raises(UserError, match="e.g. 90d, 6w, 3m or 1y"):
        parse_window(text)


def test_seeds_of_a_window_and_the_played_tracks_of_the_whole_history(catalog: Catalog,
                                                                      tmp_path: Path):
    ids = build_tiny_catalog(catalog)
    import_listening(catalog, [hand_made_history(tmp_path)], listener="Robin")
    new = catalog.track_ids_for_uris(["spotify:track:0000000000000000000new"])
    everything = listening_seeds(catalog, "Robin")
    assert everything.seeds == [ids["A"], *new.values(), ids["E"], ids["G"]]
    assert everything.plays_in_window == 5
    recent = listening_seeds(catalog, "Robin", since="30d")  # Jan 7 to Feb 6
    assert recent.seeds == [*new.values(), ids["G"]] and recent.plays_in_window == 2
    assert recent.played == {ids["A"], ids["E"], ids["G"], *new.values()}
    with pytest.raises(UserError, match="no listener 'Kim'.*Robin"):
        listening_seeds(catalog, "Kim")


def test_ml_recommend_for_a_listener_leaves_out_every_played_track(home: Path, catalog: Catalog,
                                                                  tmp_path: Path):
    build_tiny_catalog(catalog)
    import_listening(catalog, [hand_made_history(tmp_path)], listener="Robin")
    proc = run_ml(home, "recommend", "--listener", "Robin", "--k", "10")
    assert proc.returncode == 0, proc.stderr
    assert "listener Robin: 4 seed tracks from 5 plays, 4 played tracks left out" in proc.stdout
    listed = proc.stdout.split("uri\n", 1)[1]
    for played in ("Highway Song", "Slow Morning", "Tea Time", "Brand New"):
        assert played not in listed
    for unplayed in ("Thunder Road Trip", "Granite", "Pebble", "Rainy Window"):
        assert unplayed in listed
    bad = run_ml(home, "recommend", "--listener", "Kim")
    assert bad.returncode == 2 and bad.stderr.startswith("error: no listener 'Kim'")
    assert len(bad.stderr.strip().splitlines()) == 1
