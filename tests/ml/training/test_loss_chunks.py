"""A step's loss computed in chunks of queries (`--loss-chunk`) is the loss of the whole
batch at once, with the same gradients: chunking bounds memory, it changes no result."""
from __future__ import annotations

import math

import pytest
import torch

from ml.training.trainer import build_trainer, new_state
from testkit.synthetic import synthetic_snapshot
from tests.ml.conftest import fast_config


@pytest.fixture(scope="module")
def snapshot():
    return synthetic_snapshot(num_playlists=400, num_tracks=700, num_edges=9_000, seed=11)


def _first_step(snapshot, **overrides):
    """Loss and gradients of the first step of epoch 1 from a fresh model (the optimizer
    clears gradients before a step's backward, so after it they are that step's)."""
    config = fast_config(batch_playlists=50, epochs=1, **overrides)
    _, data, trainer = build_trainer(config, snapshot, torch.device("cpu"))
    state = new_state(config, data, torch.device("cpu"))
    loss = trainer.run_epoch(state, 1, step_limit=1)
    grads = {name: p.grad.clone() for name, p in state.model.named_parameters()
             if p.grad is not None}
    return loss, grads


@pytest.mark.parametrize("overrides", [
    {},  # fold-in, 2 layers
    {"layers": 3, "combine": "mean", "activation": "none", "query_scale": 10.0},
    {"fold_in": False, "layers": 3, "activation": "gelu"},
    {"uniform_negatives": 10**9},  # every track a negative: the exact softmax
])
def test_chunked_loss_gives_the_whole_batch_loss_and_gradients(snapshot, overrides):
    whole_loss, whole = _first_step(snapshot, loss_chunk=0, **overrides)
    # 50 queries in chunks of 7: seven full chunks and one of 1
    chunked_loss, chunked = _first_step(snapshot, loss_chunk=7, **overrides)
    assert math.isfinite(whole_loss)
    assert chunked_loss == pytest.approx(whole_loss, rel=1e-5)
    assert chunked.keys() == whole.keys()
    assert {"track_embedding.weight", "title_embedding.weight"} <= whole.keys()
    for name, grad in whole.items():
        scale = grad.abs().max().item()
        assert scale > 0, name
        assert torch.allclose(chunked[name], grad, rtol=1e-4, atol=1e-5 * scale), name


def test_one_chunk_is_the_unchunked_step_bit_for_bit(snapshot):
    whole_loss, whole = _first_step(snapshot, loss_chunk=0)
    one_loss, one = _first_step(snapshot, loss_chunk=50)  # the batch is exactly one chunk
    assert one_loss == whole_loss
    assert all(torch.equal(one[name], grad) for name, grad in whole.items())

