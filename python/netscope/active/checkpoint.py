"""Checkpoints of a fit, so that a killed run resumes where it stopped.

A checkpoint of ``path`` is up to three files: at ``path + ".json"`` the run's settings, the
sample count and the losses so far; at ``path`` the streaming accumulator's own state (the
solvers that hold one); at ``path + ".gradients.npy"`` the kept gradient rows (the solvers that
need them, or any fit that keeps its gradients), memory-mapped and checksummed chunk by chunk
(:class:`netscope.active.rows.DiskRows`). The rows are flushed first, then the sidecar and the
state are each written atomically (a temporary file, then a rename), the sidecar first, so it
always covers at least the samples the state holds. On resume the count says where to go on,
and the chunks after it are the ones an uninterrupted run computes, so the result is the same
bit for bit.

A fit that replays its stream (``method="multipass"``) is checkpointed after every pass instead
(:class:`PassCheckpoint`: one file a pass, the passes' state); a resumed run goes on with the
next pass, and since every pass reads the same chunks and every random draw comes from the seed,
its result too is the same bit for bit.
"""

from __future__ import annotations

import glob
import json
import os
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core._validation import check_int
from . import distributed
from .rows import DiskRows

if TYPE_CHECKING:
    from .passes import State
    from .settings import FitSettings

# Settings that checkpoints of earlier versions do not record, with the value those runs had.
ADDED_SETTINGS = {"sketch_dtype": "float64", "layer_blocks": False}


def per_rank(path, rank: int, world: int) -> str:
    """The checkpoint ``path`` of this process: ``<path>.rank<r>`` under ``torch.distributed``."""
    path = os.fspath(path)
    return path if world == 1 else f"{path}.rank{rank}"


def run_identity(
    settings: FitSettings,
    solver,
    *,
    n_parameters: int,
    n_samples: int,
    seed: int,
    chunk_size: int,
    rank: int,
    world: int,
    layer_blocks: bool,
) -> dict:
    """What decides a fit's sample stream and state, as a checkpoint records it: the settings,
    the ``solver``'s own, the resolved sizes and seed, and this process's place.
    """
    return {
        "method": settings.method,
        **solver.settings(),
        "keep_gradients": settings.keeps_rows,
        "n_parameters": n_parameters,
        "n_samples": n_samples,
        "sampling": settings.sampling,
        "seed": seed,
        "scale": float(settings.scale),
        "centered": settings.centered,
        "prior_batches": settings.prior_batches,
        "mode": settings.mode,
        "backend": settings.backend,
        "chunk_size": chunk_size,
        "rank": rank,
        "world_size": world,
        "layer_blocks": layer_blocks,
    }


def check_same_settings(saved: dict, current: dict, path) -> None:
    """Refuse to resume from the checkpoint at ``path`` written with other ``saved`` settings
    than the ``current`` ones (ValueError naming each difference).
    """
    saved = {**ADDED_SETTINGS, **saved}
    different = {key: (saved.get(key), value) for key, value in current.items() if saved.get(key) != value}
    if different:
        changes = ", ".join(f"{key}: {old!r} then, {new!r} now" for key, (old, new) in different.items())
        raise ValueError(
            f"checkpoint: {path} was written by a run with other settings ({changes}); "
            "run with those settings, or delete the checkpoint to start afresh"
        )


class Checkpoint:
    """Save a fit's state every ``every`` samples to ``path``; restore it on resume.

    ``settings`` (a JSON-able dict) identifies the run: a checkpoint written with other settings is
    refused, since resuming from it would mix two different sample streams. The folder of
    ``path`` is created if need be. ``rows`` (a
    :class:`DiskRows`, or None) receives the kept gradients; the caller appends to it.
    """

    def __init__(self, path, every: int, settings: dict, rows: DiskRows | None = None, blocks=None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.sidecar = Path(f"{self.path}.json")
        self.every = every
        self.settings = settings
        self.rows = rows
        self.blocks = blocks  # per-layer states (LayerBlocks), saved in generations beside the state
        self._saved_count = 0

    @classmethod
    def for_fit(
        cls,
        settings: FitSettings,
        solver,
        *,
        n_parameters: int,
        n_samples: int,
        seed: int,
        rows: int,
        chunk_size: int,
        rank: int,
        world: int,
        blocks=None,
    ) -> Checkpoint:
        """The checkpoint of a fit with ``settings`` (its ``checkpoint`` path, ``<path>.rank<r>``
        under ``torch.distributed``), identified by what decides its sample stream: the settings,
        the ``solver``'s own, the resolved sizes and seed, and this process's place. With kept gradients,
        a :class:`DiskRows` of this process's ``rows`` samples beside it.
        """
        every = check_int(settings.checkpoint_every, "checkpoint_every", minimum=1)
        path = per_rank(settings.checkpoint, rank, world)
        disk = DiskRows(cls.rows_path(path), rows, n_parameters) if settings.keeps_rows else None
        identity = run_identity(
            settings,
            solver,
            n_parameters=n_parameters,
            n_samples=n_samples,
            seed=seed,
            chunk_size=chunk_size,
            rank=rank,
            world=world,
            layer_blocks=blocks is not None,
        )
        return cls(path, every, identity, rows=disk, blocks=blocks)

    @staticmethod
    def rows_path(path) -> Path:
        """The file beside the checkpoint ``path`` that holds its kept gradient rows."""
        return Path(f"{path}.gradients.npy")

    def begin(self, accumulator_class=None, *, resume: bool):
        """With ``resume``, ``(accumulator or None, losses, count)`` from the files; None when not
        resuming or when there is no checkpoint yet (then the row file, if any, is created afresh).
        """
        if not resume:
            if self.rows is not None:
                self.rows.open()
            return None
        if accumulator_class is not None and self.path.exists() and not self.sidecar.exists():
            raise ValueError(f"checkpoint: {self.sidecar} is missing; delete {self.path} to start afresh")
        if not self.sidecar.exists() or (accumulator_class is not None and not self.path.exists()):
            if self.rows is not None:
                self.rows.open()
            return None
        try:
            saved = json.loads(self.sidecar.read_text())
        except json.JSONDecodeError as error:
            raise ValueError(f"checkpoint: {self.sidecar} is not valid JSON ({error})") from None
        check_same_settings(saved["settings"], self.settings, self.path)
        accumulator = None if accumulator_class is None else accumulator_class.load(self.path)
        count = saved["count"] if accumulator is None else accumulator.count
        losses = saved["losses"]
        if len(losses) < count:
            raise ValueError(f"checkpoint: {self.sidecar} holds {len(losses)} losses for {count} samples")
        if self.rows is not None:
            self.rows.open(count, saved.get("rows", []))
        if self.blocks is not None:
            if not Path(f"{self._blocks_path(count)}.json").exists():
                raise ValueError(
                    f"checkpoint: the layer blocks of sample {count} are missing beside {self.path}; "
                    "delete the checkpoint to start afresh"
                )
            self.blocks.restore(self._blocks_path(count))
        self._saved_count = count
        return accumulator, [np.asarray(losses[:count], dtype=np.float64)], count

    def after_chunk(self, count: int, accumulator, losses) -> None:
        """Save if ``every`` samples went by since the last save (checkpoints fall on chunk ends)."""
        if count - self._saved_count >= self.every:
            self.save(count, accumulator, losses)

    def _blocks_path(self, count: int) -> str:
        return f"{self.path}.layers@{count}"

    def save(self, count: int, accumulator, losses) -> None:
        """Flush the rows, write the sidecar, the layer blocks of this count, then the state, and
        only then drop the blocks of earlier counts: killed anywhere, the files hold the blocks of
        the state's count. O(size of the state).
        """
        if self.rows is not None:
            self.rows.flush()
        flat = np.concatenate(losses).astype(np.float64).tolist() if losses else []
        payload = {
            "settings": self.settings,
            "count": count,
            "losses": flat,
            "rows": None if self.rows is None else self.rows.checksums,
        }
        temporary = Path(f"{self.sidecar}.tmp")
        temporary.write_text(json.dumps(payload))
        os.replace(temporary, self.sidecar)
        if self.blocks is not None:
            self.blocks.save(self._blocks_path(count))
        if accumulator is not None:
            accumulator.save(self.path)
        if self.blocks is not None:
            for old in self.path.parent.glob(f"{self.path.name}.layers@*"):
                if not old.name.startswith(f"{self.path.name}.layers@{count}."):
                    old.unlink()
        self._saved_count = count


class PassCheckpoint:
    """Save the state of a fit that replays its stream (``method="multipass"``) after every pass;
    restore it on resume.

    Pass p's checkpoint is one file, ``<path>.pass<p>`` (``<path>.rank<r>.pass<p>`` under
    ``torch.distributed``): an ``.npz`` of the passes' state
    (:meth:`netscope.active.passes.Passes.state`, under ``state.<name>``), the run's
    ``settings`` (JSON), ``passes`` (p), ``more`` (whether another pass is to run), ``count``
    (this process's samples) and ``losses`` (the first pass's, if the stream has them), written
    atomically (a temporary file, then a rename). Then the other files are deleted, except, under
    ``torch.distributed``, pass p − 1's: ranks killed between their writes may be one pass apart,
    and a resumed run goes on from the last pass that every rank saved. Cost: one write of the
    state a pass (block Krylov: D b (2p − 1) float64 after pass p; the restarted passes: their 2b
    columns of D); on disk, that state (twice under ``torch.distributed``).
    """

    def __init__(self, path, settings: dict, world: int = 1):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.settings = settings
        self.world = world

    @classmethod
    def for_fit(
        cls,
        settings: FitSettings,
        solver,
        *,
        n_parameters: int,
        n_samples: int,
        seed: int,
        chunk_size: int,
        rank: int,
        world: int,
    ) -> PassCheckpoint:
        """The checkpoint of a fit with ``settings`` (its ``checkpoint`` path, per rank under
        ``torch.distributed``), identified as :func:`run_identity` says.
        """
        identity = run_identity(
            settings,
            solver,
            n_parameters=n_parameters,
            n_samples=n_samples,
            seed=seed,
            chunk_size=chunk_size,
            rank=rank,
            world=world,
            layer_blocks=False,  # the layer blocks fill in the projections' replay, after the passes
        )
        return cls(per_rank(settings.checkpoint, rank, world), identity, world)

    def file(self, passes: int) -> Path:
        """The checkpoint of pass ``passes`` (counted from 1)."""
        return Path(f"{self.path}.pass{passes}")

    def saved_passes(self) -> list[int]:
        """The passes whose checkpoint files are here, ascending."""
        prefix = f"{self.path.name}.pass"
        found = (path.name[len(prefix) :] for path in self.path.parent.glob(f"{glob.escape(prefix)}*"))
        return sorted(int(suffix) for suffix in found if suffix.isdigit())

    def begin(self, *, resume: bool):
        """With ``resume``, ``(state, passes, more, count, losses)`` of the last pass that every
        rank saved; None when not resuming (then the files of an earlier run are deleted) or when
        no pass was saved yet.
        """
        if not resume:
            for passes in self.saved_passes():
                self.file(passes).unlink()
            return None
        passes = max(self.saved_passes(), default=0)
        if self.world > 1:
            passes = distributed.reduce_count(passes, "min")
        if passes == 0:
            return None
        path = self.file(passes)
        if not path.exists():
            raise ValueError(
                f"checkpoint: {path} is missing, which another rank has saved; delete the checkpoints to start afresh"
            )
        try:
            with np.load(path, allow_pickle=False) as archive:
                saved = {name: archive[name] for name in archive.files}  # read before the file closes
            settings = json.loads(str(saved.pop("settings")))
            numbers = int(saved.pop("passes")), bool(saved.pop("more")), int(saved.pop("count"))
        except (KeyError, OSError, ValueError, zipfile.BadZipFile) as error:
            raise ValueError(f"checkpoint: {path} is not a pass's checkpoint ({error})") from None
        check_same_settings(settings, self.settings, path)
        state = {name[6:]: value for name, value in saved.items() if name.startswith("state.")}
        return state, *numbers, saved.get("losses")

    def save(self, passes: int, state: State, *, more: bool, count: int, losses: np.ndarray | None) -> None:
        """Write pass ``passes``'s checkpoint, then delete the ones no resume can need. O(size of
        the state).
        """
        arrays: dict[str, Any] = {f"state.{name}": np.asarray(value) for name, value in state.items()}
        arrays.update(settings=np.array(json.dumps(self.settings)), passes=np.array(passes))
        arrays.update(more=np.array(more), count=np.array(count))
        if losses is not None:
            arrays["losses"] = losses
        path = self.file(passes)
        temporary = Path(f"{path}.tmp")
        with open(temporary, "wb") as handle:
            np.savez(handle, **arrays)
        os.replace(temporary, path)
        kept = passes - 1 if self.world > 1 else passes
        for old in self.saved_passes():
            if not kept <= old <= passes:  # older, or left by an earlier run that went further
                self.file(old).unlink()
