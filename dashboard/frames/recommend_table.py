"""The recommendations table: ranked tracks with artist, score and why (pure function)."""
from __future__ import annotations

from typing import Mapping, Sequence

import pandas as pd

from data.catalog_reads import Evidence

COLUMNS = ["rank", "track", "artist", "score", "shared_playlists", "why", "examples",
           "track_id", "uri", "link"]


def spotify_link(uri: str) -> str | None:
    """open.spotify.com address of a track URI (None for anything else)."""
    parts = uri.split(":") if uri else []
    if len(parts) == 3 and parts[:2] == ["spotify", "track"] and parts[2]:
        return f"https://open.spotify.com/track/{parts[2]}"
    return None


def explain(evidence: Evidence | None, seed_names: Mapping[int, str]) -> str:
    """'Highway Song (12), Granite (3)': the seeds it shares most playlists with."""
    if evidence is None or not evidence.seeds:
        return "no shared playlist with the seeds"
    return ", ".join(f"{seed_names.get(seed, f'track {seed}')} ({n})"
                     for seed, n in evidence.seeds)


def recommendation_frame(recommendations: Sequence[tuple[int, float]],
                         tracks: Mapping[int, Mapping], evidence: Mapping[int, Evidence],
                         seed_names: Mapping[int, str]) -> pd.DataFrame:
    """One row per recommended track, best first.

    recommendations: (track_id, score) in rank order
    tracks: track id -> row with name, artist, uri
    evidence: track id -> co-occurrence evidence with the seeds
    seed_names: seed track id -> display name
    """
    rows = []
    for rank, (track_id, score) in enumerate(recommendations, start=1):
        info = tracks.get(track_id, {})
        ev = evidence.get(track_id)
        rows.append({
            "rank": rank,
            "track": info.get("name") or f"track {track_id}",
            "artist": info.get("artist") or "",
            "score": float(score),
            "shared_playlists": ev.shared_playlists if ev else 0,
            "why": explain(ev, seed_names),
            "examples": "; ".join(ev.example_playlists) if ev else "",
            "track_id": int(track_id),
            "uri": info.get("uri") or "",
            "link": spotify_link(info.get("uri") or ""),
        })
    return pd.DataFrame(rows, columns=COLUMNS)


def to_csv(frame: pd.DataFrame) -> bytes:
    """CSV for download, with column names a spreadsheet user understands."""
    return frame.rename(columns={"shared_playlists": "shared playlists",
                                 "why": "why (seed track, shared playlists)",
                                 "examples": "example shared playlists",
                                 "track_id": "catalog track id"}).to_csv(index=False).encode()
