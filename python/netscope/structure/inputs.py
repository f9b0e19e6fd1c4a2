"""What :meth:`netscope.StructureMap.fit` maps, whatever it was given — a tracker (an
:class:`netscope.ActivationTracker`, a :class:`netscope.RunFolder`, or an object with their
``layers``, ``labels`` and ``snapshots``), a list of arrays, a mapping of lists, one array —
checked once at the door and read into one :class:`Recording`. Arrays only: no torch here.
"""

from __future__ import annotations

import dataclasses
import numbers
import warnings
from collections.abc import Mapping
from types import SimpleNamespace

import numpy as np

from ..core._validation import as_float_matrix, as_labels, check_all_finite

# The name of the one layer of maps fitted on a list of arrays or on one array.
DEFAULT_LAYER = "layer"


@dataclasses.dataclass(frozen=True)
class Recording:
    """What :meth:`netscope.StructureMap.fit` maps: ``activations[layer]`` T
    arrays (n, d_layer) float32 or float64, C-contiguous and finite; ``sensitivity[layer]`` T
    arrays (n,) float64 >= 0; ``snapshot_labels`` T Python scalars; ``predictions`` (T, n) int64
    or None; ``labels`` (n,) or None.
    """

    activations: dict
    sensitivity: dict
    snapshot_labels: list
    predictions: np.ndarray | None
    labels: np.ndarray | None


def is_tracker(value) -> bool:
    """Whether ``value`` reads like an :class:`netscope.ActivationTracker` (``snapshots`` and ``layers``)."""
    return hasattr(value, "snapshots") and hasattr(value, "layers")


def _snapshot_fields(record):
    """A tracker's snapshot as an object with ``label``, ``activations``, ``sensitivity`` and
    ``predictions`` attributes: as it is (a :class:`netscope.nn.activations.Snapshot`, or the
    like), or a mapping with those keys (the snapshots' form before) read into one.
    """
    if not isinstance(record, Mapping):
        return record
    return SimpleNamespace(
        label=record["label"],
        activations=record["activations"],
        sensitivity=record["sensitivity"],
        predictions=record.get("predictions"),
    )


def _named_by_layer(value, argument: str, form: str) -> dict:
    """``value``, given in ``form`` ("array": one snapshot of one layer; "list": one layer over
    the snapshots; "mapping": layer -> list over the snapshots), as {layer: [(name, item) per
    snapshot]}, each item named for messages as the user wrote it.
    """
    if form == "array":
        return {DEFAULT_LAYER: [(argument, value)]}
    if form == "list":
        if not isinstance(value, (list, tuple)):
            raise TypeError(
                f"{argument} must be a list with one entry per snapshot, as snapshots is; got {type(value).__name__}"
            )
        if not value:
            raise ValueError(f"{argument} must hold at least one array (one per snapshot), got an empty list")
        return {DEFAULT_LAYER: [(f"{argument}[{t}]", item) for t, item in enumerate(value)]}
    if not isinstance(value, Mapping):
        raise TypeError(
            f"{argument} must map each layer to a list over the snapshots, as snapshots does; "
            f"got {type(value).__name__}"
        )
    if not value:
        raise ValueError(f"{argument} must map at least one layer to its arrays, got an empty mapping")
    named = {}
    for layer, items in value.items():
        if not isinstance(layer, str):
            raise TypeError(f"{argument}: layer names must be strings, got {layer!r}")
        if not isinstance(items, (list, tuple)) or not items:
            raise ValueError(
                f"{argument}[{layer!r}] must be a non-empty list with one array per snapshot, "
                f"got {type(items).__name__}{' (empty)' if isinstance(items, (list, tuple)) else ''}"
            )
        named[layer] = [(f"{argument}[{layer!r}][{t}]", item) for t, item in enumerate(items)]
    return named


def _checked_labels(labels, n: int | None, name: str) -> np.ndarray | None:
    """``labels`` as a 1-D array of n classes (:func:`netscope.core._validation.as_labels`), or
    None. O(n).
    """
    if labels is None:
        return None
    labels = as_labels(labels, name)
    if labels.ndim != 1 or len(labels) != n:
        raise ValueError(f"{name} must be 1-D with one class per point ({n},), got shape {labels.shape}")
    return labels


def _checked_snapshot_label(label, name: str):
    """A snapshot's label as a plain Python str, int or float (it names the snapshot on the page
    and in saved maps).
    """
    if isinstance(label, np.generic):
        label = label.item()
    if not isinstance(label, (str, numbers.Real)):
        raise TypeError(f"{name} must be a string or a number, got {type(label).__name__}")
    return label


def read_recording(
    snapshots,
    labels=None,
    snapshot_labels=None,
    sensitivity=None,
    *,
    argument: str = "snapshots",
    form: str | None = None,
) -> Recording:
    """The checked :class:`Recording` of :meth:`netscope.StructureMap.fit`'s arguments (see there);
    ``form`` forces how ``snapshots`` is read (default: by its type). Arrays are converted only
    when they are not float32/float64 C-contiguous already. O(T n d) for the checks.
    """
    named_sensitivity: dict | None
    if form is None and is_tracker(snapshots):
        for given, value in (("labels", labels), ("snapshot_labels", snapshot_labels), ("sensitivity", sensitivity)):
            if value is not None:
                raise ValueError(f"{given}: a tracker brings its own; pass {given} only with arrays")
        records = snapshots.snapshots
        if not records:
            raise ValueError("tracker has no snapshots yet: call tracker.snapshot() during training")
        if any(isinstance(record, Mapping) for record in records):
            warnings.warn(
                "a tracker's snapshots as dicts are deprecated: give objects with label, activations, "
                "sensitivity and predictions attributes (netscope.nn.activations.Snapshot)",
                DeprecationWarning,
                stacklevel=3,
            )
            records = [_snapshot_fields(record) for record in records]
        where = "tracker.snapshots[{t}].{key}[{layer!r}]"
        named_activations, named_sensitivity = (
            {
                layer: [
                    (where.format(t=t, key=key, layer=layer), getattr(record, key)[layer])
                    for t, record in enumerate(records)
                ]
                for layer in snapshots.layers
            }
            for key in ("activations", "sensitivity")
        )
        labels, labels_name = snapshots.labels, "tracker.labels"
        named_snapshot_labels = [(f"tracker.snapshots[{t}].label", r.label) for t, r in enumerate(records)]
        named_predictions = [(f"tracker.snapshots[{t}].predictions", r.predictions) for t, r in enumerate(records)]
    else:
        form = form or (
            "mapping" if isinstance(snapshots, Mapping) else "list" if isinstance(snapshots, (list, tuple)) else "array"
        )
        named_activations = _named_by_layer(snapshots, argument, form)
        named_sensitivity = None if sensitivity is None else _named_by_layer(sensitivity, "sensitivity", form)
        labels_name, named_predictions = "labels", None
        named_snapshot_labels = None
        if snapshot_labels is not None:
            if not isinstance(snapshot_labels, (list, tuple)):
                raise TypeError(
                    f"snapshot_labels must be a list with one label per snapshot, got {type(snapshot_labels).__name__}"
                )
            named_snapshot_labels = [(f"snapshot_labels[{t}]", label) for t, label in enumerate(snapshot_labels)]

    counts = {layer: len(items) for layer, items in named_activations.items()}
    if len(set(counts.values())) > 1:
        raise ValueError(f"{argument}: every layer needs the same number of snapshots, got {counts}")
    T = next(iter(counts.values()))
    activations: dict[str, list[np.ndarray]] = {}
    n, first = None, None
    for layer, items in named_activations.items():
        activations[layer] = []
        for name, item in items:
            X = as_float_matrix(item, name)
            if n is None:
                n, first = len(X), name
                if n < 3:
                    raise ValueError(f"{name} holds {n} points (rows); a map needs at least 3")
            elif len(X) != n:
                raise ValueError(f"{name} has {len(X)} rows but {first} has {n}: every array needs one row per point")
            check_all_finite(X, name)
            activations[layer].append(X)

    if named_sensitivity is None:
        sensitivity = {layer: [np.zeros(n) for _ in range(T)] for layer in activations}
    else:
        if set(named_sensitivity) != set(activations) or any(len(v) != T for v in named_sensitivity.values()):
            raise ValueError(
                f"sensitivity must hold one (n,) array per layer and snapshot, as snapshots does "
                f"({T} per layer for {list(activations)}); got "
                f"{ {layer: len(v) for layer, v in named_sensitivity.items()} }"
            )
        sensitivity = {
            layer: [_checked_sensitivity(item, n, name) for name, item in named_sensitivity[layer]]
            for layer in activations
        }

    if named_snapshot_labels is None:
        snapshot_labels = list(range(T))
    elif len(named_snapshot_labels) != T:
        raise ValueError(f"snapshot_labels must hold one label per snapshot ({T}), got {len(named_snapshot_labels)}")
    else:
        snapshot_labels = [_checked_snapshot_label(label, name) for name, label in named_snapshot_labels]

    predictions = None
    if named_predictions is not None and all(p is not None for _, p in named_predictions):
        predictions = np.stack([np.asarray(p, dtype=np.int64) for _, p in named_predictions])
        if predictions.shape != (T, n):
            raise ValueError(
                f"{named_predictions[0][0]}: predictions must be (n,) = ({n},) class indices "
                f"at every snapshot, got {predictions.shape[1:]}"
            )
    return Recording(
        activations=activations,
        sensitivity=sensitivity,
        snapshot_labels=snapshot_labels,
        predictions=predictions,
        labels=_checked_labels(labels, n, labels_name),
    )


def _checked_sensitivity(values, n: int | None, name: str) -> np.ndarray:
    """One snapshot's sensitivities as float64 (n,), finite and non-negative (they are norms). O(n)."""
    try:
        values = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be an array of n = {n} numbers: {error}") from None
    if values.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), one value per point, got {values.shape}")
    if not np.all(np.isfinite(values)) or values.min() < 0:
        raise ValueError(f"{name} must be finite and non-negative (gradient norms)")
    return values
