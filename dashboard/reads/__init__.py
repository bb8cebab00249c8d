"""Cached reads for the pages: catalog, crawl, training runs and the recommender in use."""
