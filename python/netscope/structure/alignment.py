"""Aligning one 2-D map to another, so that points move only as much as the data makes them."""

from __future__ import annotations

import numpy as np


def procrustes_align(positions: np.ndarray, reference: np.ndarray, *, rows: int | None = None) -> np.ndarray:
    """``positions`` rotated (or reflected), scaled and shifted to best match ``reference``
    in the least-squares sense (orthogonal Procrustes). ``rows``: only the first ``rows``
    positions correspond to ``reference`` (default all); the transform fitted on them moves
    every row. O(n).
    """
    rows = len(positions) if rows is None else rows
    centre = positions[:rows].mean(axis=0)
    a = positions[:rows] - centre
    b = reference - reference.mean(axis=0)
    u, s, vt = np.linalg.svd(a.T @ b)
    rotation = u @ vt
    norm = (a**2).sum()
    scale = s.sum() / norm if norm > 0 else 1.0
    return scale * (positions - centre) @ rotation + reference.mean(axis=0)
