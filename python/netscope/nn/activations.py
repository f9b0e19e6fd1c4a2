"""Activations of a network's hidden layers on a fixed probe set, recorded at each snapshot.

:class:`ActivationTracker` runs the probe set through the model with forward hooks, batch by batch
on the model's device, and keeps what the watched layers output (and each sample's sensitivity)
on the host, leaving the model as it was. :class:`netscope.StructureMap` turns the snapshots into
maps.
"""

from __future__ import annotations

import numpy as np
import torch

from ..core._validation import check_int
from .data import Batches, batch_to, call_model, model_device
from .modes import modes


def _is_activation(module: torch.nn.Module) -> bool:
    return type(module).__module__ == "torch.nn.modules.activation"


def default_hidden_layers(model: torch.nn.Module) -> list:
    """Names of the modules whose outputs are the hidden layers: the activation modules, or,
    in a model without any, every leaf module but the last."""
    leaves = [(name, module) for name, module in model.named_modules() if name and not list(module.children())]
    activations = [name for name, module in leaves if _is_activation(module)]
    return activations if activations else [name for name, _ in leaves[:-1]]


class ActivationTracker:
    """Record the activations of watched layers on a fixed probe set at each snapshot.

    Parameters
    ----------
    model : torch.nn.Module
    data : a pair ``(inputs, labels)`` (labels a tensor or a numpy array) or a re-iterable of
        such batches that gives the same examples in the same order every pass (a DataLoader
        with ``shuffle=False``); inputs as in :mod:`netscope.data` (tensor, tuple or dict).
        ``labels`` (n,) are the probe's classes; at least 3 examples.
    layers : list of module names (``dict(model.named_modules())`` keys); default: every hidden
        layer's output (:func:`default_hidden_layers`). A layer that returns a tuple (GRU,
        LSTM) is recorded by its first element.
    loss_fn : callable(outputs, labels) -> scalar, optional — used for sensitivities; default:
        the score of the predicted class, summed.
    batch_size : int — probe examples per forward pass (a loader's own batches are cut to it).
    device : None or a torch device — where the forward passes run: the model's device (None),
        which an explicit value must equal.

    Each :meth:`snapshot` runs the probe set through the model in eval mode with forward hooks,
    batch by batch on the model's device, keeps the activations on the host as float32, and
    then restores every module's train/eval flag; parameters and their ``.grad`` are not touched.
    """

    def __init__(self, model: torch.nn.Module, data, *, layers=None, loss_fn=None, batch_size: int = 256,
                 device=None):
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        if isinstance(data, (tuple, list)) and len(data) == 2 and isinstance(data[1], np.ndarray):
            data = (data[0], torch.as_tensor(data[1]))
        self.batches = Batches(data)
        if self.batches.shuffles:
            raise ValueError("data: the probe loader shuffles, but a map follows each example across snapshots; "
                             "use shuffle=False")
        labels = np.concatenate([targets.cpu().numpy() for _, _, targets in self.batches])
        if labels.ndim != 1 or len(labels) < 3:
            raise ValueError(f"data: labels must be 1-D with one entry per example (at least 3), "
                             f"got shape {labels.shape}")
        modules = dict(model.named_modules())
        layers = default_hidden_layers(model) if layers is None else list(layers)
        unknown = [name for name in layers if name not in modules or not name]
        if unknown or not layers:
            raise ValueError(f"layers must name modules of the model; unknown: {unknown}; known: {[n for n in modules if n][:10]}")
        self.device = model_device(model, device)
        self.batch_size = check_int(batch_size, "batch_size", minimum=1)
        self.model, self.labels, self.layers = model, labels, layers
        # Outputs a prediction needs for the labels to be its class indices (inf: they are not indices).
        integer = np.issubdtype(labels.dtype, np.integer) and labels.min() >= 0
        self._classes_needed = int(labels.max()) + 1 if integer else float("inf")
        self.loss_fn = loss_fn
        self.snapshots = []  # list of {"label", "activations": {layer: (n, w)}, "sensitivity": {layer: (n,)}, "predictions"}

    def _labels_are_classes(self, outputs) -> bool:
        """Whether the labels index the columns of the (n, classes) ``outputs``, so that an
        argmax is a prediction of the same kind."""
        return outputs.ndim == 2 and 1 < outputs.shape[1] and self._classes_needed <= outputs.shape[1]

    def snapshot(self, label=None) -> dict:
        """Record the watched layers now; returns and keeps ``{"label", "activations", "sensitivity",
        "predictions"}`` (activations float32 ``(n, width)``, sensitivities float64 ``(n,)``, on the
        host; predictions int64 ``(n,)``, the argmax of the model's (n, classes) output, or None
        unless the labels are class indices of that output).

        Sensitivity of sample i at a layer: ‖∂ℓ_i/∂h_i‖, the norm of the gradient of its loss (or
        its predicted-class score) with respect to its embedding h_i at that layer.
        Cost: one forward and one backward pass over the probe set, ``batch_size`` at a time.
        """
        captured = {}
        modules = dict(self.model.named_modules())

        def hook(name):
            def record(_module, _inputs, output):
                captured[name] = output[0] if isinstance(output, (tuple, list)) else output
            return record

        parts = {name: [] for name in self.layers}
        sensitivity = {name: [] for name in self.layers}
        predictions = []
        handles = [modules[name].register_forward_hook(hook(name)) for name in self.layers]
        try:
            with modes(self.model, "eval"), torch.enable_grad():
                for _, inputs, targets in self.batches.pieces(self.batch_size):
                    inputs, targets = batch_to(self.device, inputs, targets)
                    outputs = call_model(self.model, inputs)
                    embeddings = [captured[name] for name in self.layers]
                    if self.loss_fn is None:
                        score = outputs.max(dim=1).values.sum() if outputs.ndim > 1 else outputs.sum()
                    else:
                        score = self.loss_fn(outputs, targets) * len(targets)  # per-sample terms of a mean
                    if self._labels_are_classes(outputs):
                        predictions.append(outputs.detach().argmax(dim=1).cpu().numpy())
                    needs = [e for e in embeddings if e.requires_grad]
                    gradients = torch.autograd.grad(score, needs, allow_unused=True) if needs else []
                    gradient_of = {id(e): g for e, g in zip(needs, gradients)}
                    for name, embedding in zip(self.layers, embeddings):
                        flat = embedding.detach().reshape(len(targets), -1)
                        parts[name].append(flat.to("cpu", torch.float32).numpy())
                        gradient = gradient_of.get(id(embedding))
                        sensitivity[name].append(np.zeros(len(flat)) if gradient is None else
                                                 gradient.reshape(len(flat), -1).norm(dim=1).to("cpu", torch.float64).numpy())
                    captured.clear()
        finally:
            for handle in handles:
                handle.remove()
        record = {"label": label if label is not None else len(self.snapshots),
                  "activations": {name: np.concatenate(parts[name]) for name in self.layers},
                  "sensitivity": {name: np.concatenate(sensitivity[name]) for name in self.layers},
                  "predictions": np.concatenate(predictions) if predictions else None}
        self.snapshots.append(record)
        return record
