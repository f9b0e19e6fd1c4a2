"""The maps' pipeline, one (layer, snapshot) at a time: kNN graph of the activations
(:func:`netscope.knn_graph`), force layout (:func:`netscope.force_layout`) from the activations'
principal axes for a layer's first snapshot and from the previous map for the next ones, aligned to it by
orthogonal Procrustes (:mod:`.alignment`), then the map's metrics (:mod:`.metrics`) and its
neuron × sample map (:mod:`.neuron_sample`). Arrays in, a :class:`.results.MapResult` out.
"""

from __future__ import annotations

from ..core.knn import knn_graph
from ..core.layout import default_iterations, force_layout
from .alignment import procrustes_align
from .inputs import Recording
from .metrics import map_metrics
from .neuron_sample import neuron_sample_map
from .results import LayerMaps, MapResult

# A warm-started neighbour embedding takes smaller steps than a fresh one: on two identical
# snapshots of 360 digits it moved points by 5 % of the map's radius instead of 10 % (keeping
# 90 % of map neighbours instead of 88 %), and trustworthiness rose 0.986 -> 0.988. It skips the
# early exaggeration, which would first pull the previous map's clusters together: over the 12
# snapshots of bench/bench_snapshots.py (360 digits) points moved 0.039 of the map's radius per
# snapshot instead of 0.056, at the same kNN preservation (0.712).
WARM_LEARNING_RATE = 0.1
WARM_SETTINGS = {"learning_rate": WARM_LEARNING_RATE, "early_exaggeration": 1.0}
# A warm start's iterations as a share of a fresh layout's, per method. The neighbour embedding's
# quarter (100 of 400 epochs) on those 12 snapshots: kNN preservation 0.709 against 0.712 with
# half, points moving 0.033 of the radius against 0.039, in 0.8 s against 1.3 s.
WARM_SHARE = {"neighbor_embedding": 0.25, "fruchterman_reingold": 0.5}


def fit_maps(
    recording: Recording,
    *,
    k: int,
    metric: str,
    symmetrize,
    method: str,
    n_iter: int | None,
    n_iter_warm: int | None,
    seed: int,
    neuron_samples: int,
    after: MapResult | None = None,
) -> MapResult:
    """The maps of every (layer, snapshot) of ``recording`` — with ``after`` (maps of the same
    points and layers), as the snapshots that follow its own: each layer warm-started from its
    last map, and the result is ``after`` followed by the new maps. Parameters as resolved by
    :class:`netscope.StructureMap`; ``n_iter`` None: the method's default for the points,
    ``n_iter_warm`` None: ``WARM_SHARE`` of ``n_iter``. Cost per map: one kNN graph (O(n² d) exact, up to 10 000
    points), one force layout, and O(min(n, 2000) n log n) metrics.
    """
    layers = []
    for name, series in recording.activations.items():
        first = default_iterations(method, len(series[0])) if n_iter is None else n_iter
        warm_iterations = int(first * WARM_SHARE[method]) if n_iter_warm is None else n_iter_warm
        before = None if after is None else after.layer(name)
        previous = None if before is None else before.positions[-1]
        neurons = before.neuron_maps[-1] if before is not None and before.neuron_maps else None
        positions, graphs, metrics, neuron_maps = [], [], [], []
        for activations in series:
            graph = knn_graph(activations, min(k, len(activations) - 1), metric=metric, symmetrize=symmetrize)
            if previous is None:
                layout = force_layout(graph, method=method, n_iter=first, seed=seed, points=activations)
            else:
                warm = WARM_SETTINGS if method == "neighbor_embedding" else {}
                layout = force_layout(graph, previous, method=method, n_iter=warm_iterations, seed=seed, **warm)
                layout = procrustes_align(layout, previous)
            metrics.append(map_metrics(graph, activations, layout, previous, recording.labels, k, seed=seed))
            previous = layout
            positions.append(layout)
            graphs.append(graph)
            if neuron_samples:
                neurons = neuron_sample_map(activations, max_samples=neuron_samples, seed=seed, align_to=neurons)
                neuron_maps.append(neurons)
        layers.append(
            LayerMaps(
                name=name,
                positions=tuple(positions),
                graphs=tuple(graphs),
                sensitivity=tuple(recording.sensitivity[name]),
                metrics=tuple(metrics),
                neuron_maps=tuple(neuron_maps),
            )
        )
    fitted = MapResult(
        layers=tuple(layers),
        labels=recording.labels,
        snapshot_labels=tuple(recording.snapshot_labels),
        predictions=recording.predictions,
    )
    return fitted if after is None else after.then(fitted)
