"""Record a network's hidden layers on a probe set while it trains, into a run folder
(:mod:`.run_folder`) that ``netscope structure --run`` turns into maps and the page.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

from .. import __version__
from .._archive import read_archive, write_archive
from ..active.tracking import SubspaceTracker
from ..core._metadata import hover_strings, metadata_columns
from ..core._validation import check_int
from ..nn.activations import ActivationTracker
from ..nn.data import image_inputs
from .run_folder import (
    FORMAT_VERSION,
    MANIFEST,
    PROBE_FORMAT,
    RUN_FORMAT,
    read_manifest,
    snapshot_indices,
    write_json_atomically,
    write_snapshot,
)

# What must agree between a run folder's manifest and a recorder that goes on writing into it.
_COMPATIBLE = ("layers", "probe_size", "pool", "output_field", "subspace_k")


class Recorder:
    """Snapshots of ``model`` on a fixed ``probe`` set, written into ``run_dir`` during training.

    A plain loop calls :meth:`step` once per epoch (or per step: ``every`` counts the calls);
    :class:`netscope.integrations.LightningRecorder` and
    :class:`netscope.integrations.TrainerRecorder` call it from Lightning and the Hugging Face
    ``Trainer``. Each recorded snapshot is one file, written whole or not at all (a ``kill -9``
    loses at most the snapshot being written); a recorder opened on a folder that already holds
    a run of the same layers and probe goes on after its last snapshot.

    Parameters
    ----------
    model : torch.nn.Module — the network being trained (read, never changed).
    probe : the probe set, as for :class:`netscope.ActivationTracker`: one batch or a
        re-iterable of batches in a fixed order (no shuffling).
    run_dir : path — the run folder (created if missing).
    layers, labels, loss_fn, pool, output_field, target_key, batch_size : as for
        :class:`netscope.ActivationTracker` (``loss_fn`` also serves the subspace).
    every : int — record at every ``every``-th call of :meth:`step` (default 1: each call).
    subspace_k : int — also record the probe set's data-mode active subspace (top k) and each
        example's energy in it at every snapshot, under ``loss_fn`` (None: the model's own
        ``outputs.loss``), for the page's linked view; 0 (default): none. Costs n per-example
        gradients per snapshot.
    classes : optional names of the classes (one per distinct label), kept in the manifest for
        the page.
    metadata : optional columns of facts about the probe examples, kept with the probe for the
        page (its search, tooltip, selection table and export): a mapping {name: sequence of n
        values} or a pandas DataFrame of n rows, as for :meth:`netscope.StructureMap.to_html`;
        numbers, booleans and text, checked as the page checks them and stored as JSON.
    hover_text : optional sequence of n strings, one per probe example, kept with the probe for
        the page's tooltip (e.g. the text of a text input).

    A recorder that reopens a folder keeps the metadata and hover text recorded there; given
    others, it refuses the folder.

    Cost per snapshot: one forward and backward pass over the probe set (the activations and
    sensitivities), plus the subspace's n per-example gradients where ``subspace_k`` > 0;
    the snapshot's arrays (n Σ widths float32) are written and then dropped from memory.
    """

    def __init__(
        self,
        model: torch.nn.Module,
        probe,
        run_dir,
        *,
        layers=None,
        labels=None,
        every: int = 1,
        loss_fn=None,
        pool: str = "auto",
        output_field: str | None = None,
        target_key: str | None = None,
        batch_size: int = 256,
        subspace_k: int = 0,
        classes=None,
        metadata=None,
        hover_text=None,
    ):
        self.every = check_int(every, "every", minimum=1)
        subspace_k = check_int(subspace_k, "subspace_k", minimum=0)
        self.tracker = ActivationTracker(
            model,
            probe,
            layers=layers,
            labels=labels,
            loss_fn=loss_fn,
            pool=pool,
            output_field=output_field,
            target_key=target_key,
            batch_size=batch_size,
        )
        self.subspace = None
        if subspace_k:
            self.subspace = SubspaceTracker(
                model, loss_fn, self.tracker.batches, n_components=subspace_k, target_key=target_key
            )
        n = self.tracker.batches.n_examples
        probe_header = {"metadata": metadata_columns(metadata, n), "hover_text": hover_strings(hover_text, n)}
        labels = self.tracker.labels
        if classes is not None:
            classes = [str(name) for name in classes]
            distinct = 0 if labels is None else len(np.unique(labels))
            if len(classes) != distinct:
                raise ValueError(f"classes must name each of the {distinct} distinct labels, got {len(classes)} names")
        self.run_dir = Path(run_dir)
        manifest = {
            "format": RUN_FORMAT,
            "version": FORMAT_VERSION,
            "netscope_version": __version__,
            "model_class": f"{type(model).__module__}.{type(model).__qualname__}",
            "layers": self.tracker.layers,
            "probe_size": self.tracker.batches.n_examples,
            "pool": self.tracker.pool,
            "output_field": output_field,
            "target_key": target_key,
            "subspace_k": subspace_k,
            "subspace_method": None if self.subspace is None else self.subspace.method,
            "classes": classes,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        self._next_index = self._open_folder(manifest, labels, probe_header)
        self.manifest = manifest
        self._calls = 0
        self._started = time.perf_counter()

    def _open_folder(self, manifest: dict, labels, probe_header: dict) -> int:
        """Create the run folder, or check that the one there holds the same kind of run (and,
        where given, the same ``probe_header`` metadata and hover text); clear temporary files a
        killed writer left; return the next snapshot's index.
        """
        path = self.run_dir
        if path.exists() and not path.is_dir():
            raise ValueError(f"run_dir: {path} is a file; give a folder for the run")
        existing = path / MANIFEST
        if existing.is_file():
            before = read_manifest(path)
            differ = [key for key in _COMPATIBLE if before.get(key) != manifest[key]]
            if differ:
                raise ValueError(
                    f"run_dir: {path} holds a run recorded with other settings ({', '.join(differ)}: "
                    f"{[before.get(key) for key in differ]} there, {[manifest[key] for key in differ]} "
                    "here); record into a new folder"
                )
            manifest["created"] = before["created"]
            recorded, archive = read_archive(
                path / "probe.npz", PROBE_FORMAT, FORMAT_VERSION, what="a run's probe file"
            )
            archive.close()
            differ = [key for key, value in probe_header.items() if value is not None and recorded.get(key) != value]
            if differ:
                raise ValueError(
                    f"run_dir: {path} holds a run recorded with other {' and '.join(differ)}; record into a new "
                    "folder, or leave them out to keep the recorded ones"
                )
        (path / "snapshots").mkdir(parents=True, exist_ok=True)
        for stale in list(path.glob("*.partial")) + list((path / "snapshots").glob("*.partial")):
            stale.unlink()
        if not existing.is_file():
            arrays = {} if labels is None else {"labels": labels}
            images = image_inputs(self.tracker.batches)
            if images is not None:
                arrays["images"] = images
            extras = {key: value for key, value in probe_header.items() if value is not None}
            write_archive(path / "probe.npz", {"format": PROBE_FORMAT, "version": FORMAT_VERSION, **extras}, arrays)
            write_json_atomically(existing, manifest)
        indices = snapshot_indices(path)
        return indices[-1] + 1 if indices else 0

    def step(self, epoch=None, *, label=None, step=None) -> Path | None:
        """Count one call; at every ``every``-th call record a snapshot (:meth:`record`) and
        return its file, else None. ``epoch``, ``label`` and ``step`` as for :meth:`record`.
        """
        self._calls += 1
        if (self._calls - 1) % self.every:
            return None
        return self.record(epoch=epoch, label=label, step=step)

    def record(self, *, epoch=None, label=None, step=None) -> Path:
        """Record a snapshot now and write it to the run folder; returns its file. ``label``
        (default: ``epoch`` where given, else the snapshot's index) names it on the page;
        ``epoch`` and ``step`` (the optimiser's step count) are kept beside it.
        """
        index = self._next_index
        if label is None:
            label = index if epoch is None else epoch
        if not isinstance(label, (str, int, float)) or isinstance(label, bool):
            raise TypeError(f"label must be a string or a number, got {type(label).__name__}")
        record = self.tracker.snapshot(label=label)
        self.tracker.snapshots.clear()  # written below: memory stays one snapshot's
        subspace = None
        if self.subspace is not None:
            subspace = self.subspace.snapshot(label=label)
            self.subspace.snapshots.clear()
        header = {"label": label, "epoch": epoch, "step": step, "seconds": time.perf_counter() - self._started}
        path = write_snapshot(
            self.run_dir,
            index,
            header,
            self.tracker.layers,
            record.activations,
            record.sensitivity,
            record.predictions,
            subspace,
        )
        self._next_index = index + 1
        return path

    def __repr__(self) -> str:
        return (
            f"Recorder({str(self.run_dir)!r}, layers={self.tracker.layers}, every={self.every}, "
            f"{self._next_index} snapshots)"
        )
