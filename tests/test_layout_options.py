"""The neighbour embedding's kernel and repulsion settings, and the start from the points."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA

import netscope
import netscope.core.layout
from netscope.structure.fidelity import global_structure


def tsne_step(W, Y, learning_rate, repulsion, dof):
    """One step of t-SNE's gradient as the layout scales it, computed over every pair: each edge
    pulls by 4 v base (y_j - y_i) (v: weight over the heaviest, base = 1 / (1 + d² / dof)), and
    every other point pushes by 4 c repulsion q base (y_i - y_k) / ((n - 1) Z̄), q = base^dof, with c the
    mean row sum of v and Z̄ the mean of q over all ordered pairs."""
    n = len(Y)
    V = W.toarray() / W.max()
    offsets = Y[:, None, :] - Y[None, :, :]
    base = 1.0 / (1.0 + (offsets**2).sum(axis=2) / dof)
    q = base**dof
    np.fill_diagonal(q, 0.0)
    mean_kernel = q.sum() / (n * (n - 1))
    pull = -4 * ((V * base)[:, :, None] * offsets).sum(axis=1)
    push = 4 * V.sum() / n * repulsion / ((n - 1) * mean_kernel) * ((q * base)[:, :, None] * offsets).sum(axis=1)
    return Y + learning_rate * (pull + push)


@pytest.mark.parametrize(("repulsion", "dof"), [(1.0, 1.0), (2.0, 1.0), (1.0, 0.6)])
def test_one_epoch_takes_the_tsne_gradient_step(repulsion, dof):
    # Enough negative samples that their estimates of the push and of Z̄ come within a few % of
    # the sums over all pairs (neighbours are pushed exactly, the rest by the samples): measured,
    # the gap shrinks as 1 / √samples, to 0.5-0.9 % here.
    W = netscope.knn_graph(np.random.default_rng(3).standard_normal((60, 5)), 5)
    init = np.random.default_rng(4).uniform(-3, 3, size=(60, 2))
    settings = {"learning_rate": 0.5, "repulsion": repulsion, "dof": dof, "early_exaggeration": 1.0}
    moved = netscope.force_layout(W, init, n_iter=1, negative_samples=80_000, **settings)
    expected = tsne_step(W, init, 0.5, repulsion, dof)
    assert np.abs(moved - expected).max() < 0.02 * np.abs(expected - init).max()
    # The push counts: without it the step is another.
    attraction_only = tsne_step(W, init, 0.5, 0.0, dof)
    assert np.abs(attraction_only - expected).max() > 0.3 * np.abs(expected - init).max()


def test_pca_start_matches_scikit_learn(rng):
    X = rng.standard_normal((200, 6)) * np.array([5.0, 3.0, 1.0, 0.5, 0.2, 0.1])
    start = netscope.core.layout.pca_start(X, 200)
    reference = PCA(2).fit_transform(X)
    # Principal axes are defined up to sign.
    np.testing.assert_allclose(np.abs(start), np.abs(reference), rtol=1e-6, atol=1e-8)
    line = netscope.core.layout.pca_start(X[:, :1], 200)
    np.testing.assert_allclose(np.abs(line[:, 0]), np.abs(X[:, 0] - X[:, 0].mean()), rtol=1e-10)
    assert np.all(line[:, 1] == 0)


def test_start_from_points_keeps_the_large_scale_arrangement():
    # The digits' principal axes hold their global arrangement, which the graph alone loses.
    X, _ = load_digits(return_X_y=True)
    graph = netscope.knn_graph(X, 15)
    from_points = netscope.force_layout(graph, points=X)
    from_graph = netscope.force_layout(graph)
    with_points, graph_only = global_structure(X, from_points), global_structure(X, from_graph)
    assert with_points.triplet_accuracy > graph_only.triplet_accuracy + 0.04
    assert with_points.distance_spearman > graph_only.distance_spearman + 0.1
    # No epochs: the start itself, the principal axes scaled to the spectral start's half-width.
    start = netscope.force_layout(graph, points=X, n_iter=0)
    pca = netscope.core.layout.pca_start(X, len(X))
    np.testing.assert_allclose(
        start, pca * netscope.core.layout.SPECTRAL_START_RADIUS / np.abs(pca).max(), rtol=0, atol=1e-3
    )


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        ({"dof": 0.0}, "dof must be > 0"),
        ({"repulsion": -1.0}, "repulsion must be >= 0"),
        ({"early_exaggeration": 0.5}, "early_exaggeration must be >= 1"),
        ({"points": np.zeros((2, 3))}, r"points must hold one row per graph node \(3\)"),
        ({"points": np.full((3, 2), np.nan)}, "points holds NaN"),
    ],
)
def test_bad_settings_are_refused(settings, match):
    with pytest.raises(ValueError, match=match):
        netscope.force_layout(np.ones((3, 3)), **settings)


def test_default_epochs_follow_the_number_of_points(monkeypatch, rng):
    layout = netscope.core.layout
    assert layout.default_iterations("neighbor_embedding", 10_000) == 400
    assert layout.default_iterations("neighbor_embedding", 10_001) == 200
    assert layout.default_iterations("fruchterman_reingold", 10_001) == 500
    with pytest.raises(ValueError, match="method must be one of"):
        layout.default_iterations("umap", 100)
    X = rng.standard_normal((60, 5))
    graph = netscope.knn_graph(X, 5)
    monkeypatch.setattr(layout, "MANY_POINTS", 50)  # 60 points now count as many
    default = netscope.force_layout(graph, points=X)
    assert np.array_equal(default, netscope.force_layout(graph, points=X, n_iter=200))
    assert not np.array_equal(default, netscope.force_layout(graph, points=X, n_iter=400))
