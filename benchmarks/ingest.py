"""MPD ingest benchmark: playlists/s, time per slice and peak RSS, next to the parse-only floor.

Generates MPD-sized slices (1,000 playlists, ~66 tracks each), then in one run:
  1. parse-only floor: read + JSON-decode every slice (orjson), and our full reader
     (`parse_slice`: decode + validation + record objects);
  2. the real ingest, `python -m data ingest DIR`, in a subprocess with a fresh home,
     for a small and the full slice count (peak RSS must not grow with slices);
  3. a profiled ingest of a few slices, to say where the time beyond parsing goes.
Prints a table and writes benchmarks/results/ingest.json.

    python benchmarks/ingest.py --slices 20
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402

from data.mpd import parse_slice, read_bytes, slice_files  # noqa: E402
from data.sample import generate_sample  # noqa: E402

MPD_SLICES = 1000
MPD_ROWS = 66_346_428


def parse_floor(files: list[Path]) -> dict:
    t0 = time.perf_counter()
    for f in files:
        orjson.loads(read_bytes(f))
    raw = time.perf_counter() - t0
    t0 = time.perf_counter()
    for f in files:
        parse_slice(f)
    full = time.perf_counter() - t0
    return {"json_decode_s_per_slice": raw / len(files), "reader_s_per_slice": full / len(files)}


def run_ingest(slice_dir: Path, home: Path) -> dict:
    """`python -m data ingest` in a child process; wall time and the child's peak RSS."""
    env = {**os.environ, "PLAYLISTGRAPH_HOME": str(home)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "data", "ingest", str(slice_dir), "--no-progress"],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"ingest failed: {proc.stderr.strip()[-500:]}")
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the max over all waited-for children: run the small case first.
    return {"wall_s": wall, "peak_rss_mb": max(peak_kb, before) / 1024,
            "summary": proc.stdout.strip().splitlines()[-1],
            "db_mb": sum(p.stat().st_size for p in home.glob("catalog.sqlite*")) / 2**20}


def profile_ingest(files: list[Path], home: Path) -> dict[str, float]:
    """Where a slice's time goes: the reader, then each store phase (from cProfile).

    The ingest overlaps the reader (in a thread) with storing, so here the two are
    timed apart, on slices already read.
    """
    from data.ingest import ingest_slice
    from data.store import Catalog
    t0 = time.perf_counter()
    parsed = [parse_slice(f) for f in files]
    reader_s = time.perf_counter() - t0
    with Catalog.open(home) as catalog:
        prof = cProfile.Profile()
        t0 = time.perf_counter()
        prof.enable()
        for p in parsed:
            ingest_slice(catalog, p)
        prof.disable()
        store_s = time.perf_counter() - t0
    stats = pstats.Stats(prof)
    phases = {"upsert_tracks": "store: tracks/artists/albums",
              "upsert_playlist": "store: playlist rows",
              "add_playlist_track_rows": "store: playlist-track rows",
              "existing_playlists": "store: idempotency check"}
    profiled = sum(v[3] for k, v in stats.stats.items() if k[2] == "ingest_slice")
    out = {"reader (decode + records)": reader_s / len(files)}
    for (_, _, func), v in stats.stats.items():
        if func in phases:
            out[phases[func]] = out.get(phases[func], 0.0) + v[3] / profiled * store_s / len(files)
    out["store: commit, bookkeeping"] = store_s / len(files) - sum(
        v for k, v in out.items() if k.startswith("store:"))
    return out  # seconds per slice


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--slices", type=int, default=20, help="slices for the full run")
    ap.add_argument("--small", type=int, default=4, help="slices for the small run (RSS check)")
    ap.add_argument("--slice-size", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "ingest.json")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="pg-bench-ingest-") as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        manifest = generate_sample(args.slices * args.slice_size, args.seed, tmp / "full",
                                   slice_size=args.slice_size, features=False)
        gen_s = time.perf_counter() - t0
        small_dir = tmp / "small"
        small_dir.mkdir()
        files = list(slice_files([tmp / "full"]))
        for f in files[:args.small]:
            (small_dir / f.name).symlink_to(f)
        floor = parse_floor(files)
        small = run_ingest(small_dir, tmp / "home-small")
        full = run_ingest(tmp / "full", tmp / "home-full")
        phases = profile_ingest(files[:3], tmp / "home-prof")

    rows_per_slice = manifest.playlist_tracks / args.slices
    per_slice = full["wall_s"] / args.slices
    # Extrapolate by playlist-track rows, the unit of work (the real MPD has 66.3M).
    mpd_minutes = full["wall_s"] / manifest.playlist_tracks * MPD_ROWS / 60
    result = {
        "machine": f"{platform.machine()} {os.cpu_count()} cores, {platform.python_version()}",
        "slices": args.slices, "playlists": manifest.playlists,
        "playlist_track_rows": manifest.playlist_tracks, "unique_tracks": manifest.unique_tracks,
        "rows_per_slice": rows_per_slice, "generate_s": gen_s,
        "parse_floor": floor,
        "ingest": {"wall_s": full["wall_s"], "s_per_slice": per_slice,
                   "playlists_per_s": manifest.playlists / full["wall_s"],
                   "rows_per_s": manifest.playlist_tracks / full["wall_s"],
                   "peak_rss_mb": full["peak_rss_mb"], "db_mb": full["db_mb"],
                   "summary": full["summary"]},
        "ingest_small": {"slices": args.small, "wall_s": small["wall_s"],
                         "peak_rss_mb": small["peak_rss_mb"]},
        "over_floor": per_slice / floor["json_decode_s_per_slice"],
        "seconds_per_slice_by_phase (profiled, not overlapped)": phases,
        "full_mpd_extrapolated_min": mpd_minutes,
        "targets": {"full_mpd_min": 10, "peak_rss_mb": 1024},
    }
    table = [
        ("slices x playlists", f"{args.slices} x {args.slice_size} ({rows_per_slice:,.0f} rows/slice)"),
        ("JSON decode only (floor)", f"{floor['json_decode_s_per_slice']*1000:8.1f} ms/slice"),
        ("reader (decode + records)", f"{floor['reader_s_per_slice']*1000:8.1f} ms/slice"),
        ("ingest", f"{per_slice*1000:8.1f} ms/slice  "
                   f"{result['ingest']['playlists_per_s']:,.0f} playlists/s  "
                   f"{result['ingest']['rows_per_s']:,.0f} rows/s"),
        ("ingest / floor", f"{result['over_floor']:.1f}x"),
        (f"peak RSS ({args.small} / {args.slices} slices)",
         f"{small['peak_rss_mb']:.0f} MB / {full['peak_rss_mb']:.0f} MB"),
        ("full MPD (66.3M rows) extrapolated", f"{mpd_minutes:.1f} min (target < 10)"),
    ] + [(f"  {k}", f"{v*1000:8.1f} ms/slice") for k, v in phases.items()]
    width = max(len(k) for k, _ in table)
    for k, v in table:
        print(f"{k:<{width}}  {v}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
