"""Streaming Nyström sketch of the active-subspace matrix: O(D·s) memory instead of O(D²)."""

from __future__ import annotations

import threading

from . import _core
from ._validation import as_float_matrix, check_int


class NystromSketch:
    """Single-pass, fixed-memory sketch of C = (1/N) Σ g gᵀ from streamed rows g.

    Keeps Y = Σ g (gᵀ W) for a seeded Gaussian test matrix W (D × s) and recovers the top
    eigenpairs by the stabilised Nyström method of Tropp, Yurtsever, Udell & Cevher (NeurIPS
    2017). Their bound: E‖C − Ĉ‖_* ≤ (1 + r / (s − r − 1)) ‖C − [C]_r‖_* for every r < s − 1, so
    the sketch is exact when C has rank < s − 1 and good when its spectrum decays. Sketches with
    the same ``dim``, ``sketch_size`` and ``seed`` merge exactly. Memory O(D s).
    """

    __slots__ = ("_core", "_lock")

    def __init__(self, dim: int, sketch_size: int, *, seed: int = 0):
        dim = check_int(dim, "dim", minimum=1)
        sketch_size = check_int(sketch_size, "sketch_size", minimum=1, maximum=dim)
        seed = check_int(seed, "seed", minimum=0, maximum=2**64 - 1)
        self._core = _core.NystromSketch(dim, sketch_size, seed)
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        return self._core.dim

    @property
    def sketch_size(self) -> int:
        return self._core.sketch_size

    @property
    def count(self) -> int:
        """Rows seen so far (including merged sketches)."""
        return self._core.count

    def update(self, G) -> "NystromSketch":
        """Add the rows of ``G`` (n, dim), float32 or float64. NaN/inf rows raise ValueError and
        leave the sketch unchanged. O(n dim s) time, O(n s) scratch. Returns ``self``."""
        G = as_float_matrix(G, "G")
        if G.shape[1] != self.dim:
            raise ValueError(f"G must have shape (n, {self.dim}), got {G.shape}")
        with self._lock:
            self._core.update(G)
        return self

    def merge(self, other: "NystromSketch") -> "NystromSketch":
        """Add another sketch with the same dim, sketch_size and seed. O(dim s). Returns ``self``."""
        if not isinstance(other, NystromSketch):
            raise TypeError(f"other must be a NystromSketch, got {type(other).__name__}")
        if other is self:
            raise ValueError("other must be a different sketch (merging into itself double-counts)")
        first, second = sorted((self, other), key=id)
        with first._lock, second._lock:
            self._core.merge(other._core)
        return self

    def eigenpairs(self, k: int):
        """Top-k ``(eigenvalues descending, eigenvectors (dim, k))`` of the approximation of C.
        O(dim s²)."""
        k = check_int(k, "k", minimum=1, maximum=self.sketch_size)
        if self.count == 0:
            raise ValueError("the sketch is empty: call update() with at least one row first")
        with self._lock:
            return self._core.eigenpairs(k)
