"""Typed results of the active-subspace diagnostics: frozen dataclasses with the arrays inside.

Plots take them as they are; ``to_dict()`` gives the JSON-ready form the studies write.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._result import Result


@dataclasses.dataclass(frozen=True)
class LayerShare(Result):
    """How much of the leading eigenvectors lies on one layer.

    ``share``: Σ over the layer's coordinates of the squared coefficients of the first k
    eigenvectors, divided by k (shares over layers sum to 1); ``parameters``: its number of
    parameters; ``parameter_fraction``: their share of D; ``enrichment``: share /
    parameter_fraction (> 1: the leading directions load on it more than on an average
    parameter); ``kinds``: the share of each parameter kind (``weight``, ``bias``, ...).
    """

    share: float
    parameters: int
    parameter_fraction: float
    enrichment: float
    kinds: dict


@dataclasses.dataclass(frozen=True)
class LayerImportance(Result):
    """:class:`LayerShare` of every layer (in parameter order) for the top ``k`` eigenvectors;
    ``importance["layer1"]`` is that layer's.
    """

    k: int
    layers: dict

    def __getitem__(self, layer: str) -> LayerShare:
        return self.layers[layer]


@dataclasses.dataclass(frozen=True)
class LayerSpectrum(Result):
    """One layer's diagonal block C_ll of C = (1/N) Σ g gᵀ: its top ``eigenvalues`` (descending),
    its ``trace`` and ``trace_share`` (tr C_ll / tr C: the layers' shares sum to 1), its number
    of ``parameters``, and ``global_share``, the squared norm of each of the global top-k
    eigenvectors restricted to this layer (over layers these sum to 1 for every direction).
    """

    eigenvalues: np.ndarray
    trace: float
    trace_share: float
    parameters: int
    global_share: np.ndarray


@dataclasses.dataclass(frozen=True)
class LayerSpectra(Result):
    """:class:`LayerSpectrum` of every layer (in parameter order); ``k``: the eigenvalues per
    layer asked for (fewer where a layer has fewer parameters or samples); ``spectra["layer1"]``
    is that layer's.
    """

    k: int
    layers: dict

    def __getitem__(self, layer: str) -> LayerSpectrum:
        return self.layers[layer]


@dataclasses.dataclass(frozen=True)
class Bootstrap(Result):
    """Intervals of the top-k eigenvalues and the subspace's stability (arrays of length k).

    ``eigenvalues``: the fit's, those of the sample Ĉ, biased upward when N is not ≫ D.
    ``eigenvalues_corrected``: estimates of the population eigenvalues λ_i(E[g gᵀ]) with that
    bias removed (held-out Rayleigh quotients, see
    :func:`netscope.active.diagnostics.heldout_intervals`), or None where the fit kept no
    gradients to hold out. ``eigenvalues_low`` .. ``eigenvalues_high``: intervals at
    ``confidence`` for λ_i(E[g gᵀ]), around the corrected estimate (``method`` "held-out"), or
    else basic bootstrap intervals around the sample's (``method`` "basic bootstrap ...": right
    only where N ≫ D). ``distance_mean``, ``distance_low``, ``distance_high``: the bootstrap's sin θ_max
    between the replicates' and the sample's top-r subspaces, r = 1..k (``n_boot`` replicates).
    """

    eigenvalues: np.ndarray
    eigenvalues_low: np.ndarray
    eigenvalues_high: np.ndarray
    distance_mean: np.ndarray
    distance_low: np.ndarray
    distance_high: np.ndarray
    n_boot: int
    confidence: float
    eigenvalues_corrected: np.ndarray | None = None
    method: str = "basic bootstrap"


@dataclasses.dataclass(frozen=True)
class Convergence(Result):
    """The estimate from the first n samples against the one from all N, for n in ``sizes``:
    ``distance`` (sin θ_max between the top-k subspaces) and ``eigenvalue_error`` (largest
    relative error of λ_1..λ_k).
    """

    sizes: list
    distance: list
    eigenvalue_error: list
    k: int
    n_parameters: int


@dataclasses.dataclass(frozen=True)
class StreamConvergence(Result):
    """A streaming estimate recorded along the stream, at the sample counts ``sizes``: its top-k
    ``eigenvalues``, their largest relative error against the final estimate
    (``eigenvalue_error``) and sin θ_max between consecutive top-k subspaces
    (``distance_to_previous``, None for the first).
    """

    sizes: list
    eigenvalues: list
    eigenvalue_error: list
    distance_to_previous: list
    k: int
    n_parameters: int
