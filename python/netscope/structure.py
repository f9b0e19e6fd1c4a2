"""Structural maps of hidden representations, followed across training.

:class:`ActivationTracker` records what the watched layers of a model output for a fixed probe set
at each snapshot (forward hooks, no gradients kept, the model left as it was).
:class:`StructureMap` turns every (layer, snapshot) into a 2-D map — kNN graph of the activations,
spectral warm start, force layout — where snapshot t + 1 starts from snapshot t's positions and is
aligned to them by orthogonal Procrustes, so points move smoothly; and it measures what the maps
show (class separation, silhouette, kNN preservation).
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import scipy.sparse
import torch

from ._validation import check_int
from .data import Batches, call_model, map_tensors, model_device
from .graph_layout import force_layout, spectral_layout
from .modes import modes
from .knn import knn_graph


def _is_activation(module: torch.nn.Module) -> bool:
    return type(module).__module__ == "torch.nn.modules.activation"


def default_hidden_layers(model: torch.nn.Module) -> list:
    """Names of the modules whose outputs are the hidden layers: the activation modules, or,
    in a model without any, every leaf module but the last."""
    leaves = [(name, module) for name, module in model.named_modules() if name and not list(module.children())]
    activations = [name for name, module in leaves if _is_activation(module)]
    return activations if activations else [name for name, _ in leaves[:-1]]


class ActivationTracker:
    """Record the activations of watched layers on a fixed probe set at each snapshot.

    Parameters
    ----------
    model : torch.nn.Module
    data : a pair ``(inputs, labels)`` (labels a tensor or a numpy array) or a re-iterable of
        such batches that gives the same examples in the same order every pass (a DataLoader
        with ``shuffle=False``); inputs as in :mod:`netscope.data` (tensor, tuple or dict).
        ``labels`` (n,) are the probe's classes; at least 3 examples.
    layers : list of module names (``dict(model.named_modules())`` keys); default: every hidden
        layer's output (:func:`default_hidden_layers`). A layer that returns a tuple (GRU,
        LSTM) is recorded by its first element.
    loss_fn : callable(outputs, labels) -> scalar, optional — used for sensitivities; default:
        the score of the predicted class, summed.
    batch_size : int — probe examples per forward pass (a loader's own batches are cut to it).
    device : None or a torch device — where the forward passes run: the model's device (None),
        which an explicit value must equal.

    Each :meth:`snapshot` runs the probe set through the model in eval mode with forward hooks,
    batch by batch on the model's device, keeps the activations on the host as float32, and
    then restores every module's train/eval flag; parameters and their ``.grad`` are not touched.
    """

    def __init__(self, model: torch.nn.Module, data, *, layers=None, loss_fn=None, batch_size: int = 256,
                 device=None):
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        if isinstance(data, (tuple, list)) and len(data) == 2 and isinstance(data[1], np.ndarray):
            data = (data[0], torch.as_tensor(data[1]))
        self.batches = Batches(data)
        if self.batches.shuffles:
            raise ValueError("data: the probe loader shuffles, but a map follows each example across snapshots; "
                             "use shuffle=False")
        labels = np.concatenate([targets.cpu().numpy() for _, _, targets in self.batches])
        if labels.ndim != 1 or len(labels) < 3:
            raise ValueError(f"data: labels must be 1-D with one entry per example (at least 3), "
                             f"got shape {labels.shape}")
        modules = dict(model.named_modules())
        layers = default_hidden_layers(model) if layers is None else list(layers)
        unknown = [name for name in layers if name not in modules or not name]
        if unknown or not layers:
            raise ValueError(f"layers must name modules of the model; unknown: {unknown}; known: {[n for n in modules if n][:10]}")
        self.device = model_device(model, device)
        self.batch_size = check_int(batch_size, "batch_size", minimum=1)
        self.model, self.labels, self.layers = model, labels, layers
        self.loss_fn = loss_fn
        self.snapshots = []  # list of {"label": ..., "activations": {layer: (n, w)}, "sensitivity": {layer: (n,)}}

    def snapshot(self, label=None) -> dict:
        """Record the watched layers now; returns and keeps ``{"label", "activations", "sensitivity"}``
        (activations float32 ``(n, width)``, sensitivities float64 ``(n,)``, on the host).

        Sensitivity of sample i at a layer: ‖∂ℓ_i/∂h_i‖, the norm of the gradient of its loss (or
        its predicted-class score) with respect to its embedding h_i at that layer.
        Cost: one forward and one backward pass over the probe set, ``batch_size`` at a time.
        """
        captured = {}
        modules = dict(self.model.named_modules())

        def hook(name):
            def record(_module, _inputs, output):
                captured[name] = output[0] if isinstance(output, (tuple, list)) else output
            return record

        parts = {name: [] for name in self.layers}
        sensitivity = {name: [] for name in self.layers}
        handles = [modules[name].register_forward_hook(hook(name)) for name in self.layers]
        try:
            with modes(self.model, "eval"), torch.enable_grad():
                for _, inputs, targets in self.batches.pieces(self.batch_size):
                    inputs = map_tensors(lambda t: t.to(self.device), inputs)
                    outputs = call_model(self.model, inputs)
                    embeddings = [captured[name] for name in self.layers]
                    if self.loss_fn is None:
                        score = outputs.max(dim=1).values.sum() if outputs.ndim > 1 else outputs.sum()
                    else:
                        score = self.loss_fn(outputs, targets.to(self.device)) * len(targets)  # per-sample terms of a mean
                    needs = [e for e in embeddings if e.requires_grad]
                    gradients = torch.autograd.grad(score, needs, allow_unused=True) if needs else []
                    gradient_of = {id(e): g for e, g in zip(needs, gradients)}
                    for name, embedding in zip(self.layers, embeddings):
                        flat = embedding.detach().reshape(len(targets), -1)
                        parts[name].append(flat.to("cpu", torch.float32).numpy())
                        gradient = gradient_of.get(id(embedding))
                        sensitivity[name].append(np.zeros(len(flat)) if gradient is None else
                                                 gradient.reshape(len(flat), -1).norm(dim=1).to("cpu", torch.float64).numpy())
                    captured.clear()
        finally:
            for handle in handles:
                handle.remove()
        record = {"label": label if label is not None else len(self.snapshots),
                  "activations": {name: np.concatenate(parts[name]) for name in self.layers},
                  "sensitivity": {name: np.concatenate(sensitivity[name]) for name in self.layers}}
        self.snapshots.append(record)
        return record


def procrustes_align(positions: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``positions`` rotated (or reflected), scaled and shifted to best match ``reference``
    in the least-squares sense (orthogonal Procrustes). O(n)."""
    a = positions - positions.mean(axis=0)
    b = reference - reference.mean(axis=0)
    u, s, vt = np.linalg.svd(a.T @ b)
    rotation = u @ vt
    norm = (a**2).sum()
    scale = s.sum() / norm if norm > 0 else 1.0
    return scale * a @ rotation + reference.mean(axis=0)


def pairwise_distances(X: np.ndarray) -> np.ndarray:
    squared = (X**2).sum(axis=1)
    return np.sqrt(np.maximum(squared[:, None] + squared[None, :] - 2 * X @ X.T, 0.0))


def class_separation(X: np.ndarray, labels: np.ndarray) -> dict:
    """Mean inter-class and intra-class pairwise distances, their ratio, and the silhouette.

    O(n² d) time and O(n²) memory: meant for probe sets of up to a few thousand points.
    """
    distances = pairwise_distances(np.asarray(X, dtype=np.float64))
    same = labels[:, None] == labels[None, :]
    off_diagonal = ~np.eye(len(labels), dtype=bool)
    intra = distances[same & off_diagonal].mean()
    inter = distances[~same].mean()
    classes = np.unique(labels)
    # Silhouette (Rousseeuw 1987): a = mean distance to the own class, b = to the nearest other.
    sums = np.stack([distances[:, labels == c].sum(axis=1) for c in classes], axis=1)
    counts = np.array([(labels == c).sum() for c in classes])
    own = np.searchsorted(classes, labels)
    a = sums[np.arange(len(labels)), own] / np.maximum(counts[own] - 1, 1)
    means = sums / counts
    means[np.arange(len(labels)), own] = np.inf
    b = means.min(axis=1)
    silhouette = np.where(counts[own] > 1, (b - a) / np.maximum(np.maximum(a, b), 1e-300), 0.0)
    return {"inter": float(inter), "intra": float(intra), "ratio": float(inter / intra),
            "silhouette": float(silhouette.mean())}


def knn_preservation(graph, positions: np.ndarray) -> float:
    """Share of each point's graph neighbours that are among its nearest points in the layout
    (as many as it has graph neighbours). O(n²)."""
    graph = graph.tocsr()
    distances = pairwise_distances(positions)
    np.fill_diagonal(distances, np.inf)
    shares = []
    for i in range(graph.shape[0]):
        neighbours = graph.indices[graph.indptr[i]:graph.indptr[i + 1]]
        if len(neighbours) == 0:
            continue
        nearest = np.argpartition(distances[i], len(neighbours) - 1)[:len(neighbours)]
        shares.append(len(np.intersect1d(neighbours, nearest)) / len(neighbours))
    return float(np.mean(shares))


class StructureMap:
    """2-D maps of every watched layer at every snapshot, and what they show.

    Parameters
    ----------
    k : int — neighbours in the kNN graph of the activations.
    metric : "euclidean" or "cosine".
    symmetrize : True or "mutual" — how the kNN relation becomes an undirected graph
        (:func:`netscope.knn_graph`); "mutual" (default) kept neighbourhoods best on the digits
        (bench/bench_layout.py).
    n_iter : int — force-layout iterations for the first snapshot (from the spectral layout);
        later snapshots start from the previous map and take ``n_iter_warm``.
    seed : int

    Attributes after :meth:`fit`: ``layers_``, ``labels_``, ``snapshot_labels_``,
    ``positions_[layer][t]`` (n, 2), ``graphs_[layer][t]`` (CSR), ``sensitivity_[layer][t]``,
    ``metrics_[layer][t]`` — dict with ``layout`` and ``activation`` class separation
    (``inter``, ``intra``, ``ratio``, ``silhouette``) and ``knn_preservation``.
    """

    def __init__(self, k: int = 15, *, metric: str = "euclidean", symmetrize="mutual", n_iter: int = 500,
                 n_iter_warm: int = 200, seed: int = 0):
        self.k = check_int(k, "k", minimum=1)
        self.metric = metric
        self.symmetrize = symmetrize
        self.n_iter = check_int(n_iter, "n_iter", minimum=0)
        self.n_iter_warm = check_int(n_iter_warm, "n_iter_warm", minimum=0)
        self.seed = check_int(seed, "seed", minimum=0)

    def fit(self, tracker: ActivationTracker) -> "StructureMap":
        """Build the maps of every snapshot the tracker holds. Cost per map: one kNN graph
        (O(n² d)), one force layout, and O(n²) metrics."""
        if not tracker.snapshots:
            raise ValueError("tracker has no snapshots yet: call tracker.snapshot() during training")
        self.layers_ = list(tracker.layers)
        self.labels_ = tracker.labels
        self.snapshot_labels_ = [s["label"] for s in tracker.snapshots]
        self.positions_, self.graphs_, self.metrics_, self.sensitivity_ = {}, {}, {}, {}
        for layer in self.layers_:
            previous = None
            for snapshot in tracker.snapshots:
                activations = snapshot["activations"][layer]
                graph = knn_graph(activations, min(self.k, len(activations) - 1), metric=self.metric,
                                  symmetrize=self.symmetrize)
                if previous is None:
                    positions = force_layout(graph, spectral_layout(graph, seed=self.seed), n_iter=self.n_iter, seed=self.seed)
                else:
                    positions = force_layout(graph, previous, n_iter=self.n_iter_warm, seed=self.seed)
                    positions = procrustes_align(positions, previous)
                previous = positions
                self.positions_.setdefault(layer, []).append(positions)
                self.graphs_.setdefault(layer, []).append(graph)
                self.sensitivity_.setdefault(layer, []).append(snapshot["sensitivity"][layer])
                self.metrics_.setdefault(layer, []).append({
                    "layout": class_separation(positions, self.labels_),
                    "activation": class_separation(activations, self.labels_),
                    "knn_preservation": knn_preservation(graph, positions),
                })
        return self

    def to_networkx(self, layer: str, snapshot: int = -1):
        """The map of ``layer`` at ``snapshot`` as a networkx Graph: edge ``weight``, node
        ``label``, ``x``, ``y`` and ``sensitivity`` attributes (GraphML-ready, for Gephi)."""
        if layer not in getattr(self, "positions_", {}):
            raise ValueError(f"layer must be one of the mapped layers {getattr(self, 'layers_', [])}, got {layer!r}")
        graph = nx.from_scipy_sparse_array(self.graphs_[layer][snapshot])
        positions = self.positions_[layer][snapshot]
        sensitivity = self.sensitivity_[layer][snapshot]
        for i in graph.nodes:
            graph.nodes[i].update(label=int(self.labels_[i]), x=float(positions[i, 0]), y=float(positions[i, 1]),
                                  sensitivity=float(sensitivity[i]))
        return graph

    def write_graphml(self, path, layer: str, snapshot: int = -1) -> None:
        """Write :meth:`to_networkx` to a GraphML file."""
        nx.write_graphml(self.to_networkx(layer, snapshot), path)


def neuron_sample_graph(activations: np.ndarray, *, top: int = 3):
    """Bipartite graph of samples and the neurons each activates most.

    Nodes 0..n-1 are the samples, n..n+m-1 the m neurons; sample i is joined to its ``top``
    most active neurons, with weight = activation / (the sample's largest activation). No
    sample-sample or neuron-neuron edges. Returns a symmetric CSR (n + m, n + m). O(n m).
    """
    activations = np.asarray(activations, dtype=np.float64)
    if activations.ndim != 2:
        raise ValueError(f"activations must be 2-D (samples, neurons), got shape {activations.shape}")
    n, m = activations.shape
    top = check_int(top, "top", minimum=1, maximum=m)
    chosen = np.argpartition(-activations, top - 1, axis=1)[:, :top]
    values = np.take_along_axis(activations, chosen, axis=1)
    shifted = values - activations.min()
    weights = shifted / np.maximum(shifted.max(axis=1, keepdims=True), 1e-12)
    weights = np.maximum(weights, 1e-3)  # every chosen link is kept, however weak
    rows = np.repeat(np.arange(n), top)
    graph = scipy.sparse.csr_matrix((weights.ravel(), (rows, n + chosen.ravel())), shape=(n + m, n + m))
    return (graph + graph.T).tocsr()
