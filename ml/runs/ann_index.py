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
- `ivf`: an inverted file of `nlist` k-means cells; a query scans the `nprobe` cells
  nearest to it. Inner products are turned into distances first (the MIPS-to-L2 lift:
  every track vector gets one more coordinate, sqrt(M^2 - |x|^2), M the largest norm;
  the query, scaled to norm M, a 0 there), so the cells are L2 k-means cells, which suit
  vectors of any norm: a track's squared distance from the query is then 2 M^2 - 2 q.x,
  smallest where the inner product is largest. On the real development set's GraphSAGE
  vectors the lift gave recall@200 0.94 at 32 of 233 cells against 0.91 for cells made
  and searched by inner product (0.989 vs 0.983 at 64). HNSW was measured too: 100x slower
  to build on two cores (127 s for 100K vectors) and no better in recall.
- `ivfpq`: the same cells, each vector stored as 4-bit codes, one per pair of coordinates
  of its residual from its cell's centre (faiss's "fast scan" product quantizer,
  `PQ{d/2}x4fsr`: the distances are looked up in tables held in SIMD registers). A query
  then reads a sixteenth of the bytes and does no float arithmetic per vector; the codes
  rank approximately, so a search proposes OVERFETCH times the rows wanted and the caller
  re-scores them exactly. At 2.26M tracks (4,113 cells, 20% probed; top-200 of generated
  track vectors with the graph's communities, 48 queries per seed count), recall@200
  against the exact top-200, GraphSAGE / ALS: one code per coordinate with 3x the rows
  0.941 / 0.953, with 5x 0.957 / 0.965; one code per pair with 6x 0.963 / 0.974, at the
  same query time and half the index (probing 30 or 40% of the cells instead gained only
  0.01: the codes' ranking, not the cells, loses the rest). The two-stage model's batches
  of 128 queries ran 1.6x faster (53 -> 83-88 lists a second) than with one code per
  coordinate. (8-bit scalar codes were measured too: 3.6x slower than `ivf` in this faiss
  build, which decodes them per vector.)

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
from ml.runs.artifacts import load_als

FLAT_MAX_TRACKS = 150_000  # up to here a flat scan takes <= ~2 ms a query on one core
CELL_SIZE = 550  # tracks per IVF cell (nlist = T / CELL_SIZE)
# Share of the cells a query scans. GraphSAGE recall@200: 0.93 on the real development
# set's trained vectors (0.97 at 40%), 0.96 on generated ones at 2.26M tracks.
PROBE_SHARE = 0.2
TRAIN_PER_CELL = 40  # k-means training vectors per cell (faiss warns below 39)
IVF_KINDS = ("ivf", "ivfpq")
OVERFETCH = {"flat": 1, "ivf": 1, "ivfpq": 6}  # rows proposed per row wanted
SOURCES = ("gnn", "als")  # the vector models that get an index
META_FILE = "ann.json"


@dataclass(frozen=True)
class IndexSpec:
    kind: str  # "flat", "ivf" or "ivfpq"
    nlist: int = 0  # ivf, ivfpq: cells
    nprobe: int = 0  # ivf, ivfpq: cells scanned per query

    @classmethod
    def for_size(cls, num_tracks: int) -> "IndexSpec":
        """Flat up to FLAT_MAX_TRACKS; past that an IVF of 4-bit codes with cells of
        ~CELL_SIZE tracks."""
        return (cls("flat") if num_tracks <= FLAT_MAX_TRACKS
                else cls("ivfpq", *_ivf_size(num_tracks)))

    @classmethod
    def parse(cls, text: str) -> "IndexSpec":
        """'flat', 'ivf' or 'ivfpq' (sized by for_size at build), or 'ivf:NLIST:NPROBE',
        'ivfpq:NLIST:NPROBE'."""
        parts = text.split(":")
        if parts[0] == "flat" and len(parts) == 1:
            return cls("flat")
        if parts[0] in IVF_KINDS and len(parts) in (1, 3):
            try:
                return (cls(parts[0], int(parts[1]), int(parts[2])) if len(parts) == 3
                        else cls(parts[0]))
            except ValueError:
                pass
        raise ValueError(f"index spec {text!r}: use flat, ivf, ivfpq, ivf:NLIST:NPROBE or "
                         "ivfpq:NLIST:NPROBE")


class TrackIndex:
    """Top-N rows by inner product over [T, d] float32 track vectors."""

    def __init__(self, index, spec: IndexSpec, fingerprint: int, max_norm: float = 0.0):
        self.index, self.spec, self.fingerprint = index, spec, fingerprint
        self.max_norm = max_norm  # ivf: the largest track norm M of the lift
        if spec.kind in IVF_KINDS:
            faiss_ivf(self.index).nprobe = spec.nprobe

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
        if spec.kind in IVF_KINDS and not spec.nlist:
            spec = IndexSpec(spec.kind, *_ivf_size(n))
        if spec.kind == "flat":
            index = faiss.IndexFlatIP(dim)
            index.add(vectors)
            return cls(index, spec, fingerprint(vectors))
        nlist = min(spec.nlist, max(1, n))
        spec = IndexSpec(spec.kind, nlist, min(spec.nprobe, nlist))
        max_norm = float(np.sqrt(np.einsum("ij,ij->i", vectors, vectors).max())) if n else 0.0
        width = _lifted_width(dim, spec.kind)
        if spec.kind == "ivfpq":
            index = faiss.index_factory(width, f"IVF{nlist},PQ{width // 2}x4fsr", faiss.METRIC_L2)
        else:
            index = faiss.IndexIVFFlat(faiss.IndexFlatL2(width), width, nlist, faiss.METRIC_L2)
        faiss_ivf(index).cp.seed = seed
        rng = np.random.default_rng(seed)
        sample = np.sort(rng.choice(n, min(n, nlist * TRAIN_PER_CELL), replace=False))
        index.train(_lifted(vectors[sample], max_norm, width))
        for start in range(0, n, 262_144):  # the lifted copy is made a block at a time
            index.add(_lifted(vectors[start:start + 262_144], max_norm, width))
        return cls(index, spec, fingerprint(vectors), max_norm)

    def add(self, vectors: np.ndarray) -> None:
        """Append rows (tracks embedded after training); they get the next row numbers."""
        vectors = np.ascontiguousarray(vectors, np.float32)
        if len(vectors):
            self.index.add(vectors if self.spec.kind == "flat"
                           else _lifted(vectors, self.max_norm, self.index.d))

    def search(self, queries: np.ndarray, n: int) -> np.ndarray:
        """int64 [Q, n'] rows, best first by the index's order, -1 where fewer exist: n' is
        n times the kind's OVERFETCH (the caller re-scores them exactly, keeps the best n)."""
        queries = np.ascontiguousarray(queries, np.float32)
        n = min(int(n) * OVERFETCH[self.spec.kind], self.size)
        if n <= 0:
            return np.full((len(queries), 0), -1, np.int64)
        if self.spec.kind in IVF_KINDS:
            # On the sphere of radius M with the tracks: the same order by inner product,
            # and the query is compared with the cells' centres at their scale.
            norms = np.linalg.norm(queries, axis=1, keepdims=True)
            queries = queries * (self.max_norm / np.maximum(norms, 1e-12))
            pad = self.index.d - queries.shape[1]  # the lift's coordinate (and ivfpq's 0)
            queries = np.concatenate([queries, np.zeros((len(queries), pad), np.float32)], 1)
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


def faiss_ivf(index):
    """The inverted file inside `index` (an IndexIVFFlat, or the fast-scan PQ one)."""
    import faiss
    return faiss.extract_index_ivf(index)


def _lifted_width(dim: int, kind: str) -> int:
    """d + 1 (the lift), rounded up to even for ivfpq (one code per pair of coordinates)."""
    return dim + 1 + (dim + 1) % 2 if kind == "ivfpq" else dim + 1


def _lifted(vectors: np.ndarray, max_norm: float, width: int) -> np.ndarray:
    """[n, width]: each vector, sqrt(M^2 - |x|^2) (so that all have norm M; a track added
    later with a larger norm gets 0 there: approximately placed), zeros to `width`."""
    sq = np.einsum("ij,ij->i", vectors, vectors)
    extra = np.sqrt(np.maximum(max_norm * max_norm - sq, 0.0)).astype(np.float32)
    pad = np.zeros((len(vectors), width - vectors.shape[1] - 1), np.float32)
    return np.concatenate([vectors, extra[:, None], pad], 1)


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
    entry = {**asdict(index.spec), "fingerprint": index.fingerprint, "max_norm": index.max_norm,
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
        index = TrackIndex(raw, spec, int(entry["fingerprint"]), float(entry["max_norm"]))
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
