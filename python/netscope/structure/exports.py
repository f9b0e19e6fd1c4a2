"""One fitted map out to the tools people open maps in: a networkx graph (and GraphML, for Gephi)
and TensorBoard's projector files. Each takes a :class:`.results.MapResult`, a layer and a
snapshot.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core._validation import check_int
from .results import LayerMaps, MapResult


def _the_map(result: MapResult, layer: str, snapshot: int) -> tuple[LayerMaps, int]:
    """``layer``'s maps and ``snapshot`` as an index into them, after checking both."""
    maps = result.layer(layer)
    count = len(maps)
    return maps, check_int(snapshot, "snapshot", minimum=-count, maximum=count - 1) % count


def _label_of(result: MapResult, i: int):
    """Point ``i``'s label as a plain Python value (int, float, str, bool)."""
    assert result.labels is not None  # asked only of a map with labels
    return result.labels[i].item()


def to_networkx(result: MapResult, layer: str, snapshot: int = -1):
    """The map of ``layer`` at ``snapshot`` as a networkx Graph: edge ``weight``, node ``x``,
    ``y``, ``sensitivity`` and (with labels) ``label`` attributes (GraphML-ready, for Gephi).
    O(n + edges).
    """
    maps, snapshot = _the_map(result, layer, snapshot)
    import networkx as nx

    graph = nx.from_scipy_sparse_array(maps.graphs[snapshot])
    positions = maps.positions[snapshot]
    sensitivity = maps.sensitivity[snapshot]
    for i in graph.nodes:
        graph.nodes[i].update(x=float(positions[i, 0]), y=float(positions[i, 1]), sensitivity=float(sensitivity[i]))
        if result.labels is not None:
            graph.nodes[i]["label"] = _label_of(result, i)
    return graph


def write_projector(result: MapResult, folder, layer: str, snapshot: int = -1, tensors=None) -> Path:
    """Write the map of ``layer`` at ``snapshot`` in TensorBoard's projector format to
    ``folder``: ``tensors.tsv`` (one row per point: ``tensors``, e.g. the activations (n, d),
    or by default the 2-D map), ``metadata.tsv`` (label when there are labels, sensitivity,
    map x and y, with a header row) and ``projector_config.pbtxt`` linking them. Returns the
    folder. O(n d).
    """
    maps, snapshot = _the_map(result, layer, snapshot)
    positions = maps.positions[snapshot]
    tensors = positions if tensors is None else np.asarray(tensors, dtype=np.float64)
    if tensors.ndim != 2 or len(tensors) != len(positions):
        raise ValueError(
            f"tensors must have one row per mapped point, shape ({len(positions)}, d); got {tensors.shape}"
        )
    if not np.all(np.isfinite(tensors)):
        raise ValueError("tensors hold NaN or inf")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    np.savetxt(folder / "tensors.tsv", tensors, delimiter="\t", fmt="%.7g")
    sensitivity = maps.sensitivity[snapshot]
    rows = [f"{s:.7g}\t{x:.7g}\t{y:.7g}" for s, (x, y) in zip(sensitivity, positions)]
    header = "sensitivity\tx\ty"
    if result.labels is not None:
        # A tab or line break inside a class name would split the TSV's columns or rows.
        names = [" ".join(str(_label_of(result, i)).split()) for i in range(len(rows))]
        rows, header = [f"{name}\t{row}" for name, row in zip(names, rows)], "label\t" + header
    (folder / "metadata.tsv").write_text(header + "\n" + "\n".join(rows) + "\n")
    name = f"{layer} at {result.snapshot_labels[snapshot]}"
    (folder / "projector_config.pbtxt").write_text(
        f'embeddings {{\n  tensor_name: "{name}"\n  tensor_path: "tensors.tsv"\n  metadata_path: "metadata.tsv"\n}}\n'
    )
    return folder
