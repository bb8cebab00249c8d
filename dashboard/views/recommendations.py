"""Recommendations: top-K tracks for a playlist, a user or a hand-built seed list, with why."""
from __future__ import annotations

import re
import zlib

import pandas as pd
import streamlit as st

from dashboard.frames import charts, recommend_table, reranker_frames
from dashboard.frames.formatting import count
from dashboard.reads import loaders, recommender
from dashboard.settings import load_settings
from dashboard.views import recommend_account, recommend_listening

SOURCE_LABELS = {"mpd": "MPD", "sample": "Sample", "spotify": "Crawled", "export": "Export"}
MODES = ("Playlist", "User", "Track list", recommend_account.MODE, recommend_listening.MODE)


def _pick(label: str, options: dict, key: str, default=None):
    """A selectbox over `options` ({value: text}) that starts afresh when they change.

    A new search gives new options; keeping the widget would let the browser and the
    script disagree on the choice for a run, so the options are part of its key.
    """
    digest = zlib.crc32(repr(list(options)).encode())
    values = list(options)
    return st.selectbox(label, values, format_func=options.__getitem__,
                        index=values.index(default) if default in options else 0,
                        key=f"{key}-{digest:08x}")


def _take_linked_playlist() -> int | None:
    """A playlist sent here by a link (`?playlist=<catalog id>`, e.g. a click on the Crawl
    page's graph): its title goes into the search box, and it is picked."""
    raw = st.query_params.get("playlist")
    if raw is not None:
        del st.query_params["playlist"]
        row = loaders.playlist_row(home, version, int(raw)) if str(raw).isdigit() else None
        if row is not None:
            st.session_state.update(rec_mode="Playlist", rec_playlist_query=row["name"],
                                    rec_linked_playlist=row["id"])
    return st.session_state.get("rec_linked_playlist")


def _model_label(model) -> str:
    name = charts.MODEL_LABELS.get(model.name, model.name)
    return f"{name} (run {model.run_id})" if model.run_id else f"the {name} baseline"


def _refresh_when_loaded() -> None:
    """Polled while the model loads: the whole page again once it is in."""
    if recommender.model_loaded(home, model_version, run_id):
        st.rerun(scope="app")


settings = load_settings()
home = str(settings.home)
version = loaders.store_version(home)
run_id = recommender.serving_run_id(home)
model_version = recommender.model_version(home, version, run_id)
model = recommender.serving_model(home, model_version, run_id, wait_s=settings.model_wait_s)

st.title("Recommendations")
if model is not None and model.run_id is not None and model.run_id != run_id:
    st.warning(f"The active run cannot be used: {model.note}.", icon=":material/warning:")
if model is None:
    st.info((f"Loading the model of run `{run_id}`…" if run_id is not None else
             "Preparing the co-occurrence baseline over the whole catalog (the first time "
             "after each change to the catalog: minutes on a million playlists)…")
            + " This page refreshes by itself when it is ready; the other pages work "
              "meanwhile.", icon=":material/hourglass_top:")
    st.fragment(_refresh_when_loaded, run_every=1.0)()
    st.stop()
if model.name == "gnn":
    st.caption(f"Ranked by the GraphSAGE model of run `{model.run_id}`. A playlist is "
               "represented by its tracks, so playlists the model never saw work too.")
elif model.run_id is not None:
    st.caption(f"Ranked by {charts.MODEL_LABELS.get(model.name, model.name)} from run "
               f"`{model.run_id}`: it has the best validation NDCG of that run's models "
               "(the Training page has the figures). Playlists the model never saw work too.")
elif run_id is not None:
    st.warning(f"The trained model cannot be used ({model.note}); recommendations come from "
               "the co-occurrence baseline.", icon=":material/warning:")
else:
    st.info("No trained model yet: these recommendations come from the **co-occurrence "
            "baseline** (item kNN: tracks that share playlists with the seeds). They switch "
            "to the GraphSAGE model as soon as a training run has finished and been "
            "evaluated.", icon=":material/info:")

linked = _take_linked_playlist()
mode = st.segmented_control("Recommend for", MODES, default="Playlist", required=True,
                            key="rec_mode")
seeds: list[int] = []
label = ""
title: str | None = None  # a playlist's title: the model conditions on it too
leave_out: set[int] = set()  # tracks the user already has (besides the seeds)

if mode == "Playlist":
    query = st.text_input("Search playlists by title", key="rec_playlist_query",
                          placeholder="e.g. road trip, chill, workout")
    matches = loaders.search_playlists(home, version, query)
    if linked is not None and linked not in set(matches["id"]):
        row = loaders.playlist_row(home, version, linked)
        if row is not None and row["name"] == query:  # a linked playlist past the cap
            matches = pd.concat([pd.DataFrame([row]), matches], ignore_index=True)
    if matches.empty:
        st.warning(f"No playlist title contains “{query}”. Try a shorter word.")
    else:
        names = {int(r.id): recommend_table.playlist_option(
                     r.name, int(r.tracks), SOURCE_LABELS.get(r.source, r.source), r.owner_name)
                 for r in matches.itertuples()}
        playlist_id = _pick(f"Playlist ({len(names)} shown, longest first)", names,
                            "rec_playlist", default=linked)
        if playlist_id is not None:
            seeds = loaders.playlist_tracks(home, version, int(playlist_id))
            label = title = str(matches.set_index("id").loc[playlist_id, "name"])

elif mode == "User":
    owners = loaders.owners(home, version)
    if owners.empty:
        st.info("No crawled playlist owners yet. Crawl a playlist on the **Crawl** page; "
                "every owner found becomes a user here.", icon=":material/person_search:")
    else:
        names = {r.owner_id: f"{r.owner_name or r.owner_id} — {count(r.playlists, 'playlist')}, "
                             f"{count(r.tracks, 'track')}" for r in owners.itertuples()}
        owner_id = _pick("User (crawled playlist owner; all their playlists merged)", names,
                         "rec_owner")
        if owner_id is not None:
            seeds = loaders.owner_tracks(home, version, owner_id)
            label = str(owners.set_index("owner_id").loc[owner_id, "owner_name"] or owner_id)

elif mode == recommend_account.MODE:
    picked = recommend_account.seed_picker(settings)
    if picked is not None:
        seeds, label, leave_out = picked.seeds, picked.label, picked.leave_out - set(picked.seeds)

elif mode == recommend_listening.MODE:
    seeds, label, leave_out = recommend_listening.choose(home, version)

else:
    chosen: list[int] = st.session_state.setdefault("rec_seed_ids", [])
    left, right = st.columns([3, 2], gap="large")
    with left:
        query = st.text_input("Search tracks by name or artist", key="rec_track_query",
                              placeholder="e.g. a song title or an artist")
        if query.strip():
            found = loaders.search_tracks(home, version, query)
            found = found[~found["id"].isin(chosen)]
            if found.empty:
                st.warning(f"No new track or artist matches “{query}”.")
            else:
                options = {int(r.id): f"{r.name} — {r.artist or 'unknown artist'} "
                                      f"({count(r.playlists, 'playlist')})"
                           for r in found.itertuples()}
                pick = _pick("Matching tracks", options, "rec_track_pick")
                if st.button("Add to seed list", icon=":material/add:", key="rec_add"):
                    chosen.append(int(pick))
                    st.rerun()
    with right:
        if chosen:
            seed_table = loaders.track_rows(home, version, tuple(chosen))
            st.dataframe(seed_table[["name", "artist"]], hide_index=True, width="stretch",
                         column_config={"name": "Seed track", "artist": "Artist"})
            if st.button("Clear seed list", icon=":material/delete:", key="rec_clear"):
                st.session_state["rec_seed_ids"] = []
                st.rerun()
        else:
            st.caption("Search, pick a track and add it; the list is a playlist the model "
                       "has never seen.")
    seeds = list(chosen)
    label = "my seed list"

k = st.slider("Number of recommendations", 5, 100, 20, step=5, key="rec_k")

if not seeds:
    if mode == "Playlist" and label:
        st.warning(f"“{label}” has no stored tracks to recommend from. Pick another playlist.",
                   icon=":material/playlist_remove:")
    st.stop()

recs, skipped = recommender.recommend(home, model_version, model.run_id, tuple(seeds),
                                      k + len(leave_out), title)
recs = [r for r in recs if r[0] not in leave_out][:k]
seed_rows = loaders.track_rows(home, version, tuple(seeds))
seed_names = dict(zip(seed_rows["id"], seed_rows["name"].fillna("")))
rec_ids = tuple(t for t, _ in recs)
with loaders.open_catalog(home) as catalog:
    tracks = {r["id"]: r for r in catalog.tracks(list(rec_ids))}
evidence = loaders.evidence(home, version, tuple(seeds), rec_ids)
table = recommend_table.recommendation_frame(recs, tracks, evidence, seed_names)
table["model_reasons"] = table["track_id"].map(reranker_frames.reasons_by_track(
    recommender.explain(home, model_version, model.run_id, tuple(seeds), rec_ids, title)))

st.subheader(f"Top {len(table)} for {label}")
st.caption(f"From {len(seeds):,} seed tracks (excluded from the results). **Why** lists the "
           "seed tracks that share the most playlists with each recommendation, with the count; "
           "**Shared playlists** counts playlists holding it and at least one seed.")
if leave_out:
    st.caption(f"The {len(leave_out):,} other tracks of your Spotify library are left out too: "
               "only tracks new to you are recommended.")
if skipped:
    st.caption(f"{len(skipped):,} of the seed tracks could not be used by the model (tracks in "
               "no playlist, or added after training without features, artist or album).")
if table.empty:
    st.warning("The model returned nothing for these seeds (tracks it cannot place). "
               "Add more seed tracks.")
    st.stop()
widths = recommend_table.TABLE_WIDTHS
# The two-stage model's reasons take the place of the example playlists (still in the CSV).
columns = ([c for c in widths if c != "examples"] + ["model_reasons"]
           if model.name == "reranked" else list(widths))
st.dataframe(
    table[columns], hide_index=True, width="stretch",
    height=min(48 + 35 * len(table), 930),
    column_config={
        "rank": st.column_config.NumberColumn("#", width=widths["rank"]),
        "track": st.column_config.TextColumn("Track", width=widths["track"]),
        "artist": st.column_config.TextColumn("Artist", width=widths["artist"]),
        "link": st.column_config.LinkColumn("Spotify", display_text="Open ↗",
                                            width=widths["link"]),
        "match": st.column_config.ProgressColumn(
            "Match", format="%d", min_value=0, max_value=100, width=widths["match"],
            help=recommend_table.MATCH_HELP),
        "shared_playlists": st.column_config.NumberColumn(
            "Shared playlists", format="%d", width=widths["shared_playlists"],
            help="Playlists holding this track and at least one seed."),
        "why": st.column_config.TextColumn("Why (seed, shared playlists)", width=widths["why"]),
        "examples": st.column_config.TextColumn("Example shared playlists",
                                                width=widths["examples"]),
        "model_reasons": st.column_config.TextColumn(
            "Re-ranker's reasons", width=widths["examples"],
            help="The features and models that raised this track most in the two-stage "
                 "model's score."),
    })
st.caption("The CSV has every column of the table plus the model's raw score (rounded to "
           f"{recommend_table.CSV_DIGITS} decimals), the track URI and its catalog id.")
slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-") or "seeds"
st.download_button("Download CSV", recommend_table.to_csv(table),
                   file_name=f"recommendations-{slug}.csv", mime="text/csv",
                   icon=":material/download:", key="rec_download")
recommend_account.after_table(settings, table, label, len(seeds), _model_label(model))
