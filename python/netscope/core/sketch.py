"""Streaming Nyström sketch of the active-subspace matrix: O(D·s) memory instead of O(D²)."""

from __future__ import annotations

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

    Only Y (dim × s float64) is stored: W is regenerated from ``seed`` in blocks of rows when
    needed, so a sketch of a million parameters with s = 110 takes 0.9 GB.

    Cost of :meth:`update` with n rows: O(n dim s) time (BLAS) plus O(dim s) to regenerate W;
    O(n s) scratch. :meth:`merge`, :meth:`save`, :meth:`all_reduce`: O(dim s).
    """

    __slots__ = ()
    _core_class = _core.NystromSketch

    def __init__(self, dim: int, sketch_size: int, *, seed: int = 0):
        dim = check_int(dim, "dim", minimum=1)
        sketch_size = check_int(sketch_size, "sketch_size", minimum=1, maximum=dim)
        seed = check_int(seed, "seed", minimum=0, maximum=2**64 - 1)
        super().__init__(_core.NystromSketch(dim, sketch_size, seed))

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
        O(dim s²)."""
        k = check_int(k, "k", minimum=1, maximum=self.sketch_size)
        if self.count == 0:
            raise ValueError("the sketch is empty: call update() with at least one row first")
        with self._lock:
            return self._core.eigenpairs(k)

    def _check_mergeable(self, other: "NystromSketch") -> None:
        if (other.dim, other.sketch_size, other.seed) != (self.dim, self.sketch_size, self.seed):
            raise ValueError("other: sketches merge only with the same dim, sketch_size and seed, got "
                             f"{(other.dim, other.sketch_size, other.seed)} and {(self.dim, self.sketch_size, self.seed)}")

    def __repr__(self) -> str:
        return f"NystromSketch(dim={self.dim}, sketch_size={self.sketch_size}, seed={self.seed}, count={self.count})"
