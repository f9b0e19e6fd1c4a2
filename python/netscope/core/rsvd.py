"""Randomized top-k decompositions: SVD of a dense matrix, eigenpairs of a symmetric PSD one.

Both run randomized block Krylov iteration in the C++ core (Musco & Musco 2015, in the
Halko–Martinsson–Tropp framework): a Gaussian block of ``k + n_oversamples`` columns, then
``n_power_iter`` multiplications by the matrix (by ``A Aᵀ`` for the SVD), each new block
orthogonalised against all earlier ones and *kept*, so the final Rayleigh–Ritz step sees the whole
Krylov space. The products that take each step double as the Rayleigh–Ritz projection, so no pass
over the matrix is spent twice. With the same number of passes this is far more accurate than
plain power iteration on slowly decaying spectra (bench/bench_rsvd.py). Deterministic for a seed.
"""

from __future__ import annotations

import numpy as np

from .. import _core
from ._validation import as_float_matrix, check_all_finite, check_int


def _krylov_arguments(k, limit, n_oversamples, n_power_iter, seed):
    k = check_int(k, "k", minimum=1, maximum=limit)
    n_oversamples = check_int(n_oversamples, "n_oversamples", minimum=0)
    depth = -1 if n_power_iter is None else check_int(n_power_iter, "n_power_iter", minimum=0)
    seed = check_int(seed, "seed", minimum=0, maximum=2**64 - 1)
    return k, n_oversamples, depth, seed


def randomized_svd(A, k: int, *, n_oversamples: int = 10, n_power_iter: int | None = None, seed: int = 0):
    """Top-``k`` singular triplets of a dense ``(m, n)`` matrix.

    Parameters
    ----------
    A : array_like, shape (m, n), float32 or float64
        Read in place when C-contiguous float32/float64; other dtypes are converted to float64.
        The computation runs in the dtype of ``A``.
    k : int
        Number of singular triplets, ``1 <= k <= min(m, n)``.
    n_oversamples : int
        Extra columns per Krylov block (block size ``b = k + n_oversamples``).
    n_power_iter : int or None
        Krylov depth q: multiplications by ``A Aᵀ``. None picks 3, which on slowly decaying
        spectra is 1000× more accurate than scikit-learn's default in under half its time.
    seed : int
        Seed of the Gaussian start block; equal seeds give identical results.

    Returns
    -------
    U : ndarray (m, k), s : ndarray (k,), descending, Vt : ndarray (k, n)
        In the dtype of ``A``; ``A ≈ U @ diag(s) @ Vt``.

    Cost: O(m n L) time in BLAS on both cores (two passes over ``A`` per block) plus
    O((m + n) L²), and O((m + n) L) memory, with basis size ``L = (q + 1) b`` capped at min(m, n).
    """
    A = as_float_matrix(A, "A")
    k, n_oversamples, depth, seed = _krylov_arguments(k, min(A.shape), n_oversamples, n_power_iter, seed)
    check_all_finite(A, "A")
    return _core.randomized_svd(A, k, n_oversamples, depth, seed)


def eigh_top(C, k: int, *, n_oversamples: int = 10, n_power_iter: int | None = None, seed: int = 0):
    """Top-``k`` eigenpairs of a symmetric positive semi-definite ``(n, n)`` matrix.

    Parameters
    ----------
    C : array_like, shape (n, n), float32 or float64
        Symmetric PSD, e.g. :meth:`GramAccumulator.matrix`. Read in place when C-contiguous.
    k, n_oversamples, seed
        As in :func:`randomized_svd`.
    n_power_iter : int or None
        Krylov depth q: multiplications by ``C``. None picks 6 (bench/bench_eigh_top.py).

    Returns
    -------
    eigenvalues : ndarray (k,), descending
    eigenvectors : ndarray (n, k), orthonormal columns

    Cost: O(n² L + n L²) time in BLAS on both cores (one pass over ``C`` per block) and O(n L)
    memory, with basis size ``L = (q + 1) b``. When the basis would span the whole space
    (``L >= n``) the answer comes from LAPACK's dense ``syevr`` instead: exact, O(n³) time,
    O(n²) memory.
    """
    C = as_float_matrix(C, "C")
    if C.shape[0] != C.shape[1]:
        raise ValueError(f"C must be square, got shape {C.shape}")
    k, n_oversamples, depth, seed = _krylov_arguments(k, C.shape[0], n_oversamples, n_power_iter, seed)
    check_all_finite(C, "C")
    tolerance = np.sqrt(np.finfo(C.dtype).eps)
    asymmetry = _core.relative_asymmetry(C)
    if asymmetry > tolerance:
        raise ValueError(
            f"C must be symmetric: max |C - C.T| is {asymmetry:.2e} of max |C| "
            f"(tolerance {tolerance:.1e}); pass (C + C.T) / 2 if the asymmetry is rounding"
        )
    return _core.eigh_top(C, k, n_oversamples, depth, seed)
