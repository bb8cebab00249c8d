"""The two-stage model: candidates, the re-ranker's features, the LightGBM booster, fitting it."""
