"""`python -m ml {train,evaluate,recommend,runs}`: the model's commands."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from data.command_line import add_home_argument, home_option, missing_package_hint
from data.home import home_dir, runs_dir


def build_parser() -> argparse.ArgumentParser:
    from ml.config import add_config_arguments
    parser = argparse.ArgumentParser(
        prog="python -m ml", description="PlaylistGraph model: train the GraphSAGE recommender "
        "with its baselines, evaluate runs, recommend tracks.")
    add_home_argument(parser)
    sub = parser.add_subparsers(dest="command", required=True)
    home = [home_option()]

    p = sub.add_parser("train", parents=home,
                       help="train a run, evaluate it against the baselines, serve it",
                       description="Train on the catalog (python -m data load-sample first), "
                       "evaluate on held-out playlists, then make the run the serving one. "
                       "The last line printed is the run directory.")
    p.add_argument("--resume", metavar="RUN", default=None,
                   help="continue RUN (id, path, 'latest') from its checkpoint")
    p.add_argument("--no-evaluate", action="store_true",
                   help="skip evaluation (the run is then not made active)")
    p.add_argument("--no-progress", action="store_true", help="hide progress bars")
    add_config_arguments(p)

    p = sub.add_parser("evaluate", parents=home, help="evaluate a run on its held-out playlists")
    p.add_argument("run", nargs="?", default="latest", help="run id, path, 'active' or 'latest'")
    p.add_argument("--device", default=None, help="auto, cpu or cuda (default: the run's)")
    p.add_argument("--activate", action="store_true", help="make the run the serving one after")
    p.add_argument("--no-progress", action="store_true", help="hide progress bars")

    p = sub.add_parser("recommend", parents=home,
                       help="top-K tracks for seed tracks or a stored playlist")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--tracks", nargs="+", metavar="URI", help="seed track URIs (or ids)")
    group.add_argument("--playlist", metavar="REF",
                       help="mpd:PID or a bare MPD pid, id:N (catalog id), a Spotify playlist "
                            "id/URL/URI, or words of its title (title:TEXT)")
    group.add_argument("--listener", metavar="NAME",
                       help="seeds from NAME's imported plays (python -m data listening): the "
                            "most played tracks by time and recency; played tracks left out")
    p.add_argument("--since", metavar="WINDOW", default=None,
                   help="with --listener: only plays of the last WINDOW of the history "
                        "(90d, 6w, 3m, 1y)")
    p.add_argument("--title", default=None, help="playlist title to condition on")
    p.add_argument("--k", type=int, default=20, help="how many tracks")
    p.add_argument("--save-to-spotify", metavar="NAME", default=None,
                   help="save the tracks, in order, as your private Spotify playlist NAME "
                        "(saving to the same NAME again updates it); uses the dashboard's "
                        "sign-in, or signs in here in a terminal")
    p.add_argument("--exact", action="store_true",
                   help="score every track instead of taking candidates from the run's "
                        "ANN indexes")

    p = sub.add_parser("index", parents=home,
                       help="(re)build a run's ANN indexes (runs trained before they existed)")
    p.add_argument("run", nargs="?", default="active", help="run id, path, 'active' or 'latest'")
    p.add_argument("--kind", default=None,
                   help="flat, ivf, ivfpq, or ivf/ivfpq:NLIST:NPROBE (default: flat up to "
                        "150,000 tracks, else ivfpq)")

    sub.add_parser("runs", parents=home, help="list training runs")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    home = home_dir(args.home)

    from data.store import CatalogUnreadable
    from ml.errors import UserError
    try:
        if args.command == "train":
            return _train(args, home)
        if args.command == "evaluate":
            return _evaluate(args, home)
        if args.command == "recommend":
            return _recommend(args, home)
        if args.command == "index":
            return _index(args, home)
        return _runs(home)
    except (UserError, CatalogUnreadable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _train(args: argparse.Namespace, home: Path) -> int:
    from ml.config import TrainConfig, config_from_args
    from ml.errors import UserError
    overrides = {k for k, v in vars(args).items() if v is not None and hasattr(TrainConfig, k)}
    config = config_from_args(args)
    try:
        config.validate()  # before torch is imported: a typo fails in a blink
    except ValueError as exc:
        raise UserError(str(exc)) from None
    from ml.pipeline.train_run import run_training
    _, state = run_training(config, home, resume=args.resume, overrides=overrides,
                            evaluate=not args.no_evaluate, progress=not args.no_progress)
    return 0 if state == "done" else 143


def _evaluate(args: argparse.Namespace, home: Path) -> int:
    from ml.evaluation.scoring import evaluation_tables
    from ml.pipeline.evaluate_run import evaluate_run
    from ml.runs import layout
    from ml.runs.directory import activate, resolve_run
    from ml.errors import UserError
    run_dir = resolve_run(args.run, home)
    if run_dir is None:
        raise UserError(f"no run {args.run!r} under {runs_dir(home)}; "
                        "list runs with python -m ml runs")
    evaluation = evaluate_run(run_dir, home, device=args.device, progress=not args.no_progress)
    print(evaluation_tables(evaluation))
    if args.activate:
        activate(run_dir)
        print(f"{run_dir.name} is now serving")
    print(run_dir / layout.EVALUATION)
    return 0


def _recommend(args: argparse.Namespace, home: Path) -> int:
    from data.store import Catalog
    from ml.errors import UserError
    from ml.serving.playlist_ref import resolve_playlist
    from ml.serving.recommender import load_recommender
    if args.k < 1:
        raise UserError("--k must be at least 1")
    if args.since and not args.listener:
        raise UserError("--since goes with --listener")
    with Catalog.open(home) as catalog:
        title = args.title
        listening = None
        if args.listener:
            from ml.serving.listening_seeds import listening_seeds
            listening = listening_seeds(catalog, args.listener, args.since)
            seeds = listening.seeds
            print(f"listener {listening.listener}: {len(seeds)} seed tracks from "
                  f"{listening.plays_in_window:,} plays, {len(listening.played):,} played "
                  "tracks left out")
        elif args.playlist:
            picked = resolve_playlist(catalog, args.playlist)
            seeds = catalog.playlist_track_ids(picked.id)
            title = title if title is not None else picked.name
            print(picked.describe())
            seeds_label = f"the playlist “{picked.name}”"
        else:
            uris = [_track_uri(t) for t in args.tracks]
            found = catalog.track_ids_for_uris([u for u in uris if not u.isdigit()])
            seeds = []
            for given, uri in zip(args.tracks, uris):
                if uri.isdigit():
                    seeds.append(int(uri))
                elif uri in found:
                    seeds.append(found[uri])
                else:
                    print(f"warning: {given} is not in the catalog; ignored", file=sys.stderr)
            if not seeds:
                raise UserError("none of the given tracks is in the catalog; "
                                "ingest or crawl them first")
            seeds_label = "a list of seed tracks"
        recommender = load_recommender(catalog, home, exact=args.exact)
        if listening is not None:
            from ml.serving.listening_seeds import recommend_unplayed
            recs = recommend_unplayed(recommender, listening, args.k, title=title)
        else:
            recs = recommender.recommend(seeds, args.k, title=title)
        if recommender.note:
            print(f"note: {recommender.note}", file=sys.stderr)
        if recs.skipped_seeds:
            print(f"note: {len(recs.skipped_seeds)} seed track(s) unknown to the model "
                  "(no features, artist or album it knows) were ignored", file=sys.stderr)
        rows = {r["id"]: r for r in catalog.tracks([r.track_id for r in recs])}
    label = f"{recommender.name}" + (f" (run {recommender.run_id})" if recommender.run_id else "")
    print(f"top {len(recs)} by {label}")
    print(f"{'rank':>4}  {'score':>8}  {'track':<40}  {'artist':<25}  uri")
    for rank, rec in enumerate(recs, 1):
        row = rows.get(rec.track_id, {})
        print(f"{rank:>4}  {rec.score:>8.3f}  {_cut(row.get('name') or '', 40):<40}  "
              f"{_cut(row.get('artist') or '', 25):<25}  {row.get('uri', rec.track_id)}")
    if args.save_to_spotify is not None:
        # The one place ml/ reaches the crawler: the command line, for writing back to
        # Spotify through the one client; training and serving never import it.
        from crawler.save_command import save_recommendations
        uris = [rows[r.track_id]["uri"] for r in recs if rows.get(r.track_id, {}).get("uri")]
        return save_recommendations(home, args.save_to_spotify, uris, seeds_label, len(seeds),
                                    label)
    return 0


def _index(args: argparse.Namespace, home: Path) -> int:
    from ml.runs.ann_index import IndexSpec, build_run_indexes
    from ml.errors import UserError
    from ml.runs.directory import resolve_run
    run_dir = resolve_run(args.run, home)
    if run_dir is None:
        raise UserError(f"no run {args.run!r} under {runs_dir(home)}; "
                        "list runs with python -m ml runs")
    try:
        spec = IndexSpec.parse(args.kind) if args.kind else None
    except ValueError as exc:
        raise UserError(str(exc)) from None
    built = build_run_indexes(run_dir, spec)
    if not built:
        raise UserError(f"{run_dir.name} has no track vectors to index; train it to the end")
    for source, e in built.items():
        print(f"{source}: {e['kind']} index of {e['tracks']:,} tracks, {e['bytes'] / 1e6:.1f} MB, "
              f"built in {e['build_s']:.1f} s")
    return 0


def _runs(home: Path) -> int:
    from ml.runs.directory import list_runs, read_evaluation
    runs = list_runs(home)
    if not runs:
        print("no runs yet; train one with python -m ml train")
        return 0
    print(f"{'run':<22} {'state':<11} {'epoch':>9}  {'gnn r-prec':>10}  {'gnn ndcg':>8}")
    for run in runs:
        status = run.status or {}
        gnn = ((read_evaluation(run.path) or {}).get("overall") or {}).get("gnn") or {}
        epoch = f"{status.get('epoch', '?')}/{status.get('epochs', '?')}"
        rp = f"{gnn['r_precision']:.4f}" if "r_precision" in gnn else "-"
        nd = f"{gnn['ndcg']:.4f}" if "ndcg" in gnn else "-"
        print(f"{run.run_id:<22} {run.state:<11} {epoch:>9}  {rp:>10}  {nd:>8}"
              + ("  (active)" if run.active else ""))
    return 0


def _track_uri(text: str) -> str:
    from data.features_import import to_track_uri
    text = text.strip()
    return text if text.isdigit() else (to_track_uri(text) or text)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


if __name__ == "__main__":
    with missing_package_hint():
        sys.exit(main())
