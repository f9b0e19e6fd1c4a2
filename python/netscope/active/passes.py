"""What :class:`netscope.active.solvers.MultipassSolver` does with each replay of the gradient
stream: one product C V of the implicit C = (1/N) Σ g gᵀ with a block V per pass, by randomized
block Krylov (:class:`BlockKrylovPasses`, the basis of every pass kept) or by subspace iteration
(:class:`SubspacePasses`, two D × b blocks whatever the passes), and the Rayleigh–Ritz pairs and
residuals at the end.
"""

from __future__ import annotations

import numpy as np


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
    products, D b (2q − 1) float64.
    """

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

    def end_pass(self, extend: bool) -> bool:
        """Keep this pass's product and, with ``extend``, orthogonalise it into the next block;
        False when no further pass is to run (not extended, or the Krylov space is exhausted).
        """
        assert self._sum is not None  # consume ran in this pass
        product = self._sum / self.count
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


# Rows of the D × b blocks that subspace iteration handles at a time: the temporaries of its
# products and orthogonalisation stay at ROW_BLOCK × b numbers, never another D × b.
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


class SubspacePasses:
    """Subspace iteration over the passes, for networks whose Krylov basis does not fit: pass 1
    forms C Ω for a seeded Gaussian Ω (D × b), every later pass C Q for Q = orth(the previous
    product); the Rayleigh–Ritz pairs come from the last Q and its product. After q passes Q
    spans C^(q-1) Ω. Memory: two D × b blocks (Q and the product being summed) in ``dtype``,
    whatever q; each chunk's product is added row block by row block, in place.
    """

    def __init__(self, dim: int, block: int, seed: int, dtype):
        self.dim, self.dtype = dim, np.dtype(dtype)
        self.basis: np.ndarray | None = np.random.default_rng([seed, 1]).standard_normal((dim, block), dtype=self.dtype)
        self._sum: np.ndarray | None = None
        self.product: np.ndarray | None = None
        self.count = 0

    def consume(self, rows: np.ndarray) -> None:
        """Add rowsᵀ (rows Q) for the current basis Q, row block by row block, in place. O(n D b)."""
        assert self.basis is not None  # until ritz_pairs
        if self._sum is None:
            self._sum = np.zeros_like(self.basis)
        rows = rows.astype(self.dtype, copy=False)
        coefficients = rows @ self.basis
        for block in row_blocks(self.dim):
            self._sum[block] += rows[:, block].T @ coefficients
        self.count += len(rows)

    def end_pass(self, extend: bool) -> bool:
        """Keep this pass's product, or with ``extend`` make it the next orthonormal basis; False
        when no further pass is to run (not extended, or the product vanished).
        """
        assert self._sum is not None  # consume ran in this pass
        self._sum /= self.count
        self.count = 0
        if not extend:
            self.product, self._sum = self._sum, None
            return False
        del self.basis  # the block the product came from; the product becomes the next one
        basis, self._sum = orthonormalize_in_place(self._sum), None
        self.basis = basis
        return basis.shape[1] > 0

    def ritz_pairs(self, k: int):
        """The top-k Rayleigh–Ritz pairs of the last basis and its product, and the residual
        ‖C v − λ v‖ of each: ``(values, vectors (D, k), residuals)``; frees both blocks.
        """
        basis, product = self.basis, self.product
        check_directions(0 if product is None or basis is None else basis.shape[1], k)
        assert basis is not None and product is not None  # else check_directions raised
        values, U = top_ritz(gram_of_blocks(basis, product), k)
        squares = np.zeros(k)
        for rows in row_blocks(self.dim):
            vectors = basis[rows].astype(np.float64) @ U
            squares += ((product[rows].astype(np.float64) @ U - vectors * values) ** 2).sum(axis=0)
            # the product is not needed past its residual: its first k columns take the vectors
            product[rows, :k] = vectors
        self.basis = basis = None
        vectors, self.product = np.ascontiguousarray(product[:, :k]), None
        del product
        return values, vectors, np.sqrt(squares)
