"""Crawl state for the pages (temporary: filled in when data/crawl_store.py lands)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CrawlSummary:
    available: bool = False
    frontier: int = 0
    last_crawl_at: str | None = None


def summary(home: str, version: int) -> CrawlSummary:
    return CrawlSummary()
