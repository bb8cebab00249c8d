"""Browser render time of the playlist–artist graph: Altair against st-link-analysis.

Serves `benchmarks/graph_render_app.py` with Streamlit and opens it in headless Chromium
(Playwright, /usr/bin/chromium) for a crawl-shaped graph of 500 and 5,000 nodes. A visit
is timed from the navigation to the graph drawn (every node's SVG symbol in the DOM, or
Cytoscape's canvas in the component's iframe, plus two animation frames); `none` is the same page without a
graph, so graph cost = time − none. One cold visit per case fills the server's cache,
then --repeats warm visits; the table shows medians. Writes
benchmarks/results/graph_render.json.

st-link-analysis is not a dependency of the product; to include it, install it beside:
    pip install --no-deps --target /tmp/graph-bench st-link-analysis==0.4.0
    GRAPH_BENCH_PATH=/tmp/graph-bench python benchmarks/graph_render.py
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu"]
INK = """(c => { if (!c.width || !c.height) return false;
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < data.length; i += 4 * 16) if (data[i]) return true;
    return false; })"""
INK_JS = f"() => [...document.querySelectorAll('canvas')].some({INK})"
DRAWN_JS = {
    # Vega draws small charts as SVG (drawn once every node's symbol is in the DOM) and
    # large ones on a canvas (drawn once it has ink: Vega paints a canvas in one pass).
    "altair": """n => document.querySelectorAll(
                     '[data-testid="stVegaLiteChart"] .mark-symbol path').length >= n
                  || [...document.querySelectorAll('[data-testid="stVegaLiteChart"] canvas')]
                     .some(""" + INK + """)""",
    "none": """_ => [...document.querySelectorAll('[data-testid="stMarkdown"]')]
                       .some(e => e.innerText.includes('nodes,'))""",
}
FRAMES_JS = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _drawn(page, lib: str, n: int, timeout_s: float = 120) -> None:
    if lib in DRAWN_JS:
        page.wait_for_function(DRAWN_JS[lib], arg=n, timeout=timeout_s * 1000, polling="raf")
        page.evaluate(FRAMES_JS)
        return
    # The component draws inside its own iframe: wait for ink on one of its canvases.
    handle = page.wait_for_selector('iframe[title*="st_link_analysis"]', timeout=timeout_s * 1000)
    frame = handle.content_frame()
    frame.wait_for_function(INK_JS, timeout=timeout_s * 1000, polling=50)
    frame.evaluate(FRAMES_JS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500,5000")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    extra = os.environ.get("GRAPH_BENCH_PATH")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [extra, str(ROOT)]))}
    libs = ["none", "altair"]
    probe = subprocess.run([sys.executable, "-c", "import st_link_analysis"], env=env,
                           capture_output=True)
    if probe.returncode == 0:
        libs.append("link")
    else:
        print("st-link-analysis not importable: measuring Altair only (see --help)")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "benchmarks" / "graph_render_app.py"),
         "--server.port", str(port), "--server.headless", "true",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        start_new_session=True)
    results = []
    try:
        time.sleep(3)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            for n in [int(x) for x in args.sizes.split(",")]:
                for lib in libs:
                    url = f"http://127.0.0.1:{port}/?lib={lib}&n={n}"
                    times = []
                    for visit in range(args.repeats + 1):
                        started = time.perf_counter()
                        page.goto(url)
                        _drawn(page, lib, n)
                        if visit:  # the first visit fills the cache (layout, frames)
                            times.append(time.perf_counter() - started)
                    print(f"  {n} nodes, {lib}: {[round(t, 2) for t in times]}", flush=True)
                    results.append({"nodes": n, "lib": lib, "median_s": statistics.median(times),
                                    "min_s": min(times), "max_s": max(times),
                                    "runs_s": [round(t, 3) for t in times]})
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    base = {r["nodes"]: r["median_s"] for r in results if r["lib"] == "none"}
    print(f"{'nodes':>6}  {'library':<16} {'median s':>9} {'graph s':>8} {'min':>6} {'max':>6}")
    for r in results:
        r["graph_s"] = r["median_s"] - base[r["nodes"]]
        print(f"{r['nodes']:>6}  {r['lib']:<16} {r['median_s']:>9.3f} {r['graph_s']:>8.3f} "
              f"{r['min_s']:>6.3f} {r['max_s']:>6.3f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "graph_render.json").write_text(json.dumps({
        "what": "warm page visit until the graph is drawn, headless Chromium, median of "
                f"{args.repeats}; graph_s = median − the same page without a graph",
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs (shared with other work)",
        "libraries": {"altair": "altair " + __import__("altair").__version__ + " (Vega-Lite in Streamlit)",
                      "link": "st-link-analysis 0.4.0 (Cytoscape.js, preset positions)"},
        "results": results}, indent=2))
    print(f"wrote {RESULTS / 'graph_render.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
