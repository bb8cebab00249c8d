"""The graph snapshot of the catalog, the evaluation protocol's split and cases, playlist titles, audio features."""
