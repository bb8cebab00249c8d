"""Training GraphSAGE: the steps (full-graph propagation, sampled-softmax loss), validation,
and `fit`, the one epoch loop (early stopping, learning-rate decay, best weights).

Every step propagates the whole graph (sparse CSR) and scores a batch of training
playlists' targets against shared negatives; the batch grows with the catalog so that
an epoch has at most `max_steps` steps (its cost linear in edges). Each epoch draws a fresh seed/target
split (ml.training.sampling) from a generator seeded by (seed, epoch), and the global torch RNG
(dropout) is reseeded the same way, so a resumed run continues exactly where the
uninterrupted one would be.
"""
from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
from torch.utils.checkpoint import checkpoint
from tqdm import tqdm

from ml.config import TrainConfig
from ml.dataset.protocol import Case, holdout_split, validation_cases
from ml.errors import UserError
from ml.evaluation.scoring import evaluate_rankers
from ml.models.gnn_scorer import GnnScorer, graph_states
from ml.models.graph import BipartiteEdges, csr
from ml.models.graphsage import PlaylistGraphSAGE, is_large_graph
from ml.runtime import return_freed_memory
from ml.training.sampling import NegativeSampler, sample_epoch, sampled_softmax_loss
from ml.training.training_data import TrainingData, training_data


OWN_TRACKS_CHUNK = 1024  # queries per chunk when marking negatives that are a query's own


@dataclass
class TrainState:
    """What a checkpoint holds besides the config: enough to continue exactly."""
    model: PlaylistGraphSAGE
    optimizer: torch.optim.Optimizer
    epoch: int = 0  # epochs completed
    best_metric: float = -math.inf
    best_epoch: int = 0
    bad_epochs: int = 0
    stopped: bool = False  # early stopping fired
    best_model: dict = field(default_factory=dict)

    def to_checkpoint(self) -> dict:
        return {"epoch": self.epoch, "best_metric": self.best_metric,
                "best_epoch": self.best_epoch, "bad_epochs": self.bad_epochs,
                "stopped": self.stopped, "model": self.model.state_dict(),
                "optimizer": self.optimizer.state_dict(), "best_model": self.best_model}


def new_state(config: TrainConfig, data: TrainingData, device: torch.device) -> TrainState:
    torch.manual_seed(config.seed)
    model = PlaylistGraphSAGE(data.model_spec(config)).to(device)
    # One parameter at a time, not foreach: the model is a few large embedding tables, and
    # foreach's temporaries for all of them at once cost about twice their size (the same
    # updates bit for bit).
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr,
                                  weight_decay=config.weight_decay, foreach=False)
    return TrainState(model=model, optimizer=optimizer,
                      best_model=copy.deepcopy(model.state_dict()))


def restore_state(config: TrainConfig, data: TrainingData, device: torch.device,
                  checkpoint: dict) -> TrainState:
    state = new_state(config, data, device)
    state.model.load_state_dict(checkpoint["model"])
    state.optimizer.load_state_dict(checkpoint["optimizer"])
    state.epoch = int(checkpoint["epoch"])
    state.best_metric = float(checkpoint["best_metric"])
    state.best_epoch = int(checkpoint.get("best_epoch", 0))
    state.bad_epochs = int(checkpoint.get("bad_epochs", 0))
    state.stopped = bool(checkpoint.get("stopped", False))
    state.best_model = {k: v.to(device) for k, v in checkpoint["best_model"].items()}
    return state


class Trainer:
    """Holds the device tensors of one training set; `run_epoch` and `validate` use them."""

    def __init__(self, config: TrainConfig, data: TrainingData, device: torch.device,
                 validation_cases: list[Case]):
        self.config, self.data, self.device = config, data, device
        s = data.snapshot
        self.num_playlists, self.num_tracks = s.num_playlists, s.num_tracks
        self.edge_playlist = torch.from_numpy(data.edge_playlist).to(device)
        self.edge_track = torch.from_numpy(data.edge_track).to(device)
        self.inputs = data.track_inputs(device)
        self.titles = torch.from_numpy(data.playlist_titles).to(device)
        self.sampler = NegativeSampler(torch.from_numpy(data.popularity()).to(device),
                                       config.uniform_negatives, config.popular_negatives,
                                       config.popularity_exponent)
        self.graph = BipartiteEdges(self.edge_playlist, self.edge_track, self.num_playlists,
                                    self.num_tracks)
        self.validation_cases = validation_cases
        self.last_epoch_steps = 0  # steps of the last epoch
        self.last_epoch_edges = 0  # message-passing edges over its steps (each edge both ways)

    def batch_size(self, num_playlists: int) -> int:
        """Playlists per step: `batch_playlists`, grown so that an epoch takes at most
        `max_steps` steps. Each step propagates the whole graph, so a fixed batch would
        make an epoch cost playlists × edges; a capped step count keeps it linear in edges."""
        cfg = self.config
        if cfg.max_steps <= 0:
            return cfg.batch_playlists
        return max(cfg.batch_playlists, math.ceil(num_playlists / cfg.max_steps))

    def run_epoch(self, state: TrainState, epoch: int, *, progress: bool = False,
                  step_limit: int | None = None) -> float:
        """One pass over the training playlists; returns the mean loss. `step_limit` stops
        it early (benchmarks measuring the first steps)."""
        cfg, model = self.config, state.model
        seed = _epoch_seed(cfg.seed, epoch)
        torch.manual_seed(seed)
        gen = torch.Generator(device=self.device).manual_seed(seed)
        task = sample_epoch(self.edge_playlist, self.edge_track, self.num_playlists,
                            targets_per_playlist=cfg.targets_per_playlist,
                            title_only_share=cfg.title_only_share, generator=gen)
        playlists = torch.unique(task.target_playlist)
        playlists = playlists[torch.randperm(len(playlists), generator=gen, device=self.device)]
        batches = torch.split(playlists, self.batch_size(len(playlists)))[:step_limit]
        model.train()
        losses = []
        self.last_epoch_steps = self.last_epoch_edges = 0
        local = torch.full((self.num_playlists,), -1, dtype=torch.long, device=self.device)
        # On a large graph, what a step freed goes back to the system before the next step
        # allocates (its heap would fragment); on a small one, re-faulting it costs more.
        trim = is_large_graph(self.num_playlists + self.num_tracks, cfg.dim)
        with tqdm(batches, desc=f"epoch {epoch}", unit="step", disable=not progress,
                  leave=False, dynamic_ncols=True) as bar:
            for batch in bar:
                local[batch] = torch.arange(len(batch), device=self.device)
                loss = self._step(state, task, batch, local, gen)
                local[batch] = -1
                if trim:
                    return_freed_memory()
                losses.append(loss)
                bar.set_postfix(loss=f"{loss:.4f}")
        return float(np.mean(losses)) if losses else math.nan

    def _step(self, state: TrainState, task, batch, local, gen) -> float:
        cfg, model = self.config, state.model
        inputs = self.inputs
        state.optimizer.zero_grad(set_to_none=True)  # the last step's gradients: not kept
        # Some tracks play "new": no id embedding, no edges, as a track added to the catalog
        # after training will be; half of them also without their album, as crawled tracks
        # and MPD extracts often are (then the artist and features must carry them). The
        # rest lose only their id sometimes (id_dropout).
        cold = torch.rand(self.num_tracks, generator=gen, device=self.device) < cfg.cold_share
        if cfg.id_dropout > 0 or cfg.cold_share > 0:
            hide = cold | (torch.rand(self.num_tracks, generator=gen, device=self.device)
                           < cfg.id_dropout)
            no_album = cold & (torch.rand(self.num_tracks, generator=gen, device=self.device) < 0.5)
            inputs = inputs._replace(track=inputs.track * ~hide, album=inputs.album * ~no_album)
        # The batch's playlists leave the graph, as held-out playlists are never in it.
        adj_pt, adj_tp = self.graph.adjacency(drop=local >= 0,
                                              drop_tracks=cold if cfg.cold_share > 0 else None)
        self.last_epoch_steps += 1
        self.last_epoch_edges += int(adj_pt._nnz())
        negatives = self.sampler.sample(gen)
        states = model.track_states(model.track_inputs(inputs), adj_pt, adj_tp)
        loss = self._loss(model, states, task, batch, local, negatives)
        loss.backward()
        state.optimizer.step()
        return float(loss.detach())

    def _loss(self, model, states: list[torch.Tensor], task, batch, local,
              negatives) -> torch.Tensor:
        """The step's loss over the batch's queries, `loss_chunk` queries at a time.

        A query's scores against every negative ([chunk, M] matrices), its own-track mask
        and its fold-in solves are computed for one chunk at a time and not kept for the
        backward pass: each chunk is recomputed there (activation checkpointing), so a
        step's memory does not grow with the batch. The graph-wide track states (and the
        fold-in's VᵀV) are computed once for all chunks. Each chunk's mean is weighted by
        its share of the pairs, so loss and gradients are those of the whole batch at once
        (up to float rounding); a batch of one chunk runs exactly as an unchunked step.
        """
        seed_query = local[task.seed_playlist]
        in_batch = seed_query >= 0
        seed_query, seed_track = seed_query[in_batch], task.seed_track[in_batch]
        pair_query = local[task.target_playlist]
        in_batch = pair_query >= 0
        pair_query, positives = pair_query[in_batch], task.target_track[in_batch]
        size = self.config.loss_chunk if self.config.loss_chunk > 0 else len(batch)
        starts = range(0, len(batch), size)
        chunked = len(starts) > 1
        gram = model.gram(states[-1]) if chunked and model.spec.fold_in else None
        vectors, log_q = states[-1], self.sampler.log_expected

        def chunk_loss(start: int, end: int, weight: float) -> torch.Tensor:
            seeds = (seed_query >= start) & (seed_query < end) if chunked else slice(None)
            adj_query = csr(seed_query[seeds] - start, seed_track[seeds], end - start,
                            self.num_tracks)
            queries = model.playlist_embedding(states, adj_query, self.titles[batch[start:end]],
                                               gram)
            pairs = (pair_query >= start) & (pair_query < end) if chunked else slice(None)
            targets = positives[pairs]
            accidental = self._own_tracks(batch[start:end], local, negatives, start)
            loss = sampled_softmax_loss(queries, pair_query[pairs] - start, vectors[targets],
                                        vectors[negatives], log_q[targets], log_q[negatives],
                                        accidental)
            return loss * weight if chunked else loss

        if not chunked:
            return chunk_loss(0, len(batch), 1.0)
        counts = torch.bincount(pair_query, minlength=len(batch)).cumsum(0).tolist()
        total = None
        for start in starts:
            end = min(start + size, len(batch))
            share = (counts[end - 1] - (counts[start - 1] if start else 0)) / len(positives)
            loss = checkpoint(chunk_loss, start, end, share, use_reentrant=False)
            total = loss if total is None else total + loss
        return total

    def _own_tracks(self, queries, local, negatives, start: int = 0) -> torch.Tensor:
        """bool [Q, M]: negative m is one of query playlist q's own tracks; `queries` are
        the batch's playlists from position `start` on (`local` maps a playlist to its
        position in the batch)."""
        if self.sampler.exhaustive:  # negatives are all tracks: mark the queries' edges
            row = local[self.edge_playlist] - start
            own = (row >= 0) & (row < len(queries))
            mask = torch.zeros(len(queries), self.num_tracks, dtype=torch.bool,
                               device=self.device)
            mask[row[own], self.edge_track[own]] = True
            return mask
        # The queries' own edges, from the graph's playlist-sorted edges: keys (position ×
        # T + track) ascending, looked up in chunks of queries (their keys against every
        # negative are Q × M int64s).
        edges = self.graph
        out = torch.empty(len(queries), len(negatives), dtype=torch.bool, device=self.device)
        for at in range(0, len(queries), OWN_TRACKS_CHUNK):
            chunk = queries[at:at + OWN_TRACKS_CHUNK]
            first, count = edges.pt_start[chunk], edges.pt_start[chunk + 1] - edges.pt_start[chunk]
            owner = torch.repeat_interleave(torch.arange(len(chunk), device=self.device), count)
            offset = torch.arange(len(owner), device=self.device) - \
                torch.repeat_interleave(torch.cumsum(count, 0) - count, count)
            own = owner * self.num_tracks + edges.pt_cols[first[owner] + offset].long()
            keys = torch.arange(len(chunk), device=self.device).unsqueeze(1) * self.num_tracks \
                + negatives.unsqueeze(0)
            if len(own) == 0:
                out[at:at + OWN_TRACKS_CHUNK] = False
                continue
            found = torch.searchsorted(own, keys).clamp(max=len(own) - 1)
            out[at:at + OWN_TRACKS_CHUNK] = own[found] == keys
        return out

    def states(self, model: PlaylistGraphSAGE) -> list[torch.Tensor]:
        """Track states over every training edge: what validation, evaluation and serving use."""
        return graph_states(model, self.inputs, *self.graph.adjacency())

    def validate(self, model: PlaylistGraphSAGE) -> dict[str, float]:
        scorer = GnnScorer(model, self.states(model), self.data.vocab, self.device)
        result = evaluate_rankers([scorer], self.validation_cases, self.data.snapshot.track_artist,
                                  batch_size=self.config.eval_batch)
        overall = result["overall"]["gnn"]
        return {f"val_{k}": v for k, v in overall.items()}


def _epoch_seed(seed: int, epoch: int) -> int:
    return (seed * 1_000_003 + epoch * 7919) % (2**63 - 1)


def sync(device: torch.device) -> None:
    """Wait for queued GPU work, so wall-clock times are real."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed_epoch(trainer: Trainer, state: TrainState, epoch: int, **kw) -> tuple[float, float]:
    """(mean loss, seconds) of one training epoch, validation excluded."""
    sync(trainer.device)
    started = time.perf_counter()
    loss = trainer.run_epoch(state, epoch, **kw)
    sync(trainer.device)
    return loss, time.perf_counter() - started


def config_holdout(snapshot, config: TrainConfig):
    """The run's split of the snapshot by playlist, as the config's protocol fields say."""
    return holdout_split(snapshot, test_fraction=config.test_fraction,
                         validation_fraction=config.validation_fraction,
                         max_test=config.max_test, max_validation=config.max_validation,
                         seed=config.split_seed)


def build_trainer(config: TrainConfig, snapshot, device: torch.device):
    """Split the snapshot by playlist, build the training arrays and the trainer.

    Returns (holdout, training data, trainer); the one set-up both `ml train` and
    `benchmarks/train.py` use.
    """
    holdout = config_holdout(snapshot, config)
    data = training_data(snapshot, holdout, config)
    trainer = Trainer(config, data, device,
                      validation_cases(snapshot, holdout.validation, config.split_seed,
                                       config.max_validation_cases))
    return holdout, data, trainer


@dataclass
class EpochReport:
    """One finished epoch, as `fit` hands it to its `on_epoch`."""
    epoch: int
    loss: float
    seconds: float  # the epoch with its validation
    train_seconds: float  # the training steps alone
    validation: dict[str, float]  # val_r_precision, val_ndcg, ... (Trainer.validate)
    score: float  # validation[config.early_stopping]
    improved: bool  # a new best: its weights are now state.best_model


def fit(config: TrainConfig, trainer: Trainer, state, *, progress: bool = False,
        deadline: float | None = None,
        on_epoch: Callable[[EpochReport], None] | None = None) -> None:
    """Train `state` from its last epoch up to `config.epochs`: the one epoch loop.

    Keeps the best weights by `config.early_stopping` in `state.best_model`, halves the
    learning rate every `lr_patience` epochs without a new best, and stops after
    `patience` of them (`state.stopped`), or once `time.perf_counter()` passes `deadline`.
    `on_epoch` sees every epoch after `state` is updated (run files, a benchmark's table).
    """
    for epoch in range(state.epoch + 1, config.epochs + 1):
        if state.stopped:
            break
        started = time.perf_counter()
        loss, train_seconds = timed_epoch(trainer, state, epoch, progress=progress)
        if not math.isfinite(loss):
            raise UserError(f"the loss diverged at epoch {epoch}; lower --lr and retrain")
        val = trainer.validate(state.model)
        score = val[config.early_stopping]
        improved = score > state.best_metric + 1e-9
        if improved:
            state.best_metric, state.best_epoch, state.bad_epochs = score, epoch, 0
            state.best_model = {k: v.detach().clone() for k, v in state.model.state_dict().items()}
        else:
            state.bad_epochs += 1
            if config.lr_patience and state.bad_epochs % config.lr_patience == 0:
                # The learning rate lives in the optimizer's state, so --resume keeps it.
                for group in state.optimizer.param_groups:
                    group["lr"] *= config.lr_decay
        state.epoch = epoch
        state.stopped = state.bad_epochs >= config.patience > 0
        if on_epoch is not None:
            on_epoch(EpochReport(epoch, loss, time.perf_counter() - started, train_seconds, val,
                                 score, improved))
        if deadline is not None and time.perf_counter() > deadline:
            break
