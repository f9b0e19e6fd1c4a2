"""The fitted subspace applied: coordinates of parameter vectors in it, each sample's share of its
gradient in it, and the active variables of a sufficient-summary plot (the prior's samples
regenerated and projected).
"""

from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from ..core._validation import as_float_matrix, check_all_finite
from ..nn.gradients import PriorSamples


def coordinates(eigenvectors: np.ndarray, x, n_parameters: int) -> np.ndarray:
    """``Ŵᵀ x`` of parameter vectors x ((D,) or (n, D)): (k,) or (n, k). O(n D k)."""
    x = np.asarray(x, dtype=np.float64)
    single = x.ndim == 1
    x = as_float_matrix(x[None, :] if single else x, "x")
    if x.shape[1] != n_parameters:
        raise ValueError(f"x must have {n_parameters} columns (one per parameter), got {x.shape[1]}")
    y = x @ eigenvectors
    return y[0] if single else y


def sample_energy(eigenvectors: np.ndarray, k: int, gradients, n_parameters: int) -> np.ndarray:
    """‖Ŵ_kᵀ g_i‖² / ‖g_i‖² of each row of ``gradients`` (an (N, D) array or an iterable of (n, D)
    chunks): float64 (N,) in [0, 1], 0 for a zero gradient. O(N D k); products in the chunks'
    own precision (float32 gradients: relative error ~1e-6), no widened copy.
    """
    chunks = [gradients] if isinstance(gradients, np.ndarray) else gradients
    energies, W = [], {}
    for index, chunk in enumerate(chunks):
        chunk = as_float_matrix(chunk, "gradients")
        if chunk.shape[1] != n_parameters:
            raise ValueError(f"gradients must have {n_parameters} columns (one per parameter), got {chunk.shape[1]}")
        check_all_finite(chunk, f"gradients chunk {index}")
        if chunk.dtype not in W:
            W[chunk.dtype] = eigenvectors[:, :k].astype(chunk.dtype)
        norms = np.einsum("ij,ij->i", chunk, chunk).astype(np.float64)
        along = ((chunk @ W[chunk.dtype]).astype(np.float64) ** 2).sum(axis=1)
        energies.append(np.divide(along, norms, out=np.zeros_like(norms), where=norms > 0))
    return np.minimum(np.concatenate(energies), 1.0) if energies else np.zeros(0)


def active_variables(
    layout, prior: dict, eigenvectors: np.ndarray, n_samples: int, n_parameters: int, *, progress: bool
) -> np.ndarray:
    """The ``n_samples`` prior samples (regenerated from ``prior``'s seed: nothing N × D was
    stored) projected on ``eigenvectors`` (D, n_active): (N, n_active) float64. O(N D n_active).
    """
    W = eigenvectors.astype(np.float64)
    active = np.empty((n_samples, W.shape[1]))
    samples = PriorSamples(layout, **prior)
    # Blocks of about 64 MB of float32 samples, each widened and multiplied as it is drawn.
    step = max(1, 2**24 // n_parameters)
    starts = range(0, n_samples, step)
    for start in tqdm(starts, desc="sufficient summary", unit="block", disable=not progress or len(starts) < 4):
        stop = min(start + step, n_samples)
        active[start:stop] = samples.rows(start, stop).numpy().astype(np.float64) @ W
    return active
