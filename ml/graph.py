"""Sparse CSR adjacency for full-graph propagation, built with torch ops on the model's device.

`SAGEConv` takes the transposed adjacency: rows are the nodes that receive
messages. So `adj_pt` [P, T] carries tracks into playlists and `adj_tp` [T, P]
playlists into tracks. Column indices are sorted and distinct per row, as CSR
requires.
"""
from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
import torch
from torch import Tensor

# torch marks CSR as beta on every construction; the warning says nothing actionable.
warnings.filterwarnings("ignore", message=".*Sparse CSR tensor support is in beta.*")
warnings.filterwarnings("ignore", message=".*Sparse invariant checks are implicitly disabled.*")


def csr(rows: Tensor, cols: Tensor, num_rows: int, num_cols: int) -> Tensor:
    """A 0/1 CSR matrix [num_rows, num_cols] from distinct (row, col) pairs (any order)."""
    order = torch.argsort(rows * num_cols + cols)
    rows, cols = rows[order], cols[order]
    crow = torch.zeros(num_rows + 1, dtype=torch.int64, device=rows.device)
    crow[1:] = torch.cumsum(torch.bincount(rows, minlength=num_rows), 0)
    values = torch.ones(len(cols), dtype=torch.float32, device=rows.device)
    return torch.sparse_csr_tensor(crow, cols, values, size=(num_rows, num_cols))


def bipartite_adjacency(playlists: Tensor, tracks: Tensor, num_playlists: int,
                        num_tracks: int) -> tuple[Tensor, Tensor]:
    """(adj_pt [P, T], adj_tp [T, P]) for the edges `playlists[i]`–`tracks[i]` (int64 [E])."""
    return (csr(playlists, tracks, num_playlists, num_tracks),
            csr(tracks, playlists, num_tracks, num_playlists))


def query_adjacency(seed_lists: Sequence[np.ndarray], num_tracks: int,
                    device: torch.device | str = "cpu") -> Tensor:
    """[Q, T]: row q links query playlist q to its seed tracks (an empty row is allowed)."""
    distinct = [np.unique(np.asarray(s, np.int64)) for s in seed_lists]
    lengths = np.fromiter((len(s) for s in distinct), np.int64, len(distinct))
    rows = np.repeat(np.arange(len(distinct), dtype=np.int64), lengths)
    cols = np.concatenate(distinct) if distinct else np.zeros(0, np.int64)
    return csr(torch.from_numpy(rows).to(device), torch.from_numpy(cols).to(device),
               len(distinct), num_tracks)
