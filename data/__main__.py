"""`python -m data {ingest,listening,features,sample,stats,load-sample,remove-sample}`: the
data layer's commands."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from data.command_line import add_home_argument, home_option, missing_package_hint
from data.home import BUNDLED_SAMPLE, catalog_path, home_dir

ON_CONFLICT = ("refuse", "skip", "replace")  # data.ingest.ON_CONFLICT, without importing numpy


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m data", formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        description="PlaylistGraph catalog: ingest the MPD, import audio features, "
                    "generate sample data, print graph statistics.")
    add_home_argument(parser)
    sub = parser.add_subparsers(dest="command", required=True)
    common = dict(formatter_class=argparse.ArgumentDefaultsHelpFormatter, parents=[home_option()])
    p = sub.add_parser("ingest", help="ingest MPD slice files or directories of them", **common)
    p.add_argument("paths", nargs="+", type=Path, help=".json / .json.gz slices or directories")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.add_argument("--on-conflict", choices=ON_CONFLICT, default="refuse",
                   help="a pid stored already with other contents: refuse the slice, skip "
                        "(keep the stored playlist) or replace it with the file's")
    p = sub.add_parser("listening", help="import a Spotify data export (streaming history, "
                       "saved tracks, playlists)", **common)
    p.add_argument("paths", nargs="+", type=Path,
                   help="the downloaded .zip, its unpacked folder, or single export files")
    p.add_argument("--as", dest="listener", default=None, metavar="NAME",
                   help="store the plays under this listener name instead of the export's "
                        "username")
    p = sub.add_parser("features", help="import audio features from a CSV keyed by track id/URI",
                       **common)
    p.add_argument("csv", type=Path)
    p = sub.add_parser("sample", help="generate MPD-format sample slices and audio features",
                       **common)
    p.add_argument("--playlists", type=int, default=3000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--slice-size", type=int, default=1000)
    p.add_argument("--gzip", action="store_true", help="write .json.gz / .csv.gz")
    p = sub.add_parser("stats", help="print catalog and graph statistics", **common)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p = sub.add_parser("load-sample", help="ingest the bundled sample and print statistics",
                       **common)
    p.add_argument("--dir", type=Path, default=BUNDLED_SAMPLE)
    p = sub.add_parser("remove-sample", help="remove the bundled sample (do it before ingesting "
                       "real MPD data): its playlists, what only they held, their counts",
                       **common)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    if args.command == "sample":
        from data.sample import generate_sample
        manifest = generate_sample(args.playlists, args.seed, args.out,
                                   slice_size=args.slice_size, gzip=args.gzip)
        print(f"wrote {manifest.playlists} playlists ({manifest.playlist_tracks} playlist tracks, "
              f"{manifest.unique_tracks} tracks, {manifest.unique_artists} artists) to {args.out}")
        return 0

    from data.schema import SchemaTooNewError
    from data.store import Catalog
    try:
        catalog = Catalog(catalog_path(home_dir(args.home)))
    except (SchemaTooNewError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # sqlite3.DatabaseError: not a database, corrupt file
        print(f"error: cannot open the catalog at {catalog_path(home_dir(args.home))} ({exc}); "
              "point --home / PLAYLISTGRAPH_HOME at another directory or move the file away",
              file=sys.stderr)
        return 2
    with catalog:
        if args.command == "ingest":
            from data.ingest import ingest
            report = ingest(catalog, args.paths, progress=not args.no_progress,
                            on_conflict=args.on_conflict)
            print(report.summary())
            return 0 if report.ok else 1
        if args.command == "listening":
            if args.listener is not None and not args.listener.strip():
                print("error: --as needs a name (or leave it out to use the export's username)",
                      file=sys.stderr)
                return 2
            from data.listening import import_listening
            report = import_listening(catalog, args.paths, args.listener)
            print(report.summary())
            return 0 if report.ok else 1
        if args.command == "features":
            from data.features_import import FeaturesFileError, import_features
            try:
                report = import_features(catalog, args.csv)
            except FeaturesFileError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 1
            print(report.summary())
            return 0
        if args.command == "load-sample":
            from data.bundled import load_bundled_sample
            report = load_bundled_sample(catalog, sample_dir=args.dir)
            print(report.summary())
            _print_stats(catalog, as_json=False)
            return 0 if report.ok else 1
        if args.command == "remove-sample":
            from data.sample_removal import remove_sample
            print(remove_sample(catalog).summary())
            return 0
        if args.command == "stats":
            _print_stats(catalog, as_json=args.json)
            return 0
    return 2


def _print_stats(catalog, as_json: bool) -> None:
    from data.stats import graph_stats
    stats = graph_stats(catalog)
    if as_json:
        print(json.dumps(stats.to_dict(), indent=2))
        return
    rows = [
        ("store version", stats.store_version),
        ("playlists (MPD / crawled / total)",
         f"{stats.playlists['mpd']:,} / {stats.playlists['spotify']:,} / {stats.playlists['total']:,}"),
        ("tracks (in MPD / in crawled / total)",
         f"{stats.tracks['mpd']:,} / {stats.tracks['spotify']:,} / {stats.tracks['total']:,}"),
        ("artists (in MPD / in crawled / total)",
         f"{stats.artists['mpd']:,} / {stats.artists['spotify']:,} / {stats.artists['total']:,}"),
        ("albums", f"{stats.albums:,}"),
        ("plays (listeners)", f"{stats.plays:,} ({stats.listeners:,})"),
        ("playlist-track rows", f"{stats.playlist_track_rows:,}"),
        ("playlist-track edges (distinct)", f"{stats.playlist_track_edges:,}"),
        ("track-artist edges", f"{stats.track_artist_edges:,}"),
        ("bipartite density", f"{stats.density:.3g}"),
        ("audio-feature coverage", f"{stats.feature_coverage:.1%} ({stats.tracks_with_features:,})"),
    ]
    for name, degrees in (("playlist", stats.playlist_degrees), ("track", stats.track_degrees),
                          ("artist", stats.artist_degrees)):
        n = sum(degrees.values())
        if n:
            mean = sum(d * k for d, k in degrees.items()) / n
            rows.append((f"{name} degree (mean / max)", f"{mean:.1f} / {max(degrees)}"))
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    with missing_package_hint():
        sys.exit(main())
