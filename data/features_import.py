"""Audio-features import from a CSV keyed by track id or URI (as in the public datasets)."""
from __future__ import annotations

import csv
import gzip
import math
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from data.schema import AUDIO_FEATURES
from data.store import Catalog

KEY_COLUMNS = ("id", "track_id", "uri", "track_uri")
_BATCH = 20_000


class FeaturesFileError(ValueError):
    pass


@dataclass
class FeaturesReport:
    rows: int = 0
    stored: int = 0  # inserted or changed
    unknown: int = 0  # rows whose track is not in the catalog
    bad: int = 0  # rows without a usable key

    def summary(self) -> str:
        return (f"read {self.rows} rows: {self.stored} stored or updated, "
                f"{self.unknown} for tracks not in the catalog (not stored), "
                f"{self.bad} without a track key")


def import_features(catalog: Catalog, path: Path, source: str | None = None) -> FeaturesReport:
    """Load audio features from `path` (.csv or .csv.gz); one transaction per batch."""
    report = FeaturesReport()
    source = source or f"csv:{path.name}"
    batch: list[tuple[str, dict]] = []
    for uri, feats in _rows(path, report):
        batch.append((uri, feats))
        if len(batch) >= _BATCH:
            _flush(catalog, batch, source, report)
    _flush(catalog, batch, source, report)
    return report


def _flush(catalog: Catalog, batch: list, source: str, report: FeaturesReport) -> None:
    if not batch:
        return
    known = catalog.track_ids_for_uris({uri for uri, _ in batch})
    with catalog.write():
        report.stored += catalog.put_audio_features(
            [(u, f) for u, f in batch if u in known], source)
    report.unknown += sum(1 for u, _ in batch if u not in known)
    batch.clear()


def _rows(path: Path, report: FeaturesReport) -> Iterator[tuple[str, dict]]:
    try:
        yield from _read_rows(path, report)
    except FileNotFoundError:
        raise FeaturesFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise FeaturesFileError(f"{path}: is a directory; give the CSV file itself") from None
    except (csv.Error, UnicodeDecodeError, EOFError, OSError, zlib.error) as exc:
        raise FeaturesFileError(f"{path}: unreadable near row {report.rows + 1} ({exc}); "
                                "check that it is a UTF-8 CSV (optionally .gz)") from None


def _read_rows(path: Path, report: FeaturesReport) -> Iterator[tuple[str, dict]]:
    opener = gzip.open(path, "rt", newline="", encoding="utf-8") if path.name.endswith(".gz") \
        else open(path, newline="", encoding="utf-8")
    with opener as fh:
        reader = csv.DictReader(fh)
        header = [h.strip() for h in (reader.fieldnames or [])]
        key = next((k for k in KEY_COLUMNS if k in header), None)
        if key is None:
            raise FeaturesFileError(
                f"{path}: no track key column; name one of {', '.join(KEY_COLUMNS)}")
        reader.fieldnames = header
        wanted = [c for c in AUDIO_FEATURES if c in header]
        for row in reader:
            report.rows += 1
            uri = to_track_uri(row.get(key) or "")
            if uri is None:
                report.bad += 1
                continue
            yield uri, {c: _number(row.get(c)) for c in wanted}


def to_track_uri(key: str) -> str | None:
    """'spotify:track:ID', an open.spotify.com track URL or a bare 22-char id → the URI."""
    key = key.strip()
    if key.startswith("spotify:track:"):
        return key
    if "open.spotify.com/track/" in key:
        key = key.split("open.spotify.com/track/", 1)[1].split("?", 1)[0]
    if len(key) == 22 and key.isalnum():
        return f"spotify:track:{key}"
    return None


def _number(text: str | None) -> float | None:
    if text is None or not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None
