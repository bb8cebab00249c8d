"""MPD ingest: slice files into the catalog, one transaction per slice.

Streams (one slice in memory at a time), is idempotent (playlists already stored by
pid are skipped) and resumable (a killed ingest loses only the slice in flight).
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from typing import Callable, Iterator, TextIO

from tqdm import tqdm

from data.mpd import ParsedSlice, SliceError, parse_slice, slice_files
from data.store import Catalog

# From this many slices on, secondary indexes are rebuilt once at the end instead of
# being updated row by row (about 2x faster stores at MPD scale).
BULK_SLICES = 8


@dataclass
class IngestReport:
    slices_ingested: int = 0
    slices_failed: int = 0
    playlists_added: int = 0
    playlists_present: int = 0  # already in the store: skipped as a no-op
    playlists_skipped: int = 0  # bad playlists (no tracks, no pid)
    tracks_skipped: int = 0  # track entries without a track_uri
    playlist_track_rows: int = 0
    errors: list[str] = field(default_factory=list)  # one line each

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        line = (f"ingested {self.slices_ingested} slice(s): {self.playlists_added} new playlists, "
                f"{self.playlist_track_rows} playlist-track rows, "
                f"{self.playlists_present} already present")
        skipped = []
        if self.slices_failed:
            skipped.append(f"{self.slices_failed} unreadable file(s)")
        if self.playlists_skipped:
            skipped.append(f"{self.playlists_skipped} bad playlist(s)")
        if self.tracks_skipped:
            skipped.append(f"{self.tracks_skipped} track entries without track_uri")
        return line + ("; skipped " + ", ".join(skipped) if skipped else "")


def ingest_slice(catalog: Catalog, parsed: ParsedSlice) -> tuple[int, int, int]:
    """Write one parsed slice in one transaction. Returns (added, present, rows)."""
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    with catalog.write():
        existing = catalog.existing_playlists(
            "mpd", [p.record.source_id for p in parsed.playlists])
        new = [p for p in parsed.playlists if p.record.source_id not in existing]
        track_ids = catalog.upsert_tracks([t for p in new for t in p.tracks]) if new else {}
        rows: list[tuple[int, int, int]] = []
        for playlist in new:
            pid = catalog.upsert_playlist(playlist.record)
            rows.extend((pid, pos, track_ids[t.uri]) for pos, t in enumerate(playlist.tracks))
        catalog.add_playlist_track_rows(rows)
        catalog.record_slice(parsed.path.name, len(parsed.playlists), len(parsed.problems), now)
        if new:
            catalog.set_meta("last_ingest_at", now)
    return len(new), len(existing), len(rows)


def ingest(catalog: Catalog, paths: list[Path], *, progress: bool = True,
           err: TextIO = sys.stderr, on_slice: Callable[[Path], None] | None = None) -> IngestReport:
    """Ingest every slice under `paths`. Bad files and playlists are reported, not fatal;
    so is a folder without slices (nothing to ingest is an error too)."""
    report = IngestReport()
    files = list(slice_files(paths))
    for path in paths:
        if path.is_dir() and not any(slice_files([path])):
            report.errors.append(f"{path}: no MPD slices (mpd.slice.*.json or .json.gz) in this "
                                 "folder; give the folder or the files that hold them")
            print(f"error: {report.errors[-1]}", file=err)
    if not files:
        return report
    bulk = catalog.bulk_load() if len(files) >= BULK_SLICES else nullcontext()
    with bulk:
        _ingest_files(catalog, files, report, _Progress(len(files), progress, err), on_slice)
    catalog.ensure_indexes()  # a no-op, unless an earlier bulk load was killed
    return report


class _Progress:
    """The slices bar, with error lines that always have a line of their own.

    On a terminal tqdm clears and redraws its line around a message. Elsewhere (a pipe,
    a log file) its redraws are carriage returns without a newline, so a message must
    first end the bar's line, or it is glued to it.
    """

    def __init__(self, total: int, enabled: bool, err: TextIO):
        self.err = err
        self.bar = tqdm(total=total, unit="slice", disable=not enabled, file=err,
                        dynamic_ncols=True)
        self.tty = enabled and bool(getattr(err, "isatty", lambda: False)())
        self._drawn_at_error: float | None = None

    def error(self, text: str) -> None:
        if self.tty:
            self.bar.write(f"error: {text}", file=self.err)
            return
        drawn_at = getattr(self.bar, "last_print_t", None)  # None: the bar is off
        if drawn_at is not None and drawn_at != self._drawn_at_error:
            self.err.write("\n")  # the bar was drawn since the last message: end its line
        self.err.write(f"error: {text}\n")
        self.err.flush()
        self._drawn_at_error = drawn_at

    def advance(self, **postfix: str) -> None:
        self.bar.update(1)
        if postfix:
            self.bar.set_postfix(**postfix)

    def close(self) -> None:
        self.bar.close()


def _ingest_files(catalog: Catalog, files: list[Path], report: IngestReport, bar: _Progress,
                  on_slice: Callable[[Path], None] | None) -> None:
    started = time.perf_counter()
    for path, parsed in _parsed_ahead(files):
        if on_slice:
            on_slice(path)
        if isinstance(parsed, SliceError):
            report.slices_failed += 1
            report.errors.append(f"{path}: {parsed}; file skipped, fix or re-download it and run "
                                 "ingest again")
            bar.error(report.errors[-1])
            bar.advance()
            continue
        problems = [f"{path}: {problem}; playlist skipped" for problem in parsed.problems]
        if parsed.skipped_tracks:
            problems.append(f"{path}: {parsed.skipped_tracks} track entries without a track_uri; "
                            "those entries skipped, the rest of their playlists kept")
        for problem in problems:
            report.errors.append(problem)
            bar.error(problem)
        added, present, rows = ingest_slice(catalog, parsed)
        report.slices_ingested += 1
        report.playlists_added += added
        report.playlists_present += present
        report.playlists_skipped += len(parsed.problems)
        report.tracks_skipped += parsed.skipped_tracks
        report.playlist_track_rows += rows
        elapsed = max(time.perf_counter() - started, 1e-9)
        playlists = report.playlists_added + report.playlists_present
        bar.advance(playlists_per_s=f"{playlists / elapsed:,.0f}")
    bar.close()


def _parsed_ahead(files: list[Path]) -> Iterator[tuple[Path, ParsedSlice | SliceError]]:
    """Parse the next slice in a thread while the caller stores the current one.

    SQLite releases the GIL while it writes, so decoding overlaps storing; at most two
    slices are in memory at once.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        ahead = pool.submit(_parse_or_error, files[0]) if files else None
        for i, path in enumerate(files):
            current = ahead
            ahead = pool.submit(_parse_or_error, files[i + 1]) if i + 1 < len(files) else None
            yield path, current.result()


def _parse_or_error(path: Path) -> ParsedSlice | SliceError:
    try:
        return parse_slice(path)
    except SliceError as exc:
        return exc
