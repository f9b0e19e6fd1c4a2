"""A recorded training run on disk: an append-only folder that a training process writes and any
other process reads, while training goes on or after it ended.

Layout (format version 1)::

    RUN/
      manifest.json         what the run holds: format, version, netscope version, model class,
                            layers, probe size, pooling, output field, target key, subspace k,
                            class names; written once, atomically, when recording starts
      probe.npz             the probe's labels (n,) and, for image inputs, the images; where
                            recorded, its JSON header also holds "metadata" (a list of columns
                            {"name": str, "values": n numbers, booleans, strings or nulls}) and
                            "hover_text" (n strings); folders written before they existed lack them
      snapshots/000000.npz  one file per snapshot (netscope archive "netscope.run.snapshot"):
      snapshots/000001.npz  header {index, label, epoch, step, seconds}; per layer i
      ...                   activations_{i} (n, w) float32 and sensitivity_{i} (n,) float64;
                            predictions (n,) int64 where the labels are the model's classes;
                            eigenvalues (k,) and energy (n,) where the subspace is recorded
      maps/                 what ``netscope structure --run`` writes: the page, figures, metrics
                            and the saved map that the next call warm-starts from

Every file is written to a temporary name and renamed, so a reader sees a snapshot whole or not
at all, and a ``kill -9`` loses at most the snapshot being written; temporary files
(``*.partial``) are never read, and the next recorder on the folder removes them.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np

from .._archive import read_archive, write_archive
from ..active.tracking import SubspaceRecords
from ..nn.activations import Snapshot

RUN_FORMAT, SNAPSHOT_FORMAT, PROBE_FORMAT = "netscope.run", "netscope.run.snapshot", "netscope.run.probe"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
_SNAPSHOT_NAME = re.compile(r"^(\d{6})\.npz$")


def write_json_atomically(path: Path, value) -> None:
    """``value`` as JSON at ``path``, through a temporary file renamed over it."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(value, indent=2))
    os.replace(partial, path)


def snapshot_path(run_dir: Path, index: int) -> Path:
    """Where snapshot ``index`` of the run lives."""
    return Path(run_dir) / "snapshots" / f"{index:06d}.npz"


def snapshot_indices(run_dir: Path) -> list:
    """The indices of the run's complete snapshot files, ascending (temporary files left out)."""
    folder = Path(run_dir) / "snapshots"
    if not folder.is_dir():
        return []
    return sorted(int(match.group(1)) for match in map(_SNAPSHOT_NAME.match, os.listdir(folder)) if match)


def write_snapshot(
    run_dir: Path,
    index: int,
    header: dict,
    layers: list,
    activations: dict,
    sensitivity: dict,
    predictions=None,
    subspace: dict | None = None,
) -> Path:
    """Write snapshot ``index`` (see the module docstring) atomically. O(n Σ widths)."""
    arrays = {}
    for i, layer in enumerate(layers):
        arrays[f"activations_{i}"] = np.ascontiguousarray(activations[layer], dtype=np.float32)
        arrays[f"sensitivity_{i}"] = np.asarray(sensitivity[layer], dtype=np.float64)
    if predictions is not None:
        arrays["predictions"] = np.asarray(predictions, dtype=np.int64)
    if subspace is not None:
        arrays["eigenvalues"] = np.asarray(subspace["eigenvalues"], dtype=np.float64)
        arrays["energy"] = np.asarray(subspace["energy"], dtype=np.float64)
    return write_archive(
        snapshot_path(run_dir, index),
        {"format": SNAPSHOT_FORMAT, "version": FORMAT_VERSION, "index": index, **header},
        arrays,
        compress=False,
    )


def read_manifest(run_dir) -> dict:
    """The checked manifest of the run folder ``run_dir``; ValueError naming it otherwise."""
    path = Path(run_dir) / MANIFEST
    if not path.is_file():
        raise ValueError(
            f"run: {run_dir} is not a netscope run folder (no {MANIFEST}); record one with netscope.Recorder"
        )
    try:
        manifest = json.loads(path.read_text())
    except ValueError as error:
        raise ValueError(f"run: {path} is not JSON ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != RUN_FORMAT:
        raise ValueError(f"run: {path} is not a netscope run manifest")
    if manifest.get("version", 0) > FORMAT_VERSION:
        raise ValueError(
            f"run: {run_dir} was written by a newer netscope (format version {manifest['version']}); "
            "upgrade netscope to read it"
        )
    return manifest


def _probe_extras(header: dict, n: int, path: Path) -> tuple:
    """The metadata ({name: values} or None) and hover text (list or None) of a probe file's
    header, checked for their shape; None for folders written before they existed.
    """
    columns, hover_text = header.get("metadata"), header.get("hover_text")
    damaged = f"run: {path} holds damaged %s; record the run again"
    if columns is not None:
        if not isinstance(columns, list) or not all(
            isinstance(c, dict)
            and isinstance(c.get("name"), str)
            and isinstance(c.get("values"), list)
            and len(c["values"]) == n
            for c in columns
        ):
            raise ValueError(damaged % "metadata")
        columns = {column["name"]: column["values"] for column in columns}
    if hover_text is not None and (
        not isinstance(hover_text, list) or len(hover_text) != n or not all(isinstance(t, str) for t in hover_text)
    ):
        raise ValueError(damaged % "hover text")
    return columns, hover_text


class RunFolder:
    """A recorded run, read: what its manifest says and every complete snapshot so far.

    ``run_dir`` is a folder a :class:`netscope.Recorder` wrote. It reads like an
    :class:`netscope.ActivationTracker` — ``layers``, ``labels`` (None without labels),
    ``snapshots`` (:class:`netscope.nn.activations.Snapshot`, with ``epoch`` and ``step``) — so
    :meth:`netscope.StructureMap.fit` takes it as it is, and ``subspace`` is the recorded
    active subspace (a :class:`netscope.active.tracking.SubspaceRecords`, or None). Also
    ``manifest`` (dict), ``classes`` (names or None), ``images`` (the probe's images or None),
    ``metadata`` (the recorded columns as a dict {name: list of n values}, in their order, or
    None) and ``hover_text`` (a list of n strings, or None).
    Snapshots written after it was opened are read by :meth:`refresh`. Cost: O(the snapshots'
    size) to read them.
    """

    def __init__(self, run_dir):
        self.path = Path(run_dir)
        self.manifest = manifest = read_manifest(self.path)
        self.layers = list(manifest["layers"])
        self.classes = manifest.get("classes")
        probe_path = self.path / "probe.npz"
        header, archive = read_archive(probe_path, PROBE_FORMAT, FORMAT_VERSION, what="a run's probe file")
        self.metadata, self.hover_text = _probe_extras(header, manifest["probe_size"], probe_path)
        with archive:
            self.labels = archive["labels"] if "labels" in archive.files else None
            self.images = archive["images"] if "images" in archive.files else None
        self.snapshots: list[Snapshot] = []
        self._subspace: list = []
        self._read: set = set()
        self.refresh()

    def refresh(self) -> RunFolder:
        """Read the snapshots written since the last read. Returns self."""
        n, k = self.manifest["probe_size"], self.manifest.get("subspace_k", 0)
        for index in snapshot_indices(self.path):
            if index in self._read:
                continue
            path = snapshot_path(self.path, index)
            header, archive = read_archive(path, SNAPSHOT_FORMAT, FORMAT_VERSION, what="a run's snapshot file")
            with archive:
                try:
                    record = Snapshot(
                        label=header["label"],
                        activations={layer: archive[f"activations_{i}"] for i, layer in enumerate(self.layers)},
                        sensitivity={layer: archive[f"sensitivity_{i}"] for i, layer in enumerate(self.layers)},
                        predictions=archive["predictions"] if "predictions" in archive.files else None,
                        epoch=header.get("epoch"),
                        step=header.get("step"),
                    )
                    subspace = (
                        {"label": header["label"], "eigenvalues": archive["eigenvalues"], "energy": archive["energy"]}
                        if k
                        else None
                    )
                except KeyError as error:
                    raise ValueError(f"run: {path} lacks {error}; the snapshot file is damaged") from None
            if any(len(rows) != n for rows in record.activations.values()):
                raise ValueError(f"run: {path} holds another number of probe examples than the manifest's {n}")
            self.snapshots.append(record)
            self._subspace.append(subspace)
            self._read.add(index)
        return self

    @property
    def subspace(self) -> SubspaceRecords | None:
        """The recorded active subspace of every snapshot, or None where the run records none."""
        k = self.manifest.get("subspace_k", 0)
        return SubspaceRecords(k, self.manifest.get("subspace_method", "randomized"), self._subspace) if k else None

    def __len__(self) -> int:
        return len(self.snapshots)

    def __repr__(self) -> str:
        return (
            f"RunFolder({str(self.path)!r}: {self.manifest.get('model_class')}, {len(self)} snapshots of "
            f"{len(self.layers)} layers, {self.manifest['probe_size']} probe examples)"
        )
