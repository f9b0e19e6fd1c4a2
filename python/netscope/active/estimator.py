"""Active subspaces of a network's parameter space: the estimator, a facade over the gradient
streams (:mod:`netscope.nn.gradients`), one solver per method (:mod:`.solvers`), checkpoints
(:mod:`.checkpoint`), ``torch.distributed`` (:mod:`.distributed`) and the diagnostics
(:mod:`.diagnostics`)."""

from __future__ import annotations

import contextlib
import os
import time

import numpy as np
import torch
from tqdm.auto import tqdm

from ..core._validation import as_float_matrix, check_all_finite, check_int
from ..exceptions import check_fitted
from ..nn.data import as_batches
from ..nn.gradients import SAMPLE_BLOCK, data_gradients, prior_gradients, prior_samples
from ..nn.parameters import ParameterLayout
from ..nn.per_sample import BACKENDS
from . import diagnostics, distributed, persistence
from .checkpoint import Checkpoint
from .results import Bootstrap, Convergence, LayerImportance
from .rows import DiskRows, MemoryRows
from .solvers import SOLVERS

SAMPLINGS = ("prior", "data")


def _as_arrays(chunks):
    """``(gradients, losses)`` numpy views of the gradient generators' host chunks. Each chunk is
    released before the next is computed, so that only one chunk × D block is alive at a time."""
    for chunk in chunks:
        yield chunk[1].numpy(), chunk[2].numpy()
        del chunk


class ActiveSubspace:
    """Estimate the active subspace of a loss over a network's parameters.

    C = E[∇f ∇fᵀ] ≈ (1/N) Σ_j ∇f_j ∇f_jᵀ = Ŵ Λ̂ Ŵᵀ, from N per-sample gradients ∇f_j.

    Parameters
    ----------
    method : {"snapshot", "gram", "randomized", "sketch"}
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
    n_components : int or None
        Eigenvectors to keep (k). None keeps all of them (``"randomized"``: 100).
    sketch_size : int or None
        Columns of the Nyström sketch for ``method="sketch"`` (default 2 n_components + 10).
    full_spectrum : bool
        Also compute every eigenvalue (LAPACK, values only: about half the time of all
        eigenpairs), so that ``eigenvalues_`` holds the whole spectrum while ``eigenvectors_``
        holds only the top k. Not for ``"randomized"``.
    keep_gradients : bool
        Keep G (float32, N × D) after fitting: needed by :meth:`bootstrap` and
        :meth:`convergence`. ``"snapshot"`` and ``"randomized"`` need it to fit anyway. With a
        checkpoint, G lives in a memory-mapped file beside it.
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
    eigenvectors_ : ndarray (D, k), orthonormal columns Ŵ
    parameter_layout_ : ParameterLayout
    n_samples_ : int
    gradients_ : ndarray (N, D) float32 or None
    losses_ : ndarray (N,) or None — the loss at each sample
    stream_convergence_ : StreamConvergence or None — with ``fit(stream_sizes=...)``, the estimate along the stream
    timings_ : dict — wall seconds of each stage
    """

    def __init__(self, method: str = "snapshot", n_components: int | None = None, *,
                 full_spectrum: bool = False, sketch_size: int | None = None, keep_gradients: bool = True,
                 chunk_size: int | None = None, backend: str = "auto", progress: bool = True):
        if method not in SOLVERS:
            raise ValueError(f"method must be one of {tuple(SOLVERS)}, got {method!r}")
        solver = SOLVERS[method]
        if full_spectrum and not solver.full_spectrum_possible:
            raise ValueError(f"full_spectrum needs method='snapshot' or 'gram': {method!r} computes only the top k")
        if solver.needs_n_components and n_components is None:
            raise ValueError(f"method={method!r} needs n_components (it holds only the leading directions)")
        if n_components is not None:
            check_int(n_components, "n_components", minimum=1)
        if sketch_size is not None:
            check_int(sketch_size, "sketch_size", minimum=1)
            if method == "sketch" and n_components > sketch_size:
                raise ValueError(f"n_components={n_components} exceeds sketch_size={sketch_size}: "
                                 "a sketch of s columns yields at most s eigenpairs")
        if chunk_size is not None:
            check_int(chunk_size, "chunk_size", minimum=1)
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
        self.method, self.n_components, self.full_spectrum = method, n_components, full_spectrum
        self.sketch_size, self.keep_gradients, self.chunk_size = sketch_size, keep_gradients, chunk_size
        self.backend, self.progress = backend, progress

    # ------------------------------------------------------------------ fitting
    def fit(self, model: torch.nn.Module, loss_fn, data, *, n_samples: int | None = None,
            sampling: str = "prior", seed: int = 0, scale: float = 1.0, centered: bool = False,
            prior_batches: int | None = None, device=None, mode: str = "eval", checkpoint=None,
            checkpoint_every: int = 1000, resume: bool = False, stream_sizes=None):
        """Sample gradients of ``loss_fn(model(inputs), targets)`` and estimate the subspace.

        Parameters
        ----------
        model : torch.nn.Module — its trainable parameters span the space (D of them). Any
            module: layers torch.func cannot batch fall back to a per-sample loop (``backend``).
        loss_fn : callable(predictions, targets) -> scalar tensor, e.g. ``torch.nn.MSELoss()``.
        data : a pair ``(inputs, targets)`` of tensors, or a re-iterable of such batches (a
            ``DataLoader``, a list); ``inputs`` a tensor, a tuple/list (``model(*inputs)``) or a
            dict (``model(**inputs)``) of tensors (see :mod:`netscope.nn.data`). Read batch by
            batch: the dataset is never held whole.
        n_samples : int or None — N. Prior: None means D (the seed found N ≳ D is needed);
            data: None means one gradient per example of ``data``, in order.
        sampling : "prior" — parameters x_j ~ N(c, scale² I), the mean loss over all of ``data``
            (summed batch by batch; c = 0, or the model's parameters if ``centered``); "data" —
            the model's current parameters, one gradient per example (the empirical Fisher).
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
            :class:`netscope.active.results.StreamConvergence`) then holds ``sizes``, ``eigenvalues``, ``eigenvalue_error`` (largest relative error of
            the top k against the final estimate) and ``distance_to_previous`` (sin θ_max
            between the top-k subspaces of consecutive sizes): how the estimate settled,
            without keeping the gradients. Each record costs one top-k solve. A resumed run
            records from where it resumed.

        Under ``torch.distributed`` (an initialised process group of several ranks, e.g. from
        ``torchrun``) each rank computes the gradients of its share of whole chunks; the
        accumulators are all-reduced (the gradients all-gathered for "snapshot" and
        "randomized"), and every rank ends with the single-process result up to the order of
        the sums. With a checkpoint, rank r writes ``<file>.rank<r>``.

        The estimator's fitted state changes only when the fit succeeds. Returns ``self``.
        Cost: N forward/backward passes in torch, then as ``method`` says.
        """
        if sampling not in SAMPLINGS:
            raise ValueError(f"sampling must be one of {SAMPLINGS}, got {sampling!r}")
        layout = ParameterLayout.from_module(model)
        seed = check_int(seed, "seed", minimum=0)
        if resume and checkpoint is None:
            raise ValueError("resume=True needs checkpoint= (the file to resume from)")
        batches = as_batches(data)
        rank, world = distributed.rank_and_size()
        if sampling == "prior":
            n = layout.n_parameters if n_samples is None else check_int(n_samples, "n_samples", minimum=1)
            chunk_size = self.chunk_size or 4 * SAMPLE_BLOCK
            prior = {"seed": seed, "scale": float(scale), "center": layout.flatten(model) if centered else None}
        else:
            n = batches.n_examples if n_samples is None else check_int(n_samples, "n_samples", minimum=1)
            chunk_size = self.chunk_size or 1000
            prior = None
            if checkpoint is not None and batches.shuffles:
                raise ValueError("checkpoint: the loader shuffles, so a resumed run would meet other examples; "
                                 "use shuffle=False with sampling='data' and a checkpoint")
        first, stop = distributed.sample_range(n, chunk_size, rank, world)
        if stream_sizes is not None and (self._solver_class.keeps_rows or world > 1):
            raise ValueError("stream_sizes needs a streaming method (method='gram' or 'sketch') in one process")

        solver = self._new_solver(layout.n_parameters, seed)
        rows, losses, saver = MemoryRows(layout.n_parameters), [], None
        if checkpoint is not None:
            every = check_int(checkpoint_every, "checkpoint_every", minimum=1)
            path = os.fspath(checkpoint) if world == 1 else f"{os.fspath(checkpoint)}.rank{rank}"
            disk = DiskRows(Checkpoint.rows_path(path), stop - first, layout.n_parameters) if self._keeps_rows else None
            saver = Checkpoint(path, every, {
                "method": self.method, **solver.settings(), "keep_gradients": self._keeps_rows,
                "n_parameters": layout.n_parameters, "n_samples": n, "sampling": sampling, "seed": seed,
                "scale": float(scale), "centered": centered, "prior_batches": prior_batches, "mode": mode,
                "backend": self.backend, "chunk_size": chunk_size, "rank": rank, "world_size": world}, rows=disk)
            state = solver.state
            restored = saver.begin(None if state is None else type(state), resume=resume)
            if restored is not None:
                solver.state, losses, count = restored
                first += count
            rows = disk or rows
        options = {"chunk_size": chunk_size, "start": first, "device": device, "mode": mode,
                   "backend": self.backend, "progress": self.progress and rank == 0}
        if first >= stop:
            chunks = iter(())
        elif sampling == "prior":
            chunks = prior_gradients(model, loss_fn, batches, n_samples=stop, seed=seed, scale=scale,
                                     centered=centered, prior_batches=prior_batches, **options)
        else:
            chunks = data_gradients(model, loss_fn, batches, n_samples=stop, seed=seed, **options)
        monitor = None if stream_sizes is None else diagnostics.StreamMonitor(
            stream_sizes, min(10, self.n_components or 10), solver.current)
        with contextlib.closing(chunks) if hasattr(chunks, "close") else contextlib.nullcontext():
            return self._fit_chunks(_as_arrays(chunks), layout, solver=solver, rows=rows, losses=losses,
                                    checkpoint=saver, monitor=monitor, across_ranks=world > 1,
                                    sampling=sampling, prior=prior, screened=True)

    @property
    def _solver_class(self):
        return SOLVERS[self.method]

    @property
    def _keeps_rows(self) -> bool:
        """Whether a fit keeps G: asked to, or needed by the method."""
        return self.keep_gradients or self._solver_class.keeps_rows

    def _new_solver(self, dim: int, seed: int = 0):
        sketch_size = self.sketch_size or 2 * (self.n_components or 0) + 10
        return self._solver_class(dim, sketch_size=sketch_size, seed=seed)

    def fit_gradients(self, chunks, *, layout: ParameterLayout | None = None):
        """Estimate the subspace from gradients you computed: an iterable of (n, D) arrays.

        ``layout`` (optional) names the coordinates for :meth:`layer_importance` and the plots.
        Returns ``self``.
        """
        if isinstance(chunks, np.ndarray):
            chunks = [chunks]
        return self._fit_chunks(((chunk, None) for chunk in chunks), layout, sampling="given", prior=None)

    def _fit_chunks(self, chunks, layout, *, sampling, prior, solver=None, rows=None, losses=(), checkpoint=None,
                    monitor=None, across_ranks=False, screened=False):
        """Feed the chunks to the solver (kept rows, checkpoints, the stream monitor alongside),
        then solve; assign the fitted state only at the end, when everything succeeded. Chunks
        not ``screened`` for NaN/inf on their way (the gradient streams screen theirs on the
        device) are checked here, once."""
        start = time.perf_counter()
        losses = list(losses)
        dim = layout.n_parameters if layout is not None else None
        rows = rows if rows is not None else MemoryRows(dim)
        count = solver.state.count if solver is not None and solver.state is not None else rows.count
        for index, (chunk, chunk_losses) in enumerate(chunks):
            chunk = as_float_matrix(chunk, f"gradient chunk {index}")
            if dim is None:
                dim = rows.dim = chunk.shape[1]
            if chunk.shape[1] != dim:
                raise ValueError(f"gradient chunk {index} has {chunk.shape[1]} columns, expected {dim}"
                                 + (" (the layout's parameter count)" if layout is not None else " (as the first)"))
            if solver is None:
                solver = self._new_solver(dim)
            if not screened:
                check_all_finite(chunk, f"gradient chunk {index}")
            solver.consume(chunk)
            if self._keeps_rows:
                rows.append(chunk)
            count += len(chunk)
            if chunk_losses is not None:
                losses.append(chunk_losses)
            if checkpoint is not None:
                checkpoint.after_chunk(count, solver.state, losses)
            if monitor is not None:
                monitor.after_chunk(count)
            del chunk  # not needed while the next chunk is computed
        if dim is None:
            raise ValueError("chunks: no gradients were given")
        if checkpoint is not None:
            checkpoint.save(count, solver.state, losses)
        G = rows.stacked() if self._keeps_rows else None
        losses = np.concatenate(losses).astype(np.float64) if losses else None
        if across_ranks:
            if solver.state is not None:
                solver.state.all_reduce()
            if G is not None:
                G = distributed.gather_rows(G)
            if losses is not None:
                losses = distributed.gather_rows(losses)
        timings = {"gradients": time.perf_counter() - start}
        n = solver.state.count if solver.state is not None else len(G)

        start = time.perf_counter()
        k = self._components(solver, n, dim)
        values, vectors = solver.eigenpairs(G, k, self.full_spectrum)
        timings["eigendecomposition"] = time.perf_counter() - start

        self.eigenvalues_ = np.maximum(np.asarray(values, dtype=np.float64), 0.0)
        self.eigenvectors_ = np.asarray(vectors, dtype=np.float64)
        self.parameter_layout_ = layout
        self.sampling_ = sampling
        self._prior = prior
        self.n_samples_ = int(n)
        self.n_parameters_ = int(dim)
        self.gradients_ = G if self.keep_gradients else None
        self.losses_ = losses
        self.stream_convergence_ = None if monitor is None else monitor.result(
            self.eigenvalues_, self.eigenvectors_, self.n_samples_, self.n_parameters_)
        self.timings_ = timings
        return self

    def _components(self, solver, n: int, dim: int) -> int:
        if self.n_components is None:
            return solver.default_components(n)
        if self.n_components > min(n, dim):
            raise ValueError(
                f"n_components={self.n_components} exceeds min(n_samples, n_parameters) = {min(n, dim)}; "
                "ask for fewer components or draw more samples"
            )
        return self.n_components

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
            raise ValueError("layer_importance needs a parameter layout: fit() a model, or pass layout= to fit_gradients()")
        return diagnostics.layer_importance(self.parameter_layout_, self.eigenvectors_, k)

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

    def sufficient_summary(self, n_active: int = 1):
        """Data for a sufficient-summary plot: ``(active_variables (N, n_active), losses (N,))``.

        The prior samples are regenerated from their seeds (nothing N × D was stored for them)
        and projected on the first ``n_active`` eigenvectors. Only for ``sampling="prior"``.
        O(N D n_active).
        """
        n_active = self._check_k(n_active, "n_active")
        if self._prior is None or self.losses_ is None:
            raise ValueError("sufficient_summary needs a fit with sampling='prior'")
        layout, W = self.parameter_layout_, self.eigenvectors_[:, :n_active]
        active = np.empty((self.n_samples_, n_active))
        # Whole blocks of float32 samples, about 64 MB of them at a time, widened to float64 a
        # few rows at a time for the product.
        step = SAMPLE_BLOCK * max(1, 2**24 // (SAMPLE_BLOCK * self.n_parameters_))
        rows = max(1, 2**23 // self.n_parameters_)
        starts = range(0, self.n_samples_, step)
        for start in tqdm(starts, desc="sufficient summary", unit="block", disable=not self.progress or len(starts) < 4):
            stop = min(start + step, self.n_samples_)
            samples = prior_samples(layout, start, stop, **self._prior).numpy()
            for first in range(0, stop - start, rows):
                last = min(first + rows, stop - start)
                active[start + first:start + last] = samples[first:last].astype(np.float64) @ W
        return active, self.losses_

    # ------------------------------------------------------------------ diagnostics
    def bootstrap(self, n_boot: int = 100, k: int | None = None, *, confidence: float = 0.95,
                  seed: int = 0) -> Bootstrap:
        """Bootstrap intervals for the top-k eigenvalues and the subspace distance of every
        dimension r = 1..k (Constantine & Gleich 2014), from the kept gradients: a
        :class:`netscope.active.results.Bootstrap`. Cost: O(n_boot N D k)."""
        G = self._require_gradients("bootstrap")
        n_boot = check_int(n_boot, "n_boot", minimum=2)
        return diagnostics.bootstrap(G, self.eigenvalues_, self.eigenvectors_, n_boot=n_boot, k=self._check_k(k),
                                     confidence=confidence, seed=seed, progress=self.progress)

    def convergence(self, sizes=None, k: int | None = None) -> Convergence:
        """How the top-k estimate from the first n samples approaches the one from all N (the
        seed's claim is that reliable estimates need n ≳ D): a
        :class:`netscope.active.results.Convergence`. Default sizes: a geometric grid from 2k
        to N. Cost: O(Σ n D k)."""
        G = self._require_gradients("convergence")
        return diagnostics.convergence(G, self.eigenvalues_, self.eigenvectors_, sizes=sizes, k=self._check_k(k))

    # ------------------------------------------------------------------ persistence
    def save(self, path) -> None:
        """Write the fitted result to an ``.npz`` file (no pickle; gradients are not saved)."""
        check_fitted(self, "eigenvalues_")
        persistence.save(self, path)

    @classmethod
    def load(cls, path) -> "ActiveSubspace":
        """Read a result written by :meth:`save`. Diagnostics that need gradients are unavailable."""
        return persistence.load(cls, path)

    def __repr__(self) -> str:
        fitted = f", fitted on {self.n_samples_} samples of D={self.n_parameters_}" if hasattr(self, "eigenvalues_") else ""
        return f"ActiveSubspace(method={self.method!r}, n_components={self.n_components}{fitted})"
