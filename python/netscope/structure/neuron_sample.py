"""Neuron × sample graphs: samples joined to the neurons they activate most."""

from __future__ import annotations

import numpy as np
import scipy.sparse

from ..core._validation import check_int


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
