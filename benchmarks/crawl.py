"""Crawler benchmark against the local fake Spotify API: requests per playlist and throughput.

  1. Requests per crawled playlist next to the minimum possible: the items pages of every
     visited playlist plus the search pages a BFS must read to discover them (artists in
     discovery order, until the playlists found cover --playlists). No rate limit.
  2. Playlists per minute under a server-side rate limit of N requests per rolling window,
     for our crawler (paced, Retry-After aware) and a naive one that lets spotipy retry on
     its own (urllib3's retry adapter, no pacing): requests, 429 answers, longest 429 run,
     and rows lost or duplicated against the unthrottled crawl.
Prints a table and writes benchmarks/results/crawl.json.

    python benchmarks/crawl.py --playlists 150 --rate 60 --window 30
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import tempfile
import time
from collections import deque
from contextlib import redirect_stderr, redirect_stdout
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import spotipy  # noqa: E402
from spotipy.cache_handler import MemoryCacheHandler  # noqa: E402
from spotipy.exceptions import SpotifyException  # noqa: E402
from spotipy.oauth2 import SpotifyClientCredentials  # noqa: E402

from crawler import cli  # noqa: E402
from crawler.audio_features import FeatureFetcher  # noqa: E402
from crawler.bfs import Crawler  # noqa: E402
from crawler.client import ApiError, ClientStats  # noqa: E402
from crawler.config import CrawlConfig, FeatureSources  # noqa: E402
from crawler.progress import ProgressLine  # noqa: E402
from data import crawl_reads, crawl_state  # noqa: E402
from data.crawl_state import DiscoveredPlaylist  # noqa: E402
from data.sample import generate_sample  # noqa: E402
from data.store import Catalog  # noqa: E402
from testkit.catalog_contents import natural_contents  # noqa: E402
from testkit.fake_spotify import FakeCatalog, FakeSpotify  # noqa: E402
from testkit.fake_spotify.web_api import ITEMS_LIMIT, SEARCH_LIMIT  # noqa: E402


def minimum_requests(cat: FakeCatalog, seed: str, playlists: int, max_depth: int,
                     search_pages: int) -> dict:
    """Items pages of the playlists a BFS visits + the search pages needed to find them."""
    queue, met, artists_met, queries = deque([(seed, 0)]), {seed}, set(), set()
    visited, items_pages, search_pages_needed = 0, 0, 0
    searches: deque = deque()  # (artist name, depth) waiting to be searched, in order
    while visited < playlists and (queue or searches):
        # Search only while the playlists found do not cover the limit yet.
        while searches and len(met) < playlists:
            name, depth = searches.popleft()
            if name.strip().lower() in queries:
                continue
            queries.add(name.strip().lower())
            ranked = [p for p in cat.search(name, False)]
            search_pages_needed += max(1, min(search_pages, math.ceil(len(ranked) / SEARCH_LIMIT)))
            for found in ranked[:search_pages * SEARCH_LIMIT]:
                if found not in met:
                    met.add(found)
                    queue.append((found, depth + 1))
        if not queue:
            break
        playlist_id, depth = queue.popleft()
        visited += 1
        p = cat.by_id[playlist_id]
        if p.access != "public":
            items_pages += 1
            continue
        items_pages += max(1, math.ceil(len(p.tracks) / ITEMS_LIMIT))
        for t in p.tracks:
            for a in t.artists:
                if a.uri not in artists_met:
                    artists_met.add(a.uri)
                    if depth < max_depth:
                        searches.append((a.name, depth))
    return {"visited": visited, "items_pages": items_pages, "search_pages": search_pages_needed,
            "total": items_pages + search_pages_needed}


def run_ours(fake: FakeSpotify, home: Path, seed: str, args: argparse.Namespace,
             paced: bool) -> dict:
    """`python -m crawler` (in this process, its real command-line path)."""
    os.environ.update(fake.env())
    os.environ["PLAYLISTGRAPH_HOME"] = str(home)
    pace = [str(args.rate), str(args.window)] if paced else ["100000", "30"]
    argv = [*fake.crawler_args(), "--seed-playlist", seed, "--max-playlists",
            str(args.playlists), "--max-depth", str(args.depth), "--search-pages",
            str(args.search_pages), "--requests-per-window", pace[0], "--window-s", pace[1],
            "--max-wait-s", str(args.window * 2), "--max-requests", "100000", "--no-progress"]
    fake.reset_log()
    started = time.perf_counter()
    with redirect_stdout(StringIO()), redirect_stderr(StringIO()) as err:
        rc = cli.main(argv)
    wall = time.perf_counter() - started
    if rc != 0:
        sys.exit(f"crawler failed ({rc}): {err.getvalue()[-500:]}")
    return _outcome(fake, home, wall)


class NaiveClient:
    """spotipy as a naive crawler uses it: default session (urllib3 retries 429 and 5xx,
    sleeping Retry-After silently), no pacing; whatever still fails is an error."""

    def __init__(self, fake: FakeSpotify):
        auth = SpotifyClientCredentials(fake.client_id, fake.client_secret,
                                        cache_handler=MemoryCacheHandler())
        auth.OAUTH_TOKEN_URL = fake.token_url
        self._sp = spotipy.Spotify(auth_manager=auth)
        self._sp.prefix = fake.base_url
        self.stats = ClientStats()
        self.request_budget = None

    def _call(self, request):
        try:
            return request()
        except SpotifyException as exc:
            raise ApiError(exc.http_status or 0, str(exc.msg)) from None

    def playlist(self, playlist_id):
        return self._call(lambda: self._sp.playlist(playlist_id))

    def playlist_items(self, playlist_id, offset, limit):
        return self._call(lambda: self._sp.playlist_items(playlist_id, limit=limit, offset=offset))

    def search_playlists(self, query, offset, limit):
        return self._call(lambda: self._sp.search(q=query, limit=limit, offset=offset,
                                                  type="playlist"))


def run_naive(fake: FakeSpotify, home: Path, seed: str, args: argparse.Namespace) -> dict:
    """The same BFS (our Crawler) over the naive client."""
    config = CrawlConfig(max_playlists=args.playlists, max_depth=args.depth,
                         search_pages=args.search_pages, max_requests=100000,
                         audio_features="none")
    fake.reset_log()
    started = time.perf_counter()
    with Catalog.open(home) as catalog:
        with catalog.write():
            crawl_id = crawl_state.create_crawl(catalog, [DiscoveredPlaylist(seed)],
                                                config.to_dict(), os.getpid())
        client = NaiveClient(fake)
        progress = ProgressLine(StringIO(), enabled=False)
        features = FeatureFetcher(client, FeatureSources(False, None), progress.message)
        Crawler(catalog, client, config, crawl_id, features=features, progress=progress,
                notify=progress.message).run()
    return _outcome(fake, home, time.perf_counter() - started)


def _outcome(fake: FakeSpotify, home: Path, wall: float) -> dict:
    statuses = [r.status for r in fake.api_requests()]
    longest = run = 0
    for s in statuses:
        run = run + 1 if s == 429 else 0
        longest = max(longest, run)
    with Catalog.open(home) as catalog:
        progress = crawl_reads.crawl_progress(catalog)
        contents = natural_contents(catalog)
    graph = {k: v for k, v in contents.items() if k not in ("meta", "crawls", "crawl_pages")}
    return {"wall_s": wall, "requests": len(statuses), "http_429": statuses.count(429),
            "longest_429_run": longest, "visited": progress["visited"],
            "crawled": progress["crawled"], "unreachable": progress["unreachable"],
            "playlists_per_min": progress["visited"] / wall * 60, "_graph": graph}


def rows_vs(reference: dict, graph: dict) -> dict:
    """Rows missing from / extra in a crawl's catalog against the reference crawl."""
    lost = extra = 0
    for table, rows in reference.items():
        ref, got = set(rows), set(graph.get(table, []))
        lost += len(ref - got)
        extra += len(got - ref) + (len(graph.get(table, [])) - len(got))  # duplicates too
    return {"rows_lost": lost, "rows_extra_or_duplicated": extra}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--sample", type=int, default=1500, help="playlists in the fake catalog")
    ap.add_argument("--playlists", type=int, default=150, help="--max-playlists of each crawl")
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--search-pages", type=int, default=2)
    ap.add_argument("--rate", type=int, default=60, help="server limit: N requests per window")
    ap.add_argument("--window", type=float, default=30.0, help="rate-limit window in seconds")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "crawl.json")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="pg-bench-crawl-") as tmp:
        tmp = Path(tmp)
        generate_sample(args.sample, args.seed, tmp / "sample", features=False)
        with FakeSpotify(tmp / "sample") as fake:
            seed = fake.catalog.seed_playlist().id
            floor = minimum_requests(fake.catalog, seed, args.playlists, args.depth,
                                     args.search_pages)
            free = run_ours(fake, tmp / "free", seed, args, paced=False)
            fake.rate_limit(args.rate, args.window)
            ours = run_ours(fake, tmp / "ours", seed, args, paced=True)
            naive = run_naive(fake, tmp / "naive", seed, args)
    reference = free.pop("_graph")
    ours.update(rows_vs(reference, ours.pop("_graph")))
    naive.update(rows_vs(reference, naive.pop("_graph")))
    per_playlist = free["requests"] / free["visited"]
    minimum = floor["total"] / floor["visited"]
    result = {
        "machine": f"{platform.machine()} {os.cpu_count()} cores, {platform.python_version()}",
        "sample_playlists": args.sample, "max_playlists": args.playlists, "max_depth": args.depth,
        "search_pages": args.search_pages,
        "requests": {"ours": free["requests"], "minimum": floor, "ours_per_playlist": per_playlist,
                     "minimum_per_playlist": minimum, "ours_over_minimum": per_playlist / minimum,
                     "unthrottled_wall_s": free["wall_s"]},
        "rate_limit": {"requests": args.rate, "window_s": args.window, "ours": ours,
                       "naive_spotipy_retries": naive},
        "targets": {"over_minimum": 1.10, "http_429": "no storms", "rows_lost": 0},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    rows = [
        ("crawl", f"{args.playlists} playlists, depth {args.depth}, {args.search_pages} search "
                  f"pages, fake catalog of {args.sample}"),
        ("requests per playlist", f"ours {per_playlist:.3f}   minimum {minimum:.3f}   "
                                  f"ratio {per_playlist / minimum:.3f} (target <= 1.10)"),
        ("  minimum = items + search pages", f"{floor['items_pages']} + {floor['search_pages']} "
                                             f"= {floor['total']} for {floor['visited']}"),
        (f"rate limit {args.rate} req / {args.window:.0f} s", "ours          naive (spotipy retries)"),
    ]
    for key, label, fmt in [("playlists_per_min", "  playlists / min", "{:.1f}"),
                            ("wall_s", "  wall s", "{:.1f}"), ("requests", "  requests", "{}"),
                            ("http_429", "  429 answers", "{}"),
                            ("longest_429_run", "  longest 429 run", "{}"),
                            ("visited", "  playlists visited", "{}"),
                            ("rows_lost", "  rows lost", "{}"),
                            ("rows_extra_or_duplicated", "  rows extra/duplicated", "{}")]:
        rows.append((label, f"{fmt.format(ours[key]):<14}{fmt.format(naive[key])}"))
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
