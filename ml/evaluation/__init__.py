"""Metrics, scoring rankers on held-out cases, bootstrap significance (pure: no files)."""
