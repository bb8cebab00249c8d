"""Recommendations for any seed list from the active run, and what a user may name a playlist by."""
