"""The one way the project writes a file that readers may open at any moment.

A writer gets a temporary path in the same folder (`.<name>.<pid>.tmp`), writes it, and on
success the file is flushed to disk and renamed over the target: a reader sees the old
file or the new one, never half of one, and a killed writer leaves only a stray temp file
(which the next write of the same name by the same pid replaces). Files that hold secrets
pass `mode=0o600`: the temp file is created with that mode, so the secret is never
readable by others, not even for a moment.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def temp_path_for(path: Path) -> Path:
    """The temp name `atomic_path` writes before the rename (one style for the project)."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


@contextmanager
def atomic_path(path: str | Path, mode: int | None = None) -> Iterator[Path]:
    """Yield a temp path to write; on a clean exit fsync it and rename it to `path`.

    For libraries that write to a path themselves (`np.save`, `torch.save`,
    `booster.save_model`). On an exception the temp file is removed and `path` is untouched.
    """
    path = Path(path)
    tmp = temp_path_for(path)
    if mode is not None:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        os.fchmod(fd, mode)  # an older temp file of the same name may have had other bits
        os.close(fd)
    try:
        yield tmp
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: str | Path, data: bytes, mode: int | None = None) -> None:
    with atomic_path(path, mode) as tmp:
        with open(tmp, "r+b" if mode is not None else "wb") as fh:
            fh.write(data)
            fh.truncate()


def write_text_atomic(path: str | Path, text: str, mode: int | None = None) -> None:
    write_bytes_atomic(path, text.encode("utf-8"), mode)
