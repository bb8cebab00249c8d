"""The snapshot read and built in chunks is the snapshot built in one piece."""
from __future__ import annotations

from dataclasses import fields

import numpy as np

from data.graph_reads import read_graph_tables
from data.ingest import ingest
from ml.dataset.snapshot import GraphSnapshot, build_snapshot
from tests.data.conftest import small_slices


def test_any_chunk_size_gives_the_same_arrays(catalog, tmp_path):
    small_slices(tmp_path / "slices", n_slices=3, per_slice=7)  # repeats and pos disorder
    assert ingest(catalog, [tmp_path / "slices"], progress=False).ok
    whole = build_snapshot(read_graph_tables(catalog, chunk_playlists=10**6), chunk_edges=10**9)
    pieces = build_snapshot(read_graph_tables(catalog, chunk_playlists=2), chunk_edges=3)
    for f in fields(GraphSnapshot):
        a, b = getattr(whole, f.name), getattr(pieces, f.name)
        assert (np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b), f.name
    # Every stored row is an edge but the repeats, in playlist order.
    rows = catalog.query("SELECT playlist_id, track_id FROM playlist_tracks "
                         "ORDER BY playlist_id, position").fetchall()
    distinct = list(dict.fromkeys(rows))
    got = [(int(whole.playlist_ids[p]), int(whole.track_ids[t]))
           for p in range(whole.num_playlists) for t in whole.playlist_tracks(p)]
    assert got == distinct and len(rows) > len(distinct)
