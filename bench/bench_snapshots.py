"""Maps across training snapshots: netscope's StructureMap against AlignedUMAP on the same activations.

The structure study's network (MLP 64-128-64-32-10, ReLU, Adam, scikit-learn's digits) trained for
30 epochs; at 12 epochs (0, 1, 2, 3, 5, 8, 10, 13, 16, 20, 25, 30) the first hidden layer's
activations (128 dims) of two probe sets: the study's 360 held-out digits, and 10 000 noisy,
shifted copies of them. Each method maps the whole sequence of 12 snapshots: netscope's
``StructureMap`` at its defaults (each snapshot warm-started from the previous map and aligned to
it; ``neuron_samples=0``, its fit still measures every map's metrics inside the time) and
``umap.AlignedUMAP`` at its defaults with identity relations between consecutive snapshots (the
same probe points). Each map is then scored here the same way: per snapshot, kNN preservation and
trustworthiness (15 neighbours; netscope.structure.fidelity.fidelity, beyond 2 000 points from
2 000 query points), random-triplet accuracy and distance Spearman
(netscope.structure.fidelity.global_structure); between consecutive snapshots, the displacement
over the map's RMS radius and the share of 15 map neighbours kept
(netscope.structure.fidelity.stability), AlignedUMAP's maps first aligned to their predecessor by
the same orthogonal Procrustes fit netscope applies to its own. ``rows`` hold the means over the
snapshots (the first has no stability), ``snapshots`` every snapshot's scores.

    pip install ".[bench]"    # umap-learn
    python bench/bench_snapshots.py [--probe-only]

``--probe-only`` maps the 360 probe digits only (the 10 000-point pair takes about a quarter of an
hour, nearly all of it AlignedUMAP's); ``large`` in the result then says it was not run.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import netscope
from _harness import jittered_digits, write_result
from netscope.structure.alignment import procrustes_align
from netscope.structure.fidelity import fidelity, global_structure, stability

K = 15
EPOCHS = (0, 1, 2, 3, 5, 8, 10, 13, 16, 20, 25, 30)
LARGE = 10_000


def snapshot_activations(seed: int = 0):
    """The first hidden layer's activations of the study's probe digits and of ``LARGE`` jittered
    copies, at each epoch of ``EPOCHS``: ``{name: (list of (n, 128) float32, labels (n,))}``."""
    import torch

    from netscope.studies.models import digits, mlp_from_sizes, train_epoch
    from netscope.studies.structure import DEFAULT_SIZES

    torch.manual_seed(seed)
    x_train, y_train, x_probe, y_probe = digits(seed=seed)
    many, many_labels = jittered_digits(x_probe.numpy(), y_probe.numpy(), LARGE, seed=seed)
    probes = {
        f"study's probe digits ({len(y_probe)})": (x_probe, y_probe.numpy()),
        f"jittered probe digits ({LARGE})": (torch.as_tensor(many), many_labels),
    }
    model = mlp_from_sizes(list(DEFAULT_SIZES), "relu")
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(seed)
    out = {name: ([], labels) for name, (_, labels) in probes.items()}
    for epoch in range(EPOCHS[-1] + 1):
        if epoch > 0:
            train_epoch(model, optimiser, torch.nn.functional.cross_entropy, x_train, y_train, generator)
        if epoch in EPOCHS:
            with torch.no_grad():
                for name, (x, _) in probes.items():
                    out[name][0].append(model[:2](x).numpy().copy())
    return out


def netscope_maps(snapshots, labels):
    maps = netscope.StructureMap(K, neuron_samples=0).fit(snapshots, labels)
    return maps.positions_["layer"]


def aligned_umap_maps(snapshots, labels):
    import umap

    n = len(labels)
    identity = {i: i for i in range(n)}
    mapper = umap.AlignedUMAP(n_neighbors=K).fit(snapshots, relations=[identity] * (len(snapshots) - 1))
    return [np.asarray(embedding, dtype=np.float64) for embedding in mapper.embeddings_]


def scores(snapshots, maps, *, align: bool) -> list[dict]:
    """Each snapshot's fidelity and global structure, and (after the first) its stability."""
    rows, previous = [], None
    for t, (X, Y) in enumerate(zip(snapshots, maps)):
        if align and previous is not None:
            Y = procrustes_align(Y, previous)
        local = fidelity(X, Y, K, max_queries=2000)
        overall = global_structure(X, Y)
        steady = None if previous is None else stability(previous, Y, K)
        rows.append(
            {
                "epoch": EPOCHS[t],
                "kNN preservation": local.knn_preservation,
                "trustworthiness": local.trustworthiness,
                "triplet accuracy": overall.triplet_accuracy,
                "distance Spearman": overall.distance_spearman,
                "displacement / radius": None if steady is None else steady.displacement,
                "map neighbours kept": None if steady is None else steady.neighbours_kept,
            }
        )
        previous = Y
    return rows


def warm_up():
    """UMAP compiles with numba on first use, and netscope's first fit imports the modules its
    metrics use (scipy.stats, scikit-learn's): both done here, untimed."""
    import umap

    small = [np.random.default_rng(t).random((300, 8)).astype(np.float32) for t in range(2)]
    umap.AlignedUMAP(n_epochs=10).fit(small, relations=[{i: i for i in range(300)}])
    netscope_maps(small, np.arange(300) % 3)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probe-only", action="store_true", help="map the 360 probe digits only")
    probe_only = parser.parse_args().probe_only
    warm_up()
    rows, per_snapshot = [], []
    for data, (snapshots, labels) in snapshot_activations().items():
        if probe_only and len(labels) == LARGE:
            continue
        candidates = {
            "netscope StructureMap (defaults)": (netscope_maps, False),
            "AlignedUMAP 0.5 (defaults)": (aligned_umap_maps, True),
        }
        for method, (run, align) in candidates.items():
            start = time.perf_counter()
            maps = run(snapshots, labels)
            seconds = time.perf_counter() - start
            measured = scores(snapshots, maps, align=align)
            per_snapshot += [{"data": data, "method": method, **row} for row in measured]
            columns = [c for c in measured[0] if c != "epoch"]
            means = {c: float(np.mean([r[c] for r in measured if r[c] is not None])) for c in columns}
            rows.append({"data": data, "method": method, "snapshots": len(maps), "total s": seconds, **means})
            print(rows[-1], flush=True)
        netscope_seconds = rows[-2]["total s"]
        for row in rows[-2:]:
            row["total / netscope"] = row["total s"] / netscope_seconds
    write_result(
        "snapshots",
        rows,
        k=K,
        n_epochs=len(EPOCHS),
        epoch_list=", ".join(map(str, EPOCHS)),
        snapshots=per_snapshot,
        large="not run (--probe-only)" if probe_only else "run",
    )


if __name__ == "__main__":
    main()
