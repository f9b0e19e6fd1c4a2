"""Measures of estimated spectra, shared by the estimator, its diagnostics, the plots and the
studies: how far apart two subspaces are, how far estimated eigenvalues are from reference ones,
and how many eigenvalues hold a share of the trace. numpy only.
"""

from __future__ import annotations

import numpy as np


def subspace_sines(reference: np.ndarray, estimate: np.ndarray) -> np.ndarray:
    """Sine of the largest principal angle between the spans of the first r columns, r = 1..k.

    Both arguments (D, k) have orthonormal columns. This is the subspace distance
    ‖W₁W₁ᵀ − Ŵ₁Ŵ₁ᵀ‖₂ of Constantine & Gleich for every candidate dimension r; the last entry is
    the distance between the whole k-dimensional spans. O(D k² + k⁴).
    """
    k = reference.shape[1]
    overlap = reference.T @ estimate
    sines = np.empty(k)
    for r in range(1, k + 1):
        smallest_cosine = np.linalg.svd(overlap[:r, :r], compute_uv=False)[-1]
        sines[r - 1] = np.sqrt(max(0.0, 1.0 - min(1.0, smallest_cosine) ** 2))
    return sines


def max_relative_error(values, reference) -> float:
    """max_i |values_i / reference_i − 1| over the common leading entries. O(k)."""
    values, reference = np.asarray(values, dtype=np.float64), np.asarray(reference, dtype=np.float64)
    k = min(len(values), len(reference))
    return float(np.max(np.abs(values[:k] / reference[:k] - 1)))


def count_for_trace_share(eigenvalues, share: float) -> int:
    """How many of the leading (descending) ``eigenvalues`` it takes to hold ``share`` of their sum. O(n)."""
    cumulative = np.cumsum(eigenvalues) / np.sum(eigenvalues)
    return int(np.searchsorted(cumulative, share) + 1)
