"""Which cached graph snapshots must outlive the cache's pruning: those runs still need.

A run trains on the snapshot of the store version it started at and reads that snapshot
again to evaluate (and, for a served baseline or re-ranker, to serve). Pruning keeps the
newest few versions; while a dashboard or an ingest moves the store on, the snapshot of
a run in progress would otherwise be deleted under it (found by benchmarks/soak.py: a
run started during an ingest failed at evaluation, "that snapshot is no longer cached").
Pinned: the snapshot version of every run in progress (its process alive) and of the
serving run.
"""
from __future__ import annotations

import json
from pathlib import Path

import psutil

from data.home import ACTIVE_FILE, RUNS_DIR

_IN_PROGRESS = ("running", "evaluating")


def pinned_versions(home: Path) -> set[int]:
    """Store versions whose snapshots runs under `home` still need."""
    runs = home / RUNS_DIR
    if not runs.is_dir():
        return set()
    try:
        active = (runs / ACTIVE_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        active = ""
    out = set()
    for run_dir in runs.iterdir():
        if not run_dir.is_dir():
            continue
        status = _json(run_dir / "status.json")
        in_progress = status.get("state") in _IN_PROGRESS and _alive(status.get("pid"))
        if run_dir.name != active and not in_progress:
            continue
        version = _json(run_dir / "config.json").get("snapshot_version")
        if isinstance(version, int):
            out.add(version)
    return out


def _alive(pid) -> bool:
    return isinstance(pid, int) and psutil.pid_exists(pid)


def _json(path: Path) -> dict:
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return obj if isinstance(obj, dict) else {}
