"""The two-stage model on the dashboard: its feature importances and, per recommended
track, the strongest reasons the re-ranker had (pure functions, tested without Streamlit).

A feature such as `gnn_rank` belongs to a source model; its reason reads "GraphSAGE
rank". Contributions are the booster's SHAP values: positive ones raised the track.
"""
from __future__ import annotations

from typing import Mapping

import altair as alt
import pandas as pd

SOURCE_LABELS = {"gnn": "GraphSAGE", "als": "ALS", "itemknn": "Item kNN", "rp3beta": "RP3beta",
                 "ease": "EASE^R", "plknn": "nearest playlists", "titlewords": "title-word playlists"}
FEATURE_LABELS = {
    "score": "score", "gap": "score gap to its best", "rank": "rank", "absent": "not proposed",
    "sources": "models proposing it", "popularity": "popularity", "seeds": "number of seeds",
    "artist_share": "artist among the seeds", "artist_seeds": "seeds by its artist",
    "album_share": "album among the seeds", "album_seeds": "seeds from its album",
    "title_playlists": "playlists with this title", "title_share": "share under this title",
    "title_words": "title words", "audio_distance": "sound close to the seeds",
    "audio_missing": "no audio features",
    "cooc_seeds": "seeds sharing a playlist", "cooc_seed_share": "share of seeds sharing a playlist",
    "cooc_max": "most playlists shared with a seed", "cooc_mean": "playlists shared per seed",
    "closest_seed": "seeds since the last it shares a playlist with", "seed_pop_mean": "seeds' mean popularity",
    "seed_pop_std": "spread of the seeds' popularity", "pop_vs_seeds": "popularity against the seeds'",
    "pop_z": "popularity against the seeds' (z)"}


def feature_label(name: str) -> str:
    """'gnn_rank' -> 'GraphSAGE rank'; 'artist_share' -> 'artist among the seeds'."""
    if name in FEATURE_LABELS:
        return FEATURE_LABELS[name]
    source, _, part = name.partition("_")
    if source in SOURCE_LABELS and part in FEATURE_LABELS:
        return f"{SOURCE_LABELS[source]} {FEATURE_LABELS[part]}"
    return name.replace("_", " ")


def importance_frame(evaluation: Mapping) -> pd.DataFrame:
    """feature, label, share (of the total gain), largest first; empty without a re-ranker."""
    shares = ((evaluation or {}).get("reranker") or {}).get("importances") or {}
    frame = pd.DataFrame({"feature": list(shares), "share": [float(v) for v in shares.values()]},
                         columns=["feature", "share"])
    frame["label"] = frame["feature"].map(feature_label)
    return frame.sort_values("share", ascending=False, ignore_index=True)


def importance_chart(frame: pd.DataFrame, top: int = 12) -> alt.Chart:
    data = frame.head(top)
    return alt.Chart(data).mark_bar(color="#1DB954").encode(
        x=alt.X("share:Q", title="Share of the re-ranker's total gain", axis=alt.Axis(format="%")),
        # labels such as "Item kNN score gap to its best" in full (Vega cuts at 180 px)
        y=alt.Y("label:N", sort="-x", title=None, axis=alt.Axis(labelLimit=400)),
        tooltip=[alt.Tooltip("label:N", title="Feature"),
                 alt.Tooltip("share:Q", title="Share", format=".1%")],
    ).properties(height=max(24 * len(data), 60))


def reasons(contributions: Mapping[str, float], top: int = 3) -> str:
    """The strongest pushes up, e.g. 'GraphSAGE rank +1.21, artist among the seeds +0.40'."""
    ups = sorted(((v, k) for k, v in contributions.items() if v > 0), reverse=True)[:top]
    if not ups:
        return "no feature raised it; ranked by the first stage's order"
    return ", ".join(f"{feature_label(k)} {v:+.2f}" for v, k in ups)


def reasons_by_track(explained: Mapping[int, Mapping[str, float]], top: int = 3) -> dict[int, str]:
    return {int(t): reasons(c, top) for t, c in explained.items()}
