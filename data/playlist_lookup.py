"""Finding a stored playlist from what a user typed: by its source id, or by its title."""
from __future__ import annotations

from data.store import Catalog


def playlist_by_source(catalog: Catalog, source: str, source_id: str) -> int | None:
    """The catalog id of the playlist with this source ('mpd' or 'spotify') and id, if stored."""
    row = catalog.conn.execute("SELECT id FROM playlists WHERE source = ? AND source_id = ?",
                               (source, source_id)).fetchone()
    return row[0] if row else None


def playlists_titled(catalog: Catalog, title: str, limit: int = 10) -> list[int]:
    """Ids of the playlists whose title is `title`, ignoring case and outer spaces."""
    return [r[0] for r in catalog.conn.execute(
        "SELECT id FROM playlists WHERE lower(trim(name)) = lower(trim(?)) ORDER BY id LIMIT ?",
        (title, limit))]
