"""2-D layouts of graphs: a spectral warm start, then forces (neighbour embedding or
Fruchterman–Reingold), and the packing of disconnected components.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse
import scipy.sparse.csgraph
import scipy.sparse.linalg

from .. import _core
from ._validation import as_float_matrix, check_all_finite, check_int
from .rsvd import randomized_svd

# Components up to this size get their eigenvectors from a dense solver, larger ones from ARPACK
# (spectral_layout) or, for the start of a force layout, from at most START_STEPS steps of LOBPCG
# (leading_eigenvectors) with SPECTRAL_EXTRA vectors beyond those wanted, stopped early once the
# residuals are below SPECTRAL_TOLERANCE. On 100 000 MLP activations (one component) 150 steps
# came within a cosine of 0.998 of ARPACK's eigenvectors in a fifth of its time, the start's
# random-triplet accuracy 0.673 as ARPACK's; 80 steps, 0.867 and 0.667; 40 steps, 0.303 and 0.580
# (and the final map's 0.600 against 0.672). Isotropic blobs, whose gaps are tiny, take every
# step; their maps came out the same.
DENSE_SPECTRAL_LIMIT = 500
SPECTRAL_EXTRA = 0
SPECTRAL_TOLERANCE = 1e-6
START_STEPS = 150


def as_csr_graph(graph, name: str = "graph") -> scipy.sparse.csr_matrix:
    """A square float64 CSR adjacency matrix with no self loops and sorted rows, from scipy sparse,
    dense or networkx. A float64 CSR matrix that is already so is used as it is, not copied; else
    the caller's graph is left untouched and a copy is fixed.

    Raises ValueError for a non-square, negative, non-finite or asymmetric graph. O(nnz log
    degree) time; the symmetry check builds no transpose.
    """
    if type(graph).__module__.partition(".")[0] == "networkx":  # networkx loads only for its own graphs
        import networkx

        graph = networkx.to_scipy_sparse_array(graph, weight="weight", format="csr")
    matrix = scipy.sparse.csr_matrix(graph, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty square adjacency matrix, got shape {matrix.shape}")
    if matrix.nnz and (not np.all(np.isfinite(matrix.data)) or matrix.data.min() < 0):
        raise ValueError(f"{name} weights must be finite and non-negative")
    if np.any(matrix.diagonal()) or not np.all(matrix.data) or not matrix.has_sorted_indices:
        matrix = matrix.copy()  # the fixes below work in place: on our own copy, not the caller's graph
        matrix.setdiag(0)
        matrix.eliminate_zeros()
        matrix.sort_indices()
    if _core.max_asymmetry(*csr_arrays(matrix)) > 1e-12 * (matrix.data.max() if matrix.nnz else 1):
        raise ValueError(f"{name} must be symmetric (undirected); symmetrise it, e.g. with G.maximum(G.T)")
    return matrix


def csr_arrays(W: scipy.sparse.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``W``'s (indptr int64, indices int32, data float64), as the C++ core reads them: the
    indices and data in place (scipy holds them so up to 2^31 edges), indptr converted (O(n)).
    """
    return W.indptr.astype(np.int64), W.indices.astype(np.int32, copy=False), W.data


def connected_components(W: scipy.sparse.csr_matrix) -> tuple[int, np.ndarray]:
    """The connected components of the symmetric ``W``: (count, one label per node). scipy's
    strongly-connected search, which on a symmetric graph finds the same components without the
    transposed copy its undirected search builds. O(n + nnz).
    """
    count, labels = scipy.sparse.csgraph.connected_components(W, directed=True, connection="strong")
    return count, labels


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
    return _spectral_layout(W, dim, seed, connected_components(W)[1])


def _spectral_layout(
    W: scipy.sparse.csr_matrix, dim: int, seed: int, labels: np.ndarray, max_steps: int | None = None
) -> np.ndarray:
    """:func:`spectral_layout` of a graph already checked by :func:`as_csr_graph`, with its
    connected-component ``labels``; with ``max_steps``, components above DENSE_SPECTRAL_LIMIT
    nodes take at most that many steps of :func:`leading_eigenvectors` instead of ARPACK.
    """
    positions = np.zeros((W.shape[0], dim))
    order = np.argsort(-np.bincount(labels), kind="stable")
    whole = len(order) == 1  # then W is read in place, not copied (0.3 GB at a million points)
    offset = 0.0
    for component in order:
        members = slice(None) if whole else np.flatnonzero(labels == component)
        coordinates = _component_embedding(W if whole else W[members][:, members], dim, seed, max_steps)
        coordinates -= coordinates.mean(axis=0)
        radius = np.sqrt((coordinates**2).sum(axis=1).mean())
        coordinates = coordinates / radius if radius > 0 else coordinates
        coordinates[:, 0] += offset + (1.0 if offset else 0.0)
        offset = coordinates[:, 0].max() + 1.0
        positions[members] = coordinates
    return positions


def _component_embedding(W: scipy.sparse.csr_matrix, dim: int, seed: int, max_steps: int | None) -> np.ndarray:
    m = W.shape[0]
    if m <= dim + 1:
        angles = 2 * np.pi * np.arange(m) / max(m, 1)
        circle = np.stack([np.cos(angles), np.sin(angles)] + [np.zeros(m)] * (dim - 2), axis=1)
        return circle[:, :dim] if m > 1 else np.zeros((1, dim))
    degree = np.asarray(W.sum(axis=1)).ravel()
    scale = 1.0 / np.sqrt(degree)
    if m > DENSE_SPECTRAL_LIMIT and max_steps is not None:
        return leading_eigenvectors(W, scale, dim, seed, max_steps) * scale[:, None]
    S = scipy.sparse.diags(scale) @ W @ scipy.sparse.diags(scale)
    # The top eigenvector of S (eigenvalue 1) is trivial; the next dim give the layout. Adding I
    # makes the spectrum non-negative, so "largest algebraic" is well posed for ARPACK.
    if m <= DENSE_SPECTRAL_LIMIT:
        values, vectors = np.linalg.eigh(S.toarray())
        vectors = vectors[:, ::-1][:, 1 : dim + 1]
    else:
        start = np.random.default_rng(seed).standard_normal(m)
        shifted = S + scipy.sparse.identity(m, format="csr")
        values, vectors = scipy.sparse.linalg.eigsh(shifted, k=dim + 1, which="LA", v0=start, tol=1e-6)
        vectors = vectors[:, np.argsort(-values)][:, 1 : dim + 1]
    return vectors * scale[:, None]


def leading_eigenvectors(
    W: scipy.sparse.csr_matrix, scale: np.ndarray, dim: int, seed: int, max_steps: int
) -> np.ndarray:
    """The ``dim`` leading eigenvectors of ``S = D^-1/2 W D^-1/2`` after the trivial one
    (``D^1/2 1``, eigenvalue 1) for a connected ``W``, with ``scale = D^-1/2``; (m, dim), unit
    columns, in decreasing order of eigenvalue.

    LOBPCG (Knyazev 2001; scipy's) on ``S`` applied as an operator (W is read, never copied or
    scaled), with ``dim + SPECTRAL_EXTRA`` seeded random start vectors kept orthogonal to the
    trivial eigenvector, until the residuals fall below ``SPECTRAL_TOLERANCE`` or after
    ``max_steps`` steps. Stopped early it returns the best approximation so far. Each step costs
    one sparse product with the block, O(nnz (dim + SPECTRAL_EXTRA)), and O(m (dim +
    SPECTRAL_EXTRA)²) for the Rayleigh–Ritz step; memory O(m (dim + SPECTRAL_EXTRA)).
    """
    m = W.shape[0]
    S = scipy.sparse.linalg.LinearOperator(
        (m, m),
        matvec=lambda x: scale * (W @ (scale * x.ravel())),
        matmat=lambda block: scale[:, None] * (W @ (scale[:, None] * block)),
        dtype=np.float64,
    )
    start = np.random.default_rng(seed).standard_normal((m, dim + SPECTRAL_EXTRA))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # stopping at max_steps short of the tolerance is intended
        values, vectors = scipy.sparse.linalg.lobpcg(
            S, start, Y=(1.0 / scale)[:, None], largest=True, tol=SPECTRAL_TOLERANCE, maxiter=max(max_steps, 1)
        )
    return vectors[:, np.argsort(-values)[:dim]]


METHODS = ("neighbor_embedding", "fruchterman_reingold")
# The neighbour embedding's defaults, chosen on the digits (bench/bench_maps.py; means over seeds
# 0-3 from their principal axes, share of each point's 15 nearest kept in the map): t-SNE's
# balance (repulsion 1) after a quarter of the epochs at early exaggeration 4 kept 0.590 in 400
# epochs with 5 samples per unit of degree, 0.591 with 6, 0.590 in 300 epochs with 10 and 0.587
# with 6, 0.586 in 500 with 4, 0.582 in 600 with 3; exaggeration 2 or 8 0.590 and 0.588 (8 lost
# triplet accuracy, 0.690 against 0.699); learning rate 0.15 or 0.35 0.588 and 0.584; dof 0.7
# and 0.5 0.575 and 0.557. UMAP's forces, the earlier default (repulsion 3, 200 epochs), kept
# 0.562.
REPULSION = 1.0
# Per method: default iterations up to MANY_POINTS points and beyond, and the settings that belong
# to it (and to it only). The neighbour embedding runs 200 epochs beyond 10 000 points (UMAP's rule,
# 500 and 200): on 30 000 blobs (50 dimensions, std 4) 200 epochs kept 0.102 of the neighbours
# and 400 kept 0.119 in about twice the time, and UMAP's forces, the earlier default, 0.103 in 200.
MANY_POINTS = 10_000
DEFAULT_ITERATIONS = {"neighbor_embedding": (400, 200), "fruchterman_reingold": (500, 500)}
METHOD_SETTINGS = {
    "neighbor_embedding": {
        "learning_rate": 0.25,
        "negative_samples": 5,
        "repulsion": REPULSION,
        "dof": 1.0,
        "early_exaggeration": 4.0,
    },
    "fruchterman_reingold": {"theta": 1.0, "gravity": 0.02},
}
# Settings that must be > 0 (the others >= 0).
POSITIVE_SETTINGS = {"learning_rate", "dof"}
# A fresh neighbour embedding starts from the spectral layout scaled to this half-width (UMAP's).
SPECTRAL_START_RADIUS = 10.0
# Space around each packed component, relative to its own larger side: 3 sets separate clusters
# about as far apart as UMAP does (10 000 blobs in 10 components: silhouette 0.89 against 0.55
# with 0.1 and 0.85 with 2; igraph's Fruchterman-Reingold: 0.84-0.88 from its random starts).
PACKING_MARGIN = 3.0


def default_iterations(method: str, n: int) -> int:
    """The iterations :func:`force_layout` runs by default with ``method`` on ``n`` points."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    few, many = DEFAULT_ITERATIONS[method]
    return few if n <= MANY_POINTS else many


def force_layout(
    graph,
    init=None,
    *,
    method: str = "neighbor_embedding",
    n_iter: int | None = None,
    seed: int = 0,
    points=None,
    **settings,
) -> np.ndarray:
    """2-D layout of an undirected weighted graph by forces, in the C++ core.

    Parameters
    ----------
    graph : scipy sparse, dense array or networkx Graph — symmetric, non-negative weights.
    init : (n, 2) array or None — the start; None starts from the principal axes of ``points``
        when they are given, else from :func:`spectral_layout`, and packs the connected
        components side by side afterwards (largest first, rows of similar height), so that no
        stray component crushes the picture. With ``init`` given, every point starts (and each
        component stays near) where ``init`` puts it: what a warm start across training
        snapshots needs.
    method : "neighbor_embedding" (default) or "fruchterman_reingold".
        "neighbor_embedding" — t-SNE's forces with the kernel q = (1 + d²/dof)^-dof (Cauchy at
        ``dof=1``): every epoch each edge pulls its ends together in proportion to its weight,
        and every point is pushed from the others of its component by q over the kernel's sum
        Z — exactly from its graph neighbours, from the rest through negative samples drawn at
        random (``negative_samples`` per node and epoch per unit of the mean weighted degree),
        which also estimate Z; ``repulsion`` scales the push (1: t-SNE's balance, below 1
        exaggerated like UMAP's), divided by ``early_exaggeration`` over the first quarter of
        the epochs; the step starts at ``learning_rate`` and decreases linearly. Kept
        neighbourhoods best on every benchmark (bench/bench_maps.py). Settings:
        ``learning_rate=0.25``, ``negative_samples=5``, ``repulsion=1.0``, ``dof=1.0``,
        ``early_exaggeration=4.0``.
        "fruchterman_reingold" — attraction ``w_ij d²`` along every edge, repulsion ``1/d``
        between all pairs (Barnes–Hut quadtree with opening angle ``theta``; ``theta=0``: exact
        O(n²)), a weak ``gravity`` towards the centre, linear cooling. Settings: ``theta=1.0``,
        ``gravity=0.02``.
    n_iter : int or None — epochs (iterations); None: for neighbour embedding 400 up to 10 000
        points and 200 beyond, for Fruchterman–Reingold 500 (:func:`default_iterations`).
    seed : int — the layout is deterministic for a given graph, init and seed, whatever the
        number of threads.
    points : (n, d) array or None — the points the graph joins, for the start when ``init`` is
        None: their principal axes keep the data's large-scale arrangement, which the spectral
        layout of the graph alone loses (digits: random-triplet accuracy 0.70 against 0.62,
        distance Spearman 0.53 against 0.34; bench/bench_maps.py).

    Returns float64 ``(n, 2)`` positions.
    Cost per iteration: neighbour embedding O(nnz + n · m · (1 + degree / 8)), m =
    ``negative_samples`` times the mean weighted degree (the samples per node);
    Fruchterman–Reingold O(n log n + nnz) (Barnes–Hut), O(n² + nnz) exact; both cores.
    The start from ``points``: O(n d) (``netscope.core.layout.pca_start``).
    """
    W = as_csr_graph(graph)
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    unknown = set(settings) - set(METHOD_SETTINGS[method])
    if unknown:
        owners = [m for m in METHODS if set(METHOD_SETTINGS[m]) & unknown]
        hint = (
            f"it belongs to method={owners[0]!r}" if owners else f"{method!r} takes {sorted(METHOD_SETTINGS[method])}"
        )
        raise ValueError(f"force_layout got {sorted(unknown)} for method={method!r}: {hint}")
    options = {**METHOD_SETTINGS[method], **settings}
    n_iter = default_iterations(method, W.shape[0]) if n_iter is None else check_int(n_iter, "n_iter", minimum=0)
    seed = check_int(seed, "seed", minimum=0)
    for name, value in options.items():
        if name == "negative_samples":
            options[name] = check_int(value, name, minimum=0)
        elif not (np.isfinite(value) and (value > 0 if name in POSITIVE_SETTINGS else value >= 0)):
            raise ValueError(f"{name} must be {'> 0' if name in POSITIVE_SETTINGS else '>= 0'}, got {value}")
    n = W.shape[0]
    n_components, components = connected_components(W)
    if init is None and points is not None:
        positions = pca_start(points, n, seed=seed)
        if method == "neighbor_embedding":
            positions *= SPECTRAL_START_RADIUS / max(np.abs(positions).max(), 1e-300)
    elif init is None:
        positions = _spectral_layout(W, 2, seed, components, START_STEPS)
        if method == "neighbor_embedding":
            positions *= SPECTRAL_START_RADIUS / max(np.abs(positions).max(), 1e-300)
    else:
        positions = np.array(init, dtype=np.float64, order="C", copy=True)
        if positions.shape != (n, 2):
            raise ValueError(f"init must have shape ({n}, 2), got {positions.shape}")
        if not np.all(np.isfinite(positions)):
            raise ValueError("init holds NaN or inf")
    indptr, indices, weights = csr_arrays(W)
    if method == "neighbor_embedding":
        _core.neighbor_embedding(
            indptr,
            indices,
            weights,
            components.astype(np.int64),
            n_components,
            positions,
            n_iter,
            float(options["learning_rate"]),
            options["negative_samples"],
            float(options["dof"]),
            float(options["repulsion"]),
            float(options["early_exaggeration"]),
            seed,
        )
    else:
        _core.force_layout(
            indptr, indices, weights, positions, n_iter, float(options["theta"]), float(options["gravity"]), seed
        )
    return pack_components(positions, components) if init is None and n_components > 1 else positions


def pca_start(points, n: int, *, seed: int = 0) -> np.ndarray:
    """The coordinates of ``points`` (n, d) on their first two principal axes (randomized SVD of
    the centred points, :func:`netscope.randomized_svd`), float64 (n, 2); with d = 1 the second
    column is 0. ``n`` is the graph's node count, checked against the rows. Cost O(n d).
    """
    X = as_float_matrix(points, "points")
    if X.shape[0] != n:
        raise ValueError(f"points must hold one row per graph node ({n}), got shape {X.shape}")
    check_all_finite(X, "points")
    centred = X - X.mean(axis=0)
    u, s, _ = randomized_svd(centred, min(2, X.shape[1]), seed=seed)
    start = np.zeros((n, 2))
    start[:, : len(s)] = u * s
    return start


def pack_components(positions: np.ndarray, components: np.ndarray) -> np.ndarray:
    """Each connected component's points moved rigidly into shelves: components sorted by size,
    placed left to right in rows about as wide as the whole picture is tall (the square root of
    the summed box areas). Each component's box is its bounding box (at least a tenth of the
    largest component's side, for lone points) with a margin of PACKING_MARGIN times its own
    larger side (at most the second-largest component's), so clusters stand apart as clearly as
    in UMAP's maps while a lone point, or the space around one big map, takes little room.
    Returns a new (n, 2) array. O(n log n).
    """
    n_components = int(components.max()) + 1
    low = np.full((n_components, 2), np.inf)
    high = np.full((n_components, 2), -np.inf)
    np.minimum.at(low, components, positions)
    np.maximum.at(high, components, positions)
    sizes = np.bincount(components, minlength=n_components)
    extent = high - low
    largest = extent[np.argmax(sizes)].max()
    extent = np.maximum(extent, 0.1 * largest if largest > 0 else 1.0)
    sides = extent.max(axis=1)
    # No margin outgrows the second-largest component: one big map among strays keeps the picture.
    cap = np.sort(sides)[-2] if n_components > 1 else sides[0]
    margin = PACKING_MARGIN * np.minimum(sides, cap)[:, None]
    box = extent + margin
    row_width = max(np.sqrt((box[:, 0] * box[:, 1]).sum()), box[:, 0].max())
    corner = np.zeros((n_components, 2))
    x = y = row_height = 0.0
    for c in np.argsort(-sizes, kind="stable"):
        if x > 0 and x + box[c, 0] > row_width:
            x, y, row_height = 0.0, y - row_height, 0.0
        corner[c] = (x, y - box[c, 1])
        x += box[c, 0]
        row_height = max(row_height, box[c, 1])
    return positions - low[components] + corner[components] + margin[components] / 2
