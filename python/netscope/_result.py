"""What every typed result shares: its JSON-ready form."""

from __future__ import annotations

import dataclasses

import numpy as np


def _plain(value):
    """``value`` with arrays as lists and dataclasses as dicts, for JSON."""
    if dataclasses.is_dataclass(value):
        return {field.name: _plain(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


class Result:
    """Base of netscope's typed results (frozen dataclasses with arrays inside)."""

    def to_dict(self) -> dict:
        """The result as plain lists, numbers and dicts (JSON-ready)."""
        return _plain(self)
