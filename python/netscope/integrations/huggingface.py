""":class:`TrainerRecorder`: record a model on a probe set while a Hugging Face ``Trainer``
trains it. Importing this module imports ``transformers``.
"""

from __future__ import annotations

from ._callback import RecordingCallback


def _trainer_callback() -> type:
    """``transformers.TrainerCallback``, with an ImportError saying what to install."""
    try:
        from transformers import TrainerCallback
    except ImportError:
        raise ImportError(
            "netscope.integrations.TrainerRecorder needs Hugging Face transformers: pip install transformers"
        ) from None
    return TrainerCallback


class TrainerRecorder(RecordingCallback, _trainer_callback()):  # type: ignore[misc]  # imported at run time
    """A ``transformers.TrainerCallback`` that records the model's hidden layers (by default a
    transformer's blocks) on ``probe`` into the run folder ``run_dir``: once before training
    (label ``"start"``, when ``record_at_start``) and after every ``every``-th epoch (labelled
    by the epoch count, ``round(state.epoch)``), with ``state.global_step``. Only the world's
    process zero records.

    Example::

        from netscope.integrations import TrainerRecorder
        probe = DataLoader(probe_set, batch_size=32, collate_fn=collator)  # dicts with "labels", not shuffled
        trainer = transformers.Trainer(model=model, args=args, train_dataset=train_set,
                                       callbacks=[TrainerRecorder(probe, "runs/bert")])
        trainer.train()  # then: netscope structure --run runs/bert

    Parameters
    ----------
    probe, run_dir : as for :class:`netscope.recording.Recorder` (dict batches as a data
        collator gives them: the targets under ``"labels"``, or ``target_key``).
    every : int — record after every ``every``-th epoch (default 1: each).
    record_at_start : bool — also record the untrained state when training begins (default
        True), unless ``run_dir`` holds snapshots already (a resumed run goes on after them).
    recorder_options : ``layers``, ``labels``, ``loss_fn``, ``pool``, ``subspace_k``,
        ``classes`` … — as for :class:`netscope.recording.Recorder`.

    The Recorder is built in ``on_train_begin`` from the Trainer's model, which is on its
    training device by then, with any checkpoint loaded; the probe follows it there. Cost: one
    Recorder snapshot per recorded epoch.
    """

    def on_train_begin(self, args, state, control, model=None, **kwargs) -> None:
        """Build the recorder and take the start snapshot (main process only)."""
        if state.is_world_process_zero:
            self._begin(model, epoch=round(state.epoch or 0), step=state.global_step)

    def on_epoch_end(self, args, state, control, **kwargs) -> None:
        """Record one snapshot for the finished epoch (main process only)."""
        if state.is_world_process_zero:
            self._epoch_end(epoch=round(state.epoch), step=state.global_step)
