"""Active subspaces of a network's parameter space: the estimator, a facade over the fit's stream
(:mod:`.stream`: gradients, checkpoints, ``torch.distributed``), its consumption by one solver per
method (:mod:`.fitting`, :mod:`.solvers`), the diagnostics (:mod:`.diagnostics`) and the file
format (:mod:`.persistence`).
"""

from __future__ import annotations

import contextlib

import numpy as np
import torch
from sklearn.base import BaseEstimator
from tqdm.auto import tqdm

from ..core._validation import as_float_matrix, check_all_finite, check_int
from ..exceptions import check_fitted
from ..nn.data import as_batches
from ..nn.gradients import PriorSamples
from ..nn.parameters import ParameterLayout
from ..nn.per_sample import BACKENDS
from . import diagnostics, persistence
from .fitting import Fitted, add_projections, solve, solve_passes
from .layer_blocks import LayerBlocks
from .notebook import active_subspace_html
from .results import Bootstrap, Convergence, LayerImportance, LayerSpectra
from .solvers import DEFAULT_PASSES, SKETCH_DTYPES, SOLVERS, method_names
from .stream import Stream, check_replayable, open_stream

__all__ = ["DEFAULT_PASSES", "ActiveSubspace"]


class ActiveSubspace(BaseEstimator):
    """Estimate the active subspace of a loss over a network's parameters.

    C = E[∇f ∇fᵀ] ≈ (1/N) Σ_j ∇f_j ∇f_jᵀ = Ŵ Λ̂ Ŵᵀ, from N per-sample gradients ∇f_j.

    Parameters
    ----------
    method : {"snapshot", "gram", "randomized", "sketch", "multipass"}
        How the eigenpairs are computed from the (N, D) gradient matrix G:

        - ``"snapshot"`` (default): the method of snapshots. Diagonalise the smaller of
          GᵀG/N (D × D) and GGᵀ/N (N × N); in the second case the eigenvectors are recovered as
          Gᵀu/√(Nλ). Never a literal SVD of G. O(N D min(N, D)) for the product, then
          O(min(N, D)³) for every eigenpair or O(min(N, D)² k) for the top k.
        - ``"gram"``: stream the gradients into a :class:`GramAccumulator` (O(D²) memory, G need
          not be kept), then the symmetric eigensolver. O(N D²) + O(D³) or O(D² k).
        - ``"randomized"``: top-k SVD of G by randomized block Krylov: O(N D k), no D × D matrix.
        - ``"sketch"``: stream the gradients into a :class:`NystromSketch` of ``sketch_size``
          columns (default 2k + 10): O(N D s) time, O(D s) memory, G need not be kept. Needs
          ``n_components``.
        - ``"multipass"``: replay the gradient stream ``n_passes`` times (the prior regenerated
          from its seed, the data read again), one product of the implicit C with a block of
          ``sketch_size`` columns (default 2k + 10) per pass; G is never stored
          (``keep_gradients`` does not apply). The passes are the accuracy knob, and
          ``residuals_`` tells how far they got. Randomized block Krylov (the basis spans
          C Ω … C^(q-1) Ω; memory D b (2q − 1) float64) while that basis takes at most 1 GiB,
          else subspace iteration on two D × b blocks (span C^(q-1) Ω; memory 2 D b, float32
          as ``sketch_dtype`` says), which needs more passes for the same accuracy.
          O(q × (N gradients + N D b)) time. Needs ``n_components``; one process, no
          checkpoint.
    n_components : int or None
        Eigenvectors to keep (k). None keeps all of them (``"randomized"``: 100).
    sketch_size : int or None
        Columns of the Nyström sketch for ``method="sketch"``, or of each block for
        ``"multipass"`` (default 2 n_components + 10).
    sketch_dtype : {"auto", "float64", "float32"}
        Storage of the sketch for ``method="sketch"``, and of the two blocks of
        ``"multipass"``'s subspace iteration. "auto" (default): float32 when the float64 sketch
        (or block) would take more than 1 GiB (D s × 8 bytes), else float64. The float32
        sketch halves the memory and is as accurate: chunks are still summed in float64 and the
        eigenpairs computed in float64; its eigenvectors are float32.
    n_passes : int or None
        Passes over the gradient stream for ``method="multipass"`` (default 6, at least 2).
    full_spectrum : bool
        Also compute every eigenvalue (LAPACK, values only: about half the time of all
        eigenpairs), so that ``eigenvalues_`` holds the whole spectrum while ``eigenvectors_``
        holds only the top k. Not for ``"randomized"``.
    keep_gradients : bool
        Keep G (float32, N × D) after fitting: needed by :meth:`bootstrap` and
        :meth:`convergence`. ``"snapshot"`` and ``"randomized"`` need it to fit anyway. With a
        checkpoint, G lives in a memory-mapped file beside it.
    keep_projections : bool
        For a fit that keeps no gradients (``keep_gradients=False``, or "multipass"): read the
        gradient stream once more after the fit (the prior regenerated, the data read again)
        and keep each sample's coordinates in the fitted directions, ``projections_`` (N × k).
        :meth:`bootstrap` then gives intervals without the gradients. Costs one more pass of
        gradients plus O(N D k); memory O(N k). One process; data sampling needs a loader that
        does not shuffle.
    layer_blocks : bool
        For a fit that keeps no gradients: also accumulate each layer's diagonal block of C from
        the stream (:class:`netscope.active.layer_blocks.LayerBlocks`: an exact Gram for a layer
        of up to 2 048 parameters, else a Nyström sketch of 30 columns, and every block's exact
        trace), so that :meth:`layer_spectra` works without the gradients. Filled along the fit's
        own pass (checkpointed and all-reduced with it) or, with ``keep_projections``, along the
        second read, where the solver's state is already freed: the peak memory is then the
        larger of the two, not their sum. Memory D_l² float64 numbers per layer of up to 2 048
        parameters, 30 D_l float32 per larger one; per chunk O(n) times as many. With
        "multipass" only with ``keep_projections``.
    chunk_size : int or None
        Samples per torch batch (default: 256 for prior, 1000 for data sampling; with a loader,
        data sampling also cuts at its batches).
    backend : {"auto", "vmap", "loop"}
        How per-sample gradients are batched: ``"vmap"`` (torch.func, one batched pass per
        chunk), ``"loop"`` (one autograd pass per sample: any layer, slower), ``"auto"`` (vmap,
        and the loop with one warning naming the layer where vmap cannot batch it).
    progress : bool
        Show tqdm progress bars.

    Attributes (after fit)
    ----------------------
    eigenvalues_ : ndarray (k,) or, with full_spectrum, (min(N, D),); descending
    eigenvectors_ : ndarray (D, k), orthonormal columns Ŵ; float64 (float32 from float32 sketch storage)
    parameter_layout_ : ParameterLayout
    n_samples_ : int
    gradients_ : ndarray (N, D) float32 or None
    projections_ : ndarray (N, k) float64 or None — with ``keep_projections``, Ŵᵀ g of every sample
    layer_blocks_ : LayerBlocks or None — with ``layer_blocks``, each layer's block of C
    losses_ : ndarray (N,) or None — the loss at each sample
    residuals_ : ndarray (k,) or None — for "multipass", ‖C v_i − λ_i v_i‖ of each returned pair,
        from the last pass's product: small against λ_i means the passes sufficed
    stream_convergence_ : StreamConvergence or None — with ``fit(stream_sizes=...)``, the estimate along the stream
    timings_ : dict — wall seconds of each stage

    The parameters are stored as given (scikit-learn's convention: ``get_params``,
    ``set_params`` and ``sklearn.base.clone`` work; None is resolved where it is used), and
    checked together at construction and by ``set_params``. In a notebook a fitted estimator
    shows its spectrum and leading layers (``_repr_html_``).
    """

    def __init__(
        self,
        method: str = "snapshot",
        n_components: int | None = None,
        *,
        full_spectrum: bool = False,
        sketch_size: int | None = None,
        sketch_dtype: str = "auto",
        n_passes: int | None = None,
        keep_gradients: bool = True,
        keep_projections: bool = False,
        layer_blocks: bool = False,
        chunk_size: int | None = None,
        backend: str = "auto",
        progress: bool = True,
    ):
        self.method = method
        self.n_components = n_components
        self.full_spectrum = full_spectrum
        self.sketch_size = sketch_size
        self.sketch_dtype = sketch_dtype
        self.n_passes = n_passes
        self.keep_gradients = keep_gradients
        self.keep_projections = keep_projections
        self.layer_blocks = layer_blocks
        self.chunk_size = chunk_size
        self.backend = backend
        self.progress = progress
        # Fail at construction already; set_params checks again.
        self._check_params()

    def _check_params(self) -> None:
        """Raise ValueError (or TypeError) for parameters that cannot go together."""
        method, n_components, sketch_size = self.method, self.n_components, self.sketch_size
        keep_gradients, keep_projections, layer_blocks = self.keep_gradients, self.keep_projections, self.layer_blocks
        if method not in SOLVERS:
            raise ValueError(f"method must be one of {tuple(SOLVERS)}, got {method!r}")
        solver = SOLVERS[method].capabilities
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
        if keep_projections and not solver.replays_stream and (keep_gradients or solver.keeps_rows):
            raise ValueError(
                "keep_projections replays the stream for a fit that keeps no gradients: set "
                f"keep_gradients=False with method {method_names(keeps_rows=False)} (with gradients, "
                "bootstrap() uses them)"
            )
        if layer_blocks and (keep_gradients or solver.keeps_rows or (solver.replays_stream and not keep_projections)):
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

    def set_params(self, **params) -> ActiveSubspace:
        """Set parameters (scikit-learn's convention) and check them together; a combination
        that would be refused at construction raises and leaves the parameters as they were.
        """
        before = self.get_params(deep=False)
        super().set_params(**params)
        try:
            self._check_params()
        except (TypeError, ValueError):
            super().set_params(**before)
            raise
        return self

    @property
    def _n_passes(self) -> int | None:
        """The passes a fit makes: ``n_passes`` with None resolved (None for a single pass)."""
        return self._solver_class.passes_for(self.n_passes)

    # ------------------------------------------------------------------ fitting
    def fit(
        self,
        model: torch.nn.Module,
        loss_fn,
        data,
        *,
        n_samples: int | None = None,
        sampling: str = "prior",
        seed: int = 0,
        scale: float = 1.0,
        centered: bool = False,
        prior_batches: int | None = None,
        device=None,
        mode: str = "eval",
        checkpoint=None,
        checkpoint_every: int = 1000,
        resume: bool = False,
        stream_sizes=None,
        target_key: str | None = None,
    ):
        """Sample gradients of ``loss_fn(model(inputs), targets)`` and estimate the subspace.

        Parameters
        ----------
        model : torch.nn.Module — its trainable parameters span the space (D of them). Any
            module: layers torch.func cannot batch fall back to a per-sample loop (``backend``).
        loss_fn : callable(outputs, targets) -> scalar tensor, e.g. ``torch.nn.MSELoss()``; it
            receives what the model returns (a tensor, a tuple, a Hugging Face ``ModelOutput``).
            None: the model's own loss, ``outputs.loss``, with the targets passed to the model as
            the keyword ``target_key`` (Hugging Face models compute it when given ``labels``).
        data : one batch or a re-iterable of batches (a ``DataLoader``, a list); a batch is a
            pair ``(inputs, targets)`` — ``inputs`` a tensor, a tuple/list (``model(*inputs)``)
            or a mapping (``model(**inputs)``) of tensors — or a mapping that holds the targets
            under ``target_key`` and the model's keyword inputs under the other keys (a Hugging
            Face collator's batch; see :mod:`netscope.nn.data`). Token ids and padding masks
            work as any tensor. Read batch by batch: the dataset is never held whole.
        n_samples : int or None — N. Prior: None means D (the seed found N ≳ D is needed);
            data: None means one gradient per example of ``data``, in order.
        sampling : "prior" — parameters x_j ~ N(c, scale² I), the mean loss over all of ``data``
            (summed batch by batch; c = 0, or the model's parameters if ``centered``); "data" —
            the model's current parameters, one gradient per example (the empirical Fisher).
            For a trained network, "data" (or "prior" with ``centered=True``) is the choice that
            uses its weights: the default prior around zero ignores them, as the seed study
            intends for an untrained architecture.
        seed : int — the prior stream, dropout masks in ``mode="dropout"`` and the sketch's test
            matrix; equal seeds give identical results.
        prior_batches : int or None — prior sampling over the first m batches only, a fixed
            subset: m/B of the cost, but C is then that subset's (biased against the dataset's
            C by the spread of subset gradients; see :func:`netscope.nn.gradients.prior_gradients`).
        device : None or a torch device — where the gradients are computed: the device of the
            model's parameters (None), which an explicit value must equal. Batches move there
            one at a time; each chunk of gradients crosses to the host once.
        mode : "eval" (default) — every layer in eval mode: dropout off, BatchNorm on running
            statistics, each example's gradient its own; "dropout" — eval, but dropout on, with
            per-sample masks seeded by ``seed`` (reproducible for a given backend and chunk
            size); "train" — every layer in train mode (refused with BatchNorm, whose batch
            statistics couple the examples). Every module's mode is restored afterwards.
        checkpoint : path or None — save the fit's state to this file (and ``<file>.json``;
            kept gradients to ``<file>.gradients.npy``, chunk by chunk) every
            ``checkpoint_every`` samples and at the end, atomically and checksummed.
        resume : bool — go on from ``checkpoint`` if it exists (written by a run with the same
            settings); the result equals an uninterrupted run's bit for bit.
        stream_sizes : sequence of int or None — for the streaming methods in one process: at
            these sample counts (taken at the first chunk end that reaches each), record the top
            min(10, k) eigenpairs of the estimate so far. ``stream_convergence_`` (a
            :class:`netscope.active.results.StreamConvergence`) then holds ``sizes``, ``eigenvalues``,
            ``eigenvalue_error`` (largest relative error of the top k against the final estimate) and
            ``distance_to_previous`` (sin θ_max between the top-k subspaces of consecutive sizes): how
            the estimate settled, without keeping the gradients. Each record costs one top-k solve. A resumed run
            records from where it resumed.
        target_key : str or None — the key of the targets in mapping batches (None: "labels"
            when present).

        Under ``torch.distributed`` (an initialised process group of several ranks, e.g. from
        ``torchrun``) each rank computes the gradients of its share of whole chunks; the
        accumulators are all-reduced (the gradients all-gathered for "snapshot" and
        "randomized"), and every rank ends with the single-process result up to the order of
        the sums. With a checkpoint, rank r writes ``<file>.rank<r>``.

        The estimator's fitted state changes only when the fit succeeds. Returns ``self``.
        Cost: N forward/backward passes in torch, then as ``method`` says.
        """

        def fit_stream(**pass_options):
            """The fit's gradient stream; ``data`` is read when called (below it becomes one reader)."""
            return open_stream(
                self,
                model,
                loss_fn,
                data,
                n_samples=n_samples,
                sampling=sampling,
                seed=seed,
                scale=scale,
                centered=centered,
                prior_batches=prior_batches,
                device=device,
                mode=mode,
                checkpoint_every=checkpoint_every,
                target_key=target_key,
                **pass_options,
            )

        def opened():
            return fit_stream(
                checkpoint=checkpoint, resume=resume, stream_sizes=stream_sizes, layer_blocks=self._blocks_in_fit
            )

        def replay(layer_blocks=False):
            return fit_stream(checkpoint=None, resume=False, stream_sizes=None, replay=True, layer_blocks=layer_blocks)

        replays = self._solver_class.capabilities.replays_stream
        if replays or self.keep_projections:
            check_replayable(data, sampling=sampling, what=f"method={self.method!r}" if replays else "keep_projections")
            data = as_batches(
                data, "data", target_key
            )  # one reader for every pass: it checks that each pass meets the same examples
        if replays:
            if checkpoint is not None and not self._solver_class.capabilities.checkpoints:
                raise ValueError(
                    f"checkpoint: method={self.method!r} does not checkpoint (each pass is one gradient "
                    "stream); lower n_passes, or use "
                    + method_names(keeps_rows=False, full_spectrum_possible=False, replays_stream=False)
                )
            if stream_sizes is not None:
                raise ValueError(
                    f"stream_sizes needs a single-pass streaming method ({method_names(estimates_along_stream=True)})"
                )
            fitted = solve_passes(self, opened, replay, self._n_passes)
        else:
            stream = opened()
            with contextlib.closing(stream):
                fitted = solve(self, stream)
            del stream  # and with it the solver's state (a sketch: D s numbers), before any replay
        if self.keep_projections:
            fitted = add_projections(fitted, lambda: replay(layer_blocks=self.layer_blocks))
        return self._assign(fitted)

    @property
    def _blocks_in_fit(self) -> bool:
        """Whether the layer blocks fill along the fit's own pass, not the projections' replay
        (where the solver's state is already freed).
        """
        return self.layer_blocks and not self.keep_projections

    @property
    def _solver_class(self):
        return SOLVERS[self.method]

    @property
    def _keeps_rows(self) -> bool:
        """Whether a fit keeps G: asked to, or needed by the method."""
        return self.keep_gradients or self._solver_class.capabilities.keeps_rows

    def _new_solver(self, dim: int, seed: int = 0):
        sketch_size = self.sketch_size or 2 * (self.n_components or 0) + 10
        return self._solver_class(
            dim, sketch_size=sketch_size, seed=seed, sketch_dtype=self.sketch_dtype, n_passes=self._n_passes
        )

    def fit_gradients(self, chunks, *, layout: ParameterLayout | None = None):
        """Estimate the subspace from gradients you computed: an iterable of (n, D) arrays.

        ``layout`` (optional) names the coordinates for :meth:`layer_importance` and the plots.
        Returns ``self``.
        """
        if isinstance(chunks, np.ndarray):
            chunks = [chunks]

        if self.layer_blocks and layout is None:
            raise ValueError("layer_blocks needs layout= (which columns are which layer's)")

        def given(layer_blocks=False):
            blocks = LayerBlocks(layout, sketch_dtype=self.sketch_dtype) if layer_blocks else None
            return Stream(layout=layout, sampling="given", chunks=((chunk, None) for chunk in chunks), blocks=blocks)

        replays = self._solver_class.capabilities.replays_stream
        if (replays or self.keep_projections) and iter(chunks) is chunks:
            raise ValueError(
                f"chunks: method={method_names(replays_stream=True)} and keep_projections read the gradients "
                "more than once; pass an array or a list of chunks, not a one-shot iterator"
            )
        if replays:
            fitted = solve_passes(self, given, given, self._n_passes)
        else:
            fitted = solve(self, given(self._blocks_in_fit))
        if self.keep_projections:
            fitted = add_projections(fitted, lambda: given(self.layer_blocks))
        return self._assign(fitted)

    def _assign(self, fitted: Fitted) -> ActiveSubspace:
        """Take a successful fit's result as the fitted state, all at once."""
        self.eigenvalues_, self.eigenvectors_ = fitted.eigenvalues, fitted.eigenvectors
        self.parameter_layout_, self.sampling_, self._prior = fitted.layout, fitted.sampling, fitted.prior
        self.n_samples_, self.n_parameters_ = fitted.n_samples, fitted.n_parameters
        self.gradients_, self.losses_, self.projections_ = fitted.gradients, fitted.losses, fitted.projections
        self.layer_blocks_, self.residuals_ = fitted.layer_blocks, fitted.residuals
        self.stream_convergence_, self.timings_ = fitted.stream_convergence, fitted.timings
        return self

    # ------------------------------------------------------------------ results
    def _check_k(self, k, name="k"):
        check_fitted(self, "eigenvalues_")
        if k is None:
            return min(10, self.eigenvectors_.shape[1])
        return check_int(k, name, minimum=1, maximum=self.eigenvectors_.shape[1])

    def _require_gradients(self, what: str) -> np.ndarray:
        check_fitted(self, "eigenvalues_")
        if self.gradients_ is None:
            raise ValueError(f"{what} needs the gradients: fit with keep_gradients=True")
        return self.gradients_

    def layer_importance(self, k: int | None = None) -> LayerImportance:
        """How much of the top-k eigenvectors lies on each layer: a
        :class:`netscope.active.results.LayerImportance` (share, enrichment over the layer's share
        of parameters, and the share of each parameter kind). Default k: min(10, fitted). O(D k).
        """
        k = self._check_k(k)
        if self.parameter_layout_ is None:
            raise ValueError(
                "layer_importance needs a parameter layout: fit() a model, or pass layout= to fit_gradients()"
            )
        return diagnostics.layer_importance(self.parameter_layout_, self.eigenvectors_, k)

    def layer_spectra(self, k: int | None = None) -> LayerSpectra:
        """The top-k eigenvalues of each layer's diagonal block of C, the share of the trace each
        block holds, and how much of each global top-k direction lies on each layer: a
        :class:`netscope.active.results.LayerSpectra`. Which layer has the largest directions
        of its own, and whether the global ones are one layer's or shared. From the kept
        gradients (O(N D k)), or without them from the blocks accumulated along the stream
        (``layer_blocks=True``: exact for the small layers, the 30-column sketch's estimate for
        the large ones; O(D_l³) per small layer, O(900 D_l) per large one). Default k: min(10,
        fitted).
        """
        k = self._check_k(k)
        if self.gradients_ is None and self.layer_blocks_ is not None:
            return self.layer_blocks_.spectra(self.eigenvectors_, k)
        if self.gradients_ is None:
            raise ValueError(
                "layer_spectra needs the gradients (keep_gradients=True) or the layers' blocks "
                "(keep_gradients=False, layer_blocks=True)"
            )
        if self.parameter_layout_ is None:
            raise ValueError(
                "layer_spectra needs a parameter layout: fit() a model, or pass layout= to fit_gradients()"
            )
        return diagnostics.layer_spectra(self.gradients_, self.parameter_layout_, self.eigenvectors_, k)

    def transform(self, x) -> np.ndarray:
        """Coordinates ``Ŵᵀ x`` of parameter vectors x ((D,) or (n, D)) in the fitted subspace."""
        check_fitted(self, "eigenvalues_")
        x = np.asarray(x, dtype=np.float64)
        single = x.ndim == 1
        x = as_float_matrix(x[None, :] if single else x, "x")
        if x.shape[1] != self.n_parameters_:
            raise ValueError(f"x must have {self.n_parameters_} columns (one per parameter), got {x.shape[1]}")
        y = x @ self.eigenvectors_
        return y[0] if single else y

    def sample_energy(self, k: int | None = None, gradients=None) -> np.ndarray:
        """How much of each sample's gradient lies in the top-k subspace: ‖Ŵ_kᵀ g_i‖² / ‖g_i‖²,
        float64 (N,) in [0, 1] (0 for a zero gradient). In data sampling, the samples whose
        loss moves most along the leading parameter directions score near 1.

        ``gradients``: an (N, D) array or an iterable of (n, D) chunks (e.g. the same stream read
        again); default the kept ``gradients_``. Default k: min(10, fitted). O(N D k); products
        in the chunks' own precision (float32 gradients: relative error ~1e-6), no widened copy.
        """
        k = self._check_k(k)
        if gradients is None:
            gradients = self._require_gradients("sample_energy (without gradients=)")
        chunks = [gradients] if isinstance(gradients, np.ndarray) else gradients
        energies, W = [], {}
        for index, chunk in enumerate(chunks):
            chunk = as_float_matrix(chunk, "gradients")
            if chunk.shape[1] != self.n_parameters_:
                raise ValueError(
                    f"gradients must have {self.n_parameters_} columns (one per parameter), got {chunk.shape[1]}"
                )
            check_all_finite(chunk, f"gradients chunk {index}")
            if chunk.dtype not in W:
                W[chunk.dtype] = self.eigenvectors_[:, :k].astype(chunk.dtype)
            norms = np.einsum("ij,ij->i", chunk, chunk).astype(np.float64)
            along = ((chunk @ W[chunk.dtype]).astype(np.float64) ** 2).sum(axis=1)
            energies.append(np.divide(along, norms, out=np.zeros_like(norms), where=norms > 0))
        return np.minimum(np.concatenate(energies), 1.0) if energies else np.zeros(0)

    def sufficient_summary(self, n_active: int = 1):
        """Data for a sufficient-summary plot: ``(active_variables (N, n_active), losses (N,))``.

        The prior samples are regenerated from their seeds (nothing N × D was stored for them)
        and projected on the first ``n_active`` eigenvectors. Only for ``sampling="prior"``.
        O(N D n_active).
        """
        n_active = self._check_k(n_active, "n_active")
        if self._prior is None or self.losses_ is None:
            raise ValueError("sufficient_summary needs a fit with sampling='prior'")
        layout = self.parameter_layout_
        assert layout is not None  # a fit with a prior has the network's layout
        W = self.eigenvectors_[:, :n_active].astype(np.float64)
        active = np.empty((self.n_samples_, n_active))
        prior = PriorSamples(layout, **self._prior)
        # Blocks of about 64 MB of float32 samples, each widened and multiplied as it is drawn.
        step = max(1, 2**24 // self.n_parameters_)
        starts = range(0, self.n_samples_, step)
        for start in tqdm(
            starts, desc="sufficient summary", unit="block", disable=not self.progress or len(starts) < 4
        ):
            stop = min(start + step, self.n_samples_)
            active[start:stop] = prior.rows(start, stop).numpy().astype(np.float64) @ W
        return active, self.losses_

    # ------------------------------------------------------------------ diagnostics
    def bootstrap(
        self, n_boot: int = 100, k: int | None = None, *, confidence: float = 0.95, seed: int = 0
    ) -> Bootstrap:
        """Bootstrap intervals for the top-k eigenvalues and the subspace distance of every
        dimension r = 1..k (Constantine & Gleich 2014): a
        :class:`netscope.active.results.Bootstrap`.

        The eigenvalue intervals are basic bootstrap intervals: unlike percentile intervals they
        remove the resamples' upward shift instead of adding it, which keeps them near the
        nominal coverage where N ≪ D (:func:`netscope.active.diagnostics.bootstrap`). From the
        kept gradients: resample them. O(n_boot N D k). Without them, from
        ``projections_`` (``keep_projections=True``): the same resampling of the N samples, in
        the K fitted directions (Fisher et al. 2016 bootstrap PCA in the span of the sample):
        each replicate's C* restricted to span(Ŵ), whose eigenpairs are its Rayleigh–Ritz pairs
        there, and its ``eigenvalues`` are those of the sample C there. Variation out of span(Ŵ)
        is not seen, so ask for K well above k (the study's 50 for k = 10). O(n_boot N K k).
        """
        k, n_boot = self._check_k(k), check_int(n_boot, "n_boot", minimum=2)
        if self.gradients_ is None and self.projections_ is not None:
            Z = self.projections_
            values = np.linalg.eigvalsh(Z.T @ Z / len(Z))[::-1]
            return diagnostics.bootstrap(
                Z, np.maximum(values, 0.0), n_boot=n_boot, k=k, confidence=confidence, seed=seed, progress=self.progress
            )
        if self.gradients_ is None:
            raise ValueError(
                "bootstrap needs the gradients (keep_gradients=True) or their replayed projections "
                "(keep_gradients=False, keep_projections=True)"
            )
        return diagnostics.bootstrap(
            self.gradients_,
            self.eigenvalues_,
            n_boot=n_boot,
            k=k,
            confidence=confidence,
            seed=seed,
            progress=self.progress,
        )

    def convergence(self, sizes=None, k: int | None = None) -> Convergence:
        """How the top-k estimate from the first n samples approaches the one from all N (the
        seed's claim is that reliable estimates need n ≳ D): a
        :class:`netscope.active.results.Convergence`. Default sizes: a geometric grid from 2k
        to N. Cost: O(Σ n D k).
        """
        G = self._require_gradients("convergence")
        return diagnostics.convergence(G, self.eigenvalues_, self.eigenvectors_, sizes=sizes, k=self._check_k(k))

    # ------------------------------------------------------------------ persistence
    def save(self, path) -> None:
        """Write the fitted result to an ``.npz`` file (no pickle; gradients are not saved)."""
        check_fitted(self, "eigenvalues_")
        persistence.save(self, path)

    @classmethod
    def load(cls, path) -> ActiveSubspace:
        """Read a result written by :meth:`save`. Diagnostics that need gradients are unavailable."""
        return persistence.load(cls, path)

    # ------------------------------------------------------------------ notebook view
    def _repr_html_(self) -> str:
        """A notebook's view of a fitted estimator: the method, N and D, the top eigenvalues with
        their shares, the layers the leading directions load on, and the decay of the spectrum
        (an inline SVG: no script, no image file); an unfitted one shows its parameters.
        O(k + D k), plus O(N D) for the trace where only the kept gradients give it.
        """
        return active_subspace_html(self)

    def _repr_mimebundle_(self, **kwargs) -> dict:
        # Notebooks ask for this first; scikit-learn's own would show its estimator diagram.
        return {"text/plain": repr(self), "text/html": self._repr_html_()}
