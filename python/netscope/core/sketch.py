"""Streaming Nyström sketch of the active-subspace matrix: O(D·s) memory instead of O(D²)."""

from __future__ import annotations

import numpy as np

from .. import _core
from ._streaming import StreamingRows
from ._validation import check_int


class NystromSketch(StreamingRows):
    """Single-pass, fixed-memory sketch of C = (1/N) Σ g gᵀ from streamed rows g.

    Keeps Y = Σ g (gᵀ W) for a seeded Gaussian test matrix W (D × s) and recovers the top
    eigenpairs by the stabilised Nyström method of Tropp, Yurtsever, Udell & Cevher (NeurIPS
    2017). Their bound: E‖C − Ĉ‖_* ≤ (1 + r / (s − r − 1)) ‖C − [C]_r‖_* for every r < s − 1, so
    the sketch is exact when C has rank < s − 1 and good when its spectrum decays. Sketches with
    the same ``dim``, ``sketch_size`` and ``seed`` merge exactly. Memory O(D s).

    Only Y (dim × s) is stored: W is regenerated from ``seed`` in blocks of rows when needed, so
    a sketch of a million parameters with s = 110 takes 0.9 GB in float64. ``dtype=np.float32``
    halves that (8.5 million parameters, s = 80: 2.7 GB): each chunk's products are still summed
    in float64 and the eigenpairs computed in float64 block by block, so the two differ by Y's
    float32 rounding alone, far below the sketch's own error (``bench/bench_sketch.py``
    measures both). Its eigenvectors come as float32.

    Cost of :meth:`update` with n rows: O(n dim s) time (BLAS) plus O(dim s) to regenerate W;
    O(n s) scratch. :meth:`merge`, :meth:`save`, :meth:`all_reduce`: O(dim s).
    """

    __slots__ = ()
    _core_class = _core.NystromSketch
    _CORE_BY_DTYPE = {np.dtype(np.float64): _core.NystromSketch, np.dtype(np.float32): _core.NystromSketch32}
    # The state file's kind (bytes 8-12 of its header) says which core class wrote it.
    _CORE_BY_KIND = {b"NYST": _core.NystromSketch, b"NYSF": _core.NystromSketch32}

    def __init__(self, dim: int, sketch_size: int, *, seed: int = 0, dtype=np.float64):
        dim = check_int(dim, "dim", minimum=1)
        sketch_size = check_int(sketch_size, "sketch_size", minimum=1, maximum=dim)
        seed = check_int(seed, "seed", minimum=0, maximum=2**64 - 1)
        try:
            core_class = self._CORE_BY_DTYPE[np.dtype(dtype)]
        except (TypeError, KeyError):
            raise ValueError(f"dtype must be float64 or float32, got {dtype!r}") from None
        super().__init__(core_class(dim, sketch_size, seed))

    @classmethod
    def _core_class_of_file(cls, path: str):
        with open(path, "rb") as file:
            kind = file.read(12)[8:]
        return cls._CORE_BY_KIND.get(kind, _core.NystromSketch)  # a foreign file: that class names it

    @property
    def dtype(self) -> np.dtype:
        """Storage type of Y: float64 or float32."""
        return np.dtype(np.float32 if isinstance(self._core, _core.NystromSketch32) else np.float64)

    @property
    def sketch_size(self) -> int:
        """Columns s of the sketch."""
        return self._core.sketch_size

    @property
    def seed(self) -> int:
        """Seed of the Gaussian test matrix W."""
        return self._core.seed

    def eigenpairs(self, k: int):
        """Top-k ``(eigenvalues descending, eigenvectors (dim, k))`` of the approximation of C.
        O(dim s²).
        """
        k = check_int(k, "k", minimum=1, maximum=self.sketch_size)
        if self.count == 0:
            raise ValueError("the sketch is empty: call update() with at least one row first")
        with self._lock:
            return self._core.eigenpairs(k)

    def _check_mergeable(self, other: NystromSketch) -> None:
        mine, theirs = (
            (self.dim, self.sketch_size, self.seed, self.dtype),
            (other.dim, other.sketch_size, other.seed, other.dtype),
        )
        if theirs != mine:
            raise ValueError(
                f"other: sketches merge only with the same dim, sketch_size, seed and dtype, got {theirs} and {mine}"
            )

    def __repr__(self) -> str:
        return (
            f"NystromSketch(dim={self.dim}, sketch_size={self.sketch_size}, seed={self.seed}, "
            f"dtype={self.dtype.name}, count={self.count})"
        )
