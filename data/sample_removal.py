"""`python -m data remove-sample`: take the bundled generated sample out of the catalog.

One transaction: the sample's playlists (source 'sample') and their rows go, with their
share of the graph counts (degree histograms, per-source counters); so do the tracks,
artists and albums that only the sample held and the sample's audio features; the sample's
slices leave `ingested_slices`. What is left equals a catalog that never had the sample
(testkit.catalog_contents), except for a field a shared track got from the sample first.
The store version changes, so every cache keyed on it refreshes. The removal is recorded
(`meta.sample_removed_at`), so a later start does not load the sample again.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from data.bundled import SAMPLE_STATE_KEY
from data.home import BUNDLED_SAMPLE
from data.mpd import slice_files
from data.store import Catalog

REMOVED_KEY = "sample_removed_at"  # when; data.bundled's SAMPLE_STATE_KEY says 'removed'
# Tables that describe a track or an artist itself: they go with it and do not keep it.
_OWNED = {"tracks": {"track_artists", "audio_features", "track_playlist_counts"},
          "artists": {"artist_playlist_counts"},
          "albums": set()}


@dataclass
class RemovalReport:
    playlists: int = 0
    playlist_track_rows: int = 0
    tracks: int = 0
    artists: int = 0
    albums: int = 0
    audio_features: int = 0
    slices: int = 0

    def summary(self) -> str:
        if not self.playlists:
            return "no bundled-sample playlists in the catalog; nothing removed"
        return (f"removed the bundled sample: {self.playlists:,} playlists, "
                f"{self.playlist_track_rows:,} playlist-track rows, {self.tracks:,} tracks, "
                f"{self.artists:,} artists, {self.albums:,} albums and "
                f"{self.audio_features:,} audio-feature rows only it held")


def sample_removed(catalog: Catalog) -> bool:
    """True once the sample was removed from this catalog."""
    return catalog.meta(REMOVED_KEY) is not None


def remove_sample(catalog: Catalog, sample_dir: Path = BUNDLED_SAMPLE) -> RemovalReport:
    """Remove the bundled sample in one transaction (see the module's docstring)."""
    catalog.ensure_indexes()  # the orphan checks look tracks up by playlist rows
    report = RemovalReport()
    with catalog.write():
        playlists = "SELECT id FROM playlists WHERE source = 'sample'"
        ids = [r[0] for r in catalog.query(playlists)]
        report.playlists = len(ids)
        uncounted = set(catalog.uncounted_playlists())
        # Their share of the counts goes; uncounted ones (a killed ingest's) never had one.
        catalog.uncount_playlists([i for i in ids if i not in uncounted])
        catalog.execute("CREATE TEMP TABLE IF NOT EXISTS removal_tracks "
                        "(id INTEGER PRIMARY KEY)")
        catalog.execute("DELETE FROM removal_tracks")
        catalog.execute("INSERT OR IGNORE INTO removal_tracks SELECT track_id FROM playlist_tracks "
                        f"WHERE playlist_id IN ({playlists})")
        catalog.execute(f"DELETE FROM uncounted_playlists WHERE playlist_id IN ({playlists})")
        report.playlist_track_rows = catalog.execute(
            f"DELETE FROM playlist_tracks WHERE playlist_id IN ({playlists})").rowcount
        catalog.execute("DELETE FROM playlists WHERE source = 'sample'")
        report.audio_features = catalog.execute(
            "DELETE FROM audio_features WHERE source = 'sample'").rowcount
        report.tracks, report.artists, report.albums = _remove_orphans(catalog)
        names = [p.name for p in slice_files([sample_dir])] if sample_dir.is_dir() else []
        report.slices = catalog.executemany(
            "DELETE FROM ingested_slices WHERE name = ?", ((n,) for n in names)).rowcount
        catalog.set_meta(REMOVED_KEY, datetime.now(timezone.utc).isoformat(timespec="seconds"))
        catalog.set_meta(SAMPLE_STATE_KEY, "removed")  # needs_sample: never load it again
    return report


def _remove_orphans(catalog: Catalog) -> tuple[int, int, int]:
    """Delete the sample's tracks that nothing else uses now, then their artists and albums
    that nothing uses. "Uses" is read from the schema's foreign keys, so a table added by a
    later migration (listening history, crawl state) keeps what it references."""
    catalog.execute("DELETE FROM removal_tracks WHERE " + _used(catalog, "tracks", "removal_tracks.id"))
    catalog.execute("CREATE TEMP TABLE IF NOT EXISTS removal_artists (id INTEGER PRIMARY KEY)")
    catalog.execute("CREATE TEMP TABLE IF NOT EXISTS removal_albums (id INTEGER PRIMARY KEY)")
    catalog.execute("DELETE FROM removal_artists")
    catalog.execute("DELETE FROM removal_albums")
    catalog.execute("INSERT OR IGNORE INTO removal_artists SELECT artist_id FROM track_artists "
                    "WHERE track_id IN (SELECT id FROM removal_tracks)")
    catalog.execute("INSERT OR IGNORE INTO removal_albums SELECT album_id FROM tracks "
                    "WHERE id IN (SELECT id FROM removal_tracks) AND album_id IS NOT NULL")
    for owned in sorted(_OWNED["tracks"]):
        catalog.execute(f"DELETE FROM {owned} WHERE track_id IN (SELECT id FROM removal_tracks)")
    tracks = catalog.execute("DELETE FROM tracks WHERE id IN (SELECT id FROM removal_tracks)"
                             ).rowcount
    catalog.execute("DELETE FROM removal_artists WHERE " + _used(catalog, "artists", "removal_artists.id"))
    catalog.execute("DELETE FROM artist_playlist_counts "
                    "WHERE artist_id IN (SELECT id FROM removal_artists)")
    artists = catalog.execute("DELETE FROM artists WHERE id IN (SELECT id FROM removal_artists)"
                              ).rowcount
    catalog.execute("DELETE FROM removal_albums WHERE " + _used(catalog, "albums", "removal_albums.id"))
    albums = catalog.execute("DELETE FROM albums WHERE id IN (SELECT id FROM removal_albums)"
                             ).rowcount
    return tracks, artists, albums


def _used(catalog: Catalog, target: str, id_sql: str) -> str:
    """An SQL condition: some row of a table other than `target`'s own ones references
    the `target` row whose id is `id_sql`."""
    uses = []
    tables = [r[0] for r in catalog.query("SELECT name FROM sqlite_master WHERE type = 'table' "
                                          "AND name NOT LIKE 'sqlite_%'")]
    for table in tables:
        for fk in catalog.query(f'PRAGMA foreign_key_list("{table}")').fetchall():
            if fk[2] != target or table in _OWNED[target]:
                continue
            if fk[3] in _indexed_columns(catalog, table):  # a lookup per candidate
                uses.append(f'EXISTS (SELECT 1 FROM "{table}" WHERE "{fk[3]}" = {id_sql})')
            else:  # one pass over the table, not one per candidate (tracks.album_id)
                uses.append(f'{id_sql} IN (SELECT "{fk[3]}" FROM "{table}")')
    return "(" + (" OR ".join(uses) or "0") + ")"


def _indexed_columns(catalog: Catalog, table: str) -> set[str]:
    """Columns that lead an index of `table` (its primary key's included)."""
    out = set()
    for index in catalog.query(f'PRAGMA index_list("{table}")').fetchall():
        first = catalog.query(f'PRAGMA index_info("{index[1]}")').fetchone()
        if first is not None:
            out.add(first[2])
    pk = [r for r in catalog.query(f'PRAGMA table_info("{table}")') if r[5] == 1]
    if pk:
        out.add(pk[0][1])
    return out
