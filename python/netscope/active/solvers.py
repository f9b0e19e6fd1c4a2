"""How the eigenpairs of C = (1/N) GᵀG come out of the gradient stream: one class per method.

Every solver takes the stream chunk by chunk (``consume``) and then gives the top-k eigenpairs
(``eigenpairs``); the streaming ones hold their state (``state``: a GramAccumulator or a
NystromSketch), which checkpoints save and ``torch.distributed`` all-reduces, and can report the
estimate so far (``current``). Those that need the gradient rows themselves are handed them at
the end. Each class declares what it can do (its :class:`Capabilities`), and the rest of the
package asks the class, never the method's name: adding a method means adding a class here and a
name in :data:`SOLVERS`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ..core.gram import GramAccumulator
from ..core.rsvd import eigh_top
from .decompositions import dense_eigenpairs, new_sketch, storage_dtype, top_right_singular
from .passes import BlockKrylovPasses, Reduce, State
from .restarted import RestartedPasses

if TYPE_CHECKING:
    from .settings import FitSettings


@dataclass(frozen=True)
class Capabilities:
    """What a solver class can do: the estimator, the stream, the studies and the views ask this,
    never the method's name.

    - ``keeps_rows``: it needs the gradient rows G themselves, kept along the stream and handed
      over at the end (a fit keeps G whatever ``keep_gradients`` says);
    - ``full_spectrum_possible``: it can return every eigenvalue (``full_spectrum=True``);
    - ``exact_eigenvalues``: its eigenvalues are C's own, not a sketch's or a Krylov basis's
      estimates, so that all min(N, D) of them sum to the trace;
    - ``needs_n_components``: it holds only the leading directions;
    - ``takes_sketch_size``: ``sketch_size`` sets its columns (a sketch's, or each block's);
    - ``sketch_limits_components``: it yields at most ``sketch_size`` eigenpairs;
    - ``replays_stream``: it reads the gradient stream ``n_passes`` times and keeps no rows
      (``keep_gradients`` does not apply), so the stream must give the same samples each time;
    - ``checkpoints``: a fit can checkpoint its state and resume;
    - ``across_ranks``: it runs under ``torch.distributed`` (its state all-reduced, or its kept
      rows all-gathered);
    - ``estimates_along_stream``: it gives the estimate so far (``current``), which a fit's
      ``stream_sizes`` records.
    """

    keeps_rows: bool
    full_spectrum_possible: bool
    exact_eigenvalues: bool
    needs_n_components: bool
    takes_sketch_size: bool
    sketch_limits_components: bool
    replays_stream: bool
    checkpoints: bool
    across_ranks: bool
    estimates_along_stream: bool


class _Solver:
    """What every solver shares: the dimension, the default number of eigenpairs (all min(N, D)
    of them), one pass over the stream and no settings of its own for checkpoints.
    """

    capabilities: ClassVar[Capabilities]
    state: Any

    def __init__(
        self, dim: int, *, sketch_size=None, seed: int = 0, sketch_dtype: str = "auto", n_passes: int | None = None
    ):
        self.dim = dim

    @classmethod
    def from_settings(cls, dim: int, settings: FitSettings, seed: int = 0) -> _Solver:
        """A solver for ``dim`` parameters as a fit's ``settings`` say (its block size, sketch
        storage and passes), its test matrix drawn from ``seed``.
        """
        return cls(
            dim,
            sketch_size=settings.block_size,
            seed=seed,
            sketch_dtype=settings.sketch_dtype,
            n_passes=settings.passes,
        )

    @classmethod
    def passes_for(cls, n_passes: int | None) -> int | None:
        """The passes over the stream a fit makes for the parameter ``n_passes``: None for a
        solver that reads it once.
        """
        return None

    def default_components(self, n: int) -> int:
        return min(n, self.dim)

    def settings(self) -> dict:
        return {}


class SnapshotSolver(_Solver):
    """The method of snapshots: diagonalise the smaller of GᵀG/N (D × D) and GGᵀ/N (N × N); in the
    second case the eigenvectors are Gᵀu/√(Nλ). O(N D min(N, D)) for the product, then
    O(min(N, D)³) for every eigenpair or O(min(N, D)² k) for the top k.
    """

    capabilities = Capabilities(
        keeps_rows=True,
        full_spectrum_possible=True,
        exact_eigenvalues=True,
        needs_n_components=False,
        takes_sketch_size=False,
        sketch_limits_components=False,
        replays_stream=False,
        checkpoints=True,
        across_ranks=True,
        estimates_along_stream=False,
    )
    state = None

    def consume(self, chunk: np.ndarray) -> None:
        """Nothing to do as rows arrive: the solve needs them all."""

    def eigenpairs(self, G: np.ndarray, k: int, full_spectrum: bool):
        """Top-k eigenpairs of C = Gᵀ G / N from the rows G (N, D)."""
        n, dim = G.shape
        if n >= dim:
            return dense_eigenpairs(GramAccumulator(dim).update(G).matrix(), k, full_spectrum)
        # G Gᵀ / N shares the nonzero eigenvalues of Gᵀ G / N, and its eigenvectors u map to
        # Gᵀ u / √(N λ). The accumulator of the D rows of Gᵀ holds G Gᵀ / D; rescale to G Gᵀ / N.
        small = GramAccumulator(n).update(np.ascontiguousarray(G.T)).matrix() * (dim / n)
        values, u = dense_eigenpairs(small, k, full_spectrum)
        vectors = G.T.astype(np.float64) @ u
        norms = np.linalg.norm(vectors, axis=0)
        return values, vectors / np.where(norms > 0, norms, 1.0)


class RandomizedSolver(SnapshotSolver):
    """Top-k SVD of G by randomized block Krylov: O(N D k), no D × D matrix. Top k only (100
    when n_components is None).
    """

    capabilities = Capabilities(
        keeps_rows=True,
        full_spectrum_possible=False,
        exact_eigenvalues=False,
        needs_n_components=False,
        takes_sketch_size=False,
        sketch_limits_components=False,
        replays_stream=False,
        checkpoints=True,
        across_ranks=True,
        estimates_along_stream=False,
    )
    DEFAULT_COMPONENTS = 100

    def default_components(self, n: int) -> int:
        """The number of components a fit on ``n`` samples returns by default."""
        return min(self.DEFAULT_COMPONENTS, n, self.dim)

    def eigenpairs(self, G: np.ndarray, k: int, full_spectrum: bool):
        """Top-k eigenpairs of C = Gᵀ G / N from the rows G (N, D)."""
        return top_right_singular(G, k)


class GramSolver(_Solver):
    """Stream the rows into a :class:`GramAccumulator` (O(D²) memory, G need not be kept), then the
    symmetric eigensolver. O(N D²) + O(D³) or O(D² k).
    """

    capabilities = Capabilities(
        keeps_rows=False,
        full_spectrum_possible=True,
        exact_eigenvalues=True,
        needs_n_components=False,
        takes_sketch_size=False,
        sketch_limits_components=False,
        replays_stream=False,
        checkpoints=True,
        across_ranks=True,
        estimates_along_stream=True,
    )

    def __init__(
        self, dim: int, *, sketch_size=None, seed: int = 0, sketch_dtype: str = "auto", n_passes: int | None = None
    ):
        super().__init__(dim)
        self.state = GramAccumulator(dim)

    def consume(self, chunk: np.ndarray) -> None:
        """Add one chunk of gradient rows to the state."""
        self.state.update(chunk)

    def current(self, k: int):
        """Top-k eigenpairs of the estimate so far."""
        return eigh_top(self.state.matrix(), k)

    def eigenpairs(self, G, k: int, full_spectrum: bool):
        """Top-k eigenpairs of the accumulated C (``G`` is not used)."""
        return dense_eigenpairs(self.state.matrix(), k, full_spectrum)


class SketchSolver(GramSolver):
    """Stream the rows into a :class:`NystromSketch` of ``sketch_size`` columns (default 2k + 10):
    O(N D s) time, O(D s) memory, G need not be kept. Top k only; needs n_components. The sketch
    is float32 for ``sketch_dtype="float32"``, or for "auto" beyond
    :data:`~netscope.active.decompositions.FLOAT32_SKETCH_BEYOND_BYTES` of float64 sketch.
    """

    capabilities = Capabilities(
        keeps_rows=False,
        full_spectrum_possible=False,
        exact_eigenvalues=False,
        needs_n_components=True,
        takes_sketch_size=True,
        sketch_limits_components=True,
        replays_stream=False,
        checkpoints=True,
        across_ranks=True,
        estimates_along_stream=True,
    )

    def __init__(
        self, dim: int, *, sketch_size: int, seed: int = 0, sketch_dtype: str = "auto", n_passes: int | None = None
    ):
        _Solver.__init__(self, dim)
        self.state = new_sketch(dim, sketch_size, seed, sketch_dtype)

    def current(self, k: int):
        """Top-k eigenpairs of the sketch so far."""
        return self.state.eigenpairs(k)

    def eigenpairs(self, G, k: int, full_spectrum: bool):
        """Top-k eigenpairs of the sketch (``G`` is not used); k at most the sketch size."""
        if k > self.state.sketch_size:
            raise ValueError(f"n_components={k} exceeds sketch_size={self.state.sketch_size}")
        return self.state.eigenpairs(k)

    def settings(self) -> dict:
        """The solver's settings, as saved with a checkpoint."""
        return {"sketch_size": self.state.sketch_size, "sketch_dtype": self.state.dtype.name}


# Passes over the gradient stream of method="multipass" when n_passes is None.
DEFAULT_PASSES = 6
# method="multipass" keeps the block Krylov basis (the fewer passes for a given accuracy) while it
# takes at most this many bytes, and otherwise restarts it within two blocks' memory.
KRYLOV_STATE_BYTES = 2**30


class MultipassSolver(_Solver):
    """Top-k eigenpairs of the implicit C = (1/N) Σ g gᵀ from ``n_passes`` replays of the gradient
    stream, one product C V per pass for a block V of b = ``sketch_size`` columns; G is never
    stored. While the basis takes at most :data:`KRYLOV_STATE_BYTES` (D b (2q − 1) float64) it is
    randomized block Krylov (the basis spans C Ω … C^(q-1) Ω, and the error falls like that of
    eigh_top at depth q − 2); beyond, thick-restart block Lanczos with locking in the memory of
    two D × b blocks (:class:`netscope.active.restarted.RestartedPasses`: a basis of 2b columns,
    stored as ``sketch_dtype`` says, float32 for "auto" beyond 1 GiB of float64), which stops
    once the top ``n_components`` pairs have ‖C v − λ v‖ ≤ 10⁻³ λ, ``n_passes`` at most. Both
    end with the Rayleigh–Ritz pairs and the residual ‖C v − λ v‖ of each pair, from the same
    products. Per pass O(N D b) on top of the gradients. Top k only.

    Between passes its :meth:`state` is the passes' own (what a checkpoint writes after every
    pass, and :meth:`restore` reads back); under ``torch.distributed`` every rank consumes its
    share of the stream and ``end_pass`` sums the pass's product over the ranks (one all-reduce
    of D × b numbers a pass), so that every rank holds the same blocks.
    """

    capabilities = Capabilities(
        keeps_rows=False,
        full_spectrum_possible=False,
        exact_eigenvalues=False,
        needs_n_components=True,
        takes_sketch_size=True,
        sketch_limits_components=False,
        replays_stream=True,
        checkpoints=True,
        across_ranks=True,
        estimates_along_stream=False,
    )
    state = None  # no accumulator: the passes' state is :meth:`passes_state`

    @classmethod
    def passes_for(cls, n_passes: int | None) -> int | None:
        """``n_passes``, or :data:`DEFAULT_PASSES` for None."""
        return DEFAULT_PASSES if n_passes is None else n_passes

    @classmethod
    def from_settings(cls, dim: int, settings: FitSettings, seed: int = 0) -> _Solver:
        """As :meth:`_Solver.from_settings`, with the pairs sought (``n_components``)."""
        block, dtype = settings.block_size, settings.sketch_dtype
        return cls(
            dim,
            sketch_size=block,
            seed=seed,
            sketch_dtype=dtype,
            n_passes=settings.passes,
            n_components=settings.n_components,
        )

    def __init__(
        self,
        dim: int,
        *,
        sketch_size: int,
        seed: int = 0,
        sketch_dtype: str = "auto",
        n_passes: int | None = None,
        n_components: int | None = None,
    ):
        super().__init__(dim)
        self.block = block = min(sketch_size, dim)
        if n_passes is None:
            raise ValueError("multipass needs n_passes")
        self.n_passes = n_passes
        self.passes: BlockKrylovPasses | RestartedPasses
        if 8 * dim * block * (2 * n_passes - 1) <= KRYLOV_STATE_BYTES:
            self.passes = BlockKrylovPasses(dim, block, seed)
        else:
            dtype = storage_dtype(dim, 2 * block, sketch_dtype)
            self.passes = RestartedPasses.in_columns(dim, 2 * block, seed, dtype, wanted=n_components or 1)
        self.residuals = None

    @property
    def count(self) -> int:
        """The number of samples read in the current pass."""
        return self.passes.count

    def consume(self, chunk: np.ndarray) -> None:
        """Add chunkᵀ (chunk V) for the current pass's block V. O(n D b)."""
        self.passes.consume(chunk)

    def end_pass(self, extend: bool = True, reduce: Reduce | None = None) -> bool:
        """Close a pass: keep C V (summed over the ranks by ``reduce``, e.g.
        :func:`netscope.active.distributed.sum_over_ranks`) and, with ``extend`` (not after the
        last pass), make the next block from it. Returns False when no further pass is to run:
        not ``extend``ed, or the Krylov space stopped growing (it is invariant: the
        Rayleigh–Ritz pairs are exact).
        """
        if self.passes.count == 0:
            raise ValueError("a pass over the gradient stream gave no gradients")
        return self.passes.end_pass(extend, reduce)

    def passes_state(self) -> State:
        """The passes' state after a completed pass (:meth:`netscope.active.passes.Passes.state`)."""
        return self.passes.state()

    def restore(self, state: State) -> None:
        """Go on from a ``passes_state()`` of a solver with the same settings. O(1)."""
        self.passes = type(self.passes).from_state(state)

    def settings(self) -> dict:
        """The solver's settings, as saved with a checkpoint: the block and which passes run."""
        kind, dtype = type(self.passes).__name__, self.passes.dtype.name
        return {"sketch_size": self.block, "n_passes": self.n_passes, "passes": kind, "sketch_dtype": dtype}

    def eigenpairs(self, G, k: int, full_spectrum: bool):
        """The top-k Rayleigh–Ritz pairs; ``residuals`` then holds ‖C v − λ v‖ of each."""
        values, vectors, self.residuals = self.passes.ritz_pairs(k)
        return values, vectors


SOLVERS = {
    "snapshot": SnapshotSolver,
    "gram": GramSolver,
    "randomized": RandomizedSolver,
    "sketch": SketchSolver,
    "multipass": MultipassSolver,
}


def method_names(**capabilities: bool) -> str:
    """The methods of :data:`SOLVERS` whose :class:`Capabilities` have the values given (e.g.
    ``keeps_rows=False``), quoted and joined for a message: "'gram' or 'sketch'".
    """
    unknown = set(capabilities) - {field.name for field in fields(Capabilities)}
    assert not unknown, f"no such capabilities: {unknown}"
    names = [
        repr(name)
        for name, solver in SOLVERS.items()
        if all(getattr(solver.capabilities, key) == value for key, value in capabilities.items())
    ]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
