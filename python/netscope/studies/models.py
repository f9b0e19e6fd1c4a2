"""Small reference networks and the data the seed experiments train or probe them on."""

from __future__ import annotations

from collections import OrderedDict

import torch

from ..core._validation import check_int

ACTIVATIONS = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid, "gelu": torch.nn.GELU}


def mlp(n_inputs: int, width: int, depth: int, n_outputs: int, activation: str = "tanh") -> torch.nn.Sequential:
    """A multi-layer perceptron with ``depth`` hidden layers of ``width`` neurons.

    Parameters: (n_inputs + 1) width + (depth - 1)(width + 1) width + (width + 1) n_outputs.
    See :func:`mlp_from_sizes` for the layer names.
    """
    width = check_int(width, "width", minimum=1)
    depth = check_int(depth, "depth", minimum=1)
    return mlp_from_sizes([n_inputs] + [width] * depth + [n_outputs], activation)


def mlp_from_sizes(sizes, activation: str = "tanh") -> torch.nn.Sequential:
    """An MLP through layers of the given ``sizes`` (inputs, hidden..., outputs).

    Linear layers are named ``layer1`` .. ``layer{len(sizes)-1}`` and the activation after each
    hidden one ``act1`` .., so parameters read ``layer1.weight``, ``layer1.bias``, ... and the
    hidden layers' outputs are the ``act*`` modules.
    """
    sizes = [check_int(size, "sizes", minimum=1) for size in sizes]
    if len(sizes) < 3:
        raise ValueError(f"sizes must list inputs, at least one hidden layer and outputs, got {sizes}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    modules: OrderedDict[str, torch.nn.Module] = OrderedDict()
    for i in range(len(sizes) - 1):
        modules[f"layer{i + 1}"] = torch.nn.Linear(sizes[i], sizes[i + 1])
        if i < len(sizes) - 2:
            modules[f"act{i + 1}"] = ACTIVATIONS[activation]()
    return torch.nn.Sequential(modules)


def train_epoch(
    model: torch.nn.Module,
    optimiser,
    loss,
    x: torch.Tensor,
    y: torch.Tensor,
    generator: torch.Generator,
    batch_size: int = 64,
) -> None:
    """One epoch of minibatch training on ``(x, y)`` in an order drawn from ``generator``.
    O(len(x) × one forward and backward pass).
    """
    model.train()
    for batch in torch.randperm(len(x), generator=generator).split(batch_size):
        optimiser.zero_grad()
        loss(model(x[batch]), y[batch]).backward()
        optimiser.step()


def digits_images():
    """scikit-learn's bundled 8×8 digits, all 1 797 real images (nothing downloaded), scaled to
    [0, 1]: ``(images (1797, 64) float32 tensor, labels (1797,) int64 numpy array)``.
    """
    from sklearn.datasets import load_digits

    images, labels = load_digits(return_X_y=True)
    return torch.as_tensor(images / 16.0, dtype=torch.float32), labels


def digits(*, test_size: float = 0.2, seed: int = 0):
    """:func:`digits_images` split stratified: ``(x_train, y_train, x_test, y_test)`` as
    float32/int64 tensors.
    """
    from sklearn.model_selection import train_test_split

    images, labels = digits_images()
    x_train, x_test, y_train, y_test = train_test_split(
        images.numpy(), labels, test_size=test_size, stratify=labels, random_state=seed
    )
    return (
        torch.as_tensor(x_train, dtype=torch.float32),
        torch.as_tensor(y_train, dtype=torch.int64),
        torch.as_tensor(x_test, dtype=torch.float32),
        torch.as_tensor(y_test, dtype=torch.int64),
    )


def regression_1d(n_points: int = 256, *, noise: float = 0.05, seed: int = 0):
    """The seed's 1-D regression data: x on [-1, 1], y = sin(3x) + 0.5 x² + noise.

    Returns float32 tensors ``(inputs (n, 1), targets (n, 1))``, generated (nothing downloaded).
    """
    n_points = check_int(n_points, "n_points", minimum=2)
    generator = torch.Generator().manual_seed(seed)
    x = torch.linspace(-1.0, 1.0, n_points).unsqueeze(1)
    y = torch.sin(3 * x) + 0.5 * x**2 + noise * torch.randn(x.shape, generator=generator)
    return x, y
