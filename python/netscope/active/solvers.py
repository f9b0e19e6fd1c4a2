"""How the eigenpairs of C = (1/N) GᵀG come out of the gradient stream: one class per method.

Every solver takes the stream chunk by chunk (``consume``) and then gives the top-k eigenpairs
(``eigenpairs``); the streaming ones hold their state (``state``: a GramAccumulator or a
NystromSketch), which checkpoints save and ``torch.distributed`` all-reduces, and can report the
estimate so far (``current``). Those that need the gradient rows themselves say so
(``keeps_rows``) and are handed them at the end. Adding a method means adding a class here and a
name in :data:`SOLVERS`.
"""

from __future__ import annotations

import numpy as np

from .. import _core
from ..core.gram import GramAccumulator
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
    Randomized block Krylov at depth 6: O(n D k)."""
    _, s, Vt = randomized_svd(G, k, n_power_iter=DIAGNOSTIC_KRYLOV_DEPTH, seed=seed)
    return s.astype(np.float64) ** 2 / G.shape[0], np.asarray(Vt, dtype=np.float64).T


def new_sketch(dim: int, sketch_size: int, seed: int, sketch_dtype: str) -> NystromSketch:
    """A :class:`NystromSketch` of min(sketch_size, dim) columns; ``sketch_dtype`` "auto" stores
    it in float32 beyond :data:`FLOAT32_SKETCH_BEYOND_BYTES` of float64 sketch."""
    sketch_size = min(sketch_size, dim)
    if sketch_dtype == "auto":
        sketch_dtype = "float32" if 8 * dim * sketch_size > FLOAT32_SKETCH_BEYOND_BYTES else "float64"
    return NystromSketch(dim, sketch_size, seed=seed, dtype=sketch_dtype)


def dense_eigenpairs(C: np.ndarray, k: int, full_spectrum: bool):
    """Top-k eigenpairs of a symmetric C; with ``full_spectrum``, every eigenvalue in place of the
    top k (LAPACK, values only). O(n² k) or O(n³)."""
    values, vectors = eigh_top(C, k)
    if full_spectrum:
        values = _core.symmetric_eigenvalues(C)
    return values, vectors


class _Solver:
    """What every solver shares: the dimension, the default number of eigenpairs (all min(N, D)
    of them) and no settings of its own for checkpoints."""

    def __init__(self, dim: int, *, sketch_size=None, seed: int = 0, sketch_dtype: str = "auto"):
        self.dim = dim

    def default_components(self, n: int) -> int:
        return min(n, self.dim)

    def settings(self) -> dict:
        return {}


class SnapshotSolver(_Solver):
    """The method of snapshots: diagonalise the smaller of GᵀG/N (D × D) and GGᵀ/N (N × N); in the
    second case the eigenvectors are Gᵀu/√(Nλ). O(N D min(N, D)) for the product, then
    O(min(N, D)³) for every eigenpair or O(min(N, D)² k) for the top k."""

    keeps_rows, full_spectrum_possible, needs_n_components, state = True, True, False, None

    def consume(self, chunk: np.ndarray) -> None:
        """Nothing to do as rows arrive: the solve needs them all."""

    def eigenpairs(self, G: np.ndarray, k: int, full_spectrum: bool):
        n, dim = G.shape
        if n >= dim:
            return dense_eigenpairs(GramAccumulator(dim).update(G).matrix(), k, full_spectrum)
        # G Gᵀ / N shares the nonzero eigenvalues of Gᵀ G / N, and its eigenvectors u map to
        # Gᵀ u / √(N λ). The accumulator of the D rows of Gᵀ holds G Gᵀ / D; rescale to G Gᵀ / N.
        small = GramAccumulator(n).update(np.ascontiguousarray(G.T)).matrix() * (dim / n)
        values, u = dense_eigenpairs(small, k, full_spectrum)
        vectors = G.T.astype(np.float64) @ u
        norms = np.linalg.norm(vectors, axis=0)
        return values, vectors / np.where(norms > 0, norms, 1.0)


class RandomizedSolver(SnapshotSolver):
    """Top-k SVD of G by randomized block Krylov: O(N D k), no D × D matrix. Top k only (100
    when n_components is None)."""

    full_spectrum_possible = False
    DEFAULT_COMPONENTS = 100

    def default_components(self, n: int) -> int:
        return min(self.DEFAULT_COMPONENTS, n, self.dim)

    def eigenpairs(self, G: np.ndarray, k: int, full_spectrum: bool):
        return top_right_singular(G, k)


class GramSolver(_Solver):
    """Stream the rows into a :class:`GramAccumulator` (O(D²) memory, G need not be kept), then the
    symmetric eigensolver. O(N D²) + O(D³) or O(D² k)."""

    keeps_rows, full_spectrum_possible, needs_n_components = False, True, False

    def __init__(self, dim: int, *, sketch_size=None, seed: int = 0, sketch_dtype: str = "auto"):
        super().__init__(dim)
        self.state = GramAccumulator(dim)

    def consume(self, chunk: np.ndarray) -> None:
        self.state.update(chunk)

    def current(self, k: int):
        """Top-k eigenpairs of the estimate so far."""
        return eigh_top(self.state.matrix(), k)

    def eigenpairs(self, G, k: int, full_spectrum: bool):
        return dense_eigenpairs(self.state.matrix(), k, full_spectrum)


class SketchSolver(GramSolver):
    """Stream the rows into a :class:`NystromSketch` of ``sketch_size`` columns (default 2k + 10):
    O(N D s) time, O(D s) memory, G need not be kept. Top k only; needs n_components. The sketch
    is float32 for ``sketch_dtype="float32"``, or for "auto" beyond
    :data:`FLOAT32_SKETCH_BEYOND_BYTES` of float64 sketch."""

    full_spectrum_possible, needs_n_components = False, True

    def __init__(self, dim: int, *, sketch_size: int, seed: int = 0, sketch_dtype: str = "auto"):
        _Solver.__init__(self, dim)
        self.state = new_sketch(dim, sketch_size, seed, sketch_dtype)

    def current(self, k: int):
        return self.state.eigenpairs(k)

    def eigenpairs(self, G, k: int, full_spectrum: bool):
        if k > self.state.sketch_size:
            raise ValueError(f"n_components={k} exceeds sketch_size={self.state.sketch_size}")
        return self.state.eigenpairs(k)

    def settings(self) -> dict:
        return {"sketch_size": self.state.sketch_size, "sketch_dtype": self.state.dtype.name}


class MultipassSolver(_Solver):
    """Randomized block Krylov on the implicit C = (1/N) Σ g gᵀ, one replay of the gradient
    stream per block: pass 1 forms C Ω for a seeded Gaussian Ω (D × b, b = ``sketch_size``),
    every later pass C Q for the newest orthonormal block Q, orthogonalised against all earlier
    ones; the eigenpairs are the Rayleigh–Ritz values of the blocks whose products are known. With
    q passes the basis spans C Ω, C² Ω, …, C^(q-1) Ω ((q − 1) b columns), and its error falls
    like that of eigh_top at depth q − 2. G is never stored. Per pass O(N D b) on top of the
    gradients; memory O(D b q) (the basis and its products, float64). Top k only."""

    keeps_rows, full_spectrum_possible, needs_n_components, state = False, False, True, None

    def __init__(self, dim: int, *, sketch_size: int, seed: int = 0, sketch_dtype: str = "auto"):
        super().__init__(dim)
        self.block, self.seed = min(sketch_size, dim), seed
        self.basis, self.products = [], []
        self._multiplier = self._sum = None
        self.count = 0

    def consume(self, chunk: np.ndarray) -> None:
        """Add chunkᵀ (chunk V) for the current pass's block V. O(n D b)."""
        if self._multiplier is None:
            self._multiplier = np.random.default_rng([self.seed, 1]).standard_normal((self.dim, self.block))
        if self._sum is None:
            self._sum = np.zeros((self.dim, self._multiplier.shape[1]))
        rows = chunk.astype(np.float64, copy=False)
        self._sum += rows.T @ (rows @ self._multiplier)
        self.count += len(chunk)

    def end_pass(self, extend: bool = True) -> bool:
        """Close a pass: keep C V and, with ``extend`` (not after the last pass), make the next
        block from it (orthogonalised twice against the basis). Returns False when the Krylov
        space stopped growing (it is invariant: the Rayleigh–Ritz pairs are exact, and further
        passes would add nothing) or was not extended."""
        if self._sum is None or self.count == 0:
            raise ValueError("a pass over the gradient stream gave no gradients")
        product = self._sum / self.count
        if self.basis:
            self.products.append(product)
        self._sum, self.count = None, 0
        if not extend:
            return False
        block = product.copy()
        for _ in range(2):
            for Q in self.basis:
                block -= Q @ (Q.T @ block)
        u, singular, _ = np.linalg.svd(block, full_matrices=False)
        kept = singular > 1e-12 * max(singular.max(initial=0.0), np.abs(product).max(initial=0.0), 1e-300)
        if not kept.any():
            self._multiplier = None
            return False
        self._multiplier = u[:, kept]
        self.basis.append(self._multiplier)
        return True

    def eigenpairs(self, G, k: int, full_spectrum: bool):
        known = len(self.products)
        if known == 0:
            raise ValueError("multipass found no direction: the gradients are all zero (C Ω = 0)")
        K, CK = np.hstack(self.basis[:known]), np.hstack(self.products)
        if k > K.shape[1]:
            raise ValueError(f"n_components={k} exceeds the {K.shape[1]} directions the passes found; "
                             "raise n_passes or sketch_size")
        T = K.T @ CK
        values, U = np.linalg.eigh((T + T.T) / 2)
        order = np.argsort(values)[::-1][:k]
        return values[order], K @ U[:, order]


SOLVERS = {"snapshot": SnapshotSolver, "gram": GramSolver, "randomized": RandomizedSolver, "sketch": SketchSolver,
           "multipass": MultipassSolver}
