"""ANN indexes (ml.runs.ann_index) and the first stage answered from them (ml.rerank.ann_stage).

Where the answer is known: an IVF index over well-separated clusters must find the exact
top-N (checked against a brute-force scan); a flat index is exact, so the indexed first
stage over a small catalog must propose the very candidates, scores and ranks the exact
first stage does, and the two-stage lists must be the same.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from ml.runs.ann_index import (AnnIndexError, IndexSpec, TrackIndex, build_run_indexes,
                               faiss_ivf, index_path, load_index, read_index_meta)
from ml.rerank.ann_stage import IndexedRanker, IndexedSources
from ml.models.baselines import ALS, ItemKNN, Popularity, TitlePopularity, interaction_matrix
from ml.models.ease import EASE
from ml.models.neighbours import PlaylistKNN, TitleWords
from ml.models.rp3beta import RP3beta
from ml.rerank.candidates import FirstStage
from ml.models.gnn_scorer import GnnScorer
from ml.models.graphsage import ModelSpec, PlaylistGraphSAGE
from ml.rerank.features import TrackContext, feature_names
from ml.rerank.booster import TwoStage
from ml.dataset.titles import TitleVocabulary

TRACKS, PLAYLISTS, DIM = 200, 400, 8


def clustered(clusters: int, per: int, dim: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Vectors in tight, well-separated clusters of unequal norms, and the centres."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    vectors = np.repeat(centres, per, 0) + 0.05 * rng.standard_normal((clusters * per, dim))
    vectors *= rng.uniform(0.5, 1.5, (clusters * per, 1))
    return vectors.astype(np.float32), centres


def brute_force(vectors: np.ndarray, queries: np.ndarray, n: int) -> np.ndarray:
    return np.argsort(-(queries @ vectors.T), axis=1, kind="stable")[:, :n]


def rescored(vectors: np.ndarray, queries: np.ndarray, found: np.ndarray, n: int) -> np.ndarray:
    """The proposed rows re-scored exactly, the best n kept (as the first stage does)."""
    exact = np.einsum("qd,qnd->qn", queries, vectors[found])
    return np.take_along_axis(found, np.argsort(-exact, axis=1, kind="stable"), 1)[:, :n]


@pytest.mark.parametrize("kind", ["ivf", "ivfpq"])
def test_ivf_top_n_recall_against_the_exact_top_n(kind):
    vectors, centres = clustered(64, 150, 16)
    index = TrackIndex.build(vectors, IndexSpec(kind, 64, 4))
    assert index.spec.kind == kind and index.size == len(vectors)
    rng = np.random.default_rng(1)
    queries = centres[rng.integers(0, 64, 40)] + 0.1 * rng.standard_normal((40, 16))
    queries = queries.astype(np.float32)
    found = index.search(queries, 100)
    # 4-bit codes rank approximately: ivfpq proposes 6x the rows, for exact re-scoring
    assert found.shape[1] == {"ivf": 100, "ivfpq": 600}[kind]
    truth = brute_force(vectors, queries, 100)
    best = rescored(vectors, queries, found, 100)
    recall = np.mean([len(np.intersect1d(f, t)) / 100 for f, t in zip(best, truth)])
    assert recall >= 0.95
    # one cell scanned of 64 cannot hold the other clusters' vectors: recall must fall
    faiss_ivf(index.index).nprobe = 1
    narrow = rescored(vectors, queries, index.search(queries, 100), 100)
    assert np.mean([len(np.intersect1d(f, t)) / 100 for f, t in zip(narrow, truth)]) < recall


def test_flat_index_is_exact_and_sizes_choose_the_kind():
    vectors, _ = clustered(10, 30, 8)
    queries = np.random.default_rng(2).standard_normal((5, 8)).astype(np.float32)
    got = TrackIndex.build(vectors).search(queries, 20)
    assert (got == brute_force(vectors, queries, 20)).all()
    assert IndexSpec.for_size(1000).kind == "flat"
    big = IndexSpec.for_size(2_262_292)
    assert big.kind == "ivfpq" and 1 <= big.nprobe < big.nlist
    assert IndexSpec.parse("ivfpq:40:8") == IndexSpec("ivfpq", 40, 8)
    with pytest.raises(ValueError):
        IndexSpec.parse("ivf:x:3")


def fake_run(tmp_path, vectors: np.ndarray):
    run_dir = tmp_path / "20260101-000000-0000"
    run_dir.mkdir()
    np.save(run_dir / "track_states.npy", np.stack([vectors * 0.5, vectors]))
    als = vectors[:, :4].copy()
    np.savez(run_dir / "als.npz", item_factors=als, factors=np.float64(4),
             regularization=np.float64(1.0), alpha=np.float64(1.0), iterations=np.float64(1))
    return run_dir, als


@pytest.mark.parametrize("kind", ["ivf", "ivfpq"])
def test_indexes_round_trip_through_the_run_directory(tmp_path, kind):
    vectors, _ = clustered(20, 50, 8)
    run_dir, als = fake_run(tmp_path, vectors)
    built = build_run_indexes(run_dir, IndexSpec(kind, 20, 3))
    assert set(built) == {"gnn", "als"} and built["gnn"]["tracks"] == len(vectors)
    assert read_index_meta(run_dir)["als"]["kind"] == kind
    queries = vectors[:7] + 0.01
    before = TrackIndex.build(vectors, IndexSpec(kind, 20, 3)).search(queries, 30)
    loaded = load_index(run_dir, "gnn", np.load(run_dir / "track_states.npy")[-1])
    assert loaded.spec == IndexSpec(kind, 20, 3)
    assert (loaded.search(queries, 30) == before).all()
    assert load_index(run_dir, "als", als).size == len(als)
    assert not list(run_dir.glob(".*.tmp"))  # written through data/atomic.py


def test_a_corrupt_or_stale_index_is_a_one_line_error(tmp_path):
    vectors, _ = clustered(10, 20, 8)
    run_dir, als = fake_run(tmp_path, vectors)
    build_run_indexes(run_dir)
    with pytest.raises(AnnIndexError) as stale:
        load_index(run_dir, "als", als + 1.0)  # ALS refitted since the index was built
    assert "other vectors" in str(stale.value) and "\n" not in str(stale.value)
    index_path(run_dir, "gnn").write_bytes(b"not a faiss index at all")
    with pytest.raises(AnnIndexError) as corrupt:
        load_index(run_dir, "gnn", vectors)
    message = str(corrupt.value)
    assert "corrupt" in message and "\n" not in message
    assert "python -m ml index" in message and "--exact" in message
    (run_dir / "ann.json").unlink()  # a run from before indexes: none, served exactly
    assert load_index(run_dir, "gnn", vectors) is None


def sources(seed: int = 0):
    """GraphSAGE (random weights), ALS (random factors) and item-kNN over a random graph."""
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    # track t sits in t + 1 playlists: every popularity differs, so no two tracks tie in
    # the popularity tie-break and a top-N has one right answer
    track = np.repeat(np.arange(TRACKS), np.arange(1, TRACKS + 1))
    playlist = np.concatenate([rng.choice(PLAYLISTS, t + 1, replace=False)
                               for t in range(TRACKS)])
    interactions = interaction_matrix(playlist, track, PLAYLISTS, TRACKS)
    titles = [f"mix {p % 7}" for p in range(PLAYLISTS)]
    by_title = TitlePopularity(interactions, titles, Popularity(interactions))
    model = PlaylistGraphSAGE(ModelSpec(num_tracks=TRACKS, num_artists=5, num_albums=5,
                                        num_titles=8, feature_dim=4, dim=DIM, layers=2,
                                        dropout=0.0))
    states = [torch.randn(TRACKS, DIM) for _ in range(2)]
    gnn = GnnScorer(model, states, TitleVocabulary(f"mix {i}" for i in range(7)))
    als = ALS.from_factors(rng.standard_normal((TRACKS, 6)).astype(np.float32), by_title,
                           factors=6, regularization=1.0, alpha=2.0, iterations=1)
    knn = ItemKNN(interactions, by_title)
    indexes = {"gnn": TrackIndex.build(states[-1].numpy()),
               "als": TrackIndex.build(als.item_factors.numpy())}
    assert all(i.spec.kind == "flat" for i in indexes.values())
    return [gnn, als, knn], by_title, interactions, titles, indexes


def queries(rng, count: int = 24):
    seeds = [np.sort(rng.choice(TRACKS, k, replace=False)).astype(np.int64)
             for k in rng.choice([0, 1, 5, 20], count)]
    titles = [["mix 3", "never seen", "mix 0"][i % 3] for i in range(count)]
    return seeds, titles


def test_indexed_first_stage_equals_the_exact_one_on_a_flat_catalog():
    rankers, by_title, _, _, indexes = sources()
    seeds, titles = queries(np.random.default_rng(3))
    n = 40
    exact = FirstStage(rankers, by_title, n).candidates(seeds, titles)
    for concurrent in (True, False):
        indexed = FirstStage(rankers, by_title, n, IndexedSources(indexes, by_title, concurrent))
        got = indexed.candidates(seeds, titles, fill=60)
        assert got.fallback is None and all(len(f) == 60 for f in got.filler)
        np.testing.assert_allclose(got.top, exact.top, rtol=1e-5, atol=1e-6)
        for q in range(len(seeds)):
            assert (got.rows[q] == exact.rows[q]).all(), q
            np.testing.assert_allclose(got.scores[q], exact.scores[q], rtol=1e-5, atol=1e-6)
            # a source's ranks: the same tracks in its top-n, in the same order of score
            # (float32 ties, as in a title's counts plus a 1e-6 tie-break, may swap)
            assert ((got.ranks[q] < n) == (exact.ranks[q] < n)).all(), q
            for m in range(len(rankers)):
                listed = got.ranks[q][:, m] < n
                by_got = got.scores[q][listed, m][np.argsort(got.ranks[q][listed, m])]
                by_exact = exact.scores[q][listed, m][np.argsort(exact.ranks[q][listed, m])]
                np.testing.assert_allclose(by_got, by_exact, rtol=1e-5, atol=1e-6)
            assert not np.isin(got.rows[q], seeds[q]).any()


def test_two_stage_lists_from_indexes_equal_the_exact_lists(monkeypatch):
    import lightgbm as lgb
    from ml.rerank import booster as booster_module
    rankers, by_title, interactions, titles, indexes = sources(1)
    stage = FirstStage(rankers, by_title, 30)
    names = feature_names(stage.names)
    x = np.random.default_rng(0).standard_normal((2000, len(names))).astype(np.float32)
    booster = lgb.train({"objective": "lambdarank", "verbosity": -1, "num_threads": 1,
                         "min_data_in_leaf": 20}, lgb.Dataset(x, (x[:, 0] > 1).astype(float),
                                                              group=[100] * 20,
                                                              feature_name=names),
                        num_boost_round=10)
    context = TrackContext.build(interactions, titles, np.arange(TRACKS) % 50,
                                 np.arange(TRACKS) % 90, np.zeros((TRACKS, 4), np.float32),
                                 np.zeros((TRACKS, 4), bool), np.zeros(4, np.float32),
                                 np.ones(4, np.float32))
    exact = TwoStage(stage, context, booster)
    indexed = TwoStage(FirstStage(rankers, by_title, 30, IndexedSources(indexes, by_title)),
                       context, booster)
    seeds, titles_q = queries(np.random.default_rng(4), 24)
    # Queries with seeds: without, ALS and item-kNN rank by a title's counts, whose float32
    # ties (the 1e-6 popularity tie-break is below float32's resolution there) put tracks
    # in either order, and the order is a re-ranker feature.
    keep = [q for q, s in enumerate(seeds) if len(s)]
    seeds, titles_q = [seeds[q] for q in keep], [titles_q[q] for q in keep]
    want_rows, want_scores = exact.recommend(seeds, titles_q, 80)
    got_rows, got_scores = indexed.recommend(seeds, titles_q, 80)
    np.testing.assert_allclose(got_scores, want_scores, rtol=1e-5, atol=1e-4)
    for q in range(len(seeds)):  # the same tracks; equal scores may come in either order
        above = want_scores[q] > want_scores[q][-1]
        assert set(got_rows[q][above]) == set(want_rows[q][above]), q
        assert not np.isin(got_rows[q], seeds[q]).any()
    # a batch longer than a chunk is searched a chunk ahead while the last is ranked: the
    # same lists, in the same order of queries
    monkeypatch.setattr(booster_module, "PIPELINE_CHUNK", 5)
    chunked_rows, chunked_scores = indexed.recommend(seeds, titles_q, 80)
    assert len(seeds) > 3 * 5
    np.testing.assert_array_equal(chunked_rows, got_rows)
    np.testing.assert_array_equal(chunked_scores, got_scores)


def test_a_single_model_from_its_index_equals_its_exact_top_k():
    rankers, by_title, _, _, indexes = sources(2)
    seeds, titles = queries(np.random.default_rng(5), 12)
    for ranker in rankers:
        wrapped = IndexedRanker(ranker, IndexedSources(indexes, by_title))
        want_rows, want = ranker.recommend(seeds, titles, 50)
        got_rows, got = wrapped.recommend(seeds, titles, 50)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=ranker.name)
        for q in range(len(seeds)):
            assert not np.isin(got_rows[q], seeds[q]).any()


def sparse_sources(interactions, by_title, titles):
    """RP3beta, EASE^R, the playlist and title-word neighbours: no index, sparse rows."""
    return [RP3beta(interactions, by_title, alpha=0.7, beta=0.3, neighbours=0),
            EASE(interactions, by_title, regularization=50.0, items=TRACKS // 2),
            PlaylistKNN(interactions, by_title, neighbours=20, power=1.0),
            TitleWords(interactions, titles, by_title, neighbours=20, power=1.0)]


def test_sparse_sources_top_n_from_their_rows_equals_their_exact_top_n():
    _, by_title, interactions, titles, indexes = sources(3)
    seeds, query_titles = queries(np.random.default_rng(6), 24)
    for ranker in sparse_sources(interactions, by_title, titles):
        wrapped = IndexedRanker(ranker, IndexedSources(indexes, by_title))
        want_rows, want = ranker.recommend(seeds, query_titles, 50)
        got_rows, got = wrapped.recommend(seeds, query_titles, 50)
        # the same scores, best first; tracks of equal score (a title's counts tie in
        # float32) may come in either order, those above the 50th score are the same
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=ranker.name)
        for q in range(len(seeds)):
            above = want[q] > want[q][-1]
            assert set(got_rows[q][above]) == set(want_rows[q][above]), (ranker.name, q)
            assert not np.isin(got_rows[q], seeds[q]).any()


def test_a_source_without_an_index_keeps_the_exact_first_stage():
    from ml.rerank.two_stage import first_stage
    rankers, by_title, interactions, titles, indexes = sources()
    inputs = SimpleNamespace(by_title=by_title)
    assert first_stage(rankers, inputs, 10, {"gnn": indexes["gnn"]}).indexed is None
    assert first_stage(rankers, inputs, 10, indexes).indexed is not None
    assert first_stage(rankers, inputs, 10, None).indexed is None
    # the sparse sources need no index: their top-N is read from their rows
    everything = [*rankers, *sparse_sources(interactions, by_title, titles)]
    assert first_stage(everything, inputs, 10, indexes).indexed is not None
