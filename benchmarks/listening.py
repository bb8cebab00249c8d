"""Listening import and page benchmark: `python -m data listening` on generated two-year
Spotify exports of 10K, 100K (and 1M) plays, and the Listening page's first render.

Per size, on a copy of one catalog (a generated MPD sample, --playlists), in fresh
processes:
  floor_s     the CPU seconds of the stdlib `json.loads` of every extended-history file of
              the export (the least any importer must spend on them);
  import_s    `python -m data listening export.zip` (zip read, decode, tracks, plays,
              library, playlists, short history matched by name), wall and CPU seconds,
              with its peak RSS;
  reimport_s  the same export again (adds nothing);
  first_s     the Listening page's first render (wall and CPU seconds) (AppTest, fresh process, the page
              opened directly, every cache cold: dashboard_render's snippet), rerun_s
              the same page again;
  seeds_s     the "My listening" seeds (ml.serving.listening_seeds) over the whole history;
  overview_s  the Overview page's first render on the same home, the same way: the
              baseline (app imports, sidebar) the Listening page's figure compares with.
Prints a table (with the growth per 10x) and writes benchmarks/results/listening.json.

    python benchmarks/listening.py --sizes 10000,100000
    python benchmarks/listening.py --sizes 10000,100000,1000000
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from dashboard_render import RENDER  # noqa: E402  (the one page-render snippet)

from data.home import catalog_path  # noqa: E402
from data.ingest import ingest  # noqa: E402
from data.sample import generate_sample  # noqa: E402
from data.store import Catalog  # noqa: E402
from testkit.spotify_export import (catalog_export_tracks, generate_history,  # noqa: E402
                                    write_export)

RESULTS = ROOT / "benchmarks" / "results" / "listening.json"
SEEDS = """
import sys, time
from data.store import Catalog
from ml.serving.listening_seeds import listening_seeds
with Catalog.open() as catalog:
    t0 = time.perf_counter()
    seeds = listening_seeds(catalog, sys.argv[1])
    print(f"seeds_s={time.perf_counter() - t0:.3f} seeds={len(seeds.seeds)}")
"""


# dashboard_render's snippet, also timing the first run's CPU seconds: on a shared machine
# (other jobs on every core) the wall time is mostly waiting, the CPU time is the work.
RENDER_CPU = RENDER.replace("t0 = time.perf_counter()\nat.run()\nfirst",
                            "c0 = time.process_time()\nt0 = time.perf_counter()\nat.run()\n"
                            "print(f'first_cpu_s={time.process_time() - c0:.3f}')\nfirst", 1)
assert RENDER_CPU != RENDER


def render(home: Path, page: str, env: dict[str, str]) -> dict:
    """First render of `page` in a fresh process: first_s, first_cpu_s, rerun_s."""
    _, _, text, _ = timed([sys.executable, "-c", RENDER_CPU, page,
                        str(ROOT / "dashboard" / "app.py")], env)
    marks = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    return {k: float(marks[k]) for k in ("first_s", "first_cpu_s", "rerun_s")}


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str, float]:
    """(wall seconds, peak RSS MB, stdout, CPU seconds) of a child process."""
    with tempfile.TemporaryFile("w+") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        out.seek(0)
        text = out.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{text[-2000:]}")
    return wall, usage.ru_maxrss / 1024, text, usage.ru_utime + usage.ru_stime


def json_floor(export: Path) -> float:
    with zipfile.ZipFile(export) as archive:
        names = [n for n in archive.namelist() if "Streaming_History_Audio_" in n]
        blobs = [archive.read(n) for n in names]
    t0 = time.process_time()
    for blob in blobs:
        json.loads(blob)
    return time.process_time() - t0


def run_size(plays: int, template: Path, work: Path, tracks) -> dict:
    home = work / f"home-{plays}"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    shutil.copy(template, catalog_path(home))
    t0 = time.perf_counter()
    history = generate_history(tracks, plays=plays, start=datetime(2024, 1, 1), days=730,
                               new_tracks=max(200, plays // 50))
    export = work / f"export-{plays}.zip"
    manifest = write_export(history, export, as_zip=True, file_rows=15_000)
    del history
    generate_s = time.perf_counter() - t0
    env = {**os.environ, "PLAYLISTGRAPH_HOME": str(home), "PLAYLISTGRAPH_AUTOTRAIN": "0",
           "PYTHONPATH": str(ROOT)}
    floor = json_floor(export)
    import_s, rss, out, import_cpu = timed([sys.executable, "-m", "data", "listening", str(export)], env)
    reimport_s, _, again, _ = timed([sys.executable, "-m", "data", "listening", str(export)], env)
    assert f"{manifest.plays:,} plays added" in out, out
    assert "0 plays added" in again, again
    page = render(home, "listening", env)
    overview = render(home, "overview", env)
    _, _, seeds, _ = timed([sys.executable, "-c", SEEDS, "listener-test"], env)
    return {
        "plays_rows": plays, "plays_stored": manifest.plays,
        "extended_files": sum("Streaming_History_Audio_" in f for f in manifest.files),
        "export_mb": round(export.stat().st_size / 2**20, 1),
        "generate_s": round(generate_s, 2), "json_floor_s": round(floor, 3),
        "import_s": round(import_s, 2), "import_cpu_s": round(import_cpu, 2),
        "import_rss_mb": round(rss),
        "reimport_s": round(reimport_s, 2),
        "page_first_s": page["first_s"], "page_first_cpu_s": page["first_cpu_s"],
        "page_rerun_s": page["rerun_s"], "overview_first_s": overview["first_s"],
        "overview_first_cpu_s": overview["first_cpu_s"],
        "seeds_s": float(seeds.split("seeds_s=")[1].split()[0]),
        "import_summary": out.strip().splitlines(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000", help="extended-history rows per export")
    ap.add_argument("--playlists", type=int, default=5000,
                    help="MPD-format sample playlists in the catalog the export merges into")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "listening-bench")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    args.work.mkdir(parents=True, exist_ok=True)
    template = args.work / f"catalog-{args.playlists}.sqlite"
    if not template.exists():
        generate_sample(args.playlists, 7, args.work / "mpd", features=False)
        with Catalog(template) as catalog:
            ingest(catalog, [args.work / "mpd"], progress=False)
    with Catalog(template) as catalog:
        tracks = catalog_export_tracks(catalog.tracks())
        catalog_tracks = catalog.count("tracks")
    load_before = os.getloadavg()
    rows = []
    print(f"{'plays':>9} {'stored':>9} {'MB zip':>7} {'json s':>7} {'import s':>9} {'cpu s':>6} "
          f"{'RSS MB':>7} {'again s':>8} {'page 1st s':>10} {'rerun s':>8} {'seeds s':>8}")
    for size in sizes:
        row = run_size(size, template, args.work, tracks)
        rows.append(row)
        print(f"{row['plays_rows']:>9,} {row['plays_stored']:>9,} {row['export_mb']:>7.1f} "
              f"{row['json_floor_s']:>7.2f} {row['import_s']:>9.2f} {row['import_cpu_s']:>6.2f} "
              f"{row['import_rss_mb']:>7} "
              f"{row['reimport_s']:>8.2f} {row['page_first_s']:>10.2f} "
              f"{row['page_first_cpu_s']:>6.2f} {row['page_rerun_s']:>8.2f} "
              f"{row['seeds_s']:>8.3f} {row['overview_first_s']:>14.2f} "
              f"{row['overview_first_cpu_s']:>6.2f}", flush=True)
    growth = [{"from": a["plays_rows"], "to": b["plays_rows"],
               "import_cpu_x": round(b["import_cpu_s"] / a["import_cpu_s"], 2),
               "page_first_cpu_x": round(b["page_first_cpu_s"] / a["page_first_cpu_s"], 2)}
              for a, b in zip(rows, rows[1:])]
    for g in growth:
        print(f"{g['from']:,} -> {g['to']:,} plays: import CPU x{g['import_cpu_x']}, "
              f"page first render CPU x{g['page_first_cpu_x']}")
    result = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                         f"Python {platform.python_version()}",
              "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "catalog": {"sample_playlists": args.playlists, "tracks": catalog_tracks},
              "load_average_before": [round(x, 2) for x in load_before],
              "load_average_after": [round(x, 2) for x in os.getloadavg()],
              "sizes": rows, "growth": growth}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(args.out)


if __name__ == "__main__":
    main()
