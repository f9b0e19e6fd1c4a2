"""What the streaming accumulators share: a C++ core behind a lock, row updates and merges."""

from __future__ import annotations

import os
import threading
from typing import Any

from ._validation import as_float_matrix


class StreamingRows:
    """Base of :class:`GramAccumulator` and :class:`NystromSketch`: wraps a core object that
    takes row-major (n, dim) chunks, releases the GIL while it works, and merges with its twins.
    The lock keeps two Python threads from updating the same state at once."""

    __slots__ = ("_core", "_lock")
    _core_class: Any = None  # the _core class a subclass wraps: its load() reads saved files

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
        try:
            with self._lock:
                self._core.update(G)
        except ValueError as error:  # the core's finiteness check, made once, in its pass over G
            raise ValueError(f"G: {error}") from None
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

    def save(self, path) -> None:
        """Write the state to ``path`` atomically (a temporary file, then a rename), bit for bit,
        in a versioned format with a checksum. Raises FileNotFoundError when the folder does not
        exist and OSError when the file cannot be written, each naming the path. O(size of the
        state)."""
        path = os.fspath(path)
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise FileNotFoundError(f"path: the folder {folder!r} does not exist; create it first")
        try:
            with self._lock:
                self._core.save(path)
        except RuntimeError as error:  # the core's I/O failures: open, write, rename
            raise OSError(f"path: cannot write {path!r} ({error})") from None

    @classmethod
    def load(cls, path):
        """Read a state written by :meth:`save`; the result is bit-for-bit the saved one.

        Raises FileNotFoundError for a missing file and ValueError for a foreign, truncated or
        corrupt one.
        """
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"path: no such file {path!r}")
        result = cls.__new__(cls)
        StreamingRows.__init__(result, cls._core_class_of_file(path).load(path))
        return result

    @classmethod
    def _core_class_of_file(cls, path: str):
        """The _core class that reads the state file at ``path``."""
        return cls._core_class

    def all_reduce(self, group=None):
        """Sum the state over the processes of a ``torch.distributed`` group, in place.

        Afterwards every rank holds what one process would hold after seeing every rank's rows
        (the same sums, added in another order). Every rank of the group must call it. Returns
        ``self``. Cost: one all-reduce of the state (dim² float64 or dim·s numbers of the sketch's dtype) and
        one copy of it (the core hands out no writable view of its buffer).
        """
        import torch
        import torch.distributed as dist

        with self._lock:
            state = torch.from_numpy(self._core.state())  # a copy: the core keeps its own buffer
            count = torch.tensor([self._core.count], dtype=torch.int64)
            dist.all_reduce(state, group=group)
            dist.all_reduce(count, group=group)
            self._core.replace_state(state.numpy(), int(count))  # values and count in one step
        return self
