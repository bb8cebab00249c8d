"""Training configuration: one dataclass, every field a `python -m ml train --flag`."""
from __future__ import annotations

import argparse
from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any

from ml.models.als_tuning import parse_search
from ml.models.ease import EASE_PARAMETERS
from ml.models.neighbours import NEIGHBOUR_PARAMETERS
from ml.models.rp3beta import RP3_PARAMETERS
from ml.models.graphsage import ACTIVATION, COMBINE

BASELINES = ("popularity", "itemknn", "als", "rp3beta", "ease")
# The two-stage model's candidate sources: every model above but popularity, GraphSAGE, and
# the playlist–playlist sources (ml.models.neighbours), which are candidate sources only.
SOURCES = ("gnn", "als", "itemknn", "rp3beta", "ease", "plknn", "titlewords")
# 11 fits. On the real development set λ from 0.01 to 30 moved validation NDCG by 0.0005
# (0.2239–0.2244) and α 1 was far the worst (0.2017 against 0.2240 at α 40), so those
# trials were dropped; each fit costs ~9 s of the 20-minute `ml train` there.
DEFAULT_ALS_SEARCH = "alpha=5,20,40,80;regularization=0.1,10;factors=32,128,256;iterations=30"
# What --early-stopping may name: keys of Trainer.validate's result (the first is the default).
EARLY_STOPPING_METRICS = ("val_ndcg", "val_r_precision", "val_recall@100")


@dataclass
class TrainConfig:
    # model
    dim: int = field(default=64, metadata={"help": "embedding and hidden size"})
    layers: int = field(default=3, metadata={
        "help": "playlist<-track rounds; tracks get layers-1 rounds of playlist context"})
    dropout: float = field(default=0.0, metadata={"help": "dropout on hidden states"})
    combine: str = field(default="mean", metadata={
        "help": "track vector: the last state, or the mean of all states (LightGCN)"})
    activation: str = field(default="none", metadata={
        "help": "non-linearity between rounds: gelu, or none (linear propagation)"})
    fold_in: bool = field(default=True, metadata={
        "help": "add ALS's fold-in of the seeds' track vectors (a learned-weight ridge solve "
                "that weighs seeds jointly) to the playlist vector"})
    query_scale: float = field(default=10.0, metadata={
        "help": "> 0: playlist vectors are L2-normalized and multiplied by a learned scale "
                "starting here (0: raw vectors)"})
    id_dropout: float = field(default=0.0, metadata={
        "help": "share of tracks whose id embedding is hidden per step, so features, artist, "
                "album and graph learn to carry tracks the model barely saw"})
    cold_share: float = field(default=0.1, metadata={
        "help": "share of tracks shown as brand new per step (no id, no edges), so tracks "
                "added after training are placed by features, artist and album"})
    id_min_playlists: int = field(default=2, metadata={
        "help": "training playlists a track needs to get its own id embedding (the rest are "
                "carried by features, artist, album and graph)"})
    title_min_count: int = field(default=2, metadata={
        "help": "training playlists a normalized title needs to get its own embedding"})
    title_seed_tracks: int = field(default=25, metadata={
        "help": "a playlist with only a title is read from the tracks most common in training "
                "playlists with that title, up to this many (0: from the title embedding only)"})
    title_token_min_count: int = field(default=2, metadata={
        "help": "training playlists a title word needs to get its own embedding (0: no words)"})
    # optimization
    epochs: int = field(default=40, metadata={"help": "maximum epochs"})
    patience: int = field(default=4, metadata={
        "help": "stop after this many epochs without a better validation score"})
    lr: float = field(default=0.01, metadata={"help": "Adam learning rate"})
    lr_patience: int = field(default=2, metadata={
        "help": "multiply the learning rate by --lr-decay after this many epochs without a "
                "better validation score (0: constant rate)"})
    lr_decay: float = field(default=0.5, metadata={"help": "learning-rate factor on a plateau"})
    weight_decay: float = field(default=0.0, metadata={"help": "AdamW weight decay"})
    batch_playlists: int = field(default=128, metadata={"help": "training playlists per step"})
    max_steps: int = field(default=32, metadata={
        "help": "steps per epoch at most: past batch_playlists x max_steps training playlists "
                "the batch grows instead, since every step propagates the whole graph; an "
                "epoch then costs about max_steps graph passes, linear in edges (0: no cap)"})
    targets_per_playlist: int = field(default=50, metadata={
        "help": "hidden tracks scored per training playlist and epoch"})
    title_only_share: float = field(default=0.1, metadata={
        "help": "share of training playlists shown with no seed tracks (title only) per epoch"})
    uniform_negatives: int = field(default=4096, metadata={
        "help": "negatives per step drawn uniformly from all tracks"})
    popular_negatives: int = field(default=4096, metadata={
        "help": "harder negatives per step drawn by popularity^popularity_exponent"})
    popularity_exponent: float = field(default=0.75, metadata={
        "help": "exponent of the popularity-weighted negative sampler"})
    loss_chunk: int = field(default=2048, metadata={
        "help": "playlists of a step whose loss is computed at once: larger batches are scored "
                "in chunks of this many, so a step's memory does not grow with the batch (the "
                "same loss and gradients; 0: the whole batch at once)"})
    # protocol
    test_fraction: float = field(default=0.1, metadata={"help": "playlists held out for test"})
    validation_fraction: float = field(default=0.05, metadata={
        "help": "playlists held out for validation (early stopping)"})
    max_test: int = field(default=2000, metadata={"help": "cap on test playlists"})
    max_validation: int = field(default=1000, metadata={"help": "cap on validation playlists"})
    max_validation_cases: int = field(default=2000, metadata={
        "help": "cap on validation cases per epoch (every scenario of each validation playlist, "
                "subsampled beyond this)"})
    split_seed: int = field(default=2018, metadata={"help": "seed of the held-out split"})
    listening_as_playlists: bool = field(default=False, metadata={
        "help": "train on each listener-month of imported plays (python -m data listening) as "
                "a playlist too; off: only stored playlists, the listener's export playlists "
                "among them, are training edges"})
    early_stopping: str = field(default=EARLY_STOPPING_METRICS[0], metadata={
        "help": f"validation metric to select the epoch ({', '.join(EARLY_STOPPING_METRICS)})"})
    # baselines
    baselines: str = field(default=",".join(BASELINES), metadata={
        "help": f"comma-separated baselines to train and evaluate ({', '.join(BASELINES)})"})
    als_factors: int = field(default=64, metadata={"help": "ALS latent factors"})
    als_iterations: int = field(default=15, metadata={"help": "ALS iterations"})
    als_regularization: float = field(default=0.05, metadata={"help": "ALS L2 regularization"})
    als_alpha: float = field(default=10.0, metadata={"help": "ALS confidence scale"})
    als_search: str = field(default=DEFAULT_ALS_SEARCH, metadata={
        "help": "ALS values tried on validation, one parameter at a time from the als_* "
                "values ('' to use those as they are)"})
    # RP3beta and EASE^R start where the real development set's validation put them (the
    # first searches ended on their grids' edges: alpha 0.7, beta 0.3, lambda 1000).
    rp3_alpha: float = field(default=0.7, metadata={"help": "RP3beta walk exponent"})
    rp3_beta: float = field(default=0.3, metadata={"help": "RP3beta popularity penalty"})
    rp3_neighbours: int = field(default=0, metadata={
        "help": "RP3beta neighbours kept per track (0: all, scored per query; K: a pruned "
                "track-track matrix built once, for full-catalog serving)"})
    rp3_search: str = field(default="beta=0.15,0.45;alpha=0.5,0.9", metadata={
        "help": "RP3beta values tried on validation, one at a time ('' to use --rp3-*)"})
    ease_regularization: float = field(default=1000.0, metadata={"help": "EASE^R lambda"})
    ease_items: int = field(default=10000, metadata={
        "help": "EASE^R is fitted on this many most frequent tracks (its inverse is items^2 "
                "floats: 400 MB at 10,000)"})
    ease_search: str = field(default="regularization=300,3000", metadata={
        "help": "EASE^R values tried on validation ('' to use --ease-*)"})
    plknn_neighbours: int = field(default=50, metadata={
        "help": "nearest training playlists that vote in the playlist-playlist source"})
    plknn_power: float = field(default=1.0, metadata={
        "help": "exponent of a neighbour playlist's similarity, its vote's weight"})
    plknn_search: str = field(default="neighbours=25,100;power=0.5,2", metadata={
        "help": "playlist-playlist values tried on validation ('' to use --plknn-*)"})
    titlewords_neighbours: int = field(default=100, metadata={
        "help": "training playlists with the nearest titles (by words) that vote"})
    titlewords_power: float = field(default=1.0, metadata={
        "help": "exponent of a title's similarity, its vote's weight"})
    titlewords_search: str = field(default="neighbours=50,500;power=2", metadata={
        "help": "title-word values tried on validation title-only cases ('' to use "
                "--titlewords-*)"})
    # two-stage model
    rerank_sources: str = field(default=",".join(SOURCES), metadata={
        "help": f"comma-separated candidate sources of the two-stage model ({', '.join(SOURCES)}"
                "; als and itemknn only when in --baselines)"})
    rerank: bool = field(default=True, metadata={
        "help": "train the two-stage model: candidates from --rerank-sources, "
                "re-ranked by LightGBM lambdarank"})
    # 500 chosen on the real development set's validation playlists (ml train re-evaluated
    # at 200, 300 and 500, the same GraphSAGE): NDCG 0.2788 / 0.2906 / 0.2971, R-precision
    # 0.1756 / 0.1770 / 0.1768, candidate recall 34% / 39% / 45%; fitting the re-ranker 2.4×.
    rerank_candidates: int = field(default=500, metadata={
        "help": "candidates each source model proposes (the N of top-N)"})
    rerank_fold: float = field(default=0.25, metadata={
        "help": "share of training playlists the re-ranker learns from (the source models "
                "are refitted without them for that)"})
    rerank_gnn_epochs: int = field(default=6, metadata={
        "help": "maximum epochs of the GraphSAGE trained without the fold, whose scores the "
                "re-ranker learns from"})
    rerank_queries: int = field(default=4000, metadata={
        "help": "cap on the re-ranker's training queries (seed/target cuts of the fold)"})
    rerank_rounds: int = field(default=500, metadata={
        "help": "maximum boosting rounds (early-stopped on validation NDCG@100)"})
    rerank_leaves: int = field(default=31, metadata={"help": "leaves per boosted tree"})
    rerank_lr: float = field(default=0.05, metadata={"help": "boosting learning rate"})
    rerank_min_leaf_data: int = field(default=50, metadata={
        "help": "least candidate rows in a leaf of a boosted tree"})
    rerank_feature_fraction: float = field(default=0.9, metadata={
        "help": "share of the features each boosted tree may split on"})
    rerank_max_bin: int = field(default=63, metadata={
        "help": "histogram bins per feature"})
    rerank_truncation: int = field(default=30, metadata={
        "help": "top ranks of a query whose pairs the booster learns from (LightGBM's "
                "lambdarank_truncation_level)"})
    rerank_patience: int = field(default=30, metadata={
        "help": "boosting rounds without a better validation NDCG@100 before it stops"})
    # runtime
    seed: int = field(default=0, metadata={"help": "seed of initialization and sampling"})
    device: str = field(default="auto", metadata={"help": "auto (CUDA when present), cpu, cuda"})
    threads: int = field(default=0, metadata={"help": "CPU threads for torch (0: all cores)"})
    eval_batch: int = field(default=128, metadata={"help": "playlists scored at once in evaluation"})

    def baseline_names(self) -> list[str]:
        return [b.strip() for b in self.baselines.split(",") if b.strip()]

    def source_names(self) -> list[str]:
        return [b.strip() for b in self.rerank_sources.split(",") if b.strip()]

    def validate(self) -> None:
        """Raise ValueError with a one-line reason for values no run can use."""
        positive = ("dim", "layers", "epochs", "batch_playlists", "targets_per_playlist",
                    "title_min_count", "id_min_playlists", "eval_batch", "max_validation_cases",
                    "als_factors", "als_iterations", "rerank_candidates", "rerank_gnn_epochs",
                    "rerank_queries", "rerank_rounds", "rerank_min_leaf_data", "rerank_patience",
                    "rerank_truncation",
                    "ease_items", "plknn_neighbours", "titlewords_neighbours")
        for name in positive:
            if getattr(self, name) < 1:
                raise ValueError(f"--{_flag(name)} must be at least 1")
        for name in ("dropout", "id_dropout", "cold_share", "title_only_share"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"--{_flag(name)} must be in [0, 1)")
        if not 0.0 < self.rerank_fold < 1.0:
            raise ValueError("--rerank-fold must be in (0, 1)")
        if self.rerank_leaves < 2 or self.rerank_lr <= 0:
            raise ValueError("--rerank-leaves must be at least 2 and --rerank-lr positive")
        if not 0.0 < self.rerank_feature_fraction <= 1.0 or self.rerank_max_bin < 2:
            raise ValueError("--rerank-feature-fraction must be in (0, 1] and --rerank-max-bin "
                             "at least 2")
        if self.rp3_neighbours < 0:
            raise ValueError("--rp3-neighbours cannot be negative (0: all)")
        if self.uniform_negatives + self.popular_negatives < 1:
            raise ValueError("--uniform-negatives plus --popular-negatives must be at least 1")
        if self.query_scale < 0:
            raise ValueError("--query-scale cannot be negative")
        if not 0.0 < self.lr_decay <= 1.0:
            raise ValueError("--lr-decay must be in (0, 1]")
        if min(self.uniform_negatives, self.popular_negatives, self.patience, self.threads,
               self.lr_patience, self.max_steps) < 0:
            raise ValueError("negative counts, --patience, --threads and --max-steps cannot be "
                             "negative")
        if not (0 <= self.test_fraction < 0.5 and 0 < self.validation_fraction < 0.5):
            raise ValueError("--test-fraction must be in [0, 0.5) and --validation-fraction in (0, 0.5)")
        if self.combine not in COMBINE or self.activation not in ACTIVATION:
            raise ValueError(f"--combine must be {' or '.join(COMBINE)} and --activation "
                             f"{' or '.join(ACTIVATION)}")
        if self.lr <= 0:
            raise ValueError("--lr must be positive")
        if self.device not in ("auto", "cpu", "cuda") and not self.device.startswith("cuda:"):
            raise ValueError("--device must be auto, cpu, cuda or cuda:N")
        if self.early_stopping not in EARLY_STOPPING_METRICS:
            raise ValueError(f"--early-stopping must be one of {', '.join(EARLY_STOPPING_METRICS)}")
        parse_search(self.als_search)  # raises ValueError with the reason
        parse_search(self.rp3_search, RP3_PARAMETERS, "--rp3-search")
        parse_search(self.ease_search, EASE_PARAMETERS, "--ease-search")
        parse_search(self.plknn_search, NEIGHBOUR_PARAMETERS, "--plknn-search")
        parse_search(self.titlewords_search, NEIGHBOUR_PARAMETERS, "--titlewords-search")
        unknown_sources = set(self.source_names()) - set(SOURCES)
        if unknown_sources or not self.source_names():
            raise ValueError(f"--rerank-sources: choose one or more of {', '.join(SOURCES)}")
        unknown = set(self.baseline_names()) - set(BASELINES)
        if unknown:
            raise ValueError(f"unknown baseline(s) {', '.join(sorted(unknown))}; "
                             f"choose from {', '.join(BASELINES)}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> "TrainConfig":
        """From a stored config; unknown keys (written by a newer version) are ignored."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in names})


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """One `--flag` per field, default None so that only flags given override a base config."""
    for f in fields(TrainConfig):
        default = f.default if f.default is not MISSING else None
        kind = _yes_no if isinstance(default, bool) else type(default)
        # A yes/no flag given alone means yes (`--listening-as-playlists`).
        switch = {"nargs": "?", "const": True} if kind is _yes_no else {}
        parser.add_argument(f"--{_flag(f.name)}", dest=f.name, type=kind, default=None,
                            metavar="yes|no" if kind is _yes_no else kind.__name__.upper(),
                            help=f"{f.metadata.get('help', '')} (default: {default})", **switch)


def config_from_args(args: argparse.Namespace, base: TrainConfig | None = None) -> TrainConfig:
    values = (base or TrainConfig()).to_dict()
    for f in fields(TrainConfig):
        given = getattr(args, f.name, None)
        if given is not None:
            values[f.name] = given
    return TrainConfig(**values)


def _yes_no(text: str) -> bool:
    value = {"yes": True, "true": True, "1": True, "no": False, "false": False, "0": False}.get(
        text.strip().lower())
    if value is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not yes or no")
    return value


def _flag(name: str) -> str:
    return name.replace("_", "-")
