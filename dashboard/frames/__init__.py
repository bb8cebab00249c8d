"""Pure functions from data to data frames, figures and Altair charts (no Streamlit)."""
