"""Streaming accumulation of gradient outer products (the active-subspace matrix C)."""

from __future__ import annotations

import numpy as np

from .. import _core
from ._streaming import StreamingRows
from ._validation import check_int

_PRECISIONS = {"float64": _core.GramPrecision.float64, "mixed": _core.GramPrecision.mixed}


class GramAccumulator(StreamingRows):
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

    Cost of :meth:`update` with n rows: O(n dim²) time on both cores (BLAS SYRK),
    O(min(n, 512) dim) scratch; :meth:`merge`: O(dim²).

    Examples
    --------
    >>> import numpy as np, netscope
    >>> gram = netscope.GramAccumulator(3)
    >>> gram.update(np.eye(3)).update(np.eye(3)).count
    6
    >>> np.allclose(gram.matrix(), np.eye(3) / 3)
    True
    """

    __slots__ = ()
    _core_class = _core.GramAccumulator

    def __init__(self, dim: int, *, precision: str = "float64"):
        dim = check_int(dim, "dim", minimum=1)
        if precision not in _PRECISIONS:
            raise ValueError(f"precision must be one of {sorted(_PRECISIONS)}, got {precision!r}")
        super().__init__(_core.GramAccumulator(dim, _PRECISIONS[precision]))

    @property
    def precision(self) -> str:
        """``"float64"`` or ``"mixed"``."""
        return self._core.precision.name

    def matrix(self) -> np.ndarray:
        """The full symmetric ``(1/count) Σ g gᵀ`` as a new float64 ``(dim, dim)`` array. O(dim²)."""
        if self.count == 0:
            raise ValueError("the accumulator is empty: call update() with at least one row first")
        with self._lock:
            return self._core.mean()

    def _check_mergeable(self, other: GramAccumulator) -> None:
        if other.dim != self.dim:
            raise ValueError(f"other has dim {other.dim}, but this accumulator has dim {self.dim}")

    def __repr__(self) -> str:
        return f"GramAccumulator(dim={self.dim}, count={self.count}, precision={self.precision!r})"
