"""Public names loaded on first use, so that importing a package does not import the heavy
framework (torch, lightning, transformers) behind them."""

from __future__ import annotations

import importlib


def lazy_getattr(package: str, modules: dict, namespace: dict):
    """A module-level ``__getattr__`` for ``package``: name ``n`` in ``modules`` is imported from
    ``modules[n]`` on first use and kept in ``namespace`` (the package's ``globals()``)."""

    def __getattr__(name: str):
        if name in modules:
            value = getattr(importlib.import_module(modules[name]), name)
            namespace[name] = value
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
