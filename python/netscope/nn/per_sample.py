r"""Gradients of a scalar function for each sample of a batch: torch.func.vmap, or an autograd loop.

``torch.func.vmap(grad_and_value(fn))`` computes a whole chunk of per-sample gradients in one
batched pass, but some layers cannot be batched that way: recurrent layers (GRU, LSTM), in-place
updates of a captured tensor, custom ``autograd.Function``\ s without a vmap rule. For those a
loop over the samples with ``torch.autograd.grad`` gives the same numbers to rounding, at one
small forward and backward pass per sample. :class:`PerSampleGradients` picks between them
(``backend="auto"``: vmap, and the loop, with one warning that names the layer, where vmap fails).
"""

from __future__ import annotations

import contextlib
import operator
import warnings

import numpy as np
import torch
from torch.func import grad_and_value, vmap

from .data import map_tensors, tensors_of

BACKENDS = ("auto", "vmap", "loop")
# vmap's own complaints, and the errors an unbatchable layer raises inside it.
_VMAP_FAILURES = (RuntimeError, NotImplementedError)


@contextlib.contextmanager
def seeded(seed_words, device: torch.device):
    """Within the block torch's generators (host, and ``device``'s) are seeded from
    ``seed_words``; outside, they are as they were: the caller's random stream is untouched.
    """
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices, device_type=device.type if devices else "cuda"):
        torch.manual_seed(int(np.random.SeedSequence(list(seed_words)).generate_state(1, np.uint64)[0] >> 1))
        yield


@contextlib.contextmanager
def _innermost_module(model: torch.nn.Module):
    """Yield a list that holds, should the block raise, the (name, module) pairs whose forward had
    begun and not ended, outermost first.
    """
    active, handles = [], []

    def enter(name, module):
        active.append((name, module))

    def leave(*_):  # a forward hook's return value would replace the output
        active.pop()

    for name, module in model.named_modules():
        handles.append(module.register_forward_pre_hook(lambda m, _, name=name: enter(name, m)))
        handles.append(module.register_forward_hook(leave))
    try:
        yield active
    finally:
        for handle in handles:
            handle.remove()


def _describe(active) -> str:
    if not active:
        return "an operation outside the model's layers (the loss, or the backward pass)"
    name, module = active[-1]
    return f"layer {name or '(the model itself)'!r} ({type(module).__name__})"


class PerSampleGradients:
    """``(gradients, losses)`` of ``fn(params, *args)`` for every sample along dimension 0.

    ``fn`` returns a scalar tensor; ``params`` is a dict of tensors and is what is differentiated;
    ``in_dims`` says, as for ``vmap``, which arguments carry the sample dimension (0) and which
    are shared (None); inside ``fn`` one sample's arguments come without that dimension.
    ``gradients`` is ``{name: (n, *shape)}``, ``losses`` is ``(n,)``.

    ``backend``: "vmap", "loop", or "auto" (vmap; on the first failure, one warning naming the
    layer and the loop from then on). ``randomness``: None, or a tuple of ints that seeds a
    model in a random mode (dropout on): vmap then draws different numbers per sample under the
    seed ``(*randomness, first)`` of the chunk, the loop under the seed of each sample, so a run
    is reproducible for a given backend and chunk size. ``direct``: optionally ``(loss, params)``
    where the shared ``params`` are the model's own parameters: the loop then calls
    ``loss(*args)`` on the module as it is, sparing ``functional_call``'s parameter swap (a
    quarter of a small network's per-sample time).
    Cost: vmap, one batched forward and backward per call; loop, n single-sample passes.
    """

    def __init__(
        self,
        fn,
        in_dims: tuple,
        *,
        model: torch.nn.Module,
        device: torch.device,
        backend: str = "auto",
        randomness=None,
        direct=None,
        what: str = "sample",
    ):
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
        self.fn, self.in_dims, self.model, self.device = fn, in_dims, model, device
        self.backend, self.randomness, self.direct, self.what = backend, randomness, direct, what
        self._batched = vmap(
            grad_and_value(fn), in_dims=in_dims, randomness="error" if randomness is None else "different"
        )

    def __call__(self, first: int, *args, key: tuple = ()):
        """Gradients of the samples ``first`` .. ``first + n - 1``; ``first`` and ``key`` (ints)
        seed dropout.
        """
        if self.backend == "loop":
            return self._loop(first, key, *args)
        with contextlib.ExitStack() as stack:
            if self.randomness is not None:
                stack.enter_context(seeded((*self.randomness, *key, 0, first), self.device))
            active = stack.enter_context(_innermost_module(self.model))
            try:
                return self._batched(*args)
            except _VMAP_FAILURES as error:
                failure, where = error, _describe(active)
        message = f"torch.func.vmap cannot batch {where}: {str(failure).splitlines()[0]}"
        if self.backend == "vmap":
            raise ValueError(
                f"backend='vmap': {message}; use backend='auto' or 'loop' (a per-sample loop)"
            ) from failure
        warnings.warn(
            f"{message}. Falling back to a per-{self.what} autograd loop: one forward and backward pass "
            f"per {self.what}, typically 5-50x slower than vmap; pass backend='loop' to skip this attempt.",
            RuntimeWarning,
            stacklevel=4,
        )
        self.backend = "loop"
        try:
            return self._loop(first, key, *args)
        except _VMAP_FAILURES as error:
            raise ValueError(
                f"the model fails on single {self.what}s too, so this is no vmap limit: {str(error).splitlines()[0]}"
            ) from error

    def _loop(self, first: int, key: tuple, *args):
        n = next(len(t) for arg, dim in zip(args, self.in_dims) if dim == 0 for t in tensors_of(arg))
        gradients: dict[str, list] = {}
        losses: list = []
        for i in range(n):
            one = [
                arg if dim is None else map_tensors(operator.itemgetter(i), arg) for arg, dim in zip(args, self.in_dims)
            ]
            if self.direct is None:
                params = {name: value.detach().requires_grad_() for name, value in one[0].items()}
            else:
                params = self.direct[1]
            randomness = self.randomness is not None
            with (
                seeded((*self.randomness, *key, 1, first + i), self.device) if randomness else contextlib.nullcontext()
            ):
                with torch.enable_grad():
                    loss = self.fn(params, *one[1:]) if self.direct is None else self.direct[0](*one[1:])
                    parts = torch.autograd.grad(loss, list(params.values()), allow_unused=True)
            for (name, value), part in zip(params.items(), parts):
                gradients.setdefault(name, []).append(torch.zeros_like(value) if part is None else part)
            losses.append(loss.detach())
        return {name: torch.stack(parts) for name, parts in gradients.items()}, torch.stack(losses)
