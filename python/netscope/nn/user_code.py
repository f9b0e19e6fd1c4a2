"""The command line on a researcher's own code: ``pkg.module:name`` references and saved weights.

``--model pkg.module:factory`` names a callable that returns an ``nn.Module``; ``--data`` and
``--probe`` name a callable that returns the data (a tensor pair or a DataLoader; see
:mod:`netscope.data`) or the data itself; ``--loss`` is ``cross_entropy``, ``mse`` or a reference to
a loss function (or an ``nn.Module`` loss class). The current folder is searched first, as
``python -m`` does. ``--weights`` and ``--checkpoints`` are read by :func:`load_weights`: torch
state dicts, Lightning ``.ckpt``, ``.safetensors`` and Hugging Face ``save_pretrained`` folders,
never running pickled code. Every failure is a ValueError that names the flag.
"""

from __future__ import annotations

import glob
import importlib
import json
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
        raise ValueError(
            f"{flag}: cannot import module {module_name!r} ({error}); run from the folder that "
            "holds it or add that folder to PYTHONPATH"
        ) from None
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
        raise ValueError(
            f"{flag}: {reference!r} is not callable (its type is {type(factory).__name__}); "
            "name a function that returns a model"
        )
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


WEIGHTS_FORMATS = (
    "a torch state dict (alone, or under state_dict/model_state_dict/model as in a Lightning .ckpt), "
    "a .safetensors file, or a Hugging Face save_pretrained folder (model.safetensors or "
    "pytorch_model.bin, sharded with an *.index.json or not)"
)
# The weight files of a save_pretrained folder, in the order transformers itself tries them.
PRETRAINED_FILES = ("model.safetensors", "pytorch_model.bin")


def _pretrained_files(folder: Path, flag: str) -> list | None:
    """The files that hold a save_pretrained folder's weights: its single file, or every shard its
    ``*.index.json`` lists; None when the folder holds neither.
    """
    for name in PRETRAINED_FILES:
        if (folder / name).is_file():
            return [folder / name]
        index = folder / f"{name}.index.json"
        if index.is_file():
            return _shards(index, flag)
    return None


def _shards(index: Path, flag: str) -> list:
    """The shard files that a sharded checkpoint's ``*.index.json`` lists, each once, in its order."""
    try:
        weight_map = json.loads(index.read_text())["weight_map"]
        shards = [index.parent / shard for shard in dict.fromkeys(weight_map.values())]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise ValueError(
            f"{flag}: {index} is not a shard index (a JSON object with a 'weight_map' of key -> file): "
            f"{type(error).__name__}: {error}"
        ) from None
    absent = [shard.name for shard in shards if not shard.is_file()]
    if absent:
        raise ValueError(f"{flag}: {index} lists shards that are not beside it: {_abbreviated(absent)}")
    return shards


def checkpoint_files(pattern: str, flag: str = "--checkpoints") -> list:
    """The weight files and save_pretrained folders (e.g. the HF Trainer's ``run/checkpoint-*``)
    that the glob ``pattern`` matches, in natural order; folders without model weights in them
    (logs, say) are left out.
    """
    matches = (Path(name) for name in glob.glob(pattern))
    files = sorted(
        (path for path in matches if path.is_file() or (path.is_dir() and _pretrained_files(path, flag))),
        key=natural_key,
    )
    if not files:
        raise ValueError(f"{flag}: no weights file or save_pretrained folder matches {pattern!r}")
    return files


def _unpickling_reason(error: Exception) -> str:
    """What torch.load's refusal says, without its advice to load with weights_only=False."""
    text = str(error)
    refused = re.search(r"Unsupported global: GLOBAL (\S+)", text)
    if refused:
        return (
            f"it pickles the Python object {refused.group(1)}, and netscope never runs pickled code "
            "(torch.load with weights_only=True); save model.state_dict() instead"
        )
    found = re.search(r"WeightsUnpickler error:\s*(.+)", text)
    detail = (found.group(1) if found else text.splitlines()[0] if text else "").strip()
    return f"it is not a file that torch.save wrote ({type(error).__name__}: {detail})"


def _read_tensors(path: Path, device, flag: str) -> dict:
    """The name -> tensor dict in one file: a .safetensors file, or a torch file holding a state
    dict alone or under state_dict/model_state_dict/model (a Lightning .ckpt has "state_dict").
    """
    # Read here rather than left to torch.load, which reads .safetensors only in recent releases
    # (netscope takes torch >= 2.1).
    if path.suffix == ".safetensors":
        try:
            from safetensors.torch import load_file
        except ImportError:
            raise ValueError(
                f"{flag}: {path} is a .safetensors file; reading it needs the safetensors package: "
                "pip install safetensors"
            ) from None
        try:
            return load_file(path, device=str(device))
        except Exception as error:  # safetensors raises its own SafetensorError, and OSError
            raise ValueError(
                f"{flag}: cannot read {path} as safetensors ({type(error).__name__}: "
                f"{str(error).splitlines()[0] if str(error) else ''})"
            ) from None
    try:
        state = torch.load(path, map_location=device, weights_only=True)
    except Exception as error:  # unpickling raises many kinds; all mean "not a weights file"
        raise ValueError(
            f"{flag}: cannot read {path}: {_unpickling_reason(error)}. Formats read: {WEIGHTS_FORMATS}"
        ) from None
    for key in ("state_dict", "model_state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
            break
    if not isinstance(state, dict) or not all(isinstance(value, torch.Tensor) for value in state.values()):
        raise ValueError(
            f"{flag}: {path} holds a {type(state).__name__} that is not a state dict of tensors. "
            f"Formats read: {WEIGHTS_FORMATS}"
        )
    return state


def _abbreviated(keys, shown: int = 5) -> str:
    """The first ``shown`` of ``keys`` in sorted order, and how many more there are."""
    keys = sorted(keys)
    return ", ".join(keys[:shown]) + (f" and {len(keys) - shown} more" if len(keys) > shown else "")


def _as_model_keys(state: dict, model: torch.nn.Module) -> dict | None:
    """``state`` keyed as ``model.state_dict()`` is, or None where no reading fits: its keys as
    they are, or else, under the shortest module prefix whose removal gives the model's keys (the
    LightningModule attribute's "model.", DDP's "module.", torch.compile's "_orig_mod."), the keys
    under it with the prefix removed (the others, such as a Lightning loss's buffers, are left
    out). A model key may be absent when a tensor tied to it (one storage, as a language model's
    output layer shares its embedding's, which save_pretrained writes once) is present.
    """
    wanted = model.state_dict()
    storages: dict[tuple, set[str]] = {}
    for key, tensor in wanted.items():
        if tensor.numel():  # empty tensors share no storage worth the name
            storages.setdefault((tensor.data_ptr(), tensor.shape, tensor.stride()), set()).add(key)
    tied = {key: group for group in storages.values() for key in group}

    def fits(keys) -> bool:
        keys = set(keys)
        return keys <= wanted.keys() and all(key in keys or tied.get(key, set()) & keys for key in wanted)

    if fits(state.keys()):
        return state
    prefixes = sorted(
        {key[: end + 1] for key in state for end, char in enumerate(key) if char == "."},
        key=lambda prefix: (len(prefix), prefix),
    )
    for prefix in prefixes:
        stripped = {key[len(prefix) :]: value for key, value in state.items() if key.startswith(prefix)}
        if fits(stripped.keys()):
            return stripped
    return None


def load_weights(model: torch.nn.Module, path, flag: str = "--checkpoints") -> None:
    """Load the weights saved at ``path`` into ``model``. Read: a torch file (torch.save's) that
    holds a state dict, alone or under ``state_dict``, ``model_state_dict`` or ``model`` (a
    Lightning ``.ckpt`` holds it under ``state_dict``); a ``.safetensors`` file (needs the
    safetensors package); a Hugging Face ``save_pretrained`` folder, with ``model.safetensors``
    or ``pytorch_model.bin``, or the shards that its ``*.index.json`` lists; or such an index
    file. Keys under a module prefix ("model." of Lightning) are matched as
    :func:`_as_model_keys` says. torch files are read with ``weights_only=True``: no pickled
    code runs. Anything else, and keys that do not fit the model, raise a ValueError that names
    ``flag``.
    """
    path = Path(path)
    if not path.exists():
        raise ValueError(f"{flag}: {path} does not exist")
    if path.is_dir():
        files = _pretrained_files(path, flag)
        if files is None:
            raise ValueError(
                f"{flag}: the folder {path} holds none of {', '.join(PRETRAINED_FILES)} (or their "
                f"*.index.json). Formats read: {WEIGHTS_FORMATS}"
            )
    else:
        files = _shards(path, flag) if path.name.endswith(".index.json") else [path]
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    state = {}
    for file in files:
        state.update(_read_tensors(file, device, flag))
    matched = _as_model_keys(state, model)
    if matched is None:
        wanted = model.state_dict().keys()
        raise ValueError(
            f"{flag}: {path} does not fit the model from --model: missing keys "
            f"{_abbreviated(wanted - state.keys()) or 'none'}; unexpected keys "
            f"{_abbreviated(state.keys() - wanted) or 'none'}"
        )
    try:
        # strict=False only for the tied keys _as_model_keys allowed to be absent; it checked the rest.
        model.load_state_dict(matched, strict=False)
    except RuntimeError as error:  # a key that fits with a tensor that does not: shapes
        raise ValueError(
            f"{flag}: {path} does not fit the model from --model: {' '.join(str(error).split())[:400]}"
        ) from None
