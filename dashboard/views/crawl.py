"""Crawl: start a Spotify crawl in the background, follow it live, see what it found."""
from __future__ import annotations

import streamlit as st

from dashboard.frames import crawl_graph, crawl_tables, crawl_text, network
from dashboard.frames.formatting import when
from dashboard.jobs import crawl_job, runner
from dashboard.reads import crawl_info, loaders
from dashboard.sections import network_view
from dashboard.settings import DashboardSettings, load_settings

POLL_S = 2.0
STATE_LABELS = {"running": "running", "stopped": "stopped (resumable)", "done": "done",
                "failed": "failed"}

settings = load_settings()
home = str(settings.home)

st.title("Crawl Spotify")
st.caption("Breadth-first from a seed playlist: playlist → its tracks → their artists → "
           "playlists found by searching each artist → … Everything found merges into the "
           "catalog on track URIs. Playlists whose items the Web API refuses (Spotify-owned, "
           "or not yours in development mode) are recorded as unreachable and skipped.")


missing_credentials = crawl_job.credentials_problem(st.secrets)
if missing_credentials:
    st.warning(f"{missing_credentials[:1].upper()}{missing_credentials[1:]}; then reload this "
               "page. Crawls cannot start until then.", icon=":material/key_off:")


def _start(request: crawl_job.CrawlRequest) -> None:
    try:
        crawl_job.start_crawl(request, settings, st.secrets)
    except crawl_job.CrawlSetupError as exc:
        st.error(str(exc), icon=":material/error:")
    except runner.JobAlreadyRunning:
        st.warning("A crawl is already running; stop it or wait for it to finish.",
                   icon=":material/hourglass_top:")
    else:
        st.rerun()  # start polling


job_running = crawl_job.crawl_job_status(settings).running
latest_state = crawl_info.summary(home, loaders.store_version(home)).state
with st.form("crawl_form", border=True):
    seed = st.text_input("Seed playlist", key="crawl_seed",
                         placeholder="https://open.spotify.com/playlist/… , spotify:playlist:… "
                                     "or the 22-character id")
    cols = st.columns(4)
    max_playlists = cols[0].number_input("Max playlists", 1, 1_000_000, 100, key="crawl_max_pl",
                                         help="Stop after visiting this many playlists.")
    max_depth = cols[1].number_input("Max depth", 0, 50, 2, key="crawl_depth",
                                     help="BFS depth limit; the seed is depth 0.")
    max_requests = cols[2].number_input("Max API requests", 1, 10_000_000, 5000,
                                        key="crawl_max_req")
    search_pages = cols[3].number_input("Search pages per artist", 1, 100, 1,
                                        key="crawl_search_pages",
                                        help="10 results per page (the API's maximum).")
    left, right = st.columns([1, 1])
    start = left.form_submit_button("Start crawl", type="primary", icon=":material/play_arrow:",
                                    width="stretch")
    # Only a crawl that stopped early (rate limit, request cap, Stop) can continue.
    resume = right.form_submit_button("Resume last crawl", icon=":material/replay:",
                                      width="stretch",
                                      disabled=latest_state not in ("stopped", "failed"))
if start or resume:
    _start(crawl_job.CrawlRequest(seed=seed, max_playlists=int(max_playlists),
                                  max_depth=int(max_depth), max_requests=int(max_requests),
                                  search_pages=int(search_pages), resume=bool(resume)))


def _progress_panel(settings: DashboardSettings, was_running: bool) -> None:
    job = crawl_job.crawl_job_status(settings)
    if was_running and not job.running:
        st.rerun(scope="app")  # finished: refresh the tables below and the Overview figures
    summary = crawl_info.summary(str(settings.home), loaders.store_version(settings.home))
    st.subheader("Progress")
    if not summary.available:
        if job.running:
            st.info("The crawler is starting…", icon=":material/hourglass_top:")
        elif job.state == "failed":
            st.error(f"The crawl could not start: {job.message}", icon=":material/error:")
        else:
            st.info("No crawl yet. Give a seed playlist above and start one.",
                    icon=":material/travel_explore:")
        return
    p = summary.progress
    visited, limit = int(p.get("visited") or 0), int(p.get("max_playlists") or 0)
    st.progress(min(1.0, visited / limit) if limit else 0.0,
                text=f"Crawl #{p['crawl_id']} · {STATE_LABELS.get(p['state'], p['state'])} · "
                     f"{visited:,} of {limit:,} playlists · updated {when(p.get('updated_at'))}")
    row = st.columns(6)
    row[0].metric("Crawled", f"{int(p['crawled']):,}", border=True,
                  help="Playlists whose tracks were read and stored.")
    row[1].metric("Unreachable", f"{int(p['unreachable']):,}", border=True)
    row[2].metric("Frontier", f"{int(p['frontier']):,}", border=True,
                  help="Playlists found and queued, not visited yet.")
    row[3].metric("Artists searched", f"{int(p['artists_searched']):,} / {int(p['artists']):,}",
                  border=True)
    row[4].metric("API requests", f"{int(p['requests']):,}", border=True,
                  help=f"{int(p['retries'])} retries, {int(p['rate_limited'])} rate-limited, "
                       f"{p['wait_s']:.0f} s waited.")
    row[5].metric("Items skipped", f"{int(p['skipped_total']):,}", border=True,
                  help=", ".join(f"{n} {k}" for k, n in p["skipped"].items()))
    if p.get("message") and p["state"] != "running":
        (st.error if p["state"] == "failed" else st.caption)(
            crawl_text.page_message(p["message"]))
    counts = crawl_info.crawled_counts(str(settings.home), loaders.store_version(settings.home))
    st.caption(f"In the catalog, over every crawl: {counts['crawled']:,} crawled playlists "
               f"with stored tracks and {counts['unreachable']:,} unreachable ones "
               "(the Overview counts the same way).")
    if job.state == "failed" and not job.running:
        st.error(f"The last crawl job ended with an error: {job.message}",
                 icon=":material/error:")
    if job.running and st.button("Stop crawl", icon=":material/stop_circle:", key="crawl_stop"):
        crawl_job.stop_crawl(settings)
        st.toast("Stopping the crawl; it can be resumed later.")
    if job.state != "idle":
        with st.expander("Crawler output (last lines)"):
            st.code(runner.log_tail(crawl_job.CRAWL_JOB, settings.home) or "(nothing yet)",
                    language=None)


st.fragment(_progress_panel, run_every=POLL_S if job_running else None)(settings, job_running)

version = loaders.store_version(home)
if not crawl_info.summary(home, version).available:
    st.stop()

unreachable = crawl_info.playlists(home, version, "unreachable")
st.subheader(f"Unreachable playlists ({len(unreachable):,})")
if unreachable.empty:
    st.caption("None so far.")
else:
    st.dataframe(crawl_tables.unreachable_table(unreachable), hide_index=True, width="stretch",
                 column_config={"name": "Playlist", "owner_name": "Owner",
                                "reason": st.column_config.TextColumn("Reason", width="medium"),
                                "depth": "Depth", "found_via": "Found via artist",
                                "spotify_id": "Spotify id"})
    for head, why in crawl_tables.reason_notes(unreachable):
        st.caption(f"**{head}**: {why}")

st.subheader("Playlist–artist graph")
st.caption("Crawled playlists linked to the artists of their tracks; artists lead the BFS to "
           "new playlists through search.")
stats = crawl_info.graph_stats(home, version)
laid_out = crawl_info.graph_layout(home, version)
note = crawl_text.graph_playlists_note(network.playlist_breakdown(laid_out.graph))
figures = crawl_graph.graph_metrics(stats, note)
if not figures:
    st.caption("Empty until the crawl has read a playlist.")
else:
    for start in range(0, len(figures), 4):
        row = st.columns(4)
        for col, (label, value, help_text) in zip(row, figures[start:start + 4]):
            col.metric(label, value, help=help_text, border=True)
    st.caption(note)
    network_view.render(home, version)
    top = crawl_graph.top_artists_frame(stats)
    if not top.empty:
        st.markdown("**Most central artists** (PageRank in the playlist–artist graph)")
        st.dataframe(top, hide_index=True, width="stretch",
                     column_config={
                         "name": "Artist", "degree": st.column_config.NumberColumn(
                             "Playlists", help="Playlists linked to the artist."),
                         "pagerank": st.column_config.NumberColumn("PageRank", format="%.4f"),
                         "betweenness": st.column_config.NumberColumn("Betweenness",
                                                                      format="%.4f"),
                         "uri": "Spotify URI"})

with st.expander("Playlists of the latest crawl (visit order, then the frontier)"):
    crawled = crawl_info.playlists(home, version)
    st.dataframe(crawl_tables.playlist_table(crawled), hide_index=True, width="stretch",
                 column_config={"name": "Playlist", "owner_name": "Owner", "status": "Status",
                                "depth": "Depth", "found_via": "Found via artist",
                                "tracks": "Tracks stored", "skipped": "Items skipped"})
