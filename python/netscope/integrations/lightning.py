""":class:`LightningRecorder`: record a LightningModule on a probe set while a Lightning
``Trainer`` fits it. Importing this module imports Lightning (``lightning``, else
``pytorch_lightning``).
"""

from __future__ import annotations

import importlib

import torch

from ._callback import RecordingCallback


def _lightning_package():
    """``lightning.pytorch``, or ``pytorch_lightning`` where only that package is installed."""
    try:
        return importlib.import_module("lightning.pytorch")
    except ImportError:
        try:
            return importlib.import_module("pytorch_lightning")
        except ImportError:
            raise ImportError(
                "netscope.integrations.LightningRecorder needs Lightning: pip install lightning"
            ) from None


_LIGHTNING = _lightning_package()


class LightningRecorder(RecordingCallback, _LIGHTNING.Callback):  # type: ignore[name-defined]  # imported at run time
    """A Lightning callback that records the module's hidden layers on ``probe`` into the run
    folder ``run_dir``: once before training (label ``"start"``, when ``record_at_start``) and
    after every ``every``-th training epoch (labelled by the epoch count, 1 after the first),
    with the optimiser's step count. Only the global rank 0 process records.

    Example::

        from netscope.integrations import LightningRecorder
        recorder = LightningRecorder((x_probe, y_probe), "runs/mlp", every=1)
        trainer = lightning.pytorch.Trainer(max_epochs=20, callbacks=[recorder])
        trainer.fit(module, train_loader)
        # then: netscope structure --run runs/mlp

    Parameters
    ----------
    probe, run_dir : as for :class:`netscope.recording.Recorder`.
    every : int — record after every ``every``-th epoch (default 1: each).
    record_at_start : bool — also record the untrained state when training starts (default
        True), unless ``run_dir`` holds snapshots already (a resumed fit goes on after them).
    module_attribute : str or None — record the submodule of that name (dotted, e.g.
        ``"model"`` for a LightningModule that wraps its network as ``self.model``); None
        (default): the LightningModule itself, which must then define ``forward``.
    recorder_options : ``layers``, ``labels``, ``loss_fn``, ``subspace_k``, ``classes`` … — as
        for :class:`netscope.recording.Recorder`.

    The Recorder is built in ``on_train_start``, after Lightning has moved the module to its
    device and restored any checkpoint; the probe's batches are moved to that device as they are
    used. Where both ``lightning`` and ``pytorch_lightning`` are installed the class derives from
    the former's ``Callback``; a ``pytorch_lightning.Trainer``, which calls its callbacks' hooks
    by name, runs it all the same. Cost: one Recorder snapshot per recorded epoch.
    """

    def __init__(
        self,
        probe,
        run_dir,
        *,
        every: int = 1,
        record_at_start: bool = True,
        module_attribute: str | None = None,
        **recorder_options,
    ):
        super().__init__(probe, run_dir, every=every, record_at_start=record_at_start, **recorder_options)
        if module_attribute is not None and not isinstance(module_attribute, str):
            raise TypeError(
                f"module_attribute must be a submodule's name (str) or None, got {type(module_attribute).__name__}"
            )
        self.module_attribute = module_attribute

    def _watched(self, pl_module) -> torch.nn.Module:
        """The network to record: ``pl_module`` or its submodule ``module_attribute``."""
        if self.module_attribute is None:
            if type(pl_module).forward is _LIGHTNING.LightningModule.forward:
                raise ValueError(
                    f"{type(pl_module).__name__} defines no forward(), which the Recorder calls on the "
                    "probe; define one, or give module_attribute= naming the network it trains"
                )
            return pl_module
        try:
            return pl_module.get_submodule(self.module_attribute)
        except AttributeError:
            children = [name for name, _ in pl_module.named_children()]
            raise ValueError(
                f"module_attribute={self.module_attribute!r} names no submodule of "
                f"{type(pl_module).__name__}; its children are {children}"
            ) from None

    def on_train_start(self, trainer, pl_module) -> None:
        """Build the recorder and take the start snapshot (global rank 0 only)."""
        if trainer.is_global_zero:
            self._begin(self._watched(pl_module), epoch=trainer.current_epoch, step=trainer.global_step)

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        """Record one snapshot for the finished epoch (global rank 0 only)."""
        if trainer.is_global_zero:
            # current_epoch still counts the finished epoch from 0 here: the count of epochs done is one more.
            self._epoch_end(epoch=trainer.current_epoch + 1, step=trainer.global_step)
