"""Approximate nearest-neighbour indexes over a run's track vectors (faiss).

The two-stage model's first stage needs each vector model's top few hundred tracks, not
a score for every track: over the full MPD's 2.26M tracks a scan reads 580 MB
(GraphSAGE, dim 64) or 1.16 GB (ALS, 128 factors) per query. A `TrackIndex` answers
"the top N tracks by inner product with this query vector" by reading a small share of
them.

Kinds, chosen by catalog size (`IndexSpec.for_size`; the numbers behind the choice are in
docs and `benchmarks/results/ann-*.json`):
- `flat`: exact inner product over all vectors (faiss's blocked scan). Small catalogs,
  where it is as fast as any approximation.
- `ivf`: an inverted file of `nlist` k-means cells (tracks assigned to the centre of
  largest inner product); a query scans the `nprobe` cells whose centres score highest.
  (Measured against it: HNSW, slower to build by 100x on two cores and no better in
  recall at the same search time; and IVF over L2 cells after the MIPS-to-L2 lift,
  worse in recall. See docs.)

Indexes only propose rows: the caller scores what they propose from the vectors
themselves, so a proposed track's score is the exact one.
"""
from __future__ import annotations

import json
import math
import os
import time
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from data.atomic import atomic_path, write_text_atomic
from ml.errors import ArtifactError

FLAT_MAX_TRACKS = 150_000  # up to here a flat scan takes <= ~2 ms a query on one core
CELL_SIZE = 550  # tracks per IVF cell (nlist = T / CELL_SIZE)
PROBE_SHARE = 0.012  # share of the cells a query scans (recall@200 >= 0.95, measured)
TRAIN_PER_CELL = 40  # k-means training vectors per cell (faiss warns below 39)
SOURCES = ("gnn", "als")  # the vector models that get an index
META_FILE = "ann.json"


@dataclass(frozen=True)
class IndexSpec:
    kind: str  # "flat" or "ivf"
    nlist: int = 0  # ivf: cells
    nprobe: int = 0  # ivf: cells scanned per query

    @classmethod
    def for_size(cls, num_tracks: int) -> "IndexSpec":
        """Flat up to FLAT_MAX_TRACKS; past that an IVF with cells of ~CELL_SIZE tracks."""
        return cls("flat") if num_tracks <= FLAT_MAX_TRACKS else cls("ivf", *_ivf_size(num_tracks))

    @classmethod
    def parse(cls, text: str) -> "IndexSpec":
        """'flat', 'ivf' (sized by for_size at build) or 'ivf:NLIST:NPROBE'."""
        parts = text.split(":")
        if parts[0] == "flat" and len(parts) == 1:
            return cls("flat")
        if parts[0] == "ivf" and len(parts) in (1, 3):
            try:
                return cls("ivf", int(parts[1]), int(parts[2])) if len(parts) == 3 else cls("ivf")
            except ValueError:
                pass
        raise ValueError(f"index spec {text!r}: use flat, ivf or ivf:NLIST:NPROBE")


class TrackIndex:
    """Top-N rows by inner product over [T, d] float32 track vectors."""

    def __init__(self, index, spec: IndexSpec, fingerprint: int):
        self.index, self.spec, self.fingerprint = index, spec, fingerprint
        if spec.kind == "ivf":
            self.index.nprobe = spec.nprobe

    @property
    def size(self) -> int:
        return int(self.index.ntotal)

    @classmethod
    def build(cls, vectors: np.ndarray, spec: IndexSpec | None = None,
              seed: int = 0) -> "TrackIndex":
        import faiss
        vectors = np.ascontiguousarray(vectors, np.float32)
        n, dim = vectors.shape
        spec = spec or IndexSpec.for_size(n)
        if spec.kind == "ivf" and not spec.nlist:
            spec = IndexSpec("ivf", *_ivf_size(n))
        if spec.kind == "flat":
            index = faiss.IndexFlatIP(dim)
            index.add(vectors)
            return cls(index, spec, fingerprint(vectors))
        nlist = min(spec.nlist, max(1, n))
        spec = IndexSpec("ivf", nlist, min(spec.nprobe, nlist))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.cp.seed = seed
        rng = np.random.default_rng(seed)
        sample = np.sort(rng.choice(n, min(n, nlist * TRAIN_PER_CELL), replace=False))
        index.train(vectors[sample])
        index.add(vectors)
        return cls(index, spec, fingerprint(vectors))

    def add(self, vectors: np.ndarray) -> None:
        """Append rows (tracks embedded after training); they get the next row numbers."""
        vectors = np.ascontiguousarray(vectors, np.float32)
        if len(vectors):
            self.index.add(vectors)

    def search(self, queries: np.ndarray, n: int) -> np.ndarray:
        """int64 [Q, n] rows, best first by the index's order, -1 where fewer exist."""
        queries = np.ascontiguousarray(queries, np.float32)
        n = min(int(n), self.size)
        if n <= 0:
            return np.full((len(queries), 0), -1, np.int64)
        import faiss
        # One query is one thread's work (the first stage runs its sources on threads of
        # its own); faiss's OpenMP team on a busy 2-core machine costs more than it gains.
        # The setting is per calling thread.
        faiss.omp_set_num_threads(1 if len(queries) <= 8 else max(1, os.cpu_count() or 1))
        _, rows = self.index.search(queries, n)
        return rows.astype(np.int64)

    def nbytes(self) -> int:
        import faiss
        return int(faiss.serialize_index(self.index).nbytes)


def fingerprint(vectors: np.ndarray) -> int:
    """A checksum of ~1,000 spread rows and the shape: tells a stale index from its vectors
    (a run re-evaluated since, with new ALS factors) without reading them all."""
    step = max(1, len(vectors) // 1024)
    sample = np.ascontiguousarray(np.asarray(vectors[::step], np.float32))
    return zlib.crc32(sample.tobytes(), zlib.crc32(repr(tuple(vectors.shape)).encode()))


def _ivf_size(n: int) -> tuple[int, int]:
    nlist = max(64, int(n // CELL_SIZE))
    return nlist, max(8, math.ceil(nlist * PROBE_SHARE))


class AnnIndexError(ArtifactError):
    """A run's index file that cannot be used (corrupt, or built from other vectors)."""


def index_path(run_dir: Path, source: str) -> Path:
    return run_dir / f"ann-{source}.faiss"


def save_index(run_dir: Path, source: str, index: TrackIndex, build_s: float) -> dict:
    """Write ann-<source>.faiss atomically and record it in ann.json; returns its entry."""
    import faiss
    path = index_path(run_dir, source)
    with atomic_path(path) as tmp:
        faiss.write_index(index.index, str(tmp))
    entry = {**asdict(index.spec), "fingerprint": index.fingerprint,
             "tracks": index.size, "bytes": path.stat().st_size, "build_s": round(build_s, 2)}
    meta = read_index_meta(run_dir)
    meta[source] = entry
    write_text_atomic(run_dir / META_FILE, json.dumps(meta, indent=1))
    return entry


def read_index_meta(run_dir: Path) -> dict:
    try:
        meta = json.loads((run_dir / META_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise AnnIndexError(f"{run_dir}/{META_FILE} is corrupt ({exc.__class__.__name__}); "
                            f"rebuild with python -m ml index {run_dir.name}, "
                            "or serve exactly with --exact") from None
    return meta if isinstance(meta, dict) else {}


def load_index(run_dir: Path, source: str, vectors: np.ndarray) -> TrackIndex | None:
    """The run's index for `source`, or None when the run has none (older runs: served
    exactly). ArtifactError (one line, what to do) when the file is corrupt or was built
    from other vectors than `vectors`."""
    import faiss
    entry = read_index_meta(run_dir).get(source)
    path = index_path(run_dir, source)
    if entry is None or not path.exists():
        return None
    fix = f"rebuild with python -m ml index {run_dir.name}, or serve exactly with --exact"
    try:
        raw = faiss.read_index(str(path))
        spec = IndexSpec(str(entry["kind"]), int(entry["nlist"]), int(entry["nprobe"]))
        index = TrackIndex(raw, spec, int(entry["fingerprint"]))
    except (RuntimeError, KeyError, TypeError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0][:80] if str(exc).strip() else type(exc).__name__
        raise AnnIndexError(f"{path} is corrupt ({reason}); {fix}") from None
    if index.size != len(vectors) or index.fingerprint != fingerprint(vectors):
        raise AnnIndexError(f"{path} was built from other vectors than the run's {source} "
                            f"(re-evaluated since?); {fix}")
    return index


def build_run_indexes(run_dir: Path, spec: IndexSpec | None = None,
                      sources: tuple[str, ...] = SOURCES) -> dict:
    """Build and save an index for each vector model the run has files for (GraphSAGE's
    track_states.npy, ALS's als.npz); returns {source: ann.json entry}."""
    from ml.artifacts import load_als
    built = {}
    for source in sources:
        if source == "gnn":
            states_file = run_dir / "track_states.npy"
            if not states_file.exists():
                continue
            vectors = np.load(states_file, mmap_mode="r", allow_pickle=False)[-1]
        else:
            if not (run_dir / "als.npz").exists():
                continue
            vectors, _ = load_als(run_dir)
        started = time.perf_counter()
        index = TrackIndex.build(np.asarray(vectors, np.float32), spec)
        built[source] = save_index(run_dir, source, index, time.perf_counter() - started)
    return built
