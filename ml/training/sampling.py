"""Per-epoch training task and negatives, sampled with torch ops on the model's device.

Each epoch every training playlist is split anew into seeds (what the model is
shown) and targets (what it must rank high). The playlists of a step are taken out
of the message-passing graph for that step (ml.training.trainer), so a playlist in the loss is
exactly what a held-out playlist is at evaluation: absent from the graph, known only
by its seeds and title. Seed counts are log-uniform between 1 and n-1 (the
challenge's 1/5/10/25/100 seeds are log-spaced), with a share of title-only playlists.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass
class EpochTask:
    seed_playlist: Tensor  # [E_s], grouped by playlist; the training edges' dtype (int32)
    seed_track: Tensor
    target_playlist: Tensor  # [E_t]
    target_track: Tensor


def sample_epoch(edge_playlist: Tensor, edge_track: Tensor, num_playlists: int, *,
                 targets_per_playlist: int, title_only_share: float,
                 generator: torch.Generator) -> EpochTask:
    """Split the training edges (int32 or int64 [E], grouped by playlist) for one epoch."""
    device = edge_playlist.device
    degree = torch.bincount(edge_playlist, minlength=num_playlists)
    start = torch.cumsum(degree, 0) - degree
    # A random order within each playlist: sort by playlist + a uniform key in [0, 1).
    key = torch.rand(len(edge_playlist), generator=generator, device=device, dtype=torch.float64)
    order = torch.argsort(edge_playlist.double() + key)
    playlist, track = edge_playlist[order], edge_track[order]
    rank = torch.arange(len(playlist), device=device) - start[playlist]

    u = torch.rand(num_playlists, generator=generator, device=device, dtype=torch.float64)
    log_n = torch.log(degree.clamp(min=1).double())
    n_seeds = torch.floor(torch.exp(u * log_n)).long()
    n_seeds = torch.minimum(n_seeds.clamp(min=1), (degree - 1).clamp(min=0))
    title_only = torch.rand(num_playlists, generator=generator, device=device) < title_only_share
    n_seeds = torch.where(title_only, torch.zeros_like(n_seeds), n_seeds)

    seeds = rank < n_seeds[playlist]
    targets = (~seeds) & (rank < n_seeds[playlist] + targets_per_playlist)
    return EpochTask(seed_playlist=playlist[seeds], seed_track=track[seeds],
                     target_playlist=playlist[targets], target_track=track[targets])


class NegativeSampler:
    """Shared negatives per step: uniform over all tracks plus popularity-weighted ones
    (popular tracks are the ones a model is most tempted to rank; sampling them more
    often makes the task harder). `log_expected` is the sampled-softmax correction."""

    def __init__(self, popularity: Tensor, uniform: int, popular: int, exponent: float):
        self.num_tracks = len(popularity)
        # As many uniform draws as tracks: take every track once instead (an exact softmax).
        self.exhaustive = uniform >= self.num_tracks
        if self.exhaustive:
            uniform, popular = self.num_tracks, 0
        self.uniform, self.popular = uniform, popular
        weights = popularity.double().clamp(min=0) ** exponent
        self.weights = (weights / weights.sum()).float() if weights.sum() > 0 else \
            torch.full_like(weights, 1.0 / max(len(weights), 1)).float()
        expected = uniform / max(self.num_tracks, 1) + popular * self.weights
        self.log_expected = torch.log(expected.clamp(min=1e-30))

    def sample(self, generator: torch.Generator) -> Tensor:
        device = self.weights.device
        if self.exhaustive:
            return torch.arange(self.num_tracks, device=device)
        parts = [torch.randint(self.num_tracks, (self.uniform,), generator=generator, device=device)]
        if self.popular:
            parts.append(torch.multinomial(self.weights, self.popular, replacement=True,
                                           generator=generator))
        return torch.cat(parts)


def sampled_softmax_loss(queries: Tensor, pair_query: Tensor, positives: Tensor,
                         negatives: Tensor, log_q_pos: Tensor, log_q_neg: Tensor,
                         accidental: Tensor) -> Tensor:
    """Mean cross-entropy of each positive against the shared negatives.

    queries [B, d]: playlist vectors; pair_query int64 [N]: the query of each pair;
    positives [N, d] and negatives [M, d]: track vectors; log_q_pos [N], log_q_neg [M]:
    log expected sample counts (subtracted, so the loss estimates a full softmax);
    accidental bool [B, M]: negative m is one of query b's own tracks (masked out).
    The negatives' log-sum-exp is shared by all pairs of a query, so the cost is
    O(B·M + N), not O(N·M): many negatives stay cheap.
    """
    pos = (queries[pair_query] * positives).sum(-1) - log_q_pos
    neg = (queries @ negatives.T - log_q_neg).masked_fill(accidental, -math.inf)
    neg_lse = torch.logsumexp(neg, dim=1)[pair_query]
    return (torch.logaddexp(pos, neg_lse) - pos).mean()
