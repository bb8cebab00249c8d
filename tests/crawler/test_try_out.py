"""The offline try-out: `python -m testkit.fake_spotify` prints lines to paste, and with
only those lines (no flags) a CLI crawl and a Crawl-page job crawl the fake."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from testkit.job_wait import wait_for_job
from dashboard.jobs.crawl_job import CrawlRequest, start_crawl
from dashboard.settings import load_settings
from data import crawl_reads, crawl_state
from data.store import Catalog
from data.home import BUNDLED_SAMPLE
from tests.crawler.conftest import REPO_ROOT
from testkit.fake_spotify import FakeCatalog

README = REPO_ROOT / "README.md"


@pytest.fixture
def try_out(sample_dir: Path):
    """The fake started as the README says; (its printed lines, its process)."""
    proc = subprocess.Popen([sys.executable, "-m", "testkit.fake_spotify", "--sample",
                             str(sample_dir)], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
    lines: list[str] = []
    try:
        while not lines or "start the dashboard" not in lines[-1]:
            line = proc.stdout.readline()
            assert line, f"the fake ended early: {lines}"
            lines.append(line.rstrip("\n"))
        yield lines, proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert proc.returncode == 0


def _pasted(lines: list[str]) -> dict[str, str]:
    """What pasting the lines into a shell sets."""
    return dict(line[len("export "):].split("=", 1) for line in lines if line.startswith("export "))


def _seed(lines: list[str]) -> str:
    return re.search(r"--seed-playlist (\S+)", "\n".join(lines))[1]


def _clean_env(home: Path, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SPOTIPY_", "PLAYLISTGRAPH_SPOTIFY_"))}
    return {**env, "PLAYLISTGRAPH_HOME": str(home), "HOME": str(tmp_path)}


def test_it_prints_only_exports_and_comments_with_id_and_secret(try_out):
    lines, _ = try_out
    assert all(line.startswith(("export ", "# ")) for line in lines)
    pasted = _pasted(lines)
    assert set(pasted) == {"PLAYLISTGRAPH_SPOTIFY_API_BASE", "PLAYLISTGRAPH_SPOTIFY_TOKEN_URL",
                           "SPOTIPY_CLIENT_ID", "SPOTIPY_CLIENT_SECRET"}
    assert "not secrets" in "\n".join(lines)
    assert pasted["PLAYLISTGRAPH_SPOTIFY_API_BASE"].startswith("http://127.0.0.1:")


def test_the_readme_shows_the_lines_it_prints(try_out):
    """README's "Try the crawler offline": the command and its output for --port 8765."""
    lines, _ = try_out
    port = re.search(r":(\d+)/", _pasted(lines)["PLAYLISTGRAPH_SPOTIFY_API_BASE"])[1]
    readme = README.read_text(encoding="utf-8")
    start = readme.index("## Try the crawler offline")
    crawler_section = readme[start:readme.index("\n## ", start + 1)]
    assert "python -m testkit.fake_spotify --port 8765" in crawler_section
    for line in lines:
        if line.startswith("export "):
            assert line.replace(f":{port}/", ":8765/") in crawler_section, line
    # the seed it names is the one the fake prints for the bundled sample
    bundled_seed = FakeCatalog.from_sample(BUNDLED_SAMPLE).seed_playlist().id
    assert f"python -m crawler --seed-playlist {bundled_seed} " in crawler_section


def test_a_cli_crawl_with_only_the_pasted_lines(try_out, home: Path, tmp_path: Path):
    lines, _ = try_out
    env = {**_clean_env(home, tmp_path), **_pasted(lines)}
    done = subprocess.run([sys.executable, "-m", "crawler", "--seed-playlist", _seed(lines),
                           "--max-playlists", "5", "--no-progress"], cwd=tmp_path, env={
                               **env, "PYTHONPATH": str(REPO_ROOT)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    with Catalog.open(home) as cat:
        progress = crawl_reads.crawl_progress(cat)
        assert progress["visited"] == 5 and progress["crawled"] >= 1
        assert crawl_state.latest_crawl(cat).config["api_base"] == \
            _pasted(lines)["PLAYLISTGRAPH_SPOTIFY_API_BASE"]


def test_a_crawl_page_job_with_only_the_pasted_lines(try_out, home: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch):
    lines, _ = try_out
    for name in [k for k in os.environ if k.startswith(("SPOTIPY_", "PLAYLISTGRAPH_SPOTIFY_"))]:
        monkeypatch.delenv(name)
    for name, value in _pasted(lines).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)  # no secrets.toml to find
    settings = load_settings()
    start_crawl(CrawlRequest(_seed(lines), max_playlists=5, max_depth=1, max_requests=100,
                             search_pages=1), settings)
    status = wait_for_job("crawl", home, timeout_s=120)
    assert status.state == "done", status.message
    with Catalog.open(home) as cat:
        assert crawl_reads.crawl_progress(cat)["visited"] == 5
