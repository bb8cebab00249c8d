"""Cache pruning never deletes the snapshot a run in progress (or the serving run) still
needs, however far the store moves on meanwhile (found by benchmarks/soak.py: a run
started during an ingest failed at evaluation with "that snapshot is no longer cached")."""
from __future__ import annotations

import json

from data.store import PlaylistRecord
from ml.runs.directory import new_run_dir, write_status
from ml.dataset.snapshot import KEEP_CACHED, load_snapshot, snapshot_path


def _write(catalog, n: int) -> None:
    with catalog.write():
        catalog.upsert_playlist(PlaylistRecord("mpd", str(n), f"list {n}"))


def test_a_running_run_keeps_its_snapshot_while_the_store_moves_on(catalog, home):
    first = load_snapshot(catalog, home).version
    run_dir = new_run_dir(home)
    (run_dir / "config.json").write_text(json.dumps({"snapshot_version": first}))
    write_status(run_dir, "running", 1, 3)  # this process is the run's
    versions = []
    for n in range(KEEP_CACHED + 2):  # a reader builds snapshots of newer versions
        _write(catalog, n)
        versions.append(load_snapshot(catalog, home).version)
    assert snapshot_path(first, home).exists()
    assert not snapshot_path(versions[0], home).exists()  # unpinned old ones still go

    write_status(run_dir, "failed", 1, 3)  # no longer needed: the next save prunes it
    _write(catalog, 99)
    load_snapshot(catalog, home)
    assert not snapshot_path(first, home).exists()


def test_a_killed_run_pins_nothing_and_the_serving_run_does(catalog, home):
    first = load_snapshot(catalog, home).version
    killed, serving = new_run_dir(home), new_run_dir(home)
    for run_dir in (killed, serving):
        (run_dir / "config.json").write_text(json.dumps({"snapshot_version": first}))
    write_status(killed, "running", 1, 3)
    status = json.loads((killed / "status.json").read_text())
    (killed / "status.json").write_text(json.dumps({**status, "pid": 2 ** 22 + 12345}))
    for n in range(KEEP_CACHED + 1):
        _write(catalog, n)
        load_snapshot(catalog, home)
    assert not snapshot_path(first, home).exists()  # the killed run's pid is gone

    first = load_snapshot(catalog, home).version
    (serving / "config.json").write_text(json.dumps({"snapshot_version": first}))
    (home / "runs" / "ACTIVE").write_text(serving.name + "\n")
    for n in range(100, 100 + KEEP_CACHED + 1):
        _write(catalog, n)
        load_snapshot(catalog, home)
    assert snapshot_path(first, home).exists()
