"""What the tests and the benchmarks share: the local fake Spotify Web API, the synthetic
graph snapshot, and a row-by-row comparison of two catalogs. Not imported by the product."""
