"""The recommendations table: ranked tracks with artist, match, score and why (pure functions).

Raw scores are on each model's own scale (a GraphSAGE dot product, a co-occurrence count,
an ALS factor product), so the page shows a *match* in [0, 100] instead and the CSV keeps
the raw score, rounded.
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import pandas as pd

from data.catalog_reads import Evidence

COLUMNS = ["rank", "track", "artist", "match", "score", "shared_playlists", "why", "examples",
           "track_id", "uri", "link"]
MATCH_HELP = ("How strongly the model prefers this track within this list: 100 is the top "
              "recommendation, 0 the last one shown, in proportion to the model's raw scores "
              "(which have no common unit across models; the CSV keeps them).")
# Column widths (px) of the page's table. Their sum stays within the main area of a
# 1440-px-wide window with the sidebar open (about 980 px, measured in Chromium), so no
# column runs off the right edge; long cells show in full on hover. "Shared playlists"
# needs 115 px for its header (at 90 it read "Shared playlist").
TABLE_WIDTHS = {"rank": 36, "track": 170, "artist": 120, "link": 60, "match": 90,
                "shared_playlists": 115, "why": 185, "examples": 160}
TABLE_WIDTH_BUDGET_PX = 940
CSV_DIGITS = 4


def spotify_link(uri: str) -> str | None:
    """open.spotify.com address of a track URI (None for anything else)."""
    parts = uri.split(":") if uri else []
    if len(parts) == 3 and parts[:2] == ["spotify", "track"] and parts[2]:
        return f"https://open.spotify.com/track/{parts[2]}"
    return None


NO_EXAMPLES = "— (no playlist shares it with the seeds)"
UNKNOWN_ARTIST = "— (no artist recorded)"


def explain(evidence: Evidence | None, seed_names: Mapping[int, str]) -> str:
    """'Highway Song (12), Granite (3)': the seeds it shares most playlists with."""
    if evidence is None or not evidence.seeds:
        return "no shared playlist with the seeds"
    return ", ".join(f"{seed_names.get(seed, f'track {seed}')} ({n})"
                     for seed, n in evidence.seeds)


def match_scores(scores: Sequence[float]) -> list[int]:
    """Scores (best first) to matches in [0, 100]: min–max within the list, rounded.

    The best is 100 and the last 0; a list of one, or of equal scores, is all 100."""
    if not scores:
        return []
    top, low = max(scores), min(scores)
    if not math.isfinite(top - low) or top - low <= 0:
        return [100] * len(scores)
    return [int(round(100 * (s - low) / (top - low))) for s in scores]


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
    matches = match_scores([float(s) for _, s in recommendations])
    for rank, ((track_id, score), match) in enumerate(zip(recommendations, matches), start=1):
        info = tracks.get(track_id, {})
        ev = evidence.get(track_id)
        rows.append({
            "rank": rank,
            "track": info.get("name") or f"track {track_id}",
            "artist": info.get("artist") or UNKNOWN_ARTIST,
            "match": match,
            "score": float(score),
            "shared_playlists": ev.shared_playlists if ev else 0,
            "why": explain(ev, seed_names),
            "examples": "; ".join(ev.example_playlists) if ev and ev.example_playlists
                        else NO_EXAMPLES,
            "track_id": int(track_id),
            "uri": info.get("uri") or "",
            "link": spotify_link(info.get("uri") or ""),
        })
    return pd.DataFrame(rows, columns=COLUMNS)


def to_csv(frame: pd.DataFrame) -> bytes:
    """CSV for download, with column names a spreadsheet user understands; the raw score
    rounded to CSV_DIGITS decimals."""
    out = frame.assign(score=frame["score"].round(CSV_DIGITS))
    return out.rename(columns={"shared_playlists": "shared playlists",
                               "score": "raw score",
                               "why": "why (seed track, shared playlists)",
                               "examples": "example shared playlists",
                               "track_id": "catalog track id"}).to_csv(index=False).encode()


def playlist_option(name: str, tracks: int, source_label: str, owner_name) -> str:
    """'Road trip — 12 tracks · Crawled by Alice'; no 'by' when the owner is unknown
    (MPD playlists have none: a missing owner reads as NaN in a data frame)."""
    owner = owner_name if isinstance(owner_name, str) and owner_name.strip() else None
    noun = "track" if tracks == 1 else "tracks"
    return f"{name} — {tracks:,} {noun} · {source_label}" + (f" by {owner}" if owner else "")
