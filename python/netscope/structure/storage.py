"""A fitted :class:`netscope.StructureMap` (its parameters and its
:class:`~netscope.structure.results.MapResult`) on disk, and back: one ``.npz``, no pickle.

Format (version 1). A zip of ``.npy`` arrays (``numpy.savez_compressed``), none of dtype object,
so that ``numpy.load(path, allow_pickle=False)`` reads it whole:

- ``header``: a 0-d unicode array holding JSON — ``format`` ("netscope.StructureMap"),
  ``version`` (int), ``params`` (the estimator's ``get_params()``), ``layers`` (L names),
  ``snapshot_labels`` (T strings or numbers), ``n`` (points), ``metrics`` (per layer, per
  snapshot, :meth:`~netscope.structure.metrics.MapMetrics.to_dict`) and ``neuron_maps`` (per
  layer, per snapshot, ``{"top", "width"}``; null without neuron maps).
- ``labels`` (n,) of the labels' own dtype — integers, floats, booleans, or unicode strings
  (``<U``) for class names; absent when the map has no labels. ``predictions`` (T, n) int64;
  absent when there are none.
- For layer i (its place in ``layers``) and snapshot t: ``positions_{i}`` (T, n, 2) float64,
  ``sensitivity_{i}`` (T, n) float64, the kNN graph's CSR arrays ``graph_{i}_{t}_data``,
  ``_indices`` and ``_indptr`` (shape (n, n)), and the neuron × sample map's
  ``neurons_{i}_{t}_samples``, ``_neurons``, ``_positions`` and ``_edges``.

A reader refuses files whose version is newer than :data:`FORMAT_VERSION`; a later version adds
entries, and readers of it keep reading version 1.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import scipy.sparse

from .._archive import read_archive, write_archive
from .metrics import MapMetrics
from .neuron_sample import NeuronSampleMap
from .results import LayerMaps, MapResult

FORMAT = "netscope.StructureMap"
FORMAT_VERSION = 1
_NEURON_ARRAYS = ("samples", "neurons", "positions", "edges")


def save_map(maps, path) -> Path:
    """Write the fitted ``maps`` (a StructureMap: its parameters and its ``result_``) to ``path``
    in the format above, through a temporary file renamed over ``path`` (a half-written file never
    replaces a whole one). Returns the path. O(T n k) time and disk for T snapshots of n points
    with k neighbours.
    """
    result: MapResult = maps.result_
    header = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "params": maps.get_params(deep=False),
        "layers": result.names,
        "snapshot_labels": list(result.snapshot_labels),
        "n": result.n_points,
        "metrics": [[m.to_dict() for m in layer.metrics] for layer in result.layers],
        "neuron_maps": [[{"top": v.top, "width": v.width} for v in layer.neuron_maps] for layer in result.layers]
        if any(layer.neuron_maps for layer in result.layers)
        else None,
    }
    arrays = {}
    if result.labels is not None:
        arrays["labels"] = result.labels
    if result.predictions is not None:
        arrays["predictions"] = result.predictions
    for i, layer in enumerate(result.layers):
        arrays[f"positions_{i}"] = np.stack(layer.positions)
        arrays[f"sensitivity_{i}"] = np.stack(layer.sensitivity)
        for t, graph in enumerate(layer.graphs):
            graph = graph.tocsr()
            arrays.update({f"graph_{i}_{t}_{part}": getattr(graph, part) for part in ("data", "indices", "indptr")})
        for t, view in enumerate(layer.neuron_maps):
            arrays.update({f"neurons_{i}_{t}_{part}": getattr(view, part) for part in _NEURON_ARRAYS})
    return write_archive(path, header, arrays)


def load_map(path, cls):
    """A ``cls`` (StructureMap) with the parameters and the fitted maps (``result_``) saved at
    ``path``. ValueError for a file that is not one, or one of a newer format version. O(T n k).
    """
    header, archive = read_archive(path, FORMAT, FORMAT_VERSION, what="a saved netscope StructureMap")
    with archive:
        try:
            maps = cls(**header["params"])
            n, layers = header["n"], []
            for i, (name, metrics) in enumerate(zip(header["layers"], header["metrics"])):
                positions = tuple(archive[f"positions_{i}"])
                layers.append(
                    LayerMaps(
                        name=name,
                        positions=positions,
                        graphs=tuple(
                            scipy.sparse.csr_matrix(
                                tuple(archive[f"graph_{i}_{t}_{part}"] for part in ("data", "indices", "indptr")),
                                shape=(n, n),
                            )
                            for t in range(len(positions))
                        ),
                        sensitivity=tuple(archive[f"sensitivity_{i}"]),
                        metrics=tuple(MapMetrics.from_dict(m) for m in metrics),
                        neuron_maps=()
                        if header["neuron_maps"] is None
                        else tuple(
                            NeuronSampleMap(
                                **{part: archive[f"neurons_{i}_{t}_{part}"] for part in _NEURON_ARRAYS}, **sizes
                            )
                            for t, sizes in enumerate(header["neuron_maps"][i])
                        ),
                    )
                )
            result = MapResult(
                layers=tuple(layers),
                labels=archive["labels"] if "labels" in archive.files else None,
                snapshot_labels=tuple(header["snapshot_labels"]),
                predictions=archive["predictions"] if "predictions" in archive.files else None,
            )
        except (KeyError, TypeError, ValueError, zipfile.BadZipFile) as error:
            raise ValueError(
                f"path: {path} is a damaged saved StructureMap ({type(error).__name__}: {error})"
            ) from None
    maps.result_ = result
    return maps
