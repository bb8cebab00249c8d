"""Cached catalog reads for the pages (the crawl's are in `crawl_info`, the recommender
in `recommender`, training runs in `training_runs`).

Catalog reads are keyed on (home, store version): a write anywhere (ingest, crawl)
bumps the version and the next page run reads fresh data; between writes every page
and session shares one result. Each read opens its own short-lived connection: sqlite
connections are not shared between Streamlit's script threads.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pandas as pd
import streamlit as st

from data import catalog_reads as reads
from data.stats import (GraphStats, graph_stats, ingested_slice_count, last_ingest_at,
                        store_size_bytes)
from data.store import Catalog


@contextmanager
def open_catalog(home: str | Path) -> Iterator[Catalog]:
    with Catalog.open(Path(home)) as catalog:
        yield catalog


def store_version(home: str | Path) -> int:
    with open_catalog(home) as catalog:
        return catalog.version()


@st.cache_data(max_entries=4, show_spinner="Computing graph statistics…")
def stats(home: str, version: int) -> GraphStats:
    with open_catalog(home) as catalog:
        return graph_stats(catalog)


@st.cache_data(max_entries=4, show_spinner=False)
def store_health(home: str, version: int) -> dict:
    with open_catalog(home) as catalog:
        return {"size_bytes": store_size_bytes(catalog),
                "last_ingest_at": last_ingest_at(catalog),
                "slices": ingested_slice_count(catalog)}


@st.cache_data(max_entries=64, show_spinner=False)
def search_playlists(home: str, version: int, query: str, limit: int = 50) -> pd.DataFrame:
    with open_catalog(home) as catalog:
        rows = reads.search_playlists(catalog, query, limit)
    return pd.DataFrame(rows, columns=["id", "name", "source", "source_id", "owner_name", "tracks"])


@st.cache_data(max_entries=64, show_spinner=False)
def playlist_row(home: str, version: int, playlist_id: int) -> dict | None:
    """One playlist as a `search_playlists` row (None if there is none with that id)."""
    with open_catalog(home) as catalog:
        found = catalog.playlists([int(playlist_id)])
        if not found:
            return None
        row = found[0]
        return {"id": int(row["id"]), "name": row["name"], "source": row["source"],
                "source_id": row["source_id"], "owner_name": row.get("owner_name"),
                "tracks": len(catalog.playlist_track_ids(int(playlist_id)))}


@st.cache_data(max_entries=64, show_spinner=False)
def search_tracks(home: str, version: int, query: str, limit: int = 50) -> pd.DataFrame:
    with open_catalog(home) as catalog:
        rows = reads.search_tracks(catalog, query, limit)
    return pd.DataFrame(rows, columns=["id", "name", "artist", "playlists"])


@st.cache_data(max_entries=4, show_spinner=False)
def owners(home: str, version: int) -> pd.DataFrame:
    with open_catalog(home) as catalog:
        rows = reads.playlist_owners(catalog)
    return pd.DataFrame(rows, columns=["owner_id", "owner_name", "playlists", "tracks"])


@st.cache_data(max_entries=32, show_spinner=False)
def owner_tracks(home: str, version: int, owner_id: str) -> list[int]:
    with open_catalog(home) as catalog:
        return reads.owner_track_ids(catalog, owner_id)


@st.cache_data(max_entries=32, show_spinner=False)
def playlist_tracks(home: str, version: int, playlist_id: int) -> list[int]:
    with open_catalog(home) as catalog:
        return catalog.playlist_track_ids(playlist_id)


@st.cache_data(max_entries=64, show_spinner=False)
def track_rows(home: str, version: int, track_ids: tuple[int, ...]) -> pd.DataFrame:
    """id, name, artist for the given tracks, in the given order."""
    with open_catalog(home) as catalog:
        by_id = {r["id"]: r for r in catalog.tracks(list(track_ids))}
    return pd.DataFrame([{"id": t, "name": by_id.get(t, {}).get("name"),
                          "artist": by_id.get(t, {}).get("artist")} for t in track_ids],
                        columns=["id", "name", "artist"])


@st.cache_data(max_entries=64, show_spinner=False)
def evidence(home: str, version: int, seed_ids: tuple[int, ...],
             track_ids: tuple[int, ...]) -> dict[int, reads.Evidence]:
    with open_catalog(home) as catalog:
        return reads.cooccurrence_evidence(catalog, seed_ids, track_ids)
