"""k-nearest-neighbour similarity graphs of point clouds (e.g. hidden activations)."""

from __future__ import annotations

import numpy as np
import scipy.sparse

from .. import _core
from ._validation import as_float_matrix, check_all_finite, check_int

METRICS = ("euclidean", "cosine")
# The self-tuning bandwidth of Zelnik-Manor & Perona (NIPS 2004): σ_i is the distance from point i
# to its 7th nearest neighbour (or its k-th, when k < 7).
BANDWIDTH_NEIGHBOUR = 7


SYMMETRIZE = (True, False, "mutual")


def knn_graph(X, k: int = 15, *, metric: str = "euclidean", symmetrize=True) -> scipy.sparse.csr_matrix:
    """Exact k-nearest-neighbour graph of the rows of ``X`` with Gaussian similarity weights.

    Parameters
    ----------
    X : array_like (n, d), float32 or float64 — one point per row; read in place when contiguous.
    k : int — neighbours per point, ``1 <= k < n``; a point is never its own neighbour.
    metric : "euclidean" or "cosine" (Euclidean distance between L2-normalised rows).
    symmetrize : True, "mutual" or False — True keeps an edge when either end lists the other
        (the union), "mutual" only when both do (the intersection: fewer edges between classes,
        maps with better-kept neighbourhoods), except that a point left with no edge keeps the
        one to its nearest neighbour (an isolated point feels only repulsion in a force layout
        and drifts off, crushing the rest of the map into a corner); False returns the directed
        kNN relation. Weights are symmetric either way.

    Returns
    -------
    scipy.sparse.csr_matrix (n, n), float64: ``w_ij = exp(-d_ij² / (σ_i σ_j))`` with the
    per-point adaptive bandwidth σ_i = distance to the 7th (or k-th, if k < 7) neighbour
    (self-tuning, Zelnik-Manor & Perona 2004). Duplicate points are at distance 0 and get weight
    1; a point whose bandwidth is 0 (more duplicates than neighbours) takes the smallest positive
    bandwidth in the data instead.

    Cost: O(n² d) in BLAS plus O(n² log k) selection on both cores; memory O(n k).
    """
    X = as_float_matrix(X, "X")
    n = X.shape[0]
    if n < 2:
        raise ValueError(f"X must hold at least 2 points, got {n}")
    k = check_int(k, "k", minimum=1, maximum=n - 1)
    if not any(symmetrize is option or symmetrize == option for option in SYMMETRIZE):
        raise ValueError(f"symmetrize must be True, False or 'mutual', got {symmetrize!r}")
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    check_all_finite(X, "X")
    if metric == "cosine":
        norms = np.linalg.norm(X, axis=1, keepdims=True)
        if np.any(norms == 0):
            raise ValueError(f"X has all-zero rows (first: {int(np.flatnonzero(norms[:, 0] == 0)[0])}); "
                             "cosine distance is undefined for them")
        X = X / norms
    indices, distances = _core.exact_knn(X, k)
    bandwidth = distances[:, min(k, BANDWIDTH_NEIGHBOUR) - 1].copy()
    positive = bandwidth[bandwidth > 0]
    bandwidth[bandwidth <= 0] = positive.min() if positive.size else 1.0
    weights = np.exp(-(distances**2) / (bandwidth[:, None] * bandwidth[indices]))
    rows = np.repeat(np.arange(n), k)
    graph = scipy.sparse.csr_matrix((weights.ravel(), (rows, indices.ravel())), shape=(n, n))
    if symmetrize is False:
        return graph
    if symmetrize == "mutual":
        combined = graph.minimum(graph.T).tocsr()
        combined.eliminate_zeros()
        isolated = np.flatnonzero(np.diff(combined.indptr) == 0)
        nearest = scipy.sparse.csr_matrix((weights[isolated, 0], (isolated, indices[isolated, 0])), shape=(n, n))
        combined = combined.maximum(nearest).maximum(nearest.T)
    else:
        combined = graph.maximum(graph.T)
    combined = combined.tocsr()
    combined.eliminate_zeros()
    return combined
