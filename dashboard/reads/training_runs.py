"""Training runs for the pages, read through `ml.runs.directory` and cached per run and file change.

A finished run's files never change, so its reads are cached on (run id, file
mtimes); a running run's metrics are re-read whenever metrics.jsonl grows.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st

from ml.runs import layout
from ml.runs.directory import RunInfo, list_runs, read_evaluation, read_metrics, read_status


@dataclass
class RunView:
    run_id: str
    path: Path
    status: dict = field(default_factory=dict)  # status.json
    config: dict = field(default_factory=dict)  # config.json
    metrics: list[dict] = field(default_factory=list)  # metrics.jsonl lines
    evaluation: dict = field(default_factory=dict)  # evaluation.json ({} until evaluated)

    @property
    def state(self) -> str:
        return str(self.status.get("state") or "unknown")


def run_infos(home: str | Path) -> list[RunInfo]:
    """Every run, newest first."""
    return list(reversed(list_runs(Path(home))))


def _stamp(path: Path) -> tuple:
    """Changes whenever one of the run's files does (cache key)."""
    out = []
    for name in (layout.STATUS, layout.CONFIG, layout.METRICS, layout.EVALUATION):
        try:
            st_ = (path / name).stat()
            out.append((name, st_.st_mtime_ns, st_.st_size))
        except OSError:
            out.append((name, None, None))
    return tuple(out)


@st.cache_data(max_entries=256, show_spinner=False)
def _read_run(path_str: str, stamp: tuple, _config: dict | None) -> RunView:
    path = Path(path_str)
    return RunView(run_id=path.name, path=path, status=dict(read_status(path) or {}),
                   config=dict(_config or {}), metrics=list(read_metrics(path)),
                   evaluation=dict(read_evaluation(path) or {}))


def read_run(info: RunInfo) -> RunView:
    return _read_run(str(info.path), _stamp(info.path), info.config)


def all_runs(home: str | Path) -> list[RunView]:
    """Every run, newest first."""
    return [read_run(info) for info in run_infos(home)]
