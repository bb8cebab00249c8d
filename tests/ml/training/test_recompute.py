"""Recomputing the propagation in the backward pass (activation checkpointing) trains
exactly as keeping every intermediate would."""
from __future__ import annotations

import torch

import ml.models.graphsage
from ml.training.trainer import build_trainer, new_state
from testkit.synthetic import synthetic_snapshot
from tests.ml.conftest import fast_config


def _train_steps(config, snapshot):
    _, data, trainer = build_trainer(config, snapshot, torch.device("cpu"))
    state = new_state(config, data, torch.device("cpu"))
    loss = trainer.run_epoch(state, 1, step_limit=3)
    return loss, {k: v.clone() for k, v in state.model.state_dict().items()}


def test_checkpointed_steps_give_the_same_weights(monkeypatch):
    snapshot = synthetic_snapshot(num_playlists=300, num_tracks=500, num_edges=6000, seed=5)
    config = fast_config(layers=3, dropout=0.1, activation="gelu", batch_playlists=32)
    loss, weights = _train_steps(config, snapshot)
    monkeypatch.setattr(ml.models.graphsage, "_recomputed", lambda fn, *args: fn(*args))
    plain_loss, plain_weights = _train_steps(config, snapshot)
    assert loss == plain_loss
    assert all(torch.equal(weights[k], plain_weights[k]) for k in weights)
