"""MPD ingest: slice files into the catalog, one transaction per slice.

Streams (one slice in memory at a time), is idempotent (a playlist stored already under
the same source and pid with the same contents is skipped), never overwrites silently (the
same pid with other contents is a conflict, data.playlist_identity) and is resumable (a
killed ingest loses only the slice in flight).
"""
from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from multiprocessing import get_context
from typing import Callable, Iterator, TextIO

import numpy as np
from tqdm import tqdm

from data.graph_counts import DeltaSum, delta_of_rows
from data.mpd import ParsedSlice, SliceError, parse_slice, slice_files
from data.playlist_identity import parsed_contents, stored_contents
from data.store import Catalog
from data.track_writes import KnownTracks

# From this many slices on, secondary indexes are rebuilt once at the end instead of
# being updated row by row (about 2x faster stores at MPD scale).
BULK_SLICES = 8
PARSE_AHEAD = 2  # slices parsed ahead of the one being stored


@dataclass
class IngestReport:
    slices_ingested: int = 0
    slices_failed: int = 0
    playlists_added: int = 0
    playlists_present: int = 0  # stored already with the same contents: a no-op
    playlists_conflicting: int = 0  # stored already with other contents (kept or replaced)
    playlists_replaced: int = 0
    slices_refused: int = 0  # slices with conflicts, not ingested (on_conflict 'refuse')
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
        if self.playlists_conflicting:
            kept = self.playlists_conflicting - self.playlists_replaced
            line += (f", {self.playlists_conflicting} stored with other contents "
                     f"({self.playlists_replaced} replaced, {kept} kept)")
        skipped = []
        if self.slices_refused:
            skipped.append(f"{self.slices_refused} slice(s) with conflicts (see the errors)")
        if self.slices_failed:
            skipped.append(f"{self.slices_failed} unreadable file(s)")
        if self.playlists_skipped:
            skipped.append(f"{self.playlists_skipped} bad playlist(s)")
        if self.tracks_skipped:
            skipped.append(f"{self.tracks_skipped} track entries without track_uri")
        return line + ("; skipped " + ", ".join(skipped) if skipped else "")


ON_CONFLICT = ("refuse", "skip", "replace")


class SliceConflict(Exception):
    """A slice holds playlists stored already with other contents (data.playlist_identity),
    and the ingest was not told what to do with them: nothing of the slice was written."""

    def __init__(self, pids: list[str]):
        super().__init__(pids)
        self.pids = pids

    def line(self, path: Path) -> str:
        shown = ", ".join(self.pids[:5]) + (", ..." if len(self.pids) > 5 else "")
        return (f"{path}: {len(self.pids)} playlist(s) already stored with other contents "
                f"(pid {shown}); slice not ingested: rerun with --on-conflict replace to store "
                "this file's version, or --on-conflict skip to keep the stored one")


@dataclass
class SliceResult:
    added: int = 0
    present: int = 0  # stored already with the same contents: a no-op
    conflicts: int = 0  # stored already with other contents (kept or replaced)
    replaced: int = 0
    rows: int = 0


def ingest_slice(catalog: Catalog, parsed: ParsedSlice, known: KnownTracks | None = None,
                 counts: DeltaSum | None = None, *, source: str = "mpd",
                 on_conflict: str = "refuse") -> SliceResult:
    """Write one parsed slice in one transaction.

    A pid already stored under `source` with the same contents is skipped (a re-ingest);
    with other contents it is a conflict: `on_conflict` 'refuse' raises SliceConflict and
    writes nothing, 'skip' keeps the stored playlist, 'replace' stores this file's version
    in its place (same catalog id). `known` carries what earlier slices of this ingest
    stored, so their tracks need no lookup again (data.track_writes). The new playlists
    are counted in the graph counts at once, or, given `counts`, marked uncounted and
    their counts added to `counts` (for `ingest` to store once at its end)."""
    if on_conflict not in ON_CONFLICT:
        raise ValueError(f"on_conflict must be one of {ON_CONFLICT}, not {on_conflict!r}")
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    known = known if known is not None else KnownTracks()
    result = SliceResult()
    with catalog.write():
        known.begin(catalog.version())
        pids = [row[0] for row in parsed.playlist_rows]
        existing = catalog.existing_playlists(source, pids)
        stored = stored_contents(catalog.query, source, existing) if existing else {}
        conflict = [i for i, pid in enumerate(pids)
                    if pid in stored and stored[pid] != parsed_contents(parsed, i)]
        if conflict and on_conflict == "refuse":
            raise SliceConflict([pids[i] for i in conflict])
        keep = [i for i, pid in enumerate(pids) if pid not in existing]
        replace = conflict if on_conflict == "replace" else []
        result.added, result.present = len(keep), len(existing) - len(conflict)
        result.conflicts, result.replaced = len(conflict), len(replace)
        if keep or replace:
            tracks, links, ptr, index = _kept(parsed, keep + replace)
            track_ids, link_track, link_artist = catalog.upsert_track_rows(tracks, links, known)
            new = len(keep)
            if keep:
                playlist_ids = catalog.insert_playlists(
                    source, [parsed.playlist_rows[i] for i in keep])
                lengths = np.diff(ptr[:new + 1])
                rows = int(ptr[new])
                row_playlist, row_track = np.repeat(playlist_ids, lengths), track_ids[index[:rows]]
                position = np.arange(rows) - np.repeat(ptr[:new], lengths)
                catalog.add_playlist_track_rows(zip(
                    row_playlist.tolist(), position.tolist(), row_track.tolist()))
                result.rows = rows
                delta = delta_of_rows(row_playlist, np.zeros(rows, np.int64), row_track,
                                      link_track, link_artist)
                if counts is None:
                    catalog.count_playlists([], delta)
                else:
                    catalog.mark_uncounted(playlist_ids.tolist())
                    counts.add(delta)
                    counts.playlists.append(playlist_ids)
            for j, i in enumerate(replace):
                playlist_id = existing[pids[i]]
                catalog.replace_playlist(playlist_id, source, parsed.playlist_rows[i])
                catalog.set_playlist_tracks(
                    playlist_id, track_ids[index[ptr[new + j]:ptr[new + j + 1]]].tolist())
                result.rows += int(ptr[new + j + 1] - ptr[new + j])
            if replace:
                known.links_changed = True  # counts of this ingest moved outside `counts`
        catalog.record_slice(parsed.path.name, len(pids), len(parsed.problems), now)
        if keep or replace:
            catalog.set_meta("last_ingest_at", now)
    known.committed(catalog.version())
    return result


def _kept(parsed: ParsedSlice, keep: list[int]):
    """(tracks, links, track_ptr, track_index) of the playlists `keep` only; tracks keep
    their first-sighting order."""
    if keep == list(range(len(parsed.playlist_rows))):
        return parsed.tracks, parsed.artists, parsed.track_ptr, parsed.track_index
    ptr = parsed.track_ptr
    index = np.concatenate([parsed.track_index[ptr[i]:ptr[i + 1]] for i in keep])
    used, local = np.unique(index, return_inverse=True)
    renumber = {int(k): i for i, k in enumerate(used.tolist())}
    tracks = [parsed.tracks[k] for k in used.tolist()]
    links = [(renumber[k], *rest) for k, *rest in parsed.artists if k in renumber]
    lengths = np.array([ptr[i + 1] - ptr[i] for i in keep], np.int64)
    new_ptr = np.zeros(len(keep) + 1, np.int64)
    np.cumsum(lengths, out=new_ptr[1:])
    return tracks, links, new_ptr, local.astype(np.int32)


def ingest(catalog: Catalog, paths: list[Path], *, progress: bool = True,
           err: TextIO = sys.stderr, on_slice: Callable[[Path], None] | None = None,
           source: str = "mpd", on_conflict: str = "refuse") -> IngestReport:
    """Ingest every slice under `paths` as playlists of `source` ('mpd', or 'sample' for
    the bundled sample). Bad files and playlists are reported, not fatal; so is a folder
    without slices (nothing to ingest is an error too), and so is a slice holding pids
    stored already with other contents, unless `on_conflict` says what to do (ingest_slice)."""
    report = IngestReport()
    files = list(slice_files(paths))
    for path in paths:
        if path.is_dir() and not any(slice_files([path])):
            report.errors.append(f"{path}: no MPD slices (mpd.slice.*.json or .json.gz) in this "
                                 "folder; give the folder or the files that hold them")
            print(f"error: {report.errors[-1]}", file=err)
    if not files:
        return report
    bulk = len(files) >= BULK_SLICES
    # In bulk the graph counts are stored once at the end (in a transaction of their own,
    # like the index rebuild); a short ingest counts each slice in its own transaction.
    known, counts = KnownTracks(), DeltaSum() if bulk else None
    with catalog.bulk_load() if bulk else nullcontext():
        _ingest_files(catalog, files, report, _Progress(len(files), progress, err), on_slice,
                      known, counts, source, on_conflict)
        if bulk:
            _count_ingested(catalog, known, counts)
    catalog.ensure_indexes()  # a no-op, unless an earlier bulk load was killed
    return report


def _count_ingested(catalog: Catalog, known: KnownTracks, counts: DeltaSum) -> None:
    """Store the graph counts of the playlists this ingest added, in one transaction,
    and count any a killed ingest left uncounted. The counts summed slice by slice are
    used unless another process wrote in between or a stored track gained an artist;
    then the playlists' rows are read back instead."""
    with catalog.write():
        ours = np.concatenate(counts.playlists) if counts.playlists else np.zeros(0, np.int64)
        trusted = not (known.foreign_write or known.links_changed) and \
            catalog.version() == known.version
        known.forget()  # its memory is better spent on the counting
        if len(ours) and trusted:
            catalog.count_playlists(ours.tolist(), counts.total())
        left = catalog.uncounted_playlists()
        if left:
            catalog.count_playlists(left)


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
                  on_slice: Callable[[Path], None] | None, known: KnownTracks,
                  counts: DeltaSum | None, source: str, on_conflict: str) -> None:
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
        try:
            result = ingest_slice(catalog, parsed, known, counts, source=source,
                                  on_conflict=on_conflict)
        except SliceConflict as conflict:
            report.slices_refused += 1
            report.playlists_conflicting += len(conflict.pids)
            report.errors.append(conflict.line(path))
            bar.error(report.errors[-1])
            bar.advance()
            continue
        report.slices_ingested += 1
        report.playlists_added += result.added
        report.playlists_present += result.present
        report.playlists_conflicting += result.conflicts
        report.playlists_replaced += result.replaced
        report.playlists_skipped += len(parsed.problems)
        report.tracks_skipped += parsed.skipped_tracks
        report.playlist_track_rows += result.rows
        elapsed = max(time.perf_counter() - started, 1e-9)
        playlists = report.playlists_added + report.playlists_present
        bar.advance(playlists_per_s=f"{playlists / elapsed:,.0f}")
    bar.close()


def _parsed_ahead(files: list[Path]) -> Iterator[tuple[Path, ParsedSlice | SliceError]]:
    """Parse slices in a child process while this one stores: decoding runs on another
    core, not under this process's GIL. At most PARSE_AHEAD + 1 slices are in memory."""
    if len(files) == 1:  # not worth a process
        yield files[0], _parse_or_error(files[0])
        return
    # fork, not spawn: a spawned child re-imports the caller's main module, which breaks
    # scripts without a main guard; the child only decodes files and exits.
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("fork"),
                             initializer=_exit_with_parent, initargs=(os.getpid(),)) as pool:
        ahead = [pool.submit(_parse_or_error, f) for f in files[:PARSE_AHEAD]]
        for i, path in enumerate(files):
            current = ahead.pop(0)
            if i + PARSE_AHEAD < len(files):
                ahead.append(pool.submit(_parse_or_error, files[i + PARSE_AHEAD]))
            yield path, current.result()


def _exit_with_parent(parent: int) -> None:
    """In the parser process: end when the ingest that started it is gone (killed), instead
    of waiting forever for slices that will never come."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)
    threading.Thread(target=watch, daemon=True).start()


def _parse_or_error(path: Path) -> ParsedSlice | SliceError:
    try:
        return parse_slice(path)
    except SliceError as exc:
        return exc
