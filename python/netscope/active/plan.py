"""How a fit reads its gradients: once into the solver, ``n_passes`` times for a solver that
replays the stream, and once more for the projections (``keep_projections``); from a model's
per-sample gradients or from arrays a user computed. Each plan returns a
:class:`netscope.active.fitting.Fitted`, which the estimator takes in one step.
"""

from __future__ import annotations

import contextlib

import numpy as np

from ..nn.data import as_batches
from .fitting import Fitted, add_projections, solve, solve_passes
from .layer_blocks import LayerBlocks
from .settings import FitSettings
from .solvers import method_names
from .stream import Stream, check_replayable, open_stream


def fit_model(settings: FitSettings, model, loss_fn, data) -> Fitted:
    """The fit of :meth:`netscope.ActiveSubspace.fit` with ``settings``: ``model``'s gradients of
    ``loss_fn`` over ``data``, read as the method says. Cost: N forward/backward passes in torch
    per read, then as the method says.
    """
    capabilities = settings.capabilities
    if settings.reads_again:
        what = f"method={settings.method!r}" if capabilities.replays_stream else "keep_projections"
        check_replayable(data, sampling=settings.sampling, what=what)
        data = as_batches(data, "data", settings.target_key)  # one reader for every pass: it checks
        # that each pass meets the same examples
    if settings.checkpoint is not None and not capabilities.checkpoints:
        raise ValueError(
            f"checkpoint: method={settings.method!r} does not checkpoint (each pass is one gradient "
            "stream); lower n_passes, or use "
            + method_names(keeps_rows=False, full_spectrum_possible=False, replays_stream=False)
        )
    if settings.stream_sizes is not None and capabilities.replays_stream:
        raise ValueError(
            f"stream_sizes needs a single-pass streaming method ({method_names(estimates_along_stream=True)})"
        )
    again = settings.for_replay()

    def opened() -> Stream:
        return open_stream(settings, model, loss_fn, data, layer_blocks=settings.blocks_in_fit)

    def replay(layer_blocks: bool = False) -> Stream:
        return open_stream(again, model, loss_fn, data, replay=True, layer_blocks=layer_blocks)

    if capabilities.replays_stream:
        fitted = solve_passes(settings, opened, replay)
    else:
        stream = opened()
        with contextlib.closing(stream):
            fitted = solve(settings, stream)
        del stream  # and with it the solver's state (a sketch: D s numbers), before any replay
    if settings.keep_projections:
        fitted = add_projections(fitted, lambda: replay(layer_blocks=settings.layer_blocks))
    return fitted


def fit_chunks(settings: FitSettings, chunks, layout) -> Fitted:
    """The fit of :meth:`netscope.ActiveSubspace.fit_gradients` with ``settings``: ``chunks`` (an
    array, or an iterable of (n, D) arrays; re-iterable where the fit reads them again), their
    columns named by ``layout`` (or None). Cost: as the method says.
    """
    if isinstance(chunks, np.ndarray):
        chunks = [chunks]
    if settings.layer_blocks and layout is None:
        raise ValueError("layer_blocks needs layout= (which columns are which layer's)")

    def given(layer_blocks: bool = False) -> Stream:
        blocks = LayerBlocks(layout, sketch_dtype=settings.sketch_dtype) if layer_blocks else None
        return Stream(layout=layout, sampling="given", chunks=((chunk, None) for chunk in chunks), blocks=blocks)

    if settings.reads_again and iter(chunks) is chunks:
        raise ValueError(
            f"chunks: method={method_names(replays_stream=True)} and keep_projections read the gradients "
            "more than once; pass an array or a list of chunks, not a one-shot iterator"
        )
    if settings.capabilities.replays_stream:
        fitted = solve_passes(settings, given, given)
    else:
        fitted = solve(settings, given(settings.blocks_in_fit))
    if settings.keep_projections:
        fitted = add_projections(fitted, lambda: given(settings.layer_blocks))
    return fitted
