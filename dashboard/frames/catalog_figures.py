"""The catalog's playlist counts as the Overview shows them, from the store statistics and
the crawl's per-playlist outcomes (`data.crawl_reads.crawled_playlist_counts`)."""
from __future__ import annotations

from typing import Mapping


def playlist_counts(by_source: Mapping[str, int], crawled: Mapping[str, int]) -> dict[str, int]:
    """mpd (a real MPD copy), sample (the bundled generated sample), crawled (items read),
    unreachable (metadata only), with_tracks (mpd + sample + crawled).

    by_source: `GraphStats.playlists` ({mpd, sample, spotify, export, total}); crawled:
    `crawled_playlist_counts` ({crawled, unreachable, queued}).
    """
    mpd, sample = int(by_source.get("mpd", 0)), int(by_source.get("sample", 0))
    return {"mpd": mpd, "sample": sample, "crawled": int(crawled.get("crawled", 0)),
            "unreachable": int(crawled.get("unreachable", 0)),
            "with_tracks": mpd + sample + int(crawled.get("crawled", 0))}


def playlists_help(counts: Mapping[str, int]) -> str:
    sample = (f", {counts['sample']:,} from the bundled generated sample"
              if counts.get("sample") else "")
    return (f"Playlists with stored tracks: {counts['mpd']:,} from the MPD{sample} and "
            f"{counts['crawled']:,} crawled." + _unreachable(counts))


def crawled_help(counts: Mapping[str, int]) -> str:
    return ("Crawled playlists whose tracks were read and stored, over every crawl (the Crawl "
            "page counts the same way)." + _unreachable(counts))


def _unreachable(counts: Mapping[str, int]) -> str:
    n = counts["unreachable"]
    if not n:
        return ""
    return (f" Not counted: {n:,} unreachable playlist{'s' if n != 1 else ''} the crawl "
            "found but whose items the API refused (their metadata is stored).")
