"""Serving from a run's ANN indexes, and the exact path beside it, on the checkerboard.

The checkerboard's catalog is small, so its indexes are flat (exact): served from them,
every model must recommend what it recommends with `--exact`. A run without indexes (one
trained before them) is served exactly; a corrupt index is one line saying what to do,
and the run still serves, exactly.
"""
from __future__ import annotations

import io
import json
import shutil

import numpy as np
import pytest

from ml.runs.ann_index import read_index_meta
from ml.rerank.ann_stage import IndexedRanker
from ml.models.gnn_scorer import GnnScorer
from ml.pipeline.train_run import run_training
from ml.serving.recommender import RankerRecommender, load_recommender
from tests.ml.conftest import TASTES, fast_config, run_ml, track_uri


@pytest.fixture(scope="module")
def trained_home(tmp_path_factory):
    """One run with GraphSAGE, item-kNN, ALS and the two-stage model (shared: training is
    the slow part); tests copy it before changing files."""
    from data.store import Catalog
    from tests.ml.conftest import build_checkerboard
    home = tmp_path_factory.mktemp("ann") / "home"
    home.mkdir()
    with Catalog.open(home) as catalog:
        board = build_checkerboard(catalog)
        config = fast_config(epochs=4, baselines="popularity,itemknn,als", als_search="",
                             rerank=True, rerank_candidates=40, rerank_fold=0.5)
        run_dir, state = run_training(config, home, progress=False, out=io.StringIO())
    assert state == "done"
    return home, run_dir.name, board.taste_of_track, board.tracks_of_taste


@pytest.fixture
def served(trained_home, tmp_path, monkeypatch):
    from data.store import Catalog
    home, run_id, taste_of, tracks_of = trained_home
    copy = tmp_path / "copied-home"
    shutil.copytree(home, copy)
    monkeypatch.setenv("PLAYLISTGRAPH_HOME", str(copy))
    with Catalog.open(copy) as catalog:
        yield catalog, copy, copy / "runs" / run_id, taste_of, tracks_of


def test_training_builds_an_index_per_vector_model(served):
    _, _, run_dir, _, _ = served
    meta = read_index_meta(run_dir)
    assert set(meta) == {"gnn", "als"}
    for source in meta.values():
        assert source["kind"] == "flat" and source["tracks"] > 0 and source["bytes"] > 0
        assert (run_dir / f"ann-{'gnn' if source is meta['gnn'] else 'als'}.faiss").exists()


def test_every_model_serves_from_its_index_what_the_exact_path_serves(served):
    catalog, home, run_dir, taste_of, tracks_of = served
    for name in ("als", "itemknn", "reranked"):
        fast = RankerRecommender.run_model(run_dir, name, catalog, home)
        exact = RankerRecommender.run_model(run_dir, name, catalog, home, exact=True)
        if name == "reranked":
            assert fast.ranker.stage.indexed is not None and exact.ranker.stage.indexed is None
        else:
            assert isinstance(fast.ranker, IndexedRanker)
            assert not isinstance(exact.ranker, IndexedRanker)
        for taste in range(TASTES):
            seeds = tracks_of[taste][:3]
            got, want = fast.recommend(seeds, k=15), exact.recommend(seeds, k=15)
            if name == "reranked":
                # Equal booster outputs are ordered by the first source's score shifted 1e4
                # below: float32 steps of ~0.001 there, so the last digit of GraphSAGE's dot
                # product (torch against numpy) can swap two of them. The tracks are the same.
                assert {r.track_id for r in got[:12]} == {r.track_id for r in want[:12]}
                np.testing.assert_allclose([r.score for r in got], [r.score for r in want],
                                           atol=1e-3)
            else:
                np.testing.assert_allclose([r.score for r in got], [r.score for r in want],
                                           rtol=1e-5, atol=1e-5, err_msg=name)
            assert all(taste_of[r.track_id] == taste for r in got[:10]), name
    gnn = load_recommender(catalog, home)  # the run serves GraphSAGE unless told otherwise
    assert isinstance(gnn.ranker, IndexedRanker)
    assert isinstance(load_recommender(catalog, home, exact=True).ranker, GnnScorer)


def test_a_run_without_indexes_is_served_exactly(served):
    catalog, home, run_dir, taste_of, tracks_of = served
    for path in run_dir.glob("ann*"):
        path.unlink()
    rec = load_recommender(catalog, home)
    assert isinstance(rec.ranker, GnnScorer) and "index" not in rec.note
    recs = rec.recommend(tracks_of[1][:3], k=5)
    assert all(taste_of[r.track_id] == 1 for r in recs)
    result = run_ml(home, "index", run_dir.name)  # built afterwards, without retraining
    assert result.returncode == 0, result.stderr
    assert "gnn: flat index" in result.stdout and "als: flat index" in result.stdout
    assert isinstance(load_recommender(catalog, home).ranker, IndexedRanker)


def test_a_corrupt_index_is_one_line_and_the_run_still_serves(served):
    catalog, home, run_dir, taste_of, tracks_of = served
    (run_dir / "ann-gnn.faiss").write_bytes(b"\x00garbage")
    rec = load_recommender(catalog, home)
    assert isinstance(rec.ranker, GnnScorer)
    assert "ann-gnn.faiss is corrupt" in rec.note and "python -m ml index" in rec.note
    result = run_ml(home, "recommend", "--tracks", track_uri(3, 0), track_uri(3, 1), "--k", "5")
    assert result.returncode == 0, result.stderr
    notes = [line for line in result.stderr.splitlines() if "corrupt" in line]
    assert len(notes) == 1 and "Traceback" not in result.stderr
    uris = [line.split()[-1] for line in result.stdout.strip().splitlines()[2:]]
    assert len(uris) == 5 and all(u.startswith("spotify:track:T03") for u in uris)
    exact = run_ml(home, "recommend", "--exact", "--tracks", track_uri(3, 0), "--k", "5")
    assert exact.returncode == 0 and "corrupt" not in exact.stderr
    assert exact.stdout.strip().splitlines()[0].startswith("top 5 by gnn")
    bad = run_ml(home, "index", run_dir.name, "--kind", "ivf:x")
    assert bad.returncode == 2 and bad.stderr.strip().startswith("error:")
    assert json.loads((run_dir / "ann.json").read_text())["gnn"]["kind"] == "flat"
