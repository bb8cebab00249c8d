"""Training run directories: `runs_dir(home)/<run_id>/` and the `ACTIVE` pointer.

A run directory holds the files `ml.runs.layout` names: `config.json`, `metrics.jsonl` (one
JSON object per epoch), `status.json`, `checkpoint.pt`, the serving files, `split.npz` and,
once evaluated, `evaluation.json`. `runs_dir(home)/ACTIVE` names the run that serves; it
changes only after a run's evaluation succeeded. Every JSON file is written through
`data.atomic`, so a reader never sees half a file.
"""
from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from data.atomic import write_text_atomic
from data.home import ACTIVE_FILE, active_run_file, runs_dir
from ml.runs import layout

STATES = ("running", "evaluating", "done", "failed", "cancelled")


@dataclass
class RunInfo:
    run_id: str
    path: Path
    status: dict | None  # status.json, None when missing or unreadable
    config: dict | None  # config.json
    active: bool

    @property
    def state(self) -> str:
        return (self.status or {}).get("state", "unknown")


def new_run_dir(home: Path | None = None) -> Path:
    """A fresh directory named `YYYYmmdd-HHMMSS-xxxx` (sortable by start time, UTC)."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    while True:
        path = runs_dir(home) / f"{stamp}-{secrets.token_hex(2)}"
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue


def resolve_run(ref: str, home: Path | None = None) -> Path | None:
    """A run given by id or path ('active' / 'latest' name those runs); None if not found."""
    if ref in ("active", "latest"):
        info = active_run(home) if ref == "active" else next(iter(list_runs(home)[::-1]), None)
        return info.path if info else None
    path = Path(ref)
    if not path.is_dir():
        path = runs_dir(home) / ref
    return path if (path / layout.CONFIG).exists() or (path / layout.STATUS).exists() else None


def list_runs(home: Path | None = None) -> list[RunInfo]:
    """Every run directory, oldest first."""
    active = _active_id(home)
    out = []
    for path in sorted(p for p in runs_dir(home).iterdir() if p.is_dir()):
        if not ((path / layout.STATUS).exists() or (path / layout.CONFIG).exists()):
            continue
        out.append(RunInfo(run_id=path.name, path=path, status=read_status(path),
                           config=_read_json(path / layout.CONFIG), active=path.name == active))
    return out


def active_run(home: Path | None = None) -> RunInfo | None:
    run_id = _active_id(home)
    if not run_id:
        return None
    path = runs_dir(home) / run_id
    if not path.is_dir():
        return None
    return RunInfo(run_id=run_id, path=path, status=read_status(path),
                   config=_read_json(path / layout.CONFIG), active=True)


def activate(run_dir: Path) -> None:
    """Point ACTIVE at `run_dir` (its parent must be the runs directory)."""
    write_text_atomic(run_dir.parent / ACTIVE_FILE, run_dir.name + "\n")


def read_metrics(run_dir: Path) -> list[dict]:
    """Epoch rows of metrics.jsonl; a torn last line (run still writing) is skipped."""
    path = Path(run_dir) / layout.METRICS
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict):
            rows.append(row)
    return rows


def read_status(run_dir: Path) -> dict | None:
    return _read_json(Path(run_dir) / layout.STATUS)


def read_evaluation(run_dir: Path) -> dict | None:
    return _read_json(Path(run_dir) / layout.EVALUATION)


def served_by(evaluation: dict | None) -> str:
    """The model a run serves, from its evaluation: "served" (chosen on validation NDCG);
    GraphSAGE for a run not evaluated, or evaluated before models were chosen."""
    return (evaluation or {}).get("served") or "gnn"


def served_model_name(run_dir: Path) -> str:
    """The model the run in `run_dir` serves (`served_by` of its evaluation.json)."""
    return served_by(read_evaluation(run_dir))


def write_status(run_dir: Path, state: str, epoch: int, epochs: int, message: str = "") -> None:
    if state not in STATES:
        raise ValueError(f"unknown run state {state!r}")
    write_json_atomic(Path(run_dir) / layout.STATUS, {
        "state": state, "epoch": int(epoch), "epochs": int(epochs), "pid": os.getpid(),
        "message": message,
        "updated_at": datetime.now(timezone.utc).isoformat(timespec="seconds")})


def append_metrics(run_dir: Path, row: dict[str, Any]) -> None:
    with open(Path(run_dir) / layout.METRICS, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(row) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def trim_metrics(run_dir: Path, epoch: int) -> None:
    """Keep only the rows of epochs up to `epoch` (the checkpoint a run resumes from): a
    run killed after an epoch's row but before its checkpoint, or in the middle of a row,
    would otherwise repeat that epoch or keep a torn line."""
    path = Path(run_dir) / layout.METRICS
    if path.exists():
        rows = [r for r in read_metrics(run_dir) if int(r.get("epoch", 0)) <= epoch]
        write_text_atomic(path, "".join(json.dumps(row) + "\n" for row in rows))


def write_json_atomic(path: Path, obj: Any) -> None:
    write_text_atomic(path, json.dumps(obj, indent=2) + "\n")


def _active_id(home: Path | None) -> str | None:
    try:
        return active_run_file(home).read_text(encoding="utf-8").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def _read_json(path: Path) -> dict | None:
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return obj if isinstance(obj, dict) else None
