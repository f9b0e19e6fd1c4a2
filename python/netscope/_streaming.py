"""What the streaming accumulators share: a C++ core behind a lock, row updates and merges."""

from __future__ import annotations

import threading

from ._validation import as_float_matrix


class StreamingRows:
    """Base of :class:`GramAccumulator` and :class:`NystromSketch`: wraps a core object that
    takes row-major (n, dim) chunks, releases the GIL while it works, and merges with its twins.
    The lock keeps two Python threads from updating the same state at once."""

    __slots__ = ("_core", "_lock")

    def __init__(self, core):
        self._core = core
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        """Length of every row."""
        return self._core.dim

    @property
    def count(self) -> int:
        """Number of rows seen so far (including merged ones)."""
        return self._core.count

    def update(self, G):
        """Add the rows of ``G`` (n, dim), float32 or float64; returns ``self``.

        A C-contiguous float32/float64 chunk is read in place; other dtypes or layouts are
        converted first. A chunk holding NaN or inf raises ValueError naming the row and leaves
        the state unchanged. Cost: see the class.
        """
        G = as_float_matrix(G, "G")
        if G.shape[1] != self.dim:
            raise ValueError(f"G must have shape (n, {self.dim}), got {G.shape}")
        with self._lock:
            self._core.update(G)
        return self

    def merge(self, other):
        """Add what ``other`` (the same class, compatible) has seen; returns ``self``."""
        if not isinstance(other, type(self)):
            raise TypeError(f"other must be a {type(self).__name__}, got {type(other).__name__}")
        self._check_mergeable(other)
        if other is self:
            raise ValueError("other must be a different object (merging into itself double-counts)")
        first, second = sorted((self, other), key=id)  # one lock order: a.merge(b) || b.merge(a) cannot deadlock
        with first._lock, second._lock:
            self._core.merge(other._core)
        return self

    def _check_mergeable(self, other) -> None:
        """Raise ValueError if ``other`` cannot be merged into ``self``."""
