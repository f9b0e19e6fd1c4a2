"""What a model (or one of its layers) returns, read the same way everywhere.

A model may return a tensor, a tuple or list (the first tensor is its main output), a mapping, or
an object with attributes, such as a Hugging Face ``ModelOutput`` (``.loss``, ``.logits``,
``.last_hidden_state``). :func:`main_tensor` finds the tensor that stands for the output (its
``logits`` where it has them), :func:`own_loss` the loss a model computed itself, and
:class:`Objective` the scalar loss of a batch either way.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch

from .data import DEFAULT_TARGET_KEY, call_arguments


def field_of(output, name: str):
    """The field ``name`` of ``output`` (an attribute or a mapping key), or None."""
    if isinstance(output, Mapping):
        return output.get(name)
    return getattr(output, name, None)


def main_tensor(output, field: str | None = None, *, what: str = "the model's output") -> torch.Tensor:
    """The tensor that stands for ``output``: ``output`` itself if it is a tensor; else its
    ``field`` (when given), its ``logits``, or its first tensor (a tuple's, or a mapping's or
    ``ModelOutput``'s first tensor value). TypeError naming ``what`` when there is none.
    """
    if isinstance(output, torch.Tensor) and field is None:
        return output
    if field is not None:
        found = field_of(output, field)
        if not isinstance(found, torch.Tensor):
            raise TypeError(
                f"{what} has no tensor field {field!r} (it is a {type(output).__name__}"
                + (f" with fields {list(output.keys())}" if isinstance(output, Mapping) else "")
                + ")"
            )
        return found
    logits = field_of(output, "logits")
    if isinstance(logits, torch.Tensor):
        return logits
    values = output.values() if isinstance(output, Mapping) else output if isinstance(output, (tuple, list)) else ()
    for value in values:
        if isinstance(value, torch.Tensor):
            return value
    raise TypeError(
        f"{what} is a {type(output).__name__} that holds no tensor; return a tensor, a tuple, a "
        "mapping or an object with a 'logits' tensor"
    )


def own_loss(output) -> torch.Tensor:
    """The loss that a model computed itself: ``output.loss`` (or ``output["loss"]``)."""
    loss = field_of(output, "loss")
    if not isinstance(loss, torch.Tensor):
        raise ValueError(
            f"loss_fn=None takes the model's own loss (outputs.loss), but the model returned a "
            f"{type(output).__name__} without one; put the targets in the batch (a Hugging Face model "
            "computes its loss when 'labels' are passed) or pass a loss_fn(outputs, targets)"
        )
    return loss


class Objective:
    """The scalar loss of a batch: ``loss_fn(outputs, targets)``, or with ``loss_fn=None`` the
    model's own ``outputs.loss``, the targets passed to the model as the keyword ``target_key``
    (``"labels"`` by default), as Hugging Face models take them.

    :meth:`arguments` gives the model's call arguments for a batch, :meth:`__call__` the loss
    of what the model returned. A model's own mean loss on one example is that example's loss,
    so per-example gradients stay exact either way.
    """

    def __init__(self, loss_fn, target_key: str | None = None):
        if loss_fn is not None and not callable(loss_fn):
            raise TypeError(
                f"loss_fn must be callable(outputs, targets) -> scalar tensor, or None for the model's "
                f"own loss (outputs.loss), got {type(loss_fn).__name__}"
            )
        self.loss_fn = loss_fn
        self.target_key = DEFAULT_TARGET_KEY if target_key is None else target_key

    @property
    def needs_targets(self) -> bool:
        """Whether the batches must hold targets (a loss_fn takes them; the model's own loss may not)."""
        return self.loss_fn is not None

    def arguments(self, inputs, targets) -> tuple:
        """``(args, kwargs)`` that call the model on a batch; for its own loss, the targets go in
        as the keyword ``target_key``.
        """
        args, kwargs = call_arguments(inputs)
        if self.loss_fn is None and targets is not None:
            kwargs[self.target_key] = targets
        return args, kwargs

    def __call__(self, outputs, targets) -> torch.Tensor:
        """The loss of ``outputs`` (what the model returned) against ``targets``; ValueError
        unless it is a scalar tensor.
        """
        loss = own_loss(outputs) if self.loss_fn is None else self.loss_fn(outputs, targets)
        if not isinstance(loss, torch.Tensor) or loss.ndim != 0:
            shape = tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__
            source = "the model's own outputs.loss" if self.loss_fn is None else "loss_fn"
            raise ValueError(
                f"{source} must return a scalar tensor (e.g. a mean), got {shape}; use reduction='mean' or 'sum'"
            )
        return loss

    def __repr__(self) -> str:
        return "the model's own loss" if self.loss_fn is None else repr(self.loss_fn)
