"""A hand-made streaming history over the tiny catalog's tracks (tests/dashboard/conftest),
whose figures the Listening page and "My listening" tests work out by hand."""
from __future__ import annotations

import json
from pathlib import Path

from tests.dashboard.conftest import TRACKS

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
