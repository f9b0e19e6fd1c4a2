import numpy as np
import pytest
import scipy.linalg

import netscope
from conftest import orthonormal


def decaying_matrix(rng, m, n, decay=lambda i: 1.0 / i):
    """A = U diag(s) Vᵀ with s_i = decay(i), i = 1..min(m, n), and known factors."""
    r = min(m, n)
    U, V = orthonormal(rng, m, r), orthonormal(rng, n, r)
    s = decay(np.arange(1, r + 1, dtype=float))
    return (U * s) @ V.T, U, s, V


def max_angle(A, B):
    return np.max(scipy.linalg.subspace_angles(A, B))


@pytest.mark.parametrize("shape", [(400, 250), (120, 500)])
def test_randomized_svd_matches_numpy_svd(rng, shape):
    A, U, s, V = decaying_matrix(rng, *shape)
    k = 20
    Uk, sk, Vtk = netscope.randomized_svd(A, k)
    assert Uk.shape == (shape[0], k) and sk.shape == (k,) and Vtk.shape == (k, shape[1])
    reference = np.linalg.svd(A, compute_uv=False)[:k]
    # s_i = 1/i decays slowly; block Krylov with depth 3 still resolves the top 20 to 1e-6.
    np.testing.assert_allclose(sk, reference, rtol=1e-6)
    assert max_angle(Uk[:, :10], U[:, :10]) < 1e-5
    assert max_angle(Vtk[:10].T, V[:, :10]) < 1e-5
    np.testing.assert_allclose(Uk.T @ Uk, np.eye(k), atol=1e-12)
    assert np.all(np.diff(sk) <= 0)


def test_randomized_svd_float32(rng):
    A, U, s, _ = decaying_matrix(rng, 300, 200, decay=lambda i: 0.9**i)
    Uk, sk, Vtk = netscope.randomized_svd(A.astype(np.float32), 10)
    assert Uk.dtype == sk.dtype == Vtk.dtype == np.float32
    np.testing.assert_allclose(sk, s[:10], rtol=1e-4)  # float32 rounding, ~1e-6 relative
    assert max_angle(Uk.astype(float), U[:, :10]) < 1e-3


def test_randomized_svd_more_power_iterations_are_more_accurate(rng):
    A, _, s, _ = decaying_matrix(rng, 300, 300)
    errors = [
        np.max(np.abs(netscope.randomized_svd(A, 30, n_power_iter=q, n_oversamples=5)[1] / s[:30] - 1))
        for q in (0, 1, 3)
    ]
    assert errors[0] > errors[1] > errors[2]


def test_randomized_svd_full_rank_is_exact(rng):
    A, _, s, _ = decaying_matrix(rng, 40, 30)
    U, sk, Vt = netscope.randomized_svd(A, 30)
    np.testing.assert_allclose(sk, s, rtol=1e-10)
    np.testing.assert_allclose(U * sk @ Vt, A, atol=1e-12)


def test_randomized_svd_is_deterministic_for_a_seed(rng):
    A, *_ = decaying_matrix(rng, 200, 150)
    first = netscope.randomized_svd(A, 5, seed=7)
    second = netscope.randomized_svd(A, 5, seed=7)
    other = netscope.randomized_svd(A, 5, seed=8)  # another start block, all else the same
    for x, y in zip(first, second):
        assert np.array_equal(x, y)
    assert not np.array_equal(first[1], other[1])


def test_eigh_top_matches_numpy_eigh(rng):
    n, k = 300, 15
    Q = orthonormal(rng, n, n)
    spectrum = 1.0 / np.arange(1, n + 1) ** 1.5
    C = (Q * spectrum) @ Q.T
    C = (C + C.T) / 2
    values, vectors = netscope.eigh_top(C, k)
    reference_values, reference_vectors = np.linalg.eigh(C)
    # Ritz values from a depth-3 Krylov space under-estimate slowly decaying eigenvalues slightly.
    np.testing.assert_allclose(values, reference_values[::-1][:k], rtol=1e-6)
    # The gap λ10/λ11 is only 1.15, so the top-10 subspace converges more slowly than the values.
    assert max_angle(vectors[:, :10], reference_vectors[:, ::-1][:, :10]) < 1e-4
    np.testing.assert_allclose(vectors.T @ vectors, np.eye(k), atol=1e-12)


def test_eigh_top_dense_path_when_basis_covers_the_space(rng):
    n = 30
    G = rng.standard_normal((100, n))
    C = G.T @ G
    C = (C + C.T) / 2
    values, vectors = netscope.eigh_top(C, 25)  # (k + 10) >= n: LAPACK syevr on the whole matrix
    reference = np.linalg.eigvalsh(C)[::-1][:25]
    np.testing.assert_allclose(values, reference, rtol=1e-12)
    np.testing.assert_allclose(C @ vectors, vectors * values, atol=1e-9)


def test_eigh_top_on_gram_accumulator_matrix(rng):
    G = rng.standard_normal((2000, 60)) * np.linspace(3, 0.1, 60)
    C = netscope.GramAccumulator(60).update(G).matrix()
    values, _ = netscope.eigh_top(C.astype(np.float32), 5)
    np.testing.assert_allclose(values, np.linalg.eigvalsh(C)[::-1][:5], rtol=1e-5)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda A: netscope.randomized_svd(A, 0), ValueError, "k must be >= 1"),
        (lambda A: netscope.randomized_svd(A, 21), ValueError, "k must be <= 20"),
        (lambda A: netscope.randomized_svd(A, 2.0), TypeError, "k must be an integer"),
        (lambda A: netscope.randomized_svd(A[0], 2), ValueError, "A must be 2-D"),
        (lambda A: netscope.randomized_svd(A, 2, n_power_iter=-1), ValueError, "n_power_iter"),
        (lambda A: netscope.randomized_svd(A, 2, n_oversamples=-2), ValueError, "n_oversamples"),
        (lambda A: netscope.randomized_svd(A, 2, seed=-1), ValueError, "seed"),
        (lambda A: netscope.randomized_svd(np.where(A > 2, np.nan, A), 2), ValueError, "A holds NaN or inf in row"),
        (lambda A: netscope.eigh_top(A, 2), ValueError, "C must be square"),
        (
            lambda A: netscope.eigh_top(A[:20] @ A[:20].T + np.triu(np.ones((20, 20)), 1), 2),
            ValueError,
            "C must be symmetric",
        ),
        (lambda A: netscope.eigh_top(np.full((3, 3), np.inf), 1), ValueError, "C holds NaN or inf"),
    ],
)
def test_bad_input_raises_clear_errors(rng, call, error, match):
    A = rng.standard_normal((30, 20))
    with pytest.raises(error, match=match):
        call(A)
