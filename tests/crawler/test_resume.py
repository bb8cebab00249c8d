"""Killed (SIGKILL, a real subprocess) or rate-limited crawls resume to the same catalog."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest

from data import crawl_reads
from data.store import Catalog
from testkit.catalog_contents import natural_contents
from tests.crawler import crawl_queries
from tests.crawler.conftest import REPO_ROOT, crawler_command, crawler_env, error_lines, run_crawler
from testkit.fake_spotify import FakeCatalog, FakeSpotify

# Counters, timestamps and the store version say how a crawl went, not what it found.
_HOW_IT_WENT = {"meta", "crawls"}


def _contents(home: Path) -> dict:
    with Catalog.open(home) as cat:
        contents = natural_contents(cat)
        assert crawl_queries.pages_in_flight(cat, 1) == 0
    return {k: v for k, v in contents.items() if k not in _HOW_IT_WENT}


@pytest.fixture(scope="session")
def crawl_args(sample_catalog: FakeCatalog) -> list[str]:
    return ["--seed-playlist", sample_catalog.seed_playlist().id, "--max-playlists", "16",
            "--search-pages", "2"]


@dataclass
class Reference:
    contents: dict  # the catalog of the same crawl, uninterrupted
    requests: int  # API requests it made


@pytest.fixture(scope="session")
def reference(sample_catalog: FakeCatalog, crawl_args: list[str],
              tmp_path_factory: pytest.TempPathFactory) -> Reference:
    home = tmp_path_factory.mktemp("reference-home")
    with FakeSpotify(sample_catalog) as fake:
        done = run_crawler(home, fake, *crawl_args)
        assert done.returncode == 0, done.stderr
        return Reference(_contents(home), len(fake.api_requests()))


def _kill_after(fake: FakeSpotify, home: Path, args: list[str], requests: int,
                delay_s: float) -> None:
    """Start a crawl and SIGKILL it `delay_s` after the server saw `requests` API requests."""
    proc = subprocess.Popen(crawler_command(fake, *args), cwd=REPO_ROOT,
                            env=crawler_env(home, fake), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while len(fake.api_requests()) < requests:
            assert proc.poll() is None, "the crawl finished before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.001)
        time.sleep(delay_s)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)


@pytest.mark.parametrize("share, delay_s", [(0.0, 0.0), (0.3, 0.002), (0.6, 0.0), (0.9, 0.01)])
def test_sigkill_then_resume_gives_the_same_catalog(fake: FakeSpotify, home: Path,
                                                    crawl_args: list[str], reference: Reference,
                                                    share: float, delay_s: float):
    _kill_after(fake, home, crawl_args, 1 + int(share * (reference.requests - 2)), delay_s)
    with Catalog.open(home) as cat:
        assert crawl_reads.crawl_progress(cat)["state"] == "running"  # as the kill left it
    resumed = run_crawler(home, fake, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert _contents(home) == reference.contents
    # pages fetched before the kill are read back, not asked again: at most the one
    # in flight when the process died is asked twice
    keys = [r.page_key for r in fake.api_requests()]
    assert len(keys) - len(set(keys)) <= 1


def test_long_retry_after_stops_cleanly_and_resumes_after_the_wait(
        fake: FakeSpotify, home: Path, crawl_args: list[str], reference: Reference):
    fake.fail(429, retry_after=3, skip=5)
    stopped = run_crawler(home, fake, *crawl_args, "--max-wait-s", "1")
    assert stopped.returncode == 3, stopped.stderr
    assert "Spotify asks to wait 3 s" in stopped.stdout
    assert "Traceback" not in stopped.stderr
    with Catalog.open(home) as cat:
        progress = crawl_reads.crawl_progress(cat)
        assert progress["state"] == "stopped" and progress["resume_after"]
        assert progress["rate_limited"] == 1
    too_early = run_crawler(home, fake, "--resume", "--max-wait-s", "0")
    assert too_early.returncode == 2
    assert len(error_lines(too_early.stderr)) == 1 and "wait until" in too_early.stderr
    with Catalog.open(home) as cat:
        resume_after = datetime.fromisoformat(crawl_reads.crawl_progress(cat)["resume_after"])
    time.sleep(max(0.0, (resume_after - datetime.now(timezone.utc)).total_seconds()))
    resumed = run_crawler(home, fake, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert _contents(home) == reference.contents
    answered = [r.page_key for r in fake.api_requests() if r.status == 200]
    assert len(answered) == len(set(answered)), "a page was answered twice"


def test_sigterm_stops_cleanly_and_resume_finishes(fake: FakeSpotify, home: Path,
                                                   crawl_args: list[str], reference: Reference):
    proc = subprocess.Popen(crawler_command(fake, *crawl_args), cwd=REPO_ROOT,
                            env=crawler_env(home, fake), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    while len(fake.api_requests()) < 8:
        time.sleep(0.001)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 3, err
    assert "interrupted" in out and "Traceback" not in err
    with Catalog.open(home) as cat:
        assert crawl_reads.crawl_progress(cat)["state"] == "stopped"
    assert run_crawler(home, fake, "--resume").returncode == 0
    assert _contents(home) == reference.contents
