"""Recomputing the propagation in the backward pass (activation checkpointing) trains
exactly as keeping every intermediate would. Only large graphs (LARGE_GRAPH) recompute,
and only their steps hand freed memory back to the system."""
from __future__ import annotations

import torch
import torch.utils.checkpoint

import ml.models.graphsage
import ml.training.trainer
from ml.training.trainer import build_trainer, new_state
from testkit.synthetic import synthetic_snapshot
from tests.ml.conftest import fast_config


def _train_steps(config, snapshot):
    _, data, trainer = build_trainer(config, snapshot, torch.device("cpu"))
    state = new_state(config, data, torch.device("cpu"))
    loss = trainer.run_epoch(state, 1, step_limit=3)
    return loss, {k: v.clone() for k, v in state.model.state_dict().items()}


def _counting_checkpoints(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = torch.utils.checkpoint.checkpoint

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(ml.models.graphsage, "checkpoint", counted)
    return calls


def test_checkpointed_steps_give_the_same_weights(monkeypatch):
    snapshot = synthetic_snapshot(num_playlists=300, num_tracks=500, num_edges=6000, seed=5)
    config = fast_config(layers=3, dropout=0.1, activation="gelu", batch_playlists=32)
    calls = _counting_checkpoints(monkeypatch)
    monkeypatch.setattr(ml.models.graphsage, "LARGE_GRAPH", 0)
    loss, weights = _train_steps(config, snapshot)
    assert len(calls) == 3 * 3  # per step: the inputs and two rounds
    monkeypatch.setattr(ml.models.graphsage, "LARGE_GRAPH", 1 << 62)
    plain_loss, plain_weights = _train_steps(config, snapshot)
    assert len(calls) == 9  # none more
    assert loss == plain_loss
    assert all(torch.equal(weights[k], plain_weights[k]) for k in weights)


def test_only_large_graphs_recompute(monkeypatch):
    """The default threshold: a graph of 800 nodes keeps its activations. At a threshold of
    800 nodes × dim, the rounds (over all 800) recompute, the inputs (500 tracks) do not."""
    snapshot = synthetic_snapshot(num_playlists=300, num_tracks=500, num_edges=6000, seed=5)
    calls = _counting_checkpoints(monkeypatch)
    _train_steps(fast_config(layers=3, batch_playlists=32), snapshot)
    assert calls == []
    monkeypatch.setattr(ml.models.graphsage, "LARGE_GRAPH", 800 * 32)
    _train_steps(fast_config(layers=3, batch_playlists=32, dim=32), snapshot)
    assert len(calls) == 3 * 2  # per step: the two rounds


def test_only_large_graphs_return_freed_memory_between_steps(monkeypatch):
    snapshot = synthetic_snapshot(num_playlists=300, num_tracks=500, num_edges=6000, seed=5)
    trims: list[int] = []
    monkeypatch.setattr(ml.training.trainer, "return_freed_memory", lambda: trims.append(1))
    _train_steps(fast_config(batch_playlists=32), snapshot)
    assert trims == []
    monkeypatch.setattr(ml.models.graphsage, "LARGE_GRAPH", 800 * 16)  # 800 nodes, dim 16
    _train_steps(fast_config(batch_playlists=32), snapshot)
    assert len(trims) == 3
