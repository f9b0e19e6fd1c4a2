"""The command line on a researcher's own code: ``pkg.module:name`` references and saved weights.

``--model pkg.module:factory`` names a callable that returns an ``nn.Module``; ``--data`` and
``--probe`` name a callable that returns the data (a tensor pair or a DataLoader; see
:mod:`netscope.data`) or the data itself; ``--loss`` is ``cross_entropy``, ``mse`` or a reference to
a loss function (or an ``nn.Module`` loss class). The current folder is searched first, as
``python -m`` does. Every failure is a ValueError that names the flag.
"""

from __future__ import annotations

import glob
import importlib
import re
import sys
from pathlib import Path

import torch

LOSSES = {"cross_entropy": torch.nn.CrossEntropyLoss, "mse": torch.nn.MSELoss}


def resolve(reference: str, flag: str):
    """The object that ``reference`` (``"pkg.module:attribute"``) names."""
    module_name, colon, attribute = str(reference).partition(":")
    if not colon or not module_name or not attribute:
        raise ValueError(f"{flag}: {reference!r} must look like 'package.module:name'")
    if "" not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ValueError(f"{flag}: cannot import module {module_name!r} ({error}); run from the folder that "
                         "holds it or add that folder to PYTHONPATH") from None
    value = module
    for part in attribute.split("."):
        if not hasattr(value, part):
            raise ValueError(f"{flag}: module {module_name!r} has no attribute {attribute!r}")
        value = getattr(value, part)
    return value


def build_model(reference: str, flag: str = "--model", device=None) -> torch.nn.Module:
    """Call the factory that ``reference`` names; the model it returns, moved to ``device``."""
    factory = resolve(reference, flag)
    if not callable(factory):
        raise ValueError(f"{flag}: {reference!r} is not callable (its type is {type(factory).__name__}); name a function that returns a model")
    model = factory()
    if not isinstance(model, torch.nn.Module):
        raise ValueError(f"{flag}: {reference}() returned a {type(model).__name__}, not a torch.nn.Module")
    if device is not None:
        try:
            model = model.to(device)
        except (RuntimeError, TypeError) as error:
            raise ValueError(f"--device: cannot move the model to {device!r} ({error})") from None
    return model


def load_data(reference: str, flag: str):
    """What ``reference`` names, called if it is a function (a DataLoader is taken as it is)."""
    value = resolve(reference, flag)
    if callable(value) and not isinstance(value, (torch.utils.data.DataLoader, torch.nn.Module)):
        value = value()
    return value


def load_loss(name: str, flag: str = "--loss"):
    """``cross_entropy``, ``mse``, or the loss function (or ``nn.Module`` class) a reference names."""
    if name in LOSSES:
        return LOSSES[name]()
    value = resolve(name, flag)
    if isinstance(value, type) and issubclass(value, torch.nn.Module):
        value = value()
    if not callable(value):
        raise ValueError(f"{flag}: {name!r} is a {type(value).__name__}, not a loss function")
    return value


def natural_key(path) -> list:
    """Sort key that orders ``epoch_2`` before ``epoch_10``."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", str(path))]


def checkpoint_files(pattern: str, flag: str = "--checkpoints") -> list:
    """The files that the glob ``pattern`` matches, in natural order."""
    files = sorted((Path(name) for name in glob.glob(pattern) if Path(name).is_file()), key=natural_key)
    if not files:
        raise ValueError(f"{flag}: no file matches {pattern!r}")
    return files


def load_weights(model: torch.nn.Module, path, flag: str = "--checkpoints") -> None:
    """Load the state dict saved at ``path`` into ``model``: a plain state dict, or a dict that
    holds one under ``state_dict``, ``model_state_dict`` or ``model``."""
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    try:
        state = torch.load(path, map_location=device, weights_only=True)
    except Exception as error:  # unpickling raises many kinds; all mean "not a weights file"
        raise ValueError(f"{flag}: cannot read {path} as saved torch weights ({type(error).__name__}: "
                         f"{str(error).splitlines()[0]})") from None
    for key in ("state_dict", "model_state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
            break
    if not isinstance(state, dict):
        raise ValueError(f"{flag}: {path} holds a {type(state).__name__}, not a state dict")
    try:
        model.load_state_dict(state)
    except RuntimeError as error:
        raise ValueError(f"{flag}: {path} does not fit the model from --model: "
                         f"{' '.join(str(error).split())[:400]}") from None
