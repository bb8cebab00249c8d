"""Statistics of the catalog, computed in the database (never via networkx): graph
statistics, and the store's health (size on disk, last ingest).

Degrees count distinct neighbours: a playlist's degree is its number of distinct
tracks, a track's the number of distinct playlists holding it, an artist's the
number of distinct playlists holding any of its tracks.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from data.store import Catalog

SOURCES = ("mpd", "spotify")


@dataclass
class GraphStats:
    store_version: int
    playlists: dict[str, int]  # per source and "total"
    tracks: dict[str, int]  # per source of the playlists holding them, and "total"
    artists: dict[str, int]
    albums: int
    playlist_track_rows: int  # rows, counting a track twice in one playlist twice
    playlist_track_edges: int  # distinct (playlist, track) pairs
    track_artist_edges: int
    density: float  # edges / (playlists with tracks × tracks)
    tracks_with_features: int
    feature_coverage: float  # share of tracks with audio features
    playlist_degrees: dict[int, int]  # degree -> number of playlists
    track_degrees: dict[int, int]
    artist_degrees: dict[int, int]

    def to_dict(self) -> dict:
        out = asdict(self)
        for key in ("playlist_degrees", "track_degrees", "artist_degrees"):
            out[key] = {str(k): v for k, v in out[key].items()}
        return out


def graph_stats(catalog: Catalog) -> GraphStats:
    # One read transaction, so every figure describes the same store version.
    with catalog.read():
        return _collect(catalog)


def _collect(catalog: Catalog) -> GraphStats:
    one = lambda sql: catalog.query(sql).fetchone()[0]  # noqa: E731
    playlists = {s: 0 for s in SOURCES}
    playlists.update(catalog.query("SELECT source, count(*) FROM playlists GROUP BY source"))
    playlists["total"] = sum(playlists.values())

    # Per track: which sources' playlists hold it (bit 1 = mpd, bit 2 = spotify).
    track_sources = (
        "SELECT pt.track_id AS track_id, max(p.source = 'mpd') | (max(p.source = 'spotify') << 1) AS s "
        "FROM playlist_tracks pt JOIN playlists p ON p.id = pt.playlist_id GROUP BY pt.track_id")
    tracks = _by_source(catalog.query(f"SELECT s, count(*) FROM ({track_sources}) GROUP BY s"))
    tracks["total"] = one("SELECT count(*) FROM tracks")
    artists = _by_source(catalog.query(
        f"SELECT s, count(*) FROM (SELECT ta.artist_id, max(ts.s & 1) | max(ts.s & 2) AS s "
        f"FROM ({track_sources}) ts JOIN track_artists ta ON ta.track_id = ts.track_id "
        f"GROUP BY ta.artist_id) GROUP BY s"))
    artists["total"] = one("SELECT count(*) FROM artists")

    track_degrees = _histogram(
        catalog, "SELECT count(DISTINCT playlist_id) AS d FROM playlist_tracks GROUP BY track_id")
    playlist_degrees = _histogram(
        catalog, "SELECT count(DISTINCT track_id) AS d FROM playlist_tracks GROUP BY playlist_id")
    artist_degrees = _histogram(
        catalog, "SELECT count(DISTINCT pt.playlist_id) AS d FROM track_artists ta "
                 "JOIN playlist_tracks pt ON pt.track_id = ta.track_id GROUP BY ta.artist_id")
    edges = sum(d * n for d, n in track_degrees.items())
    with_tracks = sum(playlist_degrees.values())
    n_tracks = tracks["total"]
    with_features = one("SELECT count(*) FROM audio_features")
    return GraphStats(
        store_version=catalog.version(),
        playlists=playlists, tracks=tracks, artists=artists,
        albums=one("SELECT count(*) FROM albums"),
        playlist_track_rows=one("SELECT count(*) FROM playlist_tracks"),
        playlist_track_edges=edges,
        track_artist_edges=one("SELECT count(*) FROM track_artists"),
        density=edges / (with_tracks * n_tracks) if with_tracks and n_tracks else 0.0,
        tracks_with_features=with_features,
        feature_coverage=with_features / n_tracks if n_tracks else 0.0,
        playlist_degrees=playlist_degrees, track_degrees=track_degrees,
        artist_degrees=artist_degrees,
    )


def _by_source(rows) -> dict[str, int]:
    """Counts by source bitmask → {'mpd': only-or-also MPD, 'spotify': ..., 'both': ...}."""
    masks = dict(rows)
    return {"mpd": masks.get(1, 0) + masks.get(3, 0),
            "spotify": masks.get(2, 0) + masks.get(3, 0),
            "both": masks.get(3, 0)}


def _histogram(catalog: Catalog, degree_sql: str) -> dict[int, int]:
    """{degree: count}; `degree_sql` yields one row per node with its degree as `d`."""
    return dict(catalog.query(f"SELECT d, count(*) FROM ({degree_sql}) GROUP BY d ORDER BY d"))


# ---- store health ---------------------------------------------------------------------

def store_size_bytes(catalog: Catalog) -> int:
    """Bytes on disk of the database with its WAL and shared-memory files."""
    total = 0
    for suffix in ("", "-wal", "-shm"):
        path = catalog.path.with_name(catalog.path.name + suffix)
        if path.exists():
            total += path.stat().st_size
    return total


def last_ingest_at(catalog: Catalog) -> str | None:
    """ISO time of the last MPD ingest that added playlists, or None."""
    return catalog.meta("last_ingest_at")


def ingested_slice_count(catalog: Catalog) -> int:
    return catalog.count("ingested_slices")
