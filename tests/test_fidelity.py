"""Fidelity and stability of maps, against scikit-learn and hand computations."""

import numpy as np
import pytest
from scipy.spatial import cKDTree
from sklearn.manifold import trustworthiness

from netscope.structure.fidelity import (
    distance_spearman,
    fidelity,
    global_structure,
    map_neighbours,
    stability,
    triplet_accuracy,
)


def noisy_projection(rng, n=250):
    X = rng.standard_normal((n, 8))
    return X, X[:, :2] + 0.3 * rng.standard_normal((n, 2))


@pytest.mark.parametrize("k", [1, 5, 15])
def test_trustworthiness_and_continuity_match_sklearn(rng, k):
    X, Y = noisy_projection(rng)
    result = fidelity(X, Y, k)
    assert result.trustworthiness == pytest.approx(trustworthiness(X, Y, n_neighbors=k), abs=1e-12)
    # Continuity is trustworthiness with the two spaces' roles swapped.
    assert result.continuity == pytest.approx(trustworthiness(Y, X, n_neighbors=k), abs=1e-12)
    assert result.n_queries == 250 and result.standard_error == 0


def test_knn_preservation_by_hand(rng):
    X, Y = noisy_projection(rng, 60)
    k = 4

    def near(P):
        return np.argsort(np.linalg.norm(P[:, None] - P[None], axis=2), axis=1)[:, 1 : k + 1]

    expected = np.mean([len(set(a) & set(b)) / k for a, b in zip(near(X), near(Y))])
    assert fidelity(X, Y, k).knn_preservation == pytest.approx(expected)
    # A map that is the data itself keeps everything; a shuffled one keeps about k/n.
    perfect = fidelity(X[:, :2], X[:, :2], k)
    assert perfect.trustworthiness == perfect.continuity == perfect.knn_preservation == 1.0


def test_subsampled_measures_agree_within_their_stated_error(rng):
    X, Y = noisy_projection(rng, 1500)
    exact = fidelity(X, Y, 10)
    sampled = fidelity(X, Y, 10, max_queries=300, seed=1)
    assert sampled.n_queries == 300 and sampled.standard_error > 0
    for name in ("trustworthiness", "continuity", "knn_preservation"):
        assert abs(getattr(sampled, name) - getattr(exact, name)) < 4 * sampled.standard_error, name


def test_stability_of_a_still_a_moved_and_a_shuffled_map(rng):
    before = rng.standard_normal((100, 2))
    still = stability(before, before, 5)
    assert still.displacement == 0 and still.neighbours_kept == 1
    shifted = stability(before, before + [0.1, 0.0], 5)  # a shift keeps every neighbour
    radius = np.sqrt(((before - before.mean(axis=0)) ** 2).sum(axis=1).mean())
    assert shifted.displacement == pytest.approx(0.1 / radius) and shifted.neighbours_kept == 1
    assert stability(before, rng.permutation(before), 5).neighbours_kept < 0.2


def test_stability_neighbours_kept_against_brute_force(rng):
    before = rng.standard_normal((200, 2))
    after = before + 0.3 * rng.standard_normal((200, 2))

    def near(P, k):
        return np.argsort(np.linalg.norm(P[:, None] - P[None], axis=2), axis=1)[:, 1 : k + 1]

    for k in (1, 7, 30):
        expected = np.mean([len(set(a) & set(b)) / k for a, b in zip(near(before, k), near(after, k))])
        assert 0.05 < expected < 0.95  # neither all nor none kept
        assert stability(before, after, k).neighbours_kept == pytest.approx(expected, abs=1e-12), k


def test_map_neighbours_leave_the_point_out_among_its_copies(rng):
    points = np.vstack([np.zeros((12, 2)), rng.standard_normal((30, 2))])  # 12 copies of the origin
    rows = np.arange(len(points))
    near = map_neighbours(cKDTree(points), rows, 5)
    assert near.shape == (42, 5) and not (near == rows[:, None]).any()
    assert all(len(set(row)) == 5 for row in near)
    assert (near[:12] < 12).all()  # a copy's nearest are other copies


def test_fidelity_breaks_ties_by_index_like_a_stable_sort(rng):
    # Points on small integer grids, some repeated: many equal distances, computed exactly.
    X = rng.integers(0, 3, (120, 4)).astype(np.float64)
    Y = rng.integers(0, 5, (120, 2)).astype(np.float64)
    n, k = 120, 6

    def ranks_and_neighbours(P):
        distances = ((P[:, None] - P[None]) ** 2).sum(axis=2)
        np.fill_diagonal(distances, -np.inf)
        order = np.argsort(distances, axis=1, kind="stable")
        return np.argsort(order, axis=1), [set(row[1 : k + 1]) for row in order]

    (ranks_x, near_x), (ranks_y, near_y) = ranks_and_neighbours(X), ranks_and_neighbours(Y)
    scale = 2 / (n * k * (2 * n - 3 * k - 1))
    trust = 1 - scale * sum(ranks_x[i, j] - k for i in range(n) for j in near_y[i] - near_x[i])
    cont = 1 - scale * sum(ranks_y[i, j] - k for i in range(n) for j in near_x[i] - near_y[i])
    kept = np.mean([len(near_x[i] & near_y[i]) / k for i in range(n)])
    result = fidelity(X, Y, k)
    assert result.trustworthiness == pytest.approx(trust, abs=1e-12)
    assert result.continuity == pytest.approx(cont, abs=1e-12)
    assert result.knn_preservation == pytest.approx(kept, abs=1e-12)


def test_bad_input_names_the_argument(rng):
    with pytest.raises(ValueError, match="one row per point"):
        fidelity(rng.standard_normal((10, 3)), rng.standard_normal((9, 2)))
    with pytest.raises(ValueError, match="k must be <= 5"):
        fidelity(rng.standard_normal((10, 3)), rng.standard_normal((10, 2)), k=6)
    with pytest.raises(ValueError, match="maps of the same points"):
        stability(rng.standard_normal((10, 2)), rng.standard_normal((11, 2)))
    with pytest.raises(ValueError, match="k must be <= 9"):
        stability(rng.standard_normal((10, 2)), rng.standard_normal((10, 2)), k=10)


def test_triplet_accuracy_against_a_loop(rng):
    X, Y = rng.standard_normal((40, 5)), rng.standard_normal((40, 2))
    triplets = np.array(
        [(i, j, m) for i in range(0, 40, 7) for j in range(40) for m in range(0, 40, 3) if len({i, j, m}) == 3]
    )
    agree = 0
    for i, j, m in triplets:
        in_data = np.linalg.norm(X[i] - X[j]) < np.linalg.norm(X[i] - X[m])
        in_map = np.linalg.norm(Y[i] - Y[j]) < np.linalg.norm(Y[i] - Y[m])
        agree += in_data == in_map
    assert triplet_accuracy(X, Y, triplets) == pytest.approx(agree / len(triplets))


def test_distance_spearman_against_ranks_by_hand(rng):
    X, Y = rng.standard_normal((60, 4)), rng.standard_normal((60, 2))
    pairs = np.array([(a, b) for a in range(60) for b in range(a + 1, 60)])
    ranks = [np.argsort(np.argsort(np.linalg.norm(Z[pairs[:, 0]] - Z[pairs[:, 1]], axis=1))) for Z in (X, Y)]
    assert distance_spearman(X, Y, pairs) == pytest.approx(np.corrcoef(*ranks)[0, 1], abs=1e-12)


def test_global_structure_of_a_faithful_a_shuffled_and_a_stretched_map(rng):
    X = rng.standard_normal((500, 2)) * [3.0, 1.0]
    rotation = np.array([[0.6, -0.8], [0.8, 0.6]])
    same = global_structure(X, 2.5 * X @ rotation + 7.0)  # a similarity keeps every order
    assert same.triplet_accuracy == 1.0 and same.distance_spearman == pytest.approx(1.0)
    shuffled = global_structure(X, X[rng.permutation(500)])
    assert abs(shuffled.triplet_accuracy - 0.5) < 0.05 and abs(shuffled.distance_spearman) < 0.05
    squashed = global_structure(X, X * [1.0, 0.0])  # orders kept only along the long axis
    assert 0.6 < squashed.triplet_accuracy < 1.0 and 0.5 < squashed.distance_spearman < 1.0
    assert (same.n_triplets, same.n_pairs) == (10_000, 10_000)
    with pytest.raises(ValueError, match="at least 3 points"):
        global_structure(X[:2], X[:2])
    with pytest.raises(ValueError, match="n_triplets"):
        global_structure(X, X, n_triplets=0)
    with pytest.raises(ValueError, match="one row per point"):
        global_structure(X, X[:10])


def test_global_structure_draws_distinct_points(monkeypatch):
    seen = []
    monkeypatch.setattr("netscope.structure.fidelity.triplet_accuracy", lambda X, Y, t: seen.append(t) or 1.0)
    X = np.arange(8.0).reshape(4, 2)
    global_structure(X, X, n_triplets=5000, seed=3)
    triplets = seen[0]
    assert all(len(set(row)) == 3 for row in triplets.tolist())
    assert len({tuple(row) for row in triplets.tolist()}) == 4 * 3 * 2  # every ordered triplet of 4 points occurs
