"""`python -m testkit.fake_spotify --port N --sample DIR`: serve the fake API until stopped.

The offline try-out: prints the environment lines to paste into another shell (API base,
token URL, the fake's client id and secret, which are fixed demo values and not secrets)
and a readable seed playlist, then serves until Ctrl-C or SIGTERM. Every printed line is
either an `export` or a `#` comment, so the whole output can be pasted. Both the CLI crawl
and the dashboard's Crawl page read those variables (crawler/connection.py).
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from crawler.connection import ENV_API_BASE, ENV_TOKEN_URL
from crawler.credentials import ENV_ID, ENV_SECRET
from data.home import BUNDLED_SAMPLE
from testkit.fake_spotify.server import FakeSpotify


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m testkit.fake_spotify",
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                                     description="Local fake of the 2026 Spotify Web API.")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free one)")
    parser.add_argument("--sample", type=Path, default=BUNDLED_SAMPLE,
                        help="directory of MPD-format slices (and audio_features.csv)")
    parser.add_argument("--seed", type=int, default=0, help="seed of ids, owners and access")
    parser.add_argument("--restricted-share", type=float, default=0.25,
                        help="share of playlists whose items answer 403")
    parser.add_argument("--spotify-share", type=float, default=0.05,
                        help="share of Spotify-owned playlists (404)")
    parser.add_argument("--junk", action="store_true",
                        help="serve junk items (null, local, episode) and null search results")
    parser.add_argument("--rate-limit", type=int, default=None, metavar="N",
                        help="at most N API requests per --window-s (429 beyond)")
    parser.add_argument("--window-s", type=float, default=30.0)
    parser.add_argument("--audio-features", choices=("forbidden", "ok"), default="forbidden")
    parser.add_argument("--client-id", default="fake-client-id")
    parser.add_argument("--client-secret", default="fake-client-secret")
    args = parser.parse_args(argv)
    try:
        fake = FakeSpotify(args.sample, port=args.port, seed=args.seed,
                           restricted_share=args.restricted_share,
                           spotify_share=args.spotify_share, client_id=args.client_id,
                           client_secret=args.client_secret)
        fake.start()
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    fake.junk, fake.audio_features = args.junk, args.audio_features
    if args.rate_limit:
        fake.rate_limit(args.rate_limit, args.window_s)
    stop = threading.Event()
    # Before the lines are printed: whoever reads them may stop the fake at once.
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(try_out_text(fake, args.sample), flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    fake.stop()
    return 0


def try_out_text(fake: FakeSpotify, sample: Path) -> str:
    seed = fake.catalog.seed_playlist().id
    return "\n".join([
        f"# Fake Spotify Web API on {fake.base_url}: {len(fake.catalog.playlists):,} playlists "
        f"from {sample} (Ctrl-C stops it).",
        "# It is a local fake: the client id and secret below are fixed demo values, not secrets.",
        "# Paste these lines into another shell; the CLI crawl and the dashboard's Crawl page",
        "# both read them:",
        f"export {ENV_API_BASE}={fake.base_url}",
        f"export {ENV_TOKEN_URL}={fake.token_url}",
        f"export {ENV_ID}={fake.client_id}",
        f"export {ENV_SECRET}={fake.client_secret}",
        f"# then crawl from the CLI:  python -m crawler --seed-playlist {seed} --max-playlists 50",
        "# or start the dashboard:   bash scripts/run.sh   (Crawl page, seed playlist "
        f"{seed})",
    ])


if __name__ == "__main__":
    sys.exit(main())
