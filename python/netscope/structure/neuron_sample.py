"""Neuron × sample graphs: samples joined to the neurons they activate most, and their maps."""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.sparse

from .._result import Result
from ..core._validation import check_int
from ..core.layout import force_layout
from .alignment import procrustes_align


def neuron_sample_graph(activations: np.ndarray, *, top: int = 3):
    """Bipartite graph of samples and the neurons each activates most.

    Nodes 0..n-1 are the samples, n..n+m-1 the m neurons; sample i is joined to its ``top``
    most active neurons, with weight = activation / (the sample's largest activation). No
    sample-sample or neuron-neuron edges. Returns a symmetric CSR (n + m, n + m). O(n m).
    """
    activations = np.asarray(activations, dtype=np.float64)
    if activations.ndim != 2:
        raise ValueError(f"activations must be 2-D (samples, neurons), got shape {activations.shape}")
    n, m = activations.shape
    top = check_int(top, "top", minimum=1, maximum=m)
    chosen = np.argpartition(-activations, top - 1, axis=1)[:, :top]
    values = np.take_along_axis(activations, chosen, axis=1)
    shifted = values - activations.min()
    weights = shifted / np.maximum(shifted.max(axis=1, keepdims=True), 1e-12)
    weights = np.maximum(weights, 1e-3)  # every chosen link is kept, however weak
    rows = np.repeat(np.arange(n), top)
    graph = scipy.sparse.csr_matrix((weights.ravel(), (rows, n + chosen.ravel())), shape=(n + m, n + m))
    return (graph + graph.T).tocsr()


@dataclasses.dataclass(frozen=True)
class NeuronSampleMap(Result):
    """A laid-out neuron × sample graph: ``samples`` (s,) probe indices drawn, ``neurons`` (m',)
    the layer's neurons that some drawn sample ranks among its ``top``, ``positions``
    (s + m', 2) float64 (the samples first, in the order of ``samples``, then the neurons),
    ``edges`` (e, 2) int64 rows of ``positions`` joined, and ``width`` (m), the layer's number
    of neurons.
    """

    samples: np.ndarray
    neurons: np.ndarray
    positions: np.ndarray
    edges: np.ndarray
    top: int
    width: int


def neuron_sample_map(
    activations: np.ndarray,
    *,
    top: int = 3,
    max_samples: int = 500,
    seed: int = 0,
    align_to: NeuronSampleMap | None = None,
) -> NeuronSampleMap:
    """Lay out :func:`neuron_sample_graph` of at most ``max_samples`` samples (a seeded random
    subset, the same for every call with the same n and seed), leaving out the neurons no drawn
    sample chose. ``align_to``: a map of the same samples (e.g. the previous snapshot's) that this
    one is rotated, scaled and shifted to match on the sample nodes. O(s m) for the graph, then
    one :func:`netscope.force_layout` of s + m' nodes.
    """
    activations = np.asarray(activations, dtype=np.float64)
    if activations.ndim != 2:
        raise ValueError(f"activations must be 2-D (samples, neurons), got shape {activations.shape}")
    n = len(activations)
    max_samples = check_int(max_samples, "max_samples", minimum=1)
    samples = (
        np.arange(n) if n <= max_samples else np.sort(np.random.default_rng(seed).choice(n, max_samples, replace=False))
    )
    if align_to is not None and not np.array_equal(align_to.samples, samples):
        raise ValueError("align_to must be a map of the same samples (same n, max_samples and seed)")
    top = min(top, activations.shape[1])  # a layer narrower than top joins each sample to all its neurons
    graph = neuron_sample_graph(activations[samples], top=top)
    s = len(samples)
    # Neurons that no drawn sample ranks in its top have no edge; leave them out of the map.
    linked = np.flatnonzero(np.diff(graph.indptr)[s:] > 0)
    keep = np.concatenate([np.arange(s), s + linked])
    graph = graph[keep][:, keep]
    positions = force_layout(graph, seed=seed)
    if align_to is not None:
        positions = procrustes_align(positions, align_to.positions[:s], rows=s)
    upper = scipy.sparse.triu(graph, k=1).tocoo()
    return NeuronSampleMap(
        samples=samples,
        neurons=linked,
        positions=positions,
        edges=np.stack([upper.row, upper.col], axis=1).astype(np.int64),
        top=top,
        width=activations.shape[1],
    )
