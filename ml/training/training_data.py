"""From a snapshot and a held-out split to the model's inputs.

Only training playlists count as evidence: a track, artist or album that appears in
no training playlist gets no embedding of its own (index 0), exactly like one added
to the catalog after training; feature statistics and the title vocabulary come from
training playlists alone.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ml.config import TrainConfig
from ml.dataset.audio_features import ENCODED_DIM, encode_features, feature_stats
from ml.dataset.protocol import Holdout, training_edges
from ml.dataset.snapshot import GraphSnapshot
from ml.dataset.titles import TitleVocabulary
from ml.models.graphsage import ModelSpec, TrackInputs


@dataclass
class TrainingData:
    snapshot: GraphSnapshot
    holdout: Holdout
    edge_playlist: np.ndarray  # int32 [E_train], grouped by playlist
    edge_track: np.ndarray  # int32 [E_train]
    track_seen: np.ndarray  # bool [T], in at least one training playlist
    track_has_id: np.ndarray  # bool [T], in enough training playlists for an id embedding
    artist_seen: np.ndarray  # bool [A]
    album_seen: np.ndarray  # bool [B]
    vocab: TitleVocabulary
    playlist_titles: np.ndarray  # int64 [P, 1 + words] TitleVocabulary.encode per playlist
    feature_mean: np.ndarray  # float32 [11]
    feature_std: np.ndarray  # float32 [11]
    encoded_features: np.ndarray  # float32 [T, ENCODED_DIM]

    def track_inputs(self, device: torch.device | str = "cpu") -> TrackInputs:
        s = self.snapshot
        return track_inputs(self.encoded_features, np.arange(s.num_tracks), self.track_has_id,
                            s.track_artist, self.artist_seen, s.track_album, self.album_seen,
                            device)

    def model_spec(self, config: TrainConfig) -> ModelSpec:
        """The model's sizes from this data, its shape from the training config."""
        s = self.snapshot
        return ModelSpec(num_tracks=s.num_tracks, num_artists=len(s.artist_ids),
                         num_albums=len(s.album_ids), num_titles=len(self.vocab),
                         feature_dim=ENCODED_DIM, dim=config.dim, layers=config.layers,
                         dropout=config.dropout, combine=config.combine,
                         activation=config.activation, query_scale=config.query_scale,
                         fold_in=config.fold_in)

    def popularity(self) -> np.ndarray:
        """int64 [T]: training playlists per track."""
        return np.bincount(self.edge_track, minlength=self.snapshot.num_tracks)


def training_data(snapshot: GraphSnapshot, holdout: Holdout, config: TrainConfig) -> TrainingData:
    """`prepare_training_data` with the run's settings: the one set-up training and the
    evaluation of a finished run share."""
    return prepare_training_data(snapshot, holdout, config.title_min_count,
                                 config.id_min_playlists, config.title_token_min_count,
                                 config.title_seed_tracks)


def prepare_training_data(snapshot: GraphSnapshot, holdout: Holdout, title_min_count: int,
                          id_min_playlists: int = 1, title_token_min_count: int = 0,
                          title_seed_tracks: int = 0) -> TrainingData:
    edge_playlist, edge_track = training_edges(snapshot, holdout.train)
    degree = np.bincount(edge_track, minlength=snapshot.num_tracks)
    track_seen = degree > 0
    artist_seen = _seen(snapshot.track_artist[track_seen], len(snapshot.artist_ids))
    album_seen = _seen(snapshot.track_album[track_seen], len(snapshot.album_ids))
    titles = [snapshot.normalized_title(p) for p in range(snapshot.num_playlists)]
    vocab = TitleVocabulary.build((titles[p] for p in holdout.train.tolist()), title_min_count,
                                  title_token_min_count)
    playlist_titles = vocab.encode(titles)
    if title_seed_tracks > 0:
        vocab.seed_ptr, vocab.seed_rows = title_seeds(
            edge_playlist, edge_track, playlist_titles[:, 0], len(vocab.titles),
            snapshot.num_tracks, title_seed_tracks)
    mean, std = feature_stats(snapshot.features[track_seen], snapshot.feature_mask[track_seen])
    return TrainingData(
        snapshot=snapshot, holdout=holdout, edge_playlist=edge_playlist, edge_track=edge_track,
        track_seen=track_seen, track_has_id=degree >= max(id_min_playlists, 1),
        artist_seen=artist_seen, album_seen=album_seen, vocab=vocab,
        playlist_titles=playlist_titles, feature_mean=mean, feature_std=std,
        encoded_features=encode_features(snapshot.features, snapshot.feature_mask, mean, std))


def title_seeds(edge_playlist: np.ndarray, edge_track: np.ndarray, playlist_title: np.ndarray,
                num_titles: int, num_tracks: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(ptr int64 [num_titles + 2], rows int64): for each whole-title index 1..num_titles, its
    `k` tracks held by most training playlists with that title (ties: lower row first)."""
    title = playlist_title[edge_playlist]
    known = title > 0
    keys, counts = np.unique(title[known] * num_tracks + edge_track[known], return_counts=True)
    key_title, key_track = keys // num_tracks, keys % num_tracks
    order = np.lexsort((key_track, -counts, key_title))
    key_title, key_track = key_title[order], key_track[order]
    start = np.searchsorted(key_title, np.arange(num_titles + 2))
    rank = np.arange(len(key_title)) - start[key_title]
    keep = rank < k
    ptr = np.zeros(num_titles + 2, np.int64)
    np.cumsum(np.bincount(key_title[keep], minlength=num_titles + 1), out=ptr[1:])
    return ptr, key_track[keep].astype(np.int64)


def track_inputs(encoded: np.ndarray, track_rows: np.ndarray, track_seen: np.ndarray,
                 artist: np.ndarray, artist_seen: np.ndarray, album: np.ndarray,
                 album_seen: np.ndarray, device: torch.device | str = "cpu") -> TrackInputs:
    """Model inputs; track_rows/artist/album are vocabulary indices (-1 none), index 0 = none."""
    def rows(index: np.ndarray, seen: np.ndarray) -> torch.Tensor:
        index = np.asarray(index, np.int64)
        known = index >= 0
        known[known] = seen[index[known]]
        return torch.from_numpy(np.where(known, index + 1, 0)).to(device)
    return TrackInputs(features=torch.from_numpy(np.ascontiguousarray(encoded)).to(device),
                       track=rows(track_rows, track_seen), artist=rows(artist, artist_seen),
                       album=rows(album, album_seen))


def _seen(index: np.ndarray, n: int) -> np.ndarray:
    seen = np.zeros(n, bool)
    seen[index[index >= 0]] = True
    return seen
