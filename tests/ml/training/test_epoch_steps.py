"""An epoch's step count is capped (the batch grows instead), so its cost stays linear in
edges; under the cap nothing changes."""
from __future__ import annotations

import math

import pytest
import torch

from ml.training.trainer import build_trainer, new_state
from testkit.synthetic import synthetic_snapshot
from tests.ml.conftest import fast_config


@pytest.fixture(scope="module")
def snapshot():
    return synthetic_snapshot(num_playlists=600, num_tracks=900, num_edges=12_000, seed=3)


@pytest.mark.parametrize("batch, max_steps", [(16, 0), (16, 4), (16, 1000), (500, 4)])
def test_steps_per_epoch_are_capped_by_growing_the_batch(snapshot, batch, max_steps):
    config = fast_config(batch_playlists=batch, max_steps=max_steps, epochs=1)
    _, data, trainer = build_trainer(config, snapshot, torch.device("cpu"))
    state = new_state(config, data, torch.device("cpu"))
    trainer.run_epoch(state, 1)
    playlists = len(data.holdout.train)  # every training playlist has targets here
    uncapped = math.ceil(playlists / batch)
    want = uncapped if max_steps == 0 else min(uncapped, max_steps)
    assert trainer.last_epoch_steps == want
    assert trainer.batch_size(playlists) * want >= playlists


def test_a_step_limit_stops_the_epoch_early(snapshot):
    config = fast_config(batch_playlists=16, epochs=1)
    _, data, trainer = build_trainer(config, snapshot, torch.device("cpu"))
    state = new_state(config, data, torch.device("cpu"))
    loss = trainer.run_epoch(state, 1, step_limit=2)
    assert trainer.last_epoch_steps == 2 and math.isfinite(loss)


def test_negatives_a_batch_holds_are_marked_the_same_in_any_chunking(snapshot, monkeypatch):
    import ml.training.trainer
    config = fast_config(uniform_negatives=300, popular_negatives=100)
    _, data, trainer = build_trainer(config, snapshot, torch.device("cpu"))
    batch = torch.arange(40)
    local = torch.full((snapshot.num_playlists,), -1, dtype=torch.long)
    local[batch] = torch.arange(40)
    negatives = trainer.sampler.sample(torch.Generator().manual_seed(1))
    whole = trainer._own_tracks(batch, local, negatives)
    monkeypatch.setattr(ml.training.trainer, "OWN_TRACKS_CHUNK", 7)
    assert torch.equal(trainer._own_tracks(batch, local, negatives), whole)
    held = {(int(p), int(t)) for p, t in zip(data.edge_playlist, data.edge_track)}
    want = [[(int(b), int(n)) in held for n in negatives] for b in batch]
    assert whole.tolist() == want and whole.any()
