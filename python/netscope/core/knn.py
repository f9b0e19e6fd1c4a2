"""k-nearest-neighbour similarity graphs of point clouds (e.g. hidden activations)."""

from __future__ import annotations

import numpy as np
import scipy.sparse

from .. import _core
from ._validation import as_float_matrix, check_all_finite, check_int

METRICS = ("euclidean", "cosine")
WEIGHTS = ("fuzzy", "gaussian")
SYMMETRIZE = (True, False, "mutual")
METHODS = ("auto", "exact", "approximate", "refined")
# "auto" searches exactly up to this many points (0.2 s for 10 000 x 50 on 2 cores), approximately
# beyond (100 000 x 50: 1.1 s at recall 0.98 against 18 s exact; bench/bench_maps.py).
EXACT_UP_TO = 10_000
# The approximate search's settings (netscope._core.approximate_knn): cells = 3 sqrt(n) by
# k-means with 5 Lloyd iterations, 3 cells noted per point (recall 0.98 on both benchmark sets;
# 2 gave 0.96, 4 gave 0.99 at 1.1-1.2x the time).
APPROXIMATE_PROBES = 3
KMEANS_ITERATIONS = 5
# NN-descent's settings (netscope._core.nn_descent): started from the inverted file's graph (each
# point's nearest 0.8 k entries of it, and random points), it builds 1.6 k neighbours a point and
# keeps the nearest k (on 100 000 isotropic points in 50 dimensions, k = 15: recall 0.87 building
# 20, 0.92 building 24), in at most 12 rounds, each joining up to 1.6 k new neighbours a point
# (listed or listing it, drawn at random when more) with each other and with as many old ones,
# stopping once a round changes fewer than 0.1 % of the entries.
REFINE_BUILD_FACTOR = 1.6
REFINE_ROUNDS = 12
REFINE_DELTA = 0.001
# "auto" measures the inverted file's recall on this many points against an exact search of them,
# and refines its graph with NN-descent when the recall is below RECALL_FLOOR.
RECALL_CHECK_POINTS = 200
RECALL_FLOOR = 0.9
# The self-tuning bandwidth of Zelnik-Manor & Perona (NIPS 2004): σ_i is the distance from point i
# to its 7th nearest neighbour (or its k-th, when k < 7).
BANDWIDTH_NEIGHBOUR = 7


def knn_graph(
    X,
    k: int = 15,
    *,
    metric: str = "euclidean",
    symmetrize=True,
    weights: str = "fuzzy",
    method: str = "auto",
    seed: int = 0,
) -> scipy.sparse.csr_matrix:
    """k-nearest-neighbour graph of the rows of ``X`` with similarity weights.

    Parameters
    ----------
    X : array_like (n, d), float32 or float64 — one point per row; read in place when contiguous.
    k : int — neighbours per point, ``1 <= k < n``; a point is never its own neighbour.
    metric : "euclidean" or "cosine" (Euclidean distance between L2-normalised rows).
    symmetrize : True, "mutual" or False — True keeps an edge when either end lists the other
        (the union; fuzzy weights combine as ``w + w' - w w'``, Gaussian ones by their maximum),
        "mutual" only when both do (the intersection, weight ``min(w, w')``), except that a point
        left with no edge keeps the one to its nearest neighbour (an isolated point feels only
        repulsion in a force layout and drifts off); False returns the directed kNN relation.
    weights : "fuzzy" (default) or "gaussian".
        "fuzzy" — UMAP's fuzzy simplicial set (McInnes et al. 2018): ``w_ij = exp(-(d_ij - ρ_i) / σ_i)``
        with ρ_i the distance to the nearest neighbour (so it gets weight 1) and σ_i set by
        bisection so that each point's weights sum to log2(k). With the default layout it gave the
        most faithful maps (bench/bench_maps.py).
        "gaussian" — ``w_ij = exp(-d_ij² / (σ_i σ_j))`` with the self-tuning bandwidth σ_i =
        distance to the 7th (or k-th, if k < 7) neighbour (Zelnik-Manor & Perona 2004); a point
        whose bandwidth is 0 (more duplicates than neighbours) takes the smallest positive one.
        Either way duplicate points are at distance 0 and get weight 1.
    method : "auto" (default), "exact", "approximate" or "refined" — "auto" is exact up to 10 000
        points; beyond, it searches approximately, measures the recall of 200 sampled points
        against their exact neighbours, and refines (as "refined") when that is below 0.9.
        "approximate" is an inverted-file search in the C++ core: k-means cuts space into
        3 sqrt(n) cells, each point notes its 3 nearest cells, and the points of a cell are
        compared (one GEMM) with every point filed in a cell that one of them noted; it found 98 %
        of the true neighbours on the benchmark sets (bench/bench_maps.py), but about a third on
        data without clusters to file by (isotropic Gaussian blobs). "refined" repairs that:
        NN-descent (Dong, Charikar & Li 2011) started from the inverted-file graph (each point's
        nearest 0.8 k entries, and random points) joins each point's neighbours and the points
        that list it, pairwise, for at most 12 rounds, building 1.6 k neighbours a point and
        keeping the nearest k (100 000 isotropic points in 50 dimensions: recall 0.61 -> 0.92,
        bench/bench_maps.py).
    seed : int — the approximate search's k-means sample and start, and NN-descent's samples; the
        result is deterministic for a seed whatever the number of threads.

    Returns
    -------
    scipy.sparse.csr_matrix (n, n), float64, symmetric unless ``symmetrize=False``.

    Cost, on both cores: exact O(n² d) in BLAS plus O(n² log k) selection; approximate
    O(n^1.5 d) (about 30 sqrt(n) distances per point); refined that plus O(rounds n k² d); "auto"
    beyond 10 000 points adds O(200 n d) for its recall check; the symmetrised graph O(n k²);
    memory O(n k): the (n, k) lists and weights, and about 2 n k edges at 12 bytes each.
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
    if weights not in WEIGHTS:
        raise ValueError(f"weights must be one of {WEIGHTS}, got {weights!r}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    seed = check_int(seed, "seed", minimum=0)
    check_all_finite(X, "X")
    if metric == "cosine":
        norms = np.linalg.norm(X, axis=1, keepdims=True)
        if np.any(norms == 0):
            raise ValueError(
                f"X has all-zero rows (first: {int(np.flatnonzero(norms[:, 0] == 0)[0])}); "
                "cosine distance is undefined for them"
            )
        X = X / norms
    if method == "exact" or (method == "auto" and n <= EXACT_UP_TO):
        indices, distances = _core.exact_knn(X, k)
    else:
        indices, distances = _core.approximate_knn(X, k, 0, APPROXIMATE_PROBES, KMEANS_ITERATIONS, 0, seed)
        if method == "refined" or (method == "auto" and sampled_recall(X, indices, seed) < RECALL_FLOOR):
            indices, distances = refined_knn(X, indices, k, seed)
    similarity = fuzzy_weights(distances) if weights == "fuzzy" else gaussian_weights(indices, distances)
    del distances  # the weights replace them: one (n, k) array less at the peak
    if symmetrize is False:
        # Rows in the search's order, nearest first.
        indptr = np.arange(0, n * k + 1, k, dtype=np.int64)
        return scipy.sparse.csr_matrix(
            (similarity.ravel(), indices.astype(np.int32, copy=False).ravel(), indptr), shape=(n, n)
        )
    mode = "mutual" if symmetrize == "mutual" else "fuzzy_union" if weights == "fuzzy" else "max_union"
    # In the C++ core: the undirected CSR straight from the lists, with no transposed or
    # intermediate matrices (a million points: 0.3 GB, where scipy's w + w' - w w' passed 1 GB).
    indptr, targets, values = _core.symmetrize_knn(indices, similarity, mode)
    return scipy.sparse.csr_matrix((values, targets, indptr), shape=(n, n))


def gaussian_weights(indices: np.ndarray, distances: np.ndarray) -> np.ndarray:
    """Self-tuning Gaussian similarities of the (n, k) kNN lists, nearest first. O(n k)."""
    k = distances.shape[1]
    bandwidth = distances[:, min(k, BANDWIDTH_NEIGHBOUR) - 1].copy()
    positive = bandwidth[bandwidth > 0]
    bandwidth[bandwidth <= 0] = positive.min() if positive.size else 1.0
    return np.exp(-(distances**2) / (bandwidth[:, None] * bandwidth[indices]))


def refined_knn(X: np.ndarray, start: np.ndarray, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """NN-descent from the (n, k) ``start`` indices of the inverted file (knn_graph's "refined"):
    ``(indices, distances)``, each (n, k), nearest first. O(rounds n k² d); memory O(n k) in 32-bit
    indices and the points' precision.
    """
    built = min(len(X) - 1, int(np.ceil(REFINE_BUILD_FACTOR * k)))
    indices, distances, _ = _core.nn_descent(X, start, built, k, REFINE_ROUNDS, built, REFINE_DELTA, seed)
    return indices, distances


def sampled_recall(X: np.ndarray, indices: np.ndarray, seed: int) -> float:
    """The share of the true k nearest neighbours that the (n, k) ``indices`` list, over
    ``RECALL_CHECK_POINTS`` points drawn with ``seed``: a listed neighbour counts when it is no
    farther than the point's k-th nearest by an exact search (so a tie with the k-th counts).
    O(RECALL_CHECK_POINTS n d) in BLAS, in blocks of 16 points (memory O(16 n)); the k-th nearest
    is sought only among the points no farther than the farthest listed one, which holds it.
    """
    n, k = indices.shape
    chosen = np.random.default_rng(seed).choice(n, size=min(n, RECALL_CHECK_POINTS), replace=False)
    norms = np.einsum("ij,ij->i", X, X)
    found = 0
    for block in np.array_split(chosen, max(1, len(chosen) // 16)):
        squared = norms[None, :] - 2 * (X[block] @ X.T)  # each row's own norm is common to it
        squared[np.arange(len(block)), block] = np.inf
        for row, point in zip(squared, block):
            listed = row[np.unique(indices[point])]  # a point listed twice counts once
            near = row[row <= listed.max()]
            kth = min(k, near.size) - 1  # fewer than k that near: every listed one is a true neighbour
            kth_nearest = np.partition(near, kth)[kth]
            found += int(np.count_nonzero(listed <= kth_nearest))
    return found / (len(chosen) * k)


def fuzzy_weights(distances: np.ndarray) -> np.ndarray:
    """UMAP's membership strengths of the (n, k) kNN distances, nearest first: each row's
    ``exp(-(d - ρ) / σ)`` sums to log2(k) within 1e-5 (UMAP's tolerance); for k <= 2, where no σ
    reaches that sum, every weight is 1. In the C++ core: O(n k) per bisection step (at most 48),
    both cores.
    """
    return _core.fuzzy_memberships(np.ascontiguousarray(distances, dtype=np.float64))
