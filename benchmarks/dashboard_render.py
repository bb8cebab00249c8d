"""Dashboard first render per page, in a fresh process each, as a user's first visit.

For each home and page, a child process starts streamlit's AppTest on dashboard/app.py,
opens the page directly (no other page drawn first) and times:
  first_s   the first run: the app's imports (everything past streamlit itself, which a
            `streamlit run` server has loaded before any browser connects), the sidebar,
            the page's reads and charts, first load of every cache included;
  rerun_s   the same page again (its data cached: the app's own cost);
  wall_s    the whole child, interpreter start and `import streamlit` included;
  rss_mb    the child's peak RSS.
`--code` points at another checkout (e.g. the commit before a change, as a git worktree)
so a before/after pair runs in the same conditions, alternating per page.

A home is only read, except the caches a page fills (cache/snapshot-v*.npz, which
--cold-snapshot removes before each render); pass copies.

    python benchmarks/dashboard_render.py --homes /tmp/h10k,/tmp/h100k --code /tmp/base
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "dashboard_render.json"
PAGES = ("overview", "degrees", "training", "recommendations", "crawl")

RENDER = """
import sys, time
from streamlit.testing.v1 import AppTest
page, app = sys.argv[1], sys.argv[2]
at = AppTest.from_file(app, default_timeout=900)
if page != "overview":
    at.switch_page(f"views/{page}.py")
t0 = time.perf_counter()
at.run()
first = time.perf_counter() - t0
errors = [str(e.value) for e in at.exception]
titles = [str(t.value) for t in at.title]
t0 = time.perf_counter()
at.run()
print(f"first_s={first:.3f}")
print(f"rerun_s={time.perf_counter() - t0:.3f}")
print(f"title={titles[0] if titles else ''}")
sys.exit("page raised: " + "; ".join(errors)[:300] if errors else 0)
"""


def render(code: Path, home: Path, page: str, timeout: float) -> dict:
    """One page's first render in a fresh process running the checkout `code`."""
    env = {**os.environ, "PLAYLISTGRAPH_HOME": str(home), "PLAYLISTGRAPH_AUTOTRAIN": "0",
           "PYTHONPATH": str(code)}
    with tempfile.TemporaryFile("w+") as log:
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", RENDER, page,
                                 str(code / "dashboard" / "app.py")],
                                cwd=code, env=env, stdout=log, stderr=subprocess.STDOUT)
        timer = threading.Timer(timeout, proc.kill)  # a stuck page must not stop the run
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
        log.seek(0)
        text = log.read()
    marks = dict(line.split("=", 1) for line in text.splitlines()
                 if line.split("=", 1)[0] in ("first_s", "rerun_s", "title"))
    out = {"wall_s": round(wall, 3), "rss_mb": round(usage.ru_maxrss / 1024, 1)}
    if os.waitstatus_to_exitcode(status) != 0 or "first_s" not in marks:
        out["failed"] = text.strip().splitlines()[-1][:300] if text.strip() else "no output"
        return out
    out.update(first_s=float(marks["first_s"]), rerun_s=float(marks["rerun_s"]),
               title=marks.get("title", ""))
    return out


def summary_row(home: Path, page: str, label: str, runs: list[dict]) -> dict:
    ok = [r for r in runs if "first_s" in r]
    row = {"home": str(home), "page": page, "code": label, "runs": runs}
    if ok:
        for key in ("first_s", "rerun_s", "wall_s", "rss_mb"):
            row[key] = round(statistics.median(r[key] for r in ok), 3)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--homes", required=True, help="comma-separated home directories (copies)")
    ap.add_argument("--pages", default=",".join(PAGES), help="comma-separated pages")
    ap.add_argument("--code", type=Path, action="append", default=[],
                    help="a checkout to measure beside this one (repeatable); "
                         "this checkout is always measured")
    ap.add_argument("--repeat", type=int, default=1, help="runs per page and checkout (median)")
    ap.add_argument("--cold-snapshot", action="store_true",
                    help="remove each home's cached graph snapshots before every render")
    ap.add_argument("--timeout", type=float, default=900.0)
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    codes = [("this", ROOT)] + [(f"other:{c}", c.resolve()) for c in args.code]
    homes = [Path(h) for h in args.homes.split(",") if h]
    pages = [p.strip() for p in args.pages.split(",") if p.strip()]
    load_before = os.getloadavg()
    rows = []
    print(f"{'home':<28} {'page':<16} {'code':<24} {'first s':>8} {'rerun s':>8} "
          f"{'wall s':>8} {'RSS MB':>8}")
    for home in homes:
        for page in pages:
            runs: dict[str, list[dict]] = {label: [] for label, _ in codes}
            for _ in range(args.repeat):  # alternate checkouts, so load hits both alike
                for label, code in codes:
                    if args.cold_snapshot:
                        for cached in (home / "cache").glob("snapshot-v*.npz"):
                            cached.unlink()
                    runs[label].append(render(code, home, page, args.timeout))
            for label, _ in codes:
                row = summary_row(home, page, label, runs[label])
                rows.append(row)
                if "first_s" in row:
                    print(f"{home.name:<28} {page:<16} {label[-24:]:<24} {row['first_s']:>8.2f} "
                          f"{row['rerun_s']:>8.2f} {row['wall_s']:>8.2f} {row['rss_mb']:>8.0f}",
                          flush=True)
                else:
                    print(f"{home.name:<28} {page:<16} {label[-24:]:<24} failed: "
                          f"{runs[label][-1].get('failed')}", flush=True)
    result = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                         f"Python {platform.python_version()}",
              "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "load_average_before": [round(x, 2) for x in load_before],
              "load_average_after": [round(x, 2) for x in os.getloadavg()],
              "repeat": args.repeat, "cold_snapshot": args.cold_snapshot, "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"load {result['load_average_before']} -> {result['load_average_after']}; "
          f"wrote {args.out}")


if __name__ == "__main__":
    main()
