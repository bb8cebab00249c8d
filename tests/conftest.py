"""Shared fixtures: every test gets its own PLAYLISTGRAPH_HOME."""
from __future__ import annotations

from pathlib import Path

import pytest

from data.store import Catalog


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty home directory, also exported for subprocesses."""
    path = tmp_path / "home"
    path.mkdir()
    monkeypatch.setenv("PLAYLISTGRAPH_HOME", str(path))
    return path


@pytest.fixture
def catalog(home: Path):
    with Catalog.open(home) as cat:
        yield cat
