"""The generated sample shipped in `data/sample/`: the product's default data.

Whether the sample is in is read from what its load recorded, never from "the catalog
is not empty": each slice is in `ingested_slices` once its transaction committed, and the
features import is recorded in `meta` (SAMPLE_FEATURES_KEY) after its last batch. The
load marks its start (SAMPLE_STATE_KEY = 'loading') before it writes anything, so a
load killed between slices, or before the features, is seen as unfinished and the next
start finishes it.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, TextIO

from data.features_import import import_features
from data.home import BUNDLED_SAMPLE
from data.ingest import IngestReport, ingest
from data.mpd import slice_files
from data.store import Catalog

SAMPLE_STATE_KEY = "bundled_sample"  # 'loading' | 'loaded'
# Written by `python -m data remove-sample` (data/sample_removal.py): removed for good.
SAMPLE_REMOVED_KEY = "sample_removed_at"
SAMPLE_FEATURES_KEY = "bundled_sample_features"  # JSON: file, rows, stored, at
FEATURES_FILES = ("audio_features.csv.gz", "audio_features.csv")


@dataclass(frozen=True)
class SampleProgress:
    """How far the bundled sample's load got, from what it recorded."""
    state: str | None  # SAMPLE_STATE_KEY's value (None: never started in this home)
    slices: tuple[str, ...]  # the sample's slice files (names)
    slices_done: tuple[str, ...]  # those recorded in ingested_slices
    features_file: str | None  # the sample's features file (None: it has none)
    features_done: bool
    playlists: int  # every playlist in the catalog
    other_slices: int  # slices ingested that are not the sample's

    @property
    def complete(self) -> bool:
        return (bool(self.slices) and len(self.slices_done) == len(self.slices)
                and (self.features_file is None or self.features_done))


def sample_slices(sample_dir: Path = BUNDLED_SAMPLE) -> list[Path]:
    return list(slice_files([sample_dir])) if sample_dir.is_dir() else []


def features_file(sample_dir: Path = BUNDLED_SAMPLE) -> Path | None:
    return next((sample_dir / n for n in FEATURES_FILES if (sample_dir / n).exists()), None)


def sample_progress(catalog: Catalog, sample_dir: Path = BUNDLED_SAMPLE) -> SampleProgress:
    names = tuple(p.name for p in sample_slices(sample_dir))
    recorded = {row[0] for row in catalog.query("SELECT name FROM ingested_slices")}
    features = features_file(sample_dir)
    done = catalog.meta(SAMPLE_FEATURES_KEY)
    return SampleProgress(
        state=catalog.meta(SAMPLE_STATE_KEY), slices=names,
        slices_done=tuple(n for n in names if n in recorded),
        features_file=features.name if features else None,
        features_done=bool(done) and features is not None
        and json.loads(done).get("file") == features.name,
        playlists=catalog.count("playlists"), other_slices=len(recorded - set(names)))


def needs_sample(catalog: Catalog, sample_dir: Path = BUNDLED_SAMPLE) -> bool:
    """True while the bundled sample should be (re)loaded: a fresh home, or a load that
    began (it left a record or a slice) and did not finish. A home whose data came from
    elsewhere before any sample load, or whose sample was removed, needs none."""
    progress = sample_progress(catalog, sample_dir)
    if catalog.meta(SAMPLE_REMOVED_KEY) is not None or progress.complete:
        return False
    if progress.state is not None:  # a load began and did not finish
        return True
    # A home from before loads were marked: part of the sample and nothing else ingested is
    # a load that a closed browser tab stopped.
    legacy = bool(progress.slices_done) and progress.other_slices == 0
    return legacy or progress.playlists == 0


def load_bundled_sample(catalog: Catalog, *, progress: bool = True, err: TextIO = sys.stderr,
                        sample_dir: Path = BUNDLED_SAMPLE,
                        on_slice: Callable[[Path], None] | None = None) -> IngestReport:
    """Ingest the bundled slices and their audio features, recording each step (slices
    already ingested are a no-op; the features import is idempotent; a sample recorded as
    complete is left as it is).

    on_slice: called with each slice's path as ingest reaches it (`data.ingest.ingest`)."""
    loaded = sample_progress(catalog, sample_dir).complete  # then nothing is written
    if not loaded:
        with catalog.write():
            catalog.set_meta(SAMPLE_STATE_KEY, "loading")
    report = ingest(catalog, [sample_dir], progress=progress, err=err, on_slice=on_slice,
                    source="sample")
    features = features_file(sample_dir)
    if features is not None and not loaded:
        imported = import_features(catalog, features, source="sample")
        with catalog.write():
            catalog.set_meta(SAMPLE_FEATURES_KEY, json.dumps({
                "file": features.name, "rows": imported.rows, "stored": imported.stored,
                "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}))
    if not loaded and sample_progress(catalog, sample_dir).complete:
        with catalog.write():
            catalog.set_meta(SAMPLE_STATE_KEY, "loaded")
    return report
