"""Process-level setup shared by the ml commands: device, threads, determinism, the heap."""
from __future__ import annotations

import ctypes
import os

import torch

from ml.errors import UserError


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


def _libc_malloc_trim():
    """glibc's malloc_trim, or None where the C library has none (macOS, musl, Windows)."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


_MALLOC_TRIM = _libc_malloc_trim()


def return_freed_memory() -> None:
    """Give the heap's free pages back to the system (glibc's malloc_trim; elsewhere a
    no-op). A training step frees many mid-sized tensors that glibc keeps on its heap;
    their pages stay resident, and over many steps the heap fragments: in a whole epoch
    at 100K playlists that was about 0.5 GiB of the peak (ml/README.md). Called between
    steps, it keeps what is resident close to what is alive."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)
