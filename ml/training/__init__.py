"""Training data, negative sampling, the trainer's steps and epoch loop, fitting the baselines."""
