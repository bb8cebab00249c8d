"""The embedding map's data: the served run's stored projection, and the sampled points
with their track, artist and audio features. Cached on the run and the file's mtime (the
projection) and on the store version (names and features)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from dashboard.reads.loaders import open_catalog
from data.graph_reads import track_metadata
from data.schema import AUDIO_FEATURES
from ml.pipeline.project_run import FILE, Projection, load_projection
from ml.runs.directory import resolve_run


def projection_stamp(home: str, run_id: str) -> int | None:
    """The projection file's mtime (ns): the cache key; None while the run has none."""
    run_dir = resolve_run(run_id, Path(home))
    try:
        return (run_dir / FILE).stat().st_mtime_ns if run_dir else None
    except OSError:
        return None


@st.cache_data(max_entries=4, show_spinner=False)
def projection(home: str, run_id: str, stamp: int) -> Projection | None:
    run_dir = resolve_run(run_id, Path(home))
    return load_projection(run_dir) if run_dir else None


@st.cache_data(max_entries=4, show_spinner=False)
def row_index(home: str, run_id: str, stamp: int) -> dict[int, int]:
    """{catalog track id: row in the projection}."""
    proj = projection(home, run_id, stamp)
    return {int(t): i for i, t in enumerate(proj.track_ids)}


@st.cache_data(max_entries=8, show_spinner="Reading the tracks on the map…")
def points(home: str, version: int, run_id: str, stamp: int, rows: tuple[int, ...]) -> pd.DataFrame:
    """track_id, x, y, cluster, track, artist and the audio features of the projection's
    `rows` (indices into it), in that order."""
    proj = projection(home, run_id, stamp)
    index = np.asarray(rows, np.int64)
    ids = proj.track_ids[index]
    with open_catalog(home) as catalog:
        names = {r["id"]: (r["name"], r["artist"]) for r in catalog.tracks([int(t) for t in ids])}
        meta = track_metadata(catalog, ids)
    frame = pd.DataFrame({"track_id": ids, "x": proj.xy[index, 0], "y": proj.xy[index, 1],
                          "cluster": proj.artist_cluster[index]})
    frame["track"] = [names.get(int(t), (None, None))[0] or f"track {t}" for t in ids]
    frame["artist"] = [names.get(int(t), (None, None))[1] or "" for t in ids]
    features = pd.DataFrame(meta.features, columns=list(AUDIO_FEATURES),
                            index=pd.Index(meta.track_ids, name="track_id"))
    return frame.join(features, on="track_id")
