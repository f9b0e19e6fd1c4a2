"""Fidelity and stability of maps, against scikit-learn and hand computations."""

import numpy as np
import pytest
from sklearn.manifold import trustworthiness

from netscope.structure.fidelity import fidelity, stability


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
    near = lambda P: np.argsort(np.linalg.norm(P[:, None] - P[None], axis=2), axis=1)[:, 1:k + 1]
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


def test_bad_input_names_the_argument(rng):
    with pytest.raises(ValueError, match="one row per point"):
        fidelity(rng.standard_normal((10, 3)), rng.standard_normal((9, 2)))
    with pytest.raises(ValueError, match="k must be <= 5"):
        fidelity(rng.standard_normal((10, 3)), rng.standard_normal((10, 2)), k=6)
    with pytest.raises(ValueError, match="maps of the same points"):
        stability(rng.standard_normal((10, 2)), rng.standard_normal((11, 2)))
