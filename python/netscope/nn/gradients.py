"""Per-sample loss gradients with respect to a network's parameters, computed by torch in chunks.

Two sampling modes:

- *prior*: parameter vectors x_j ~ N(c, σ² I) (c = 0, or the model's current parameters); the
  gradient of the loss over the whole dataset at each x_j.
- *data*: the model's current parameters; one gradient per training example (the empirical
  Fisher).

Both batch over samples with ``torch.func.vmap(grad(...))`` on ``functional_call``, chunk by
chunk, so N × D is never needed in memory at once; where vmap cannot batch a layer, a per-sample
autograd loop takes over (:mod:`netscope.per_sample`). ``data`` is a tensor pair or a re-iterable
of batches (:mod:`netscope.data`), read batch by batch. Work happens on the model's device; each
chunk of gradients crosses to host memory once, as it leaves. The network is in eval mode while
its gradients are taken (``mode``, :mod:`netscope.modes`), and every module's mode is restored.

The prior stream comes in blocks of ``SAMPLE_BLOCK`` samples, block b drawn on the host from the
seed ``(seed, b)`` and then moved to the device: the stream is the same whatever the chunk size
and the device, and any sample can be recomputed from its index alone.
"""

from __future__ import annotations

import itertools

import numpy as np
import torch
from torch.func import functional_call
from tqdm.auto import tqdm

from ..core._validation import check_int
from .data import as_batches, batch_to, examples_in, map_tensors, model_device
from .modes import check_mode, modes
from .outputs import Objective
from .parameters import ParameterLayout
from .per_sample import PerSampleGradients

SAMPLE_BLOCK = 64


def _raise_on_nonfinite(gradients: torch.Tensor, first_index: int, what: str) -> None:
    """ValueError naming the first row of ``gradients`` that holds NaN or inf. Row sums screen
    (a NaN or inf makes its row's sum non-finite; one pass, no n × D mask: 20× cheaper than
    ``isfinite`` on every entry), then the rows they flag are checked entry by entry, since a
    finite row can also overflow its sum. O(n D).
    """
    suspects = torch.nonzero(~torch.isfinite(gradients.sum(dim=1))).flatten()
    broken = suspects[~torch.isfinite(gradients[suspects]).all(dim=1)]
    if len(broken):
        bad = first_index + int(broken[0])
        raise ValueError(
            f"the loss gradient of {what} {bad} holds NaN or inf; check the loss, the data, or lower the prior scale"
        )


def _to_host(pieces, first: int, stop: int, *, what: str, desc: str, unit: str, progress: bool):
    """Yield ``(start, gradients, losses)`` on the host for the device pieces ``(start, gradients,
    losses)`` of samples ``first`` .. ``stop - 1``.

    Each piece is checked on its device (NaN or inf raises ValueError naming the ``what`` and
    its index), crosses to host memory once, and is dropped before the next is computed, so only
    one chunk × D block is alive at a time.
    """
    with tqdm(total=stop, initial=first, desc=desc, unit=unit, disable=not progress) as bar:
        for start, gradients, losses in pieces:
            _raise_on_nonfinite(gradients, start, what)
            dtype = gradients.dtype if gradients.dtype in (torch.float32, torch.float64) else torch.float32
            host = [gradients.detach().to("cpu", dtype)]
            del gradients
            bar.update(len(host[0]))
            # Popped as it is yielded: the suspended generator keeps no reference, so the caller
            # frees the chunk as soon as it is done with it.
            yield start, host.pop(), losses.detach().to("cpu", torch.float64)


def _stream_setup(model, loss_fn, data, device, mode, target_key):
    """``(layout, objective, batches, device)`` of a gradient stream, every argument checked."""
    layout = ParameterLayout.from_module(model)
    objective = Objective(loss_fn, target_key)
    batches = as_batches(data, "data", target_key)
    if objective.needs_targets:
        batches.require_targets("loss_fn")
    device = model_device(model, device)
    check_mode(model, mode)
    return layout, objective, batches, device


class PriorSamples:
    """The prior stream's parameter vectors, read chunk after chunk in order.

    It keeps the generator of the block it is in, so that consecutive chunks draw every number
    once; a read that does not go on from the last one starts its block's generator afresh and
    draws the rows of the block before ``start`` one at a time into an O(D) scratch (numpy's
    stream is the same however it is split). Without it, chunks of 16 in blocks of 64 drew 2.5
    rows per row they used. Memory O(D) besides the rows returned; one read from anywhere costs
    O((stop - start + SAMPLE_BLOCK) D).
    """

    def __init__(self, layout: ParameterLayout, *, seed: int, scale: float, center: np.ndarray | None):
        self.layout, self.seed, self.scale, self.center = layout, seed, scale, center
        self._block: int | None = None
        self._generator: np.random.Generator | None = None
        self._next_row = -1

    def rows(self, start: int, stop: int) -> torch.Tensor:
        """Parameter vectors start..stop-1 as a float32 ``(stop-start, D)`` tensor. Cost
        O((stop - start) D) time when it goes on from the last read (else up to SAMPLE_BLOCK D
        more), O((stop - start) D) memory.
        """
        rows = np.empty((stop - start, self.layout.n_parameters), dtype=np.float32)
        row = start
        while row < stop:
            block = row // SAMPLE_BLOCK
            if (self._block, self._next_row) != (block, row):
                self._block, self._next_row = block, block * SAMPLE_BLOCK
                self._generator = np.random.default_rng([self.seed, block])
                skipped = np.empty(self.layout.n_parameters, dtype=np.float32) if row > self._next_row else None
                for _ in range(row - self._next_row):
                    self._generator.standard_normal(out=skipped, dtype=np.float32)
            high = min(stop, (block + 1) * SAMPLE_BLOCK)
            assert self._generator is not None  # set above on the first read
            self._generator.standard_normal(out=rows[row - start : high - start], dtype=np.float32)
            self._next_row = row = high
        rows *= np.float32(self.scale)
        if self.center is not None:
            rows += self.center
        return torch.from_numpy(rows)


def prior_gradients(
    model,
    loss_fn,
    data,
    *,
    n_samples: int,
    seed: int = 0,
    scale: float = 1.0,
    centered: bool = False,
    chunk_size: int = 4 * SAMPLE_BLOCK,
    start: int = 0,
    prior_batches: int | None = None,
    device=None,
    mode: str = "eval",
    backend: str = "auto",
    target_key: str | None = None,
    progress: bool = True,
):
    """Yield ``(start, gradients, losses)`` for prior samples ``start`` .. ``n_samples - 1``, chunk
    by chunk (chunks begin at ``start`` + multiples of ``chunk_size``).

    ``gradients`` is a host ``(n, D)`` tensor (float32, or float64 for a float64 model): row i is
    ∇f at sample ``start + i``, where f(x) is the mean loss of ``model_x`` over the whole
    dataset; ``losses`` holds f. Over batches, f = Σ_b (n_b / N) ``loss_fn(model_x(inputs_b),
    targets_b)``, exact for a loss that averages over its batch (torch's default); a loss with
    ``reduction="sum"`` is summed unweighted. ``prior_batches`` = m takes the first m batches
    as a fixed subset: faster, but then C is that subset's, not the dataset's (biased: E over
    subsets of ∇f_S ∇f_Sᵀ exceeds ∇f ∇fᵀ by the subsets' covariance), and the loader must not
    shuffle. ``loss_fn=None`` takes the model's own loss (the targets passed to the model as
    ``target_key``, :class:`netscope.nn.outputs.Objective`); a Hugging Face language model's own
    loss averages over a batch's tokens, so its batches are weighted n_b / N as well. ``device``,
    ``mode``, ``backend`` and ``target_key`` as for :class:`netscope.ActiveSubspace`.
    Cost: O(n_samples × one forward and backward pass over the (used) data), the data read
    once per chunk; memory O(chunk_size × (D + activations of one batch)).
    """
    layout, objective, batches, device = _stream_setup(model, loss_fn, data, device, mode, target_key)
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    chunk_size = check_int(chunk_size, "chunk_size", minimum=1)
    first = check_int(start, "start", minimum=0, maximum=n_samples)
    if not (np.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive number, got {scale}")
    center = layout.flatten(model) if centered else None
    dtype = next(p.dtype for p in model.parameters() if p.requires_grad)
    if prior_batches is not None:
        prior_batches = check_int(prior_batches, "prior_batches", minimum=1)
        if batches.shuffles:
            raise ValueError(
                "prior_batches: the loader shuffles, so its first batches differ on every pass; "
                "use shuffle=False for a fixed subset"
            )
        fixed = list(itertools.islice(((inputs, targets) for _, inputs, targets in batches), prior_batches))
    elif batches.is_pair:
        fixed = [(inputs, targets) for _, inputs, targets in batches]
    else:
        fixed = None  # the loader is read afresh for every chunk
    if fixed is not None:
        fixed = [batch_to(device, *batch) for batch in fixed]  # moved to the device once
    n_used = sum(examples_in(*batch) for batch in fixed) if fixed is not None else batches.n_examples
    summed = getattr(loss_fn, "reduction", "mean") == "sum"

    def loss_at(params, inputs, targets):
        args, kwargs = objective.arguments(inputs, targets)
        return objective(functional_call(model, params, args, kwargs, strict=False), targets)

    per_sample = PerSampleGradients(
        loss_at,
        (0, None, None),
        model=model,
        device=device,
        backend=backend,
        randomness=None if mode == "eval" else (seed,),
        what="parameter sample",
    )

    prior = PriorSamples(layout, seed=seed, scale=scale, center=center)

    def chunk(start, stop):
        samples = prior.rows(start, stop).to(device, dtype)
        params = layout.unflatten_rows(samples)
        total = losses = None
        stream = fixed if fixed is not None else (batch_to(device, inputs, targets) for _, inputs, targets in batches)
        for index, (inputs, targets) in enumerate(stream):
            parts, batch_losses = per_sample(start, params, inputs, targets, key=(index,))
            weight = 1.0 if summed else examples_in(inputs, targets) / n_used
            rows = layout.concatenate_rows(parts)
            del parts
            total = rows.mul_(weight) if total is None else total.add_(rows, alpha=weight)
            losses = batch_losses * weight if losses is None else losses.add_(batch_losses, alpha=weight)
            del rows
        return total, losses

    def pieces():
        for begin in range(first, n_samples, chunk_size):
            yield (begin, *chunk(begin, min(begin + chunk_size, n_samples)))

    with modes(model, mode):
        yield from _to_host(
            pieces(), first, n_samples, what="prior sample", desc="prior gradients", unit="sample", progress=progress
        )


def data_gradients(
    model,
    loss_fn,
    data,
    *,
    n_samples: int | None = None,
    chunk_size: int = 1000,
    start: int = 0,
    device=None,
    mode: str = "eval",
    backend: str = "auto",
    seed: int = 0,
    target_key: str | None = None,
    progress: bool = True,
):
    """Yield ``(start, gradients, losses)``: one gradient per example, at the current parameters.

    Row i of the host ``(n, D)`` ``gradients`` (float32, or float64 for a float64 model) is ∇ of
    ``loss_fn(model(x), y)`` for example ``start + i`` of ``data`` alone (examples ``start`` ..
    ``n_samples - 1`` in the order ``data`` gives them; ``n_samples`` = None takes them all;
    ``loss_fn=None``: the model's own loss on that example alone). Pieces are cut at each
    batch's start + multiples of ``chunk_size``. ``device``, ``mode``, ``backend``,
    ``target_key`` as for :class:`netscope.ActiveSubspace`; ``seed`` seeds dropout in
    ``mode="dropout"``.
    Cost: O(n_samples × one per-example forward and backward pass); memory O(chunk_size × D).
    """
    layout, objective, batches, device = _stream_setup(model, loss_fn, data, device, mode, target_key)
    n_samples = (
        batches.n_examples
        if n_samples is None
        else check_int(n_samples, "n_samples", minimum=1, maximum=batches.n_examples)
    )
    chunk_size = check_int(chunk_size, "chunk_size", minimum=1)
    first = check_int(start, "start", minimum=0, maximum=n_samples)
    own = dict(model.named_parameters())
    own = {name: own[name] for name in layout.names}
    params = {name: p.detach() for name, p in own.items()}

    def one_example(inputs, target):
        """The example as a batch of one (targets may be None)."""
        return map_tensors(lambda t: t.unsqueeze(0), inputs), map_tensors(lambda t: t.unsqueeze(0), target)

    def loss_one(params, inputs, target):
        inputs, target = one_example(inputs, target)
        args, kwargs = objective.arguments(inputs, target)
        return objective(functional_call(model, params, args, kwargs, strict=False), target)

    def loss_direct(inputs, target):
        inputs, target = one_example(inputs, target)
        args, kwargs = objective.arguments(inputs, target)
        return objective(model(*args, **kwargs), target)

    per_sample = PerSampleGradients(
        loss_one,
        (None, 0, 0 if batches.has_targets else None),
        model=model,
        device=device,
        backend=backend,
        randomness=None if mode == "eval" else (seed,),
        direct=(loss_direct, own),
        what="example",
    )

    def gradients(begin, inputs, targets):
        parts, losses = per_sample(begin, params, *batch_to(device, inputs, targets))
        return layout.concatenate_rows(parts), losses

    def pieces():
        for begin, inputs, targets in batches.pieces(chunk_size, first, n_samples):
            yield (begin, *gradients(begin, inputs, targets))

    with modes(model, mode):
        yield from _to_host(
            pieces(), first, n_samples, what="example", desc="per-example gradients", unit="example", progress=progress
        )
