"""Recording from training frameworks: callbacks that drive a :class:`netscope.recording.Recorder`.

- :class:`LightningRecorder` — a ``lightning.pytorch.Callback`` (or ``pytorch_lightning``'s).
- :class:`TrainerRecorder` — a ``transformers.TrainerCallback`` for the Hugging Face ``Trainer``.

``import netscope.integrations`` loads neither framework: each loads when its callback is first
named, and a missing one raises ImportError saying what to install.
"""

import importlib

# Public names whose modules import a training framework: loaded on first use.
_LAZY = {"LightningRecorder": "netscope.integrations.lightning",
         "TrainerRecorder": "netscope.integrations.huggingface"}


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'netscope.integrations' has no attribute {name!r}")


__all__ = ["LightningRecorder", "TrainerRecorder"]
