"""What a researcher feeds a network, read the same way by every entry point.

``data`` is either a pair ``(inputs, targets)`` of whole-dataset tensors, or a re-iterable of
batches ``(inputs, targets)``: a ``torch.utils.data.DataLoader``, a list of batches, or any object
whose ``iter()`` starts afresh. In both forms ``inputs`` is a tensor (``model(inputs)``), a tuple
or list of tensors (``model(*inputs)``) or a dict of tensors (``model(**inputs)``), each with the
examples along dimension 0 (integer token ids for an ``nn.Embedding`` included); ``targets`` is
a tensor with one entry per example.

:class:`Batches` checks every batch at the door (each error names ``data``, the batch and the
fix), counts the examples, and hands the batches out one at a time: the dataset is never held
whole. :func:`model_device` tells where a model lives, so work can happen there.
"""

from __future__ import annotations

import torch

from ..core._validation import check_int


def map_tensors(function, inputs):
    """``inputs`` (a tensor, a tuple/list or a dict of tensors) with ``function`` applied to
    every tensor, the structure kept."""
    if isinstance(inputs, torch.Tensor):
        return function(inputs)
    if isinstance(inputs, dict):
        return {key: function(value) for key, value in inputs.items()}
    return tuple(function(value) for value in inputs)


def call_arguments(inputs) -> tuple:
    """``(args, kwargs)`` that call a model on ``inputs``: ``model(x)``, ``model(*xs)`` or
    ``model(**xs)``."""
    if isinstance(inputs, torch.Tensor):
        return (inputs,), {}
    if isinstance(inputs, dict):
        return (), dict(inputs)
    return tuple(inputs), {}


def call_model(model: torch.nn.Module, inputs):
    """``model`` applied to ``inputs`` as :func:`call_arguments` says."""
    args, kwargs = call_arguments(inputs)
    return model(*args, **kwargs)


def batch_to(device: torch.device, inputs, targets):
    """``(inputs, targets)`` moved to ``device`` (no copy where they are already there)."""
    return map_tensors(lambda t: t.to(device), inputs), targets.to(device)


def tensors_of(inputs) -> list:
    """The tensors of ``inputs`` (a tensor, a tuple/list or a dict), in order."""
    return [inputs] if isinstance(inputs, torch.Tensor) else list(inputs.values() if isinstance(inputs, dict) else inputs)


def _check_batch(batch, where: str):
    """``(inputs, targets, n)`` of one batch, checked; errors name ``where``."""
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        raise TypeError(f"{where} must be a pair (inputs, targets), got {type(batch).__name__}"
                        + (f" of length {len(batch)}" if isinstance(batch, (tuple, list)) else "")
                        + "; wrap the loader so that it yields (inputs, targets)")
    inputs, targets = batch
    if not isinstance(targets, torch.Tensor):
        raise TypeError(f"{where}: targets must be a torch.Tensor, got {type(targets).__name__}")
    if not isinstance(inputs, (torch.Tensor, tuple, list, dict)):
        raise TypeError(f"{where}: inputs must be a tensor, a tuple/list of tensors or a dict of tensors, "
                        f"got {type(inputs).__name__}")
    tensors = tensors_of(inputs)
    strays = [type(t).__name__ for t in tensors if not isinstance(t, torch.Tensor)]
    if strays or not tensors:
        raise TypeError(f"{where}: inputs must hold tensors only, got {strays or 'none'}")
    n = len(targets) if targets.ndim else 0
    if n == 0:
        raise ValueError(f"{where} holds no examples (targets of shape {tuple(targets.shape)})")
    sizes = [len(t) if t.ndim else 0 for t in tensors]
    if any(size != n for size in sizes):
        raise ValueError(f"{where}: inputs hold {sizes} examples along dimension 0 but targets hold {n}; "
                         "every tensor of a batch needs the examples along its first dimension")
    return inputs, targets, n


class Batches:
    """``data`` (see the module docstring) as a re-iterable of checked batches.

    Iterating yields ``(first, inputs, targets)``: ``first`` is the index of the batch's first
    example in the whole stream. A tensor pair is one batch. :attr:`n_examples` counts the
    examples with one pass over the data (cached), which also checks every batch, so that a
    malformed batch fails before any gradient is computed. Batches stay on the device they come
    on; callers move them just before use.
    """

    def __init__(self, data, name: str = "data"):
        self.name = name
        self._n_examples = None
        if isinstance(data, (tuple, list)) and len(data) == 2 and isinstance(data[1], torch.Tensor):
            self._pair = _check_batch(data, name)
            self._n_examples = self._pair[2]
            self._data = None
            return
        if isinstance(data, torch.Tensor) or not hasattr(data, "__iter__"):
            raise TypeError(f"{name} must be a pair (inputs, targets) or a re-iterable of such batches "
                            f"(e.g. a torch DataLoader), got {type(data).__name__}")
        if iter(data) is data:
            raise TypeError(f"{name} is a one-shot iterator ({type(data).__name__}), but it is read more than once; "
                            "pass a DataLoader, a list of batches, or an object whose iter() starts afresh")
        self._pair, self._data = None, data

    @property
    def shuffles(self) -> bool:
        """Whether the data is a DataLoader that draws its examples in a new order every pass."""
        return isinstance(self._data, torch.utils.data.DataLoader) and isinstance(
            self._data.sampler, torch.utils.data.RandomSampler)

    @property
    def is_pair(self) -> bool:
        """Whether ``data`` was a whole-dataset tensor pair (one batch)."""
        return self._pair is not None

    def __iter__(self):
        if self._pair is not None:
            yield 0, self._pair[0], self._pair[1]
            return
        first = 0
        for index, batch in enumerate(self._data):
            inputs, targets, n = _check_batch(batch, f"{self.name}: batch {index}")
            yield first, inputs, targets
            first += n
        if first == 0:
            raise ValueError(f"{self.name} yielded no batches; pass a loader over a non-empty dataset")
        if self._n_examples is not None and first != self._n_examples:
            raise ValueError(f"{self.name} yielded {first} examples on this pass and {self._n_examples} on the first; "
                             "it must give the same examples on every pass (e.g. drop_last=False, a fixed dataset)")

    @property
    def n_examples(self) -> int:
        """Examples in one pass. O(one pass over the data) the first time, for a loader."""
        if self._n_examples is None:
            count = 0
            for _, _, targets in self:
                count += len(targets)
            self._n_examples = count
        return self._n_examples

    def pieces(self, size: int, start: int = 0, stop: int | None = None):
        """Yield ``(first, inputs, targets)`` for examples ``start`` .. ``stop - 1`` in pieces of at
        most ``size`` examples, cut at each batch's first example + multiples of ``size`` (so
        the cuts do not depend on ``start``: a resumed stream meets the same pieces).
        Batches wholly before ``start`` are read and skipped, not computed on."""
        size = check_int(size, "chunk_size", minimum=1)
        for first, inputs, targets in self:
            n = len(targets)
            if stop is not None and first >= stop:
                break
            if first + n <= start:
                continue
            for low in range(0, n, size):
                high = min(low + size, n)
                low_cut, high_cut = max(low, start - first), high if stop is None else min(high, stop - first)
                if low_cut < high_cut:
                    yield (first + low_cut, map_tensors(lambda t: t[low_cut:high_cut], inputs),
                           targets[low_cut:high_cut])


def as_batches(data, name: str = "data") -> Batches:
    """``data`` as :class:`Batches` (passed through if it is one already, keeping its count)."""
    return data if isinstance(data, Batches) else Batches(data, name)


def model_device(model: torch.nn.Module, device=None) -> torch.device:
    """The device ``model``'s parameters live on; ``device``, if given, must be that one.

    Raises ValueError when the parameters span several devices or ``device`` names another one.
    """
    devices = {p.device for p in model.parameters()} or {torch.device("cpu")}
    if len(devices) > 1:
        raise ValueError(f"model: its parameters live on several devices {sorted(map(str, devices))}; "
                         "netscope computes on one: move the model with model.to(device)")
    (found,) = devices
    if device is None:
        return found
    try:
        wanted = torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise ValueError(f"device: {device!r} is not a torch device ({error})") from None
    if wanted.type == found.type and wanted.index in (None, found.index):
        return found
    raise ValueError(f"device={str(wanted)!r} differs from the device of the model's parameters ({found}); "
                     "netscope works where the model lives: move it with model.to(device), or leave device=None")
