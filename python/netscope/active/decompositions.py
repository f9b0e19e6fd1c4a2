"""The decompositions the solvers share with the diagnostics: the top-k pairs of kept gradient
rows (randomized block Krylov), a symmetric matrix's dense eigenpairs, and the storage of a
Nyström sketch (its dtype by size).
"""

from __future__ import annotations

import numpy as np

from .. import _core
from ..core.rsvd import eigh_top, randomized_svd
from ..core.sketch import NystromSketch

# Krylov depth of the top-k solves from kept rows. Active-subspace spectra are flat (λ10/λ11 ≈ 1.02
# for the seed's network), so the default depth 3 leaves the 10th direction off by sin θ ≈ 0.6;
# depth 6 reaches the float32 floor, sin θ ≈ 1e-3 (measured on the seed's gradients).
DIAGNOSTIC_KRYLOV_DEPTH = 6
# sketch_dtype="auto" stores the sketch in float32 beyond this many bytes of float64 sketch: the
# float32 one is as accurate (tests/test_sketch.py, bench/bench_sketch.py) at half the memory.
FLOAT32_SKETCH_BEYOND_BYTES = 2**30
SKETCH_DTYPES = ("auto", "float64", "float32")


def top_right_singular(G: np.ndarray, k: int, seed: int = 0):
    """Top-k eigenpairs of GᵀG / n from the rows of G (n, D): eigenvalues, (D, k) vectors.
    Randomized block Krylov at depth 6: O(n D k).
    """
    _, s, Vt = randomized_svd(G, k, n_power_iter=DIAGNOSTIC_KRYLOV_DEPTH, seed=seed)
    return s.astype(np.float64) ** 2 / G.shape[0], np.asarray(Vt, dtype=np.float64).T


def storage_dtype(dim: int, columns: int, sketch_dtype: str) -> str:
    """``sketch_dtype`` resolved for a dim × columns array: "auto" is float32 beyond
    :data:`FLOAT32_SKETCH_BEYOND_BYTES` of float64, else float64.
    """
    if sketch_dtype != "auto":
        return sketch_dtype
    return "float32" if 8 * dim * columns > FLOAT32_SKETCH_BEYOND_BYTES else "float64"


def new_sketch(dim: int, sketch_size: int, seed: int, sketch_dtype: str) -> NystromSketch:
    """A :class:`NystromSketch` of min(sketch_size, dim) columns, stored as :func:`storage_dtype`
    says.
    """
    sketch_size = min(sketch_size, dim)
    return NystromSketch(dim, sketch_size, seed=seed, dtype=storage_dtype(dim, sketch_size, sketch_dtype))


def dense_eigenpairs(C: np.ndarray, k: int, full_spectrum: bool):
    """Top-k eigenpairs of a symmetric C; with ``full_spectrum``, every eigenvalue in place of the
    top k (LAPACK, values only). O(n² k) or O(n³).
    """
    values, vectors = eigh_top(C, k)
    if full_spectrum:
        values = _core.symmetric_eigenvalues(C)
    return values, vectors
