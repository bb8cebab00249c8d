"""The crawler's words as the Crawl page says them: its stop messages name command-line
flags (`--max-playlists`), the page names its own fields."""
from __future__ import annotations

import re
from typing import Mapping

# Longest first, so '--max-playlists' is not read as '--max-p…' of another flag.
FLAG_LABELS = {
    "--max-playlists": "the Max playlists limit",
    "--max-requests": "the Max API requests limit",
    "--max-depth": "the Max depth limit",
    "--search-pages": "Search pages per artist",
    "--max-wait-s": "the longest wait allowed",
}
RESUME = re.compile(r"(?:continue |resume |try again later )?with --resume")


def page_message(message: str | None) -> str:
    """'reached --max-playlists (60)' -> 'reached the Max playlists limit (60)'."""
    text = str(message or "")
    text = RESUME.sub(lambda m: m.group(0).replace("with --resume", "with Resume last crawl"),
                      text)
    for flag in sorted(FLAG_LABELS, key=len, reverse=True):
        text = text.replace(flag, FLAG_LABELS[flag])
    return text


def graph_playlists_note(breakdown: Mapping[str, int]) -> str:
    """Why the graph counts more playlists than the crawl visited."""
    total = sum(breakdown.values())
    parts = [f"{breakdown.get('crawled', 0):,} crawled",
             f"{breakdown.get('unreachable', 0):,} unreachable (found and visited, items refused: "
             "linked only to the artists whose search found them)"]
    if breakdown.get("queued"):
        parts.append(f"{breakdown['queued']:,} found by a search but not visited yet "
                     "(the frontier)")
    return f"The graph's {total:,} playlists: " + ", ".join(parts) + "."
