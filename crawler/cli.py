"""`python -m crawler`: start or resume a BFS crawl of the Spotify Web API into the catalog.

Exit status: 0 the crawl finished (a limit or an empty frontier), 3 it stopped cleanly
and can continue with --resume (rate limit, --max-requests, interrupt), 1 an error the
user has to fix (credentials, sign-in, an internal error), 2 bad arguments.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
import traceback
from dataclasses import fields
from datetime import datetime, timezone
from pathlib import Path

import psutil
import requests

from crawler.audio_features import FeatureFetcher
from crawler.auth import SignInError, app_auth, sign_in, user_auth
from crawler.bfs import Crawler, CrawlResult
from crawler.client import ApiError, AuthError, ClientSettings, CrawlStop, SpotifyClient
from crawler.config import PAGE_MAXIMA, CrawlConfig, parse_feature_sources, shape_fields
from crawler.connection import RESOLUTION_HELP, ConnectionSettingError, SpotifyConnection
from crawler.credentials import CredentialsError
from crawler.parse import parse_playlist
from crawler.progress import ProgressLine
from data import crawl_reads, crawl_state
from data.command_line import add_home_argument
from data.crawl_state import DiscoveredPlaylist
from data.home import catalog_path, crawl_log_path, home_dir
from data.spotify_ids import SeedError, parse_playlist_ref
from data.store import Catalog

EXIT_DONE, EXIT_ERROR, EXIT_USAGE, EXIT_STOPPED = 0, 1, 2, 3


class UsageError(Exception):
    pass


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m crawler",
        description="Breadth-first crawl of the Spotify Web API from a seed playlist "
                    "(playlist → tracks → artists → playlists found by searching each artist), "
                    "merged into the PlaylistGraph catalog. " + RESOLUTION_HELP,
        epilog="Exit status: 0 finished, 3 stopped and resumable (--resume), 1 error, 2 bad "
               "arguments.")
    parser.add_argument("--seed-playlist", metavar="URL|URI|ID",
                        help="playlist to start from: an open.spotify.com URL, a "
                             "spotify:playlist: URI or the playlist id")
    parser.add_argument("--resume", action="store_true",
                        help="continue the latest crawl in the home directory where it stopped")
    add_home_argument(parser, subcommands=False)
    parser.add_argument("--no-progress", action="store_true", help="hide the live progress line")
    defaults = CrawlConfig()
    for f in fields(CrawlConfig):
        flag = "--" + f.name.replace("_", "-")
        help_text = f"{f.metadata['help']} (default: {getattr(defaults, f.name)})"
        if f.type in (bool, "bool"):
            parser.add_argument(flag, action="store_true", default=None, help=f.metadata["help"])
        else:
            kind = {"int": int, "float": float, "str": str}.get(str(f.type), str)
            metavar = {"int": "N", "float": "SECONDS"}.get(str(f.type), "VALUE")
            if f.name in ("api_base", "token_url", "redirect_uri"):
                metavar = "URL"
            parser.add_argument(flag, type=kind, default=None, metavar=metavar, help=help_text)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _main(args)
    except (UsageError, ConnectionSettingError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (CredentialsError, SignInError, AuthError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR


def _main(args: argparse.Namespace) -> int:
    seed = _seed(args)
    explicit = {f.name: getattr(args, f.name) for f in fields(CrawlConfig)
                if getattr(args, f.name) is not None}
    home = home_dir(args.home)
    catalog = _open_catalog(home)
    with catalog:
        previous = crawl_state.latest_crawl(catalog)
        _refuse_if_running(previous)
        if args.resume:
            if previous is None:
                raise UsageError(f"nothing to resume: no crawl in {home}; start one with "
                                 "--seed-playlist")
            config = _resumed_crawl_config(previous.config, explicit)
        else:
            config = CrawlConfig(**explicit)
            if seed is None and not config.user_auth:
                raise UsageError("give --seed-playlist URL|URI|ID, or --resume to continue the "
                                 "last crawl, or --user-auth to start from your own playlists")
        _validate(config)
        # Flags, else environment, else secrets: on --resume too (not the stored values).
        connection = SpotifyConnection()
        endpoints = connection.endpoints(explicit.get("api_base"), explicit.get("token_url"))
        config.api_base, config.token_url = endpoints.api_base, endpoints.token_url
        progress = ProgressLine(sys.stderr, enabled=not args.no_progress)
        client = _client(config, connection, home, progress)
        if args.resume:
            crawl_id = _claim(catalog, previous.id, config, progress)
        else:
            if previous is not None and previous.state in ("stopped", "running"):
                progress.message(f"note: starting a new crawl; crawl #{previous.id} "
                                 f"({previous.state}) will not be resumed")
            seeds = [DiscoveredPlaylist(seed)] if seed else _my_playlists(client)
            with catalog.write():
                _refuse_if_running(crawl_state.latest_crawl(catalog))  # started meanwhile?
                crawl_id = crawl_state.create_crawl(catalog, seeds, config.to_dict(), os.getpid())
                crawl_state.save_counters(catalog, crawl_id, {"requests": client.stats.requests})
        sources = parse_feature_sources(config.audio_features)
        crawl = crawl_state.get_crawl(catalog, crawl_id)
        features = FeatureFetcher(client, sources, progress.message,
                                  api_forbidden=sources.api and crawl.features in ("forbidden",
                                                                                   "csv"))
        crawler = Crawler(catalog, client, config, crawl_id, features=features,
                          progress=progress, notify=progress.message)
        in_main_thread = threading.current_thread() is threading.main_thread()
        previous_handler = signal.signal(signal.SIGTERM, _interrupt) if in_main_thread else None
        try:
            result = crawler.run()
        except Exception as exc:  # a bug: keep the state resumable, say where the details are
            return _failed(catalog, crawl_id, home, exc)
        finally:
            if in_main_thread:
                signal.signal(signal.SIGTERM, previous_handler)
        print(summary(catalog, result))
        return _exit_status(catalog, result)


def _client(config: CrawlConfig, connection: SpotifyConnection, home: Path,
            progress: ProgressLine) -> SpotifyClient:
    """The one Spotify client, authenticated (bad credentials fail here, in one line)."""
    credentials = connection.credentials()
    session = requests.Session()
    if config.user_auth:
        auth = user_auth(credentials, config.token_url, config.redirect_uri, home, session,
                         config.timeout_s)
        sign_in(auth)
    else:
        auth = app_auth(credentials, config.token_url, session, config.timeout_s)
    client = SpotifyClient(_client_settings(config), auth, session=session,
                           notify=progress.message)
    client.authenticate()
    return client


def _seed(args: argparse.Namespace) -> str | None:
    if args.seed_playlist is None:
        return None
    if args.resume:
        raise UsageError("give either --seed-playlist (a new crawl) or --resume, not both")
    try:
        return parse_playlist_ref(args.seed_playlist)
    except SeedError as exc:
        raise UsageError(str(exc)) from None


def _open_catalog(home: Path) -> Catalog:
    try:
        return Catalog(catalog_path(home))
    except Exception as exc:  # SchemaTooNewError, sqlite3.DatabaseError, OSError
        raise UsageError(f"cannot open the catalog at {catalog_path(home)} ({exc}); point "
                         "--home / PLAYLISTGRAPH_HOME at another directory") from None


def _validate(config: CrawlConfig) -> None:
    try:
        config.validate()
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    csv = parse_feature_sources(config.audio_features).csv
    if csv is not None and not csv.is_file():
        raise UsageError(f"--audio-features: {csv}: no such file; give the path of a CSV keyed "
                         "by track id or URI")


def _resumed_crawl_config(stored: dict, explicit: dict) -> CrawlConfig:
    """The stored crawl's config with the flags given anew; a flag that would change the
    crawl's shape is ignored with a note (the stored value is kept), never refused."""
    config = CrawlConfig.from_dict(stored)
    for name, value in explicit.items():
        if name in shape_fields() and value != getattr(config, name):
            print(f"note: --{name.replace('_', '-')} is fixed when a crawl starts; keeping "
                  f"{getattr(config, name)}", file=sys.stderr)
            continue
        setattr(config, name, value)
    for name, most in PAGE_MAXIMA.items():  # a crawl started before the 2026 limits
        if getattr(config, name) > most:
            print(f"note: this crawl was started with --{name.replace('_', '-')} "
                  f"{getattr(config, name)}, above the API's maximum; continuing with {most}",
                  file=sys.stderr)
            setattr(config, name, most)
    return config


def _refuse_if_running(crawl: crawl_state.CrawlRow | None) -> None:
    if crawl is None or crawl.state != "running" or not crawl.pid or crawl.pid == os.getpid():
        return
    try:
        alive = "crawler" in " ".join(psutil.Process(crawl.pid).cmdline())
    except (psutil.Error, OSError):
        alive = False
    if alive:
        raise UsageError(f"crawl #{crawl.id} is running (pid {crawl.pid}); wait for it to finish "
                         f"or stop it (kill {crawl.pid}) and continue it with --resume")


def _claim(catalog: Catalog, crawl_id: int, config: CrawlConfig, progress: ProgressLine) -> int:
    """Mark the crawl running under this process (after a rate-limit stop's wait, if short)."""
    crawl = crawl_state.get_crawl(catalog, crawl_id)
    if crawl.resume_after:
        wait = (datetime.fromisoformat(crawl.resume_after)
                - datetime.now(timezone.utc)).total_seconds()
        if wait > config.max_wait_s:
            raise UsageError(f"Spotify asked this crawl to wait until {crawl.resume_after}; "
                             "resume after that time")
        if wait > 0:
            progress.message(f"waiting {wait:.0f} s, as Spotify asked when the crawl stopped")
            time.sleep(wait)
    with catalog.write():
        latest = crawl_state.latest_crawl(catalog)
        _refuse_if_running(latest)  # another process may have claimed it meanwhile
        if crawl.config.get("items_page_size") != config.items_page_size:
            # The playlist in flight has pages cached at the old size: read it again.
            head = crawl_state.next_queued(catalog, crawl_id)
            if head is not None:
                crawl_state.drop_pages(catalog, crawl_id, "items", [head.playlist.spotify_id])
        crawl_state.update_config(catalog, crawl_id, config.to_dict())
        crawl_state.set_crawl_state(catalog, crawl_id, "running", pid=os.getpid())
    return crawl_id


def _my_playlists(client: SpotifyClient) -> list[DiscoveredPlaylist]:
    """The signed-in user's playlists (owned or followed), as seeds."""
    seeds: list[DiscoveredPlaylist] = []
    offset = 0
    try:
        while True:
            page = client.my_playlists(offset)
            items = page.get("items") if isinstance(page, dict) else None
            for obj in items or []:
                found = parse_playlist(obj)
                if found is not None and all(s.spotify_id != found.spotify_id for s in seeds):
                    seeds.append(found)
            if not items or not page.get("next"):
                break
            offset += len(items)
    except (ApiError, CrawlStop) as exc:
        raise UsageError(f"cannot list your playlists ({exc}); give --seed-playlist") from None
    if not seeds:
        raise UsageError("your account has no playlists to start from; give --seed-playlist")
    return seeds


def _client_settings(config: CrawlConfig) -> ClientSettings:
    return ClientSettings(
        api_base=config.api_base, timeout_s=config.timeout_s, max_retries=config.max_retries,
        backoff_s=config.backoff_s, max_wait_s=config.max_wait_s,
        requests_per_window=config.requests_per_window, window_s=config.window_s)


def _interrupt(signum, frame):
    # SIGTERM (the dashboard's stop button) ends the crawl like Ctrl-C: state saved.
    raise KeyboardInterrupt


def _failed(catalog: Catalog, crawl_id: int, home: Path, exc: Exception) -> int:
    log = crawl_log_path(home)
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(f"--- {datetime.now(timezone.utc).isoformat(timespec='seconds')} crawl "
                 f"#{crawl_id}\n{traceback.format_exc()}")
    message = f"internal error ({type(exc).__name__}: {exc}); details in {log}"
    try:
        with catalog.write():
            crawl_state.set_crawl_state(catalog, crawl_id, "failed", message=message)
    except Exception:  # the store itself may be what failed; the message still matters
        pass
    print(f"error: {message}; the crawl can continue with --resume", file=sys.stderr)
    return EXIT_ERROR


def _exit_status(catalog: Catalog, result: CrawlResult) -> int:
    if result.error:
        print(f"error: {result.message}", file=sys.stderr)
        return EXIT_ERROR
    if result.state == "stopped":
        return EXIT_STOPPED
    progress = crawl_reads.crawl_progress(catalog, result.crawl_id)
    if progress["crawled"] == 0 and progress["visited"] > 0:
        reasons = {p["reason"] for p in crawl_reads.unreachable_playlists(catalog,
                                                                          result.crawl_id)}
        print(f"error: no playlist could be read ({'; '.join(sorted(reasons))})",
              file=sys.stderr)
        return EXIT_ERROR
    return EXIT_DONE


def summary(catalog: Catalog, result: CrawlResult) -> str:
    p = crawl_reads.crawl_progress(catalog, result.crawl_id)
    skipped = ", ".join(f"{n} {kind}" for kind, n in p["skipped"].items())
    lines = [
        f"crawl #{result.crawl_id} {result.state}: {result.message}",
        f"  playlists   {p['visited']} visited ({p['crawled']} crawled, "
        f"{p['unreachable']} unreachable), {p['frontier']} in the frontier",
        f"  artists     {p['artists']} met, {p['artists_searched']} searched",
        f"  items       skipped {p['skipped_total']} ({skipped})",
        f"  requests    {p['requests']} ({p['retries']} retries, {p['rate_limited']} rate-limited, "
        f"{p['waits']} waits, {p['wait_s']:.0f} s waited)",
        f"  features    {p['features'] or 'none'}",
    ]
    if result.state == "stopped":
        lines.append("  continue with: python -m crawler --resume")
    return "\n".join(lines)
