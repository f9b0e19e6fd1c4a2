"""Small reference networks and the data the seed experiments train or probe them on."""

from __future__ import annotations

from collections import OrderedDict

import torch

from ._validation import check_int

ACTIVATIONS = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid, "gelu": torch.nn.GELU}


def mlp(n_inputs: int, width: int, depth: int, n_outputs: int, activation: str = "tanh") -> torch.nn.Sequential:
    """A multi-layer perceptron with ``depth`` hidden layers of ``width`` neurons.

    Linear layers are named ``layer1`` .. ``layer{depth+1}`` (activations ``act1`` ..), so the
    parameter layout reads ``layer1.weight``, ``layer1.bias``, ... . Parameters:
    (n_inputs + 1) width + (depth - 1)(width + 1) width + (width + 1) n_outputs.
    """
    n_inputs = check_int(n_inputs, "n_inputs", minimum=1)
    width = check_int(width, "width", minimum=1)
    depth = check_int(depth, "depth", minimum=1)
    n_outputs = check_int(n_outputs, "n_outputs", minimum=1)
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    modules = OrderedDict()
    sizes = [n_inputs] + [width] * depth
    for i in range(depth):
        modules[f"layer{i + 1}"] = torch.nn.Linear(sizes[i], sizes[i + 1])
        modules[f"act{i + 1}"] = ACTIVATIONS[activation]()
    modules[f"layer{depth + 1}"] = torch.nn.Linear(width, n_outputs)
    return torch.nn.Sequential(modules)


def regression_1d(n_points: int = 256, *, noise: float = 0.05, seed: int = 0):
    """The seed's 1-D regression data: x on [-1, 1], y = sin(3x) + 0.5 x² + noise.

    Returns float32 tensors ``(inputs (n, 1), targets (n, 1))``, generated (nothing downloaded).
    """
    n_points = check_int(n_points, "n_points", minimum=2)
    generator = torch.Generator().manual_seed(seed)
    x = torch.linspace(-1.0, 1.0, n_points).unsqueeze(1)
    y = torch.sin(3 * x) + 0.5 * x**2 + noise * torch.randn(x.shape, generator=generator)
    return x, y
