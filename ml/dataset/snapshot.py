"""The graph snapshot: the catalog as compact arrays, cached on disk by store version.

Playlists and tracks are numbered 0..P-1 and 0..T-1 (ascending catalog id). The
playlist→track CSR keeps playlist order (position) and each track once; the
track→playlist CSR is its transpose. A second training on an unchanged store loads
`cache/snapshot-v{version}.npz` and never touches the database.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from data.atomic import atomic_path
from data.graph_reads import GraphTables, read_graph_tables
from data.home import cache_dir
from data.schema import AUDIO_FEATURES
from data.store import Catalog
from ml.dataset.snapshot_pins import pinned_versions
from ml.dataset.titles import normalize_title
from ml.errors import UserError

FORMAT = 1  # bump when the arrays change meaning; older cache files are rebuilt
KEEP_CACHED = 3  # snapshot files kept per home (the newest versions)


@dataclass
class GraphSnapshot:
    version: int
    track_ids: np.ndarray  # int64 [T] catalog ids, ascending
    playlist_ids: np.ndarray  # int64 [P] catalog ids of playlists with tracks, ascending
    pl_indptr: np.ndarray  # int64 [P+1]
    pl_tracks: np.ndarray  # int32 [E] track index, in playlist order
    tr_indptr: np.ndarray  # int64 [T+1]
    tr_playlists: np.ndarray  # int32 [E] playlist index, ascending per track
    features: np.ndarray  # float32 [T, 11] raw audio features, 0 where missing
    feature_mask: np.ndarray  # bool [T, 11] True where the value is known
    track_artist: np.ndarray  # int32 [T] index into artist_ids, -1 none
    artist_ids: np.ndarray  # int64 [A] catalog ids
    track_album: np.ndarray  # int32 [T] index into album_ids, -1 none
    album_ids: np.ndarray  # int64 [B] catalog ids
    playlist_title: np.ndarray  # int32 [P] index into titles, -1 for an empty title
    titles: list[str]  # distinct normalized titles

    @property
    def num_tracks(self) -> int:
        return len(self.track_ids)

    @property
    def num_playlists(self) -> int:
        return len(self.playlist_ids)

    @property
    def num_edges(self) -> int:
        return len(self.pl_tracks)

    def playlist_tracks(self, playlist: int) -> np.ndarray:
        """Track indices of playlist `playlist` (an index), in playlist order."""
        return self.pl_tracks[self.pl_indptr[playlist]:self.pl_indptr[playlist + 1]]

    def playlist_lengths(self) -> np.ndarray:
        return np.diff(self.pl_indptr)

    def track_degrees(self) -> np.ndarray:
        return np.diff(self.tr_indptr)

    def edge_playlists(self) -> np.ndarray:
        """int32 [E]: the playlist index of each entry of `pl_tracks` (int32 like it)."""
        return np.repeat(np.arange(self.num_playlists, dtype=np.int32), self.playlist_lengths())

    def normalized_title(self, playlist: int) -> str:
        i = int(self.playlist_title[playlist])
        return self.titles[i] if i >= 0 else ""

    def track_index(self, catalog_ids: np.ndarray) -> np.ndarray:
        """Snapshot indices of catalog track ids; -1 for ids not in the snapshot."""
        ids = np.asarray(catalog_ids, dtype=np.int64)
        if self.num_tracks == 0:
            return np.full(len(ids), -1, np.int64)
        pos = np.minimum(np.searchsorted(self.track_ids, ids), self.num_tracks - 1)
        return np.where(self.track_ids[pos] == ids, pos, -1)

    def playlist_index(self, catalog_id: int) -> int:
        pos = int(np.searchsorted(self.playlist_ids, catalog_id))
        if pos < self.num_playlists and self.playlist_ids[pos] == catalog_id:
            return pos
        return -1


def build_snapshot(tables: GraphTables, chunk_edges: int = 4_000_000) -> GraphSnapshot:
    """Arrays from the catalog tables; pure numpy, no database access.

    The edges arrive grouped by playlist, so every step runs on bounded chunks of whole
    playlists, into int32 arrays: the peak beyond the result is a chunk's temporaries
    and one stable sort for the track->playlist direction.
    """
    track_ids = tables.track_ids
    n_tracks = len(track_ids)
    edge_playlist, edge_track = tables.edge_playlist, tables.edge_track
    n_rows = len(edge_track)
    # Playlists without tracks are not nodes; the rows are sorted by playlist.
    starts = np.flatnonzero(np.diff(edge_playlist, prepend=edge_playlist[:1] - 1)) \
        if n_rows else np.zeros(0, np.int64)
    playlist_ids = edge_playlist[starts].astype(np.int64)
    n_playlists = len(playlist_ids)
    # A track listed twice in a playlist is one edge: keep its first position.
    playlist_of_edge = np.empty(n_rows, np.int32)
    track_of_edge = np.empty(n_rows, np.int32)
    keep = np.empty(n_rows, bool)
    bounds = np.append(starts, n_rows)
    cut = 0
    while cut < n_playlists:
        end = int(np.searchsorted(bounds, bounds[cut] + chunk_edges, "right")) - 1
        end = min(max(end, cut + 1), n_playlists)
        a, b = int(bounds[cut]), int(bounds[end])
        local = np.repeat(np.arange(cut, end, dtype=np.int64), np.diff(bounds[cut:end + 1]))
        tracks = np.searchsorted(track_ids, edge_track[a:b])
        _, first = np.unique(local * max(n_tracks, 1) + tracks, return_index=True)
        mask = np.zeros(b - a, bool)
        mask[first] = True
        playlist_of_edge[a:b], track_of_edge[a:b], keep[a:b] = local, tracks, mask
        cut = end
    if not keep.all():
        playlist_of_edge, track_of_edge = playlist_of_edge[keep], track_of_edge[keep]
    del keep
    pl_indptr = _indptr(playlist_of_edge, n_playlists)
    tr_indptr = _indptr(track_of_edge, n_tracks)
    tr_playlists = playlist_of_edge[np.argsort(track_of_edge, kind="stable")]

    features = np.zeros((n_tracks, len(AUDIO_FEATURES)), np.float32)
    mask = np.zeros((n_tracks, len(AUDIO_FEATURES)), bool)
    rows = np.searchsorted(track_ids, tables.feature_track_ids)
    known = ~np.isnan(tables.features)
    features[rows] = np.where(known, tables.features, 0.0)
    mask[rows] = known

    artist_ids, track_artist = _vocabulary(tables.track_artist)
    album_ids, track_album = _vocabulary(tables.track_album)

    names = tables.playlist_names
    name_rows = np.searchsorted(tables.playlist_ids, playlist_ids)
    normalized = [normalize_title(names[i]) for i in name_rows.tolist()]
    titles = sorted({t for t in normalized if t})
    title_index = {t: i for i, t in enumerate(titles)}
    playlist_title = np.array([title_index.get(t, -1) for t in normalized], np.int32)

    return GraphSnapshot(
        version=tables.version, track_ids=track_ids, playlist_ids=playlist_ids,
        pl_indptr=pl_indptr, pl_tracks=track_of_edge,
        tr_indptr=tr_indptr, tr_playlists=tr_playlists,
        features=features, feature_mask=mask,
        track_artist=track_artist, artist_ids=artist_ids,
        track_album=track_album, album_ids=album_ids,
        playlist_title=playlist_title, titles=titles)


def load_snapshot(catalog: Catalog, home: Path | None = None,
                  listening: bool = False) -> GraphSnapshot:
    """The snapshot of the catalog's current version: from the cache, else built and cached.
    `listening`: with each listener-month of imported plays as a pseudo-playlist."""
    version = catalog.version()
    cached = cached_snapshot(version, home, listening)
    if cached is not None:
        return cached
    snapshot = build_snapshot(read_graph_tables(catalog, listening_as_playlists=listening))
    save_snapshot(snapshot, home, listening)
    return snapshot


def snapshot_of_version(catalog: Catalog, version: int, home: Path | None,
                        what: str, listening: bool = False) -> GraphSnapshot:
    """The snapshot a run was trained on: cached, or the catalog itself if unchanged."""
    cached = cached_snapshot(version, home, listening)
    if cached is not None:
        return cached
    if catalog.version() == version:
        return load_snapshot(catalog, home, listening)
    raise UserError(f"{what} needs the catalog as it was at store version {version} "
                    f"(now {catalog.version()}), and that snapshot is no longer cached; "
                    "train a new run with python -m ml train")


def cached_snapshot(version: int, home: Path | None = None,
                    listening: bool = False) -> GraphSnapshot | None:
    """The cached snapshot of `version`, or None when it is absent, unreadable or outdated."""
    path = snapshot_path(version, home, listening)
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as npz:
            if int(npz["format"]) != FORMAT:
                return None
            values = {f.name: npz[f.name] for f in fields(GraphSnapshot)
                      if f.name not in ("version", "titles")}
            titles = json.loads(str(npz["titles"]))
    except (OSError, ValueError, KeyError):
        return None  # a torn or foreign file: rebuild rather than fail
    return GraphSnapshot(version=version, titles=titles, **values)


def save_snapshot(snapshot: GraphSnapshot, home: Path | None = None,
                  listening: bool = False) -> Path:
    path = snapshot_path(snapshot.version, home, listening)
    arrays = {f.name: getattr(snapshot, f.name) for f in fields(GraphSnapshot)
              if f.name not in ("version", "titles")}
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, format=np.int64(FORMAT), titles=np.array(json.dumps(snapshot.titles)),
                 **arrays)
    _prune(path.parent)
    return path


def snapshot_path(version: int, home: Path | None = None, listening: bool = False) -> Path:
    return cache_dir(home) / f"snapshot-v{version}{'-listening' if listening else ''}.npz"


def _prune(directory: Path) -> None:
    def version_of(p: Path) -> int:
        try:
            return int(p.name[len("snapshot-v"):-len(".npz")].removesuffix("-listening"))
        except ValueError:
            return -1
    files = sorted(directory.glob("snapshot-v*.npz"), key=version_of, reverse=True)
    pinned = pinned_versions(directory.parent)  # snapshots runs in progress still need
    for old in files[KEEP_CACHED:]:
        if version_of(old) not in pinned:
            old.unlink(missing_ok=True)


def _indptr(sorted_rows: np.ndarray, n: int) -> np.ndarray:
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(sorted_rows, minlength=n), out=indptr[1:])
    return indptr


def _vocabulary(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct non-negative values, int32 index per input or -1)."""
    distinct = np.unique(values[values >= 0])
    index = np.where(values >= 0, np.searchsorted(distinct, values), -1).astype(np.int32)
    return distinct, index
