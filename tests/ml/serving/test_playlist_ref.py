"""`ml recommend --playlist REF`: the playlist a user means, on a catalog where the MPD pids
and the catalog's own ids differ by one (pid 70 is id:2, as after ingesting slice 0)."""
from __future__ import annotations

from pathlib import Path

import pytest

from data.store import ArtistRef, Catalog, PlaylistRecord, TrackRecord
from ml.errors import UserError
from ml.serving.playlist_ref import resolve_playlist
from tests.ml.conftest import run_ml

GYM = "37i9dQZF1DXcBWIGoYBM5M"
OTHER = "1AbCdEfGhIjKlMnOpQrStU"
# (source, source id, title, tracks): ids 1.. in this order
PLAYLISTS = [("mpd", "69", "Chill", 3), ("mpd", "70", "Road Trip", 4),
             ("mpd", "71", "road trip ", 2), ("mpd", "72", "Summer Hits", 3),
             ("mpd", "2019", "2019", 2), ("spotify", GYM, "Gym", 3)]


@pytest.fixture
def refs(home: Path) -> Catalog:
    tracks = [TrackRecord(f"spotify:track:{n:022d}", f"Song {n}",
                          (ArtistRef(f"spotify:artist:{n % 3:022d}", f"Artist {n % 3}"),))
              for n in range(8)]
    with Catalog.open(home) as cat:
        with cat.write():
            ids = cat.upsert_tracks(tracks)
            for k, (source, source_id, name, n) in enumerate(PLAYLISTS):
                pid = cat.upsert_playlist(PlaylistRecord(source, source_id, name))
                cat.set_playlist_tracks(pid, [ids[t.uri] for t in tracks[k:k + n]])
        yield cat


@pytest.mark.parametrize("text, expected_id, how", [
    ("70", 2, "MPD pid"),
    ("mpd:69", 1, "MPD pid"),
    (" MPD:72 ", 4, "MPD pid"),
    ("id:1", 1, "catalog id"),
    (GYM, 6, "Spotify playlist id"),
    (f"spotify:playlist:{GYM}", 6, "Spotify playlist id"),
    (f"https://open.spotify.com/playlist/{GYM}?si=abc", 6, "Spotify playlist id"),
    ("chill", 1, "its title, 'chill'"),
    ("summer", 4, "the only title containing 'summer'"),
    ("title:2019", 5, "its title, '2019'"),
    ("2019", 5, "MPD pid"),  # a bare number is a pid; here both read the same playlist
])
def test_each_accepted_form_picks_the_playlist_meant(refs: Catalog, text: str, expected_id: int,
                                                     how: str):
    picked = resolve_playlist(refs, text)
    assert (picked.id, picked.how) == (expected_id, how)
    source, source_id, name, n = PLAYLISTS[expected_id - 1]
    assert (picked.source, picked.source_id, picked.name, picked.tracks) == (source, source_id,
                                                                             name, n)


@pytest.mark.parametrize("text, says", [
    ("road trip", "is the title of 2 playlists (mpd:70 'Road Trip', mpd:71 'road trip ')"),
    ("hi", "is in the titles of 2 playlists"),  # Chill, Summer Hits
    ("99999", "no playlist with MPD pid '99999'"),
    ("id:99", "no playlist with catalog id 'id:99'"),
    ("id:x", "no playlist with catalog id 'id:x'"),
    (f"spotify:playlist:{OTHER}", "no playlist with Spotify playlist id"),
    ("no such title", "no playlist title contains 'no such title'"),
    ("  ", "--playlist is empty"),
    ("title:", "has no title to search"),
])
def test_unknown_or_ambiguous_is_one_line_listing_the_forms(refs: Catalog, text: str, says: str):
    with pytest.raises(UserError) as err:
        resolve_playlist(refs, text)
    message = str(err.value)
    assert says in message and "\n" not in message
    for form in ("mpd:PID", "bare MPD pid", "id:N", "Spotify playlist id, URL or "
                 "spotify:playlist: URI", "title"):
        assert form in message


def test_recommend_by_mpd_pid_says_which_playlist_it_used(refs: Catalog, home: Path,
                                                          tmp_path: Path):
    done = run_ml(tmp_path / "unused", "recommend", "--playlist", "70", "--k", "3",
                  "--home", str(home))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "playlist mpd:70 (id:2) 'Road Trip', 4 tracks: picked by MPD pid"
    assert lines[1].startswith("top ") and len(lines) == 2 + 1 + 3  # header row, 3 tracks


def test_recommend_with_an_ambiguous_title_is_a_one_line_error(refs: Catalog, home: Path):
    done = run_ml(home, "recommend", "--playlist", "road trip")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: 'road trip' is the ")
    assert "mpd:PID" in done.stderr and "id:N" in done.stderr and done.stdout == ""
