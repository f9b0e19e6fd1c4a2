"""The neighbour embedding's kernel and repulsion settings, and the start from the points."""

import numpy as np
import pytest
import scipy.optimize
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA

import netscope
import netscope.core.layout
from netscope.structure.fidelity import global_structure

# Two linked nodes, each drawing m negative samples a pull: half of them hit the other node.
TWO_NODES = np.array([[0.0, 1.0], [1.0, 0.0]])
TWO_NODES_START = np.array([[0.0, 0.0], [1.0, 0.5]])


def settled_distance(n_iter=400, learning_rate=1.0, **settings):
    positions = netscope.force_layout(
        TWO_NODES, TWO_NODES_START, n_iter=n_iter, negative_samples=400, learning_rate=learning_rate, **settings
    )
    return np.linalg.norm(positions[0] - positions[1])


@pytest.mark.parametrize("repulsion", [1.0, 3.0])
def test_repulsion_sets_the_analytic_balance(repulsion):
    # The pull 2 · 2d / (1 + d²) meets the push of the m/2 samples that hit the other node,
    # γ m/2 · 2d / ((0.001 + d²)(1 + d²)), at d² = γ m / 4 - 0.001.
    expected = np.sqrt(repulsion * 400 / 4 - 0.001)
    assert settled_distance(repulsion=repulsion, dof=1.0) == pytest.approx(expected, rel=0.05)


@pytest.mark.parametrize("dof", [0.5, 0.8])
def test_heavy_tailed_kernel_sets_the_analytic_balance(dof):
    # Kernel q = u^-dof, u = 1 + d² / dof: the pull 2 · 2d / u meets the push of m/2 samples,
    # m/2 · 2 q d / (u (1 - q) + 0.001), where 4 (u (1 - q) + 0.001) = m q u.
    def gap(d):
        u = 1 + d * d / dof
        q = u**-dof
        return 4 * (u * (1 - q) + 0.001) - 400 * q * u

    expected = scipy.optimize.brentq(gap, 0.1, 1e4)
    # The heavy tail's forces are weak that far out: longer, larger steps to settle.
    assert settled_distance(2000, 4.0, repulsion=1.0, dof=dof) == pytest.approx(expected, rel=0.05)
    # A heavier tail pushes farther: the balance lies beyond the Cauchy kernel's.
    assert expected > np.sqrt(100 - 0.001)


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
        ({"points": np.zeros((2, 3))}, r"points must hold one row per graph node \(3\)"),
        ({"points": np.full((3, 2), np.nan)}, "points holds NaN"),
    ],
)
def test_bad_settings_are_refused(settings, match):
    with pytest.raises(ValueError, match=match):
        netscope.force_layout(np.ones((3, 3)), **settings)
