"""How faithful a map is to the data it draws, and how steady it stays from one snapshot to the next.

- :func:`fidelity`: trustworthiness (Venna & Kaski 2001: are the map's neighbours true
  neighbours?), continuity (are the true neighbours kept in the map?) and kNN preservation (the
  share of each point's k nearest in the data that are among its k nearest in the map).
- :func:`stability`: between consecutive (aligned) maps, the mean displacement relative to the
  map's spread, and the share of each point's k map neighbours that it keeps.
- :func:`global_structure`: what the local measures miss, as PaCMAP's and NOMAD's papers measure
  it: random-triplet accuracy (for random points i, j, l, is i nearer j than l in the map exactly
  when it is in the data?) and the Spearman correlation of pairwise distances, on sampled triplets
  and pairs.

The exact measures need every pairwise rank, O(n²). Beyond ``max_queries`` points they are
averaged over that many random query points (ranks still against all n), and the result carries
the standard error of that mean.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.spatial import cKDTree

from .._result import Result
from ..core._validation import check_int

# Query points per block of the rank computation: a block holds 2 × QUERY_BLOCK × n distances and
# as many ranks.
QUERY_BLOCK = 128


@dataclasses.dataclass(frozen=True)
class Fidelity(Result):
    """Trustworthiness and continuity (1 = perfect, about 0.5 for a random map) and kNN
    preservation (0..1) at ``k`` neighbours, averaged over ``n_queries`` query points;
    ``standard_error`` bounds the three means (0 when every point was a query).
    """

    trustworthiness: float
    continuity: float
    knn_preservation: float
    k: int
    n_queries: int
    standard_error: float


@dataclasses.dataclass(frozen=True)
class Stability(Result):
    """From one map to the next: ``displacement``, the mean distance a point moved divided by
    the previous map's RMS radius; ``neighbours_kept``, the mean share of its ``k`` nearest map
    neighbours a point keeps.
    """

    displacement: float
    neighbours_kept: float
    k: int


@dataclasses.dataclass(frozen=True)
class GlobalStructure(Result):
    """Whether the map keeps the data's large-scale arrangement: ``triplet_accuracy``, the share of
    ``n_triplets`` random triplets (i, j, l) whose order (is i nearer j than l?) the map keeps (1 =
    all, about 0.5 for a random map); ``distance_spearman``, the Spearman correlation of the
    distances of ``n_pairs`` random pairs in the data and in the map (1 = same order, about 0 for a
    random map).
    """

    triplet_accuracy: float
    distance_spearman: float
    n_triplets: int
    n_pairs: int


def triplet_accuracy(X, Y, triplets: np.ndarray) -> float:
    """The share of the (m, 3) index ``triplets`` (anchor, near, far) for which X and Y agree on
    whether the anchor is nearer the second point than the third (ties in either count as agreement
    only when tied in both). O(m d).
    """
    anchor, near, far = np.asarray(triplets).T
    in_data = np.sign(np.linalg.norm(X[anchor] - X[near], axis=1) - np.linalg.norm(X[anchor] - X[far], axis=1))
    in_map = np.sign(np.linalg.norm(Y[anchor] - Y[near], axis=1) - np.linalg.norm(Y[anchor] - Y[far], axis=1))
    return float(np.mean(in_data == in_map))


def distance_spearman(X, Y, pairs: np.ndarray) -> float:
    """Spearman's rank correlation of the distances of the (m, 2) index ``pairs`` in X and in Y
    (average ranks for ties). O(m (d + log m)).
    """
    from scipy.stats import spearmanr

    a, b = np.asarray(pairs).T
    return float(spearmanr(np.linalg.norm(X[a] - X[b], axis=1), np.linalg.norm(Y[a] - Y[b], axis=1)).statistic)


def global_structure(X, Y, *, n_triplets: int = 10_000, n_pairs: int = 10_000, seed: int = 0) -> GlobalStructure:
    """:func:`triplet_accuracy` and :func:`distance_spearman` of the map ``Y`` (n, 2) of the data
    ``X`` (n, d), n >= 3, on ``n_triplets`` triplets and ``n_pairs`` pairs of distinct points drawn
    with ``seed``. Cost: O((n_triplets + n_pairs) d + n_pairs log n_pairs) time and memory.
    """
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    if X.ndim != 2 or Y.ndim != 2 or len(X) != len(Y):
        raise ValueError(f"X and Y must be 2-D with one row per point, got shapes {X.shape} and {Y.shape}")
    n = len(X)
    if n < 3:
        raise ValueError(f"global_structure needs at least 3 points, got {n}")
    n_triplets = check_int(n_triplets, "n_triplets", minimum=1)
    n_pairs = check_int(n_pairs, "n_pairs", minimum=2)
    rng = np.random.default_rng(seed)
    # Distinct points: the second and third are drawn among the others, shifted past the first.
    first = rng.integers(n, size=n_triplets)
    second = (first + 1 + rng.integers(n - 1, size=n_triplets)) % n
    third = (first + 1 + rng.integers(n - 2, size=n_triplets)) % n
    third = np.where(third == second, (first + n - 1) % n, third)  # the one value the third must skip: the second
    a = rng.integers(n, size=n_pairs)
    b = (a + 1 + rng.integers(n - 1, size=n_pairs)) % n
    return GlobalStructure(
        triplet_accuracy=triplet_accuracy(X, Y, np.stack([first, second, third], axis=1)),
        distance_spearman=distance_spearman(X, Y, np.stack([a, b], axis=1)),
        n_triplets=n_triplets,
        n_pairs=n_pairs,
    )


def _ranks(
    points: np.ndarray, queries: np.ndarray, distances: np.ndarray, scratch: np.ndarray, ranks: np.ndarray
) -> None:
    """Write into ``ranks`` (len(queries), n) int64 the rank of every point by its distance from
    each query: self 0, ties by index (a stable sort); ``distances`` and ``scratch``, float64 of
    that shape, hold the squared distances and a product. O(len(queries) · n (d + log n)).
    """
    squared = (points**2).sum(axis=1)
    np.add(squared[queries, None], squared[None, :], out=distances)
    np.matmul(points[queries], points.T, out=scratch)
    scratch *= 2
    distances -= scratch
    distances[np.arange(len(queries)), queries] = -np.inf  # self first, whatever rounding says
    order = np.argsort(distances, axis=1, kind="stable")
    np.put_along_axis(ranks, order, np.broadcast_to(np.arange(points.shape[0]), order.shape), axis=1)


def map_neighbours(tree: cKDTree, rows: np.ndarray, k: int) -> np.ndarray:
    """The k nearest map points of each of ``rows``, self excluded, nearest first, from a k-d
    tree of the map: (len(rows), k). Ties between equidistant points fall either way.
    O(len(rows) · k log n).
    """
    _, found = tree.query(tree.data[rows], k + 1)
    other = found != rows[:, None]
    other[other.all(axis=1), -1] = False  # self not found (points on top of it): drop the farthest
    return found[other].reshape(len(rows), k)


def common_values(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The values found in both ``a`` and ``b``, each holding a value at most once, sorted.
    O(m log m) for m = a.size + b.size.
    """
    both = np.sort(np.concatenate([a.ravel(), b.ravel()]))
    return both[1:][both[1:] == both[:-1]]


def fidelity(X, Y, k: int = 15, *, max_queries: int = 2000, seed: int = 0) -> Fidelity:
    """Trustworthiness, continuity and kNN preservation of the map ``Y`` (n, 2) of the data ``X``
    (n, d) at ``k`` neighbours, every query's ranks at once per block of QUERY_BLOCK queries.
    Cost: O(q n (d + log n)) time for q = min(n, max_queries) query points, O(QUERY_BLOCK · n)
    memory.
    """
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    if X.ndim != 2 or Y.ndim != 2 or len(X) != len(Y):
        raise ValueError(f"X and Y must be 2-D with one row per point, got shapes {X.shape} and {Y.shape}")
    n = len(X)
    k = check_int(k, "k", minimum=1, maximum=max(1, (2 * n - 4) // 3))  # the normaliser needs 2n - 3k - 1 > 0
    max_queries = check_int(max_queries, "max_queries", minimum=1)
    queries = (
        np.arange(n) if n <= max_queries else np.sort(np.random.default_rng(seed).choice(n, max_queries, replace=False))
    )
    scale = 2.0 / (k * (2 * n - 3 * k - 1))
    trust_rows, cont_rows, kept_rows = [], [], []
    buffers = np.empty((2, min(QUERY_BLOCK, len(queries)), n))
    ranks = np.empty(buffers.shape, dtype=np.int64)
    for start in range(0, len(queries), QUERY_BLOCK):
        block = queries[start : start + QUERY_BLOCK]
        distances, scratch = buffers[:, : len(block)]
        rank_x, rank_y = ranks[:, : len(block)]
        _ranks(X, block, distances, scratch, rank_x)
        _ranks(Y, block, distances, scratch, rank_y)
        near_x, near_y = (rank_x >= 1) & (rank_x <= k), (rank_y >= 1) & (rank_y <= k)
        intruders = near_y & ~near_x  # map neighbours, not data ones
        missing = near_x & ~near_y  # data neighbours, not map ones
        trust_rows.append(1 - scale * np.where(intruders, rank_x - k, 0).sum(axis=1))
        cont_rows.append(1 - scale * np.where(missing, rank_y - k, 0).sum(axis=1))
        kept_rows.append((k - intruders.sum(axis=1)) / k)
    # T = 1 − 2/(n k (2n − 3k − 1)) Σ_i Σ_j (r_ij − k) is the mean over i of the per-query terms.
    trust, cont, kept = np.concatenate(trust_rows), np.concatenate(cont_rows), np.concatenate(kept_rows)
    error = (
        0.0
        if len(queries) == n
        else float(max(np.std(values) for values in (trust, cont, kept)) / np.sqrt(len(queries)))
    )
    return Fidelity(
        trustworthiness=float(trust.mean()),
        continuity=float(cont.mean()),
        knn_preservation=float(kept.mean()),
        k=k,
        n_queries=len(queries),
        standard_error=error,
    )


def stability(previous, current, k: int = 15) -> Stability:
    """How far the aligned map ``current`` (n, 2) moved from ``previous`` (n, 2), and the share of
    each point's k map neighbours kept. O(n k log n) time by k-d trees, O(n k) memory.
    """
    previous = np.asarray(previous, dtype=np.float64)
    current = np.asarray(current, dtype=np.float64)
    if previous.shape != current.shape or previous.ndim != 2:
        raise ValueError(
            f"previous and current must be maps of the same points, got {previous.shape} and {current.shape}"
        )
    n = len(previous)
    k = check_int(k, "k", minimum=1, maximum=n - 1)
    radius = np.sqrt(((previous - previous.mean(axis=0)) ** 2).sum(axis=1).mean())
    displacement = np.linalg.norm(current - previous, axis=1).mean() / radius if radius > 0 else 0.0
    rows = np.arange(n)
    before, after = (rows[:, None] * n + map_neighbours(cKDTree(points), rows, k) for points in (previous, current))
    # (point, neighbour) pairs as codes i·n + j; with k per point, the mean share kept is the share of pairs kept.
    return Stability(displacement=float(displacement), neighbours_kept=len(common_values(before, after)) / (n * k), k=k)
