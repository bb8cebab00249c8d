"""MPD ingest benchmark: playlists/s, time per slice and peak RSS, next to the parse-only floor.

Generates MPD-sized slices (1,000 playlists, ~66 tracks each), or takes --slice-dir,
then in one run:
  1. the baselines: read + decode every slice with the stdlib `json` and with orjson,
     and our typed reader (`parse_slice`: msgspec decode of the stored fields + columns);
  2. the real ingest, `python -m data ingest DIR`, in a subprocess with a fresh home,
     for a small and the full slice count (peak RSS must not grow with slices);
  3. a profiled ingest of a few slices, to say where the time beyond parsing goes;
  4. the writer and the reader timed apart on every slice (not overlapped: one process
     parses a slice, then stores it), with the bulk load's end (graph counts, index
     build), so the per-slice times show whether storing slows as the catalog grows.
`--code DIR` runs steps 2 and 4 with another checkout too (e.g. the commit before a
change), one after the other on the same slices, so a before/after pair shares the
machine and its load.
Prints a table and writes benchmarks/results/ingest.json.

    python benchmarks/ingest.py --slices 100
    python benchmarks/ingest.py --slice-dir /tmp/slices-100000   # slices generated before
    python benchmarks/ingest.py --slice-dir /tmp/slices-100000 --code /tmp/base
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import shutil
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402

from data.mpd import parse_slice, read_bytes, slice_files  # noqa: E402
from data.sample import SampleManifest, generate_sample  # noqa: E402

MPD_SLICES = 1000
MPD_ROWS = 66_346_428


def parse_floor(files: list[Path]) -> dict:
    """Per slice: the stdlib `json` decode of the file (the baseline the issue names),
    orjson's, and our typed reader (decode + columns)."""
    out = {}
    for name, decode in (("stdlib_json_decode_s_per_slice", json.loads),
                         ("json_decode_s_per_slice", orjson.loads),
                         ("reader_s_per_slice", None)):
        t0 = time.perf_counter()
        for f in files:
            parse_slice(f) if decode is None else decode(read_bytes(f))
        out[name] = (time.perf_counter() - t0) / len(files)
    return out


_WRITER = """
import json, sys, time
from pathlib import Path
from data.graph_counts import DeltaSum
from data.ingest import _count_ingested, ingest_slice
from data.mpd import parse_slice, slice_files
from data.store import Catalog
from data.track_writes import KnownTracks
files = list(slice_files([Path(sys.argv[1])]))
known, counts = KnownTracks(), DeltaSum()  # as a bulk ingest runs them
parse_s, write_s, parse_cpu, write_cpu = [], [], [], []
clock = lambda: (time.perf_counter(), time.process_time())  # noqa: E731
with Catalog.open(Path(sys.argv[2])) as catalog:
    with catalog.bulk_load():
        for f in files:
            w0, c0 = clock()
            parsed = parse_slice(f)
            w1, c1 = clock()
            ingest_slice(catalog, parsed, known, counts)
            w2, c2 = clock()
            parse_s.append(w1 - w0)
            write_s.append(w2 - w1)
            parse_cpu.append(c1 - c0)
            write_cpu.append(c2 - c1)
        w0, c0 = clock()
        _count_ingested(catalog, known, counts)
        w1, c1 = clock()
    w2, c2 = clock()
print(json.dumps({"parse_s": parse_s, "write_s": write_s, "parse_cpu_s": parse_cpu,
                  "write_cpu_s": write_cpu, "count_s": w1 - w0, "count_cpu_s": c1 - c0,
                  "index_s": w2 - w1, "index_cpu_s": c2 - c1}))
"""


def _child(cmd: list[str], code: Path, home: Path) -> tuple[str, float, float]:
    """Run `cmd` with the checkout `code` and a fresh `home`: (stdout, wall s, peak RSS MB).
    The peak is the child's own or its parser process's, whichever is larger (wait4)."""
    env = {**os.environ, "PLAYLISTGRAPH_HOME": str(home), "PYTHONPATH": str(code)}
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, cwd=code, env=env, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(cmd[:4])} failed: {stderr.strip()[-500:]}")
    return stdout, wall, usage.ru_maxrss / 1024


def run_ingest(slice_dir: Path, home: Path, code: Path = ROOT) -> dict:
    """`python -m data ingest` in a child process; wall time and its peak RSS."""
    stdout, wall, rss = _child([sys.executable, "-m", "data", "ingest", str(slice_dir),
                                "--no-progress"], code, home)
    return {"wall_s": wall, "peak_rss_mb": rss, "summary": stdout.strip().splitlines()[-1],
            "db_mb": sum(p.stat().st_size for p in home.glob("catalog.sqlite*")) / 2**20}


def writer_per_slice(slice_dir: Path, home: Path, code: Path = ROOT) -> dict:
    """Reader and writer seconds of every slice, apart, and the bulk load's end."""
    stdout, wall, rss = _child([sys.executable, "-c", _WRITER, str(slice_dir), str(home)],
                               code, home)
    out = json.loads(stdout.strip().splitlines()[-1])
    n = len(out["write_s"])
    tenth = max(1, n // 10)
    figures = {"slices": n, "wall_s": wall, "peak_rss_mb": rss}
    # CPU seconds beside wall seconds: on a shared machine the CPU time is the steadier
    # figure (the wall time also holds the waits for a core).
    for kind in ("", "_cpu"):
        write, parse = out[f"write{kind}_s"], out[f"parse{kind}_s"]
        figures.update({
            f"write{kind}_s_per_slice": sum(write) / n, f"parse{kind}_s_per_slice": sum(parse) / n,
            f"write{kind}_s_first_tenth": sum(write[:tenth]) / tenth,
            f"write{kind}_s_last_tenth": sum(write[-tenth:]) / tenth,
            f"count{kind}_s": out[f"count{kind}_s"], f"index{kind}_s": out[f"index{kind}_s"],
            f"write{kind}_s": [round(x, 4) for x in write],
            f"parse{kind}_s": [round(x, 4) for x in parse]})
    return figures


def profile_ingest(files: list[Path], home: Path) -> dict[str, float]:
    """Where a slice's time goes: the reader, then each store phase (from cProfile).

    The ingest overlaps the reader (in a thread) with storing, so here the two are
    timed apart, on slices already read.
    """
    from data.graph_counts import DeltaSum
    from data.ingest import ingest_slice
    from data.store import Catalog
    from data.track_writes import KnownTracks
    t0 = time.perf_counter()
    parsed = [parse_slice(f) for f in files]
    reader_s = time.perf_counter() - t0
    known, counts = KnownTracks(), DeltaSum()  # as a bulk ingest runs them
    with Catalog.open(home) as catalog:
        prof = cProfile.Profile()
        t0 = time.perf_counter()
        prof.enable()
        for p in parsed:
            ingest_slice(catalog, p, known, counts)
        prof.disable()
        store_s = time.perf_counter() - t0
    stats = pstats.Stats(prof)
    phases = {"upsert_track_rows": "store: tracks/artists/albums",
              "insert_playlists": "store: playlist rows",
              "add_playlist_track_rows": "store: playlist-track rows",
              "existing_playlists": "store: idempotency check",
              "delta_of_rows": "store: graph counts of the slice",
              "mark_uncounted": "store: graph counts of the slice"}
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
    ap.add_argument("--slices", type=int, default=100, help="slices for the full run")
    ap.add_argument("--slice-dir", type=Path, default=None,
                    help="ingest these generated slices (with their manifest.json) instead of "
                         "generating --slices of them")
    ap.add_argument("--small", type=int, default=4, help="slices for the small run (RSS check)")
    ap.add_argument("--slice-size", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--code", type=Path, action="append", default=[],
                    help="another checkout to run the ingest and the per-slice writer with "
                         "(repeatable); this checkout always runs")
    ap.add_argument("--skip-cli", action="store_true",
                    help="time only the per-slice writer, not `python -m data ingest`")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "ingest.json")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="pg-bench-ingest-") as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        full_dir = args.slice_dir or tmp / "full"
        if args.slice_dir is None:
            generate_sample(args.slices * args.slice_size, args.seed, full_dir,
                            slice_size=args.slice_size, features=False)
        manifest = SampleManifest(**json.loads((full_dir / "manifest.json").read_text()))
        gen_s = time.perf_counter() - t0
        small_dir = tmp / "small"
        small_dir.mkdir()
        files = list(slice_files([full_dir]))
        args.slices = len(files)
        for f in files[:args.small]:
            (small_dir / f.name).symlink_to(f)
        floor = parse_floor(files)
        load_before = os.getloadavg()
        small = run_ingest(small_dir, tmp / "home-small")
        codes = [("this", ROOT)] + [(str(c), c.resolve()) for c in args.code]
        by_code: dict[str, dict] = {}
        for i, (label, code) in enumerate(codes):  # one after another, same slices
            by_code[label] = {}
            if not args.skip_cli:
                by_code[label]["ingest"] = run_ingest(full_dir, tmp / f"home-full-{i}", code)
                shutil.rmtree(tmp / f"home-full-{i}")
        for i, (label, code) in enumerate(codes):
            by_code[label]["writer"] = writer_per_slice(full_dir, tmp / f"home-writer-{i}", code)
            shutil.rmtree(tmp / f"home-writer-{i}")
        full = by_code["this"].get("ingest") or {
            "wall_s": float("nan"), "peak_rss_mb": float("nan"), "summary": "", "db_mb": 0.0}
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
        "over_stdlib_json": per_slice / floor["stdlib_json_decode_s_per_slice"],
        "full_mpd_in_stdlib_json_decodes": full["wall_s"] / manifest.playlist_tracks * MPD_ROWS
        / (floor["stdlib_json_decode_s_per_slice"] * MPD_SLICES),
        "load_average_before": load_before, "load_average_after": os.getloadavg(),
        "by_code": by_code,
        "seconds_per_slice_by_phase (profiled, not overlapped)": phases,
        "full_mpd_extrapolated_min": mpd_minutes,
        "targets": {"full_mpd_min": 5, "peak_rss_mb": 1024},
    }
    table = [
        ("slices x playlists", f"{args.slices} x {args.slice_size} ({rows_per_slice:,.0f} rows/slice)"),
        ("stdlib json decode (baseline)", f"{floor['stdlib_json_decode_s_per_slice']*1000:8.1f} ms/slice"),
        ("orjson decode only (floor)", f"{floor['json_decode_s_per_slice']*1000:8.1f} ms/slice"),
        ("reader (decode + records)", f"{floor['reader_s_per_slice']*1000:8.1f} ms/slice"),
        ("ingest", f"{per_slice*1000:8.1f} ms/slice  "
                   f"{result['ingest']['playlists_per_s']:,.0f} playlists/s  "
                   f"{result['ingest']['rows_per_s']:,.0f} rows/s"),
        ("ingest / floor", f"{result['over_floor']:.1f}x"),
        ("ingest / stdlib json decode", f"{result['over_stdlib_json']:.1f}x"),
        (f"peak RSS ({args.small} / {args.slices} slices)",
         f"{small['peak_rss_mb']:.0f} MB / {full['peak_rss_mb']:.0f} MB"),
        ("full MPD (66.3M rows) extrapolated", f"{mpd_minutes:.1f} min (target < 5)"),
    ] + [(f"  {k}", f"{v*1000:8.1f} ms/slice") for k, v in phases.items()]
    for label, figures in by_code.items():
        w = figures["writer"]
        cli = figures.get("ingest")
        for kind, name in (("", "wall"), ("_cpu", "CPU")):
            table.append((
                f"[{label[-30:]}] writer / reader, {name}",
                f"{w[f'write{kind}_s_per_slice']*1000:8.1f} / "
                f"{w[f'parse{kind}_s_per_slice']*1000:.1f} ms/slice (writer first/last tenth "
                f"{w[f'write{kind}_s_first_tenth']*1000:.0f}/"
                f"{w[f'write{kind}_s_last_tenth']*1000:.0f} ms), end: counts "
                f"{w[f'count{kind}_s']:.1f} s, index {w[f'index{kind}_s']:.1f} s"))
        if cli:
            table.append((f"[{label[-30:]}] python -m data ingest",
                          f"{cli['wall_s']:.1f} s, peak RSS {cli['peak_rss_mb']:.0f} MB"))
    width = max(len(k) for k, _ in table)
    for k, v in table:
        print(f"{k:<{width}}  {v}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
