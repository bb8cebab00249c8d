"""Sparse CSR adjacency for full-graph propagation, built with torch ops on the model's device.

`SageConv` takes the transposed adjacency: rows are the nodes that receive
messages. So `adj_pt` [P, T] carries tracks into playlists and `adj_tp` [T, P]
playlists into tracks. Column indices are sorted and distinct per row, as CSR
requires.

`bipartite_adjacency` builds both directions anyway, so each matrix carries a weak
reference to the other (`transposed_of`): `csr_mean` then runs its backward pass as one
more CSR product instead of letting torch transpose (sort) the matrix on every call.
The references are weak because two matrices that hold each other are a cycle, which
only the garbage collector frees: each training step's adjacency (about 1 GB at MPD
scale) then lived on for several steps, and an epoch's peak rose step by step.
"""
from __future__ import annotations

import warnings
import weakref
from typing import Sequence

import numpy as np
import torch
from torch import Tensor



def csr(rows: Tensor, cols: Tensor, num_rows: int, num_cols: int) -> Tensor:
    """A 0/1 CSR matrix [num_rows, num_cols] from distinct (row, col) pairs (any order)."""
    order = torch.argsort(rows.long() * num_cols + cols)
    return _sorted_csr(rows[order], cols[order], num_rows, num_cols)


def bipartite_adjacency(playlists: Tensor, tracks: Tensor, num_playlists: int,
                        num_tracks: int) -> tuple[Tensor, Tensor]:
    """(adj_pt [P, T], adj_tp [T, P]) for the edges `playlists[i]`–`tracks[i]` (int [E])."""
    return BipartiteEdges(playlists, tracks, num_playlists, num_tracks).adjacency()


class BipartiteEdges:
    """Distinct playlist–track edges, sorted both ways once, so that the adjacency of any
    subset of playlists costs a mask and a bincount, not a sort."""

    def __init__(self, playlists: Tensor, tracks: Tensor, num_playlists: int, num_tracks: int):
        self.num_playlists, self.num_tracks = num_playlists, num_tracks
        # Indices kept as int32 where they fit (half the memory at MPD scale; CSR takes them).
        small = torch.int32 if max(num_playlists, num_tracks, len(tracks)) < 2**31 else torch.int64
        # The sort keys need int64 (P x T passes 2^31 at MPD scale), whatever the indices are.
        by_playlist = torch.argsort(playlists.long() * num_tracks + tracks)
        self.pt_rows, self.pt_cols = playlists[by_playlist].to(small), tracks[by_playlist].to(small)
        del by_playlist
        # int64 [P + 1]: playlist p's edges are pt_rows/pt_cols[pt_start[p]:pt_start[p + 1]].
        self.pt_start = torch.zeros(num_playlists + 1, dtype=torch.long, device=playlists.device)
        self.pt_start[1:] = torch.cumsum(torch.bincount(self.pt_rows, minlength=num_playlists), 0)
        by_track = torch.argsort(tracks.long() * num_playlists + playlists)
        self.tp_rows, self.tp_cols = tracks[by_track].to(small), playlists[by_track].to(small)

    def adjacency(self, drop: Tensor | None = None,
                  drop_tracks: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """(adj_pt, adj_tp) without the playlists where the bool mask `drop` [P] is set and
        without any edge of the tracks where `drop_tracks` [T] is set; each matrix
        knows the other (`transposed_of`)."""
        pt_rows, pt_cols, tp_rows, tp_cols = self.pt_rows, self.pt_cols, self.tp_rows, self.tp_cols
        if drop is not None or drop_tracks is not None:
            keep_pt = torch.ones(len(pt_rows), dtype=torch.bool, device=pt_rows.device)
            keep_tp = torch.ones(len(tp_rows), dtype=torch.bool, device=tp_rows.device)
            if drop is not None:
                keep_pt &= ~drop[pt_rows]
                keep_tp &= ~drop[tp_cols]
            if drop_tracks is not None:
                keep_pt &= ~drop_tracks[pt_cols]
                keep_tp &= ~drop_tracks[tp_rows]
            pt_rows, pt_cols = pt_rows[keep_pt], pt_cols[keep_pt]
            tp_rows, tp_cols = tp_rows[keep_tp], tp_cols[keep_tp]
        # Both directions hold the same edges, so they share one tensor of ones as values.
        values = torch.ones(len(pt_cols), dtype=torch.float32, device=pt_cols.device)
        adj_pt = _sorted_csr(pt_rows, pt_cols, self.num_playlists, self.num_tracks, values)
        adj_tp = _sorted_csr(tp_rows, tp_cols, self.num_tracks, self.num_playlists, values)
        adj_pt.transposed, adj_tp.transposed = weakref.ref(adj_tp), weakref.ref(adj_pt)
        return adj_pt, adj_tp


def transposed_of(adj: Tensor) -> Tensor | None:
    """The CSR matrix built as `adj`'s transpose, while it is alive; else None."""
    ref = getattr(adj, "transposed", None)
    return ref() if ref is not None else None


def _sorted_csr(rows: Tensor, cols: Tensor, num_rows: int, num_cols: int,
                values: Tensor | None = None) -> Tensor:
    crow = torch.zeros(num_rows + 1, dtype=cols.dtype, device=rows.device)
    crow[1:] = torch.cumsum(torch.bincount(rows, minlength=num_rows), 0)
    if values is None:
        values = torch.ones(len(cols), dtype=torch.float32, device=rows.device)
    with warnings.catch_warnings():
        # torch calls CSR "beta" on every construction; nothing here to act on.
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(crow, cols, values, size=(num_rows, num_cols),
                                       check_invariants=False)


def csr_mean(adj: Tensor, x: Tensor) -> Tensor:
    """Row-wise mean of `x` [N, d] over the columns of each row of the 0/1 CSR `adj` [M, N]
    (an empty row gives zeros). Uses `transposed_of(adj)` for the backward pass when present."""
    transposed = transposed_of(adj)
    if transposed is None or not x.requires_grad:
        return torch.sparse.mm(adj, x) * _inverse_degree(adj).unsqueeze(1)
    return _CsrMean.apply(x, adj, transposed)


def _inverse_degree(adj: Tensor) -> Tensor:
    degree = adj.crow_indices().diff().clamp(min=1)
    return 1.0 / degree.to(torch.float32)


class _CsrMean(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: Tensor, adj: Tensor, transposed: Tensor) -> Tensor:
        inverse = _inverse_degree(adj).unsqueeze(1)
        ctx.transposed = transposed
        ctx.save_for_backward(inverse)
        return torch.sparse.mm(adj, x) * inverse

    @staticmethod
    def backward(ctx, grad: Tensor):
        inverse, = ctx.saved_tensors
        return torch.sparse.mm(ctx.transposed, grad * inverse), None, None


def query_adjacency(seed_lists: Sequence[np.ndarray], num_tracks: int,
                    device: torch.device | str = "cpu") -> Tensor:
    """[Q, T]: row q links query playlist q to its seed tracks (an empty row is allowed)."""
    distinct = [np.unique(np.asarray(s, np.int64)) for s in seed_lists]
    lengths = np.fromiter((len(s) for s in distinct), np.int64, len(distinct))
    rows = np.repeat(np.arange(len(distinct), dtype=np.int64), lengths)
    cols = np.concatenate(distinct) if distinct else np.zeros(0, np.int64)
    return csr(torch.from_numpy(rows).to(device), torch.from_numpy(cols).to(device),
               len(distinct), num_tracks)
