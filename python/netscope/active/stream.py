"""A fit's gradient stream, opened: where its chunks come from (the prior or the data, this rank's
share, after a checkpoint's count), which solver takes them, what is kept and checkpointed, and
what is recorded along the way. :func:`open_stream` checks every argument before any gradient is
computed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..core._validation import check_int
from ..nn.data import as_batches
from ..nn.gradients import SAMPLE_BLOCK, data_gradients, prior_gradients
from ..nn.parameters import ParameterLayout
from . import diagnostics, distributed
from .checkpoint import Checkpoint, PassCheckpoint
from .layer_blocks import LayerBlocks
from .rows import DiskRows, MemoryRows
from .solvers import method_names

if TYPE_CHECKING:
    from .settings import FitSettings

SAMPLINGS = ("prior", "data")


@dataclass
class Stream:
    """The chunks of a fit and what consumes them. ``source`` yields ``(start, gradients, losses)``
    host tensors (or, for gradients a user computed, ``chunks`` yields ``(gradients, None)``).
    """

    layout: ParameterLayout | None
    sampling: str
    source: object = None
    chunks: object = None
    prior: dict | None = None
    solver: object = None
    rows: object = None
    losses: list = field(default_factory=list)
    checkpoint: Checkpoint | PassCheckpoint | None = None
    blocks: LayerBlocks | None = None
    monitor: diagnostics.StreamMonitor | None = None
    across_ranks: bool = False
    screened: bool = False

    def __post_init__(self):
        if self.source is not None:
            self.chunks = _as_arrays(self.source)

    def close(self) -> None:
        """Close the gradient generator (its finally blocks restore the model's modes)."""
        if hasattr(self.source, "close"):
            self.source.close()


def _as_arrays(chunks):
    """``(gradients, losses)`` numpy views of the gradient generators' host chunks. Each chunk is
    released before the next is computed, so that only one chunk × D block is alive at a time.
    """
    for chunk in chunks:
        yield chunk[1].numpy(), chunk[2].numpy()
        del chunk


def check_replayable(data, *, sampling, what: str) -> None:
    """Refuse what a stream read more than once (by ``what``, e.g. "keep_projections") cannot
    do: a loader whose order changes between passes in data sampling.
    """
    if sampling == "data" and as_batches(data).shuffles:
        raise ValueError(
            f"data: the loader shuffles, but {what} must meet the same examples in every pass; use shuffle=False"
        )


def open_stream(
    settings: FitSettings, model, loss_fn, data, *, replay: bool = False, layer_blocks: bool = False
) -> Stream:
    """The stream of a fit with ``settings`` (see :class:`netscope.active.settings.FitSettings`):
    ``model``'s gradients of ``loss_fn`` over ``data``, and the solver of the settings' method to
    take them; with ``replay``, the same gradients again without a solver (nothing allocated for
    one); with ``layer_blocks``, a :class:`LayerBlocks` to fill along it. Checks ``fit``'s
    arguments before any gradient is computed. O(one pass over a loader to count it, a
    checkpoint's size on resume).
    """
    sampling, checkpoint = settings.sampling, settings.checkpoint
    if sampling not in SAMPLINGS:
        raise ValueError(f"sampling must be one of {SAMPLINGS}, got {sampling!r}")
    layout = ParameterLayout.from_module(model)
    seed = check_int(settings.seed, "seed", minimum=0)
    if settings.resume and checkpoint is None:
        raise ValueError("resume=True needs checkpoint= (the file to resume from)")
    batches = as_batches(data, "data", settings.target_key)
    rank, world = distributed.rank_and_size()
    if sampling == "prior":
        n = layout.n_parameters if settings.n_samples is None else check_int(settings.n_samples, "n_samples", minimum=1)
        chunk_size = settings.chunk_size or 4 * SAMPLE_BLOCK
        prior = {
            "seed": seed,
            "scale": float(settings.scale),
            "center": layout.flatten(model) if settings.centered else None,
        }
    else:
        n = batches.n_examples if settings.n_samples is None else check_int(settings.n_samples, "n_samples", minimum=1)
        chunk_size = settings.chunk_size or 1000
        prior = None
        if checkpoint is not None and batches.shuffles:
            raise ValueError(
                "checkpoint: the loader shuffles, so a resumed run would meet other examples; "
                "use shuffle=False with sampling='data' and a checkpoint"
            )
    first, stop = distributed.sample_range(n, chunk_size, rank, world)
    if world > 1 and settings.reads_again and -(-n // chunk_size) < world:
        raise ValueError(
            f"chunk_size: the {n} samples make {-(-n // chunk_size)} chunks of {chunk_size}, fewer than the "
            f"{world} ranks, and every rank reads its share in each pass; lower chunk_size"
        )
    if settings.stream_sizes is not None and (not settings.capabilities.estimates_along_stream or world > 1):
        raise ValueError(
            f"stream_sizes needs a streaming method (method={method_names(estimates_along_stream=True)}) in one process"
        )

    solver = None if replay else settings.new_solver(layout.n_parameters, seed)
    blocks = LayerBlocks(layout, seed=seed, sketch_dtype=settings.sketch_dtype) if layer_blocks else None
    rows: MemoryRows | DiskRows = MemoryRows(layout.n_parameters)
    losses: list = []
    saver: Checkpoint | PassCheckpoint | None = None
    if checkpoint is not None and settings.capabilities.replays_stream:
        assert solver is not None  # a replay writes no checkpoint
        # The passes' checkpoint is begun by the fit, which knows what a resumed pass skips.
        saver = PassCheckpoint.for_fit(
            settings,
            solver,
            n_parameters=layout.n_parameters,
            n_samples=n,
            seed=seed,
            chunk_size=chunk_size,
            rank=rank,
            world=world,
        )
    elif checkpoint is not None:
        assert solver is not None  # a replay writes no checkpoint
        saver = Checkpoint.for_fit(
            settings,
            solver,
            n_parameters=layout.n_parameters,
            n_samples=n,
            seed=seed,
            rows=stop - first,
            chunk_size=chunk_size,
            rank=rank,
            world=world,
            blocks=blocks,
        )
        state = solver.state
        restored = saver.begin(None if state is None else type(state), resume=settings.resume)
        if restored is not None:
            solver.state, losses, count = restored
            first += count
        rows = saver.rows or rows
    options = {
        "chunk_size": chunk_size,
        "start": first,
        "device": settings.device,
        "mode": settings.mode,
        "backend": settings.backend,
        "target_key": settings.target_key,
        "progress": settings.progress and rank == 0,
    }
    if first >= stop:
        chunks = iter(())
    elif sampling == "prior":
        chunks = prior_gradients(
            model,
            loss_fn,
            batches,
            n_samples=stop,
            seed=seed,
            scale=settings.scale,
            centered=settings.centered,
            prior_batches=settings.prior_batches,
            **options,
        )
    else:
        chunks = data_gradients(model, loss_fn, batches, n_samples=stop, seed=seed, **options)
    monitor = None
    if settings.stream_sizes is not None:
        assert solver is not None  # a replay records no estimate along the stream
        k = min(10, settings.n_components or 10)
        monitor = diagnostics.StreamMonitor(settings.stream_sizes, k, solver.current)
    return Stream(
        source=chunks,
        layout=layout,
        sampling=sampling,
        prior=prior,
        solver=solver,
        rows=rows,
        losses=losses,
        checkpoint=saver,
        blocks=blocks,
        monitor=monitor,
        across_ranks=world > 1,
        screened=True,
    )
