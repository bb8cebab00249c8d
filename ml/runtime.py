"""Process-level setup shared by the ml commands: device, threads, determinism, user errors."""
from __future__ import annotations

import os
from pathlib import Path

import torch

from data.store import Catalog
from ml.errors import UserError
from ml.snapshot import GraphSnapshot, cached_snapshot, load_snapshot


def resolve_device(name: str) -> torch.device:
    """'auto' is CUDA when a CUDA device is present, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise UserError(f"--device {name} asked for, but no CUDA device is available; "
                        "use --device auto or --device cpu")
    try:
        return torch.device(name)
    except RuntimeError:
        raise UserError(f"unknown device {name!r}; use auto, cpu or cuda") from None


def configure_torch(threads: int, device: torch.device) -> None:
    """Threads (0: all cores); on the CPU, deterministic kernels (reproducible with a seed)."""
    torch.set_num_threads(threads or os.cpu_count() or 1)
    # Every op used here has a deterministic CPU kernel; on CUDA the deterministic
    # variants of sparse and index ops are slower and reproducibility is not promised.
    torch.use_deterministic_algorithms(device.type == "cpu", warn_only=True)


def snapshot_of_version(catalog: Catalog, version: int, home: Path | None,
                        what: str) -> GraphSnapshot:
    """The snapshot a run was trained on: cached, or the catalog itself if unchanged."""
    cached = cached_snapshot(version, home)
    if cached is not None:
        return cached
    if catalog.version() == version:
        return load_snapshot(catalog, home)
    raise UserError(f"{what} needs the catalog as it was at store version {version} "
                    f"(now {catalog.version()}), and that snapshot is no longer cached; "
                    "train a new run with python -m ml train")
