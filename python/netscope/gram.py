"""Streaming accumulation of gradient outer products (the active-subspace matrix C)."""

from __future__ import annotations

import os
import threading

import numpy as np

from . import _core
from ._validation import as_float_matrix, check_int

_PRECISIONS = {"float64": _core.GramPrecision.float64, "mixed": _core.GramPrecision.mixed}


class GramAccumulator:
    """Running sum of outer products ``sum_j g_j g_j^T`` of the rows fed to :meth:`update`.

    The sum lives in C++ as the lower triangle of a float64 ``(dim, dim)`` matrix, so memory is
    O(dim²) however many rows stream through; rows are never stored. Accumulators of the same
    ``dim`` merge exactly and save to disk bit for bit, so partial results from several processes
    or from an interrupted run combine into the single-run answer.

    Parameters
    ----------
    dim : int
        Length of every row (the number of parameters D).
    precision : {"float64", "mixed"}
        ``"float64"`` (default) multiplies in float64. ``"mixed"`` multiplies float32 chunks in
        float32 (about twice as fast, relative error of a float32 dot product of the chunk's
        length, ~1e-7 to 1e-6) and still sums chunks in float64; float64 rows are always exact.
        Mixed keeps one extra float32 ``(dim, dim)`` scratch matrix.

    Examples
    --------
    >>> import numpy as np, netscope
    >>> gram = netscope.GramAccumulator(3)
    >>> gram.update(np.eye(3)).update(np.eye(3)).count
    6
    >>> np.allclose(gram.matrix(), np.eye(3) / 3)
    True
    """

    __slots__ = ("_core", "_lock")

    def __init__(self, dim: int, *, precision: str = "float64"):
        dim = check_int(dim, "dim", minimum=1)
        if precision not in _PRECISIONS:
            raise ValueError(f"precision must be one of {sorted(_PRECISIONS)}, got {precision!r}")
        self._core = _core.GramAccumulator(dim, _PRECISIONS[precision])
        # The core releases the GIL while it works; the lock keeps two Python threads from
        # updating the same sum at once.
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        """Length of every row."""
        return self._core.dim

    @property
    def count(self) -> int:
        """Number of rows accumulated so far (including merged accumulators)."""
        return self._core.count

    @property
    def precision(self) -> str:
        """``"float64"`` or ``"mixed"``."""
        return self._core.precision.name

    def update(self, G) -> "GramAccumulator":
        """Add ``G.T @ G`` for a chunk ``G`` of shape ``(n, dim)``, float32 or float64.

        A C-contiguous float32/float64 chunk is read in place; other dtypes or layouts are
        converted first. A chunk holding NaN or inf raises ValueError naming the row and leaves
        the sum unchanged. Cost: O(n dim²) time on both cores (BLAS SYRK), O(min(n, 512) dim)
        scratch. Returns ``self``.
        """
        G = as_float_matrix(G, "G")
        if G.shape[1] != self.dim:
            raise ValueError(f"G must have shape (n, {self.dim}), got {G.shape}")
        with self._lock:
            self._core.update(G)
        return self

    def matrix(self) -> np.ndarray:
        """The full symmetric ``(1/count) Σ g gᵀ`` as a new float64 ``(dim, dim)`` array. O(dim²)."""
        if self.count == 0:
            raise ValueError("the accumulator is empty: call update() with at least one row first")
        with self._lock:
            return self._core.mean()

    def merge(self, other: "GramAccumulator") -> "GramAccumulator":
        """Add the rows that ``other`` has seen (same ``dim``). O(dim²). Returns ``self``."""
        if not isinstance(other, GramAccumulator):
            raise TypeError(f"other must be a GramAccumulator, got {type(other).__name__}")
        if other.dim != self.dim:
            raise ValueError(f"other has dim {other.dim}, but this accumulator has dim {self.dim}")
        if other is self:
            raise ValueError("other must be a different accumulator (merging into itself double-counts)")
        first, second = sorted((self, other), key=id)  # one lock order: a.merge(b) || b.merge(a) cannot deadlock
        with first._lock, second._lock:
            self._core.merge(other._core)
        return self

    def save(self, path) -> None:
        """Write the state to ``path`` atomically (temporary file, then rename). O(dim²)."""
        with self._lock:
            self._core.save(os.fspath(path))

    @classmethod
    def load(cls, path) -> "GramAccumulator":
        """Read an accumulator written by :meth:`save`; the result is bit-for-bit the saved one.

        Raises FileNotFoundError for a missing file and ValueError for a foreign, truncated or
        corrupt one.
        """
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"path: no such file {path!r}")
        accumulator = cls.__new__(cls)
        accumulator._core = _core.GramAccumulator.load(path)
        accumulator._lock = threading.Lock()
        return accumulator

    def __repr__(self) -> str:
        return f"GramAccumulator(dim={self.dim}, count={self.count}, precision={self.precision!r})"
