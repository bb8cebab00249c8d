"""PlaylistGraph dashboard: `streamlit run dashboard/app.py`.

Starts what a fresh home needs (the bundled sample's load, then a default training
run: background jobs), sets the page up, shows the load's progress while it runs, draws
the sidebar's model and retraining panel, and runs the selected page.
"""
from __future__ import annotations

import sys
from pathlib import Path

# `streamlit run dashboard/app.py` puts dashboard/ on sys.path, not the repository root.
_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

import streamlit as st  # noqa: E402

from dashboard import bootstrap, sidebar  # noqa: E402
from dashboard.reads import recommender  # noqa: E402
from dashboard.settings import SettingsError, load_settings  # noqa: E402

try:
    settings, settings_error = load_settings(), None
except SettingsError as exc:
    settings, settings_error = None, exc
# Before the first Streamlit command (where a session that went away stops this run):
# the sample's load and the first training are jobs of their own, started here if due.
first_start = bootstrap.start(settings) if settings is not None else None

st.set_page_config(page_title="PlaylistGraph", page_icon="🎧", layout="wide",
                   initial_sidebar_state="expanded")
if settings is None:
    st.error(str(settings_error))
    st.stop()

bootstrap.show(settings, first_start)

_VIEWS = Path(__file__).resolve().parent / "views"
navigation = st.navigation({
    "Catalog": [
        st.Page(_VIEWS / "overview.py", title="Overview", icon=":material/dashboard:",
                default=True),
        st.Page(_VIEWS / "degrees.py", title="Degrees", icon=":material/scatter_plot:"),
    ],
    "Model": [
        st.Page(_VIEWS / "training.py", title="Training", icon=":material/monitoring:"),
        st.Page(_VIEWS / "recommendations.py", title="Recommendations",
                icon=":material/queue_music:"),
        st.Page(_VIEWS / "embedding.py", title="Embedding map", icon=":material/bubble_chart:"),
    ],
    "Data": [
        st.Page(_VIEWS / "crawl.py", title="Crawl", icon=":material/travel_explore:"),
    ],
})
sidebar.render(settings)
try:
    navigation.run()
finally:
    # After the page is drawn (a page may end in st.stop): importing the model code takes
    # seconds of a core, which the first page must not share.
    recommender.prewarm()
