"""Where a fit keeps the gradient rows it needs later: in memory, or in a file beside a checkpoint.

Both stores take chunks of rows in order (``append``) and hand back the (count, D) float32 matrix
(``stacked``). :class:`DiskRows` writes each chunk into a memory-mapped ``.npy`` of the final size
and records a CRC-32 of it, so that a resumed run finds the rows an interrupted one wrote, checked,
and the matrix is read in place rather than loaded.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np


class MemoryRows:
    """Chunks kept in a list; ``stacked`` concatenates them once (O(count × D) memory)."""

    def __init__(self, dim: int | None = None):
        self.dim, self.count = dim, 0
        self.chunks: list[np.ndarray] = []

    def append(self, rows: np.ndarray) -> None:
        """Keep ``rows`` (as float32)."""
        self.chunks.append(rows.astype(np.float32, copy=False))
        self.count += len(rows)

    def stacked(self) -> np.ndarray:
        """The rows kept so far, as one (count, dim) float32 array."""
        return np.concatenate(self.chunks) if self.chunks else np.empty((0, self.dim or 0), np.float32)


def _crc32(rows: np.ndarray) -> int:
    return zlib.crc32(np.ascontiguousarray(rows).data.cast("B"))


class DiskRows:
    """Rows ``0 .. n_rows - 1`` of a fit in a memory-mapped float32 ``.npy`` at ``path``.

    ``checksums`` lists ``[start, stop, crc32]`` for each chunk written. :meth:`open` creates the
    file (sparse, n_rows × dim) or, with ``count`` > 0, reopens it and verifies the chunks below
    ``count`` against their checksums. :meth:`flush` makes the written rows durable; a checkpoint
    calls it before it records their count. Cost: O(rows × D) to write or verify, O(1) memory
    beyond the page cache.
    """

    def __init__(self, path, n_rows: int, dim: int):
        self.path, self.n_rows, self.dim = Path(path), n_rows, dim
        self.count = 0
        self.checksums: list[list[int]] = []
        self._array: np.memmap | None = None

    def open(self, count: int = 0, checksums=()) -> None:
        """Open the file: a new one for ``count == 0``, else one holding ``count`` rows to check by ``checksums``."""
        if count == 0:
            self._array = np.lib.format.open_memmap(
                self.path, mode="w+", dtype=np.float32, shape=(self.n_rows, self.dim)
            )
            return
        try:
            array = np.load(self.path, mmap_mode="r+")
        except (OSError, ValueError) as error:
            raise ValueError(
                f"checkpoint: the kept gradients {self.path} cannot be read ({error}); "
                "delete the checkpoint files to start afresh"
            ) from None
        if array.dtype != np.float32 or array.shape != (self.n_rows, self.dim):
            raise ValueError(
                f"checkpoint: {self.path} holds {array.dtype} rows of shape {array.shape}, expected "
                f"float32 ({self.n_rows}, {self.dim}); delete the checkpoint files to start afresh"
            )
        kept = [entry for entry in checksums if entry[1] <= count]
        if not kept or kept[-1][1] != count:
            raise ValueError(
                f"checkpoint: {self.path} has no checksums for its first {count} rows; "
                "delete the checkpoint files to start afresh"
            )
        for start, stop, crc in kept:
            if _crc32(array[start:stop]) != crc:
                raise ValueError(
                    f"checkpoint: {self.path} is corrupt (rows {start}..{stop - 1} fail their checksum); "
                    "delete the checkpoint files to start afresh"
                )
        self._array, self.count, self.checksums = array, count, [list(entry) for entry in kept]

    def append(self, rows: np.ndarray) -> None:
        """Write ``rows`` after the ones written so far, with their checksum."""
        array = self._opened()
        stop = self.count + len(rows)
        array[self.count : stop] = rows
        self.checksums.append([self.count, stop, _crc32(array[self.count : stop])])
        self.count = stop

    def flush(self) -> None:
        """Flush the written rows to the file."""
        self._opened().flush()

    def stacked(self) -> np.ndarray:
        """The rows written so far, read in place from the file."""
        return self._opened()[: self.count]

    def _opened(self) -> np.memmap:
        if self._array is None:
            raise RuntimeError(f"{self.path}: open() the rows before using them")
        return self._array
