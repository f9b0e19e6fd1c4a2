"""What a map shows and how faithful it is: class separation and neighbourhood preservation."""

from __future__ import annotations

import dataclasses

import numpy as np

from .._result import Result
from .fidelity import Fidelity, Stability


@dataclasses.dataclass(frozen=True)
class ClassSeparation(Result):
    """Mean ``inter``-class and ``intra``-class pairwise distances, their ``ratio`` (> 1: classes
    apart), and the mean ``silhouette`` (−1..1)."""

    inter: float
    intra: float
    ratio: float
    silhouette: float


@dataclasses.dataclass(frozen=True)
class MapMetrics(Result):
    """What one (layer, snapshot) map shows: class separation in the ``layout`` and in the
    ``activation`` space; ``knn_preservation`` (share of each point's graph neighbours that stay
    among its nearest in the layout); ``fidelity`` to the activations (trustworthiness,
    continuity, kNN preservation at the map's k); ``stability`` against the previous snapshot's
    map (None for the first)."""

    layout: ClassSeparation
    activation: ClassSeparation
    knn_preservation: float
    fidelity: Fidelity
    stability: Stability | None


def pairwise_distances(X: np.ndarray) -> np.ndarray:
    squared = (X**2).sum(axis=1)
    return np.sqrt(np.maximum(squared[:, None] + squared[None, :] - 2 * X @ X.T, 0.0))


def class_separation(X: np.ndarray, labels: np.ndarray) -> ClassSeparation:
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
    return ClassSeparation(inter=float(inter), intra=float(intra), ratio=float(inter / intra),
                           silhouette=float(silhouette.mean()))


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
