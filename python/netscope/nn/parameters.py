"""Where every coordinate of a network's flat parameter vector comes from."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class ParameterLayout:
    """The trainable parameters of an ``nn.Module`` laid end to end as one vector of length D.

    Parameters appear in ``model.named_parameters()`` order; frozen ones
    (``requires_grad=False``) and buffers are left out. For parameter ``i``, coordinates
    ``offsets[i] : offsets[i] + sizes[i]`` of the vector hold it, flattened in row-major order.

    Attributes
    ----------
    names : tuple of str        full parameter names, e.g. ``"net.0.weight"``
    shapes : tuple of tuple     their shapes
    layers : tuple of str       owning module of each, e.g. ``"net.0"``
    kinds : tuple of str        last name component: ``"weight"``, ``"bias"``, ...
    """

    names: tuple
    shapes: tuple
    layers: tuple
    kinds: tuple

    @classmethod
    def from_module(cls, model: torch.nn.Module) -> ParameterLayout:
        """The layout of ``model``'s trainable parameters, in ``named_parameters`` order."""
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        named = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
        if not named:
            raise ValueError("model has no trainable parameters (all have requires_grad=False)")
        names = tuple(name for name, _ in named)
        return cls(
            names=names,
            shapes=tuple(tuple(p.shape) for _, p in named),
            layers=tuple(name.rpartition(".")[0] or name for name in names),
            kinds=tuple(name.rpartition(".")[2] for name in names),
        )

    @property
    def sizes(self) -> np.ndarray:
        """The number of entries of each parameter."""
        return np.array([int(np.prod(shape)) for shape in self.shapes], dtype=np.int64)

    @property
    def offsets(self) -> np.ndarray:
        """Where each parameter starts in the flat vector."""
        return np.concatenate([[0], np.cumsum(self.sizes)[:-1]]).astype(np.int64)

    @property
    def n_parameters(self) -> int:
        """D, the length of the flat vector."""
        return int(self.sizes.sum())

    def layer_slices(self) -> dict:
        """``{layer: (start, stop)}``: the contiguous coordinate range of each layer.

        Raises ValueError if a layer's parameters are not contiguous in the vector.
        """
        ranges: dict[str, tuple[int, int]] = {}
        for layer, offset, size in zip(self.layers, self.offsets, self.sizes):
            start, stop = ranges.get(layer, (int(offset), int(offset)))
            if stop != offset:
                raise ValueError(f"the parameters of layer {layer!r} are not contiguous")
            ranges[layer] = (start, int(offset + size))
        return ranges

    def flatten(self, model: torch.nn.Module) -> np.ndarray:
        """The model's current trainable parameters as a float32 vector of length D."""
        params = dict(model.named_parameters())
        missing = [name for name in self.names if name not in params]
        if missing:
            raise ValueError(f"model does not match this layout: it lacks {missing[:3]}")
        return torch.cat([params[name].detach().reshape(-1).float().cpu() for name in self.names]).numpy()

    def unflatten_rows(self, rows: torch.Tensor) -> dict:
        """``{name: view}`` of an ``(n, D)`` tensor, each view ``(n, *shape)``: no copies.

        With ``torch.func.vmap`` over dim 0 this feeds n parameter vectors to ``functional_call``.
        (Differentiating with respect to the views, not the flat rows, keeps torch from building
        a zero-filled D-vector per parameter in the backward pass: 3.5× faster here.)
        """
        n = rows.shape[0]
        return {
            name: rows[:, offset : offset + size].view(n, *shape)
            for name, shape, offset, size in zip(self.names, self.shapes, self.offsets.tolist(), self.sizes.tolist())
        }

    def concatenate_rows(self, tensors: dict) -> torch.Tensor:
        """Inverse of :meth:`unflatten_rows`: ``{name: (n, *shape)}`` to one ``(n, D)`` tensor."""
        first = tensors[self.names[0]]
        return torch.cat([tensors[name].reshape(first.shape[0], -1) for name in self.names], dim=1)

    def to_dict(self) -> dict:
        """The layout as plain JSON-serialisable data (read back by :meth:`from_dict`)."""
        return {
            "names": list(self.names),
            "shapes": [list(s) for s in self.shapes],
            "layers": list(self.layers),
            "kinds": list(self.kinds),
        }

    @classmethod
    def from_dict(cls, data: dict) -> ParameterLayout:
        """The layout written by :meth:`to_dict`."""
        return cls(
            names=tuple(data["names"]),
            shapes=tuple(tuple(s) for s in data["shapes"]),
            layers=tuple(data["layers"]),
            kinds=tuple(data["kinds"]),
        )
