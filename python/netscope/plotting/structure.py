"""Figures of structural maps; each function draws one figure (or animation) and returns it."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np


def _class_colours(labels):
    classes = np.unique(labels)
    palette = plt.get_cmap("tab10" if len(classes) <= 10 else "tab20")
    return classes, {c: palette(i % palette.N) for i, c in enumerate(classes)}


def _scatter(ax, positions, labels, sizes=6, colours=None):
    classes, colour_of = _class_colours(labels)
    if colours is None:
        for c in classes:
            chosen = labels == c
            ax.scatter(positions[chosen, 0], positions[chosen, 1], s=sizes if np.isscalar(sizes) else sizes[chosen],
                       color=colour_of[c], label=str(c), linewidths=0)
    else:
        ax.scatter(positions[:, 0], positions[:, 1], s=sizes, c=colours, cmap="magma", linewidths=0)
    ax.set_xticks([])
    ax.set_yticks([])


def plot_small_multiples(structure_map):
    """One map per (layer, snapshot): rows are layers, columns snapshots, points coloured by class."""
    layers, snapshots = structure_map.layers_, structure_map.snapshot_labels_
    fig, axes = plt.subplots(len(layers), len(snapshots), figsize=(2.1 * len(snapshots), 2.1 * len(layers)),
                             squeeze=False)
    for row, layer in enumerate(layers):
        for column, label in enumerate(snapshots):
            ax = axes[row, column]
            _scatter(ax, structure_map.positions_[layer][column], structure_map.labels_, sizes=4)
            ratio = structure_map.metrics_[layer][column].activation.ratio
            ax.set_title(f"{label}: inter/intra {ratio:.2f}", fontsize=7)
            if column == 0:
                ax.set_ylabel(layer, fontsize=9)
    handles, names = axes[0, -1].get_legend_handles_labels()
    fig.legend(handles, names, loc="center right", fontsize=7, markerscale=2, title="class")
    fig.tight_layout(rect=(0, 0, 0.95, 1))
    return fig


def plot_comparison(compared: dict, labels):
    """Rows: layers; columns: netscope and each reference method (``compared[layer]`` is a list
    of :class:`netscope.structure.compare.ComparedMap`), titled with seconds and fidelity."""
    layers = list(compared)
    columns = len(compared[layers[0]])
    fig, axes = plt.subplots(len(layers), columns, figsize=(3.2 * columns, 3.2 * len(layers)), squeeze=False)
    names = {"netscope": "netscope", "umap": "UMAP", "tsne": "t-SNE (openTSNE)"}
    for row, layer in enumerate(layers):
        for column, result in enumerate(compared[layer]):
            ax = axes[row, column]
            _scatter(ax, result.positions, labels, sizes=4)
            ax.set_title(f"{layer}: {names[result.method]}, {result.seconds:.2f} s\n"
                         f"trust. {result.fidelity.trustworthiness:.3f}, "
                         f"kNN pres. {result.fidelity.knn_preservation:.3f}", fontsize=8)
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
    (gradient norm at that layer)."""
    layers = structure_map.layers_
    fig, axes = plt.subplots(1, len(layers), figsize=(3.2 * len(layers), 3.3), squeeze=False)
    for ax, layer in zip(axes[0], layers):
        sensitivity = structure_map.sensitivity_[layer][snapshot]
        scaled = sensitivity / sensitivity.max() if sensitivity.max() > 0 else sensitivity
        _scatter(ax, structure_map.positions_[layer][snapshot], structure_map.labels_, sizes=2 + 40 * scaled,
                 colours=scaled)
        ax.set_title(f"{layer}: sensitivity", fontsize=9)
    fig.tight_layout()
    return fig


def plot_neuron_sample_map(positions, labels, n_samples: int, *, title: str = "neurons × samples"):
    """Samples coloured by class and neurons as black nodes, from a layout of
    :func:`netscope.structure.neuron_sample_graph`."""
    fig, ax = plt.subplots(figsize=(5.5, 5.5))
    _scatter(ax, positions[:n_samples], np.asarray(labels), sizes=6)
    ax.scatter(positions[n_samples:, 0], positions[n_samples:, 1], s=18, color="black", marker="s", label="neuron")
    ax.legend(fontsize=7, markerscale=1.5, loc="best")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_metrics(structure_map):
    """Inter/intra-class distance ratio (activation space and layout), silhouette, the map's
    fidelity (trustworthiness, kNN preservation) and stability (neighbours kept from the previous
    snapshot) of every layer over the snapshots."""
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.4))
    x = np.arange(len(structure_map.snapshot_labels_))
    for layer in structure_map.layers_:
        metrics = structure_map.metrics_[layer]
        line, = axes[0].plot(x, [m.activation.ratio for m in metrics], "o-", label=layer)
        axes[0].plot(x, [m.layout.ratio for m in metrics], "s--", color=line.get_color(), alpha=0.6)
        axes[1].plot(x, [m.activation.silhouette for m in metrics], "o-", color=line.get_color())
        axes[2].plot(x, [m.fidelity.trustworthiness for m in metrics], "o-", color=line.get_color())
        axes[2].plot(x, [m.fidelity.knn_preservation for m in metrics], "s--", color=line.get_color(), alpha=0.6)
        axes[3].plot(x[1:], [m.stability.neighbours_kept for m in metrics[1:]], "o-", color=line.get_color())
    titles = ("inter/intra-class distance (— activations, -- layout)", "silhouette (activations)",
              "map fidelity (— trustworthiness, -- kNN preservation)", "map neighbours kept from the previous snapshot")
    for ax, title in zip(axes, titles):
        ax.set_title(title, fontsize=9)
        ax.set_xticks(x, [str(label) for label in structure_map.snapshot_labels_], fontsize=7)
        ax.set_xlabel("snapshot (epoch)")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return fig
