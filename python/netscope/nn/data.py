"""What a researcher feeds a network, read the same way by every entry point.

``data`` is either one whole-dataset batch, or a re-iterable of batches: a
``torch.utils.data.DataLoader``, a list of batches, or any object whose ``iter()`` starts afresh.
A batch is

- a pair ``(inputs, targets)``, where ``inputs`` is a tensor (``model(inputs)``), a tuple or list
  of tensors (``model(*inputs)``) or a mapping of tensors (``model(**inputs)``);
- a mapping (a dict, or a Hugging Face ``BatchEncoding``) that holds the targets under
  ``target_key`` (default ``"labels"``, when present) and the model's keyword inputs under the
  other keys, as a Hugging Face data collator gives it;
- inputs alone (a tensor, a 1-tuple such as a ``TensorDataset``'s, or a mapping without the
  target key), for work that needs no targets: a model that computes its own loss, or
  activations coloured by labels given apart.

Every tensor holds the examples along dimension 0 (integer token ids, padding masks included);
``targets`` has one entry per example along dimension 0 (classes ``(n,)``, or token targets
``(n, seq)``).

:class:`Batches` checks every batch at the door (each error names ``data``, the batch and the
fix), counts the examples, and hands the batches out one at a time: the dataset is never held
whole. :func:`model_device` tells where a model lives, so work can happen there.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from ..core._validation import check_int

DEFAULT_TARGET_KEY = "labels"
# Inputs shown as pictures (the page's tooltips) when they are images of at most this many pixels in all.
IMAGE_PIXEL_BUDGET = 16 * 2**20


def map_tensors(function, inputs):
    """``inputs`` (a tensor, a tuple/list or a mapping of tensors, or None) with ``function``
    applied to every tensor, the structure kept (a mapping becomes a dict).
    """
    if inputs is None:
        return None
    if isinstance(inputs, torch.Tensor):
        return function(inputs)
    if isinstance(inputs, Mapping):
        return {key: function(value) for key, value in inputs.items()}
    return tuple(function(value) for value in inputs)


def call_arguments(inputs) -> tuple:
    """``(args, kwargs)`` that call a model on ``inputs``: ``model(x)``, ``model(*xs)`` or
    ``model(**xs)``.
    """
    if isinstance(inputs, torch.Tensor):
        return (inputs,), {}
    if isinstance(inputs, Mapping):
        return (), dict(inputs)
    return tuple(inputs), {}


def call_model(model: torch.nn.Module, inputs):
    """``model`` applied to ``inputs`` as :func:`call_arguments` says."""
    args, kwargs = call_arguments(inputs)
    return model(*args, **kwargs)


def batch_to(device: torch.device, inputs, targets):
    """``(inputs, targets)`` moved to ``device`` (no copy where they are already there; targets
    may be None).
    """
    return map_tensors(lambda t: t.to(device), inputs), None if targets is None else targets.to(device)


def tensors_of(inputs) -> list:
    """The tensors of ``inputs`` (a tensor, a tuple/list or a mapping), in order."""
    if isinstance(inputs, torch.Tensor):
        return [inputs]
    return list(inputs.values() if isinstance(inputs, Mapping) else inputs)


def examples_in(inputs, targets) -> int:
    """How many examples a checked batch holds (along dimension 0)."""
    return len(tensors_of(inputs)[0] if targets is None else targets)


def _split(batch, where: str, target_key: str | None):
    """``(inputs, targets)`` of one batch in any of the module docstring's forms (targets None
    when the batch holds none); errors name ``where``.
    """
    if isinstance(batch, Mapping):
        key = DEFAULT_TARGET_KEY if target_key is None else target_key
        if key not in batch:
            if target_key is not None:
                raise ValueError(
                    f"{where}: target_key={target_key!r} is not a key of the batch; its keys are "
                    f"{sorted(map(str, batch))}"
                )
            return batch, None
        return {name: value for name, value in batch.items() if name != key}, batch[key]
    if target_key is not None:
        raise TypeError(
            f"{where}: target_key={target_key!r} names a key of mapping batches, but the batch is a "
            f"{type(batch).__name__}; leave target_key=None for (inputs, targets) pairs"
        )
    if isinstance(batch, torch.Tensor):
        return batch, None
    if isinstance(batch, (tuple, list)) and len(batch) == 1:
        return batch[0], None
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        return batch[0], batch[1]
    raise TypeError(
        f"{where} must be a pair (inputs, targets), a mapping of tensors (targets under "
        f"'{DEFAULT_TARGET_KEY}' or target_key) or inputs alone, got {type(batch).__name__}"
        + (f" of length {len(batch)}" if isinstance(batch, (tuple, list)) else "")
        + "; wrap the loader so that it yields one of these"
    )


def _check_batch(batch, where: str, target_key: str | None = None):
    """``(inputs, targets, n)`` of one batch, checked; errors name ``where``."""
    inputs, targets = _split(batch, where, target_key)
    if targets is not None and not isinstance(targets, torch.Tensor):
        raise TypeError(f"{where}: targets must be a torch.Tensor, got {type(targets).__name__}")
    if not isinstance(inputs, (torch.Tensor, tuple, list, Mapping)):
        raise TypeError(
            f"{where}: inputs must be a tensor, a tuple/list of tensors or a mapping of tensors, "
            f"got {type(inputs).__name__}"
        )
    tensors = tensors_of(inputs)
    strays = [type(t).__name__ for t in tensors if not isinstance(t, torch.Tensor)]
    if strays or not tensors:
        raise TypeError(f"{where}: inputs must hold tensors only, got {strays or 'none'}")
    reference = targets if targets is not None else tensors[0]
    n = len(reference) if reference.ndim else 0
    if n == 0:
        raise ValueError(
            f"{where} holds no examples ({'targets' if targets is not None else 'inputs'} of shape "
            f"{tuple(reference.shape)})"
        )
    sizes = [len(t) if t.ndim else 0 for t in tensors]
    if any(size != n for size in sizes):
        raise ValueError(
            f"{where}: inputs hold {sizes} examples along dimension 0 but "
            f"{'targets hold' if targets is not None else 'the first input holds'} {n}; "
            "every tensor of a batch needs the examples along its first dimension"
        )
    return inputs, targets, n


def _is_whole_dataset(data) -> bool:
    """Whether ``data`` is one batch rather than a re-iterable of batches: a tensor, a mapping,
    or an ``(inputs, targets)`` pair of tensors.
    """
    if isinstance(data, (torch.Tensor, Mapping)):
        return True
    return (
        isinstance(data, (tuple, list))
        and len(data) == 2
        and isinstance(data[1], torch.Tensor)
        and (
            isinstance(data[0], (torch.Tensor, Mapping))
            or (isinstance(data[0], (tuple, list)) and all(isinstance(t, torch.Tensor) for t in data[0]))
        )
    )


class Batches:
    """``data`` (see the module docstring) as a re-iterable of checked batches.

    Iterating yields ``(first, inputs, targets)``: ``first`` is the index of the batch's first
    example in the whole stream, ``targets`` is None for batches without targets. A tensor, a
    mapping or a tensor pair is one batch. ``target_key`` names the targets' key in mapping
    batches (None: ``"labels"`` when present). :attr:`n_examples` counts the examples with one
    pass over the data (cached), which also checks every batch and that all or none hold
    targets (:attr:`has_targets`), so that a malformed batch fails before any gradient is
    computed. Batches stay on the device they come on; callers move them just before use.
    """

    def __init__(self, data, name: str = "data", target_key: str | None = None):
        if target_key is not None and not isinstance(target_key, str):
            raise TypeError(
                f"target_key must be a string (a key of the batches) or None, got {type(target_key).__name__}"
            )
        self.name, self.target_key = name, target_key
        self._n_examples: int | None = None
        self._has_targets: bool | None = None
        if _is_whole_dataset(data):
            self._pair = _check_batch(data, name, target_key)
            self._n_examples, self._has_targets = self._pair[2], self._pair[1] is not None
            self._data: Any = None
            return
        if not hasattr(data, "__iter__"):
            raise TypeError(
                f"{name} must be a batch — (inputs, targets), a mapping of tensors or a tensor — or a "
                f"re-iterable of batches (e.g. a torch DataLoader), got {type(data).__name__}"
            )
        if iter(data) is data:
            raise TypeError(
                f"{name} is a one-shot iterator ({type(data).__name__}), but it is read more than once; "
                "pass a DataLoader, a list of batches, or an object whose iter() starts afresh"
            )
        self._pair, self._data = None, data

    @property
    def shuffles(self) -> bool:
        """Whether the data is a DataLoader that draws its examples in a new order every pass."""
        return isinstance(self._data, torch.utils.data.DataLoader) and isinstance(
            self._data.sampler, torch.utils.data.RandomSampler
        )

    @property
    def is_pair(self) -> bool:
        """Whether ``data`` was one whole-dataset batch."""
        return self._pair is not None

    def __iter__(self):
        if self._pair is not None:
            yield 0, self._pair[0], self._pair[1]
            return
        first = 0
        for index, batch in enumerate(self._data):
            where = f"{self.name}: batch {index}"
            inputs, targets, n = _check_batch(batch, where, self.target_key)
            if self._has_targets is None:
                self._has_targets = targets is not None
            elif self._has_targets != (targets is not None):
                raise ValueError(
                    f"{where} {'holds' if targets is not None else 'lacks'} targets but earlier batches "
                    f"{'lack' if targets is not None else 'hold'} them; every batch needs the same form"
                )
            yield first, inputs, targets
            first += n
        if first == 0:
            raise ValueError(f"{self.name} yielded no batches; pass a loader over a non-empty dataset")
        if self._n_examples is not None and first != self._n_examples:
            raise ValueError(
                f"{self.name} yielded {first} examples on this pass and {self._n_examples} on the first; "
                "it must give the same examples on every pass (e.g. drop_last=False, a fixed dataset)"
            )
        self._n_examples = first

    @property
    def n_examples(self) -> int:
        """Examples in one pass. O(one pass over the data) the first time, for a loader."""
        if self._n_examples is None:
            self._read_once()
        assert self._n_examples is not None  # _read_once sets it
        return self._n_examples

    @property
    def has_targets(self) -> bool:
        """Whether the batches hold targets. O(one pass over the data) the first time, for a loader."""
        if self._has_targets is None:
            self._read_once()
        assert self._has_targets is not None  # _read_once sets it
        return self._has_targets

    def _read_once(self) -> None:
        """One pass over the data: it counts the examples and checks every batch's form."""
        for _ in self:
            pass

    def require_targets(self, why: str) -> None:
        """ValueError unless the batches hold targets; ``why`` says what needs them."""
        if not self.has_targets:
            raise ValueError(
                f"{self.name} holds no targets, but {why} needs them: give batches (inputs, targets), "
                f"or mappings with the targets under '{self.target_key or DEFAULT_TARGET_KEY}' "
                "(target_key names another key)"
            )

    def pieces(self, size: int, start: int = 0, stop: int | None = None):
        """Yield ``(first, inputs, targets)`` for examples ``start`` .. ``stop - 1`` in pieces of at
        most ``size`` examples, cut at each batch's first example + multiples of ``size`` (so
        the cuts do not depend on ``start``: a resumed stream meets the same pieces).
        Batches wholly before ``start`` are read and skipped, not computed on.
        """
        size = check_int(size, "chunk_size", minimum=1)
        for first, inputs, targets in self:
            n = examples_in(inputs, targets)
            if stop is not None and first >= stop:
                break
            if first + n <= start:
                continue
            for low in range(0, n, size):
                high = min(low + size, n)
                low_cut, high_cut = max(low, start - first), high if stop is None else min(high, stop - first)
                if low_cut < high_cut:
                    yield (
                        first + low_cut,
                        map_tensors(operator.itemgetter(slice(low_cut, high_cut)), inputs),
                        map_tensors(operator.itemgetter(slice(low_cut, high_cut)), targets),
                    )


def image_inputs(batches: Batches) -> np.ndarray | None:
    """The inputs of ``batches`` as a float32 numpy array when they are one tensor per example of an image's
    shape ((h, w), (c, h, w), or a square number of features) within ``IMAGE_PIXEL_BUDGET``,
    else None.
    """
    parts, pixels = [], 0
    for _, inputs, _ in batches:
        if not isinstance(inputs, torch.Tensor) or not inputs.is_floating_point():
            return None
        pixels += inputs.numel()
        if pixels > IMAGE_PIXEL_BUDGET:
            return None
        parts.append(inputs.detach().to("cpu", torch.float32).numpy())
    images = np.concatenate(parts)
    shape = images.shape[1:]
    square = len(shape) == 1 and int(round(np.sqrt(shape[0]))) ** 2 == shape[0] and shape[0] >= 16
    image_like = len(shape) == 2 or (len(shape) == 3 and (shape[0] in (1, 3) or shape[2] in (1, 3)))
    return images if square or image_like else None


def as_batches(data, name: str = "data", target_key: str | None = None) -> Batches:
    """``data`` as :class:`Batches` (passed through if it is one already, keeping its count)."""
    if isinstance(data, Batches):
        if target_key is not None and target_key != data.target_key:
            raise ValueError(f"target_key={target_key!r} differs from the batches' own {data.target_key!r}")
        return data
    return Batches(data, name, target_key)


def model_device(model: torch.nn.Module, device=None) -> torch.device:
    """The device ``model``'s parameters live on; ``device``, if given, must be that one.

    Raises ValueError when the parameters span several devices or ``device`` names another one.
    """
    devices = {p.device for p in model.parameters()} or {torch.device("cpu")}
    if len(devices) > 1:
        raise ValueError(
            f"model: its parameters live on several devices {sorted(map(str, devices))}; "
            "netscope computes on one: move the model with model.to(device)"
        )
    (found,) = devices
    if device is None:
        return found
    try:
        wanted = torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise ValueError(f"device: {device!r} is not a torch device ({error})") from None
    if wanted.type == found.type and wanted.index in (None, found.index):
        return found
    raise ValueError(
        f"device={str(wanted)!r} differs from the device of the model's parameters ({found}); "
        "netscope works where the model lives: move it with model.to(device), or leave device=None"
    )
