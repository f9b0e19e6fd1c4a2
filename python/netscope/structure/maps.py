"""Structural maps of hidden representations, followed across training.

:class:`StructureMap` turns every (layer, snapshot) of a recording — an
:class:`netscope.nn.activations.ActivationTracker`, or arrays the user holds — into a 2-D map (kNN
graph of the activations, spectral warm start, force layout) where snapshot t + 1 starts from
snapshot t's positions and is aligned to them by orthogonal Procrustes, so points move smoothly;
and it measures what the maps show (class separation, silhouette, fidelity, stability). It reads
arrays only: no torch here.
"""

from __future__ import annotations

import dataclasses
import html
import numbers
import warnings
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from sklearn.base import BaseEstimator

from ..core._validation import as_float_matrix, as_labels, check_all_finite, check_int
from ..core.knn import knn_graph
from ..core.layout import DEFAULT_ITERATIONS, METHODS, force_layout
from ..exceptions import check_fitted
from ..viewer.page import page_html, write_page
from .alignment import procrustes_align
from .metrics import map_metrics
from .neuron_sample import neuron_sample_map
from .storage import load_map, save_map

# A warm-started neighbour embedding takes smaller steps than a fresh one: on two identical
# snapshots of 360 digits it moved points by 5 % of the map's radius instead of 10 % (keeping
# 90 % of map neighbours instead of 88 %), and trustworthiness rose 0.986 -> 0.988.
WARM_LEARNING_RATE = 0.1
# The name of the one layer of maps fitted on a list of arrays or on one array.
DEFAULT_LAYER = "layer"
# The largest page (bytes of HTML) a notebook cell shows inline: a cell's output lives in the
# notebook file and the browser's memory, and past a few tens of MB both slow to a crawl.
INLINE_PAGE_LIMIT = 20 * 2**20


@dataclasses.dataclass(frozen=True)
class _Recording:
    """What :meth:`StructureMap.fit` maps, whatever it was given: ``activations[layer]`` T
    arrays (n, d_layer) float32 or float64, C-contiguous and finite; ``sensitivity[layer]`` T
    arrays (n,) float64 >= 0; ``snapshot_labels`` T Python scalars; ``predictions`` (T, n) int64
    or None; ``labels`` (n,) or None.
    """

    activations: dict
    sensitivity: dict
    snapshot_labels: list
    predictions: np.ndarray | None
    labels: np.ndarray | None


def _is_tracker(value) -> bool:
    return hasattr(value, "snapshots") and hasattr(value, "layers")


def _snapshot_fields(record):
    """A tracker's snapshot as an object with ``label``, ``activations``, ``sensitivity`` and
    ``predictions`` attributes (a :class:`netscope.nn.activations.Snapshot`, or the like); a
    mapping with those keys, the snapshots' form before, is read with a DeprecationWarning.
    """
    if not isinstance(record, Mapping):
        return record
    warnings.warn(
        "a tracker's snapshots as dicts are deprecated: give objects with label, activations, sensitivity "
        "and predictions attributes (netscope.nn.activations.Snapshot)",
        DeprecationWarning,
        stacklevel=4,
    )
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


def _recording(
    snapshots,
    labels=None,
    snapshot_labels=None,
    sensitivity=None,
    *,
    argument: str = "snapshots",
    form: str | None = None,
) -> _Recording:
    """The checked :class:`_Recording` of :meth:`StructureMap.fit`'s arguments (see there);
    ``form`` forces how ``snapshots`` is read (default: by its type). Arrays are converted only
    when they are not float32/float64 C-contiguous already. O(T n d) for the checks.
    """
    named_sensitivity: dict | None
    if form is None and _is_tracker(snapshots):
        for given, value in (("labels", labels), ("snapshot_labels", snapshot_labels), ("sensitivity", sensitivity)):
            if value is not None:
                raise ValueError(f"{given}: a tracker brings its own; pass {given} only with arrays")
        records = snapshots.snapshots
        if not records:
            raise ValueError("tracker has no snapshots yet: call tracker.snapshot() during training")
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
    return _Recording(
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


class StructureMap(BaseEstimator):
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
        ``n_iter_warm`` (None: half of the first's).
    seed : int
    neuron_samples : int — samples drawn in each (layer, snapshot)'s neuron × sample map
        (:func:`netscope.structure.neuron_sample.neuron_sample_map`, the page's neuron view);
        0: no neuron maps.

    The parameters are stored as given (scikit-learn's convention: ``get_params``,
    ``set_params`` and ``sklearn.base.clone`` work) and resolved in :meth:`fit`.

    Attributes after :meth:`fit` (set together, only when a fit succeeds): ``layers_``,
    ``labels_`` (n,) or None, ``snapshot_labels_``, ``positions_[layer][t]`` (n, 2) float64,
    ``graphs_[layer][t]`` (CSR), ``sensitivity_[layer][t]`` (n,) float64, ``predictions_``
    (T, n) int64 or None (the model's predicted class at each snapshot), ``neuron_maps_[layer][t]``
    (a :class:`~netscope.structure.neuron_sample.NeuronSampleMap`), ``metrics_[layer][t]`` — a
    :class:`netscope.structure.metrics.MapMetrics`: ``layout`` and ``activation`` class
    separation (``inter``, ``intra``, ``ratio``, ``silhouette``; None without two classes),
    ``knn_preservation``, ``fidelity`` and ``stability``.
    """

    # What fit sets (annotations only: an unfitted map has none of these attributes).
    layers_: list[str]
    labels_: np.ndarray | None
    snapshot_labels_: list
    positions_: dict[str, list[np.ndarray]]
    graphs_: dict[str, list]
    metrics_: dict[str, list]
    sensitivity_: dict[str, list[np.ndarray]]
    predictions_: np.ndarray | None
    neuron_maps_: dict[str, list]

    def __init__(
        self,
        k: int = 15,
        *,
        metric: str = "euclidean",
        symmetrize=True,
        method: str = "neighbor_embedding",
        n_iter: int | None = None,
        n_iter_warm: int | None = None,
        seed: int = 0,
        neuron_samples: int = 500,
    ):
        self.k = k
        self.metric = metric
        self.symmetrize = symmetrize
        self.method = method
        self.n_iter = n_iter
        self.n_iter_warm = n_iter_warm
        self.seed = seed
        self.neuron_samples = neuron_samples
        # Fail at construction already; fit checks again, as set_params may have changed them.
        self._resolved_params()

    def _resolved_params(self) -> dict:
        """The parameters checked, with None resolved to the defaults they stand for."""
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}")
        n_iter = DEFAULT_ITERATIONS[self.method] if self.n_iter is None else check_int(self.n_iter, "n_iter", minimum=0)
        return {
            "k": check_int(self.k, "k", minimum=1),
            "n_iter": n_iter,
            "n_iter_warm": n_iter // 2
            if self.n_iter_warm is None
            else check_int(self.n_iter_warm, "n_iter_warm", minimum=0),
            "seed": check_int(self.seed, "seed", minimum=0),
            "neuron_samples": check_int(self.neuron_samples, "neuron_samples", minimum=0),
        }

    def fit(self, snapshots, labels=None, snapshot_labels=None, sensitivity=None) -> StructureMap:
        """Build the map of every (layer, snapshot), with its metrics (class separation, fidelity
        to the activations, stability against the previous snapshot).

        Parameters
        ----------
        snapshots : what to map — an :class:`netscope.ActivationTracker` (its layers, snapshots
            and labels; pass nothing else then); a list of (n, d) arrays (one layer, named
            "layer", over time); a mapping layer name -> list of (n, d) arrays (the same n
            everywhere, the same number of snapshots per layer); or one (n, d) array (one
            snapshot). Anything ``np.asarray`` takes: numpy arrays, CPU tensors; float32 and
            float64 are read in place. At least 3 points, all finite.
        labels : None or (n,) classes of the points — integers or strings (class names); None:
            no class separation is measured and the page colours by the other modes.
        snapshot_labels : None or T labels (strings or numbers) of the snapshots; None: 0..T-1.
        sensitivity : None or per-point sensitivities in the form of ``snapshots`` ((n,) arrays
            where it has (n, d) ones); None: zeros.

        Cost per map: one kNN graph (O(n² d) exact, up to 10 000 points), one force layout, and
        O(min(n, 2000) n log n) metrics.
        """
        return self._fit(_recording(snapshots, labels, snapshot_labels, sensitivity))

    def fit_transform(self, X, labels=None) -> np.ndarray:
        """Fit on one (n, d) array ``X`` (one snapshot of one layer, as UMAP's ``fit_transform``)
        and return its map, (n, 2) float64. ``labels`` as in :meth:`fit`. Cost as one map of
        :meth:`fit`.
        """
        self._fit(_recording(X, labels, argument="X", form="array"))
        return self.positions_[DEFAULT_LAYER][0]

    def extend(self, snapshots, snapshot_labels=None, sensitivity=None) -> StructureMap:
        """Map snapshots that follow the fitted ones, each warm-started from the map before it
        (the last fitted one first), as :meth:`fit` would have mapped them in one call: a fit
        over T snapshots and then ``extend`` with U more equals a fit over all T + U.

        ``snapshots`` as for :meth:`fit`, holding the new snapshots only — except a tracker (or
        a :class:`netscope.recording.RunFolder`) that has grown since the fit: then its
        snapshots past the T already mapped are the new ones. The layers, the points and the
        labels must be the fitted ones. Cost: as :meth:`fit` for the U new maps.
        """
        check_fitted(self, "positions_")
        T = len(self.snapshot_labels_)
        if _is_tracker(snapshots):
            if len(snapshots.snapshots) <= T:
                raise ValueError(
                    f"snapshots: the tracker holds {len(snapshots.snapshots)} snapshots, none past the "
                    f"{T} already mapped"
                )
            labels = snapshots.labels
            snapshots = SimpleNamespace(layers=snapshots.layers, labels=labels, snapshots=snapshots.snapshots[T:])
            recording = _recording(snapshots)
        else:
            recording = _recording(snapshots, None, snapshot_labels, sensitivity)
            recording = dataclasses.replace(
                recording,
                labels=self.labels_,
                snapshot_labels=(
                    [T + t for t in recording.snapshot_labels] if snapshot_labels is None else recording.snapshot_labels
                ),
            )
        if list(recording.activations) != self.layers_:
            raise ValueError(
                f"snapshots: the layers {list(recording.activations)} differ from the fitted {self.layers_}"
            )
        n, given = len(self.positions_[self.layers_[0]][0]), len(next(iter(recording.activations.values()))[0])
        if given != n:
            raise ValueError(f"snapshots: the new snapshots hold {given} points, the fitted maps {n}")
        if not np.array_equal(np.asarray(recording.labels), np.asarray(self.labels_)):
            raise ValueError("snapshots: the labels differ from the fitted maps'; extend maps the same points")
        if (recording.predictions is None) != (self.predictions_ is None):
            raise ValueError(
                "snapshots: the new snapshots "
                + ("lack" if recording.predictions is None else "hold")
                + " predictions where the fitted ones "
                + ("hold" if recording.predictions is None else "lack")
                + " them"
            )
        return self._fit(recording, after=self)

    def _fit(self, recording: _Recording, after: StructureMap | None = None) -> StructureMap:
        """Map ``recording``; with ``after`` (a fitted map of the same points), as the snapshots
        that follow its own, warm-started from its last maps and appended to them.
        """
        params = self._resolved_params()
        seed, labels = params["seed"], recording.labels
        positions_, graphs_, metrics_, neuron_maps_ = {}, {}, {}, {}
        sensitivity_ = {layer: list(series) for layer, series in recording.sensitivity.items()}
        if after is not None:
            positions_, graphs_, metrics_ = (
                {layer: list(series) for layer, series in fitted.items()}
                for fitted in (after.positions_, after.graphs_, after.metrics_)
            )
            neuron_maps_ = {layer: list(series) for layer, series in after.neuron_maps_.items()}
            sensitivity_ = {layer: after.sensitivity_[layer] + series for layer, series in sensitivity_.items()}
        for layer, series in recording.activations.items():
            previous = positions_[layer][-1] if layer in positions_ else None
            neurons = neuron_maps_[layer][-1] if layer in neuron_maps_ else None
            for activations in series:
                k = min(params["k"], len(activations) - 1)
                graph = knn_graph(activations, k, metric=self.metric, symmetrize=self.symmetrize)
                if previous is None:
                    positions = force_layout(graph, method=self.method, n_iter=params["n_iter"], seed=seed)
                else:
                    warm = {"learning_rate": WARM_LEARNING_RATE} if self.method == "neighbor_embedding" else {}
                    positions = force_layout(
                        graph, previous, method=self.method, n_iter=params["n_iter_warm"], seed=seed, **warm
                    )
                    positions = procrustes_align(positions, previous)
                metrics_.setdefault(layer, []).append(
                    map_metrics(graph, activations, positions, previous, labels, params["k"], seed=seed)
                )
                previous = positions
                positions_.setdefault(layer, []).append(positions)
                graphs_.setdefault(layer, []).append(graph)
                if params["neuron_samples"]:
                    neurons = neuron_sample_map(
                        activations, max_samples=params["neuron_samples"], seed=seed, align_to=neurons
                    )
                    neuron_maps_.setdefault(layer, []).append(neurons)
        predictions = recording.predictions
        if after is not None and predictions is not None:
            predictions = np.concatenate([after.predictions_, predictions])
        self.layers_, self.labels_ = list(recording.activations), labels
        self.snapshot_labels_ = ([] if after is None else list(after.snapshot_labels_)) + recording.snapshot_labels
        self.positions_, self.graphs_, self.metrics_ = positions_, graphs_, metrics_
        self.sensitivity_, self.predictions_ = sensitivity_, predictions
        self.neuron_maps_ = neuron_maps_
        return self

    def save(self, path) -> Path:
        """Write the fitted maps to ``path`` (conventionally ``.npz``) in netscope's pickle-free
        format (:mod:`netscope.structure.storage`), atomically. Returns the path. O(T n k).
        """
        check_fitted(self, "positions_")
        return save_map(self, path)

    @classmethod
    def load(cls, path) -> StructureMap:
        """The fitted maps :meth:`save` wrote to ``path``; ValueError for a file that is not one,
        or one from a newer netscope. O(T n k).
        """
        return load_map(path, cls)

    def _check_map(self, layer: str, snapshot: int) -> int:
        """``snapshot`` as an index into ``layer``'s maps, after checking both."""
        check_fitted(self, "positions_")
        if layer not in self.positions_:
            raise ValueError(f"layer must be one of the mapped layers {self.layers_}, got {layer!r}")
        count = len(self.positions_[layer])
        return check_int(snapshot, "snapshot", minimum=-count, maximum=count - 1) % count

    def _label_of(self, i: int):
        """Point ``i``'s label as a plain Python value (int, float, str, bool)."""
        assert self.labels_ is not None  # asked only of a map with labels
        return self.labels_[i].item()

    def to_networkx(self, layer: str, snapshot: int = -1):
        """The map of ``layer`` at ``snapshot`` as a networkx Graph: edge ``weight``, node ``x``,
        ``y``, ``sensitivity`` and (with labels) ``label`` attributes (GraphML-ready, for Gephi).
        """
        snapshot = self._check_map(layer, snapshot)
        import networkx as nx

        graph = nx.from_scipy_sparse_array(self.graphs_[layer][snapshot])
        positions = self.positions_[layer][snapshot]
        sensitivity = self.sensitivity_[layer][snapshot]
        for i in graph.nodes:
            graph.nodes[i].update(x=float(positions[i, 0]), y=float(positions[i, 1]), sensitivity=float(sensitivity[i]))
            if self.labels_ is not None:
                graph.nodes[i]["label"] = self._label_of(i)
        return graph

    def write_graphml(self, path, layer: str, snapshot: int = -1) -> None:
        """Write :meth:`to_networkx` to a GraphML file."""
        import networkx as nx

        nx.write_graphml(self.to_networkx(layer, snapshot), path)

    def write_projector(self, folder, layer: str, snapshot: int = -1, tensors=None) -> Path:
        """Write the map of ``layer`` at ``snapshot`` in TensorBoard's projector format to
        ``folder``: ``tensors.tsv`` (one row per point: ``tensors``, e.g. the activations (n, d),
        or by default the 2-D map), ``metadata.tsv`` (label when there are labels, sensitivity,
        map x and y, with a header row) and ``projector_config.pbtxt`` linking them. Returns the
        folder. O(n d).
        """
        snapshot = self._check_map(layer, snapshot)
        positions = self.positions_[layer][snapshot]
        tensors = positions if tensors is None else np.asarray(tensors, dtype=np.float64)
        if tensors.ndim != 2 or len(tensors) != len(positions):
            raise ValueError(
                f"tensors must have one row per mapped point, shape ({len(positions)}, d); got {tensors.shape}"
            )
        if not np.all(np.isfinite(tensors)):
            raise ValueError("tensors hold NaN or inf")
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        np.savetxt(folder / "tensors.tsv", tensors, delimiter="\t", fmt="%.7g")
        sensitivity = self.sensitivity_[layer][snapshot]
        rows = [f"{s:.7g}\t{x:.7g}\t{y:.7g}" for s, (x, y) in zip(sensitivity, positions)]
        header = "sensitivity\tx\ty"
        if self.labels_ is not None:
            # A tab or line break inside a class name would split the TSV's columns or rows.
            names = [" ".join(str(self._label_of(i)).split()) for i in range(len(rows))]
            rows, header = [f"{name}\t{row}" for name, row in zip(names, rows)], "label\t" + header
        (folder / "metadata.tsv").write_text(header + "\n" + "\n".join(rows) + "\n")
        name = f"{layer} at {self.snapshot_labels_[snapshot]}"
        (folder / "projector_config.pbtxt").write_text(
            f'embeddings {{\n  tensor_name: "{name}"\n  tensor_path: "tensors.tsv"\n'
            f'  metadata_path: "metadata.tsv"\n}}\n'
        )
        return folder

    def to_html(
        self,
        path,
        *,
        images=None,
        subspace=None,
        true_labels=None,
        scrambled=None,
        scramble_kind: str = "labels",
        placement=None,
        classes=None,
        metadata=None,
        hover_text=None,
        title: str = "netscope: maps of a training run",
        summary: str = "",
    ) -> Path:
        """Write the maps as one self-contained, offline HTML page (:func:`netscope.viewer.write_page`):
        layer selector, snapshot slider with play/pause and interpolated motion, hover tooltips
        (with the input where ``images`` is given), colour by class, by prediction, by
        sensitivity and by active-subspace energy (``subspace``, a
        :class:`netscope.active.tracking.SubspaceTracker`), pinned paths, the metric curves, the
        spectrum and the neuron × sample view; ``true_labels``, ``scrambled`` and ``placement``
        mark scrambled points and chart where they sit. ``classes`` names the classes (one name
        per distinct label, in sorted order); ``metadata`` — a mapping {name: sequence of n
        values} or a pandas DataFrame of n rows — adds columns that the page searches, shows in
        the tooltip and the selection table and exports; ``hover_text`` (n strings) is shown in
        each point's tooltip. Arguments as for :func:`netscope.viewer.page.page_html`. Returns
        the path. O(T n) to encode, plus O(n) per metadata column.
        """
        check_fitted(self, "positions_")
        return write_page(
            path,
            self,
            images=images,
            subspace=subspace,
            true_labels=true_labels,
            scrambled=scrambled,
            scramble_kind=scramble_kind,
            placement=placement,
            classes=classes,
            metadata=metadata,
            hover_text=hover_text,
            title=title,
            summary=summary,
        )

    def _repr_html_(self) -> str:
        """A notebook's view: the page of a fitted map inline (an ``<iframe srcdoc>``), or a
        note on how to write it to a file when it exceeds ``INLINE_PAGE_LIMIT`` bytes; an unfitted
        map shows its parameters. O(T n) to encode.
        """
        if not hasattr(self, "positions_"):
            return f"<pre>{html.escape(repr(self))}</pre>"
        page = page_html(self)
        size = len(page.encode("utf-8"))
        if size > INLINE_PAGE_LIMIT:
            return (
                f"<p><code>{html.escape(repr(self))}</code>: its page is {size / 2**20:.1f} MB, more than a "
                f"notebook shows inline ({INLINE_PAGE_LIMIT / 2**20:.0f} MB). Write it to a file and open that "
                f'in a browser: <code>maps.to_html("maps.html")</code>.</p>'
            )
        # sandbox: the page's script runs, without access to the notebook that holds it.
        return (
            f'<iframe srcdoc="{html.escape(page, quote=True)}" sandbox="allow-scripts" '
            f'style="width: 100%; height: 1000px; border: 0" title="netscope maps"></iframe>'
        )

    def _repr_mimebundle_(self, **kwargs) -> dict:
        # Notebooks ask for this first; scikit-learn's own would show its estimator diagram.
        return {"text/plain": repr(self), "text/html": self._repr_html_()}
