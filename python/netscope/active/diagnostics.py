"""What a fitted active subspace says and how settled it is: layer importance, the bootstrap, the
convergence in the number of samples, and the estimate followed along a stream. Each function
takes arrays and returns a typed result (:mod:`netscope.active.results`).
"""

from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from ..core._validation import check_int
from ..core.spectra import max_relative_error, subspace_sines
from .results import Bootstrap, Convergence, LayerImportance, LayerShare, LayerSpectra, LayerSpectrum, StreamConvergence
from .solvers import top_right_singular


def layer_importance(layout, eigenvectors: np.ndarray, k: int) -> LayerImportance:
    """How much of the first k columns of ``eigenvectors`` (D, ≥ k) lies on each layer of
    ``layout`` (a :class:`netscope.ParameterLayout`). O(D k), no (D, k) temporary.
    """
    W = eigenvectors[:, :k]
    shares: dict[str, float] = {}
    parameters: dict[str, int] = {}
    kinds: dict[str, dict[str, float]] = {}
    for layer, kind, offset, size in zip(layout.layers, layout.kinds, layout.offsets, layout.sizes):
        block = W[offset : offset + size]
        share = float(np.einsum("ij,ij->", block, block)) / k
        shares[layer] = shares.get(layer, 0.0) + share
        parameters[layer] = parameters.get(layer, 0) + int(size)
        kinds.setdefault(layer, {})
        kinds[layer][kind] = kinds[layer].get(kind, 0.0) + share
    layers = {}
    for layer, share in shares.items():
        fraction = parameters[layer] / layout.n_parameters
        layers[layer] = LayerShare(
            share=share,
            parameters=parameters[layer],
            parameter_fraction=fraction,
            enrichment=share / fraction,
            kinds=kinds[layer],
        )
    return LayerImportance(k=k, layers=layers)


def layer_spectra(G: np.ndarray, layout, eigenvectors: np.ndarray, k: int) -> LayerSpectra:
    """The top-k eigenvalues of each layer's diagonal block C_ll = (1/N) G_lᵀ G_l of C, from the
    rows of G (N, D) (G_l: the layer's columns), with each block's trace and the global leading
    eigenvectors' (D, ≥ k) weight on the layer. Cost: O(N D k) for the blocks' randomized block
    Krylov solves (exact where a layer's basis would span it), one (N, D_l) copy of a layer's
    columns at a time.
    """
    n = len(G)
    blocks = {}
    for layer, (start, stop) in layout.layer_slices().items():
        columns = np.ascontiguousarray(G[:, start:stop])
        trace = float(np.einsum("ij,ij->", columns, columns, dtype=np.float64)) / n
        blocks[layer] = (top_right_singular(columns, min(k, n, stop - start))[0], trace)
    return spectra_of_blocks(blocks, layout.layer_slices(), eigenvectors, k)


def spectra_of_blocks(blocks: dict, slices: dict, eigenvectors: np.ndarray, k: int) -> LayerSpectra:
    """:class:`LayerSpectra` from each layer's ``(top eigenvalues, trace)`` in ``blocks``, its
    coordinates ``slices[layer] = (start, stop)``, and the global leading ``eigenvectors`` (D,
    ≥ k), whose weight on each layer it measures. O(D k).
    """
    W = eigenvectors[:, :k]
    total = sum(trace for _, trace in blocks.values())
    layers = {}
    for layer, (values, trace) in blocks.items():
        start, stop = slices[layer]
        restricted = W[start:stop]
        layers[layer] = LayerSpectrum(
            eigenvalues=np.maximum(np.asarray(values, dtype=np.float64), 0.0),
            trace=trace,
            trace_share=trace / total if total > 0 else 0.0,
            parameters=stop - start,
            global_share=np.einsum("ij,ij->j", restricted, restricted),
        )
    return LayerSpectra(k=k, layers=layers)


def bootstrap_replicate(G: np.ndarray, counts: np.ndarray, k: int, seed: int = 0):
    """Top-k eigenpairs of (1/N) Σ_j c_j g_j g_jᵀ, the estimate from G's rows drawn ``counts``
    times each (N = Σ c_j). A row drawn c times enters once, scaled by √c:
    Σ_j c_j g_j g_jᵀ = Σ_j (√c_j g_j)(√c_j g_j)ᵀ, so no row is copied c times. O(N D k).
    """
    chosen = np.flatnonzero(counts)
    rows = G[chosen]
    rows *= np.sqrt(counts[chosen].astype(rows.dtype))[:, None]
    values, vectors = top_right_singular(rows, k, seed=seed)
    return values * len(rows) / counts.sum(), vectors


def bootstrap(
    G: np.ndarray, eigenvalues: np.ndarray, *, n_boot: int, k: int, confidence: float, seed: int, progress: bool
) -> Bootstrap:
    """Bootstrap intervals for the eigenvalues and the subspace distance (Constantine & Gleich 2014).

    Resample the N rows of G with replacement ``n_boot`` times; for each replicate compute the
    top-k eigenpairs (:func:`bootstrap_replicate`) and, for every dimension r = 1..k, sin θ_max
    between the replicate's top-r subspace and that of the same computation on G itself (the
    reference, so that a fit by another method, a sketch, is not mistaken for sampling error).
    The eigenvalue intervals are basic (reverse-percentile) intervals around the reference,
    2 θ̂ − q_high .. 2 θ̂ − q_low (floored at 0): a resample's top eigenvalues sit above the
    sample's by about as much as the sample's sit above the truth, which the plain percentile
    interval adds instead of removing (with N ≪ D it then misses the truth every time;
    ``tests/test_active.py`` measures both). ``eigenvalues`` (the fit's) are reported beside
    them. Cost: O((n_boot + 1) N D k).
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    rng = np.random.default_rng(seed)
    n = len(G)
    values = np.empty((n_boot, k))
    distances = np.empty((n_boot, k))
    center, reference = bootstrap_replicate(G, np.ones(n, dtype=np.int64), k, seed=n_boot)
    for b in tqdm(range(n_boot), desc="bootstrap", unit="replicate", disable=not progress):
        values[b], vectors = bootstrap_replicate(G, rng.multinomial(n, np.full(n, 1.0 / n)), k, seed=b)
        distances[b] = subspace_sines(reference, vectors)
    tail = 100 * (1 - confidence) / 2
    return Bootstrap(
        eigenvalues=eigenvalues[:k].copy(),
        eigenvalues_low=np.maximum(2 * center - np.percentile(values, 100 - tail, axis=0), 0.0),
        eigenvalues_high=2 * center - np.percentile(values, tail, axis=0),
        distance_mean=distances.mean(axis=0),
        distance_low=np.percentile(distances, tail, axis=0),
        distance_high=np.percentile(distances, 100 - tail, axis=0),
        n_boot=n_boot,
        confidence=confidence,
    )


def bootstrap_projections(
    Z: np.ndarray, *, n_boot: int, k: int, confidence: float, seed: int, progress: bool
) -> Bootstrap:
    """:func:`bootstrap` without the gradients, from each sample's coordinates Z = G Ŵ (N × K) in
    the K fitted directions (Fisher et al. 2016 bootstrap PCA in the span of the sample): each
    replicate's C* restricted to span(Ŵ), whose eigenpairs are its Rayleigh–Ritz pairs there; the
    ``eigenvalues`` reported are those of the sample C there. Variation out of span(Ŵ) is not
    seen, so ask for K well above k (the study's 50 for k = 10). O(n_boot N K k).
    """
    values = np.linalg.eigvalsh(Z.T @ Z / len(Z))[::-1]
    return bootstrap(
        Z, np.maximum(values, 0.0), n_boot=n_boot, k=k, confidence=confidence, seed=seed, progress=progress
    )


def fitted_layer_spectra(gradients, blocks, layout, eigenvectors: np.ndarray, k: int) -> LayerSpectra:
    """:func:`layer_spectra` of a fit: from its kept ``gradients`` (O(N D k)), or else from the
    ``blocks`` it accumulated along the stream (a :class:`netscope.active.layer_blocks.LayerBlocks`:
    exact for the small layers, the 30-column sketch's estimate for the large ones; O(D_l³) per
    small layer, O(900 D_l) per large one). ValueError naming what the fit should have kept.
    """
    if gradients is None and blocks is not None:
        return blocks.spectra(eigenvectors, k)
    if gradients is None:
        raise ValueError(
            "layer_spectra needs the gradients (keep_gradients=True) or the layers' blocks "
            "(keep_gradients=False, layer_blocks=True)"
        )
    if layout is None:
        raise ValueError("layer_spectra needs a parameter layout: fit() a model, or pass layout= to fit_gradients()")
    return layer_spectra(gradients, layout, eigenvectors, k)


def fitted_bootstrap(gradients, projections, eigenvalues: np.ndarray, **options) -> Bootstrap:
    """:func:`bootstrap` of a fit: from its kept ``gradients``, or else from its replayed
    ``projections`` (:func:`bootstrap_projections`). ValueError naming what the fit should have
    kept. ``options``: those of :func:`bootstrap`.
    """
    if gradients is None and projections is not None:
        return bootstrap_projections(projections, **options)
    if gradients is None:
        raise ValueError(
            "bootstrap needs the gradients (keep_gradients=True) or their replayed projections "
            "(keep_gradients=False, keep_projections=True)"
        )
    return bootstrap(gradients, eigenvalues, **options)


def convergence(G: np.ndarray, eigenvalues: np.ndarray, eigenvectors: np.ndarray, *, sizes, k: int) -> Convergence:
    """The top-k estimate from the first n rows of G against the fitted one, for each n in
    ``sizes`` (default: a geometric grid from 2k to N). Cost: O(Σ n D k).
    """
    n = len(G)
    if sizes is None:
        sizes = np.unique(np.geomspace(min(2 * k, n), n, num=12).astype(int))
    sizes = [check_int(int(size), "sizes", minimum=k, maximum=n) for size in sizes]
    distance, error = [], []
    for size in sizes:
        values, vectors = top_right_singular(G[:size], k)
        distance.append(float(subspace_sines(eigenvectors[:, :k], vectors)[-1]))
        error.append(max_relative_error(values, eigenvalues[:k]))
    return Convergence(sizes=sizes, distance=distance, eigenvalue_error=error, k=k, n_parameters=G.shape[1])


class StreamMonitor:
    """The top-k eigenpairs of a streaming fit's estimate at chosen sample counts: how the
    estimate settles as samples arrive, without keeping the gradients. Each record costs one
    top-k solve of the state (sketch: O(D s²); Gram: O(D² k)) and keeps one (D, k) array.
    """

    def __init__(self, sizes, k: int, solve):
        self.pending = sorted({check_int(int(size), "stream_sizes", minimum=1) for size in sizes})
        self.k, self.solve = k, solve
        self.sizes: list[int] = []
        self.eigenvalues: list[np.ndarray] = []
        self.distance_to_previous: list[float | None] = []
        self.previous = None

    def after_chunk(self, count: int) -> None:
        """Record the estimate if ``count`` reached the next size (records fall on chunk ends)."""
        if self.pending and count >= self.pending[0]:
            self.pending = [size for size in self.pending if size > count]
            self.record(count, *self.solve(self.k))

    def record(self, count: int, values, vectors) -> None:
        """Record the top-k eigenpairs of the estimate after ``count`` samples."""
        vectors = np.asarray(vectors)[:, : self.k]  # as given: a float32 sketch's stay float32
        self.distance_to_previous.append(
            None if self.previous is None else float(subspace_sines(self.previous, vectors)[-1])
        )
        self.sizes.append(int(count))
        self.eigenvalues.append(np.asarray(values, dtype=np.float64)[: self.k].tolist())
        self.previous = vectors

    def result(self, values, vectors, count: int, n_parameters: int) -> StreamConvergence:
        """Close with the final estimate; the relative eigenvalue errors are against it."""
        if not self.sizes or self.sizes[-1] != count:
            self.record(count, values, vectors)
        final = self.eigenvalues[-1]
        return StreamConvergence(
            sizes=self.sizes,
            eigenvalues=self.eigenvalues,
            eigenvalue_error=[max_relative_error(row, final) for row in self.eigenvalues],
            distance_to_previous=self.distance_to_previous,
            k=self.k,
            n_parameters=n_parameters,
        )
