"""Recommendations for any seed list, from the active run (or co-occurrence before any run).

`load_recommender(catalog)` returns the active run's GNN; a playlist that was never
trained on, a typed-in list or a user's liked tracks is embedded from its seeds on
the spot (no retraining). Tracks added to the catalog after training are embedded
from their audio features and, when the run knows them, their artist and album;
a new track with none of these cannot be placed and is reported in `skipped_seeds`.
The active run serves the model its evaluation names in "served" (the best on validation
NDCG); before the first run is active, item–item co-occurrence over the catalog serves.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from data.graph_reads import track_metadata
from data.store import Catalog
from ml.dataset.audio_features import encode_features
from ml.dataset.snapshot import GraphSnapshot, load_snapshot
from ml.dataset.titles import normalize_title
from ml.runs.ann_index import AnnIndexError, load_index
from ml.rerank.ann_stage import IndexedRanker, IndexedSources
from ml.errors import UserError
from ml.models.baselines import ALS, ItemKNN, Popularity, TitlePopularity, interaction_matrix
from ml.models.gnn_scorer import GnnScorer, eval_mode
from ml.models.graph import bipartite_adjacency
from ml.models.ranking import Ranker
from ml.rerank.booster import TwoStage, load_booster
from ml.rerank.features import feature_names
from ml.rerank.two_stage import first_stage, track_context
from ml.runs.artifacts import ArtifactError, ServingModel, load_als, load_model, run_training_data
from ml.runs import layout
from ml.runs.directory import active_run, list_runs, read_evaluation, served_by
from ml.training.fit_baselines import BaselineInputs, build_baselines
from ml.training.tuned_models import TUNED, refit
from ml.training.training_data import track_inputs


@dataclass(frozen=True)
class Recommendation:
    track_id: int  # catalog id (tracks.id)
    score: float


class RecommendationList(list):
    """A list of Recommendation that also says which seeds could not be used."""

    def __init__(self, items: Sequence[Recommendation] = (), skipped_seeds: Sequence[int] = ()):
        super().__init__(items)
        self.skipped_seeds = list(skipped_seeds)


class Recommender:
    """Any `ml.models.ranking.Ranker` served over catalog ids: `name`, `run_id`, `note`,
    `recommend`, and `skipped_seeds` of the last call. Subclasses only map catalog track
    ids to the ranker's rows and back."""

    name: str = ""
    run_id: str | None = None
    note: str = ""  # why this recommender serves (e.g. no active run yet)
    ranker: Ranker

    def __init__(self) -> None:
        self.skipped_seeds: list[int] = []

    def recommend(self, seed_track_ids: Sequence[int], k: int = 20, *,
                  title: str | None = None) -> RecommendationList:
        """Top-k catalog tracks for the seeds (never a seed), best first."""
        seeds = list(dict.fromkeys(int(t) for t in seed_track_ids))
        rows, skipped = self._rows(seeds)
        used = rows[rows >= 0]
        index, values = self.ranker.recommend([used], [normalize_title(title)], max(int(k), 0))
        ids = self._catalog_ids(index[0][index[0] >= 0])
        out = RecommendationList([Recommendation(int(t), float(s))
                                  for t, s in zip(ids, values[0][index[0] >= 0])], skipped)
        self.skipped_seeds = out.skipped_seeds
        return out

    def explain(self, seed_track_ids: Sequence[int], track_ids: Sequence[int], *,
                title: str | None = None) -> dict[int, dict[str, float]]:
        """Per recommended catalog track: each re-ranker feature's contribution to its
        score; empty for models without a re-ranker (their score is the only reason)."""
        explain = getattr(self.ranker, "explain", None)
        if explain is None:
            return {}
        rows, _ = self._rows(list(dict.fromkeys(int(t) for t in seed_track_ids)))
        wanted, _ = self._rows([int(t) for t in track_ids])
        found = explain(rows[rows >= 0], normalize_title(title), wanted[wanted >= 0])
        ids = self._catalog_ids(np.array(list(found), np.int64)) if found else []
        return {int(i): found[r] for i, r in zip(ids, found)}

    def _rows(self, seeds: list[int]) -> tuple[np.ndarray, list[int]]:
        raise NotImplementedError

    def _catalog_ids(self, rows: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class GnnRecommender(Recommender):
    name = "gnn"

    def __init__(self, served: ServingModel, run_id: str | None,
                 extra_ids: np.ndarray | None = None, extra_states: list[np.ndarray] | None = None,
                 index=None):
        """index: the run's `ml.runs.ann_index.TrackIndex` over its track vectors (None: exact)."""
        super().__init__()
        self.run_id = run_id
        self.extra_ids = np.zeros(0, np.int64) if extra_ids is None else extra_ids
        layers = served.states.shape[0]
        extra = extra_states or [np.zeros((0, served.states.shape[2]), np.float32)] * layers
        self._ids = np.concatenate([served.track_ids, self.extra_ids])
        self._order = np.argsort(self._ids, kind="stable")
        states = [_Rows(served.states[layer], extra[layer]) for layer in range(layers)]
        vectors = torch.from_numpy(np.concatenate([np.asarray(served.states[-1]), extra[-1]]))
        self.scorer = GnnScorer(served.model, states, served.titles, "cpu", vectors=vectors)
        self.ranker = self.scorer
        if index is not None:
            index.add(extra[-1])  # tracks embedded since training take the next rows
            self.ranker = IndexedRanker(self.scorer, IndexedSources({"gnn": index}, None))

    @classmethod
    def load(cls, run_dir: Path, catalog: Catalog | None = None,
             exact: bool = False) -> "GnnRecommender":
        """The run's model; with a catalog, tracks added since training join the candidates.
        Served from the run's ANN index when it has one, unless `exact`."""
        served = load_model(run_dir)
        index = None if exact else load_index(run_dir, "gnn", served.states[-1])
        if catalog is None or catalog.version() == served.snapshot_version:
            return cls(served, run_dir.name, index=index)
        new = np.setdiff1d(catalog.track_ids(), served.track_ids)
        ids, states = embed_new_tracks(served, catalog, new)
        return cls(served, run_dir.name, ids, states, index=index)

    def _rows(self, seeds: list[int]) -> tuple[np.ndarray, list[int]]:
        rows = _lookup(self._ids, self._order, np.array(seeds, np.int64))
        return rows, [s for s, r in zip(seeds, rows) if r < 0]

    def _catalog_ids(self, rows: np.ndarray) -> np.ndarray:
        return self._ids[rows]


def embed_new_tracks(served: ServingModel, catalog: Catalog,
                     new_ids: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """States of tracks the run never saw, from features, artist and album (no graph edges:
    the same layers run over an empty graph). Tracks with none of the three are left out."""
    layers, _, dim = served.states.shape
    meta = track_metadata(catalog, new_ids.tolist())
    artist = _vocab_index(served.artist_ids, meta.artist)
    album = _vocab_index(served.album_ids, meta.album)
    usable = meta.has_features | (artist >= 0) | (album >= 0)
    n = int(usable.sum())
    if n == 0:
        return np.zeros(0, np.int64), [np.zeros((0, dim), np.float32)] * layers
    features = meta.features[usable]
    mask = ~np.isnan(features)
    encoded = encode_features(np.where(mask, features, 0.0), mask, served.feature_mean,
                              served.feature_std)
    inputs = track_inputs(encoded, np.full(n, -1), served.track_seen, artist[usable],
                          served.artist_seen, album[usable], served.album_seen)
    empty = torch.zeros(0, dtype=torch.int64)
    adj_pt, adj_tp = bipartite_adjacency(empty, empty, 0, n)
    with eval_mode(served.model) as model:
        states = model.track_states(model.track_inputs(inputs), adj_pt, adj_tp)
    return meta.track_ids[usable], [s.numpy() for s in states]


class RankerRecommender(Recommender):
    """A baseline over a snapshot's tracks: the run's served baseline when it beat the GNN
    on validation, or item co-occurrence over the whole catalog before any run is active."""

    def __init__(self, ranker: Ranker, snapshot: GraphSnapshot, degree: np.ndarray,
                 run_id: str | None = None, note: str = ""):
        super().__init__()
        self.ranker, self.snapshot, self._degree = ranker, snapshot, degree
        self.name, self.run_id, self.note = ranker.name, run_id, note

    @classmethod
    def catalog_itemknn(cls, catalog: Catalog, home: Path | None, note: str,
                        exact: bool = False) -> "RankerRecommender":
        """Co-occurrence over every playlist in the catalog; serves until a run is active."""
        snapshot = load_snapshot(catalog, home)
        interactions = interaction_matrix(snapshot.edge_playlists(),
                                          snapshot.pl_tracks.astype(np.int64),
                                          snapshot.num_playlists, snapshot.num_tracks)
        titles = [snapshot.normalized_title(p) for p in range(snapshot.num_playlists)]
        by_title = TitlePopularity(interactions, titles, Popularity(interactions))
        knn = ItemKNN(interactions, by_title)
        ranker: Ranker = knn if exact else IndexedRanker(knn, IndexedSources({}, by_title))
        return cls(ranker, snapshot, snapshot.track_degrees(), note=note)

    @classmethod
    def run_model(cls, run_dir: Path, name: str, catalog: Catalog,
                  home: Path | None, exact: bool = False) -> "RankerRecommender":
        """The model `name` of a run as the run evaluated it: a baseline fitted on the run's
        training playlists (ALS from its saved, tuned factors), or the two-stage model
        ("reranked") over them with its saved re-ranker. From the run's ANN indexes and
        sparse rows unless `exact` (or the run has no index: then exactly)."""
        config, data = run_training_data(run_dir, catalog, home)
        inputs = BaselineInputs.of(data)
        if name == "reranked":
            ranker: Ranker = two_stage_from_run(run_dir, data, inputs, exact)
        elif name == "als":
            ranker = saved_als(run_dir, inputs)
        elif name in TUNED:  # refitted with the values the run tuned on validation
            ranker = refit(name, inputs, tuned_params(run_dir, name))
        else:
            ranker = build_baselines([name], data, config, inputs=inputs)[0][0]
        if name != "reranked" and not exact:
            indexes = run_indexes(run_dir, {ranker.name: ranker})
            sources = IndexedSources(indexes, inputs.by_title)
            if sources.supports(ranker):
                ranker = IndexedRanker(ranker, sources)
        return cls(ranker, data.snapshot, data.popularity(), run_dir.name,
                   note=f"{name} scored best on validation NDCG in run {run_dir.name}")

    def _rows(self, seeds: list[int]) -> tuple[np.ndarray, list[int]]:
        rows = self.snapshot.track_index(np.array(seeds, np.int64))
        # A track in no (training) playlist has nothing these models know it by.
        usable = rows >= 0
        usable[usable] = self._degree[rows[usable]] > 0
        return np.where(usable, rows, -1), [s for s, ok in zip(seeds, usable) if not ok]

    def _catalog_ids(self, rows: np.ndarray) -> np.ndarray:
        return self.snapshot.track_ids[rows]


def saved_als(run_dir: Path, inputs: BaselineInputs) -> ALS:
    """The run's tuned ALS from als.npz."""
    factors, params = load_als(run_dir)
    return ALS.from_factors(factors, inputs.by_title, **params)


def run_indexes(run_dir: Path, sources: dict[str, Ranker]) -> dict:
    """{name: ml.runs.ann_index.TrackIndex} of the run's indexes for the given vector models (those the
    run has an index for); AnnIndexError when one is corrupt or stale."""
    indexes = {}
    for name, ranker in sources.items():
        if isinstance(ranker, GnnScorer):
            vectors = ranker.states[-1]
        elif isinstance(ranker, ALS):
            vectors = ranker.model.item_factors
        else:
            continue
        index = load_index(run_dir, name, vectors)
        if index is not None:
            indexes[name] = index
    return indexes


def tuned_params(run_dir: Path, name: str) -> dict:
    """The values a run tuned for baseline `name` (evaluation.json), ArtifactError if none."""
    params = (read_evaluation(run_dir) or {}).get(name, {}).get("params")
    if not params:
        raise ArtifactError(f"{run_dir}/evaluation.json has no tuned {name}; re-evaluate it "
                            f"with python -m ml evaluate {run_dir.name}")
    return params


def two_stage_from_run(run_dir: Path, data, inputs: BaselineInputs,
                       exact: bool = False) -> TwoStage:
    """The run's two-stage model: its sources rebuilt from the run's files (GraphSAGE's
    saved states, ALS's saved factors, item-kNN from the training playlists, the other
    sources refitted on them with the values reranker.json keeps) and its saved booster.
    Its first stage reads the run's ANN indexes unless `exact` (or the run has none:
    older runs are served exactly)."""
    booster, meta = load_booster(run_dir)
    if meta.get("features") != feature_names(meta["sources"]):
        # A booster from before the present features (the seed features came with RP3beta
        # and EASE^R) would be handed columns it never saw.
        raise ArtifactError(f"{run_dir}/reranker.txt was trained on other features; "
                            f"re-evaluate with python -m ml evaluate {run_dir.name}")
    sources: list[Ranker] = []
    for name in meta["sources"]:
        if name == "gnn":
            served = load_model(run_dir)
            sources.append(GnnScorer(served.model, served.states, served.titles, "cpu",
                                     vectors=torch.from_numpy(np.array(served.states[-1]))))
        elif name == "als":
            sources.append(saved_als(run_dir, inputs))
        elif name == "itemknn":
            sources.append(ItemKNN(inputs.interactions, inputs.by_title))
        elif name in TUNED and name in meta.get("source_params", {}):
            sources.append(refit(name, inputs, meta["source_params"][name]))
        else:
            raise ArtifactError(f"{run_dir}/reranker.json names an unknown model {name!r}; "
                                f"re-evaluate with python -m ml evaluate {run_dir.name}")
    indexes = None if exact else run_indexes(run_dir, {s.name: s for s in sources})
    return TwoStage(first_stage(sources, inputs, int(meta["candidates"]), indexes),
                    track_context(data, inputs), booster)


def load_recommender(catalog: Catalog, home: Path | None = None,
                     exact: bool = False) -> Recommender:
    """The active run's served model (`evaluation.json` "served": the best on validation
    NDCG, the GNN for runs evaluated before that field). Should the active run's files be
    missing or damaged, the newest other evaluated run that loads serves instead (`note`
    says why); item co-occurrence over the catalog serves when no run is active or none
    loads. Candidates come from the run's ANN indexes unless `exact`; a run without
    indexes, or with an unusable one (the note says which and how to rebuild it), is
    served exactly."""
    run = active_run(home)
    if run is None:
        return RankerRecommender.catalog_itemknn(
            catalog, home, "no trained run is active yet; serving item co-occurrence", exact)
    problem = ""
    for candidate in [run, *_earlier_evaluated_runs(run.run_id, home)]:
        try:
            try:
                recommender = _run_recommender(candidate, catalog, home, exact)
            except AnnIndexError as exc:
                recommender = _run_recommender(candidate, catalog, home, True)
                recommender.note = f"{exc} (served exactly meanwhile)"
                return recommender
        except (ArtifactError, UserError) as exc:
            problem = problem or f"active run {run.run_id} unusable ({exc})"
            continue
        if candidate is not run:
            recommender.note = (f"{problem}; serving run {candidate.run_id}, the newest "
                                "run that loads")
        return recommender
    return RankerRecommender.catalog_itemknn(catalog, home,
                                             f"{problem}; serving item co-occurrence", exact)


def _earlier_evaluated_runs(active_id: str, home: Path | None) -> list:
    """Finished, evaluated runs other than the active one, newest first: those that could
    serve in its place."""
    return [r for r in reversed(list_runs(home)) if r.run_id != active_id
            and (r.status or {}).get("state") == "done" and (r.path / layout.EVALUATION).exists()]


def _run_recommender(run, catalog: Catalog, home: Path | None, exact: bool) -> Recommender:
    evaluation = _evaluation(run.path)
    served = served_by(evaluation)
    if served != "gnn":
        return RankerRecommender.run_model(run.path, served, catalog, home, exact)
    recommender: Recommender = GnnRecommender.load(run.path, catalog, exact)
    recommender.note = (f"GraphSAGE scored best on validation NDCG in run {run.run_id}"
                        if "served" in evaluation else
                        f"GraphSAGE of run {run.run_id} (evaluated before models were "
                        "chosen on validation; re-evaluate it to choose)")
    return recommender


def _evaluation(run_dir: Path) -> dict:
    """The run's evaluation.json; ArtifactError when it is missing or unreadable (a run
    serves the model its evaluation chose, so without it the run cannot serve)."""
    evaluation = read_evaluation(run_dir)
    if evaluation is None:
        what = "is missing" if not (run_dir / layout.EVALUATION).exists() else \
            "is truncated or corrupt"
        raise ArtifactError(f"{run_dir}/{layout.EVALUATION} {what}; re-evaluate the run with "
                            f"python -m ml evaluate {run_dir.name} --activate")
    return evaluation


class _Rows:
    """Row access to a (memory-mapped) run array followed by rows computed at load."""

    def __init__(self, base: np.ndarray, extra: np.ndarray):
        self.base, self.extra = base, extra

    def __getitem__(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, np.int64)
        n = len(self.base)
        out = np.empty((len(rows), self.base.shape[1]), np.float32)
        in_base = rows < n
        out[in_base] = self.base[rows[in_base]]
        out[~in_base] = self.extra[rows[~in_base] - n]
        return out


def _lookup(ids: np.ndarray, order: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    if len(ids) == 0:
        return np.full(len(wanted), -1, np.int64)
    pos = np.minimum(np.searchsorted(ids, wanted, sorter=order), len(ids) - 1)
    return np.where(ids[order[pos]] == wanted, order[pos], -1)


def _vocab_index(vocab: np.ndarray, values: np.ndarray) -> np.ndarray:
    if len(vocab) == 0:
        return np.full(len(values), -1, np.int64)
    pos = np.minimum(np.searchsorted(vocab, values), len(vocab) - 1)
    return np.where((values >= 0) & (vocab[pos] == values), pos, -1)
