"""The graph counts kept at write time against a recount in plain Python of the rows the
store holds, after every kind of write: a bulk ingest, a crawl replacing a playlist's
tracks, an artist added to a stored track, a killed ingest, and a migration."""
from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from data.graph_counts import delta_of_rows
from data.home import catalog_path
from data.ingest import BULK_SLICES, ingest
from data.mpd import parse_slice
from data.schema import _V3_COUNTS, MIGRATIONS
from data.stats import graph_stats
from data.store import ArtistRef, Catalog, PlaylistRecord, TrackRecord
from tests.data.conftest import small_slices


def recount(catalog: Catalog) -> dict:
    """Degrees and per-source counts from the raw rows, in Python."""
    side = {"mpd": "mpd", "sample": "mpd", "spotify": "spotify", "export": "spotify"}
    source = {i: side[s] for i, s in catalog.query("SELECT id, source FROM playlists")}
    artists_of = defaultdict(set)
    for track, artist in catalog.query("SELECT track_id, artist_id FROM track_artists"):
        artists_of[track].add(artist)
    tracks_of = defaultdict(set)
    rows = 0
    for playlist, track in catalog.query("SELECT playlist_id, track_id FROM playlist_tracks"):
        tracks_of[playlist].add(track)
        rows += 1
    holders_t, holders_a = defaultdict(set), defaultdict(set)
    for playlist, tracks in tracks_of.items():
        for t in tracks:
            holders_t[t].add(playlist)
            for a in artists_of[t]:
                holders_a[a].add(playlist)

    def by_source(holders) -> dict:
        kinds = {n: {source[p] for p in ps} for n, ps in holders.items()}
        return {"mpd": sum("mpd" in k for k in kinds.values()),
                "spotify": sum("spotify" in k for k in kinds.values()),
                "both": sum(len(k) == 2 for k in kinds.values())}

    return {"playlist_degrees": dict(Counter(len(t) for t in tracks_of.values())),
            "track_degrees": dict(Counter(len(p) for p in holders_t.values())),
            "artist_degrees": dict(Counter(len(p) for p in holders_a.values())),
            "tracks": by_source(holders_t), "artists": by_source(holders_a),
            "playlist_track_rows": rows,
            "playlist_track_edges": sum(len(t) for t in tracks_of.values())}


def kept(catalog: Catalog) -> dict:
    s = graph_stats(catalog)
    return {"playlist_degrees": s.playlist_degrees, "track_degrees": s.track_degrees,
            "artist_degrees": s.artist_degrees,
            "tracks": {k: s.tracks[k] for k in ("mpd", "spotify", "both")},
            "artists": {k: s.artists[k] for k in ("mpd", "spotify", "both")},
            "playlist_track_rows": s.playlist_track_rows,
            "playlist_track_edges": s.playlist_track_edges}


def bulk_ingest(catalog: Catalog, directory: Path) -> None:
    small_slices(directory, n_slices=BULK_SLICES, per_slice=5)
    assert ingest(catalog, [directory], progress=False).ok


def test_a_bulk_ingest_counts_its_playlists_once_at_its_end(catalog: Catalog, slices_dir: Path):
    bulk_ingest(catalog, slices_dir)
    assert catalog.uncounted_playlists() == []
    assert kept(catalog) == recount(catalog)
    assert sum(kept(catalog)["playlist_degrees"].values()) == BULK_SLICES * 5


def test_a_crawl_replacing_tracks_moves_the_counts(catalog: Catalog, slices_dir: Path):
    bulk_ingest(catalog, slices_dir)
    stored = catalog.track_ids().tolist()
    new_artist = ArtistRef("spotify:artist:N000000000000000000001", "New")
    with catalog.write():
        ids = catalog.upsert_tracks([TrackRecord("spotify:track:N000000000000000000001", "n",
                                                 (new_artist,))])
        pid = catalog.upsert_playlist(PlaylistRecord("spotify", "crawled", "crawled"))
        catalog.set_playlist_tracks(pid, stored[:4] + list(ids.values()) + stored[:1])
    assert kept(catalog) == recount(catalog)
    with catalog.write():  # a recrawl finds the playlist changed
        catalog.set_playlist_tracks(pid, stored[2:3])
    assert kept(catalog) == recount(catalog)
    with catalog.write():
        catalog.set_playlist_tracks(pid, [])
    assert kept(catalog) == recount(catalog)
    assert kept(catalog)["tracks"]["spotify"] == 0


def test_an_artist_added_to_a_stored_track_counts_its_playlists(catalog: Catalog,
                                                               slices_dir: Path):
    bulk_ingest(catalog, slices_dir)
    before = kept(catalog)
    (uri,) = catalog.query("SELECT uri FROM tracks ORDER BY id LIMIT 1").fetchone()
    feat = ArtistRef("spotify:artist:F000000000000000000001", "Featured")
    with catalog.write():
        catalog.upsert_tracks([TrackRecord(uri, "", (feat,))])
    after = kept(catalog)
    assert after == recount(catalog)
    assert sum(after["artist_degrees"].values()) == sum(before["artist_degrees"].values()) + 1


def test_playlists_a_killed_ingest_left_uncounted_are_read_on_the_fly_then_counted(
        catalog: Catalog, slices_dir: Path, tmp_path: Path):
    bulk_ingest(catalog, slices_dir)
    # What a SIGKILL between a slice's commit and the ingest's end leaves: rows stored,
    # the playlists on the uncounted list, the counts without them.
    paths = small_slices(tmp_path / "more", n_slices=1, per_slice=3, first_pid=1000)
    parsed = parse_slice(paths[0])
    with catalog.write():
        ids, _, _ = catalog.upsert_track_rows(parsed.tracks, parsed.artists)
        playlists = catalog.insert_playlists("mpd", parsed.playlist_rows)
        lengths = np.diff(parsed.track_ptr)
        catalog.add_playlist_track_rows(zip(
            np.repeat(playlists, lengths).tolist(),
            (np.arange(len(parsed.track_index)) - np.repeat(parsed.track_ptr[:-1], lengths)).tolist(),
            ids[parsed.track_index].tolist()))
        catalog.mark_uncounted(playlists.tolist())
    assert graph_stats(catalog).uncounted_playlists == 0  # small: counted on the fly
    assert kept(catalog) == recount(catalog)
    assert catalog.uncounted_playlists() == playlists.tolist()  # a read stores nothing
    bulk_ingest(catalog, tmp_path / "again")  # the next ingest counts them
    assert catalog.uncounted_playlists() == []
    assert kept(catalog) == recount(catalog)


def test_a_delta_counts_distinct_neighbours_per_source():
    # playlist 1 (mpd): tracks 5, 6, 5; playlist 2 (spotify): track 6. Track 5 by artists
    # 7 and 8, track 6 by artist 7.
    delta = delta_of_rows(np.array([1, 1, 1, 2]), np.array([0, 0, 0, 1]), np.array([5, 6, 5, 6]),
                          np.array([5, 5, 6]), np.array([7, 8, 7]))
    assert delta.track_ids.tolist() == [5, 6]
    assert delta.track_counts.tolist() == [[1, 0], [1, 1]]
    assert delta.artist_ids.tolist() == [7, 8]
    assert delta.artist_counts.tolist() == [[1, 1], [1, 0]]
    assert delta.playlist_degrees == Counter({2: 1, 1: 1}) and delta.rows == 4


def test_the_migration_counts_what_a_version_2_store_holds(home: Path, slices_dir: Path):
    path = catalog_path(home)
    with Catalog(path) as catalog:  # the current schema, then the counts tables dropped
        bulk_ingest(catalog, slices_dir)
        want = recount(catalog)
    conn = sqlite3.connect(path)
    for table in ("track_playlist_counts", "artist_playlist_counts", "degree_histogram",
                  "graph_counters", "uncounted_playlists", "listeners", "plays",
                  "listening_files"):
        conn.execute(f"DROP TABLE {table}")
    conn.execute(f"PRAGMA user_version = {MIGRATIONS.index(_V3_COUNTS)}")
    conn.commit()
    conn.close()
    with Catalog(path) as catalog:
        assert kept(catalog) == want
