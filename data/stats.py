"""Statistics of the catalog, kept in the database at write time (never via networkx):
graph statistics, and the store's health (size on disk, last ingest).

Degrees count distinct neighbours: a playlist's degree is its number of distinct
tracks, a track's the number of distinct playlists holding it, an artist's the
number of distinct playlists holding any of its tracks.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from data.store import Catalog

SOURCES = ("mpd", "sample", "spotify", "export")  # playlist sources (data.schema v4)
CATCH_UP_ROWS = 2_000_000  # uncounted rows a read counts on the fly (a few seconds at most)


@dataclass
class GraphStats:
    store_version: int
    playlists: dict[str, int]  # per source (SOURCES) and "total"
    # per side of the playlists holding them ("mpd": MPD or sample, "spotify": crawled or
    # exported; data.graph_counts), "both" and "total"
    tracks: dict[str, int]
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
    # Playlists an ingest still running (or killed) has stored but not counted yet: the
    # degree figures leave them out until it ends (or the next ingest counts them).
    uncounted_playlists: int = 0
    plays: int = 0  # imported listening (python -m data listening)
    listeners: int = 0

    def to_dict(self) -> dict:
        out = asdict(self)
        for key in ("playlist_degrees", "track_degrees", "artist_degrees"):
            out[key] = {str(k): v for k, v in out[key].items()}
        return out


def graph_stats(catalog: Catalog) -> GraphStats:
    """The statistics from the counts kept at write time (data.graph_counts): a few small
    tables, never a scan of the playlist-track rows."""
    # One read transaction, so every figure describes the same store version.
    with catalog.read():
        return _collect(catalog)


def _collect(catalog: Catalog) -> GraphStats:
    one = lambda sql: catalog.query(sql).fetchone()[0]  # noqa: E731
    summary, pending = catalog.count_summary(CATCH_UP_ROWS)
    c, hist = summary.counters, summary.histograms
    playlists = {s: 0 for s in SOURCES}
    playlists.update(catalog.query("SELECT source, count(*) FROM playlists GROUP BY source"))
    playlists["total"] = sum(playlists.values())
    tracks = {"mpd": c["tracks_mpd"], "spotify": c["tracks_spotify"], "both": c["tracks_both"],
              "total": one("SELECT count(*) FROM tracks")}
    artists = {"mpd": c["artists_mpd"], "spotify": c["artists_spotify"],
               "both": c["artists_both"], "total": one("SELECT count(*) FROM artists")}
    edges = c["playlist_track_edges"]
    with_tracks = sum(hist["playlist"].values())
    n_tracks = tracks["total"]
    with_features = one("SELECT count(*) FROM audio_features")
    return GraphStats(
        store_version=catalog.version(),
        playlists=playlists, tracks=tracks, artists=artists,
        albums=one("SELECT count(*) FROM albums"),
        playlist_track_rows=c["playlist_track_rows"],
        playlist_track_edges=edges,
        track_artist_edges=one("SELECT count(*) FROM track_artists"),
        density=edges / (with_tracks * n_tracks) if with_tracks and n_tracks else 0.0,
        tracks_with_features=with_features,
        feature_coverage=with_features / n_tracks if n_tracks else 0.0,
        playlist_degrees=_sorted(hist["playlist"]), track_degrees=_sorted(hist["track"]),
        artist_degrees=_sorted(hist["artist"]), uncounted_playlists=pending,
        plays=one("SELECT count(*) FROM plays"), listeners=one("SELECT count(*) FROM listeners"),
    )


def _sorted(hist) -> dict[int, int]:
    return {int(d): int(n) for d, n in sorted(hist.items())}


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
