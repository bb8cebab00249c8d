"""crawl page (in progress)."""
import streamlit as st

st.title("crawl")
