"""Figures of structural maps; each function draws one figure (or animation) and returns it."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np


def _class_colours(labels):
    classes = np.unique(labels)
    palette = plt.get_cmap("tab10" if len(classes) <= 10 else "tab20")
    return classes, {c: palette(i % palette.N) for i, c in enumerate(classes)}


def _scatter(ax, positions, labels, sizes=6, colours=None):
    """Points coloured by ``colours`` (values on a ramp) if given, else by class with one legend
    entry per class (its name: labels may be integers or strings), else, without labels, in one
    colour.
    """
    if colours is not None:
        ax.scatter(positions[:, 0], positions[:, 1], s=sizes, c=colours, cmap="magma", linewidths=0)
    elif labels is None:
        ax.scatter(positions[:, 0], positions[:, 1], s=sizes, color="tab:blue", linewidths=0)
    else:
        labels = np.asarray(labels)
        classes, colour_of = _class_colours(labels)
        for c in classes:
            chosen = labels == c
            ax.scatter(
                positions[chosen, 0],
                positions[chosen, 1],
                s=sizes if np.isscalar(sizes) else sizes[chosen],
                color=colour_of[c],
                label=str(c),
                linewidths=0,
            )
    ax.set_xticks([])
    ax.set_yticks([])


def _separation(metrics, space: str, name: str) -> np.ndarray:
    """``name`` ("ratio", "silhouette") of the class separation in ``space`` ("activation",
    "layout") of each snapshot's :class:`~netscope.structure.metrics.MapMetrics`; NaN (no
    point drawn) where none was measured (no labels, or one class).
    """
    return np.array([np.nan if getattr(m, space) is None else getattr(getattr(m, space), name) for m in metrics])


def plot_small_multiples(structure_map):
    """One map per (layer, snapshot): rows are layers, columns snapshots, points coloured by class
    (one colour without labels).
    """
    layers, snapshots = structure_map.layers_, structure_map.snapshot_labels_
    fig, axes = plt.subplots(
        len(layers), len(snapshots), figsize=(2.1 * len(snapshots), 2.1 * len(layers)), squeeze=False
    )
    for row, layer in enumerate(layers):
        for column, label in enumerate(snapshots):
            ax = axes[row, column]
            _scatter(ax, structure_map.positions_[layer][column], structure_map.labels_, sizes=4)
            separation = structure_map.metrics_[layer][column].activation
            ax.set_title(
                f"{label}" if separation is None else f"{label}: inter/intra {separation.ratio:.2f}", fontsize=7
            )
            if column == 0:
                ax.set_ylabel(layer, fontsize=9)
    handles, names = axes[0, -1].get_legend_handles_labels()
    if handles:
        fig.legend(handles, names, loc="center right", fontsize=7, markerscale=2, title="class")
    fig.tight_layout(rect=(0, 0, 0.95, 1))
    return fig


def plot_comparison(compared: dict, labels):
    """Rows: layers; columns: netscope and each reference method (``compared[layer]`` is a list
    of :class:`netscope.structure.compare.ComparedMap`), titled with seconds and fidelity.
    """
    layers = list(compared)
    columns = len(compared[layers[0]])
    fig, axes = plt.subplots(len(layers), columns, figsize=(3.2 * columns, 3.2 * len(layers)), squeeze=False)
    names = {"netscope": "netscope", "umap": "UMAP", "tsne": "t-SNE (openTSNE)"}
    for row, layer in enumerate(layers):
        for column, result in enumerate(compared[layer]):
            ax = axes[row, column]
            _scatter(ax, result.positions, labels, sizes=4)
            ax.set_title(
                f"{layer}: {names[result.method]}, {result.seconds:.2f} s\n"
                f"trust. {result.fidelity.trustworthiness:.3f}, "
                f"kNN pres. {result.fidelity.knn_preservation:.3f}",
                fontsize=8,
            )
    fig.tight_layout()
    return fig


def animate_layer(structure_map, layer: str, path, *, fps: int = 2):
    """Write a GIF (Pillow) of ``layer``'s map over the snapshots to ``path``; returns the path."""
    from matplotlib.animation import FuncAnimation, PillowWriter

    positions = structure_map.positions_[layer]
    stacked = np.concatenate(positions)
    low, high = stacked.min(axis=0), stacked.max(axis=0)
    fig, ax = plt.subplots(figsize=(4.5, 4.5))

    def draw(frame):
        ax.clear()
        _scatter(ax, positions[frame], structure_map.labels_, sizes=6)
        ax.set_xlim(low[0], high[0])
        ax.set_ylim(low[1], high[1])
        ax.set_title(f"{layer}, snapshot {structure_map.snapshot_labels_[frame]}")

    animation = FuncAnimation(fig, draw, frames=len(positions))
    animation.save(path, writer=PillowWriter(fps=fps))
    plt.close(fig)
    return path


def plot_sensitivity(structure_map, snapshot: int = -1):
    """The maps of one snapshot with each sample's size and colour set by its sensitivity
    (gradient norm at that layer).
    """
    layers = structure_map.layers_
    fig, axes = plt.subplots(1, len(layers), figsize=(3.2 * len(layers), 3.3), squeeze=False)
    for ax, layer in zip(axes[0], layers):
        sensitivity = structure_map.sensitivity_[layer][snapshot]
        scaled = sensitivity / sensitivity.max() if sensitivity.max() > 0 else sensitivity
        _scatter(
            ax, structure_map.positions_[layer][snapshot], structure_map.labels_, sizes=2 + 40 * scaled, colours=scaled
        )
        ax.set_title(f"{layer}: sensitivity", fontsize=9)
    fig.tight_layout()
    return fig


def plot_neuron_sample_map(positions, labels, n_samples: int, *, title: str = "neurons × samples"):
    """Samples coloured by class (``labels`` (n_samples,) or None: one colour) and neurons as black
    nodes, from a layout of :func:`netscope.structure.neuron_sample_graph`.
    """
    fig, ax = plt.subplots(figsize=(5.5, 5.5))
    _scatter(ax, positions[:n_samples], labels, sizes=6)
    ax.scatter(positions[n_samples:, 0], positions[n_samples:, 1], s=18, color="black", marker="s", label="neuron")
    ax.legend(fontsize=7, markerscale=1.5, loc="best")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_metrics(structure_map):
    """Inter/intra-class distance ratio (activation space and layout), silhouette, the map's
    fidelity (trustworthiness, kNN preservation) and stability (neighbours kept from the previous
    snapshot) of every layer over the snapshots; the class panels stay empty without two classes.
    """
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.4))
    x = np.arange(len(structure_map.snapshot_labels_))
    for layer in structure_map.layers_:
        metrics = structure_map.metrics_[layer]
        (line,) = axes[0].plot(x, _separation(metrics, "activation", "ratio"), "o-", label=layer)
        axes[0].plot(x, _separation(metrics, "layout", "ratio"), "s--", color=line.get_color(), alpha=0.6)
        axes[1].plot(x, _separation(metrics, "activation", "silhouette"), "o-", color=line.get_color())
        axes[2].plot(x, [m.fidelity.trustworthiness for m in metrics], "o-", color=line.get_color())
        axes[2].plot(x, [m.fidelity.knn_preservation for m in metrics], "s--", color=line.get_color(), alpha=0.6)
        axes[3].plot(x[1:], [m.stability.neighbours_kept for m in metrics[1:]], "o-", color=line.get_color())
    titles = (
        "inter/intra-class distance (— activations, -- layout)",
        "silhouette (activations)",
        "map fidelity (— trustworthiness, -- kNN preservation)",
        "map neighbours kept from the previous snapshot",
    )
    for ax, title in zip(axes, titles):
        ax.set_title(title, fontsize=9)
        ax.set_xticks(x, [str(label) for label in structure_map.snapshot_labels_], fontsize=7)
        ax.set_xlabel("snapshot (epoch)")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return fig
