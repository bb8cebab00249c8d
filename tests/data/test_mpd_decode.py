"""The typed slice decoder and the field-by-field one give the same ParsedSlice."""
from __future__ import annotations

import json
from pathlib import Path

from data.mpd import parse_slice
from tests.data.conftest import load_slice, write_slice


def test_typed_and_field_by_field_decoding_agree(tmp_path: Path, four_slices: list[Path]):
    doc = load_slice(four_slices[0])
    typed = parse_slice(four_slices[0])
    # One value of a type the MPD never has sends the file down the field-by-field path;
    # an unknown extra key is ignored by both.
    doc["playlists"][0]["num_edits"] = "many"
    doc["playlists"][1]["tracks"][0]["extra"] = {"nested": [1, 2]}
    loose_path = tmp_path / four_slices[0].name
    loose_path.write_text(json.dumps(doc))
    loose = parse_slice(loose_path)
    assert loose.playlist_rows[0][11] is None and typed.playlist_rows[0][11] is not None
    assert loose.playlist_rows[1:] == typed.playlist_rows[1:]
    assert (loose.tracks, loose.artists) == (typed.tracks, typed.artists)
    assert loose.track_ptr.tolist() == typed.track_ptr.tolist()
    assert loose.track_index.tolist() == typed.track_index.tolist()
    assert loose.problems == typed.problems == []


def test_playlists_as_records_list_each_track_in_order(slices_dir: Path):
    from tests.data.conftest import mpd_playlist
    slices_dir.mkdir()
    path = write_slice(slices_dir, [mpd_playlist(3, [1, 2, 1]), mpd_playlist(4, [2])])
    (first, second) = parse_slice(path).playlists
    assert [t.uri for t in first.tracks] == [t["track_uri"] for t in
                                             mpd_playlist(3, [1, 2, 1])["tracks"]]
    assert first.tracks[1] is second.tracks[0]  # one record per distinct track
    assert first.record.source_id == "3" and first.record.collaborative is False
