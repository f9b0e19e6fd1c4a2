"""Figures of an active-subspace study; each function draws one figure and returns it."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..core.spectra import count_for_trace_share
from ..exceptions import check_fitted


def _fitted(result):
    check_fitted(result, "eigenvalues_")
    return result


def plot_eigenvalues(result, *, intervals=None, ax=None):
    """Eigenvalue decay on a log scale (seed figure 1), with the count that holds 90 % of the
    trace; with ``intervals`` (a :class:`netscope.active.results.Bootstrap`), its top-k
    intervals: around the bias-corrected estimates (dots) where it has them, so that a sample
    eigenvalue above its interval reads as the upward bias it is, not as a contradiction.
    """
    eigenvalues = _fitted(result).eigenvalues_
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6.4, 4.2))
    index = np.arange(1, len(eigenvalues) + 1)
    ax.semilogy(index, np.where(eigenvalues > 0, eigenvalues, np.nan), lw=1.2, label="sample eigenvalues λ_i(Ĉ)")
    if intervals is not None:
        top = np.arange(1, len(intervals.eigenvalues) + 1)
        corrected = intervals.eigenvalues_corrected
        center = intervals.eigenvalues if corrected is None else corrected
        errors = [center - intervals.eigenvalues_low, intervals.eigenvalues_high - center]
        label = f"{intervals.confidence:.0%} intervals, top {len(top)} ({intervals.method})"
        if corrected is not None:
            label = f"bias-corrected λ_i(C), {label}"
        # The top k again, magnified in an inset below the curve, where the whole spectrum leaves
        # them a few pixels wide.
        inset = ax.inset_axes((0.08, 0.07, 0.28, 0.3))
        for axes in (ax, inset):
            axes.errorbar(
                top,
                np.where(center > 0, center, np.nan),
                yerr=np.maximum(errors, 0.0),
                fmt="none" if corrected is None else "o",
                markersize=3,
                color="C3",
                ecolor="C3",
                lw=1,
                capsize=2,
                label=label,
            )
        inset.plot(top, eigenvalues[: len(top)], "_", color="C0", markersize=8)
        inset.set_title(f"top {len(top)}", fontsize=7)
        inset.tick_params(labelsize=6)
    n90 = count_for_trace_share(eigenvalues, 0.9)
    ax.axvline(n90, color="0.5", ls="--", lw=0.8, label=f"{n90} eigenvalues hold 90% of the trace")
    ax.set_xlabel("index i")
    ax.set_ylabel("eigenvalue λ_i")
    ax.set_title(f"Active-subspace eigenvalues (D={result.n_parameters_}, N={result.n_samples_})")
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    return fig


def plot_eigenvectors(result, n_vectors: int | None = None, *, max_rows: int = 2000, ax=None):
    """log10 |eigenvector coefficients| (seed figure 2): x = eigenvector index, y = parameter index.

    Layer boundaries are drawn as horizontal lines and labelled. ``n_vectors`` limits the
    columns (default: all fitted). Beyond ``max_rows`` parameters each image row shows the
    largest |coefficient| of a run of consecutive parameters, so that a million-parameter
    network draws in O(D k) time and O(max_rows k) memory.
    """
    W = _fitted(result).eigenvectors_
    W = W[:, :n_vectors] if n_vectors else W
    dim = W.shape[0]
    edges = np.linspace(0, dim, min(dim, max_rows) + 1).astype(int)
    image = np.log10(
        np.stack([np.abs(W[start:stop]).max(axis=0) for start, stop in zip(edges[:-1], edges[1:])]) + 1e-12
    )
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7.5, 6.0))
    vmin, vmax = np.percentile(image, [1, 99.9])
    shown = ax.imshow(
        image,
        aspect="auto",
        interpolation="nearest",
        cmap="viridis",
        vmin=vmin,
        vmax=vmax,
        extent=(0.5, W.shape[1] + 0.5, dim - 0.5, -0.5),
    )
    fig.colorbar(shown, ax=ax, label="log10 |coefficient|" + (" (max over a run of rows)" if dim > max_rows else ""))
    layout = result.parameter_layout_
    if layout is not None:
        for layer, (start, stop) in layout.layer_slices().items():
            if start > 0:
                ax.axhline(start - 0.5, color="white", lw=0.6)
            ax.annotate(
                layer,
                xy=(1.0, (start + stop) / 2),
                xycoords=("axes fraction", "data"),
                xytext=(-3, 0),
                textcoords="offset points",
                ha="right",
                va="center",
                fontsize=7,
                color="white",
            )
    ax.set_xlabel("eigenvector index")
    ax.set_ylabel("parameter index")
    ax.set_title("Eigenvector coefficients by layer")
    fig.tight_layout()
    return fig


def plot_layer_importance(result, k: int | None = None, *, ax=None):
    """Share of the top-k eigenvectors' squared coefficients per layer, split by parameter kind,
    beside each layer's share of the parameters.
    """
    importance = _fitted(result).layer_importance(k)
    k, layers = importance.k, list(importance.layers)
    kinds = sorted({kind for entry in importance.layers.values() for kind in entry.kinds})
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6.4, 4.2))
    x = np.arange(len(layers))
    bottom = np.zeros(len(layers))
    for kind in kinds:
        heights = np.array([importance[layer].kinds.get(kind, 0.0) for layer in layers])
        ax.bar(x - 0.2, heights, width=0.4, bottom=bottom, label=f"top-{k} share: {kind}")
        bottom += heights
    ax.bar(
        x + 0.2,
        [importance[layer].parameter_fraction for layer in layers],
        width=0.4,
        color="0.75",
        label="share of parameters",
    )
    ax.set_xticks(x, layers, rotation=30, ha="right")
    ax.set_ylabel("share")
    ax.set_title(f"Where the leading {k} eigenvectors load")
    ax.legend()
    fig.tight_layout()
    return fig


def plot_layer_spectra(spectra, global_eigenvalues=None):
    """Left: each layer's top eigenvalues (its diagonal block of C), beside the global ones
    (dashed, if given). Right: per layer, its share of the trace, of the global top-k
    directions' weight, and of the parameters. ``spectra``: a
    :class:`netscope.active.results.LayerSpectra`.
    """
    layers = list(spectra.layers)
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2))
    for layer in layers:
        values = spectra[layer].eigenvalues
        left.semilogy(np.arange(1, len(values) + 1), values, "o-", markersize=3, label=layer)
    if global_eigenvalues is not None:
        values = np.asarray(global_eigenvalues)[: spectra.k]
        left.semilogy(np.arange(1, len(values) + 1), values, "k--", label="global C")
    left.set_xlabel("index i")
    left.set_ylabel("eigenvalue λ_i of the layer's block")
    left.set_title(f"Top {spectra.k} eigenvalues of each layer's diagonal block")
    left.legend(fontsize=7)
    x = np.arange(len(layers))
    total = sum(spectra[layer].parameters for layer in layers)
    right.bar(x - 0.27, [spectra[layer].trace_share for layer in layers], width=0.27, label="share of tr C")
    right.bar(
        x,
        [float(np.mean(spectra[layer].global_share)) for layer in layers],
        width=0.27,
        label=f"share of the global top-{spectra.k} directions",
    )
    right.bar(
        x + 0.27,
        [spectra[layer].parameters / total for layer in layers],
        width=0.27,
        color="0.75",
        label="share of parameters",
    )
    right.set_xticks(x, layers, rotation=30, ha="right")
    right.set_ylabel("share")
    right.set_title("Where the gradient variance and the leading directions sit")
    right.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_convergence(convergence, *, ax=None):
    """Subspace distance and eigenvalue error versus the number of samples, with the line n = D,
    from a :class:`netscope.active.results.Convergence`.
    """
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6.4, 4.2))
    k, dim = convergence.k, convergence.n_parameters
    ax.loglog(convergence.sizes, convergence.distance, "o-", label=f"top-{k} subspace distance")
    ax.loglog(convergence.sizes, convergence.eigenvalue_error, "s-", label=f"max rel. error of λ_1..λ_{k}")
    ax.axvline(dim, color="0.3", ls="--", lw=1, label=f"n = D = {dim}")
    ax.set_xlabel("samples n")
    ax.set_ylabel("distance to the all-samples estimate")
    ax.set_title("Convergence of the estimate")
    ax.legend()
    fig.tight_layout()
    return fig


def plot_stream_convergence(stream, *, ax=None):
    """How a streaming fit's estimate settled (``ActiveSubspace.stream_convergence_``, a
    :class:`netscope.active.results.StreamConvergence`): the
    relative error of its top-k eigenvalues against the final ones, and the distance between the
    top-k subspaces of consecutive sample counts, versus the samples so far.
    """
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6.4, 4.2))
    sizes, k = stream.sizes, stream.k
    ax.loglog(sizes[:-1], stream.eigenvalue_error[:-1], "s-", label=f"max rel. error of λ_1..λ_{k} against the final")
    ax.loglog(sizes[1:], stream.distance_to_previous[1:], "o-", label=f"top-{k} subspace distance to the previous size")
    if stream.n_parameters <= 10 * sizes[-1]:
        ax.axvline(stream.n_parameters, color="0.3", ls="--", lw=1, label=f"n = D = {stream.n_parameters}")
    ax.set_xlabel("samples n")
    ax.set_ylabel("change of the estimate")
    ax.set_title("Convergence along the stream")
    ax.legend()
    fig.tight_layout()
    return fig


def plot_sufficient_summary(result, *, ax=None):
    """Loss versus the first active variable ŵ₁ᵀx over the prior samples (coloured by the second)."""
    active, losses = _fitted(result).sufficient_summary(n_active=min(2, result.eigenvectors_.shape[1]))
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6.4, 4.2))
    colour = active[:, 1] if active.shape[1] > 1 else None
    shown = ax.scatter(active[:, 0], losses, c=colour, s=4, cmap="coolwarm", alpha=0.6)
    if colour is not None:
        fig.colorbar(shown, ax=ax, label="ŵ₂ᵀx")
    ax.set_yscale("log")
    ax.set_xlabel("ŵ₁ᵀx (first active variable)")
    ax.set_ylabel("loss f(x)")
    ax.set_title("Sufficient summary plot")
    fig.tight_layout()
    return fig
