"""The Crawl page's tables say what a blank means, on rows whose answer is known."""
from __future__ import annotations

import pandas as pd

from dashboard.frames.crawl_tables import playlist_table, reason_notes, unreachable_table
from dashboard.reads.crawl_info import PLAYLIST_COLUMNS

ROWS = [  # as data.crawl_reads.crawl_playlists returns them
    {"name": "Seed mix", "owner_name": "Alice", "depth": 0, "found_via": None,
     "status": "crawled", "reason": None, "tracks": 1200, "total": 1200, "skipped": 0,
     "spotify_id": "seed1"},
    {"name": "Not yours", "owner_name": "Bob", "depth": 1, "found_via": "Stone Band",
     "status": "unreachable", "reason": "403 forbidden: the API shows the items only of …",
     "tracks": None, "total": None, "skipped": None, "spotify_id": "p403"},
    {"name": "Daily Mix", "owner_name": None, "depth": 1, "found_via": "Calm Person",
     "status": "unreachable", "reason": "404 not found: a Spotify-owned playlist",
     "tracks": None, "total": None, "skipped": None, "spotify_id": "p404"},
    {"name": None, "owner_name": None, "depth": 2, "found_via": "Calm Person",
     "status": "queued", "reason": None, "tracks": None, "total": None, "skipped": None,
     "spotify_id": "q1"},
]


def test_every_blank_is_said_in_words() -> None:
    table = playlist_table(pd.DataFrame(ROWS, columns=PLAYLIST_COLUMNS))
    assert table.to_dict("records") == [
        {"name": "Seed mix", "owner_name": "Alice", "status": "crawled", "depth": 0,
         "found_via": "seed", "tracks": "1,200", "skipped": "0"},
        {"name": "Not yours", "owner_name": "Bob", "status": "unreachable", "depth": 1,
         "found_via": "Stone Band", "tracks": "— (unreachable: 403)",
         "skipped": "— (unreachable: 403)"},
        {"name": "Daily Mix", "owner_name": "—", "status": "unreachable", "depth": 1,
         "found_via": "Calm Person", "tracks": "— (unreachable: 404)",
         "skipped": "— (unreachable: 404)"},
        {"name": "(untitled) q1", "owner_name": "—", "status": "queued", "depth": 2,
         "found_via": "Calm Person", "tracks": "— (not visited yet)",
         "skipped": "— (not visited yet)"},
    ]


def test_unreachable_table_keeps_the_reason_and_id() -> None:
    """The cell holds the reason's head, which fits it; the explanation is said once per
    reason below the table (a cell cut "…the signed-in u" at its width)."""
    frame = pd.DataFrame([*ROWS[1:3], {**ROWS[1], "spotify_id": "p403b"},
                          {**ROWS[2], "reason": None, "spotify_id": "pnone"}],
                         columns=PLAYLIST_COLUMNS)
    table = unreachable_table(frame)
    assert list(table["reason"]) == ["403 forbidden", "404 not found", "403 forbidden",
                                     "no reason recorded"]
    assert reason_notes(frame) == [("403 forbidden", "the API shows the items only of …"),
                                   ("404 not found", "a Spotify-owned playlist")]
    assert list(table["spotify_id"]) == ["p403", "p404", "p403b", "pnone"]
    assert not table.isna().any().any()
    # A missing reason is NaN in the frame: said in words there too, never "nan".
    assert playlist_table(frame)["tracks"].iloc[3] == "— (unreachable: no reason recorded)"


def test_no_playlists_gives_an_empty_table() -> None:
    assert playlist_table(pd.DataFrame([], columns=PLAYLIST_COLUMNS)).empty
