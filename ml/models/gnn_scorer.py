"""Scoring with a trained model: track states over the graph, playlist vectors from seeds.

Evaluation, validation and serving all go through `GnnScorer`, so a playlist is
embedded the same way wherever it is scored.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Sequence

import numpy as np
import torch
from torch import Tensor

from ml.dataset.titles import TitleVocabulary
from ml.models.graph import query_adjacency
from ml.models.graphsage import PlaylistGraphSAGE, TrackInputs
from ml.models.ranking import Ranker


@contextmanager
def eval_mode(model: PlaylistGraphSAGE) -> Iterator[PlaylistGraphSAGE]:
    """Dropout off and no gradients inside; the model's previous mode restored after."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield model
    finally:
        model.train(was_training)


def graph_states(model: PlaylistGraphSAGE, inputs: TrackInputs, adj_pt: Tensor,
                 adj_tp: Tensor) -> list[Tensor]:
    """Track states [h^0 .. h^(L-1)] over the given graph, in eval mode."""
    with eval_mode(model):
        return model.track_states(model.track_inputs(inputs), adj_pt, adj_tp)


class GnnScorer(Ranker):
    """Scores all tracks for playlists given as seed lists (track row indices) and titles."""

    name = "gnn"

    def __init__(self, model: PlaylistGraphSAGE, states: Sequence, titles: TitleVocabulary,
                 device: torch.device | str = "cpu", vectors: Tensor | None = None):
        """states: per layer, [T, dim] rows (tensor, array or memory map; only seed rows are
        read); vectors: the last layer as one tensor, when `states` is not already that."""
        self.model = model
        self.device = torch.device(device)
        self.states = list(states)
        if vectors is None:
            last = self.states[-1]
            vectors = last if isinstance(last, Tensor) else torch.from_numpy(np.asarray(last))
        self.vectors = vectors.to(self.device)
        self.gram = PlaylistGraphSAGE.gram(self.vectors) if model.spec.fold_in else None
        self.titles = titles

    @property
    def num_tracks(self) -> int:
        return self.vectors.shape[0]

    def playlist_vectors(self, seeds: Sequence[np.ndarray], titles: Sequence[str]) -> Tensor:
        """[B, dim] from seed track rows and normalized titles. A playlist with no seeds is
        read from its title's tracks (`TitleVocabulary.seeds`); they only shape its vector:
        the caller masks the real seeds alone, so those tracks can still be recommended."""
        seeds = [s if len(s) else self.titles.seeds(t) for s, t in zip(seeds, titles)]
        union, local = np.unique(np.concatenate([np.asarray(s, np.int64) for s in seeds])
                                 if len(seeds) else np.zeros(0, np.int64), return_inverse=True)
        offsets = np.cumsum([0] + [len(s) for s in seeds])
        local_seeds = [local[offsets[i]:offsets[i + 1]] for i in range(len(seeds))]
        rows = [self._rows(layer, union) for layer in self.states]
        adj = query_adjacency(local_seeds, len(union), self.device)
        title_idx = torch.from_numpy(self.titles.encode(titles)).to(self.device)
        with eval_mode(self.model):
            return self.model.playlist_embedding(rows, adj, title_idx, self.gram)

    def scores(self, seeds: Sequence[np.ndarray], titles: Sequence[str]) -> Tensor:
        with torch.no_grad():
            return PlaylistGraphSAGE.scores(self.playlist_vectors(seeds, titles), self.vectors)

    def _rows(self, layer: np.ndarray | Tensor, rows: np.ndarray) -> Tensor:
        if isinstance(layer, Tensor):
            return layer[torch.from_numpy(rows).to(layer.device)].to(self.device)
        return torch.from_numpy(np.ascontiguousarray(layer[rows], dtype=np.float32)).to(self.device)
