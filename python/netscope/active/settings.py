"""The settings of one fit in one frozen object: the estimator's parameters, checked together here,
and the arguments of its ``fit``, with what follows from them (the solver class and its
capabilities, the passes, the block size, whether the gradient rows are kept).
:meth:`netscope.ActiveSubspace.fit` builds it once and hands it to the stream, the solver, the
checkpoint and persistence; no other module reads the estimator.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..core._validation import check_int
from ..nn.per_sample import BACKENDS
from .decompositions import SKETCH_DTYPES
from .solvers import SOLVERS, Capabilities, method_names

if TYPE_CHECKING:
    from .solvers import _Solver


@dataclass(frozen=True)
class FitSettings:
    """What one fit of :class:`netscope.ActiveSubspace` runs with.

    The estimator's parameters, stored as given (None is resolved by the properties below):

    method : str — a name in :data:`netscope.active.solvers.SOLVERS`: how the eigenpairs are
        computed from the (N, D) gradient matrix G; each solver class's docstring gives its
        cost, and its :class:`~netscope.active.solvers.Capabilities` what it can do.
    n_components : int or None — eigenvectors to keep (k). None keeps all of them (100 for a
        top-k method that needs no n_components); the methods that hold only the leading
        directions need it.
    full_spectrum : bool — also compute every eigenvalue (LAPACK, values only: about half the
        time of all eigenpairs), so that ``eigenvalues_`` holds the whole spectrum while
        ``eigenvectors_`` holds only the top k; for the methods that can.
    sketch_size : int or None — columns of the Nyström sketch, or of each block of a method that
        replays the stream (default 2 n_components + 10).
    sketch_dtype : {"auto", "float64", "float32"} — storage of the sketch, and of the basis of
        the replaying method's restarted passes. "auto": float32 when the float64 sketch (D s × 8
        bytes) or basis (D 2s × 8) would take more than 1 GiB, else float64. The float32 sketch
        halves the memory and is as accurate: chunks are still summed in float64 and the
        eigenpairs computed in float64; its eigenvectors are float32.
    n_passes : int or None — passes over the gradient stream for a method that replays it
        (default 6, at least 2).
    keep_gradients : bool — keep G (float32, N × D) after fitting, for ``bootstrap`` and
        ``convergence``; the methods that need the rows keep them anyway, the ones that replay
        the stream never. With a checkpoint, G lives in a memory-mapped file beside it.
    keep_projections : bool — for a fit that keeps no gradients: read the gradient stream once
        more after the fit (the prior regenerated, the data read again) and keep each sample's
        coordinates in the fitted directions, ``projections_`` (N × k), so that ``bootstrap``
        gives intervals without the gradients. Costs one more pass of gradients plus O(N D k);
        memory O(N k). One process; data sampling needs a loader that does not shuffle.
    layer_blocks : bool — for a fit that keeps no gradients: also accumulate each layer's
        diagonal block of C from the stream (:class:`netscope.active.layer_blocks.LayerBlocks`:
        an exact Gram for a layer of up to 2 048 parameters, else a Nyström sketch of 30
        columns, and every block's exact trace), so that ``layer_spectra`` works without the
        gradients. Filled along the fit's own pass (checkpointed and all-reduced with it) or,
        with ``keep_projections``, along the second read, where the solver's state is already
        freed: the peak memory is then the larger of the two, not their sum. Memory D_l²
        float64 numbers per layer of up to 2 048 parameters, 30 D_l float32 per larger one.
        With a method that replays the stream, only with ``keep_projections``.
    chunk_size : int or None — samples per torch batch (default: 256 for prior, 1000 for data
        sampling; with a loader, data sampling also cuts at its batches).
    backend : {"auto", "vmap", "loop"} — how per-sample gradients are batched: "vmap"
        (torch.func, one batched pass per chunk), "loop" (one autograd pass per sample: any
        layer, slower), "auto" (vmap, and the loop with one warning naming the layer where vmap
        cannot batch it).

    progress : bool — show tqdm progress bars.

    The arguments of ``fit`` (their defaults are ``fit``'s; :meth:`ActiveSubspace.fit_gradients`
    leaves them so):

    n_samples : int or None — N. Prior: None means D (the seed found N ≳ D is needed); data:
        None means one gradient per example of the data, in order.
    sampling : "prior" — parameters x_j ~ N(c, scale² I), the mean loss over all of the data
        (summed batch by batch; c = 0, or the model's parameters if ``centered``); "data" — the
        model's current parameters, one gradient per example (the empirical Fisher). For a
        trained network, "data" (or "prior" with ``centered=True``) is the choice that uses its
        weights: the default prior around zero ignores them, as the seed study intends for an
        untrained architecture.
    seed : int — the prior stream, dropout masks in ``mode="dropout"`` and the sketch's test
        matrix; equal seeds give identical results.
    scale, centered : the prior's standard deviation and whether it is centred on the model's
        parameters.
    prior_batches : int or None — prior sampling over the first m batches only, a fixed subset:
        m/B of the cost, but C is then that subset's (biased against the dataset's C by the
        spread of subset gradients; see :func:`netscope.nn.gradients.prior_gradients`).
    device : None or a torch device — where the gradients are computed: the device of the
        model's parameters (None), which an explicit value must equal. Batches move there one at
        a time; each chunk of gradients crosses to the host once.
    mode : "eval" — every layer in eval mode: dropout off, BatchNorm on running statistics, each
        example's gradient its own; "dropout" — eval, but dropout on, with per-sample masks
        seeded by ``seed`` (reproducible for a given backend and chunk size); "train" — every
        layer in train mode (refused with BatchNorm, whose batch statistics couple the
        examples). Every module's mode is restored afterwards.
    checkpoint : path or None — save the fit's state to this file (and ``<file>.json``; kept
        gradients to ``<file>.gradients.npy``, chunk by chunk) every ``checkpoint_every`` samples
        and at the end, atomically and checksummed; under ``torch.distributed`` rank r writes
        ``<file>.rank<r>``. A method that replays the stream saves after every pass instead
        (``<file>.pass<p>``, :class:`netscope.active.checkpoint.PassCheckpoint`), whatever
        ``checkpoint_every``.
    resume : bool — go on from ``checkpoint`` if it exists (written by a run with the same
        settings); the result equals an uninterrupted run's bit for bit.
    stream_sizes : sequence of int or None — for the methods that give an estimate along the
        stream, in one process: at these sample counts (taken at the first chunk end that
        reaches each), record the top min(10, k) eigenpairs of the estimate so far
        (``stream_convergence_``: how the estimate settled, without keeping the gradients). Each
        record costs one top-k solve. A resumed run records from where it resumed.
    target_key : str or None — the key of the targets in mapping batches (None: "labels" when
        present).

    Constructing it checks the parameters together (ValueError or TypeError naming the
    argument); ``fit``'s arguments are checked where they are used, before any gradient.
    """

    method: str
    n_components: int | None
    full_spectrum: bool
    sketch_size: int | None
    sketch_dtype: str
    n_passes: int | None
    keep_gradients: bool
    keep_projections: bool
    layer_blocks: bool
    chunk_size: int | None
    backend: str
    progress: bool
    n_samples: int | None = None
    sampling: str = "prior"
    seed: int = 0
    scale: float = 1.0
    centered: bool = False
    prior_batches: int | None = None
    device: Any = None
    mode: str = "eval"
    checkpoint: Any = None
    checkpoint_every: int = 1000
    resume: bool = False
    stream_sizes: Any = None
    target_key: str | None = None

    def __post_init__(self) -> None:
        """Raise ValueError (or TypeError) for parameters that cannot go together."""
        method, n_components, sketch_size = self.method, self.n_components, self.sketch_size
        if method not in SOLVERS:
            raise ValueError(f"method must be one of {tuple(SOLVERS)}, got {method!r}")
        solver = self.capabilities
        if self.full_spectrum and not solver.full_spectrum_possible:
            raise ValueError(
                f"full_spectrum needs method={method_names(full_spectrum_possible=True)}: "
                f"{method!r} computes only the top k"
            )
        if solver.needs_n_components and n_components is None:
            raise ValueError(f"method={method!r} needs n_components (it holds only the leading directions)")
        if n_components is not None:
            check_int(n_components, "n_components", minimum=1)
        if sketch_size is not None:
            check_int(sketch_size, "sketch_size", minimum=1)
            if solver.sketch_limits_components and n_components is not None and n_components > sketch_size:
                raise ValueError(
                    f"n_components={n_components} exceeds sketch_size={sketch_size}: "
                    "a sketch of s columns yields at most s eigenpairs"
                )
        if self.sketch_dtype not in SKETCH_DTYPES:
            raise ValueError(f"sketch_dtype must be one of {SKETCH_DTYPES}, got {self.sketch_dtype!r}")
        if self.n_passes is not None and not solver.replays_stream:
            raise ValueError(
                f"n_passes goes with method={method_names(replays_stream=True)} (passes over the stream), "
                f"not {method!r}"
            )
        if self.n_passes is not None:
            check_int(self.n_passes, "n_passes", minimum=2)
        if self.keep_projections and not solver.replays_stream and self.keeps_rows:
            raise ValueError(
                "keep_projections replays the stream for a fit that keeps no gradients: set "
                f"keep_gradients=False with method {method_names(keeps_rows=False)} (with gradients, "
                "bootstrap() uses them)"
            )
        if self.layer_blocks and (self.keeps_rows or (solver.replays_stream and not self.keep_projections)):
            raise ValueError(
                "layer_blocks accumulates the layers' blocks for a fit that keeps no gradients: "
                f"set keep_gradients=False with method {method_names(keeps_rows=False, replays_stream=False)} "
                f"(or {method_names(replays_stream=True)} with keep_projections=True); with gradients, "
                "layer_spectra() uses them"
            )
        if self.chunk_size is not None:
            check_int(self.chunk_size, "chunk_size", minimum=1)
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {self.backend!r}")

    @property
    def solver(self) -> type[_Solver]:
        """The solver class of ``method``."""
        return SOLVERS[self.method]

    @property
    def capabilities(self) -> Capabilities:
        """What the solver class can do."""
        return self.solver.capabilities

    @property
    def passes(self) -> int | None:
        """The passes over the stream: ``n_passes`` resolved, None for a single pass."""
        return self.solver.passes_for(self.n_passes)

    @property
    def block_size(self) -> int:
        """Columns of the sketch or of each block: ``sketch_size``, or 2 n_components + 10."""
        return self.sketch_size or 2 * (self.n_components or 0) + 10

    @property
    def keeps_rows(self) -> bool:
        """Whether a single-pass fit keeps G: asked to, or needed by the method."""
        return self.keep_gradients or self.capabilities.keeps_rows

    @property
    def blocks_in_fit(self) -> bool:
        """Whether the layer blocks fill along the fit's own pass, not the projections' replay
        (where the solver's state is already freed).
        """
        return self.layer_blocks and not self.keep_projections

    @property
    def reads_again(self) -> bool:
        """Whether the fit reads its stream more than once: a method that replays it, or the
        projections' replay.
        """
        return self.capabilities.replays_stream or self.keep_projections

    def new_solver(self, dim: int, seed: int = 0) -> Any:
        """A solver of ``method`` for ``dim`` parameters, its test matrix drawn from ``seed`` (typed
        Any: each method's solver has its own methods beside ``consume`` and ``eigenpairs``).
        """
        return self.solver.from_settings(dim, self, seed)

    def for_replay(self) -> FitSettings:
        """These settings for reading the stream again: no checkpoint, no resume, nothing
        recorded along the stream.
        """
        return dataclasses.replace(self, checkpoint=None, resume=False, stream_sizes=None)
