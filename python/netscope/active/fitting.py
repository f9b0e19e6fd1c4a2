"""A fit's stream consumed: every chunk through the solver (kept rows, checkpoints and the stream
monitor alongside), the ranks joined, the eigenpairs solved. The result is a :class:`Fitted`,
which the estimator takes as its fitted state in one step, so a failure anywhere leaves it as it
was.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..core._validation import as_float_matrix, check_all_finite
from . import distributed
from .rows import DiskRows, MemoryRows

if TYPE_CHECKING:
    from ..nn.parameters import ParameterLayout
    from .layer_blocks import LayerBlocks
    from .results import StreamConvergence
    from .settings import FitSettings


@dataclass(frozen=True)
class Fitted:
    """What a successful fit found (the estimator's attributes without the trailing underscore)."""

    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    layout: ParameterLayout | None
    sampling: str
    prior: dict | None
    n_samples: int
    n_parameters: int
    gradients: np.ndarray | None
    losses: np.ndarray | None
    stream_convergence: StreamConvergence | None
    timings: dict
    projections: np.ndarray | None = None
    layer_blocks: LayerBlocks | None = None
    residuals: np.ndarray | None = None


def attribute(field: str) -> str:
    """The estimator's attribute that holds the :class:`Fitted` ``field``: the field's name with a
    trailing underscore, but ``parameter_layout_`` for ``layout`` and the private ``_prior``.
    """
    return {"layout": "parameter_layout_", "prior": "_prior"}.get(field, field + "_")


def _components(settings: FitSettings, solver, n: int, dim: int) -> int:
    if settings.n_components is None:
        return solver.default_components(n)
    if settings.n_components > min(n, dim):
        raise ValueError(
            f"n_components={settings.n_components} exceeds min(n_samples, n_parameters) = {min(n, dim)}; "
            "ask for fewer components or draw more samples"
        )
    return settings.n_components


def _checked_chunks(stream, dim):
    """``(chunk, losses)`` of ``stream`` as float matrices of ``dim`` columns (None: as the first),
    each checked for NaN/inf unless the stream ``screened`` it on its device.
    """
    for index, (chunk, chunk_losses) in enumerate(stream.chunks):
        chunk = as_float_matrix(chunk, f"gradient chunk {index}")
        dim = chunk.shape[1] if dim is None else dim
        if chunk.shape[1] != dim:
            raise ValueError(
                f"gradient chunk {index} has {chunk.shape[1]} columns, expected {dim}"
                + (" (the layout's parameter count)" if stream.layout is not None else " (as the first)")
            )
        if not stream.screened:
            check_all_finite(chunk, f"gradient chunk {index}")
        yield chunk, chunk_losses


def solve_passes(settings: FitSettings, open_first, open_again) -> Fitted:
    """Read the stream ``n_passes`` times (``open_first()`` opens it with the fit's solver and
    checkpoint, ``open_again()`` anew without them: the same samples in the same order) into a
    :class:`netscope.active.solvers.MultipassSolver`, one block per pass, then its Rayleigh–Ritz
    eigenpairs. The losses are the first pass's. Stops early when the Krylov space is exhausted.
    With a checkpoint, the passes' state is saved after every pass, and a resumed fit goes on
    after the last pass saved (its first stream is then never read). Under ``torch.distributed``
    each rank reads its share of every pass, and each pass's product is summed over the ranks.
    Cost: n_passes × (the stream + O(N D b)) (+ a checkpoint's write a pass).
    """
    n_passes = settings.passes
    if n_passes is None:
        raise ValueError(f"n_passes: the passes of method={settings.method!r} are needed")
    start = time.perf_counter()
    first = open_first()
    solver, saver, across = first.solver, first.checkpoint, first.across_ranks
    layout, sampling, prior = first.layout, first.sampling, first.prior
    dim = layout.n_parameters if layout is not None else None
    done, more, n, losses = 0, True, None, None
    restored = None if saver is None else saver.begin(resume=settings.resume)
    if restored is not None:
        state, done, more, n, losses = restored
        solver.restore(state)
    for passes in range(done, n_passes if more else done):
        stream = first if passes == 0 else open_again()
        with contextlib.closing(stream):
            pass_losses = []
            for chunk, chunk_losses in _checked_chunks(stream, dim):
                dim = chunk.shape[1]
                if solver is None:  # gradients a user computed: D is known at the first chunk
                    solver = settings.new_solver(dim)
                solver.consume(chunk)
                if chunk_losses is not None:
                    pass_losses.append(chunk_losses)
                del chunk
        if solver is None:
            raise ValueError("the gradient stream gave no gradients")
        if n is not None and solver.count != n:
            raise ValueError(
                f"data: pass {passes + 1} of the stream gave {solver.count} gradients, the first {n}; "
                f"method={settings.method!r} needs the same samples in every pass"
            )
        n = solver.count
        if losses is None and pass_losses:
            losses = np.concatenate(pass_losses).astype(np.float64)
        more = solver.end_pass(passes < n_passes - 1, distributed.sum_over_ranks if across else None)
        if saver is not None:
            saver.save(passes + 1, solver.passes_state(), more=more, count=n, losses=losses)
        if not more:
            break
    first.close()  # unread when the fit resumed after its first pass
    # The loop ran at least once, and each pass gave gradients or raised.
    assert solver is not None and n is not None and dim is not None and sampling is not None
    if across:
        n = distributed.reduce_count(n)
        losses = None if losses is None else distributed.gather_rows(losses)
    timings = {"gradients": time.perf_counter() - start}
    start = time.perf_counter()
    values, vectors = solver.eigenpairs(None, _components(settings, solver, n, dim), False)
    timings["eigendecomposition"] = time.perf_counter() - start
    return Fitted(
        eigenvalues=np.maximum(values, 0.0),
        eigenvectors=vectors,
        layout=layout,
        sampling=sampling,
        prior=prior,
        n_samples=int(n),
        n_parameters=int(dim),
        gradients=None,
        losses=losses,
        stream_convergence=None,
        timings=timings,
        residuals=solver.residuals,
    )


def solve(settings: FitSettings, stream) -> Fitted:
    """Consume ``stream`` (a :class:`netscope.active.stream.Stream`) as a fit's ``settings`` say.
    Chunks not ``screened`` for NaN/inf on their way (the gradient streams screen theirs on the
    device) are checked here, once. Cost: the solver's per chunk, then its eigenpairs.
    """
    start = time.perf_counter()
    layout, solver, checkpoint, monitor = stream.layout, stream.solver, stream.checkpoint, stream.monitor
    loss_chunks = list(stream.losses)
    dim = layout.n_parameters if layout is not None else None
    rows: MemoryRows | DiskRows = stream.rows if stream.rows is not None else MemoryRows(dim)
    count = solver.state.count if solver is not None and solver.state is not None else rows.count
    for chunk, chunk_losses in _checked_chunks(stream, dim):
        if dim is None:
            dim = rows.dim = chunk.shape[1]
        if solver is None:
            solver = settings.new_solver(dim)
        solver.consume(chunk)
        if stream.blocks is not None:
            stream.blocks.update(chunk)
        if settings.keeps_rows:
            rows.append(chunk)
        count += len(chunk)
        if chunk_losses is not None:
            loss_chunks.append(chunk_losses)
        if checkpoint is not None:
            checkpoint.after_chunk(count, solver.state, loss_chunks)
        if monitor is not None:
            monitor.after_chunk(count)
        del chunk  # not needed while the next chunk is computed
    if dim is None:
        raise ValueError("chunks: no gradients were given")
    if checkpoint is not None:
        checkpoint.save(count, solver.state, loss_chunks)
    G = rows.stacked() if settings.keeps_rows else None
    losses = np.concatenate(loss_chunks).astype(np.float64) if loss_chunks else None
    if stream.across_ranks:
        if solver.state is not None:
            solver.state.all_reduce()
        if stream.blocks is not None:
            stream.blocks.all_reduce()
        if G is not None:
            G = distributed.gather_rows(G)
        if losses is not None:
            losses = distributed.gather_rows(losses)
    timings = {"gradients": time.perf_counter() - start}
    if solver.state is not None:
        n = solver.state.count
    else:
        assert G is not None  # a solver without a state keeps the rows
        n = len(G)

    start = time.perf_counter()
    values, vectors = solver.eigenpairs(G, _components(settings, solver, n, dim), settings.full_spectrum)
    timings["eigendecomposition"] = time.perf_counter() - start
    values = np.maximum(np.asarray(values, dtype=np.float64), 0.0)
    # A float32 sketch gives float32 vectors: widening them would double the largest array of a
    # run that chose float32 for its memory.
    vectors = np.asarray(vectors, dtype=np.float32 if vectors.dtype == np.float32 else np.float64)
    return Fitted(
        eigenvalues=values,
        eigenvectors=vectors,
        layout=layout,
        sampling=stream.sampling,
        prior=stream.prior,
        n_samples=int(n),
        n_parameters=int(dim),
        gradients=G if settings.keep_gradients else None,
        losses=losses,
        stream_convergence=None if monitor is None else monitor.result(values, vectors, n, dim),
        timings=timings,
        layer_blocks=stream.blocks,
    )


def add_projections(fitted: Fitted, open_replay) -> Fitted:
    """``fitted`` with each sample's coordinates in its directions, Z = G Ŵ ((N, k) float64), from
    the stream read again (``open_replay()`` opens it: the same samples in the same order), and
    the layer blocks the replay's stream fills, if it has them. Products in the chunks' own
    precision, one chunk alive at a time. Under ``torch.distributed`` each rank reads its share,
    and the projections are gathered and the blocks summed over the ranks. Cost: the stream once
    more + O(N D k) (+ the blocks'); memory O(N k).
    """
    start = time.perf_counter()
    vectors, parts, cast = fitted.eigenvectors, [], {}
    stream = open_replay()
    with contextlib.closing(stream):
        for chunk, _ in _checked_chunks(stream, fitted.n_parameters):
            if chunk.dtype not in cast:
                cast[chunk.dtype] = vectors.astype(chunk.dtype, copy=False)
            parts.append((chunk @ cast[chunk.dtype]).astype(np.float64))
            if stream.blocks is not None:
                stream.blocks.update(chunk)
            del chunk
    projections = np.concatenate(parts) if parts else np.zeros((0, vectors.shape[1]))
    if stream.across_ranks:  # each rank read its share; the blocks were filled from it
        projections = distributed.gather_rows(projections)
        if stream.blocks is not None:
            stream.blocks.all_reduce()
    if len(projections) != fitted.n_samples:
        raise ValueError(
            f"data: the replay gave {len(projections)} gradients, the fit {fitted.n_samples}; "
            "keep_projections needs the same samples in both passes"
        )
    timings = {**fitted.timings, "projections": time.perf_counter() - start}
    return dataclasses.replace(
        fitted,
        projections=projections,
        timings=timings,
        layer_blocks=stream.blocks if stream.blocks is not None else fitted.layer_blocks,
    )
