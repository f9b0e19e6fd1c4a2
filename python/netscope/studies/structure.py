"""The seed experiment of structural-visualization-nn.md for MLPs, and the maps of a user's saved training
run: ``netscope structure``."""

from __future__ import annotations

import json
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from tqdm.auto import tqdm

from ..core.layout import force_layout
from ..nn.activations import ActivationTracker
from ..nn.user_code import load_weights
from ..plotting import structure as structure_plots
from ..structure.compare import check_references, compare_maps
from ..structure.maps import StructureMap
from ..structure.neuron_sample import neuron_sample_graph
from .models import digits, mlp_from_sizes

DEFAULT_SIZES = (64, 128, 64, 32, 10)
DEFAULT_SNAPSHOTS = (0, 1, 2, 3, 5, 8, 13, 20, 30)


def _accuracy(model, x, y) -> float:
    was_training = model.training
    model.eval()
    with torch.no_grad():
        accuracy = float((model(x).argmax(dim=1) == y).float().mean())
    model.train(was_training)
    return accuracy


def _trend(values) -> float:
    """Spearman rank correlation of ``values`` with time (+1: rises at every snapshot)."""
    ranks = np.argsort(np.argsort(values))
    steps = np.arange(len(values))
    return float(np.corrcoef(ranks, steps)[0, 1]) if len(values) > 2 else float(np.sign(values[-1] - values[0]))


def run_structure_study(out_dir, *, epochs: int = 30, snapshots=DEFAULT_SNAPSHOTS, sizes=DEFAULT_SIZES,
                        activation: str = "relu", k: int = 15, seed: int = 0, compare=(),
                        progress: bool = True) -> dict:
    """Train an MLP on the digits, map every hidden layer at each snapshot epoch, write figures,
    GIFs and ``metrics.json`` to ``out_dir``; return the metrics. ``compare`` ("umap", "tsne"):
    also draw the last snapshot with those methods (``compare.png``)."""
    compare = check_references(compare)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    snapshots = sorted({int(s) for s in snapshots if 0 <= int(s) <= epochs} | {epochs})
    torch.manual_seed(seed)
    x_train, y_train, x_probe, y_probe = digits(seed=seed)
    model = mlp_from_sizes(sizes, activation)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    tracker = ActivationTracker(model, (x_probe, y_probe), loss_fn=torch.nn.functional.cross_entropy)
    timings, accuracy = {}, []
    generator = torch.Generator().manual_seed(seed)

    start = time.perf_counter()
    for epoch in tqdm(range(epochs + 1), desc="training", unit="epoch", disable=not progress):
        if epoch > 0:
            model.train()
            for batch in torch.randperm(len(x_train), generator=generator).split(64):
                optimiser.zero_grad()
                torch.nn.functional.cross_entropy(model(x_train[batch]), y_train[batch]).backward()
                optimiser.step()
        if epoch in snapshots:
            tracker.snapshot(label=epoch)
            accuracy.append({"epoch": epoch, "train": _accuracy(model, x_train, y_train),
                             "probe": _accuracy(model, x_probe, y_probe)})
    timings["training_and_tracking"] = time.perf_counter() - start
    described = {"dataset": {"name": "sklearn load_digits", "train": len(x_train), "probe": len(x_probe)},
                 "model": {"sizes": list(sizes), "activation": activation}, "accuracy": accuracy}
    return write_maps(out_dir, tracker, described, timings, k=k, seed=seed, compare=compare)


def run_checkpoint_maps(out_dir, model: torch.nn.Module, checkpoints, probe, *, layers=None, loss_fn=None,
                        batch_size: int = 256, k: int = 15, seed: int = 0, description=None, compare=(),
                        progress: bool = True) -> dict:
    """The maps of a training run the user saved: one snapshot per file of ``checkpoints`` (in the
    order given), each loaded into ``model`` and run on ``probe`` (a pair (inputs, labels) or a
    DataLoader); figures, GIFs, GraphML maps and ``metrics.json`` go to ``out_dir``; ``compare`` as
    in :func:`run_structure_study`."""
    compare = check_references(compare)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tracker = ActivationTracker(model, probe, layers=layers, loss_fn=loss_fn, batch_size=batch_size)
    start = time.perf_counter()
    for path in tqdm(checkpoints, desc="checkpoints", unit="file", disable=not progress):
        load_weights(model, path)
        tracker.snapshot(label=Path(path).stem)
    timings = {"tracking": time.perf_counter() - start}
    described = {"dataset": {"probe": len(tracker.labels)}, "model": description or {"class": type(model).__name__},
                 "checkpoints": [str(path) for path in checkpoints]}
    return write_maps(out_dir, tracker, described, timings, k=k, seed=seed, compare=compare)


def write_maps(out_dir: Path, tracker: ActivationTracker, described: dict, timings: dict, *, k: int,
               seed: int, compare=()) -> dict:
    """Map every (layer, snapshot) the tracker holds; write figures, GIFs, GraphML and
    ``metrics.json`` (``described`` merged in); with ``compare``, also the last snapshot of every
    layer drawn by netscope and those methods side by side (``compare.png``, ``metrics["compare"]``);
    return the metrics."""
    start = time.perf_counter()
    maps = StructureMap(k=k, seed=seed).fit(tracker)
    timings["maps"] = time.perf_counter() - start

    start = time.perf_counter()
    figures = {"small_multiples.png": structure_plots.plot_small_multiples(maps),
               "sensitivity.png": structure_plots.plot_sensitivity(maps),
               "metrics.png": structure_plots.plot_metrics(maps)}
    last_layer = maps.layers_[-1]
    activations = tracker.snapshots[-1]["activations"][last_layer]
    bipartite = neuron_sample_graph(activations, top=3)
    # Neurons that no sample ranks in its top 3 have no edge; leave them out of the map.
    linked = np.flatnonzero(np.diff(bipartite.indptr) > 0)
    positions = force_layout(bipartite[linked][:, linked], seed=seed)
    n_samples = len(activations)
    unused = bipartite.shape[0] - len(linked)
    figures["neuron_sample.png"] = structure_plots.plot_neuron_sample_map(
        positions, maps.labels_, n_samples,
        title=f"{last_layer}: samples and their 3 most active neurons\n"
              f"({activations.shape[1] - unused} of {activations.shape[1]} neurons are some sample's top 3)")
    for name, figure in figures.items():
        figure.savefig(out_dir / name, dpi=110)
        plt.close(figure)
    for layer in maps.layers_:
        structure_plots.animate_layer(maps, layer, out_dir / f"animation_{layer}.gif")
        maps.write_graphml(out_dir / f"map_{layer}.graphml", layer)
        maps.write_projector(out_dir / f"projector_{layer}", layer,
                             tensors=tracker.snapshots[-1]["activations"][layer])
    timings["figures"] = time.perf_counter() - start

    compared = {}
    if compare:
        start = time.perf_counter()
        compared = {layer: compare_maps(tracker.snapshots[-1]["activations"][layer], compare, k=k, seed=seed)
                    for layer in maps.layers_}
        figure = structure_plots.plot_comparison(compared, maps.labels_)
        figure.savefig(out_dir / "compare.png", dpi=110)
        plt.close(figure)
        timings["compare"] = time.perf_counter() - start

    claim = {}
    for layer in maps.layers_:
        series = maps.metrics_[layer]
        ratio = [m.activation.ratio for m in series]
        layout_ratio = [m.layout.ratio for m in series]
        claim[layer] = {
            "activation_ratio_first": ratio[0], "activation_ratio_last": ratio[-1],
            "activation_ratio_trend": _trend(ratio),
            "layout_ratio_first": layout_ratio[0], "layout_ratio_last": layout_ratio[-1],
            "layout_ratio_trend": _trend(layout_ratio),
            "silhouette_first": series[0].activation.silhouette,
            "silhouette_last": series[-1].activation.silhouette,
            "holds": bool(ratio[-1] > ratio[0] and layout_ratio[-1] > layout_ratio[0]),
        }
    metrics = {
        **described,
        "snapshots": maps.snapshot_labels_,
        "layers": {layer: [m.to_dict() for m in maps.metrics_[layer]] for layer in maps.layers_},
        "claim_inter_grows_intra_shrinks": claim,
        "timings_s": timings,
    }
    if compared:
        metrics["compare"] = {layer: [{"method": c.method, "seconds": c.seconds, **c.fidelity.to_dict()} for c in runs]
                              for layer, runs in compared.items()}
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2))
    return metrics
