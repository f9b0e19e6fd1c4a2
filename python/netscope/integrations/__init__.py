"""Recording from training frameworks: callbacks that drive a :class:`netscope.recording.Recorder`.

- :class:`LightningRecorder` — a ``lightning.pytorch.Callback`` (or ``pytorch_lightning``'s).
- :class:`TrainerRecorder` — a ``transformers.TrainerCallback`` for the Hugging Face ``Trainer``.

``import netscope.integrations`` loads neither framework: each loads when its callback is first
named, and a missing one raises ImportError saying what to install.
"""

from .._lazy import lazy_getattr

# Public names whose modules import a training framework: loaded on first use.
_LAZY = {"LightningRecorder": "netscope.integrations.lightning", "TrainerRecorder": "netscope.integrations.huggingface"}
__getattr__ = lazy_getattr("netscope.integrations", _LAZY, globals())


__all__ = ["LightningRecorder", "TrainerRecorder"]
