"""Process-level set-up of the ml commands."""
from __future__ import annotations

import os
import sys

import pytest

from ml import runtime

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _resident_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * PAGE


@pytest.mark.skipif(not sys.platform.startswith("linux") or runtime._MALLOC_TRIM is None,
                    reason="glibc's malloc_trim and /proc are Linux's")
def test_freed_heap_pages_go_back_to_the_system():
    """Blocks under glibc's mmap threshold live on the heap; freeing every other one leaves
    free pages between live blocks, resident until trimmed: the fragmentation that made
    a whole training epoch peak above its first steps."""
    blocks = [bytearray(b"\x01" * 60_000) for _ in range(2_000)]  # ~120 MB, touched
    del blocks[::2]  # ~60 MB free, in holes between the live blocks
    before = _resident_bytes()
    runtime.return_freed_memory()
    released = before - _resident_bytes()
    assert released > 40e6, f"released {released / 1e6:.1f} MB of ~60 MB freed"
    assert all(block[0] == 1 and block[-1] == 1 for block in blocks)  # the live ones intact
