"""Soak: many dashboard sessions read every page while an ingest, a crawl and a training
run write the same home; then the catalog must hold what the same writes give alone.

  1. Two homes start alike: the bundled sample loaded in each, as the dashboard's first
     start loads it (so no session starts a sample load of its own in one home only).
  2. Home A: --sessions dashboard sessions (Streamlit's AppTest client, one process each,
     as one browser tab each: its own session state, its own caches) cycle through every
     page for --duration-s seconds and until the writers are done, while three writers
     run at once in the same home:
     `python -m data ingest` of --slices generated MPD slices, `python -m crawler`
     against the local fake Spotify API (testkit.fake_spotify), and `python -m ml train`
     (a small config, CPU).
  3. Home B: the same three writes, with no reader.
  4. Per page: p50 / p95 render time; every exception a session saw, with its message;
     each writer's exit code and any "database is locked"; and whether the two catalogs'
     counts (rows per table and source, graph counters, degree histograms) are equal.
Prints a table and writes benchmarks/results/soak.json.

    python benchmarks/soak.py --sessions 8 --duration-s 180
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from data.bundled import load_bundled_sample  # noqa: E402
from data.sample import generate_sample  # noqa: E402
from data.stats import graph_stats  # noqa: E402
from data.store import Catalog  # noqa: E402
from testkit.fake_spotify import FakeSpotify  # noqa: E402

APP = ROOT / "dashboard" / "app.py"
PAGES = ("overview", "degrees", "training", "recommendations", "embedding", "crawl")


@dataclass
class SoakConfig:
    sessions: int = 8
    duration_s: float = 180.0
    slices: int = 30  # MPD slices the ingest writes
    slice_playlists: int = 100
    crawl_playlists: int = 60  # --max-playlists of the crawl (fake catalog of 300)
    train_epochs: int = 3
    page_timeout_s: float = 120.0


# ---- readers ----------------------------------------------------------------------------

def _session(home: str, index: int, until: float, stop: str, timeout_s: float,
             out: str) -> None:
    """One dashboard session: every page in turn until `until` has passed and the file
    `stop` exists (the writers are done); rows to the JSON `out`."""
    os.environ.update(PLAYLISTGRAPH_HOME=home, PLAYLISTGRAPH_AUTOTRAIN="0")
    from streamlit.testing.v1 import AppTest
    rows, at = [], None

    def done() -> bool:
        return time.time() >= until and Path(stop).exists()

    while not done():
        for page in PAGES:
            if done():
                break
            started = time.perf_counter()
            errors: list[str] = []
            cold = at is None
            try:
                if at is None:  # the first run opens the app on its default page
                    at = AppTest.from_file(str(APP), default_timeout=timeout_s).run()
                at.switch_page(f"views/{page}.py").run()
                errors = [str(e.value).splitlines()[0] if e.value else str(e.message)
                          for e in at.exception]
            except Exception as exc:  # noqa: BLE001 - a session's failure is a finding
                errors = [f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"]
                at = None  # a new session, as a reloaded tab
            rows.append({"session": index, "page": page, "cold": cold, "errors": errors,
                         "seconds": time.perf_counter() - started})
    Path(out).write_text(json.dumps(rows))


# ---- writers ----------------------------------------------------------------------------

def _writers(home: Path, slices_dir: Path, fake: FakeSpotify, seed: str,
             config: SoakConfig) -> list[tuple[str, subprocess.Popen, Path]]:
    env = {**os.environ, **fake.env(), "PLAYLISTGRAPH_HOME": str(home), "OMP_NUM_THREADS": "1"}
    commands = {
        "ingest": ["data", "ingest", "--no-progress", str(slices_dir)],
        "crawl": ["crawler", *fake.crawler_args(), "--seed-playlist", seed, "--no-progress",
                  "--max-playlists", str(config.crawl_playlists), "--audio-features", "none"],
        "train": ["ml", "train", "--no-progress", "--epochs", str(config.train_epochs),
                  "--dim", "16", "--threads", "1", "--rerank", "no", "--patience", "0",
                  "--baselines", "popularity,itemknn", "--device", "cpu"],
    }
    out = []
    for name, args in commands.items():
        log = home / f"soak-{name}.log"
        with open(log, "w") as fh:
            proc = subprocess.Popen([sys.executable, "-m", *args], cwd=ROOT, env=env,
                                    stdout=fh, stderr=subprocess.STDOUT)
        out.append((name, proc, log))
    return out


def _finish(writers: list[tuple[str, subprocess.Popen, Path]], started: float) -> dict:
    result = {}
    for name, proc, log in writers:
        rc = proc.wait()
        text = log.read_text(errors="replace")
        result[name] = {"returncode": rc, "ended_after_s": round(time.perf_counter() - started, 1),
                        "database_locked": text.count("database is locked"),
                        "tail": text.strip().splitlines()[-1:] if text.strip() else []}
    return result


def catalog_counts(home: Path) -> dict:
    """What must not depend on readers: rows per table and source, counters, histograms."""
    with Catalog.open(home) as catalog:
        stats = graph_stats(catalog)
        counts = {t: catalog.count(t) for t in ("tracks", "artists", "albums", "playlist_tracks",
                                                 "track_artists", "audio_features",
                                                 "ingested_slices")}
        counts["crawl_playlists"] = dict(catalog.query(
            "SELECT status, count(*) FROM crawl_playlists GROUP BY status").fetchall())
    stats_dict = stats.to_dict()
    stats_dict.pop("store_version")
    return {"tables": counts, "stats": stats_dict}


def _prepare(home: Path) -> None:
    """The bundled sample, loaded and recorded as the app's first start does: a session's
    start then finds nothing to load (a home whose sample is not the bundled one would get
    the bundled one loaded by the first session, in the readers' home alone)."""
    with Catalog.open(home) as catalog:
        load_bundled_sample(catalog, progress=False)


# ---- the run ----------------------------------------------------------------------------

def soak(config: SoakConfig, tmp: Path) -> dict:
    slices_dir, fake_dir = tmp / "slices", tmp / "fake"
    generate_sample(config.slices * config.slice_playlists, 11, slices_dir,
                    slice_size=config.slice_playlists, features=False)
    generate_sample(300, 3, fake_dir, features=False)
    homes = {"readers": tmp / "home-readers", "alone": tmp / "home-alone"}
    for home in homes.values():
        _prepare(home)
    with FakeSpotify(fake_dir) as fake:
        seed = fake.catalog.seed_playlist().id
        started = time.perf_counter()
        until = time.time() + config.duration_s
        ctx = multiprocessing.get_context("spawn")
        stop = tmp / "writers-done"
        sessions = [ctx.Process(target=_session, args=(str(homes["readers"]), i, until,
                                                       str(stop), config.page_timeout_s,
                                                       str(tmp / f"session-{i}.json")))
                    for i in range(config.sessions)]
        for p in sessions:
            p.start()
        time.sleep(5)  # the sessions are up and reading before the first write
        writers = {"readers": _finish(_writers(homes["readers"], slices_dir, fake, seed, config),
                                      started)}
        stop.touch()  # the sessions read until every write is done (and duration_s passed)
        for p in sessions:
            p.join()
        readers_wall = time.perf_counter() - started
        started = time.perf_counter()
        writers["alone"] = _finish(_writers(homes["alone"], slices_dir, fake, seed, config),
                                   started)
    rows, lost = [], []
    for i in range(config.sessions):
        path = tmp / f"session-{i}.json"
        if path.exists():
            rows.extend(json.loads(path.read_text()))
        else:
            lost.append(i)
    counts = {name: catalog_counts(home) for name, home in homes.items()}
    return _report(config, rows, lost, writers, counts, readers_wall)


def _report(config: SoakConfig, rows: list[dict], lost: list[int], writers: dict,
            counts: dict, readers_wall: float) -> dict:
    pages = {}
    cold = [r["seconds"] for r in rows if r["cold"]]
    for page in PAGES:
        # A session's first render starts the app in its process (imports, first reads):
        # reported apart, as "cold".
        times = sorted(r["seconds"] for r in rows if r["page"] == page and not r["cold"])
        if times:
            pages[page] = {"renders": len(times), "p50_s": round(statistics.median(times), 3),
                           "p95_s": round(times[min(len(times) - 1, int(0.95 * len(times)))], 3),
                           "max_s": round(times[-1], 3)}
    exceptions = [{"session": r["session"], "page": r["page"], "message": m}
                  for r in rows for m in r["errors"]]
    exceptions += [{"session": i, "page": None, "message": "session process died"} for i in lost]
    # A writer that failed is a finding too (e.g. a run whose snapshot was pruned under it).
    exceptions += [{"session": None, "page": f"writer {name} ({home})",
                    "message": " ".join(w["tail"]) or f"exit code {w['returncode']}"}
                   for home, ws in writers.items() for name, w in ws.items() if w["returncode"]]
    equal = counts["readers"] == counts["alone"]
    return {
        "machine": f"{platform.machine()} {os.cpu_count()} cores, {platform.python_version()}",
        "config": asdict(config), "readers_wall_s": round(readers_wall, 1),
        "pages": pages, "cold_start_s": {"renders": len(cold), "p50_s": round(
            statistics.median(cold), 3) if cold else None, "max_s": round(max(cold), 3)
            if cold else None},
        "exceptions": exceptions, "writers": writers,
        "counts_equal": equal, "counts": counts if not equal else counts["alone"],
    }


def print_table(result: dict) -> None:
    c = result["config"]
    print(f"soak: {c['sessions']} sessions x {c['duration_s']:.0f} s over {len(PAGES)} pages; "
          f"writers: ingest {c['slices']} slices x {c['slice_playlists']}, crawl "
          f"{c['crawl_playlists']} playlists (fake API), train {c['train_epochs']} epochs")
    print(f"{'page':<16}{'renders':>8}{'p50 s':>9}{'p95 s':>9}{'max s':>9}")
    for page, p in result["pages"].items():
        print(f"{page:<16}{p['renders']:>8}{p['p50_s']:>9.2f}{p['p95_s']:>9.2f}{p['max_s']:>9.2f}")
    cold = result["cold_start_s"]
    print(f"{'(cold start)':<16}{cold['renders']:>8}{cold['p50_s'] or 0:>9.2f}{'':>9}"
          f"{cold['max_s'] or 0:>9.2f}")
    print(f"exceptions: {len(result['exceptions'])}")
    for e in result["exceptions"][:20]:
        print(f"  session {e['session']} {e['page']}: {e['message']}")
    for home, ws in result["writers"].items():
        print(f"writers ({home}): " + ", ".join(
            f"{n} rc {w['returncode']} in {w['ended_after_s']} s, {w['database_locked']} locked"
            for n, w in ws.items()))
    print(f"catalog counts equal to the same writes without readers: {result['counts_equal']}")


def main() -> None:
    defaults = SoakConfig()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    for name, value in asdict(defaults).items():
        ap.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "soak.json")
    args = ap.parse_args()
    config = SoakConfig(**{k: getattr(args, k) for k in asdict(defaults)})
    with tempfile.TemporaryDirectory(prefix="pg-soak-") as tmp:
        try:
            result = soak(config, Path(tmp))
        except Exception:
            traceback.print_exc()
            raise SystemExit(1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print_table(result)


if __name__ == "__main__":
    main()
