"""Which train/eval mode a network's layers are in while netscope computes on it.

Per-sample gradients and activations are taken in eval mode by default: dropout off, BatchNorm
on its running statistics, so that each example's value depends on that example alone. Every
module's flag is put back afterwards, whatever happens.
"""

from __future__ import annotations

import contextlib

import torch

MODES = ("eval", "dropout", "train")


def _is_dropout(module: torch.nn.Module) -> bool:
    return isinstance(
        module, (torch.nn.modules.dropout._DropoutNd, torch.nn.AlphaDropout, torch.nn.FeatureAlphaDropout)
    )


def check_mode(model: torch.nn.Module, mode: str) -> str:
    """``mode`` checked against the model: "train" is refused where it has BatchNorm layers."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if mode == "train":
        batch_norms = [
            name for name, module in model.named_modules() if isinstance(module, torch.nn.modules.batchnorm._BatchNorm)
        ]
        if batch_norms:
            raise ValueError(
                f"mode='train' would put the BatchNorm layers {batch_norms[:3]} in train mode, where each "
                "example's output depends on the statistics of its whole batch: per-example gradients would "
                "couple the examples, and the running statistics would change. Use mode='eval' (running "
                "statistics, the default) or mode='dropout' (dropout on, BatchNorm on running statistics)"
            )
    return mode


@contextlib.contextmanager
def modes(model: torch.nn.Module, mode: str = "eval"):
    """Within the block, ``model`` is in ``mode``: "eval" (every module in eval mode), "dropout"
    (eval, but dropout layers in train mode) or "train" (every module in train mode). Every
    module's own flag is restored on exit.
    """
    saved = [(module, module.training) for module in model.modules()]
    try:
        model.train(mode == "train")
        if mode == "dropout":
            for module in model.modules():
                if _is_dropout(module):
                    module.train()
        yield model
    finally:
        for module, training in saved:
            module.training = training
