"""What the framework callbacks share: their options, checked when the callback is made, and
when they build the :class:`~netscope.recording.Recorder` and record (the frameworks only differ
in which hook calls which method and where they keep the epoch and step counts)."""

from __future__ import annotations

import inspect

import torch

from ..core._validation import check_int
from ..recording.recorder import Recorder
from ..recording.run_folder import snapshot_indices

# The Recorder's keyword options a callback passes through (``every`` it takes itself).
RECORDER_OPTIONS = tuple(
    name
    for name, parameter in inspect.signature(Recorder).parameters.items()
    if parameter.kind is inspect.Parameter.KEYWORD_ONLY and name != "every"
)


class RecordingCallback:
    """A :class:`~netscope.recording.Recorder` driven by a training loop's hooks.

    The framework's callback class comes second in a subclass's bases; this class holds the
    options (``every``, ``record_at_start`` and the Recorder's own, checked here so that a
    mistake shows when the callback is made rather than when training starts), and the
    subclass's hooks call :meth:`_begin` once training starts and :meth:`_epoch_end` after each
    epoch, on the main process only. ``recorder`` is the Recorder once training started.
    """

    def __init__(self, probe, run_dir, *, every: int = 1, record_at_start: bool = True, **recorder_options):
        self.every = check_int(every, "every", minimum=1)
        if not isinstance(record_at_start, bool):
            raise TypeError(f"record_at_start must be True or False, got {type(record_at_start).__name__}")
        unknown = sorted(set(recorder_options) - set(RECORDER_OPTIONS))
        if unknown:
            raise TypeError(
                f"{type(self).__name__} got unknown options {unknown}; the Recorder takes {', '.join(RECORDER_OPTIONS)}"
            )
        self.probe, self.run_dir, self.record_at_start = probe, run_dir, record_at_start
        self.recorder_options = recorder_options
        self.recorder: Recorder | None = None

    def _begin(self, model: torch.nn.Module, *, epoch: int, step: int) -> None:
        """Build the Recorder on ``model`` (already on its training device: the probe follows it
        there), and record the state before training unless the run folder holds snapshots
        already (a resumed run goes on after its last one)."""
        self.recorder = recorder = Recorder(model, self.probe, self.run_dir, every=self.every, **self.recorder_options)
        if self.record_at_start and not snapshot_indices(recorder.run_dir):
            recorder.record(epoch=epoch, label="start", step=step)

    def _epoch_end(self, *, epoch: int, step: int) -> None:
        """Count one finished epoch; the Recorder records at every ``every``-th."""
        if self.recorder is None:
            raise RuntimeError(
                f"{type(self).__name__}: an epoch ended before training started; the trainer must "
                "call the training-start hook first"
            )
        self.recorder.step(epoch=epoch, step=step)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({str(self.run_dir)!r}, every={self.every}, record_at_start={self.record_at_start})"
        )
