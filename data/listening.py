"""`python -m data listening`: a Spotify data export into the catalog, one transaction per file.

- Every extended-history row with a track URI is a play, whatever its ms_played; podcast
  episodes, audiobooks and rows without a track URI are counted by kind and skipped.
- Tracks merge with the catalog by URI; one the catalog lacks is added with the export's
  names (its artist is the catalog's artist of that exact name where there is one).
- The saved tracks (`YourLibrary.json`) and own playlists (`Playlist*.json`) are
  playlists of source 'export', so they join the graph like crawled playlists.
- The short history (`StreamingHistory_music_*.json`, no URIs) is matched to catalog
  tracks by normalized artist and track name; a row that repeats an extended play (same
  track, minute and ms_played) is that play, not a second one, in either import order.
- A play's key is (listener, end time, track, ms_played): importing an export again adds
  nothing, a newer overlapping export adds only its new plays.
- A file that cannot be decoded is a one-line error and none of it is stored (it is
  decoded before its transaction starts); the other files are still imported.
"""
from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence, TextIO

from data.spotify_export import (IMPORT_ORDER, ExportError, ExportFile, export_files,
                                 is_track_uri, normalize_name, parse_date, parse_times,
                                 username_of)
from data.store import ArtistRef, Catalog, PlaylistRecord, TrackRecord, chunked

DEFAULT_LISTENER = "me"  # when the export names nobody and --as is not given
LIBRARY_NAME = "Liked Songs"
SKIP_KINDS = {"episode": "podcast episodes", "audiobook": "audiobook rows",
              "local": "local files", "no_track_uri": "rows without a track URI",
              "bad_time": "rows with an unreadable time"}


@dataclass
class ListeningReport:
    listeners: list[str] = field(default_factory=list)
    files_imported: int = 0
    files_failed: int = 0
    rows: int = 0  # extended-history rows read
    plays_added: int = 0
    plays_present: int = 0  # already stored: re-import or an overlapping export
    skipped: Counter = field(default_factory=Counter)  # kind -> rows (SKIP_KINDS)
    tracks_added: set[str] = field(default_factory=set)  # URIs the catalog lacked
    tracks_seen: set[str] = field(default_factory=set)  # every URI the export names
    playlists_stored: int = 0
    playlists_unchanged: int = 0
    short_rows: int = 0
    short_matched: int = 0
    short_added: int = 0
    errors: list[str] = field(default_factory=list)
    # Names normalized so far in this import (the short history's files share most names).
    normalized: dict[str, str] = field(default_factory=dict, repr=False)
    # Per listener id: (normalized artist, track) -> id of the tracks they played, built at
    # the first short-history file (after the extended files), shared by the others.
    played_names: dict[int, dict[tuple[str, str], int]] = field(default_factory=dict,
                                                                repr=False)

    def normalize(self, name: str) -> str:
        found = self.normalized.get(name)
        if found is None:
            found = self.normalized[name] = normalize_name(name)
        return found

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def tracks_merged(self) -> int:
        """Distinct tracks of the export that the catalog held already."""
        return len(self.tracks_seen - self.tracks_added)

    @property
    def match_rate(self) -> float:
        return self.short_matched / self.short_rows if self.short_rows else 0.0

    def summary(self) -> str:
        who = ", ".join(repr(n) for n in self.listeners) or "nobody"
        lines = [f"listener {who}: {self.files_imported} file(s) imported, "
                 f"{self.plays_added:,} plays added, {self.plays_present:,} already stored"]
        if self.skipped:
            lines.append("skipped " + ", ".join(
                f"{n:,} {SKIP_KINDS[k]}" for k, n in sorted(self.skipped.items())))
        lines.append(f"tracks: {self.tracks_merged:,} already in the catalog, "
                     f"{len(self.tracks_added):,} added from the export")
        if self.playlists_stored or self.playlists_unchanged:
            lines.append(f"playlists (source export): {self.playlists_stored} stored, "
                         f"{self.playlists_unchanged} unchanged")
        if self.short_rows:
            lines.append(f"short history: {self.short_rows:,} rows, {self.short_matched:,} "
                         f"matched to catalog tracks by name ({self.match_rate:.1%}), "
                         f"{self.short_added:,} new plays")
        if self.files_failed:
            lines.append(f"{self.files_failed} file(s) not imported (errors above)")
        return "\n".join(lines)


def import_listening(catalog: Catalog, paths: Sequence[Path], listener: str | None = None,
                     err: TextIO = sys.stderr) -> ListeningReport:
    """Import every export under `paths` (zips, folders or files). `listener` replaces
    the export's username as the listener's id."""
    report = ListeningReport()
    for path in paths:
        try:
            files = export_files(Path(path))
        except ExportError as exc:
            _fail(report, str(exc), err)
            continue
        name = (listener or username_of(files) or DEFAULT_LISTENER).strip()
        if name not in report.listeners:
            report.listeners.append(name)
        for export_file in files:
            if export_file.kind not in IMPORT_ORDER:
                continue
            try:
                _import_file(catalog, export_file, name, report)
            except ExportError as exc:
                _fail(report, f"{exc}; file skipped, nothing of it stored", err)
    return report


def _fail(report: ListeningReport, message: str, err: TextIO) -> None:
    report.errors.append(message)
    report.files_failed += 1
    print(f"error: {message}", file=err)


def _import_file(catalog: Catalog, export_file: ExportFile, listener: str,
                 report: ListeningReport) -> None:
    decoded = export_file.decode()  # before the transaction: a bad file stores nothing
    importer = {"extended": _extended, "library": _library, "playlists": _playlists,
                "short": _short}[export_file.kind]
    with catalog.write():
        listener_id = _listener_id(catalog, listener)
        rows, plays, skipped = importer(catalog, decoded, listener, listener_id, report)
        report.skipped.update(skipped)
        _record_file(catalog, listener_id, export_file, rows, plays, skipped)
    report.files_imported += 1


# ---- the four kinds of file -------------------------------------------------------------

def _extended(catalog: Catalog, rows, listener: str, listener_id: int,
              report: ListeningReport) -> tuple[int, int, Counter]:
    skipped: Counter = Counter()
    kept = []
    for row in rows:
        if is_track_uri(row.spotify_track_uri):
            kept.append(row)
        else:
            skipped["episode" if row.spotify_episode_uri else
                    "audiobook" if row.audiobook_uri or row.audiobook_chapter_uri else
                    "no_track_uri"] += 1
    times = parse_times([row.ts for row in kept])
    if None in times:
        skipped["bad_time"] += times.count(None)
    kept = [(ts, row) for ts, row in zip(times, kept) if ts is not None]
    first: dict[str, TrackRecord] = {}
    for _, row in kept:
        if row.spotify_track_uri not in first:
            first[row.spotify_track_uri] = TrackRecord(
                row.spotify_track_uri, row.master_metadata_track_name or "",
                _artists(row.master_metadata_album_artist_name),
                album_name=row.master_metadata_album_album_name)
    ids = _track_ids(catalog, list(first.values()), report)
    plays = [(listener_id, ts, ids[row.spotify_track_uri], max(int(row.ms_played), 0),
              row.reason_start, row.reason_end, _flag(row.shuffle), _flag(row.skipped),
              _flag(row.offline), _flag(row.incognito_mode), row.platform, row.conn_country)
             for ts, row in kept]
    # The short history may have stored some of these plays already, to the minute.
    if catalog.query("SELECT 1 FROM plays WHERE listener_id = ? AND history = 'account' "
                     "LIMIT 1", (listener_id,)).fetchone():
        catalog.executemany(
            "DELETE FROM plays WHERE listener_id = ? AND ts = ? AND track_id = ? "
            "AND ms_played = ? AND history = 'account'",
            ((p[0], p[1] - p[1] % 60, p[2], p[3]) for p in plays))
    added = catalog.executemany(
        "INSERT OR IGNORE INTO plays (listener_id, ts, track_id, ms_played, reason_start, "
        "reason_end, shuffle, skipped, offline, incognito, platform, conn_country, history) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'extended')", plays).rowcount
    report.rows += len(rows)
    report.plays_added += added
    report.plays_present += len(plays) - added
    return len(rows), len(plays), skipped


def _library(catalog: Catalog, library, listener: str, listener_id: int,
             report: ListeningReport) -> tuple[int, int, Counter]:
    skipped: Counter = Counter()
    records = []
    for item in library.tracks:
        if is_track_uri(item.uri):
            records.append(TrackRecord(item.uri, item.track or "", _artists(item.artist),
                                       album_name=item.album))
        else:
            skipped["no_track_uri"] += 1
    ids = _track_ids(catalog, records, report)
    _store_playlist(catalog, PlaylistRecord(
        "export", f"{listener}:library", LIBRARY_NAME, owner_id=listener, owner_name=listener,
        num_tracks=len(records)), [ids[r.uri] for r in records], report)
    return len(library.tracks), 0, skipped


def _playlists(catalog: Catalog, export, listener: str, listener_id: int,
               report: ListeningReport) -> tuple[int, int, Counter]:
    skipped: Counter = Counter()
    seen: Counter = Counter()
    rows = 0
    for playlist in export.playlists:
        records = []
        for item in playlist.items:
            rows += 1
            track = item.track
            if track is not None and is_track_uri(track.track_uri):
                records.append(TrackRecord(track.track_uri, track.track_name or "",
                                           _artists(track.artist_name),
                                           album_name=track.album_name))
            else:
                skipped["episode" if item.episode else "audiobook" if item.audiobook else
                        "local" if item.local_track else "no_track_uri"] += 1
        ids = _track_ids(catalog, records, report)
        # Names may repeat within an export; the n-th of a name keeps its id across exports.
        seen[playlist.name] += 1
        suffix = f"#{seen[playlist.name]}" if seen[playlist.name] > 1 else ""
        _store_playlist(catalog, PlaylistRecord(
            "export", f"{listener}:playlist:{playlist.name}{suffix}", playlist.name,
            description=playlist.description or None, owner_id=listener, owner_name=listener,
            modified_at=parse_date(playlist.last_modified_date), num_tracks=len(records),
            num_followers=playlist.number_of_followers), [ids[r.uri] for r in records], report)
    return rows, 0, skipped


def _short(catalog: Catalog, rows, listener: str, listener_id: int,
           report: ListeningReport) -> tuple[int, int, Counter]:
    skipped: Counter = Counter()
    keys = [(report.normalize(r.artist_name), report.normalize(r.track_name)) for r in rows]
    by_name = _tracks_by_name(catalog, {k: (r.artist_name, r.track_name)
                                        for k, r in zip(keys, rows)}, listener_id, report)
    matched = [(by_name[k], r) for k, r in zip(keys, rows) if k in by_name]
    times = parse_times([r.end_time for _, r in matched])
    if None in times:
        skipped["bad_time"] += times.count(None)
    plays = [(listener_id, ts, track_id, max(int(r.ms_played), 0))
             for ts, (track_id, r) in zip(times, matched) if ts is not None]
    # A row that repeats an extended play (end time to the minute) is that play.
    added = catalog.executemany(
        "INSERT OR IGNORE INTO plays (listener_id, ts, track_id, ms_played, history) "
        "SELECT ?1, ?2, ?3, ?4, 'account' WHERE NOT EXISTS (SELECT 1 FROM plays "
        "WHERE listener_id = ?1 AND ts BETWEEN ?2 AND ?2 + 59 AND track_id = ?3 "
        "AND ms_played = ?4 AND history = 'extended')", plays).rowcount
    report.short_rows += len(rows)
    report.short_matched += len(matched)
    report.short_added += added
    report.plays_added += added
    return len(rows), len(plays), skipped


# ---- shared steps -----------------------------------------------------------------------

def _listener_id(catalog: Catalog, name: str) -> int:
    catalog.execute("INSERT OR IGNORE INTO listeners (name) VALUES (?)", (name,))
    return catalog.query("SELECT id FROM listeners WHERE name = ?", (name,)).fetchone()[0]


def _artists(name: str | None) -> tuple[ArtistRef, ...]:
    return (ArtistRef.by_name(name),) if name else ()


def _flag(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _track_ids(catalog: Catalog, records: list[TrackRecord],
               report: ListeningReport) -> dict[str, int]:
    """{uri: track id}: the catalog's tracks as they are, the missing ones added with the
    export's names. A new track's artist is the catalog's (Spotify URI) artist of that
    exact name where exactly one exists, so it joins that artist's node."""
    firsts: dict[str, TrackRecord] = {}
    for r in records:
        firsts.setdefault(r.uri, r)
    ids = catalog.track_ids_for_uris(firsts)
    report.tracks_seen.update(firsts)
    missing = [r for uri, r in firsts.items() if uri not in ids]
    if missing:
        by_name = _artists_by_name(catalog, {a.name for r in missing for a in r.artists})
        missing = [r._replace(artists=tuple(by_name.get(a.name, a) for a in r.artists))
                   for r in missing]
        ids.update(catalog.upsert_tracks(missing))
        report.tracks_added.update(r.uri for r in missing)
    return ids


def _artists_by_name(catalog: Catalog, names: set[str]) -> dict[str, ArtistRef]:
    found: dict[str, list[str]] = {}
    for chunk in chunked(names):
        for name, uri in catalog.query(
                "SELECT name, uri FROM artists WHERE name_only = 0 "
                f"AND name IN ({','.join('?' * len(chunk))})", chunk):
            found.setdefault(name, []).append(uri)
    return {name: ArtistRef(uris[0], name) for name, uris in found.items() if len(uris) == 1}


def _tracks_by_name(catalog: Catalog, wanted: dict[tuple[str, str], tuple[str, str]],
                    listener_id: int, report: ListeningReport) -> dict[tuple[str, str], int]:
    """{(normalized artist, track name): track id} for the wanted names (normalized key ->
    the names as the export wrote them). First among the tracks the listener played
    (fully normalized names); the rest of the catalog is searched by the track name as
    written, ignoring ASCII case (a scan SQLite does, not Python), then compared with
    normalized names. A listened track wins over others of the same names, then the
    lowest id."""
    sql = ("SELECT t.id, t.name, ar.name FROM tracks t JOIN track_artists ta "
           "ON ta.track_id = t.id AND ta.position = 0 JOIN artists ar ON ar.id = ta.artist_id ")
    played = report.played_names.get(listener_id)
    if played is None:  # once per import, not once per file: it reads every play
        played = report.played_names[listener_id] = {}
        for track_id, track, artist in catalog.query(
                sql + "WHERE t.id IN (SELECT DISTINCT track_id FROM plays "
                "WHERE listener_id = ?) ORDER BY t.id", (listener_id,)):
            played.setdefault((report.normalize(artist), report.normalize(track)), track_id)
    found = {key: played[key] for key in wanted if key in played}
    rest = sorted({wanted[k][1] for k in wanted if k not in found})
    for chunk in chunked(rest):
        for track_id, track, artist in catalog.query(
                sql + f"WHERE t.name COLLATE NOCASE IN ({','.join('?' * len(chunk))}) "
                "ORDER BY t.id", chunk):
            key = (report.normalize(artist), report.normalize(track))
            if key in wanted:
                found.setdefault(key, track_id)
    return found


def _store_playlist(catalog: Catalog, record: PlaylistRecord, track_ids: list[int],
                    report: ListeningReport) -> None:
    """Insert or replace an export playlist; one that is the same already is left as it is
    (so a re-import changes nothing, not even the store version)."""
    existing = catalog.existing_playlists("export", [record.source_id]).get(record.source_id)
    if existing is not None:
        stored = catalog.playlists([existing])[0]
        same = all(stored[k] == getattr(record, k) for k in
                   ("name", "description", "owner_id", "modified_at", "num_tracks",
                    "num_followers"))
        if same and catalog.playlist_track_ids(existing) == track_ids:
            report.playlists_unchanged += 1
            return
    playlist_id = catalog.upsert_playlist(record)
    catalog.set_playlist_tracks(playlist_id, track_ids)
    report.playlists_stored += 1


def _record_file(catalog: Catalog, listener_id: int, export_file: ExportFile, rows: int,
                 plays: int, skipped: Counter) -> None:
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    catalog.execute(
        "INSERT INTO listening_files (listener_id, name, kind, rows, plays, skipped, imported_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (listener_id, name) DO UPDATE SET "
        "kind = excluded.kind, rows = excluded.rows, plays = excluded.plays, "
        "skipped = excluded.skipped, imported_at = excluded.imported_at "
        "WHERE rows != excluded.rows OR plays != excluded.plays OR skipped != excluded.skipped",
        (listener_id, export_file.name, export_file.kind, rows, plays,
         json.dumps(dict(sorted(skipped.items()))), now))
