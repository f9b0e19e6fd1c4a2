"""Per-sample loss gradients with respect to a network's parameters, computed by torch in chunks.

Two sampling modes (see ../shared/DESIGN.md):

- *prior*: parameter vectors x_j ~ N(c, σ² I) (c = 0, or the model's current parameters); the
  gradient of the loss over the whole dataset at each x_j.
- *data*: the model's current parameters; one gradient per training example (the empirical
  Fisher).

Both batch over samples with ``torch.func.vmap(grad(...))`` on ``functional_call``, chunk by
chunk, so N × D is never needed in memory at once. The prior stream comes in blocks of
``SAMPLE_BLOCK`` samples, block b drawn from the seed ``(seed, b)``: the stream is the same
whatever the chunk size, and any sample can be recomputed from its index alone.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.func import functional_call, grad_and_value, vmap
from tqdm.auto import tqdm

from ._validation import check_int
from .parameters import ParameterLayout

SAMPLE_BLOCK = 64


def check_data(data):
    """Return ``(inputs, targets)`` from ``data``, checked: two tensors with one first dimension."""
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError("data must be a pair (inputs, targets) of tensors")
    inputs, targets = data
    for name, tensor in (("inputs", inputs), ("targets", targets)):
        if not isinstance(tensor, torch.Tensor):
            raise TypeError(f"data: {name} must be a torch.Tensor, got {type(tensor).__name__}")
    if len(inputs) == 0 or len(inputs) != len(targets):
        raise ValueError(
            f"data: inputs and targets must hold the same, non-zero number of examples, "
            f"got {len(inputs)} and {len(targets)}"
        )
    return inputs, targets


def _checked_loss(loss_fn, predictions, targets):
    loss = loss_fn(predictions, targets)
    if not isinstance(loss, torch.Tensor) or loss.ndim != 0:
        shape = tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__
        raise ValueError(
            f"loss_fn must return a scalar tensor (e.g. a mean), got {shape}; "
            "use reduction='mean' or 'sum'"
        )
    return loss


def _raise_on_nonfinite(gradients: torch.Tensor, first_index: int, what: str) -> None:
    finite = torch.isfinite(gradients).all(dim=1)
    if not bool(finite.all()):
        bad = first_index + int(torch.nonzero(~finite)[0])
        raise ValueError(
            f"the loss gradient of {what} {bad} holds NaN or inf; check the loss, the data, or "
            "lower the prior scale"
        )


def _chunks(layout: ParameterLayout, chunk_gradients, first: int, stop: int, chunk_size: int, *, what: str,
            desc: str, unit: str, progress: bool):
    """Yield ``(start, gradients, losses)`` for the chunks of ``first`` .. ``stop - 1``, where
    ``chunk_gradients(start, stop)`` returns torch.func's per-parameter gradients and the losses.

    Each chunk's arrays (chunk_size × D) are dropped before the next chunk is computed, so only
    one chunk is alive at a time; NaN or inf raises ValueError naming the ``what`` and its index.
    """
    with tqdm(total=stop, initial=first, desc=desc, unit=unit, disable=not progress) as bar:
        for start in range(first, stop, chunk_size):
            end = min(start + chunk_size, stop)
            gradient_parts, losses = chunk_gradients(start, end)
            gradients = layout.concatenate_rows(gradient_parts)
            del gradient_parts
            _raise_on_nonfinite(gradients, start, what)
            bar.update(end - start)
            yield start, gradients.detach(), losses.detach()
            del gradients


def prior_samples(layout: ParameterLayout, start: int, stop: int, *, seed: int, scale: float,
                  center: np.ndarray | None) -> torch.Tensor:
    """Parameter vectors start..stop-1 of the prior stream as a float32 ``(stop-start, D)`` tensor.

    Draws go straight into the result; the rows of a block before ``start`` are drawn one at a
    time into an O(D) scratch and dropped (numpy's stream is the same however it is split).
    Cost O((stop - start + SAMPLE_BLOCK) D) time, O((stop - start) D) memory.
    """
    rows = np.empty((stop - start, layout.n_parameters), dtype=np.float32)
    skipped = np.empty(layout.n_parameters, dtype=np.float32)
    for block in range(start // SAMPLE_BLOCK, (stop - 1) // SAMPLE_BLOCK + 1):
        first = block * SAMPLE_BLOCK
        generator = np.random.default_rng([seed, block])
        low, high = max(start, first), min(stop, first + SAMPLE_BLOCK)
        for _ in range(low - first):
            generator.standard_normal(out=skipped, dtype=np.float32)
        generator.standard_normal(out=rows[low - start:high - start], dtype=np.float32)
    rows *= np.float32(scale)
    if center is not None:
        rows += center
    return torch.from_numpy(rows)


def prior_gradients(model, loss_fn, data, *, n_samples: int, seed: int = 0, scale: float = 1.0,
                    centered: bool = False, chunk_size: int = 4 * SAMPLE_BLOCK, start: int = 0,
                    progress: bool = True):
    """Yield ``(start, gradients, losses)`` for prior samples ``start`` .. ``n_samples - 1``, chunk
    by chunk (chunks begin at ``start`` + multiples of ``chunk_size``).

    ``gradients`` is a float32 ``(n, D)`` tensor: row i is ∇f at sample ``start + i``, where
    f(x) = ``loss_fn(model_x(inputs), targets)`` over the whole dataset; ``losses`` holds f.
    Cost: O(n_samples × cost of one forward and backward pass over ``data``); memory
    O(chunk_size × (D + activations of the dataset)).
    """
    layout = ParameterLayout.from_module(model)
    inputs, targets = check_data(data)
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    chunk_size = check_int(chunk_size, "chunk_size", minimum=1)
    first = check_int(start, "start", minimum=0, maximum=n_samples)
    if not (np.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive number, got {scale}")
    center = layout.flatten(model) if centered else None

    def loss_at(params):
        predictions = functional_call(model, params, (inputs,), strict=False)
        return _checked_loss(loss_fn, predictions, targets)

    with torch.no_grad():
        loss_at(dict(model.named_parameters()))  # fail early on a non-scalar loss
    batched = vmap(grad_and_value(loss_at))

    def chunk_gradients(start, stop):
        return batched(layout.unflatten_rows(prior_samples(layout, start, stop, seed=seed, scale=scale,
                                                           center=center)))

    yield from _chunks(layout, chunk_gradients, first, n_samples, chunk_size, what="prior sample",
                       desc="prior gradients", unit="sample", progress=progress)


def data_gradients(model, loss_fn, data, *, n_samples: int | None = None, chunk_size: int = 1000,
                   start: int = 0, progress: bool = True):
    """Yield ``(start, gradients, losses)``: one gradient per example, at the current parameters.

    Row i of the float32 ``(n, D)`` ``gradients`` is ∇ of ``loss_fn(model(x), y)`` for example
    ``start + i`` of ``data`` alone (examples ``start`` .. ``n_samples - 1`` in order;
    ``n_samples`` = None takes them all).
    Cost: O(n_samples × one per-example forward and backward pass); memory O(chunk_size × D).
    """
    layout = ParameterLayout.from_module(model)
    inputs, targets = check_data(data)
    n_samples = len(inputs) if n_samples is None else check_int(
        n_samples, "n_samples", minimum=1, maximum=len(inputs))
    chunk_size = check_int(chunk_size, "chunk_size", minimum=1)
    first = check_int(start, "start", minimum=0, maximum=n_samples)
    trainable = set(layout.names)
    params = {name: p.detach() for name, p in model.named_parameters() if name in trainable}

    def loss_one(params, x, y):
        predictions = functional_call(model, params, (x.unsqueeze(0),), strict=False)
        return _checked_loss(loss_fn, predictions, y.unsqueeze(0))

    with torch.no_grad():
        loss_one(params, inputs[0], targets[0])  # fail early on a non-scalar loss
    batched = vmap(grad_and_value(loss_one), in_dims=(None, 0, 0))
    yield from _chunks(layout, lambda start, stop: batched(params, inputs[start:stop], targets[start:stop]),
                       first, n_samples, chunk_size, what="example", desc="per-example gradients", unit="example",
                       progress=progress)
