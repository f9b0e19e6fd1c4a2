"""What a fitted active subspace says and how settled it is: layer importance, the bootstrap, the
convergence in the number of samples, and the estimate followed along a stream. Each function
takes arrays and returns a typed result (:mod:`netscope.active.results`).
"""

from __future__ import annotations

import dataclasses
import statistics

import numpy as np
from tqdm.auto import tqdm

from ..core._validation import check_int
from ..core.spectra import max_relative_error, subspace_sines
from .decompositions import top_right_singular
from .results import Bootstrap, Convergence, LayerImportance, LayerShare, LayerSpectra, LayerSpectrum, StreamConvergence

# A bootstrap replicate of rows this narrow (a fitted span's projections) is diagonalised exactly.
EXACT_REPLICATE_COLUMNS = 512


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
    Σ_j c_j g_j g_jᵀ = Σ_j (√c_j g_j)(√c_j g_j)ᵀ, so no row is copied c times. With at most
    :data:`EXACT_REPLICATE_COLUMNS` columns (projections on a fitted span) the weighted Gram
    is formed and diagonalised exactly, O(N K² + K³); wider rows take a top-k randomized solve,
    O(N D k).
    """
    chosen = np.flatnonzero(counts)
    rows = G[chosen]
    rows *= np.sqrt(counts[chosen].astype(rows.dtype))[:, None]
    if rows.shape[1] <= EXACT_REPLICATE_COLUMNS:
        rows = rows.astype(np.float64, copy=False)
        values, vectors = np.linalg.eigh(rows.T @ rows / counts.sum())
        return np.maximum(values[::-1][:k], 0.0), vectors[:, ::-1][:, :k]
    values, vectors = top_right_singular(rows, k, seed=seed)
    return values * len(rows) / counts.sum(), vectors


def basic_bootstrap(
    rows: np.ndarray, eigenvalues: np.ndarray, *, n_boot: int, k: int, confidence: float, seed: int, progress: bool
) -> Bootstrap:
    """Basic bootstrap intervals of the top-k eigenvalues of (1/N) Σ r rᵀ over ``rows`` (N, K),
    and the replicates' subspace distances (Constantine & Gleich 2014).

    Resample the N rows with replacement ``n_boot`` times; for each replicate compute the top-k
    eigenpairs (:func:`bootstrap_replicate`) and, for every dimension r = 1..k, sin θ_max between
    the replicate's top-r subspace and that of the same computation on all the rows (the
    reference, so that a fit by another method, a sketch, is not mistaken for sampling error).
    The eigenvalue intervals are basic (reverse-percentile) intervals around the reference,
    2 θ̂ − q_high .. 2 θ̂ − q_low (floored at 0); ``eigenvalues`` are reported beside them. The
    bootstrap cannot see the upward bias of a sample's top eigenvalues when N is not ≫ K (it
    is the resample's own bias that it measures): :func:`heldout_intervals` is the interval that
    holds its coverage there. Cost: O((n_boot + 1) N K k).
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    rng = np.random.default_rng(seed)
    n = len(rows)
    values = np.empty((n_boot, k))
    distances = np.empty((n_boot, k))
    center, reference = bootstrap_replicate(rows, np.ones(n, dtype=np.int64), k, seed=n_boot)
    for b in tqdm(range(n_boot), desc="bootstrap", unit="replicate", disable=not progress):
        values[b], vectors = bootstrap_replicate(rows, rng.multinomial(n, np.full(n, 1.0 / n)), k, seed=b)
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
        method="basic bootstrap",
    )


def heldout_intervals(G: np.ndarray, k: int, *, confidence: float, seed: int):
    """Bias-corrected estimates of the population eigenvalues λ_1..λ_k of C = E[g gᵀ], and
    intervals for them, from the rows of G (N, D): ``(corrected, low, high)``, arrays (k,).

    Why not the sample's eigenvalues: λ_i(Ĉ) is biased upward whenever N is not ≫ D (λ_1 is a
    convex function of Ĉ, so E λ_1(Ĉ) ≥ λ_1(C)). For a spike ℓ over a flat bulk σ² it tends to
    ℓ (1 + (D/N) σ² / (ℓ − σ²)) (Baik, Ben Arous & Péché 2005; Paul 2007), and for a flat
    spectrum to σ² (1 + √(D/N))², which is 17σ² at N = 100, D = 1 000 and still 1.34σ² at
    N = 1 000, D = 40. The bootstrap reproduces the resample's bias, not the sample's
    (Beran & Srivastava 1985: it fails outright for tied eigenvalues), so its intervals miss.

    What is unbiased is a held-out Rayleigh quotient. Split the samples at random into halves
    A and B; a direction v computed from A alone is independent of B, so the mean of (vᵀg)² over
    g in B is an unbiased estimate of vᵀCv, and vᵀCv ≤ λ_1 (for the i-th direction it is λ_i
    less what v misses of the i-th eigenvector). For a flat spectrum any direction gives λ_i
    exactly; for a spike the loss is (ℓ − bulk) sin²θ, which falls like 1/m in the number m of
    samples the direction came from (the same first-order expansion, Lawley 1956, that makes the
    in-sample bias fall like 1/N). So each half's i-th direction from all of the other half
    (m = N/2) and from half of it (m = N/4) give ρ(N/2) and ρ(N/4) on the same held-out rows,
    and the Richardson extrapolation 2 ρ(N/2) − ρ(N/4) removes the 1/m term (the split-sample
    idea of Lam 2016's NERCOME, extrapolated in m as in the m-out-of-n schemes of Hall et al.
    2009). Both halves take each role once and the two estimates are averaged: ``corrected``.

    The interval is normal, ± z · s, with s² the larger of two variance estimates: each half's
    held-out terms are independent given the other half (their variance / (N/2), divided by 4
    for the average), and the two halves' estimates differ by their directions' luck too
    ((difference / 2)², which carries that part). ``tests/test_intervals.py`` measures the
    coverage on simulated spiked and flat spectra, N ≪ D and N ≫ D: within 5 points of nominal
    but for spikes with N ≪ D (80–87 % at 90 % for spikes 2x apart, N = 100, D = 1 000: from
    N/4 samples neighbouring spikes sometimes swap places, and the estimate of one is then the
    other's), and not for spikes close to the detection threshold σ²(1 + √(4D/N)) when N ≪ D,
    whose directions N/4 samples do not find.

    Cost: four top-k solves of N/2 or N/4 rows, O(N D k), and one (N/2, D) copy at a time.
    ValueError when N < 4k (a quarter of the samples must hold k directions).
    """
    n = len(G)
    k = check_int(k, "k", minimum=1, maximum=G.shape[1])
    if n < 4 * k:
        raise ValueError(f"held-out intervals of the top {k} eigenvalues need N >= 4k = {4 * k} samples, got N = {n}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    order = np.random.default_rng(seed).permutation(n)
    halves = (order[: n // 2], order[n // 2 :])  # in random order: a half's first half is a random quarter
    estimates, variances = [], []
    for train, test in (halves, halves[::-1]):
        held = G[np.sort(test)]
        terms = []
        for rows in (train, train[: len(train) // 2]):
            vectors = top_right_singular(G[np.sort(rows)], k, seed=seed)[1]
            terms.append(np.square(held @ vectors.astype(held.dtype), dtype=np.float64))
        extrapolated = 2 * terms[0] - terms[1]
        estimates.append(extrapolated.mean(axis=0))
        variances.append(extrapolated.var(axis=0, ddof=1) / len(held))
    corrected = (estimates[0] + estimates[1]) / 2
    spread = np.sqrt(np.maximum((variances[0] + variances[1]) / 4, (estimates[0] - estimates[1]) ** 2 / 4))
    z = statistics.NormalDist().inv_cdf(0.5 + confidence / 2)
    return corrected, np.maximum(corrected - z * spread, 0.0), corrected + z * spread


def bootstrap(
    G: np.ndarray,
    eigenvalues: np.ndarray,
    eigenvectors: np.ndarray,
    *,
    n_boot: int,
    k: int,
    confidence: float,
    seed: int,
    progress: bool,
) -> Bootstrap:
    """Intervals of a fit that kept its gradients G (N, D): the bias-corrected eigenvalues and
    their held-out intervals (:func:`heldout_intervals`, O(N D k)), beside the fitted
    ``eigenvalues``, and the bootstrap's subspace distances, resampled in the span of the K
    fitted ``eigenvectors`` (D, K): Z = G Ŵ is computed once (O(N D K)) and every replicate
    works on Z alone (O(N K k)), never on D-sized data (:func:`bootstrap_projections`).
    """
    projected = bootstrap_projections(
        G @ eigenvectors.astype(G.dtype), n_boot=n_boot, k=k, confidence=confidence, seed=seed, progress=progress
    )
    corrected, low, high = heldout_intervals(G, k, confidence=confidence, seed=seed)
    return dataclasses.replace(
        projected,
        eigenvalues=eigenvalues[:k].copy(),
        eigenvalues_corrected=corrected,
        eigenvalues_low=low,
        eigenvalues_high=high,
        method="held-out",
    )


def bootstrap_projections(
    Z: np.ndarray, *, n_boot: int, k: int, confidence: float, seed: int, progress: bool
) -> Bootstrap:
    """:func:`basic_bootstrap` without the gradients, from each sample's coordinates Z = G Ŵ
    (N × K) in the K fitted directions (Fisher et al. 2016 bootstrap PCA in the span of the
    sample): each replicate's C* restricted to span(Ŵ), whose eigenpairs are its Rayleigh–Ritz
    pairs there; the ``eigenvalues`` reported are those of the sample C there. Variation out of
    span(Ŵ) is not seen, so ask for K well above k (the study's 50 for k = 10). Span(Ŵ) came from
    every sample, so no sample is held out of it: its eigenvalue intervals are the basic
    bootstrap's, right only where N ≫ K. O(n_boot N K k).
    """
    Z = np.asarray(Z, dtype=np.float64)
    values = np.linalg.eigvalsh(Z.T @ Z / len(Z))[::-1]
    return dataclasses.replace(
        basic_bootstrap(
            Z, np.maximum(values, 0.0), n_boot=n_boot, k=k, confidence=confidence, seed=seed, progress=progress
        ),
        method="basic bootstrap in the fitted span",
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


def fitted_bootstrap(gradients, projections, eigenvalues: np.ndarray, eigenvectors: np.ndarray, **options) -> Bootstrap:
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
    return bootstrap(gradients, eigenvalues, eigenvectors, **options)


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
