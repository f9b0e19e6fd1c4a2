"""Activations of a network's hidden layers on a fixed probe set, recorded at each snapshot.

:class:`ActivationTracker` runs the probe set through the model with forward hooks, batch by batch
on the model's device, and keeps what the watched layers output (and each sample's sensitivity)
on the host, leaving the model as it was. :class:`netscope.StructureMap` turns the snapshots into
maps.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping

import numpy as np
import torch

from ..core._validation import as_labels, check_int
from .data import Batches, batch_to, call_model, examples_in, model_device
from .modes import modes
from .outputs import main_tensor

POOLS = ("auto", "mean", "first", "last", "flatten")


@dataclasses.dataclass(frozen=True, eq=False)
class Snapshot:
    """What :meth:`ActivationTracker.snapshot` records at one moment of training (and what a
    :class:`netscope.RunFolder` reads back): ``label`` (a string or a number; it names the
    snapshot on the page), ``activations`` {layer: (n, width) float32} and ``sensitivity``
    {layer: (n,) float64} for the watched layers, on the host, ``predictions`` (n,) int64 (the
    argmax of the model's logits) or None, and where the run folder kept them, ``epoch`` and
    ``step`` (else None).

    Snapshots were dicts before: ``snapshot["activations"]`` (and ``.get``) still read the
    attribute of that name, with a DeprecationWarning.
    """

    label: str | int | float
    activations: dict[str, np.ndarray]
    sensitivity: dict[str, np.ndarray]
    predictions: np.ndarray | None = None
    epoch: int | None = None
    step: int | None = None

    def __getitem__(self, key: str):
        if not isinstance(key, str) or key not in {field.name for field in dataclasses.fields(self)}:
            raise KeyError(key)
        warnings.warn(
            f"snapshot[{key!r}] is deprecated: snapshots are Snapshot objects now; read snapshot.{key}",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(self, key)

    def get(self, key: str, default=None):
        """Deprecated: ``snapshot.get(key)`` as of the dicts snapshots were; read the attribute."""
        try:
            return self[key]
        except KeyError:
            return default


def _is_activation(module: torch.nn.Module) -> bool:
    return type(module).__module__ == "torch.nn.modules.activation"


def _block_list(model: torch.nn.Module) -> list:
    """Names of the blocks of the model's longest ``nn.ModuleList`` of at least two non-leaf
    modules of one type (a transformer's encoder or decoder layers), or [].
    """
    best: list[str] = []
    for name, module in model.named_modules():
        children = list(module.children())
        if (
            isinstance(module, torch.nn.ModuleList)
            and len(children) >= 2
            and len({type(c) for c in children}) == 1
            and list(children[0].children())
            and len(children) > len(best)
        ):
            best = [f"{name}.{index}" if name else str(index) for index in range(len(children))]
    return best


def default_hidden_layers(model: torch.nn.Module) -> list:
    """Names of the modules whose outputs are the hidden layers: a transformer's blocks (the
    longest ``ModuleList`` of repeated blocks), else the activation modules, or, in a model
    without any, every leaf module but the last.
    """
    blocks = _block_list(model)
    if blocks:
        return blocks
    leaves = [(name, module) for name, module in model.named_modules() if name and not list(module.children())]
    activations = [name for name, module in leaves if _is_activation(module)]
    return activations if activations else [name for name, _ in leaves[:-1]]


def _sequence_mask(inputs) -> torch.Tensor | None:
    """The batch's ``attention_mask`` (n, seq), when its inputs are a mapping that holds one."""
    mask = inputs.get("attention_mask") if isinstance(inputs, Mapping) else None
    return mask if isinstance(mask, torch.Tensor) and mask.ndim == 2 else None


def _holds_tokens(inputs) -> bool:
    """Whether the inputs carry integer token ids or an attention mask: a sequence model's."""
    tensors = (
        inputs.values() if isinstance(inputs, Mapping) else [inputs] if isinstance(inputs, torch.Tensor) else inputs
    )
    return _sequence_mask(inputs) is not None or any(not t.is_floating_point() and t.ndim == 2 for t in tensors)


def pool_sequence(output: torch.Tensor, pool: str, mask: torch.Tensor | None) -> torch.Tensor:
    """``(n, width)`` rows of a layer's ``output``: a ``(n, seq, h)`` sequence is pooled over its
    positions — "mean" (over the positions ``mask`` (n, seq) marks, where given), "first",
    "last" (the last marked position), or "flatten" (seq·h numbers) —; any other shape is
    flattened per example. O(n seq h).
    """
    n = len(output)
    if output.ndim != 3 or pool == "flatten":
        return output.reshape(n, -1)
    if mask is not None and mask.shape != output.shape[:2]:
        mask = None  # the layer's positions are not the input's tokens (e.g. pooled or strided)
    if pool == "first":
        return output[:, 0]
    if pool == "last":
        if mask is None:
            return output[:, -1]
        last = (mask.shape[1] - 1 - torch.flip(mask != 0, dims=[1]).int().argmax(dim=1)).clamp(min=0)
        return output[torch.arange(n, device=output.device), last]
    if mask is None:
        return output.mean(dim=1)
    weights = (mask != 0).to(output.dtype).unsqueeze(-1)
    return (output * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1)


def _probe_labels(labels, n: int) -> np.ndarray:
    """``labels`` as a 1-D numpy array of n classes (numbers or strings), checked."""
    if isinstance(labels, torch.Tensor):
        labels = labels.detach().cpu().numpy()
    labels = as_labels(labels, "labels")
    if labels.ndim != 1 or len(labels) != n:
        raise ValueError(f"labels must be 1-D with one entry per probe example ({n}), got shape {labels.shape}")
    return labels


class ActivationTracker:
    """Record the activations of watched layers on a fixed probe set at each snapshot.

    Parameters
    ----------
    model : torch.nn.Module
    data : the probe set: one batch or a re-iterable of batches that gives the same examples in
        the same order every pass (a DataLoader with ``shuffle=False``), as
        :mod:`netscope.nn.data` says: ``(inputs, targets)`` pairs, mappings (a Hugging Face
        collator's, the targets under ``target_key``), or inputs alone. At least 3 examples.
    layers : list of module names (``dict(model.named_modules())`` keys); default: every hidden
        layer's output (:func:`default_hidden_layers`: a transformer's blocks, else the
        activation modules). A layer that returns a tuple, a mapping or a ``ModelOutput`` is
        recorded by its ``output_field``, or else its first tensor.
    labels : optional 1-D array (n,) of classes (integers or strings) to colour the maps by;
        default: the targets, when they are 1-D (a language model's (n, seq) targets colour
        nothing). None and no 1-D targets: the maps carry no classes.
    loss_fn : callable(outputs, targets) -> scalar, optional — used for sensitivities; default:
        the score of the predicted class (the largest logit), summed.
    pool : "auto" (default), "mean", "first", "last" or "flatten" — how a layer's sequence
        output (n, seq, h) becomes one row per example (:func:`pool_sequence`); "mean" averages
        the positions the batch's ``attention_mask`` marks; "auto" is "mean" for a sequence
        model (integer token ids or an attention mask in the inputs) and "flatten" otherwise.
    output_field : str or None — the field of a layer's tuple-free output to record (e.g.
        ``"last_hidden_state"``).
    target_key : str or None — the targets' key in mapping batches (None: "labels" when present).
    batch_size : int — probe examples per forward pass (a loader's own batches are cut to it).
    device : None or a torch device — where the forward passes run: the model's device (None),
        which an explicit value must equal.

    Each :meth:`snapshot` runs the probe set through the model in eval mode with forward hooks,
    batch by batch on the model's device, keeps the activations on the host as float32, and
    then restores every module's train/eval flag; parameters and their ``.grad`` are not touched.
    """

    def __init__(
        self,
        model: torch.nn.Module,
        data,
        *,
        layers=None,
        labels=None,
        loss_fn=None,
        pool: str = "auto",
        output_field: str | None = None,
        target_key: str | None = None,
        batch_size: int = 256,
        device=None,
    ):
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        if isinstance(data, (tuple, list)) and len(data) == 2 and isinstance(data[1], np.ndarray):
            data = (data[0], torch.as_tensor(data[1]))
        if pool not in POOLS:
            raise ValueError(f"pool must be one of {POOLS}, got {pool!r}")
        if output_field is not None and not isinstance(output_field, str):
            raise TypeError(f"output_field must be a field name (str) or None, got {type(output_field).__name__}")
        if loss_fn is not None and not callable(loss_fn):
            raise TypeError(
                f"loss_fn must be callable(outputs, targets) -> scalar or None, got {type(loss_fn).__name__}"
            )
        self.batches = Batches(data, "data", target_key)
        if self.batches.shuffles:
            raise ValueError(
                "data: the probe loader shuffles, but a map follows each example across snapshots; use shuffle=False"
            )
        n = self.batches.n_examples
        if n < 3:
            raise ValueError(f"data: the probe set needs at least 3 examples, got {n}")
        if loss_fn is not None:
            self.batches.require_targets("loss_fn (the sensitivities' loss)")
        if labels is None and self.batches.has_targets:
            targets = np.concatenate([t.cpu().numpy() for _, _, t in self.batches])
            labels = targets if targets.ndim == 1 else None
        self.labels = None if labels is None else _probe_labels(labels, n)
        modules = dict(model.named_modules())
        layers = default_hidden_layers(model) if layers is None else list(layers)
        unknown = [name for name in layers if name not in modules or not name]
        if unknown or not layers:
            raise ValueError(
                f"layers must name modules of the model; unknown: {unknown}; known: {[n for n in modules if n][:10]}"
            )
        self.device = model_device(model, device)
        self.batch_size = check_int(batch_size, "batch_size", minimum=1)
        self.model, self.layers, self.output_field = model, layers, output_field
        first_inputs = next(iter(self.batches))[1]
        self.pool = ("mean" if _holds_tokens(first_inputs) else "flatten") if pool == "auto" else pool
        # Outputs a prediction needs for the labels to be its class indices (inf: they are not indices).
        integer = self.labels is not None and np.issubdtype(self.labels.dtype, np.integer) and self.labels.min() >= 0
        self._classes_needed = int(self.labels.max()) + 1 if integer and self.labels is not None else float("inf")
        self.loss_fn = loss_fn
        # What each snapshot() recorded, in order.
        self.snapshots: list[Snapshot] = []

    def _labels_are_classes(self, logits) -> bool:
        """Whether the labels index the columns of the (n, classes) ``logits``, so that an argmax
        is a prediction of the same kind.
        """
        return logits.ndim == 2 and 1 < logits.shape[1] and self._classes_needed <= logits.shape[1]

    def snapshot(self, label=None) -> Snapshot:
        """Record the watched layers now; returns and keeps a :class:`Snapshot` (``label``;
        ``activations`` {layer: float32 ``(n, width)``}, pooled as ``pool`` says; ``sensitivity``
        {layer: float64 ``(n,)``}, on the host; ``predictions`` int64 ``(n,)``, the argmax of
        the model's (n, classes) logits, or None unless the labels are class indices of them).

        Sensitivity of sample i at a layer: ‖∂ℓ_i/∂h_i‖, the norm of the gradient of its loss (or
        its predicted-class score) with respect to its embedding h_i at that layer (the layer's
        whole output for that sample, before pooling).
        Cost: one forward and one backward pass over the probe set, ``batch_size`` at a time.
        """
        captured = {}
        modules = dict(self.model.named_modules())

        def hook(name):
            def record(_module, _inputs, output):
                captured[name] = main_tensor(output, self.output_field, what=f"the output of layer {name!r}")

            return record

        parts: dict[str, list] = {name: [] for name in self.layers}
        sensitivity: dict[str, list] = {name: [] for name in self.layers}
        predictions = []
        handles = [modules[name].register_forward_hook(hook(name)) for name in self.layers]
        try:
            with modes(self.model, "eval"), torch.enable_grad():
                for _, inputs, targets in self.batches.pieces(self.batch_size):
                    inputs, targets = batch_to(self.device, inputs, targets)
                    n = examples_in(inputs, targets)
                    outputs = call_model(self.model, inputs)
                    logits = main_tensor(outputs)
                    embeddings = [captured[name] for name in self.layers]
                    if self.loss_fn is None:
                        score = logits.max(dim=-1).values.sum() if logits.ndim > 1 else logits.sum()
                    else:
                        score = self.loss_fn(outputs, targets) * n  # per-sample terms of a mean
                    if self._labels_are_classes(logits):
                        predictions.append(logits.detach().argmax(dim=1).cpu().numpy())
                    needs = [e for e in embeddings if e.requires_grad]
                    gradients = torch.autograd.grad(score, needs, allow_unused=True) if needs else []
                    gradient_of = {id(e): g for e, g in zip(needs, gradients)}
                    mask = _sequence_mask(inputs)
                    for name, embedding in zip(self.layers, embeddings):
                        rows = pool_sequence(embedding.detach(), self.pool, mask)
                        parts[name].append(rows.to("cpu", torch.float32).numpy())
                        gradient = gradient_of.get(id(embedding))
                        sensitivity[name].append(
                            np.zeros(n)
                            if gradient is None
                            else gradient.reshape(n, -1).norm(dim=1).to("cpu", torch.float64).numpy()
                        )
                    captured.clear()
        finally:
            for handle in handles:
                handle.remove()
        record = Snapshot(
            label=label if label is not None else len(self.snapshots),
            activations={name: np.concatenate(parts[name]) for name in self.layers},
            sensitivity={name: np.concatenate(sensitivity[name]) for name in self.layers},
            predictions=np.concatenate(predictions) if predictions else None,
        )
        self.snapshots.append(record)
        return record
