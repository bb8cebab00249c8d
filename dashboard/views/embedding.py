"""Embedding map: the served model's track vectors in 2-D, with a playlist's or a seed
list's tracks and their recommendations highlighted."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.frames import embedding_map
from dashboard.frames.formatting import count
from dashboard.jobs import projection_job, runner
from dashboard.reads import embedding, loaders, recommender
from dashboard.settings import load_settings

POLL_S = 2.0
MODES = ("Playlist", "Seed tracks")
MAX_SAMPLE = 50_000

settings = load_settings()
home = str(settings.home)
version = loaders.store_version(home)
run_id = recommender.serving_run_id(home)

st.title("Embedding map")
st.caption("Every track of the model in use placed in 2-D so that tracks the model finds "
           "alike sit together (UMAP of its track vectors; computed once per run and kept in "
           "the run's directory). The browser gets a sample; the highlighted tracks are always "
           "drawn. Hover for track and artist; click a track to highlight its recommendations.")
if run_id is None:
    st.info("No trained model yet: the map appears once a training run has finished and been "
            "evaluated (sidebar: Retrain).", icon=":material/model_training:")
    st.stop()


def _projection_job() -> None:
    """Follow the background job that computes the projection. It starts when a training
    job ends; a run evaluated on the command line gets its projection started here."""
    job = runner.job_status(projection_job.PROJECT_JOB, settings.home)
    for_this_run = projection_job.projected_run(job) in (run_id, None)
    if embedding.projection_stamp(home, run_id) is not None:
        st.rerun(scope="app")
    if job.state == "failed" and for_this_run:
        st.error(f"The projection failed: {job.message}. Fix the cause, then retry.",
                 icon=":material/error:")
        if st.button("Retry", key="map_retry"):
            projection_job.start_projection(settings, run_id)
            st.rerun(scope="app")
        return
    if not job.running:
        try:
            projection_job.start_projection(settings, run_id)
        except runner.JobAlreadyRunning:
            pass
    st.info(f"Projecting the track vectors of run `{run_id}` (a minute or two on the bundled "
            "sample; it started when the run was evaluated); the map appears here when it is "
            "done.", icon=":material/hourglass_top:")
    st.caption(runner.log_tail(projection_job.PROJECT_JOB, settings.home, lines=1)
               or "starting…")


stamp = embedding.projection_stamp(home, run_id)
if stamp is None:
    st.fragment(_projection_job, run_every=POLL_S)()
    st.stop()

projection = embedding.projection(home, run_id, stamp)
total = len(projection.track_ids)


def _clicked() -> None:
    """A click on a track makes it the seed list (before the next run draws the widgets)."""
    rows = (st.session_state.get("embedding_map") or {}).get("selection", {}).get(
        embedding_map.SELECTION) or []
    if rows:
        st.session_state["map_mode"] = "Seed tracks"
        st.session_state["map_seed_ids"] = [int(rows[0]["track_id"])]


row = st.columns([1, 2, 1])
most = max(1, min(MAX_SAMPLE, total))
size = row[0].number_input(f"Tracks drawn (of {total:,})", min(1_000, most), most,
                           min(10_000, most), step=1_000, key="map_sample",
                           help="A seeded sample, so the browser stays quick; the projection "
                                "covers every track.")
color_by = row[1].selectbox("Colour by", ("cluster", *embedding_map.COLOR_FEATURES),
                            key="map_color",
                            format_func=lambda c: "Artist cluster" if c == "cluster"
                            else f"Audio feature: {c}")
k = row[2].slider("Recommendations", 5, 50, 20, step=5, key="map_k")

mode = st.segmented_control("Highlight", MODES, default="Playlist", required=True,
                            key="map_mode")
seeds: list[int] = []
title = None
if mode == "Playlist":
    left, right = st.columns([1, 2])
    query = left.text_input("Search playlists by title", key="map_playlist_query",
                            placeholder="e.g. road trip, chill")
    matches = loaders.search_playlists(home, version, query, limit=30)
    if not matches.empty:
        options = dict(zip(matches["id"].astype(int), matches["name"] + " — " +
                           matches["tracks"].map(lambda n: count(int(n), "track"))))
        picked = right.selectbox("Playlist", list(options), format_func=options.get,
                                 key="map_playlist")
        seeds = loaders.playlist_tracks(home, version, int(picked))
        title = str(matches.set_index("id").loc[picked, "name"])
else:
    chosen: list[int] = st.session_state.setdefault("map_seed_ids", [])
    left, right = st.columns([1, 2])
    query = left.text_input("Search tracks by name or artist", key="map_track_query")
    if query.strip():
        found = loaders.search_tracks(home, version, query, limit=30)
        options = {int(r.id): f"{r.name} — {r.artist or 'unknown artist'}"
                   for r in found.itertuples() if int(r.id) not in chosen}
        if options:
            add = right.selectbox("Matching tracks", list(options), format_func=options.get,
                                  key="map_track_pick")
            if right.button("Add to seeds", key="map_add", icon=":material/add:"):
                chosen.append(int(add))
                st.rerun()
    if chosen:
        names = loaders.track_rows(home, version, tuple(chosen))
        st.caption("Seeds: " + "; ".join(f"{r.name} — {r.artist or '?'}"
                                         for r in names.itertuples()))
        if st.button("Clear seeds", key="map_clear"):
            st.session_state["map_seed_ids"] = []
            st.rerun()
    seeds = list(chosen)

recommended: list[int] = []
if seeds:
    recs, _ = recommender.recommend(home, recommender.model_version(home, version, run_id),
                                    run_id, tuple(seeds), int(k), title)
    recommended = [t for t, _ in recs]

row_of = embedding.row_index(home, run_id, stamp)
wanted = [row_of[t] for t in (*seeds, *recommended) if t in row_of]
sample = embedding.points(home, version, run_id, stamp,
                          tuple(embedding_map.sample_rows(total, int(size)).tolist()))
extra = embedding.points(home, version, run_id, stamp, tuple(sorted(set(wanted))))
points = pd.concat([sample, extra], ignore_index=True).drop_duplicates("track_id")
labels = embedding_map.cluster_labels(sample)
points["cluster_label"] = points["cluster"].map(lambda c: labels.get(int(c), f"Cluster {c + 1}"))
highlight = embedding_map.highlight_frame(points, seeds, recommended)
missing = len(set(seeds) - set(row_of))

st.altair_chart(embedding_map.map_chart(points, highlight, color_by), on_select=_clicked,
                selection_mode=embedding_map.SELECTION, key="embedding_map", width="stretch")
st.caption(f"{len(points):,} of {total:,} tracks drawn ({projection.method.upper()} of the "
           f"{'ALS' if projection.model == 'als' else 'GraphSAGE'} track vectors of run "
           f"`{run_id}`, fitted on {projection.fit_tracks:,} tracks)."
           + (f" {missing:,} seed tracks are not in the model (added after training)."
              if missing else ""))
if not highlight.empty:
    st.dataframe(highlight[["role", "rank", "track", "artist"]], hide_index=True,
                 width="stretch", key="map_highlighted",
                 column_config={"role": "Highlighted", "rank": st.column_config.TextColumn(
                     "Rank", help="Rank among the recommendations for these seeds."),
                     "track": "Track", "artist": "Artist"})
