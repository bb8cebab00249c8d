"""The generated sample shipped in `data/sample/`: the product's default data."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, TextIO

from data.features_import import import_features
from data.home import BUNDLED_SAMPLE
from data.ingest import IngestReport, ingest
from data.sample_removal import sample_removed
from data.store import Catalog


def load_bundled_sample(catalog: Catalog, *, progress: bool = True, err: TextIO = sys.stderr,
                        sample_dir: Path = BUNDLED_SAMPLE,
                        on_slice: Callable[[Path], None] | None = None) -> IngestReport:
    """Ingest the bundled slices and their audio features (a no-op when already loaded).

    on_slice: called with each slice's path as ingest reaches it (`data.ingest.ingest`)."""
    report = ingest(catalog, [sample_dir], progress=progress, err=err, on_slice=on_slice,
                    source="sample")
    for name in ("audio_features.csv.gz", "audio_features.csv"):
        if (sample_dir / name).exists():
            import_features(catalog, sample_dir / name, source="sample")
            break
    return report


def needs_sample(catalog: Catalog) -> bool:
    """True for a fresh home: nothing ingested or crawled yet (and the sample was never
    removed: `python -m data remove-sample` is for good)."""
    return catalog.count("playlists") == 0 and not sample_removed(catalog)
