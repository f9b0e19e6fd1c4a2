"""What a fit of :class:`netscope.StructureMap` produces, typed: one :class:`LayerMaps` per layer
(its maps, graphs, sensitivities, metrics and neuron × sample maps over the snapshots) inside one
:class:`MapResult` (with what the layers share: the points' labels, the snapshots' labels, the
model's predictions). The page (:mod:`netscope.viewer`), the saved file
(:mod:`netscope.structure.storage`) and the exports (:mod:`netscope.structure.exports`) take a
:class:`MapResult`; the estimator's fitted attributes (``positions_[layer][t]``, …) are views of
it. Plain numpy arrays and scipy CSR matrices inside; no torch.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .metrics import MapMetrics
from .neuron_sample import NeuronSampleMap


@dataclasses.dataclass(frozen=True, eq=False)
class LayerMaps:
    """One layer's maps over the T snapshots: ``positions[t]`` (n, 2) float64, ``graphs[t]`` the
    kNN graph of the activations (CSR, (n, n)), ``sensitivity[t]`` (n,) float64 ≥ 0,
    ``metrics[t]`` (a :class:`~netscope.structure.metrics.MapMetrics`) and ``neuron_maps[t]``
    (a :class:`~netscope.structure.neuron_sample.NeuronSampleMap`; empty when the maps were
    fitted without neuron maps).
    """

    name: str
    positions: tuple[np.ndarray, ...]
    graphs: tuple
    sensitivity: tuple[np.ndarray, ...]
    metrics: tuple[MapMetrics, ...]
    neuron_maps: tuple[NeuronSampleMap, ...] = ()

    def __len__(self) -> int:
        """The number of snapshots mapped."""
        return len(self.positions)

    def then(self, later: LayerMaps) -> LayerMaps:
        """These maps followed by ``later``'s (the same layer's next snapshots). O(T)."""
        return LayerMaps(
            name=self.name,
            positions=self.positions + later.positions,
            graphs=self.graphs + later.graphs,
            sensitivity=self.sensitivity + later.sensitivity,
            metrics=self.metrics + later.metrics,
            neuron_maps=self.neuron_maps + later.neuron_maps,
        )


@dataclasses.dataclass(frozen=True, eq=False)
class MapResult:
    """The maps of every watched layer at every snapshot: ``layers`` (one :class:`LayerMaps`
    each, in the order they were given), ``labels`` (n,) of the points or None,
    ``snapshot_labels`` (T strings or numbers) and ``predictions`` (T, n) int64 — the model's
    predicted class at each snapshot — or None.
    """

    layers: tuple[LayerMaps, ...]
    labels: np.ndarray | None
    snapshot_labels: tuple
    predictions: np.ndarray | None = None

    def __post_init__(self):
        if not self.layers:
            raise ValueError("layers: a map result holds at least one layer")
        counts = {layer.name: len(layer) for layer in self.layers}
        if set(counts.values()) != {len(self.snapshot_labels)}:
            raise ValueError(
                f"layers: every layer needs one map per snapshot ({len(self.snapshot_labels)}), got {counts}"
            )

    @property
    def names(self) -> list[str]:
        """The layers' names, in order."""
        return [layer.name for layer in self.layers]

    @property
    def n_points(self) -> int:
        """The number of points in every map."""
        return len(self.layers[0].positions[0])

    def layer(self, name: str) -> LayerMaps:
        """The maps of the layer called ``name``; ValueError naming the layers otherwise."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"layer must be one of the mapped layers {self.names}, got {name!r}")

    def by_layer(self, field: str) -> dict:
        """{layer name: list of its ``field`` ("positions", "graphs", "sensitivity", "metrics",
        "neuron_maps") over the snapshots}; layers without neuron maps are left out of
        "neuron_maps". The form of :class:`netscope.StructureMap`'s fitted attributes. O(L T).
        """
        return {layer.name: list(getattr(layer, field)) for layer in self.layers if getattr(layer, field)}

    def then(self, later: MapResult) -> MapResult:
        """These maps followed by ``later``'s snapshots of the same layers and points (whose
        labels and predictions it takes, after its own predictions). O(L T).
        """
        predictions = later.predictions
        if predictions is not None and self.predictions is not None:
            predictions = np.concatenate([self.predictions, predictions])
        return MapResult(
            layers=tuple(self.layer(theirs.name).then(theirs) for theirs in later.layers),
            labels=later.labels,
            snapshot_labels=self.snapshot_labels + later.snapshot_labels,
            predictions=predictions,
        )
