"""Structural maps of hidden representations, followed across training.

:class:`StructureMap` turns every (layer, snapshot) that an
:class:`netscope.nn.activations.ActivationTracker` recorded into a 2-D map — kNN graph of the
activations, spectral warm start, force layout — where snapshot t + 1 starts from snapshot t's
positions and is aligned to them by orthogonal Procrustes, so points move smoothly; and it measures
what the maps show (class separation, silhouette, kNN preservation). It reads the tracker's arrays
only: no torch here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core._validation import check_int
from ..core.knn import knn_graph
from ..core.layout import DEFAULT_ITERATIONS, METHODS, force_layout
from ..exceptions import check_fitted
from ..viewer import write_page
from .alignment import procrustes_align
from .fidelity import fidelity, stability
from .metrics import MapMetrics, class_separation, knn_preservation
from .neuron_sample import neuron_sample_map

# A warm-started neighbour embedding takes smaller steps than a fresh one: on two identical
# snapshots of 360 digits it moved points by 5 % of the map's radius instead of 10 % (keeping
# 90 % of map neighbours instead of 88 %), and trustworthiness rose 0.986 -> 0.988.
WARM_LEARNING_RATE = 0.1


class StructureMap:
    """2-D maps of every watched layer at every snapshot, and what they show.

    Parameters
    ----------
    k : int — neighbours in the kNN graph of the activations.
    metric : "euclidean" or "cosine".
    symmetrize : True (default) or "mutual" — how the kNN relation becomes an undirected graph
        (:func:`netscope.knn_graph`).
    method : "neighbor_embedding" (default) or "fruchterman_reingold" — the forces of
        :func:`netscope.force_layout`; the default kept neighbourhoods best (bench/bench_maps.py).
    n_iter : int or None — layout iterations for the first snapshot (from the spectral layout);
        None: the method's default. Later snapshots start from the previous map and take
        ``n_iter_warm`` (None: half of that).
    seed : int
    neuron_samples : int — samples drawn in each (layer, snapshot)'s neuron × sample map
        (:func:`netscope.structure.neuron_sample.neuron_sample_map`, the page's neuron view);
        0: no neuron maps.

    Attributes after :meth:`fit`: ``layers_``, ``labels_``, ``snapshot_labels_``,
    ``positions_[layer][t]`` (n, 2), ``graphs_[layer][t]`` (CSR), ``sensitivity_[layer][t]``,
    ``predictions_`` (T, n) int64 or None (the model's predicted class at each snapshot),
    ``neuron_maps_[layer][t]`` (a :class:`~netscope.structure.neuron_sample.NeuronSampleMap`),
    ``metrics_[layer][t]`` — a :class:`netscope.structure.metrics.MapMetrics`: ``layout`` and
    ``activation`` class separation (``inter``, ``intra``, ``ratio``, ``silhouette``) and
    ``knn_preservation``.
    """

    def __init__(self, k: int = 15, *, metric: str = "euclidean", symmetrize=True,
                 method: str = "neighbor_embedding", n_iter: int | None = None, n_iter_warm: int | None = None,
                 seed: int = 0, neuron_samples: int = 500):
        self.k = check_int(k, "k", minimum=1)
        self.metric = metric
        self.symmetrize = symmetrize
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {method!r}")
        self.method = method
        self.n_iter = DEFAULT_ITERATIONS[method] if n_iter is None else check_int(n_iter, "n_iter", minimum=0)
        self.n_iter_warm = self.n_iter // 2 if n_iter_warm is None else check_int(n_iter_warm, "n_iter_warm", minimum=0)
        self.seed = check_int(seed, "seed", minimum=0)
        self.neuron_samples = check_int(neuron_samples, "neuron_samples", minimum=0)

    def fit(self, tracker) -> "StructureMap":
        """Build the maps of every snapshot the tracker holds, with their metrics (class
        separation, fidelity to the activations, stability against the previous snapshot).
        Cost per map: one kNN graph (O(n² d)), one force layout, and O(min(n, 2000) n log n)
        metrics."""
        if not tracker.snapshots:
            raise ValueError("tracker has no snapshots yet: call tracker.snapshot() during training")
        labels = tracker.labels
        positions_, graphs_, metrics_, sensitivity_, neuron_maps_ = {}, {}, {}, {}, {}
        for layer in tracker.layers:
            previous = neurons = None
            for snapshot in tracker.snapshots:
                activations = snapshot["activations"][layer]
                graph = knn_graph(activations, min(self.k, len(activations) - 1), metric=self.metric,
                                  symmetrize=self.symmetrize)
                if previous is None:
                    positions = force_layout(graph, method=self.method, n_iter=self.n_iter, seed=self.seed)
                else:
                    warm = {"learning_rate": WARM_LEARNING_RATE} if self.method == "neighbor_embedding" else {}
                    positions = force_layout(graph, previous, method=self.method, n_iter=self.n_iter_warm,
                                             seed=self.seed, **warm)
                    positions = procrustes_align(positions, previous)
                n = len(positions)
                metrics_.setdefault(layer, []).append(MapMetrics(
                    layout=class_separation(positions, labels, seed=self.seed),
                    activation=class_separation(activations, labels, seed=self.seed),
                    knn_preservation=knn_preservation(graph, positions),
                    fidelity=fidelity(activations, positions, min(self.k, max(1, (2 * n - 4) // 3)), seed=self.seed),
                    stability=None if previous is None else stability(previous, positions, min(self.k, n - 1))))
                previous = positions
                positions_.setdefault(layer, []).append(positions)
                graphs_.setdefault(layer, []).append(graph)
                sensitivity_.setdefault(layer, []).append(snapshot["sensitivity"][layer])
                if self.neuron_samples:
                    neurons = neuron_sample_map(activations, max_samples=self.neuron_samples, seed=self.seed,
                                                align_to=neurons)
                    neuron_maps_.setdefault(layer, []).append(neurons)
        predictions = [s.get("predictions") for s in tracker.snapshots]
        self.layers_, self.labels_ = list(tracker.layers), labels
        self.snapshot_labels_ = [s["label"] for s in tracker.snapshots]
        self.positions_, self.graphs_, self.metrics_, self.sensitivity_ = positions_, graphs_, metrics_, sensitivity_
        self.predictions_ = None if any(p is None for p in predictions) else np.stack(predictions)
        self.neuron_maps_ = neuron_maps_
        return self

    def _check_map(self, layer: str, snapshot: int) -> int:
        """``snapshot`` as an index into ``layer``'s maps, after checking both."""
        check_fitted(self, "positions_")
        if layer not in self.positions_:
            raise ValueError(f"layer must be one of the mapped layers {self.layers_}, got {layer!r}")
        count = len(self.positions_[layer])
        return check_int(snapshot, "snapshot", minimum=-count, maximum=count - 1) % count

    def to_networkx(self, layer: str, snapshot: int = -1):
        """The map of ``layer`` at ``snapshot`` as a networkx Graph: edge ``weight``, node
        ``label``, ``x``, ``y`` and ``sensitivity`` attributes (GraphML-ready, for Gephi)."""
        snapshot = self._check_map(layer, snapshot)
        import networkx as nx

        graph = nx.from_scipy_sparse_array(self.graphs_[layer][snapshot])
        positions = self.positions_[layer][snapshot]
        sensitivity = self.sensitivity_[layer][snapshot]
        for i in graph.nodes:
            graph.nodes[i].update(label=int(self.labels_[i]), x=float(positions[i, 0]), y=float(positions[i, 1]),
                                  sensitivity=float(sensitivity[i]))
        return graph

    def write_graphml(self, path, layer: str, snapshot: int = -1) -> None:
        """Write :meth:`to_networkx` to a GraphML file."""
        import networkx as nx

        nx.write_graphml(self.to_networkx(layer, snapshot), path)

    def write_projector(self, folder, layer: str, snapshot: int = -1, tensors=None) -> Path:
        """Write the map of ``layer`` at ``snapshot`` in TensorBoard's projector format to
        ``folder``: ``tensors.tsv`` (one row per point: ``tensors``, e.g. the activations (n, d),
        or by default the 2-D map), ``metadata.tsv`` (label, sensitivity, map x and y, with a
        header row) and ``projector_config.pbtxt`` linking them. Returns the folder. O(n d)."""
        snapshot = self._check_map(layer, snapshot)
        positions = self.positions_[layer][snapshot]
        tensors = positions if tensors is None else np.asarray(tensors, dtype=np.float64)
        if tensors.ndim != 2 or len(tensors) != len(positions):
            raise ValueError(f"tensors must have one row per mapped point, shape ({len(positions)}, d); "
                             f"got {tensors.shape}")
        if not np.all(np.isfinite(tensors)):
            raise ValueError("tensors hold NaN or inf")
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        np.savetxt(folder / "tensors.tsv", tensors, delimiter="\t", fmt="%.7g")
        sensitivity = self.sensitivity_[layer][snapshot]
        rows = [f"{int(label)}\t{s:.7g}\t{x:.7g}\t{y:.7g}"
                for label, s, (x, y) in zip(self.labels_, sensitivity, positions)]
        (folder / "metadata.tsv").write_text("label\tsensitivity\tx\ty\n" + "\n".join(rows) + "\n")
        name = f"{layer} at {self.snapshot_labels_[snapshot]}"
        (folder / "projector_config.pbtxt").write_text(
            f'embeddings {{\n  tensor_name: "{name}"\n  tensor_path: "tensors.tsv"\n'
            f'  metadata_path: "metadata.tsv"\n}}\n')
        return folder

    def to_html(self, path, *, images=None, subspace=None, true_labels=None, scrambled=None,
                scramble_kind: str = "labels", placement=None, classes=None, title: str = "netscope: maps of a training run",
                summary: str = "") -> Path:
        """Write the maps as one self-contained, offline HTML page (:func:`netscope.viewer.write_page`):
        layer selector, snapshot slider with play/pause and interpolated motion, hover tooltips
        (with the input where ``images`` is given), colour by class, by prediction, by
        sensitivity and by active-subspace energy (``subspace``, a
        :class:`netscope.active.tracking.SubspaceTracker`), pinned paths, the metric curves, the
        spectrum and the neuron × sample view; ``true_labels``, ``scrambled`` and ``placement``
        mark scrambled points and chart where they sit. Arguments as for
        :func:`netscope.viewer.write_page`. Returns the path. O(T n) to encode."""
        check_fitted(self, "positions_")
        return write_page(path, self, images=images, subspace=subspace, true_labels=true_labels,
                          scrambled=scrambled, scramble_kind=scramble_kind, placement=placement, classes=classes,
                          title=title, summary=summary)
