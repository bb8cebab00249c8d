"""AppTest: the Listening page shows exactly the figures of a hand-made streaming history
(worked out by hand below) and of a generated two-year export (computed from the
generator's rows, never through the page's own frames)."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from data.listening import import_listening
from data.store import Catalog
from tests.dashboard.apptest_helpers import frame_with, metrics, open_page, texts
from tests.dashboard.conftest import TRACKS

pytestmark = pytest.mark.usefixtures("no_autotrain")

NEW = "spotify:track:0000000000000000000new"


def _row(ts: str, uri: str | None, ms: int, skipped: bool, name: str = "", artist: str = "",
         **extra) -> dict:
    return {"ts": ts, "platform": "android", "ms_played": ms, "conn_country": "SE",
            "ip_addr": "203.0.113.9", "master_metadata_track_name": name,
            "master_metadata_album_artist_name": artist, "master_metadata_album_album_name": "",
            "spotify_track_uri": uri, "spotify_episode_uri": None, "reason_start": "clickrow",
            "reason_end": "fwdbtn" if skipped else "trackdone", "shuffle": False,
            "skipped": skipped, "offline": False, "incognito_mode": False, **extra}


def hand_made_history(tmp_path: Path) -> Path:
    """Five plays of the tiny catalog's tracks A, E, G and a new track, one episode."""
    a, e, g = TRACKS["A"].uri, TRACKS["E"].uri, TRACKS["G"].uri
    rows = [
        _row("2024-01-01T10:00:00Z", a, 180_000, False, "Highway Song", "The Rockers"),
        _row("2024-01-01T10:03:00Z", a, 200_000, False, "Highway Song", "The Rockers"),
        _row("2024-01-02T22:00:00Z", e, 5_000, True, "Slow Morning", "Calm Person"),
        _row("2024-02-05T08:00:00Z", NEW, 240_000, False, "Brand New", "Newcomer"),
        _row("2024-02-06T08:00:00Z", g, 1_000, True, "Tea Time", "Calm Person"),
        _row("2024-02-07T08:00:00Z", None, 900_000, False,
             spotify_episode_uri="spotify:episode:0000000000000000000000"),
    ]
    path = tmp_path / "Streaming_History_Audio_2024_0.json"
    path.write_text(json.dumps(rows))
    return path


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
