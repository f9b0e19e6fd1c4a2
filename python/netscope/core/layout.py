"""2-D layouts of graphs: a spectral warm start, then a Fruchterman–Reingold force layout."""

from __future__ import annotations

import numpy as np
import scipy.sparse
import scipy.sparse.csgraph
import scipy.sparse.linalg

from .. import _core
from ._validation import check_int

# Components up to this size get their eigenvectors from a dense solver, larger ones from ARPACK.
DENSE_SPECTRAL_LIMIT = 500


def as_csr_graph(graph, name: str = "graph") -> scipy.sparse.csr_matrix:
    """A square float64 CSR adjacency matrix with no self loops, from scipy sparse, dense or networkx.

    Raises ValueError for a non-square, negative, non-finite or asymmetric graph.
    """
    if type(graph).__module__.partition(".")[0] == "networkx":  # networkx loads only for its own graphs
        import networkx

        graph = networkx.to_scipy_sparse_array(graph, weight="weight", format="csr")
    matrix = scipy.sparse.csr_matrix(graph, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty square adjacency matrix, got shape {matrix.shape}")
    matrix.setdiag(0)
    matrix.eliminate_zeros()
    if matrix.nnz and (not np.all(np.isfinite(matrix.data)) or matrix.data.min() < 0):
        raise ValueError(f"{name} weights must be finite and non-negative")
    if abs(matrix - matrix.T).max() > 1e-12 * (abs(matrix).max() if matrix.nnz else 1):
        raise ValueError(f"{name} must be symmetric (undirected); symmetrise it, e.g. with G.maximum(G.T)")
    matrix.sort_indices()
    return matrix


def spectral_layout(graph, dim: int = 2, *, seed: int = 0) -> np.ndarray:
    """Laplacian-eigenmap coordinates: the ``dim`` smallest non-trivial eigenvectors of the
    normalised graph Laplacian ``I - D^-1/2 W D^-1/2`` (mapped back by ``D^-1/2``).

    Each connected component is embedded on its own (isolated nodes and tiny components on a
    circle), scaled to unit RMS radius, and the components are placed side by side, largest
    first. Returns float64 ``(n, dim)``. Cost per component of m nodes: O(m³) up to 500 nodes,
    else ARPACK on the sparse matrix, about O(iterations · nnz · dim).
    """
    W = as_csr_graph(graph)
    dim = check_int(dim, "dim", minimum=1)
    n = W.shape[0]
    n_components, labels = scipy.sparse.csgraph.connected_components(W, directed=False)
    positions = np.zeros((n, dim))
    order = np.argsort(-np.bincount(labels), kind="stable")
    offset = 0.0
    for component in order:
        members = np.flatnonzero(labels == component)
        coordinates = _component_embedding(W[members][:, members], dim, seed)
        coordinates -= coordinates.mean(axis=0)
        radius = np.sqrt((coordinates**2).sum(axis=1).mean())
        coordinates = coordinates / radius if radius > 0 else coordinates
        coordinates[:, 0] += offset + (1.0 if offset else 0.0)
        offset = coordinates[:, 0].max() + 1.0
        positions[members] = coordinates
    return positions


def _component_embedding(W: scipy.sparse.csr_matrix, dim: int, seed: int) -> np.ndarray:
    m = W.shape[0]
    if m <= dim + 1:
        angles = 2 * np.pi * np.arange(m) / max(m, 1)
        circle = np.stack([np.cos(angles), np.sin(angles)] + [np.zeros(m)] * (dim - 2), axis=1)
        return circle[:, :dim] if m > 1 else np.zeros((1, dim))
    degree = np.asarray(W.sum(axis=1)).ravel()
    scale = 1.0 / np.sqrt(degree)
    S = scipy.sparse.diags(scale) @ W @ scipy.sparse.diags(scale)
    # The top eigenvector of S (eigenvalue 1) is trivial; the next dim give the layout. Adding I
    # makes the spectrum non-negative, so "largest algebraic" is well posed for ARPACK.
    if m <= DENSE_SPECTRAL_LIMIT:
        values, vectors = np.linalg.eigh(S.toarray())
        vectors = vectors[:, ::-1][:, 1:dim + 1]
    else:
        start = np.random.default_rng(seed).standard_normal(m)
        shifted = S + scipy.sparse.identity(m, format="csr")
        values, vectors = scipy.sparse.linalg.eigsh(shifted, k=dim + 1, which="LA", v0=start, tol=1e-6)
        vectors = vectors[:, np.argsort(-values)][:, 1:dim + 1]
    return vectors * scale[:, None]


def force_layout(graph, init=None, *, n_iter: int = 500, theta: float = 1.0, gravity: float = 0.02,
                 seed: int = 0) -> np.ndarray:
    """Fruchterman–Reingold layout of an undirected weighted graph, in the C++ core.

    Attraction ``w_ij d²`` along every edge, repulsion ``1/d`` between all pairs (Barnes–Hut
    quadtree with opening angle ``theta``; ``theta=0`` computes it exactly in O(n²)), a weak
    ``gravity`` towards the centre, and a linear cooling schedule over ``n_iter`` iterations.
    ``init`` (n, 2) is the start; None starts from :func:`spectral_layout` (the seed's "spectral
    warm start, then force-directed"). Deterministic for a given graph, init and seed.

    Returns float64 ``(n, 2)`` positions in units of the ideal edge length.
    Cost per iteration: O(n log n + nnz) with Barnes–Hut, O(n² + nnz) exact, on both cores.
    """
    W = as_csr_graph(graph)
    n_iter = check_int(n_iter, "n_iter", minimum=0)
    seed = check_int(seed, "seed", minimum=0)
    if not (np.isfinite(theta) and theta >= 0):
        raise ValueError(f"theta must be >= 0 (0: exact repulsion), got {theta}")
    if not (np.isfinite(gravity) and gravity >= 0):
        raise ValueError(f"gravity must be >= 0, got {gravity}")
    n = W.shape[0]
    if init is None:
        positions = spectral_layout(W, 2, seed=seed)
    else:
        positions = np.array(init, dtype=np.float64, order="C", copy=True)
        if positions.shape != (n, 2):
            raise ValueError(f"init must have shape ({n}, 2), got {positions.shape}")
        if not np.all(np.isfinite(positions)):
            raise ValueError("init holds NaN or inf")
    _core.force_layout(W.indptr.astype(np.int64), W.indices.astype(np.int64), W.data, positions,
                       n_iter, float(theta), float(gravity), seed)
    return positions
