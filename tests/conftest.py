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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """scripts/test.sh runs the suite on every core (pytest-xdist, `--dist loadgroup`): the
    browser tests share one worker, one after another. Each starts a dashboard, Chromium
    and training jobs; two at once on a 2-core machine would starve each other."""
    for item in items:
        if item.path.name.startswith("test_e2e_"):
            item.add_marker(pytest.mark.xdist_group("browser"))
