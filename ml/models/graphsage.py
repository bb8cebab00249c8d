"""Heterogeneous GraphSAGE over the playlist–track graph, inductive on the playlist side.

A track starts from a learned id embedding, its artist's and album's embeddings and
an MLP over its audio features with their missing-mask. Playlists have no input of
their own: layer by layer a playlist is the mean of its tracks' states and a track
the mean of its playlists' states (`SageConv`: GraphSAGE's mean aggregation over a
sparse CSR adjacency).
A playlist's output is a function of its seed tracks' states plus its title's
embedding, so the same code embeds a training playlist inside the graph and a new
playlist from a seed list (`playlist_embedding`), with no retraining. Score = dot product.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import NamedTuple

import torch
from torch import Tensor, nn
from torch.utils.checkpoint import checkpoint

from ml.dataset.audio_features import FEATURE_MASK
from ml.models.graph import csr_mean


COMBINE = ("last", "mean")
FOLD_IN_SEEDS = 8192  # seed links per fold-in chunk: 8192 × 64 × 64 floats = 128 MB
ACTIVATION = ("gelu", "none")
# From this many floats in one [nodes, dim] state on (2^24: 64 MB, 262K nodes at dim 64), a
# training step saves memory rather than time: it recomputes its propagation in the backward
# pass, and the trainer hands what the step freed back to the system. Below, neither: on the
# real development set (132K nodes) they cost ~7% and ~15% of a step, for ~1 GB.
LARGE_GRAPH = 1 << 24


def is_large_graph(nodes: int, dim: int) -> bool:
    return nodes * dim >= LARGE_GRAPH


@dataclass(frozen=True)
class ModelSpec:
    """Everything needed to rebuild the module before loading its weights."""
    num_tracks: int  # rows of the id embedding (tracks seen in training)
    num_artists: int
    num_albums: int
    num_titles: int  # title vocabulary (whole titles and words), 0 = unknown
    feature_dim: int
    dim: int
    layers: int
    dropout: float
    combine: str = "last"  # track vector: "last" state, or "mean" of all states (LightGCN)
    activation: str = "gelu"  # between rounds: "gelu", or "none" (linear propagation)
    query_scale: float = 0.0  # > 0: playlist vectors L2-normalized, times a learned scale from this
    fold_in: bool = False  # add ALS's fold-in of the seeds' vectors to the playlist vector

    def to_dict(self) -> dict:
        return asdict(self)


class TrackInputs(NamedTuple):
    """Per-track inputs; index 0 of each embedding means "none / never seen in training"."""
    features: Tensor  # float32 [T, feature_dim], see ml.dataset.audio_features.encode_features
    track: Tensor  # int64 [T], 1 + id-embedding row, or 0
    artist: Tensor  # int64 [T], 1 + artist row, or 0
    album: Tensor  # int64 [T], 1 + album row, or 0


class SageConv(nn.Module):
    """One GraphSAGE layer with mean aggregation (Hamilton et al. 2017), over a CSR adjacency:
    out = W_l · mean(x_src over the row's columns) + b (+ W_r · x_dst with `root_weight`).

    The mean is `csr_mean`: a CSR product, whose backward reuses the adjacency's precomputed
    transpose. The parameters are named as in PyG's `SAGEConv` (`lin_l` with its bias,
    `lin_r` without), so the layer's weights and its initialization are PyG's; PyG itself
    is not needed (its neighbour loaders need wheels the pinned torch lacks, and importing
    it took seconds in every process that loads a model).
    """

    def __init__(self, in_channels: int, out_channels: int, root_weight: bool = True):
        super().__init__()
        self.lin_l = nn.Linear(in_channels, out_channels, bias=True)
        self.lin_r = nn.Linear(in_channels, out_channels, bias=False) if root_weight else None
        # Drawn twice, as PyG's SAGEConv does: a seeded run draws the same numbers as before.
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.lin_l.reset_parameters()
        if self.lin_r is not None:
            self.lin_r.reset_parameters()

    def forward(self, x: tuple[Tensor, Tensor | None], adj: Tensor) -> Tensor:
        """x: (source states [N, in], receiver states [M, in] or None); adj: 0/1 CSR [M, N],
        rows the receivers. An empty row gets the bias (and its root term)."""
        x_src, x_dst = x
        out = self.lin_l(csr_mean(adj, x_src))
        if self.lin_r is not None and x_dst is not None:
            out = out + self.lin_r(x_dst)
        return out


class PlaylistGraphSAGE(nn.Module):
    def __init__(self, spec: ModelSpec):
        super().__init__()
        if spec.layers < 1:
            raise ValueError("layers must be >= 1")
        if spec.combine not in COMBINE or spec.activation not in ACTIVATION:
            raise ValueError(f"combine must be one of {COMBINE}, activation one of {ACTIVATION}")
        self.spec = spec
        d = spec.dim
        self.track_embedding = nn.Embedding(spec.num_tracks + 1, d, padding_idx=0)
        self.artist_embedding = nn.Embedding(spec.num_artists + 1, d, padding_idx=0)
        self.album_embedding = nn.Embedding(spec.num_albums + 1, d, padding_idx=0)
        self.title_embedding = nn.Embedding(spec.num_titles, d, padding_idx=0)
        self.feature_mlp = nn.Sequential(nn.Linear(spec.feature_dim, d), nn.GELU(), nn.Linear(d, d))
        # Playlist layer 0 has no root term: a playlist has no input of its own.
        self.to_playlist = nn.ModuleList(
            SageConv(d, d, root_weight=layer > 0)
            for layer in range(spec.layers))
        self.to_track = nn.ModuleList(
            SageConv(d, d) for _ in range(spec.layers - 1))
        self.dropout = nn.Dropout(spec.dropout)
        # A mean of many diverse seed states is short, so its scores flatten towards the
        # tracks' norms (popularity); a unit query with one learned scale keeps them sharp.
        self.query_scale = nn.Parameter(torch.tensor(float(spec.query_scale)),
                                        requires_grad=spec.query_scale > 0)
        # Fold-in confidence and ridge (log scale, started at what tuned ALS uses) and its
        # weight beside the SAGE readout; unused unless spec.fold_in.
        self.fold_in_log = nn.Parameter(torch.tensor([math.log(40.0), math.log(10.0), 0.0]),
                                        requires_grad=spec.fold_in)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for emb in (self.track_embedding, self.artist_embedding, self.album_embedding,
                    self.title_embedding):
            nn.init.normal_(emb.weight, std=0.05)
            with torch.no_grad():
                emb.weight[0].zero_()
        for layer in self.feature_mlp:
            if isinstance(layer, nn.Linear):
                layer.reset_parameters()
        for conv in (*self.to_playlist, *self.to_track):
            conv.reset_parameters()

    def track_inputs(self, inputs: TrackInputs) -> Tensor:
        """h^0 [T, dim] from ids, artist, album and audio features.

        A track with no audio features at all gets no feature term (rather than what
        the MLP makes of an all-missing row, which training may never have shown it):
        each input that is absent adds nothing, whatever mix of them a track has.
        """
        return _recomputed(self._track_inputs, *inputs,
                           large=is_large_graph(inputs.features.shape[0], self.spec.dim))

    def _track_inputs(self, features: Tensor, track: Tensor, artist: Tensor,
                      album: Tensor) -> Tensor:
        has_features = features[:, FEATURE_MASK].amax(dim=1, keepdim=True)
        h = (self.track_embedding(track) + self.artist_embedding(artist)
             + self.album_embedding(album) + self.feature_mlp(features) * has_features)
        return self.dropout(h)

    def track_states(self, h0: Tensor, adj_pt: Tensor, adj_tp: Tensor) -> list[Tensor]:
        """[h^0, ..., h^(L-1)], each [T, dim], propagated over the graph.

        adj_pt: CSR [P, T] (tracks into playlists), adj_tp: CSR [T, P] (its transpose).
        The last state is the track's output vector: h^(L-1), or with `combine="mean"`
        the mean of all states (LightGCN's layer combination), which the last playlist
        round then aggregates too, so training and inference read the same vector.
        """
        return self._propagate(h0, adj_pt, adj_tp)[0]

    def forward(self, inputs: TrackInputs, adj_pt: Tensor, adj_tp: Tensor,
                titles: Tensor) -> tuple[Tensor, Tensor]:
        """(playlist vectors [P, dim], track vectors [T, dim]) by message passing over the
        whole graph: the in-graph path. titles: int64 [P]."""
        states, p = self._propagate(self.track_inputs(inputs), adj_pt, adj_tp)
        last = self.spec.layers - 1
        playlists = self._playlist_layer(last, states[last], p, adj_pt)
        if self.spec.fold_in:
            playlists = playlists + self._fold_in(states[-1], adj_pt, self.gram(states[-1]))
        return self._playlist_output(playlists, titles), states[-1]

    def _propagate(self, h0: Tensor, adj_pt: Tensor, adj_tp: Tensor
                   ) -> tuple[list[Tensor], Tensor | None]:
        states, p = [h0], None
        for layer in range(self.spec.layers - 1):
            p, h = _recomputed(self._round, layer, states[layer], p, adj_pt, adj_tp,
                               large=is_large_graph(sum(adj_pt.shape), self.spec.dim))
            states.append(h)
        if self.spec.combine == "mean" and len(states) > 1:
            states[-1] = torch.stack(states).mean(dim=0)
        return states, p

    def _round(self, layer: int, h: Tensor, p: Tensor | None, adj_pt: Tensor,
               adj_tp: Tensor) -> tuple[Tensor, Tensor]:
        """One round: tracks into playlists, playlists back into tracks."""
        p = self._playlist_layer(layer, h, p, adj_pt)
        h = self.to_track[layer]((p, h), adj_tp)
        return p, (self.dropout(self._activate(h)) if layer < self.spec.layers - 2 else h)

    def _activate(self, h: Tensor) -> Tensor:
        return torch.nn.functional.gelu(h) if self.spec.activation == "gelu" else h

    def playlist_embedding(self, states: list[Tensor], adj_query: Tensor, titles: Tensor,
                           gram: Tensor | None = None) -> Tensor:
        """[Q, dim] for Q playlists given by their seed tracks.

        states: `track_states` output (rows may be a subset of tracks, matching the
        columns of adj_query); adj_query: CSR [Q, rows of states] seed links (a row may
        be empty: title only); titles: int64 [Q, 1 + words] (ml.dataset.titles.TitleVocabulary.encode);
        gram: `gram` of all track vectors, needed with `fold_in` when states are a subset.
        """
        p = None
        for layer in range(self.spec.layers):
            p = self._playlist_layer(layer, states[layer], p, adj_query)
        if self.spec.fold_in:
            p = p + self._fold_in(states[-1], adj_query,
                                  self.gram(states[-1]) if gram is None else gram)
        return self._playlist_output(p, titles)

    @staticmethod
    def gram(vectors: Tensor) -> Tensor:
        """[dim, dim] VᵀV of all track vectors [T, dim]: the fold-in's "every track is a
        weak negative" term."""
        return vectors.T @ vectors

    def _fold_in(self, vectors: Tensor, adj_query: Tensor, gram: Tensor) -> Tensor:
        """[Q, dim]: the playlist vector ALS would solve for, given these track vectors:
        argmin_p Σ_t c_t (y_t − ⟨p, v_t⟩)² + λ|p|², y = 1 and c = 1 + α on seeds, y = 0 and
        c = 1 elsewhere, i.e. (VᵀV + α Σ_s v_s v_sᵀ + λI) p = (1 + α) Σ_s v_s. Unlike a mean,
        it weighs the seeds jointly: ten near-copies count once, a rare direction counts."""
        alpha, ridge, weight = self.fold_in_log.exp()
        crow, cols = adj_query.crow_indices().long(), adj_query.col_indices()
        dim, device = vectors.shape[1], vectors.device
        eye = torch.eye(dim, device=device, dtype=vectors.dtype)
        out = []
        # Queries in chunks of at most FOLD_IN_SEEDS seed links, so the per-seed outer
        # products ([links, dim, dim]) stay bounded however many playlists a step scores.
        for start, end in _chunks(crow, FOLD_IN_SEEDS):
            lo, hi = int(crow[start]), int(crow[end])
            rows = torch.repeat_interleave(torch.arange(end - start, device=device),
                                           crow[start:end + 1].diff())
            seeds = vectors[cols[lo:hi]]  # [links, dim]
            outer = torch.zeros(end - start, dim, dim, device=device, dtype=vectors.dtype)
            outer = outer.index_add(0, rows, seeds.unsqueeze(2) * seeds.unsqueeze(1))
            target = torch.zeros(end - start, dim, device=device, dtype=vectors.dtype)
            target = target.index_add(0, rows, seeds)
            system = gram.unsqueeze(0) + alpha * outer + ridge * eye
            out.append(torch.linalg.solve(system, (1 + alpha) * target))
        if not out:
            return torch.zeros(0, dim, device=device, dtype=vectors.dtype)
        return weight * torch.cat(out)

    def _playlist_output(self, p: Tensor, titles: Tensor) -> Tensor:
        """p + the mean embedding of the title's known entries: the whole title and its words
        (titles [P, 1 + words], see ml.dataset.titles.TitleVocabulary.encode; index 0 is unknown)."""
        count = (titles > 0).sum(dim=1, keepdim=True).clamp(min=1)
        out = p + self.title_embedding(titles).sum(dim=1) / count
        if self.spec.query_scale > 0:
            out = torch.nn.functional.normalize(out, dim=1) * self.query_scale
        return out

    def _playlist_layer(self, layer: int, h: Tensor, p: Tensor | None, adj_pt: Tensor) -> Tensor:
        out = self.to_playlist[layer]((h, p), adj_pt)
        if layer < self.spec.layers - 1:  # the last playlist layer is the linear output
            out = self.dropout(self._activate(out))
        return out

    @staticmethod
    def scores(playlists: Tensor, tracks: Tensor) -> Tensor:
        """[Q, T] dot products of playlist vectors [Q, d] and track vectors [T, d]."""
        return playlists @ tracks.T


def _recomputed(fn, *args, large: bool):
    """fn(*args); when training on a `large` graph (`is_large_graph`), its intermediate
    tensors are not kept for the backward pass but computed again there (activation
    checkpointing). Over the whole graph they are dozens of [nodes, dim] tensors per round,
    most of a step's memory at MPD scale; recomputing them costs about one more forward
    pass and gives the same gradients. On smaller graphs they are kept: at most ~2 GB."""
    if torch.is_grad_enabled() and large:
        return checkpoint(fn, *args, use_reentrant=False)
    return fn(*args)


def _chunks(crow: Tensor, max_links: int) -> list[tuple[int, int]]:
    """[start, end) row ranges of a CSR matrix with at most `max_links` entries each (a
    single row with more entries gets a range of its own)."""
    bounds = crow.tolist()
    out, start = [], 0
    for row in range(len(bounds) - 1):
        if row > start and bounds[row + 1] - bounds[start] > max_links:
            out.append((start, row))
            start = row
    if len(bounds) > 1:
        out.append((start, len(bounds) - 1))
    return out
