"""The model in use: which run serves, and a cached recommender for it.

The recommender is cached per (home, serving run, `model_version`): a finished
retraining switches `ACTIVE`, the next page run loads the new model, and until then
the previous one keeps answering. Recommendations themselves are cached per seed list.
"""
from __future__ import annotations

import importlib
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from data.home import runs_dir
from data.store import Catalog
from ml.runs.directory import active_run, served_model_name


def serving_run_id(home: str | Path) -> str | None:
    """The id of the run in `runs/ACTIVE`, or None while no trained model exists."""
    run = active_run(Path(home))
    return run.run_id if run else None


def served_model(home: str | Path, run_id: str) -> str:
    """The model run `run_id` serves: its evaluation's "served", GraphSAGE for a run that
    was not evaluated."""
    return served_model_name(runs_dir(Path(home)) / run_id)


def model_version(home: str | Path, version: int, run_id: str | None) -> int:
    """The store version the served model depends on, its cache key: the catalog's for
    GraphSAGE (it places tracks added after training) and for the co-occurrence served
    before any run (over the whole catalog); -1 for a run's baselines and two-stage model,
    fitted on the run's own snapshot, so that a crawl or an ingest does not reload them.
    (A run whose files cannot be read serves co-occurrence as of its first load.)"""
    if run_id is None or served_model(home, run_id) == "gnn":
        return version
    return -1


@dataclass
class SharedRecommender:
    """The recommender in use, shared by every session of the server."""
    name: str  # the served model: 'gnn', 'reranked', 'als', 'itemknn' or 'popularity'
    run_id: str | None
    note: str  # why this recommender serves, when it is a fallback
    _recommender: object
    _lock: threading.Lock  # one recommend() at a time: sessions share the model and its catalog

    def recommend(self, seed_track_ids: list[int], k: int,
                  title: str | None = None) -> tuple[list[tuple[int, float]], list[int]]:
        """((track id, score) best first, seeds the model could not use)."""
        with self._lock:
            recs = self._recommender.recommend(seed_track_ids, k=k, title=title)
        return ([(int(r.track_id), float(r.score)) for r in recs],
                [int(s) for s in recs.skipped_seeds])

    def explain(self, seed_track_ids: list[int], track_ids: list[int],
                title: str | None = None) -> dict[int, dict[str, float]]:
        """Per track: the re-ranker's feature contributions (empty for a single model)."""
        with self._lock:
            return self._recommender.explain(seed_track_ids, track_ids, title=title)


@st.cache_resource
def prewarm() -> threading.Thread:
    """Import the model code (torch, lightgbm: seconds) in the background once per server,
    after the first page is drawn, so that Recommendations finds it loaded."""
    thread = threading.Thread(target=importlib.import_module, args=("ml.serving.recommender",),
                              name="import-ml-serving", daemon=True)
    thread.start()
    return thread


@st.cache_resource(max_entries=2, show_spinner=False)
def _model_load(home: str, version: int, run_id: str | None) -> Future:
    """The served model's load, started once per key in a thread of its own: on a large
    catalog it takes minutes (the co-occurrence served before any run needs the graph
    snapshot of the store version), and no page should be blocked that long."""
    future: Future = Future()

    def load() -> None:
        from ml.serving.recommender import load_recommender

        try:
            with Catalog.open(Path(home)) as catalog:
                recommender = load_recommender(catalog, home=Path(home))
            future.set_result(SharedRecommender(
                name=recommender.name, run_id=recommender.run_id, note=recommender.note,
                _recommender=recommender, _lock=threading.Lock()))
        except BaseException as exc:  # handed to the page that asks next
            future.set_exception(exc)

    future.set_running_or_notify_cancel()
    threading.Thread(target=load, name="load-served-model", daemon=True).start()
    return future


def serving_model(home: str, version: int, run_id: str | None,
                  wait_s: float | None = None) -> SharedRecommender | None:
    """The recommender; `version` is `model_version`'s (the catalog is read as it is now).
    None while it is still loading after `wait_s` seconds (None: wait until it is loaded).
    A load that failed raises here, once, and is tried again on the next call."""
    future = _model_load(home, version, run_id)
    if not future.done():
        with st.spinner("Loading the model…"):
            try:
                future.result(timeout=wait_s)
            except FutureTimeout:
                return None
            except BaseException:
                pass  # raised below
    if future.exception() is not None:
        _model_load.clear(home, version, run_id)
    return future.result()


def model_loaded(home: str, version: int, run_id: str | None) -> bool:
    """Whether the load `serving_model` started has ended (loaded or failed)."""
    return _model_load(home, version, run_id).done()


@st.cache_data(max_entries=64, show_spinner="Reading the re-ranker's reasons…")
def explain(home: str, version: int, run_id: str | None, seeds: tuple[int, ...],
            track_ids: tuple[int, ...], title: str | None = None) -> dict[int, dict[str, float]]:
    return serving_model(home, version, run_id).explain(list(seeds), list(track_ids), title)


@st.cache_data(max_entries=64, show_spinner="Ranking tracks…")
def recommend(home: str, version: int, run_id: str | None, seeds: tuple[int, ...], k: int,
              title: str | None = None) -> tuple[list[tuple[int, float]], list[int]]:
    return serving_model(home, version, run_id).recommend(list(seeds), k, title)
