"""What :class:`netscope.active.solvers.MultipassSolver` does with each replay of the gradient
stream: one product C V of the implicit C = (1/N) Σ g gᵀ with a block V per pass, by randomized
block Krylov (:class:`BlockKrylovPasses`, the basis of every pass kept; beyond its memory budget
:class:`netscope.active.restarted.RestartedPasses`), the Rayleigh–Ritz pairs and residuals at the
end, and the row-blocked products and orthonormalisation of D × b blocks that both use.

Every passes class follows one protocol (:class:`Passes`), which the solver, the distributed fit
and the checkpoints use and nothing else: ``consume`` each chunk of a pass; ``end_pass`` to close
it (with ``reduce``, this pass's partial product is first summed over the ranks of a
``torch.distributed`` group); ``state()`` after a completed pass, and ``from_state`` to go on
from it in another process; ``ritz_pairs`` at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, Self

import numpy as np

# What a passes object's state holds: its arrays and its sizes (ints) under fixed names.
State = dict[str, np.ndarray | int | float]
# Sums a pass's partial product (a D × b array) over the ranks in place and returns the sample
# count summed over them (:func:`netscope.active.distributed.sum_over_ranks`).
Reduce = Callable[[np.ndarray, int], int]


class Passes(Protocol):
    """What a multipass method does with each replay of the gradient stream; ``count`` is the
    number of samples consumed in the current pass (0 right after ``end_pass``), ``dtype`` that
    of its blocks.
    """

    count: int
    dtype: np.dtype

    def consume(self, rows: np.ndarray) -> None:
        """Add one chunk (n, D) of this pass's rows to its product."""

    def end_pass(self, extend: bool, reduce: Reduce | None = None) -> bool:
        """Close the pass. With ``reduce``, first sum the partial product over the ranks in place
        (the sample count becomes the total); with ``extend``, make the next pass's block. False
        when no further pass is to run.
        """

    def state(self) -> State:
        """After a completed pass (``count == 0``), every array and size needed to go on, under
        names of the class's own choosing. The arrays are the object's own, not copies: write
        them out before the next ``consume``. Which pass it was, the samples, the losses and the
        settings are the checkpoint's to record, not the state's.
        """

    @classmethod
    def from_state(cls, state: State) -> Self:
        """The object as it was when ``state()`` was taken; the numbers may come back as 0-d
        arrays (as ``np.load`` of an ``.npz`` gives them). A run that goes on from it gives the
        same result, bit for bit, as one that never stopped: any random draw is derived from
        the seed, never from a generator's running state.
        """

    def ritz_pairs(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The top-k Rayleigh–Ritz values, vectors (D, k) and residuals ‖C v − λ v‖ at the end."""


def reduced(total: np.ndarray, count: int, reduce: Reduce | None) -> int:
    """``count`` summed over the ranks by ``reduce``, and ``total`` with it (in place); unchanged
    without ``reduce``.
    """
    return count if reduce is None else reduce(total, count)


def check_directions(found: int, k: int) -> None:
    """Refuse a multipass solve for k pairs from ``found`` directions."""
    if found == 0:
        raise ValueError("multipass found no direction: the gradients are all zero (C Ω = 0)")
    if k > found:
        raise ValueError(
            f"n_components={k} exceeds the {found} directions the passes found; raise n_passes or sketch_size"
        )


def top_ritz(T: np.ndarray, k: int):
    """The top-k eigenpairs of the projected matrix T = Vᵀ C V (symmetrised against rounding),
    descending: the Rayleigh–Ritz values and the coefficients of their vectors in V. O(b³).
    """
    values, U = np.linalg.eigh((T + T.T) / 2)
    order = np.argsort(values)[::-1][:k]
    return values[order], U[:, order]


class BlockKrylovPasses:
    """Randomized block Krylov over the passes: pass 1 forms C Ω for a seeded Gaussian Ω (D × b),
    every later pass C Q for the newest orthonormal block Q, orthogonalised twice against all
    earlier ones; the Rayleigh–Ritz pairs come from the blocks whose products are known. After q
    passes the basis spans C Ω, C² Ω, …, C^(q-1) Ω ((q − 1) b columns). Memory: the basis and its
    products, D b (2q − 1) float64; its :meth:`state` is that basis and those products.
    """

    dtype = np.dtype(np.float64)

    def __init__(self, dim: int, block: int, seed: int):
        self.dim, self.block, self.seed = dim, block, seed
        self.basis: list[np.ndarray] = []
        self.products: list[np.ndarray] = []
        self._multiplier: np.ndarray | None = None
        self._sum: np.ndarray | None = None
        self.count = 0

    def consume(self, rows: np.ndarray) -> None:
        """Add rowsᵀ (rows V) for this pass's block V (Ω in the first pass). O(n D b)."""
        if self._multiplier is None:
            self._multiplier = np.random.default_rng([self.seed, 1]).standard_normal((self.dim, self.block))
        if self._sum is None:
            self._sum = np.zeros((self.dim, self._multiplier.shape[1]))
        rows = rows.astype(np.float64, copy=False)
        self._sum += rows.T @ (rows @ self._multiplier)
        self.count += len(rows)

    def end_pass(self, extend: bool, reduce: Reduce | None = None) -> bool:
        """Keep this pass's product (summed over the ranks by ``reduce``) and, with ``extend``,
        orthogonalise it into the next block; False when no further pass is to run (not
        extended, or the Krylov space is exhausted).
        """
        assert self._sum is not None  # consume ran in this pass
        product = self._sum / reduced(self._sum, self.count, reduce)
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

    def state(self) -> State:
        """The sizes, the seed, and each block ``basis.<i>`` (D × b_i) and product
        ``product.<i>`` (D × b_i, C times ``basis.<i>``) so far, float64; the next pass multiplies
        the last block. O(1): the arrays themselves.
        """
        assert self.count == 0, "state() is taken between passes"
        return {
            "dim": self.dim,
            "block": self.block,
            "seed": self.seed,
            "blocks": len(self.basis),
            **{f"basis.{index}": Q for index, Q in enumerate(self.basis)},
            **{f"product.{index}": CQ for index, CQ in enumerate(self.products)},
        }

    @classmethod
    def from_state(cls, state: State) -> Self:
        """The passes as :meth:`state` left them. O(1)."""
        passes = cls(int(state["dim"]), int(state["block"]), int(state["seed"]))
        blocks = int(state["blocks"])
        passes.basis = [np.asarray(state[f"basis.{index}"], dtype=np.float64) for index in range(blocks)]
        products = (f"product.{index}" for index in range(blocks))
        passes.products = [np.asarray(state[name], dtype=np.float64) for name in products if name in state]
        # Before the first pass the multiplier is Ω, drawn from the seed when the pass begins.
        passes._multiplier = passes.basis[-1] if passes.basis else None
        return passes

    def ritz_pairs(self, k: int):
        """The top-k Rayleigh–Ritz pairs of the blocks whose products are known, and the residual
        ‖C v − λ v‖ of each: ``(values, vectors (D, k), residuals)``.
        """
        known = len(self.products)
        check_directions(sum(Q.shape[1] for Q in self.basis[:known]), k)
        K, CK = np.hstack(self.basis[:known]), np.hstack(self.products)
        values, U = top_ritz(K.T @ CK, k)
        vectors = K @ U
        residuals = np.linalg.norm(CK @ U - vectors * values, axis=0)
        return values, vectors, residuals


# Rows of the D × b blocks handled at a time: the temporaries of their products and
# orthogonalisation stay at ROW_BLOCK × b numbers, never another D × b.
ROW_BLOCK = 1 << 16


def row_blocks(dim: int):
    """Slices of at most :data:`ROW_BLOCK` rows that cover ``range(dim)``."""
    return (slice(start, min(start + ROW_BLOCK, dim)) for start in range(0, dim, ROW_BLOCK))


def gram_of_blocks(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """leftᵀ right (b × b) in float64, summed over row blocks. O(D b²)."""
    total = np.zeros((left.shape[1], right.shape[1]))
    for rows in row_blocks(left.shape[0]):
        total += left[rows].astype(np.float64).T @ right[rows].astype(np.float64)
    return total


def orthonormalize_in_place(block: np.ndarray) -> np.ndarray:
    """An orthonormal basis of span(block) written over ``block`` (D × b, float32 or float64):
    twice the eigendecomposition of the float64 Gram (CholeskyQR2 with rank detection, so that
    a rank-deficient block loses its null columns). Returns ``block`` itself, or a copy of its
    leading r < b columns when the rank is r (zero columns: the block was zero). O(D b²).
    """
    rank = block.shape[1]
    floor = (100 * np.finfo(block.dtype).eps) ** 2
    for _ in range(2):
        values, vectors = np.linalg.eigh(gram_of_blocks(block, block))
        kept = values > floor * max(values.max(initial=0.0), 1e-300)
        rank = int(kept.sum())
        if rank == 0:
            return block[:, :0]
        transform = vectors[:, kept] / np.sqrt(values[kept])
        for rows in row_blocks(block.shape[0]):
            block[rows, :rank] = block[rows].astype(np.float64) @ transform
        block[:, rank:] = 0
    return block if rank == block.shape[1] else np.ascontiguousarray(block[:, :rank])
