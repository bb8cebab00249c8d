"""The files a run leaves behind, written atomically and read back with one-line errors.

- `checkpoint.pt`: model, optimizer, config, epoch, best metric (and the best
  weights so far), so `--resume` continues exactly.
- `model.pt`: the selected weights with what serving needs to rebuild the inputs
  (model spec, feature statistics, title vocabulary).
- `serving.npz`: catalog ids of the run's tracks, artists and albums, and which were
  seen in training; `track_states.npy` float32 [layers, T, dim]: the track states
  over the training graph (the last layer is the track vector), memory-mapped at load.
- `split.npz`: the held-out playlists (catalog ids) and the snapshot version.
- `als.npz`: the tuned ALS baseline's item factors [T, factors] and its parameters,
  so that ALS can serve when it is the better model on validation.

`run_training_data` rebuilds a run's training data from its `config.json` and split.
"""
from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from data.atomic import atomic_path
from data.store import Catalog
from ml.config import TrainConfig
from ml.dataset.protocol import Holdout
from ml.dataset.snapshot import snapshot_of_version
from ml.dataset.titles import TitleVocabulary
from ml.errors import ArtifactError, UserError
from ml.models.graphsage import ModelSpec, PlaylistGraphSAGE
from ml.runs import layout
from ml.training.training_data import TrainingData, training_data

FORMAT = 1


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    _torch_save_atomic({"format": FORMAT, **state}, path)


def load_checkpoint(path: Path) -> dict[str, Any]:
    state = _torch_load(path, "checkpoint")
    for key in ("config", "spec", "epoch", "model", "optimizer", "best_model", "best_metric"):
        if key not in state:
            raise ArtifactError(f"{path} is not a PlaylistGraph checkpoint (no {key!r}); "
                                "start a new run without --resume")
    return state


def save_model(run_dir: Path, model: PlaylistGraphSAGE, data: TrainingData, states: list,
               snapshot_version: int) -> None:
    """Write model.pt, serving.npz and track_states.npy for serving and evaluation."""
    s = data.snapshot
    _torch_save_atomic({
        "format": FORMAT, "spec": model.spec.to_dict(),
        "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "feature_mean": data.feature_mean.tolist(), "feature_std": data.feature_std.tolist(),
        "titles": data.vocab.titles, "title_tokens": data.vocab.tokens,
        "title_seed_ptr": torch.from_numpy(data.vocab.seed_ptr),
        "title_seed_rows": torch.from_numpy(data.vocab.seed_rows),
        "snapshot_version": int(snapshot_version),
    }, run_dir / layout.MODEL)
    stacked = np.stack([st.detach().cpu().numpy().astype(np.float32) for st in states])
    _save_npy_atomic(run_dir / layout.TRACK_STATES, stacked)
    save_npz_atomic(run_dir / layout.SERVING, track_ids=s.track_ids, track_seen=data.track_seen,
                     artist_ids=s.artist_ids, artist_seen=data.artist_seen,
                     album_ids=s.album_ids, album_seen=data.album_seen)


@dataclass
class ServingModel:
    model: PlaylistGraphSAGE
    titles: TitleVocabulary
    feature_mean: np.ndarray
    feature_std: np.ndarray
    snapshot_version: int
    track_ids: np.ndarray  # int64 [T]
    track_seen: np.ndarray
    artist_ids: np.ndarray
    artist_seen: np.ndarray
    album_ids: np.ndarray
    album_seen: np.ndarray
    states: np.ndarray  # float32 [layers, T, dim], memory-mapped


def load_model(run_dir: Path) -> ServingModel:
    path = run_dir / layout.MODEL
    saved = _torch_load(path, "model")
    try:
        model = PlaylistGraphSAGE(ModelSpec(**saved["spec"]))
        model.load_state_dict(saved["model"])
        with np.load(run_dir / layout.SERVING, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in ("track_ids", "track_seen", "artist_ids", "artist_seen",
                                          "album_ids", "album_seen")}
        states = np.load(run_dir / layout.TRACK_STATES, mmap_mode="r", allow_pickle=False)
    except FileNotFoundError as exc:
        raise ArtifactError(f"{run_dir} is incomplete ({Path(exc.filename).name} is missing); "
                            "retrain with python -m ml train") from None
    except (KeyError, TypeError, RuntimeError, ValueError, OSError, zipfile.BadZipFile) as exc:
        raise ArtifactError(f"{run_dir}: model files are corrupt or from another version "
                            f"({_short(exc)}); retrain with python -m ml train") from None
    if states.ndim != 3 or states.shape[:2] != (model.spec.layers, len(arrays["track_ids"])):
        raise ArtifactError(f"{run_dir}: track_states.npy does not match model.pt; "
                            "retrain with python -m ml train")
    return ServingModel(model=model.eval(), titles=_vocabulary(saved),
                        feature_mean=np.asarray(saved["feature_mean"], np.float32),
                        feature_std=np.asarray(saved["feature_std"], np.float32),
                        snapshot_version=int(saved["snapshot_version"]), states=states, **arrays)


def _vocabulary(saved: dict) -> TitleVocabulary:
    seeds = {k: saved[k].numpy() for k in ("title_seed_ptr", "title_seed_rows") if k in saved}
    return TitleVocabulary(saved["titles"], saved.get("title_tokens", ()),
                           seeds.get("title_seed_ptr"), seeds.get("title_seed_rows"))


def save_als(run_dir: Path, item_factors: np.ndarray, params: dict) -> None:
    save_npz_atomic(run_dir / layout.ALS, item_factors=np.asarray(item_factors, np.float32),
                     **{k: np.float64(v) for k, v in params.items()})


def load_als(run_dir: Path) -> tuple[np.ndarray, dict]:
    """(item factors float32 [T, factors], {factors, regularization, alpha, iterations})."""
    try:
        with np.load(run_dir / layout.ALS, allow_pickle=False) as npz:
            params = {k: float(npz[k]) for k in ("factors", "regularization", "alpha", "iterations")}
            return npz["item_factors"], params
    except FileNotFoundError:
        raise ArtifactError(f"{run_dir} has no als.npz; re-evaluate it with "
                            f"python -m ml evaluate {run_dir.name}") from None
    except (KeyError, ValueError, OSError, zipfile.BadZipFile) as exc:
        raise ArtifactError(f"{run_dir}/als.npz is corrupt ({_short(exc)}); re-evaluate it "
                            f"with python -m ml evaluate {run_dir.name}") from None


def save_split(run_dir: Path, data: TrainingData) -> None:
    s = data.snapshot
    save_npz_atomic(run_dir / layout.SPLIT, snapshot_version=np.int64(s.version),
                     validation=s.playlist_ids[data.holdout.validation],
                     test=s.playlist_ids[data.holdout.test])


def load_split(run_dir: Path) -> tuple[int, np.ndarray, np.ndarray]:
    """(snapshot version, validation playlist ids, test playlist ids) — catalog ids."""
    try:
        with np.load(run_dir / layout.SPLIT, allow_pickle=False) as npz:
            return int(npz["snapshot_version"]), npz["validation"], npz["test"]
    except FileNotFoundError:
        raise ArtifactError(f"{run_dir} has no split.npz; it was not trained to the end") from None
    except (KeyError, ValueError, OSError, zipfile.BadZipFile) as exc:
        raise ArtifactError(f"{run_dir}/split.npz is corrupt ({_short(exc)})") from None


def _torch_load(path: Path, what: str) -> dict[str, Any]:
    fix = ("start a new run without --resume" if what == "checkpoint" else
           "retrain with python -m ml train")
    if not path.exists():
        raise ArtifactError(f"no {what} at {path}; {fix}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch's unpickler raises many kinds on junk
        raise ArtifactError(f"{path} is corrupt or not a {what} file ({_short(exc)}); "
                            f"{fix}") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ArtifactError(f"{path} was written by an incompatible version "
                            f"(format {state.get('format') if isinstance(state, dict) else '?'}, "
                            f"this code reads {FORMAT}); {fix}")
    return state


def _torch_save_atomic(obj: Any, path: Path) -> None:
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def _save_npy_atomic(path: Path, array: np.ndarray) -> None:
    # A file object, not a path: np.save would add ".npy" to the temp name.
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.save(fh, array)


def save_npz_atomic(path: Path, **arrays: np.ndarray) -> None:
    """`np.savez` through `data.atomic` (a file object: np.savez would add ".npz")."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **arrays)


def _short(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__


def run_training_data(run_dir: Path, catalog: Catalog, home: Path | None
                      ) -> tuple[TrainConfig, TrainingData]:
    """The run's config and training data, rebuilt from its snapshot version and split."""
    config = TrainConfig.from_dict(_read_config(run_dir))
    version, validation_ids, test_ids = load_split(run_dir)
    snapshot = snapshot_of_version(catalog, version, home, f"reading {run_dir.name}",
                                   config.listening_as_playlists)
    validation = np.array([snapshot.playlist_index(int(p)) for p in validation_ids], np.int64)
    test = np.array([snapshot.playlist_index(int(p)) for p in test_ids], np.int64)
    if (validation < 0).any() or (test < 0).any():
        raise UserError(f"{run_dir.name} does not match snapshot v{version}; retrain")
    held = np.zeros(snapshot.num_playlists, bool)
    held[validation] = held[test] = True
    holdout = Holdout(train=np.flatnonzero(~held), validation=validation, test=test)
    return config, training_data(snapshot, holdout, config)


def _read_config(run_dir: Path) -> dict:
    try:
        raw = json.loads((run_dir / layout.CONFIG).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"{run_dir}/config.json is missing or corrupt ({exc.__class__.__name__}); "
                        "not a complete run") from None
    if not isinstance(raw, dict):
        raise UserError(f"{run_dir}/config.json is not a run configuration")
    return raw
