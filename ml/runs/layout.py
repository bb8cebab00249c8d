"""The names of the files in a run directory, `runs_dir(home)/<run_id>/`: every module that
reads or writes one takes its name from here. (The `ACTIVE` pointer beside the run
directories is `data.home.ACTIVE_FILE`.)"""
from __future__ import annotations

CONFIG = "config.json"  # the TrainConfig, run id, snapshot version, start time
STATUS = "status.json"  # state, epoch, message: what the dashboard follows
METRICS = "metrics.jsonl"  # one JSON object per finished epoch
CHECKPOINT = "checkpoint.pt"  # model, optimizer and the best weights: --resume
MODEL = "model.pt"  # the selected weights and what serving rebuilds the inputs from
SERVING = "serving.npz"  # catalog ids of the run's tracks, artists, albums; what was seen
TRACK_STATES = "track_states.npy"  # float32 [layers, T, dim], memory-mapped at load
SPLIT = "split.npz"  # the held-out playlists and the snapshot version
EVALUATION = "evaluation.json"  # every model on the test playlists, the served model
ALS = "als.npz"  # the tuned ALS's item factors and parameters
RERANKER_MODEL = "reranker.txt"  # the LightGBM booster
RERANKER_META = "reranker.json"  # its sources, candidate count, features and report
PROJECTION = "projection.npz"  # the 2-D map of the served track vectors
