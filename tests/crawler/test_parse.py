"""Reading Web API objects: both item keys, junk kinds, 2026 and older playlist shapes."""
from __future__ import annotations

import pytest

from crawler.parse import parse_item, parse_items_page, parse_playlist, parse_search_page
from data.store import ArtistRef, TrackRecord
from testkit.fake_spotify import track_object

TRACK = TrackRecord(uri="spotify:track:" + "T" * 22, name="Song",
                    artists=(ArtistRef("spotify:artist:" + "A" * 22, "Alpha"),
                             ArtistRef("spotify:artist:" + "B" * 22, "Bravo")),
                    album_uri="spotify:album:" + "L" * 22, album_name="Album", duration_ms=210_000)


@pytest.mark.parametrize("key", ["item", "track"])
def test_a_track_is_read_under_either_key(key: str):
    assert parse_item({"added_at": "2020-01-01T00:00:00Z", key: track_object(TRACK)}) == TRACK


def test_item_wins_over_a_null_track_key():
    assert parse_item({"track": None, "item": track_object(TRACK)}) == TRACK


@pytest.mark.parametrize("entry, kind", [
    (None, "null"),
    ({"item": None}, "null"),
    ({"track": None}, "null"),
    ({"is_local": True, "item": {"uri": "spotify:local:a:b:c:1", "id": None, "type": "track"}},
     "local"),
    ({"item": {"uri": "spotify:local:a:b:c:1", "type": "track"}}, "local"),
    ({"item": {"type": "episode", "uri": "spotify:episode:" + "E" * 22}}, "episode"),
    ({"item": {"type": "track", "uri": None, "id": None}}, "invalid"),
    ({"item": {"type": "track", "uri": "spotify:track:short"}}, "invalid"),
    ({"item": "a string"}, "invalid"),
    ("junk", "null"),
])
def test_junk_entries_are_named_by_kind(entry, kind: str):
    assert parse_item(entry) == kind


def test_a_page_counts_what_it_skipped():
    page = parse_items_page({"total": 5, "items": [
        {"item": track_object(TRACK)}, None, {"item": {"type": "episode", "uri": "x"}},
        {"track": track_object(TRACK)}, {"item": None}]})
    assert page.tracks == [TRACK, TRACK]
    assert page.skipped == {"null": 2, "episode": 1}
    assert (page.entries, page.total) == (5, 5)


def test_artists_without_uri_are_kept_by_name():
    obj = dict(track_object(TRACK), artists=[{"name": "Nameless", "uri": None, "id": None}])
    assert parse_item({"item": obj}).artists == (ArtistRef.by_name("Nameless"),)


@pytest.mark.parametrize("counts_key", ["items", "tracks"])
def test_playlist_objects_2026_and_older(counts_key: str):
    obj = {"id": "P" * 22, "name": "Mix", "description": "", "collaborative": False,
           "owner": {"id": "u1", "display_name": "User One"}, counts_key: {"total": 42}}
    p = parse_playlist(obj)
    assert (p.spotify_id, p.name, p.description, p.owner_id, p.owner_name, p.total,
            p.collaborative) == ("P" * 22, "Mix", None, "u1", "User One", 42, False)


def test_search_page_skips_null_results():
    found, junk, total, entries = parse_search_page({"playlists": {
        "items": [{"id": "P" * 22, "name": "a"}, None, {"id": "bad"}], "total": 3}})
    assert [p.spotify_id for p in found] == ["P" * 22]
    assert (junk, total, entries) == (2, 3, 3)
