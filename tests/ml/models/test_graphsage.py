"""The model on tiny random graphs: the sparse SAGE layer against a dense computation of
the same formula, shapes, and the inductive playlist embedding against message passing."""
from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
import torch

from ml.dataset.audio_features import ENCODED_DIM
from ml.dataset.titles import MAX_TOKENS, TitleVocabulary
from ml.models.gnn_scorer import GnnScorer, eval_mode
from ml.models.graph import BipartiteEdges, bipartite_adjacency, query_adjacency, transposed_of
from ml.models.graphsage import ModelSpec, PlaylistGraphSAGE, SageConv, TrackInputs


def random_graph(num_playlists: int, num_tracks: int, edges: int, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    p = torch.randint(0, num_playlists, (edges,), generator=g)
    t = torch.randint(0, num_tracks, (edges,), generator=g)
    key = torch.unique(p * num_tracks + t)  # distinct edges
    return key // num_tracks, key % num_tracks


@pytest.mark.parametrize("num_src,num_dst,edges", [(30, 12, 80), (7, 40, 25), (50, 50, 0)])
@pytest.mark.parametrize("root_weight", [True, False])
def test_sage_layer_is_the_graphsage_mean_formula(num_src, num_dst, edges, root_weight):
    """SageConv over the CSR adjacency (custom backward) == W_l · (A / deg) x_src + b
    (+ W_r x_dst) computed densely: outputs, input gradients and weight gradients. A row
    with no edges gets the mean of nothing, zeros (the third case has no edges at all)."""
    torch.manual_seed(1)
    dst, src = random_graph(num_dst, num_src, edges)
    adj, _ = bipartite_adjacency(dst, src, num_dst, num_src)  # rows receive: [dst, src]
    conv = SageConv(8, 6, root_weight=root_weight)
    x_src = torch.randn(num_src, 8, requires_grad=True)
    x_dst = torch.randn(num_dst, 8)

    sparse = conv((x_src, x_dst), adj)
    dense = torch.zeros(num_dst, num_src)
    dense[dst, src] = 1.0
    mean = dense @ x_src / dense.sum(dim=1, keepdim=True).clamp(min=1)
    reference = mean @ conv.lin_l.weight.T + conv.lin_l.bias
    if root_weight:
        reference = reference + x_dst @ conv.lin_r.weight.T
    assert sparse.shape == (num_dst, 6)
    assert torch.allclose(sparse, reference, atol=1e-6)
    weights = torch.randn_like(sparse)
    grads = torch.autograd.grad((sparse * weights).sum(), [x_src, conv.lin_l.weight])
    ref_grads = torch.autograd.grad((reference * weights).sum(), [x_src, conv.lin_l.weight])
    for a, b in zip(grads, ref_grads):
        assert torch.allclose(a, b, atol=1e-5)


def test_sage_layer_keeps_the_parameter_names_of_pyg():
    """Runs trained when the layer was PyG's SAGEConv load: the same state-dict keys."""
    assert set(SageConv(4, 3).state_dict()) == {"lin_l.weight", "lin_l.bias", "lin_r.weight"}
    assert set(SageConv(4, 3, root_weight=False).state_dict()) == {"lin_l.weight", "lin_l.bias"}


def test_adjacency_without_some_playlists():
    p, t = random_graph(10, 20, 60)
    edges = BipartiteEdges(p, t, 10, 20)
    drop = torch.zeros(10, dtype=torch.bool)
    drop[[2, 5]] = True
    adj_pt, adj_tp = edges.adjacency(drop)
    dense = adj_pt.to_dense()
    assert dense[[2, 5]].sum() == 0
    keep = ~drop[p]
    expected = torch.zeros(10, 20)
    expected[p[keep], t[keep]] = 1
    assert torch.equal(dense, expected)
    assert torch.equal(adj_tp.to_dense(), expected.T)
    assert transposed_of(adj_pt) is adj_tp and transposed_of(adj_tp) is adj_pt


def test_a_dropped_adjacency_is_freed_at_once():
    """No reference cycle between the two directions: dropped, they are freed by reference
    counting, not left for the garbage collector (a training step's adjacency is ~1 GB at
    MPD scale, and steps used to pile them up)."""
    p, t = random_graph(10, 20, 60)
    adj_pt, adj_tp = BipartiteEdges(p, t, 10, 20).adjacency()
    alive = [weakref.ref(adj_pt), weakref.ref(adj_tp)]
    gc.disable()
    try:
        del adj_pt, adj_tp
        assert [ref() for ref in alive] == [None, None]
    finally:
        gc.enable()


def test_int32_edges_sort_past_int32_keys():
    """Training edges are int32; the sort keys playlist x T + track are not, at MPD scale
    (1M x 2.3M > 2^31). Playlist 2 of T = 2^30 tracks keys past 2^31: in int32 it would
    wrap negative and sort before playlist 0."""
    p = torch.tensor([2, 0, 2, 1], dtype=torch.int32)
    t = torch.tensor([1, 5, 0, 2**30 - 1], dtype=torch.int32)
    edges = BipartiteEdges(p, t, 3, 2**30)
    assert edges.pt_rows.tolist() == [0, 1, 2, 2]
    assert edges.pt_cols.tolist() == [5, 2**30 - 1, 0, 1]
    assert edges.pt_start.tolist() == [0, 1, 2, 4]
    assert edges.tp_rows.tolist() == [0, 1, 5, 2**30 - 1]
    assert edges.tp_cols.tolist() == [2, 2, 0, 1]


VOCAB = TitleVocabulary(["a", "b", "c"], ["x", "y"])


def tiny_model(layers: int, num_tracks=25, dim=8, seed=0, combine="last", activation="gelu",
               query_scale=0.0, fold_in=False) -> tuple[PlaylistGraphSAGE, TrackInputs]:
    torch.manual_seed(seed)
    spec = ModelSpec(num_tracks=num_tracks, num_artists=5, num_albums=6, num_titles=len(VOCAB),
                     feature_dim=ENCODED_DIM, dim=dim, layers=layers, dropout=0.2,
                     combine=combine, activation=activation, query_scale=query_scale,
                     fold_in=fold_in)
    model = PlaylistGraphSAGE(spec)
    inputs = TrackInputs(features=torch.randn(num_tracks, ENCODED_DIM),
                         track=torch.arange(1, num_tracks + 1),
                         artist=torch.randint(0, 6, (num_tracks,)),
                         album=torch.randint(0, 7, (num_tracks,)))
    return model, inputs


@pytest.mark.parametrize("layers", [1, 2, 3])
def test_shapes(layers):
    model, inputs = tiny_model(layers)
    p, t = random_graph(9, 25, 70)
    adj_pt, adj_tp = bipartite_adjacency(p, t, 9, 25)
    states = model.track_states(model.track_inputs(inputs), adj_pt, adj_tp)
    assert len(states) == layers and all(s.shape == (25, 8) for s in states)
    playlists, tracks = model(inputs, adj_pt, adj_tp, torch.zeros(9, 1 + MAX_TOKENS, dtype=torch.long))
    assert playlists.shape == (9, 8) and tracks.shape == (25, 8)
    assert model.scores(playlists, tracks).shape == (9, 25)
    assert torch.isfinite(playlists).all()


@pytest.mark.parametrize("layers", [1, 2, 3])
@pytest.mark.parametrize("combine,activation,query_scale,fold_in",
                         [("last", "gelu", 0.0, False), ("mean", "none", 5.0, True)])
def test_inductive_embedding_equals_message_passing(layers, combine, activation, query_scale,
                                                    fold_in):
    """A playlist embedded from its track list as seeds (the path for new playlists) gets the
    same vector as the same playlist inside the graph."""
    model, inputs = tiny_model(layers, combine=combine, activation=activation,
                               query_scale=query_scale, fold_in=fold_in)
    p, t = random_graph(9, 25, 70)
    adj_pt, adj_tp = bipartite_adjacency(p, t, 9, 25)
    names = ["", "a", "b", "c", "x", "a y", "y x", "z", "c x"]
    with eval_mode(model):
        in_graph, _ = model(inputs, adj_pt, adj_tp, torch.from_numpy(VOCAB.encode(names)))
        states = model.track_states(model.track_inputs(inputs), adj_pt, adj_tp)
    scorer = GnnScorer(model, states, VOCAB)
    seeds = [t[p == i].numpy() for i in range(9)]
    inductive = scorer.playlist_vectors(seeds, names)
    assert torch.allclose(inductive, in_graph, atol=1e-5)


def test_title_only_playlist_is_finite_and_depends_on_the_title():
    model, inputs = tiny_model(2)
    with eval_mode(model):
        states = model.track_states(model.track_inputs(inputs),
                                    *bipartite_adjacency(*random_graph(5, 25, 30), 5, 25))
        adj = query_adjacency([np.array([], np.int64), np.array([], np.int64)], 25)
        out = model.playlist_embedding(states, adj, torch.from_numpy(VOCAB.encode(["a", "b"])))
    assert torch.isfinite(out).all()
    assert not torch.allclose(out[0], out[1])


def test_title_words_place_a_title_never_seen_whole():
    """"y x" was never a training title, but its words were: it gets their mean, in any
    word order, and differs from a title with no known word."""
    assert VOCAB.encode(["y x"])[0, 0] == 0 and VOCAB.encode(["y x"])[0, 1:3].tolist() == [5, 4]
    model, inputs = tiny_model(2)
    with eval_mode(model):
        states = model.track_states(model.track_inputs(inputs),
                                    *bipartite_adjacency(*random_graph(5, 25, 30), 5, 25))
        adj = query_adjacency([np.array([], np.int64)] * 3, 25)
        out = model.playlist_embedding(states, adj,
                                       torch.from_numpy(VOCAB.encode(["y x", "x y", "zzz"])))
    assert torch.allclose(out[0], out[1])
    assert not torch.allclose(out[0], out[2])


def test_unseen_tracks_still_get_a_vector_from_features():
    model, inputs = tiny_model(2)
    unseen = inputs._replace(track=torch.zeros(25, dtype=torch.long),
                             artist=torch.zeros(25, dtype=torch.long),
                             album=torch.zeros(25, dtype=torch.long))
    empty = torch.zeros(0, dtype=torch.long)
    with eval_mode(model):
        states = model.track_states(model.track_inputs(unseen),
                                    *bipartite_adjacency(empty, empty, 0, 25))
    vectors = states[-1]
    assert torch.isfinite(vectors).all()
    assert vectors.std(0).sum() > 0  # different features, different vectors


def test_fold_in_solves_the_als_least_squares():
    """The fold-in readout is the minimizer of ALS's weighted loss for the given vectors:
    its gradient there is zero, and it is what a direct dense solve gives."""
    model, _ = tiny_model(2, fold_in=True)
    vectors = torch.randn(25, 8, dtype=torch.float64)
    seeds = [np.array([1, 4, 9]), np.array([], np.int64), np.array([3])]
    adj = query_adjacency(seeds, 25)
    alpha, ridge, weight = model.fold_in_log.detach().double().exp()
    with torch.no_grad():
        model.fold_in_log.data = model.fold_in_log.data.double()
        got = model._fold_in(vectors, adj.to(torch.float64), PlaylistGraphSAGE.gram(vectors))
    for q, s in enumerate(seeds):
        c = torch.ones(25, dtype=torch.float64)
        y = torch.zeros(25, dtype=torch.float64)
        c[s], y[s] = 1 + alpha, 1.0
        a = vectors.T @ (c.unsqueeze(1) * vectors) + ridge * torch.eye(8, dtype=torch.float64)
        expected = weight * torch.linalg.solve(a, vectors.T @ (c * y))
        assert torch.allclose(got[q], expected, atol=1e-8)
    assert torch.allclose(got[1], torch.zeros(8, dtype=torch.float64))  # no seeds: nothing


def test_fold_in_in_chunks_equals_one_solve(monkeypatch):
    """Bounding the outer products by chunking the queries changes nothing in the result."""
    import ml.models.graphsage
    model, _ = tiny_model(2, fold_in=True)
    vectors = torch.randn(25, 8)
    seeds = [np.array([1, 4, 9]), np.array([], np.int64), np.array([3, 5]), np.arange(10),
             np.array([7])]
    adj = query_adjacency(seeds, 25)
    gram = PlaylistGraphSAGE.gram(vectors)
    whole = model._fold_in(vectors, adj, gram)
    monkeypatch.setattr(ml.models.graphsage, "FOLD_IN_SEEDS", 4)
    assert ml.models.graphsage._chunks(adj.crow_indices(), 4) == [(0, 2), (2, 3), (3, 4), (4, 5)]
    assert torch.allclose(model._fold_in(vectors, adj, gram), whole, atol=1e-5)
