"""The orchestrators: train a run, evaluate a run, project a run (the only modules that call across the others)."""
