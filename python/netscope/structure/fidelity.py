"""How faithful a map is to the data it draws, and how steady it stays from one snapshot to the next.

- :func:`fidelity`: trustworthiness (Venna & Kaski 2001: are the map's neighbours true
  neighbours?), continuity (are the true neighbours kept in the map?) and kNN preservation (the
  share of each point's k nearest in the data that are among its k nearest in the map).
- :func:`stability`: between consecutive (aligned) maps, the mean displacement relative to the
  map's spread, and the share of each point's k map neighbours that it keeps.

The exact measures need every pairwise rank, O(n²). Beyond ``max_queries`` points they are
averaged over that many random query points (ranks still against all n), and the result carries
the standard error of that mean.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._result import Result
from ..core._validation import check_int

# Query points per block of the rank computation: a block holds 2 × QUERY_BLOCK × n ranks.
QUERY_BLOCK = 128


@dataclasses.dataclass(frozen=True)
class Fidelity(Result):
    """Trustworthiness and continuity (1 = perfect, about 0.5 for a random map) and kNN
    preservation (0..1) at ``k`` neighbours, averaged over ``n_queries`` query points;
    ``standard_error`` bounds the three means (0 when every point was a query)."""

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
    neighbours a point keeps."""

    displacement: float
    neighbours_kept: float
    k: int


def _ranks_and_neighbours(points: np.ndarray, queries: np.ndarray, k: int):
    """For each query: the rank of every point by distance (self 0) and its k nearest (self
    excluded). O(len(queries) · n log n)."""
    squared = (points**2).sum(axis=1)
    distances = squared[queries, None] + squared[None, :] - 2 * points[queries] @ points.T
    distances[np.arange(len(queries)), queries] = -np.inf  # self first, whatever rounding says
    order = np.argsort(distances, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(points.shape[0])[None, :], axis=1)
    return ranks, order[:, 1:k + 1]


def _penalty(ranks: np.ndarray, intruders: np.ndarray, k: int) -> np.ndarray:
    """Σ over each row's intruders (a boolean mask) of (rank − k)."""
    return np.where(intruders, ranks - k, 0).sum(axis=1)


def fidelity(X, Y, k: int = 15, *, max_queries: int = 2000, seed: int = 0) -> Fidelity:
    """Trustworthiness, continuity and kNN preservation of the map ``Y`` (n, 2) of the data ``X``
    (n, d) at ``k`` neighbours. Cost: O(q n (d + log n)) time for q = min(n, max_queries) query
    points, O(QUERY_BLOCK · n) memory."""
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    if X.ndim != 2 or Y.ndim != 2 or len(X) != len(Y):
        raise ValueError(f"X and Y must be 2-D with one row per point, got shapes {X.shape} and {Y.shape}")
    n = len(X)
    k = check_int(k, "k", minimum=1, maximum=max(1, (2 * n - 4) // 3))  # the normaliser needs 2n - 3k - 1 > 0
    max_queries = check_int(max_queries, "max_queries", minimum=1)
    queries = np.arange(n) if n <= max_queries else np.sort(np.random.default_rng(seed).choice(n, max_queries, replace=False))
    scale = 2.0 / (k * (2 * n - 3 * k - 1))
    trust, cont, kept = [], [], []
    for start in range(0, len(queries), QUERY_BLOCK):
        block = queries[start:start + QUERY_BLOCK]
        ranks_x, near_x = _ranks_and_neighbours(X, block, k)
        ranks_y, near_y = _ranks_and_neighbours(Y, block, k)
        in_x = np.zeros((len(block), n), dtype=bool)
        in_y = np.zeros((len(block), n), dtype=bool)
        np.put_along_axis(in_x, near_x, True, axis=1)
        np.put_along_axis(in_y, near_y, True, axis=1)
        trust.append(1 - scale * _penalty(ranks_x, in_y & ~in_x, k))
        cont.append(1 - scale * _penalty(ranks_y, in_x & ~in_y, k))
        kept.append((in_x & in_y).sum(axis=1) / k)
    # T = 1 − 2/(n k (2n − 3k − 1)) Σ_i Σ_j (r_ij − k) is the mean over i of the per-query terms.
    trust, cont, kept = (np.concatenate(parts) for parts in (trust, cont, kept))
    error = 0.0 if len(queries) == n else float(max(np.std(values) for values in (trust, cont, kept)) / np.sqrt(len(queries)))
    return Fidelity(trustworthiness=float(trust.mean()), continuity=float(cont.mean()),
                    knn_preservation=float(kept.mean()), k=k, n_queries=len(queries), standard_error=error)


def stability(previous, current, k: int = 15) -> Stability:
    """How far the aligned map ``current`` (n, 2) moved from ``previous`` (n, 2), and the share of
    each point's k map neighbours kept. O(n² ) time in blocks, O(QUERY_BLOCK · n) memory."""
    previous = np.asarray(previous, dtype=np.float64)
    current = np.asarray(current, dtype=np.float64)
    if previous.shape != current.shape or previous.ndim != 2:
        raise ValueError(f"previous and current must be maps of the same points, got {previous.shape} and {current.shape}")
    n = len(previous)
    k = check_int(k, "k", minimum=1, maximum=n - 1)
    radius = np.sqrt(((previous - previous.mean(axis=0)) ** 2).sum(axis=1).mean())
    displacement = np.linalg.norm(current - previous, axis=1).mean() / radius if radius > 0 else 0.0
    kept = []
    for start in range(0, n, QUERY_BLOCK):
        block = np.arange(start, min(start + QUERY_BLOCK, n))
        _, before = _ranks_and_neighbours(previous, block, k)
        _, after = _ranks_and_neighbours(current, block, k)
        kept.extend(len(np.intersect1d(a, b)) / k for a, b in zip(before, after))
    return Stability(displacement=float(displacement), neighbours_kept=float(np.mean(kept)), k=k)
