"""Thick-restart block Lanczos over the passes of the gradient stream, with locking: what
:class:`netscope.active.solvers.MultipassSolver` does when every pass must count.

Each pass (one replay of the stream) gives one product W = C X of the implicit
C = (1/N) Σ g gᵀ with the newest orthonormal block X of the basis V. The projection Vᵀ W fills
the column of T = Vᵀ C V for X, and what W has outside span(V), orthonormalised, is the next
block: V spans a block Krylov space, and the Rayleigh–Ritz pairs (θ, V s) of T come with their
residuals ‖C V s − θ V s‖ from the same product. When V is full, the top Ritz vectors replace it
(a thick restart, Wu & Simon 2000): they carry what the passes learnt, and the next block goes on
from their residual. Pairs whose residual is within ``tol`` θ are locked: their vectors stay as
they are to the end, later blocks are kept orthogonal to them, and they leave the Rayleigh–Ritz
problem (their coupling to the later blocks is still counted in the later pairs' residuals).

The passes stop once the top ``wanted`` pairs all have ‖C v − θ v‖ ≤ ``tol`` θ. The samples'
projections on the final vectors are not kept here: under ``torch.distributed`` each rank sees
only its share of the samples, and a fit that wants them (``keep_projections``) reads them in a
replay that gathers them over the ranks (:func:`netscope.active.fitting.add_projections`).
"""

from __future__ import annotations

from typing import Self

import numpy as np

from .passes import Reduce, State, check_directions, gram_of_blocks, orthonormalize_in_place, reduced, row_blocks

# The multipass methods' default stopping rule: the largest ‖C v − θ v‖ / θ of the wanted pairs.
RESIDUAL_TOLERANCE = 1e-3


def multiply_in_place(basis: np.ndarray, columns: int, mix: np.ndarray) -> None:
    """basis[:, :m] = basis[:, :columns] @ mix for mix (columns × m), m ≤ columns, row block by
    row block: no temporary beyond a row block. O(D columns m).
    """
    for rows in row_blocks(basis.shape[0]):
        basis[rows, : mix.shape[1]] = basis[rows, :columns].astype(np.float64) @ mix


class RestartedPasses:
    """Thick-restart block Lanczos with locking (see the module's docstring). The basis holds
    ``columns`` vectors of ``dtype``, among them each pass's block X (at most ``block`` columns)
    and, in the columns after it, X's product, summed chunk by chunk and row block by row block
    in place, then orthogonalised there into the next block. Memory: ``columns`` D numbers of
    ``dtype`` in all. Per pass
    O(N D block) for the product and O(D columns block) to orthogonalise it.

    ``wanted`` pairs are sought to ``tol``; at a restart the locked vectors, then the top active
    Ritz vectors stay, ``keep`` of them (default: half of the room the locked vectors and two
    blocks leave, and at least the wanted pairs not locked), so that the Krylov space can grow
    between restarts.
    """

    def __init__(
        self,
        dim: int,
        block: int,
        columns: int,
        seed: int,
        dtype,
        *,
        wanted: int,
        tol: float = RESIDUAL_TOLERANCE,
        keep: int | None = None,
    ):
        if not 0 < block or not 0 < wanted or wanted + 2 * block >= columns:
            raise ValueError(
                f"columns={columns} must exceed wanted + 2 block = {wanted + 2 * block} (the wanted pairs, "
                "a block and its product), for positive wanted and block"
            )
        self.dim, self.block, self.seed, self.dtype = dim, block, seed, np.dtype(dtype)
        self.wanted, self.tol, self.keep = wanted, tol, keep
        # Column-major: each block of columns is one contiguous stretch (a chunk multiplies it
        # without a copy), and the leading columns can be kept by shrinking the buffer.
        self._buffer: np.ndarray | None = np.empty(columns * dim, self.dtype)
        self.basis = self._buffer.reshape(columns, dim).T
        rng = np.random.default_rng([seed, 1])
        for rows in row_blocks(dim):
            self.basis[rows, :block] = rng.standard_normal((rows.stop - rows.start, block))
        self.width = orthonormalize_in_place(self.basis[:, :block]).shape[1]
        self.basis[:, self.width : 2 * self.width] = 0
        self.known = 0  # columns whose products T holds; the block [known, known + width) is next
        self.locked = 0  # the first columns, frozen with their values and residuals
        self.T = np.zeros((columns, columns))
        self.locked_values = np.zeros(0)
        self.locked_residuals = np.zeros(0)
        self.count = 0
        self.passes = 0
        # the active pairs: values (descending), coefficients in the columns [locked, known), residuals
        self.values, self.residuals = np.zeros(0), np.zeros(0)
        self.ritz: np.ndarray = np.zeros((0, 0))

    @classmethod
    def in_columns(cls, dim: int, columns: int, seed: int, dtype, *, wanted: int) -> RestartedPasses:
        """Passes in a basis of ``columns`` vectors for ``wanted`` pairs, with
        blocks of (columns − wanted) / 5 columns: on flat spectra (λ10/λ11 ≈ 1.003) at 100
        columns, blocks of 20 converged in 17 passes, of 30 in 30.
        """
        block = max(1, (columns - wanted) // 5)
        if wanted + 2 * block >= columns:
            raise ValueError(
                f"sketch_size: multipass's {columns} columns hold too few for n_components={wanted}; "
                f"give it a sketch_size of at least {(wanted + 2) // 2 + 1} (it needs 2 sketch_size > n_components + 2)"
            )
        return cls(dim, block, columns, seed, dtype, wanted=wanted)

    @property
    def columns(self) -> int:
        """The basis' capacity."""
        return self.basis.shape[1]

    def consume(self, rows: np.ndarray) -> None:
        """Add rowsᵀ (rows X) for this pass's block X. O(n D block)."""
        rows = rows.astype(self.dtype, copy=False)
        end = self.known + self.width
        coefficients = rows @ self.basis[:, self.known : end]
        total = self.basis[:, end : end + self.width]
        for block in row_blocks(self.dim):
            total[block] += rows[:, block].T @ coefficients
        self.count += len(rows)

    def end_pass(self, extend: bool, reduce: Reduce | None = None) -> bool:
        """Close a pass: the product summed over the ranks by ``reduce``, the Rayleigh–Ritz pairs
        of every column whose product is known, their residuals, and with ``extend`` the next
        block (after a restart where the basis is full). False when no further pass is to run:
        not extended, the wanted pairs converged, or the Krylov space is invariant (the pairs
        are exact).
        """
        assert self.count > 0  # consume ran in this pass
        start, width, locked = self.known, self.width, self.locked
        end = start + width
        product = self.basis[:, end : end + width]
        product /= reduced(product, self.count, reduce)
        self.count = 0
        # The product's projection on the basis (twice: classical Gram–Schmidt loses what a
        # float32 product cancels) is T's column for the block; what is left is outside V.
        basis, column = self.basis[:, :end], np.zeros((end, width))
        for _ in range(2):
            step = gram_of_blocks(basis, product)
            for rows in row_blocks(self.dim):
                product[rows] -= basis[rows].astype(np.float64) @ step
            column += step
        self.T[:end, start:end] = column
        self.T[start:end, :end] = column.T
        self.T[start:end, start:end] = (column[start:] + column[start:].T) / 2
        outside = gram_of_blocks(product, product)
        self.values, self.ritz = top_pairs(self.T[locked:end, locked:end])
        newest = self.ritz[end - locked - width :]
        coupling = self.T[:locked, locked:end] @ self.ritz
        squares = np.einsum("ij,ij->j", newest, outside @ newest) + (coupling**2).sum(axis=0)
        self.residuals = np.sqrt(np.maximum(squares, 0.0))
        self.known, self.passes = end, self.passes + 1
        if not extend or self.converged():
            return False
        self.width = orthonormalize_in_place(product).shape[1]
        if self.width == 0:
            return False
        if end + 2 * self.width > self.columns:
            self._restart(end, self.width)
        self.basis[:, self.known + self.width : self.known + 2 * self.width] = 0
        return True

    # The state's sizes and arrays, under the names of the attributes they restore.
    SIZES = ("dim", "block", "seed", "wanted", "known", "width", "locked", "passes")
    ARRAYS = ("T", "locked_values", "locked_residuals", "values", "ritz", "residuals")

    def state(self) -> State:
        """After a completed pass: the sizes, ``tol``, ``keep`` (−1 for the default), the basis
        (``basis``, D × columns of its dtype, column-major: the columns past the next block's are
        free) and the small arrays (T, the locked and active pairs). O(1):
        the arrays themselves.
        """
        assert self.count == 0 and self._buffer is not None, "state() is taken between passes"
        arrays = {name: getattr(self, name) for name in self.ARRAYS if getattr(self, name) is not None}
        sizes = {name: getattr(self, name) for name in self.SIZES}
        keep = -1 if self.keep is None else self.keep
        return {**sizes, "tol": self.tol, "keep": keep, "basis": self.basis, **arrays}

    @classmethod
    def from_state(cls, state: State) -> Self:
        """The passes as :meth:`state` left them. O(D columns) to copy the basis in."""
        basis = np.asarray(state["basis"])
        keep = int(state["keep"])
        passes = cls(
            int(state["dim"]),
            int(state["block"]),
            basis.shape[1],
            int(state["seed"]),
            basis.dtype,
            wanted=int(state["wanted"]),
            tol=float(state["tol"]),
            keep=None if keep < 0 else keep,
        )
        for rows in row_blocks(passes.dim):
            passes.basis[rows] = basis[rows]
        for name in cls.SIZES:
            setattr(passes, name, int(state[name]))
        for name in cls.ARRAYS:
            if name in state:
                setattr(passes, name, np.array(state[name], dtype=np.float64))
        return passes

    def _wanted(self):
        """Values, residuals and whether locked, of the top ``wanted`` pairs so far."""
        values = np.concatenate([self.locked_values, self.values])
        residuals = np.concatenate([self.locked_residuals, self.residuals])
        top = np.argsort(-values, kind="stable")[: self.wanted]
        return top, values[top], residuals[top]

    def converged(self) -> bool:
        """Whether the top ``wanted`` pairs all have ‖C v − θ v‖ ≤ ``tol`` θ."""
        _, values, residuals = self._wanted()
        return len(values) == self.wanted and bool(np.all(residuals <= self.tol * np.abs(values)))

    def _restart(self, start: int, width: int) -> None:
        """Replace the basis by the locked vectors, the newly converged wanted pairs (locked
        now) and the top active Ritz vectors, followed by the next block (``width`` columns
        from ``start``), leaving room for its product.
        """
        top, values, residuals = self._wanted()
        is_active = top >= self.locked
        lock = (top[is_active] - self.locked)[residuals[is_active] <= self.tol * np.abs(values[is_active])]
        locked = self.locked + len(lock)
        room = self.columns - 2 * width - locked
        default = room // 2 if self.keep is None else self.keep
        keep = min(room, max(default, self.wanted - locked + 1))
        rest = [index for index in range(len(self.values)) if index not in set(lock.tolist())][:keep]
        chosen = np.concatenate([lock, rest]).astype(int)
        mix = np.zeros((self.known, self.locked + len(chosen)))
        mix[: self.locked, : self.locked] = np.eye(self.locked)
        mix[self.locked :, self.locked :] = self.ritz[:, chosen]
        multiply_in_place(self.basis, self.known, mix)
        T = np.zeros_like(self.T)
        T[: self.locked, : self.locked] = self.T[: self.locked, : self.locked]
        coupling = self.T[: self.locked, self.locked : self.known] @ self.ritz[:, chosen]
        T[: self.locked, self.locked : mix.shape[1]] = coupling
        T[self.locked : mix.shape[1], : self.locked] = coupling.T
        T[self.locked : mix.shape[1], self.locked : mix.shape[1]] = np.diag(self.values[chosen])
        self.T = T
        self.locked_values = np.concatenate([self.locked_values, self.values[lock]])
        self.locked_residuals = np.concatenate([self.locked_residuals, self.residuals[lock]])
        self.values, self.residuals = self.values[chosen[len(lock) :]], self.residuals[chosen[len(lock) :]]
        self.ritz = np.eye(len(chosen) - len(lock))
        self.locked, self.known = locked, mix.shape[1]
        for rows in row_blocks(self.dim):
            self.basis[rows, self.known : self.known + width] = self.basis[rows, start : start + width]

    def ritz_pairs(self, k: int):
        """The top-k pairs (locked and active) and their residuals ‖C v − θ v‖: ``(values,
        vectors (D, k) of the basis' dtype, residuals)``. Frees the product and shrinks the basis to the k vectors.
        """
        values = np.concatenate([self.locked_values, self.values])
        # zero pairs (of a C of lower rank than the basis) are no directions
        check_directions(int(np.sum(values > 1e-12 * values.max(initial=0.0))), k)
        residuals = np.concatenate([self.locked_residuals, self.residuals])
        top = np.argsort(-values, kind="stable")[:k]
        mix = np.zeros((self.known, k))
        for column, index in enumerate(top):
            if index < self.locked:
                mix[index, column] = 1.0
            else:
                mix[self.locked :, column] = self.ritz[:, index - self.locked]
        multiply_in_place(self.basis, self.known, mix)
        # The leading k columns are the buffer's first k D numbers: shrinking it in place hands
        # the rest back without a copy of the vectors. No view of it may outlive the resize.
        assert self._buffer is not None
        buffer, self._buffer = self._buffer, None
        del self.basis
        buffer.resize(k * self.dim, refcheck=False)
        vectors = buffer.reshape(k, self.dim).T
        return values[top], vectors, residuals[top]


def top_pairs(T: np.ndarray):
    """Every eigenpair of the symmetric T, values descending. O(m³)."""
    values, vectors = np.linalg.eigh((T + T.T) / 2)
    return values[::-1], vectors[:, ::-1]
