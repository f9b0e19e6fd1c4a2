"""Checkpoints of a streaming fit, so that a killed run resumes where it stopped.

A checkpoint is two files, each written atomically (a temporary file, then a rename): the
accumulator's own state at ``path`` and, at ``path + ".json"``, the run's settings and the losses
seen so far. The sidecar is written first, so it always covers at least the samples the state
holds; on resume the state's count says where to go on, and the chunks after it are the ones an
uninterrupted run computes, so the result is the same bit for bit.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np


class Checkpoint:
    """Save ``(accumulator, losses)`` every ``every`` samples to ``path``; restore them on resume.

    ``losses`` is the fit's list of per-chunk loss arrays.

    ``settings`` (a JSON-able dict) identifies the run: a checkpoint written with other settings is
    refused, since resuming from it would mix two different sample streams.
    """

    def __init__(self, path, every: int, settings: dict):
        self.path = Path(path)
        self.sidecar = Path(f"{self.path}.json")
        self.every = every
        self.settings = settings
        self._saved_count = 0

    def restore(self, accumulator_class):
        """``(accumulator, losses)`` from the files, or None when there is no checkpoint yet."""
        if not self.path.exists():
            return None
        if not self.sidecar.exists():
            raise ValueError(f"checkpoint: {self.sidecar} is missing; delete {self.path} to start afresh")
        accumulator = accumulator_class.load(self.path)
        try:
            saved = json.loads(self.sidecar.read_text())
        except json.JSONDecodeError as error:
            raise ValueError(f"checkpoint: {self.sidecar} is not valid JSON ({error})") from None
        different = {key: (saved["settings"].get(key), value) for key, value in self.settings.items()
                     if saved["settings"].get(key) != value}
        if different:
            changes = ", ".join(f"{key}: {old!r} then, {new!r} now" for key, (old, new) in different.items())
            raise ValueError(f"checkpoint: {self.path} was written by a run with other settings ({changes}); "
                             "run with those settings, or delete the checkpoint to start afresh")
        losses = saved["losses"]
        if len(losses) < accumulator.count:
            raise ValueError(f"checkpoint: {self.sidecar} holds {len(losses)} losses for {accumulator.count} samples")
        self._saved_count = accumulator.count
        return accumulator, [np.asarray(losses[:accumulator.count], dtype=np.float64)]

    def after_chunk(self, accumulator, losses) -> None:
        """Save if ``every`` samples went by since the last save (checkpoints fall on chunk ends)."""
        if accumulator.count - self._saved_count >= self.every:
            self.save(accumulator, losses)

    def save(self, accumulator, losses) -> None:
        """Write the sidecar, then the state. O(size of the state)."""
        flat = np.concatenate(losses).astype(np.float64).tolist() if losses else []
        payload = {"settings": self.settings, "count": accumulator.count, "losses": flat}
        temporary = Path(f"{self.sidecar}.tmp")
        temporary.write_text(json.dumps(payload))
        os.replace(temporary, self.sidecar)
        accumulator.save(self.path)
        self._saved_count = accumulator.count
