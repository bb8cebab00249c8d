"""What the crawl tests read from the crawl tables beyond what the dashboard reads."""
from __future__ import annotations

from data.store import Catalog


def visit_order(catalog: Catalog, crawl_id: int) -> list[str]:
    """Spotify ids of the visited playlists, in the order the crawl visited them."""
    return [r[0] for r in catalog.query(
        "SELECT spotify_id FROM crawl_playlists WHERE crawl_id = ? AND visit_seq IS NOT NULL "
        "ORDER BY visit_seq", (crawl_id,))]


def pages_in_flight(catalog: Catalog, crawl_id: int) -> int:
    """Fetched pages of playlists not yet finished (none once a crawl ends)."""
    return catalog.query("SELECT count(*) FROM crawl_pages WHERE crawl_id = ?",
                         (crawl_id,)).fetchone()[0]
