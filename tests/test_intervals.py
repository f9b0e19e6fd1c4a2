"""The eigenvalue intervals hold their nominal coverage: the real interval code run on many
simulated data sets whose population spectrum is known (Gaussian gradients g ~ N(0, C),
C = diag(spectrum); the target is λ_i(C), the population second-moment eigenvalue).
"""

from __future__ import annotations

import numpy as np
import pytest

from netscope.active import diagnostics

CONFIDENCE, K = 0.9, 5
# name: (population spectrum, N). Spiked: five spikes over a flat bulk; flat: C = I, where every
# sample eigenvalue sits far above the truth (N ≪ D: about (1 + √(D/N))² = 17 times it).
REGIMES = {
    "spiked, N >> D": (np.r_[10 * 0.6 ** np.arange(K), np.full(35, 0.3)], 1000),
    "flat, N >> D": (np.ones(40), 1000),
    "spiked, N << D": (np.r_[3200 * 0.5 ** np.arange(K), np.ones(995)], 100),
    "flat, N << D": (np.ones(1000), 100),
}
STREAMS = 300


def simulate(spectrum, n, streams, interval):
    """Coverage of λ_1..λ_K(C) by ``interval(G) -> (estimate, low, high)`` over ``streams`` data
    sets of n samples, and the mean sample eigenvalues and estimates over the truth.
    """
    truth = np.sort(spectrum)[::-1][:K]
    covered, plain, estimates = np.zeros(K), [], []
    for stream in range(streams):
        G = np.random.default_rng(stream).standard_normal((n, len(spectrum))) * np.sqrt(spectrum)
        G = G.astype(np.float32)
        estimate, low, high = interval(G, stream)
        covered += (low <= truth) & (truth <= high)
        plain.append(np.linalg.svd(G.astype(np.float64), compute_uv=False)[:K] ** 2 / n)
        estimates.append(estimate)
    return covered / streams, np.mean(plain, axis=0) / truth, np.mean(estimates, axis=0) / truth


def heldout(G, stream):
    return diagnostics.heldout_intervals(G, K, confidence=CONFIDENCE, seed=stream)


@pytest.mark.parametrize("regime", REGIMES)
def test_heldout_intervals_hold_their_coverage_on_known_spectra(regime):
    spectrum, n = REGIMES[regime]
    coverage, plain, corrected = simulate(spectrum, n, STREAMS, heldout)
    # Within 5 points of nominal for each of the top 5 (the binomial standard error of a rate
    # near 0.9 over 300 data sets is 1.7 points; measured: spiked N >> D 87-89.3, flat N >> D
    # 93.7-96, spiked N << D 87.3-92, flat N << D 92.3-95). Flat with N >> D over-covers by a
    # point more: there the splits' directions are unrelated, and Nadeau & Bengio's variance,
    # which assumes the splits' estimates correlate as n_test / n, is conservative.
    assert np.all(coverage >= CONFIDENCE - 0.05), coverage
    assert np.all(coverage <= CONFIDENCE + (0.065 if regime == "flat, N >> D" else 0.05)), coverage
    # The corrected estimate is unbiased to a few per cent, where the sample's is not.
    np.testing.assert_allclose(corrected, 1.0, atol=0.05)
    if regime.startswith("flat"):
        assert np.all(plain > 1.25), plain  # the sample's top eigenvalues sit far above the truth


def test_the_bootstrap_misses_where_the_sample_is_biased():
    # The same check against the basic bootstrap of the sample (what the study used before):
    # on the flat spectrum with N << D every sample eigenvalue is 16 times the truth; the
    # intervals of λ1 and λ2 never hold it (measured 0, 0, 0.25, 0.7, 0.95 for the top 5 over
    # these 20 data sets), which the coverage test would catch.
    spectrum, n = REGIMES["flat, N << D"]

    def basic(G, stream):
        values = np.linalg.svd(G.astype(np.float64), compute_uv=False)[:K] ** 2 / len(G)
        boot = diagnostics.basic_bootstrap(
            G, values, n_boot=20, k=K, confidence=CONFIDENCE, seed=stream, progress=False
        )
        return boot.eigenvalues, boot.eigenvalues_low, boot.eigenvalues_high

    coverage, _, _ = simulate(spectrum, n, 20, basic)
    assert np.all(coverage[:2] <= 0.1), coverage
