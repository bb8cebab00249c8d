"""AppTest: the Listening page shows exactly the figures of a hand-made streaming history
(worked out by hand below) and of a generated two-year export (computed from the
generator's rows, never through the page's own frames)."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from data.listening import import_listening
from data.store import Catalog
from tests.dashboard.apptest_helpers import frame_with, metrics, open_page, texts
from tests.dashboard.listening_history import hand_made_history

pytestmark = pytest.mark.usefixtures("no_autotrain")

def test_the_listening_page_shows_the_figures_of_a_hand_made_history(
        home: Path, catalog: Catalog, tiny: dict, tmp_path: Path) -> None:
    report = import_listening(catalog, [hand_made_history(tmp_path)], listener="Robin")
    assert report.plays_added == 5 and report.skipped == {"episode": 1}
    at = open_page("listening")
    shown = metrics(at)
    total_ms = 180_000 + 200_000 + 5_000 + 240_000 + 1_000
    assert shown["Plays"] == "5"
    assert shown["Hours played"] == f"{total_ms / 3_600_000:,.1f}" == "0.2"
    assert shown["Distinct tracks"] == "4"
    assert shown["Distinct artists"] == "3"  # The Rockers, Calm Person, Newcomer
    assert shown["Skip rate"] == "40.0%"  # E and G
    assert shown["New-track plays"] == "80.0%"  # all but A's second play
    # A, E and G are in MPD playlists; A and G in crawled ones; the new track nowhere.
    assert shown["Time on tracks the MPD or crawls also hold"] == \
        f"{(380_000 + 5_000 + 1_000) / total_ms:.1%}" == "61.7%"
    overlap = frame_with(at, "held_by").set_index("held_by")
    assert overlap.loc["MPD", "plays"] == 4 and overlap.loc["crawls", "plays"] == 3
    assert overlap.loc["neither", "plays"] == 1
    assert overlap.loc["crawls", "share_of_time"] == pytest.approx(381_000 / total_ms)
    top = frame_with(at, "track")
    assert top.track.tolist() == ["Highway Song", "Brand New", "Slow Morning", "Tea Time"]
    assert top.plays.tolist() == [2, 1, 1, 1]
    assert top.artist.tolist()[:2] == ["The Rockers", "Newcomer"]
    assert "5 plays from 2024-01-01 to 2024-02-06" in texts(at)
    assert at.selectbox(key="listening_listener").value == "Robin"


def test_the_listening_page_of_a_generated_two_year_export(
        home: Path, catalog: Catalog, tiny: dict, tmp_path: Path) -> None:
    from testkit.spotify_export import catalog_export_tracks, generate_history, write_export
    history = generate_history(catalog_export_tracks(catalog.tracks()), plays=3000,
                               start=datetime(2023, 1, 1), new_tracks=60)
    manifest = write_export(history, tmp_path / "export.zip", as_zip=True)
    import_listening(catalog, [tmp_path / "export.zip"])
    music = [r for r in history.rows if r["spotify_track_uri"]]
    at = open_page("listening")
    shown = metrics(at)
    assert shown["Plays"] == f"{manifest.plays:,}" == f"{len(music):,}"
    assert shown["Hours played"] == f"{sum(r['ms_played'] for r in music) / 3_600_000:,.1f}"
    assert shown["Distinct tracks"] == f"{len({r['spotify_track_uri'] for r in music}):,}"
    assert shown["Skip rate"] == f"{sum(r['skipped'] for r in music) / len(music):.1%}"
    firsts = len({r["spotify_track_uri"] for r in music})
    assert shown["New-track plays"] == f"{firsts / len(music):.1%}"


def test_the_listening_page_without_listening_says_how_to_import(
        home: Path, tiny: dict) -> None:
    at = open_page("listening")
    assert "python -m data listening" in texts(at)
    assert not metrics(at)


def test_my_listening_recommends_from_the_listeners_plays_and_never_a_played_track(
        home: Path, catalog: Catalog, tiny: dict, tmp_path: Path) -> None:
    import_listening(catalog, [hand_made_history(tmp_path)], listener="Robin")
    at = open_page("recommendations")
    at.segmented_control(key="rec_mode").set_value("My listening").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="rec_listener").value == "Robin"
    shown = texts(at)
    assert "4 seed tracks: Robin's most played of 5 plays" in shown
    assert "All 4 tracks Robin played are left out" in shown
    # By minutes x completion x recency: A (6.3 min, 36 days old) before the new track
    # (4 min, a day old); the two skipped plays last.
    seeds = frame_with(at, "weight")
    assert seeds.track.tolist() == ["Highway Song", "Brand New", "Slow Morning", "Tea Time"]
    assert seeds.weight.is_monotonic_decreasing
    table = at.main.dataframe[-1].value
    # The co-occurrence baseline serves: every unplayed track shares a playlist with A, E or G.
    assert set(table.track) == {"Thunder Road Trip", "Granite", "Pebble", "Rainy Window"}
    assert "Robin's listening" in at.main.subheader[-1].value
    assert "1 of the seed tracks could not be used" in texts(at)  # the new track: no playlist


def test_my_listening_without_listening_says_how_to_import(home: Path, tiny: dict) -> None:
    at = open_page("recommendations")
    at.segmented_control(key="rec_mode").set_value("My listening").run()
    assert not at.exception
    assert "python -m data listening" in texts(at)
