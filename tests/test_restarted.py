"""Thick-restart block Lanczos with locking (netscope.active.restarted) against numpy's eigh."""

import numpy as np
import pytest

import netscope
import netscope.active.solvers
from conftest import orthonormal
from netscope.active.restarted import RESIDUAL_TOLERANCE, RestartedPasses


def gradients(rng, n, dim, decay):
    """n rows whose C = GᵀG/n has the spectrum i^(−decay) (flat for a small decay), float32."""
    scales = np.arange(1, n + 1) ** (-decay / 2)
    return ((rng.standard_normal((n, n)) * scales) @ orthonormal(rng, dim, n).T).astype(np.float32)


def exact(G):
    """C's eigenvalues (descending) and eigenvectors, by np.linalg.eigh in float64."""
    G = G.astype(np.float64)
    values, vectors = np.linalg.eigh(G.T @ G / len(G))
    return values[::-1], vectors[:, ::-1]


def true_residuals(G, values, vectors):
    """‖C v − θ v‖ of each pair, with C applied through G in float64."""
    G, vectors = G.astype(np.float64), vectors.astype(np.float64)
    return np.linalg.norm(G.T @ (G @ vectors) / len(G) - vectors * values, axis=0)


def run(passes, G, most, after_pass=None, last=True):
    """Feed G in chunks of 50 rows for at most ``most`` passes (or until the passes stop), the
    last one not extended unless ``last`` is False (to go on from it).
    """
    for index in range(most):
        for start in range(0, len(G), 50):
            passes.consume(G[start : start + 50])
        going = passes.end_pass(index < most - 1 or not last)
        if after_pass is not None:
            after_pass(passes)
        if not going:
            return index + 1
    return most


def largest_angle_sine(A, B):
    """The sine of the largest principal angle between the spans of orthonormal A and B."""
    cosines = np.linalg.svd(A.T.astype(np.float64) @ B.astype(np.float64), compute_uv=False)
    return np.sqrt(max(1 - cosines.min() ** 2, 0.0))


@pytest.mark.parametrize("decay", [0.2, 1.0], ids=["flat", "decaying"])
def test_restarted_passes_converge_to_eigh_and_report_true_residuals(rng, decay):
    G = gradients(rng, 250, 1200, decay)
    values, vectors = exact(G)
    k = 8
    passes = RestartedPasses(1200, 8, 48, seed=0, dtype=np.float64, wanted=k)
    used = run(passes, G, 60)
    assert used < 60 and passes.converged()  # stopped by the rule, well before the cap
    # Nothing per sample in the state a checkpoint writes (a rank's share of G V would be no
    # other rank's): its arrays are D × columns or sized by the basis.
    assert all(np.shape(array)[:1] != (len(G),) for array in passes.state().values())
    found, ritz, residuals = passes.ritz_pairs(k)
    # the reported residual is the true one, and within the tolerance
    np.testing.assert_allclose(residuals, true_residuals(G, found, ritz), rtol=1e-6, atol=1e-12 * values[0])
    assert np.all(residuals <= RESIDUAL_TOLERANCE * found)
    # a residual r bounds the value's error by r (and r²/gap for these well-separated values)
    np.testing.assert_allclose(found, values[:k], rtol=RESIDUAL_TOLERANCE)
    assert largest_angle_sine(vectors[:, :k], ritz) < 0.1


def test_a_flat_spectrum_needs_restarts_and_locks_converged_pairs(rng):
    G = gradients(rng, 300, 1500, 0.2)
    values, _ = exact(G)
    assert values[7] / values[8] < 1.03  # flat: the 8th and 9th within 3 %
    passes = RestartedPasses(1500, 6, 30, seed=1, dtype=np.float32, wanted=8)
    history = []

    def record(passes):
        locked = passes.locked
        history.append((locked, passes.basis[:, :locked].copy(), passes.known))

    run(passes, G, 80, record)
    assert passes.converged() and passes.locked > 0
    # the basis overflowed (30 columns for 6 a pass) and was restarted
    assert any(later < earlier for (_, _, earlier), (_, _, later) in zip(history, history[1:]))
    # a locked vector stays as it was, and later columns stay orthogonal to it
    first = next(index for index, (locked, _, _) in enumerate(history) if locked)
    locked, frozen, _ = history[first]
    np.testing.assert_array_equal(passes.basis[:, :locked], frozen)
    end = passes.known + passes.width
    overlap = frozen.T.astype(np.float64) @ passes.basis[:, locked:end].astype(np.float64)
    assert np.abs(overlap).max() < 1e-5
    # its value and residual are frozen too, and its residual is its true one
    found, ritz, residuals = passes.ritz_pairs(8)
    np.testing.assert_allclose(residuals, true_residuals(G, found, ritz), rtol=1e-3, atol=1e-6 * values[0])
    assert np.all(residuals <= RESIDUAL_TOLERANCE * found)
    np.testing.assert_allclose(found, values[:8], rtol=RESIDUAL_TOLERANCE)


def test_residuals_are_reported_honestly_when_the_cap_stops_the_passes(rng):
    G = gradients(rng, 250, 1200, 0.1)
    passes = RestartedPasses(1200, 5, 25, seed=0, dtype=np.float64, wanted=8)
    assert run(passes, G, 3) == 3 and not passes.converged()
    found, ritz, residuals = passes.ritz_pairs(8)
    assert residuals.max() > 10 * RESIDUAL_TOLERANCE * found.min()  # far from converged
    np.testing.assert_allclose(residuals, true_residuals(G, found, ritz), rtol=1e-6)


def test_state_goes_on_bit_for_bit(rng):
    G = gradients(rng, 200, 1500, 0.3)
    whole = RestartedPasses(1500, 5, 24, seed=3, dtype=np.float32, wanted=5)
    used = run(whole, G, 40)
    first = RestartedPasses(1500, 5, 24, seed=3, dtype=np.float32, wanted=5)
    assert run(first, G, 4, last=False) == 4  # past a restart
    assert first.known < 4 * 5
    saved = {name: np.array(value, copy=True) for name, value in first.state().items()}
    again = RestartedPasses.from_state(saved)
    assert run(again, G, 40) + 4 == used
    for a, b in zip(whole.ritz_pairs(5), again.ritz_pairs(5)):
        np.testing.assert_array_equal(a, b)


def test_too_few_columns_are_refused_naming_the_fix():
    with pytest.raises(ValueError, match="columns=20 must exceed wanted"):
        RestartedPasses(100, 5, 20, seed=0, dtype=np.float64, wanted=10)
    with pytest.raises(ValueError, match="sketch_size of at least 7"):
        RestartedPasses.in_columns(1000, 12, 0, np.float64, wanted=11)
    assert RestartedPasses.in_columns(1000, 14, 0, np.float64, wanted=11).columns == 14  # and 7 is enough


def test_multipass_beyond_the_krylov_budget_stops_once_converged(rng, monkeypatch):
    # Where the Krylov basis would not fit, method="multipass" restarts it within two blocks'
    # memory and stops at the tolerance, long before a generous n_passes.
    monkeypatch.setattr(netscope.active.solvers, "KRYLOV_STATE_BYTES", 0)
    G = gradients(rng, 300, 1200, 0.3)
    values, _ = exact(G)
    reads = []

    class Chunks:
        def __iter__(self):
            reads.append(1)
            return (G[start : start + 100] for start in range(0, len(G), 100))

    fitted = netscope.ActiveSubspace("multipass", n_components=6, sketch_size=20, n_passes=50, progress=False)
    fitted.fit_gradients(Chunks())
    assert len(reads) < 50
    assert np.all(fitted.residuals_ <= RESIDUAL_TOLERANCE * fitted.eigenvalues_)
    np.testing.assert_allclose(fitted.eigenvalues_, values[:6], rtol=RESIDUAL_TOLERANCE)
