"""data.catalog_reads, and the store health in data.stats, on the tiny catalog, where every
answer is known by hand."""
from __future__ import annotations

from data import catalog_reads as reads, stats
from data.store import Catalog


def test_search_playlists_matches_title_anywhere_case_insensitively(catalog: Catalog,
                                                                    tiny: dict) -> None:
    rows = reads.search_playlists(catalog, "ROCK")
    assert [r["name"] for r in rows] == ["Rock Classics", "rock road trip", "Alice rock"]
    assert [r["tracks"] for r in rows] == [3, 3, 2]
    assert rows[0]["source"] == "mpd" and rows[2]["owner_name"] == "Alice"


def test_search_playlists_treats_like_wildcards_literally(catalog: Catalog, tiny: dict) -> None:
    assert [r["name"] for r in reads.search_playlists(catalog, "100%")] == ["Mixed 100%"]
    assert reads.search_playlists(catalog, "_") == []
    assert reads.search_playlists(catalog, "no such title") == []


def test_search_tracks_by_name_or_artist(catalog: Catalog, tiny: dict) -> None:
    by_artist = reads.search_tracks(catalog, "stone band")
    assert {r["name"] for r in by_artist} == {"Granite", "Pebble"}
    assert {r["artist"] for r in by_artist} == {"Stone Band"}
    by_name = reads.search_tracks(catalog, "road")
    assert [(r["name"], r["artist"]) for r in by_name] == [("Thunder Road Trip", "The Rockers")]
    # Ordered by how many playlists hold the track: Highway Song (A) is in 5.
    rockers = reads.search_tracks(catalog, "rockers")
    assert [(r["name"], r["playlists"]) for r in rockers] == [("Highway Song", 5),
                                                              ("Thunder Road Trip", 3)]


def test_owners_and_their_merged_tracks(catalog: Catalog, tiny: dict) -> None:
    owners = reads.playlist_owners(catalog)
    assert [(o["owner_id"], o["owner_name"], o["playlists"], o["tracks"]) for o in owners] == [
        ("alice", "Alice", 2, 4), ("bob", "Bob", 1, 3)]
    t = tiny
    assert reads.owner_track_ids(catalog, "alice") == [t["A"], t["B"], t["F"], t["G"]]
    assert reads.owner_track_ids(catalog, "nobody") == []


def test_cooccurrence_evidence_counts_shared_playlists_per_seed(catalog: Catalog,
                                                                tiny: dict) -> None:
    t = tiny
    ev = reads.cooccurrence_evidence(catalog, [t["A"], t["B"]], [t["C"], t["D"], t["E"], t["G"]])
    # C is in Rock Classics (with A and B) and Bob's mix (with A).
    assert ev[t["C"]].shared_playlists == 2
    assert ev[t["C"]].seeds == [(t["A"], 2), (t["B"], 1)]
    assert ev[t["C"]].example_playlists == ["Rock Classics", "Bob's mix"]
    assert ev[t["D"]].shared_playlists == 2
    assert ev[t["D"]].example_playlists == ["rock road trip", "Bob's mix"]
    # E shares only "Mixed 100%" with A; G shares nothing with the rock seeds.
    assert (ev[t["E"]].shared_playlists, ev[t["E"]].seeds) == (1, [(t["A"], 1)])
    assert (ev[t["G"]].shared_playlists, ev[t["G"]].seeds, ev[t["G"]].example_playlists) == (
        0, [], [])


def test_cooccurrence_evidence_with_no_seeds_is_empty(catalog: Catalog, tiny: dict) -> None:
    ev = reads.cooccurrence_evidence(catalog, [], [tiny["A"]])
    assert ev[tiny["A"]].shared_playlists == 0


def test_store_health(catalog: Catalog, tiny: dict) -> None:
    size = stats.store_size_bytes(catalog)
    on_disk = sum(p.stat().st_size for p in catalog.path.parent.glob("catalog.sqlite*"))
    assert size == on_disk > 0
    assert stats.last_ingest_at(catalog) == "2025-01-02T03:04:05+00:00"
    assert stats.ingested_slice_count(catalog) == 0
