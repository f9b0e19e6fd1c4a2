"""What a map shows and how faithful it is: class separation and neighbourhood preservation."""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.spatial import cKDTree

from .._result import Result
from ..core._validation import check_int
from .fidelity import (
    Fidelity,
    GlobalStructure,
    Stability,
    common_values,
    fidelity,
    global_structure,
    map_neighbours,
    stability,
)


@dataclasses.dataclass(frozen=True)
class ClassSeparation(Result):
    """Mean ``inter``-class and ``intra``-class pairwise distances, their ``ratio`` (> 1: classes
    apart), and the mean ``silhouette`` (−1..1), from ``n_points`` points (all of them, or a
    stratified subsample: :func:`class_separation`).
    """

    inter: float
    intra: float
    ratio: float
    silhouette: float
    n_points: int


@dataclasses.dataclass(frozen=True)
class MapMetrics(Result):
    """What one (layer, snapshot) map shows: class separation in the ``layout`` and in the
    ``activation`` space (None without labels or with a single class: nothing to separate);
    ``knn_preservation`` (share of each point's graph neighbours that stay among its nearest in
    the layout); ``fidelity`` to the activations (trustworthiness, continuity, kNN preservation
    at the map's k); ``stability`` against the previous snapshot's map (None for the first);
    ``global_structure``, random-triplet accuracy and distance correlation (None in maps saved
    before it was measured).
    """

    layout: ClassSeparation | None
    activation: ClassSeparation | None
    knn_preservation: float
    fidelity: Fidelity
    stability: Stability | None
    global_structure: GlobalStructure | None = None

    @classmethod
    def from_dict(cls, data: dict) -> MapMetrics:
        """The inverse of :meth:`to_dict`."""

        def optional(kind, value):
            return None if value is None else kind(**value)

        return cls(
            layout=optional(ClassSeparation, data["layout"]),
            activation=optional(ClassSeparation, data["activation"]),
            knn_preservation=data["knn_preservation"],
            fidelity=Fidelity(**data["fidelity"]),
            stability=optional(Stability, data["stability"]),
            global_structure=optional(GlobalStructure, data.get("global_structure")),
        )


def has_classes(labels) -> bool:
    """Whether ``labels`` (None or (n,)) hold two classes or more, so that their separation is
    defined. O(n log n).
    """
    return labels is not None and len(np.unique(labels)) > 1


def map_metrics(
    graph, activations: np.ndarray, positions: np.ndarray, previous: np.ndarray | None, labels, k: int, *, seed: int = 0
) -> MapMetrics:
    """The :class:`MapMetrics` of the map ``positions`` (n, 2) of ``activations`` (n, d) drawn
    from ``graph`` (its kNN graph, CSR), against the ``previous`` snapshot's map (or None), at
    ``k`` neighbours; class separation only when ``labels`` (None or (n,)) hold two classes.
    Cost: O(min(n, 2000) n (d + log n)) for separation and fidelity, O(10^4 (d + log 10^4)) for
    the global structure, O((n + edges) log n) for the rest.
    """
    n = len(positions)
    separated = has_classes(labels)
    return MapMetrics(
        layout=class_separation(positions, labels, seed=seed) if separated else None,
        activation=class_separation(activations, labels, seed=seed) if separated else None,
        knn_preservation=knn_preservation(graph, positions),
        # Trustworthiness's normaliser needs 2n - 3k - 1 > 0.
        fidelity=fidelity(activations, positions, min(k, max(1, (2 * n - 4) // 3)), seed=seed),
        stability=None if previous is None else stability(previous, positions, min(k, n - 1)),
        global_structure=global_structure(activations, positions, seed=seed) if n >= 3 else None,
    )


def pairwise_distances(X: np.ndarray) -> np.ndarray:
    """Euclidean distances between the rows of ``X`` (n, d), as an (n, n) array."""
    squared = (X**2).sum(axis=1)
    return np.sqrt(np.maximum(squared[:, None] + squared[None, :] - 2 * X @ X.T, 0.0))


def _stratified_sample(classes: np.ndarray, sizes: np.ndarray, size: int, seed: int) -> np.ndarray:
    """``size`` sorted indices of the points whose classes are ``classes`` (n,), indices into
    ``sizes`` (each class's point count): min(size of the class, t) random points of each class,
    t as large as ``size`` allows, and one more from random classes still larger than t to fill
    it. O(n log n).
    """
    order = np.random.default_rng(seed).permutation(len(classes))
    by_class = order[np.argsort(classes[order], kind="stable")]  # each class's points in random order
    place = np.empty(len(classes), dtype=np.intp)
    place[by_class] = np.arange(len(classes)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    # Taking points by their place in their class takes one of each class, then another, ...
    return np.sort(order[np.argsort(place[order], kind="stable")[:size]])


def class_separation(X: np.ndarray, labels: np.ndarray, *, max_points: int = 2000, seed: int = 0) -> ClassSeparation:
    """Mean inter-class and intra-class pairwise distances of the points ``X`` (n, d) with
    ``labels`` (n,), their ratio, and the silhouette.

    Exact up to ``max_points`` points. Beyond, estimated from a random subsample of
    ``max_points`` (``seed``), stratified so that every class is measured: each class gives
    min(its size, t) points, t as large as the budget allows (the last few places go to random
    larger classes), so a class smaller than its share keeps all its points. The subsample's
    mean distance within and between each pair of classes is then weighted by the number of
    pairs those classes hold in the full set, and each class's mean silhouette by its size: the
    over-sampled small classes weigh what they weigh in the full set. The silhouette's distances
    to each class are means over that class's sampled points. ValueError when ``max_points``
    cannot hold two points of every class, or when ``labels`` hold a single class (no separation to
    measure: :func:`has_classes`).

    Cost: O(n log n + m² (d + c)) time, O(m (m + c)) memory, for m = min(n, max_points) points
    and c classes.
    """
    X = np.asarray(X, dtype=np.float64)
    labels = np.asarray(labels)
    if X.ndim != 2 or labels.shape != (len(X),):
        raise ValueError(f"X must be 2-D with one label per row, got shapes {X.shape} and {labels.shape}")
    max_points = check_int(max_points, "max_points", minimum=2)
    _, classes, sizes = np.unique(labels, return_inverse=True, return_counts=True)
    if len(sizes) < 2:
        raise ValueError(f"labels must hold at least two classes to measure their separation, got {len(sizes)}")
    if len(X) > max_points and np.minimum(sizes, 2).sum() > max_points:
        raise ValueError(
            f"max_points must be >= {np.minimum(sizes, 2).sum()} to keep two points of each of "
            f"the {len(sizes)} classes, got {max_points}"
        )
    chosen = np.arange(len(X)) if len(X) <= max_points else _stratified_sample(classes, sizes, max_points, seed)
    own = classes[chosen]
    distances = pairwise_distances(X[chosen])
    np.fill_diagonal(distances, 0.0)
    members = np.zeros((len(chosen), len(sizes)))
    members[np.arange(len(chosen)), own] = 1.0
    sums = distances @ members  # (m, c): each point's summed distance to each class
    counts = members.sum(axis=0)
    # Ordered pairs of distinct points within (diagonal) and between classes, in the subsample and in all.
    pairs, weights = (np.outer(m, m) - np.diag(m) for m in (counts, sizes.astype(np.float64)))
    totals = weights * (members.T @ sums) / np.maximum(pairs, 1)
    within = np.eye(len(sizes), dtype=bool)
    intra = totals[within].sum() / weights[within].sum()
    inter = totals[~within].sum() / weights[~within].sum()
    # Silhouette (Rousseeuw 1987): a = mean distance to the own class, b = to the nearest other.
    rows = np.arange(len(chosen))
    a = sums[rows, own] / np.maximum(counts[own] - 1, 1)
    means = sums / counts
    means[rows, own] = np.inf
    b = means.min(axis=1)
    silhouette = np.where(sizes[own] > 1, (b - a) / np.maximum(np.maximum(a, b), 1e-300), 0.0)
    return ClassSeparation(
        inter=float(inter),
        intra=float(intra),
        ratio=float(inter / intra),
        silhouette=float(np.average(silhouette, weights=sizes[own] / counts[own])),
        n_points=len(chosen),
    )


def knn_preservation(graph, positions: np.ndarray) -> float:
    """Share of each point's graph neighbours that are among its nearest points in the layout
    ``positions`` (n, 2) (as many as it has graph neighbours), averaged over the points with
    neighbours. O((n + edges) log n) time by a k-d tree, O(n + edges) memory.
    """
    graph = graph.tocsr()
    n = graph.shape[0]
    degrees = np.diff(graph.indptr)
    tree = cKDTree(positions)
    # Rows by degree, in powers of two: no row asks the tree for more than twice its degree, so a
    # hub of the graph costs its own degree only.
    levels = np.ceil(np.log2(np.maximum(degrees, 1))).astype(int)
    nearest = [np.empty(0, dtype=np.intp)]  # codes i·n + j of each point i's nearest j
    for level in np.unique(levels[degrees > 0]):
        rows = np.flatnonzero((levels == level) & (degrees > 0))
        found = map_neighbours(tree, rows, degrees[rows].max())
        among = np.arange(found.shape[1]) < degrees[rows, None]  # as many as the row's own degree
        nearest.append((rows[:, None] * n + found)[among])
    edges = np.repeat(np.arange(n), degrees) * n + graph.indices
    kept = np.bincount(common_values(edges, np.concatenate(nearest)) // n, minlength=n)
    return float(np.mean(kept[degrees > 0] / degrees[degrees > 0]))
