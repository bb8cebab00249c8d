"""What makes two sightings of a playlist the same playlist, and which stored playlists
came from the bundled sample.

A playlist's identity is (source, source_id): an MPD pid names a playlist only within one
dataset, so the bundled generated sample has a source of its own ('sample') and never
collides with a real MPD copy ('mpd'). Within one source, a pid seen again is the same
playlist when its *contents* are the same: the title and the track URIs in order (the
fields a user would call the playlist; counters such as followers are left out). Same
contents is a re-ingest (a no-op); different contents is a conflict (data.ingest).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable, Sequence

from data.mpd import ParsedSlice, SliceError, parse_slice, slice_files

Contents = tuple[str, tuple[str, ...]]  # (title, track URIs by position)
Query = Callable[[str, Sequence], Iterable[tuple]]  # Catalog.query or sqlite3 conn.execute
_CHUNK = 5000


def parsed_contents(parsed: ParsedSlice, i: int) -> Contents:
    """The contents of the slice's i-th playlist."""
    a, b = int(parsed.track_ptr[i]), int(parsed.track_ptr[i + 1])
    return (parsed.playlist_rows[i][1] or "",
            tuple(parsed.tracks[k][0] for k in parsed.track_index[a:b].tolist()))


def stored_contents(query: Query, source: str, source_ids: Iterable[str]) -> dict[str, Contents]:
    """{source_id: contents} of those of `source_ids` stored under `source`."""
    ids = list(dict.fromkeys(str(s) for s in source_ids))
    titles: dict[str, str] = {}
    tracks: dict[str, list[str]] = {}
    for a in range(0, len(ids), _CHUNK):
        chunk = ids[a:a + _CHUNK]
        marks = ",".join("?" * len(chunk))
        for source_id, name, uri in query(
                "SELECT p.source_id, p.name, t.uri FROM playlists p "
                "LEFT JOIN playlist_tracks pt ON pt.playlist_id = p.id "
                "LEFT JOIN tracks t ON t.id = pt.track_id "
                f"WHERE p.source = ? AND p.source_id IN ({marks}) "
                "ORDER BY p.id, pt.position", (source, *chunk)):
            titles[source_id] = name or ""
            if uri is not None:
                tracks.setdefault(source_id, []).append(uri)
    return {s: (titles[s], tuple(tracks.get(s, ()))) for s in titles}


def mark_bundled_sample(query: Query, sample_dir: Path) -> int:
    """Give source 'sample' to the stored 'mpd' playlists that came from the bundled sample
    in `sample_dir` (the migration of homes made before sources had 'sample').

    The rule: a stored 'mpd' playlist is the sample's when (1) a bundled slice of that
    file name is recorded in `ingested_slices`, (2) its pid is in that slice, and (3) its
    title and track URIs equal that slice's playlist. Real MPD playlists that an older
    ingest stored under those pids fail (3) and stay 'mpd'. Without the bundled files
    nothing is re-labelled. Returns how many playlists were re-labelled.
    """
    recorded = {row[0] for row in query("SELECT name FROM ingested_slices", ())}
    marked = 0
    for path in slice_files([sample_dir]) if sample_dir.is_dir() else ():
        if path.name not in recorded:
            continue
        try:
            parsed = parse_slice(path)
        except SliceError:
            continue
        pids = [row[0] for row in parsed.playlist_rows]
        stored = stored_contents(query, "mpd", pids)
        same = [pid for i, pid in enumerate(pids)
                if pid in stored and stored[pid] == parsed_contents(parsed, i)]
        for a in range(0, len(same), _CHUNK):
            chunk = same[a:a + _CHUNK]
            query("UPDATE playlists SET source = 'sample' WHERE source = 'mpd' "
                  f"AND source_id IN ({','.join('?' * len(chunk))})", chunk)
        marked += len(same)
    return marked
