"""The seed experiment of structural-visualization-nn.md for MLPs, and the maps of a user's saved training
run: ``netscope structure``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch
from tqdm.auto import tqdm

from ..active.tracking import SubspaceRecords, SubspaceTracker
from ..core._metadata import hover_strings, metadata_columns
from ..core._validation import check_int
from ..nn.activations import ActivationTracker
from ..nn.data import image_inputs
from ..nn.user_code import load_weights
from ..plotting import structure as structure_plots
from ..recording import RunFolder
from ..structure.compare import check_references, compare_maps
from ..structure.maps import StructureMap
from ..structure.robustness import scrambled_placement
from ..viewer.page import SCRAMBLE_KINDS
from .models import digits, mlp_from_sizes, train_epoch

DEFAULT_SIZES = (64, 128, 64, 32, 10)
DEFAULT_SNAPSHOTS = (0, 1, 2, 3, 5, 8, 13, 20, 30)


def _accuracy(model, x, y) -> float:
    was_training = model.training
    model.eval()
    with torch.no_grad():
        accuracy = float((model(x).argmax(dim=1) == y).float().mean())
    model.train(was_training)
    return accuracy


def _check_page_extras(n: int, metadata, hover_text) -> None:
    """Refuse bad ``metadata`` and ``hover_text`` for ``n`` probe examples before any training
    or mapping, not when the page is written at the end. O(n) per column.
    """
    metadata_columns(metadata, n)
    hover_strings(hover_text, n)


def _digits_class_names() -> list:
    """The names of scikit-learn's digits classes ("0" .. "9"), as strings."""
    from sklearn.datasets import load_digits

    return [str(name) for name in load_digits().target_names]


def _trend(values) -> float:
    """Spearman rank correlation of ``values`` with time (+1: rises at every snapshot)."""
    ranks = np.argsort(np.argsort(values))
    steps = np.arange(len(values))
    return float(np.corrcoef(ranks, steps)[0, 1]) if len(values) > 2 else float(np.sign(values[-1] - values[0]))


def scramble(x, y, fraction: float, kind: str, *, n_classes: int, seed: int = 0):
    """Scramble a ``fraction`` of the examples (a seeded choice): ``kind="labels"`` gives each a
    random other class, ``"inputs"`` permutes each one's features (pixels) at random, keeping its
    label. Returns ``(x', y', chosen indices)``; the originals are untouched.
    """
    if not 0 <= fraction < 1:
        raise ValueError(f"scrambled must be a fraction in [0, 1), got {fraction}")
    if kind not in SCRAMBLE_KINDS:
        raise ValueError(f"scramble must be one of {SCRAMBLE_KINDS}, got {kind!r}")
    generator = torch.Generator().manual_seed(seed + 1)
    chosen = torch.randperm(len(x), generator=generator)[: int(round(fraction * len(x)))].sort().values
    x, y = x.clone(), y.clone()
    if kind == "labels":
        shift = torch.randint(1, n_classes, (len(chosen),), generator=generator)
        y[chosen] = (y[chosen] + shift) % n_classes
    else:
        for i in chosen:
            x[i] = x[i].flatten()[torch.randperm(x[i].numel(), generator=generator)].view_as(x[i])
    return x, y, chosen


def run_structure_study(
    out_dir,
    *,
    epochs: int = 30,
    snapshots=DEFAULT_SNAPSHOTS,
    sizes=DEFAULT_SIZES,
    activation: str = "relu",
    k: int = 15,
    seed: int = 0,
    compare=(),
    html: bool = True,
    subspace_k: int = 10,
    scrambled: float = 0.0,
    scramble_kind: str = "labels",
    progress: bool = True,
    classes=None,
    metadata=None,
    hover_text=None,
) -> dict:
    """Train an MLP on the digits, map every hidden layer at each snapshot epoch, write figures,
    GIFs, ``metrics.json`` and (``html``) the interactive page ``maps.html`` to ``out_dir``;
    return the metrics. ``compare`` ("umap", "tsne"): also draw the last snapshot with those
    methods (``compare.png``). ``subspace_k``: at each snapshot, the probe set's data-mode
    active subspace (top k; 0: none). ``scrambled``: train with that fraction of the training
    examples scrambled (``scramble_kind`` "labels" or "inputs", :func:`scramble`) and add them to
    the probe set, marked, to follow where they sit. ``classes``: the page's names of the ten
    digits (default: scikit-learn's ``load_digits().target_names`` as strings); ``metadata`` and
    ``hover_text``: for the page, one row or string per probe example (the held-out digits,
    then the scrambled ones), as for :meth:`netscope.StructureMap.to_html`.
    """
    compare = check_references(compare)
    subspace_k = check_int(subspace_k, "subspace_k", minimum=0)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    snapshots = sorted({int(s) for s in snapshots if 0 <= int(s) <= epochs} | {epochs})
    torch.manual_seed(seed)
    x_train, y_train, x_probe, y_probe = digits(seed=seed)
    n_classes = int(y_train.max()) + 1
    x_fit, y_fit, chosen = scramble(x_train, y_train, scrambled, scramble_kind, n_classes=n_classes, seed=seed)
    probe_x, probe_y = torch.cat([x_probe, x_fit[chosen]]), torch.cat([y_probe, y_fit[chosen]])
    classes = _digits_class_names() if classes is None else [str(name) for name in classes]
    if len(classes) != n_classes:
        raise ValueError(f"classes must name each of the {n_classes} digits, got {len(classes)} names")
    _check_page_extras(len(probe_y), metadata, hover_text)
    model = mlp_from_sizes(sizes, activation)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss = torch.nn.functional.cross_entropy
    tracker = ActivationTracker(model, (probe_x, probe_y), loss_fn=loss)
    subspace = SubspaceTracker(model, loss, (probe_x, probe_y), n_components=subspace_k) if subspace_k else None
    timings, accuracy = {}, []
    generator = torch.Generator().manual_seed(seed)

    start = time.perf_counter()
    for epoch in tqdm(range(epochs + 1), desc="training", unit="epoch", disable=not progress):
        if epoch > 0:
            train_epoch(model, optimiser, loss, x_fit, y_fit, generator)
        if epoch in snapshots:
            tracker.snapshot(label=epoch)
            if subspace is not None:
                subspace.snapshot(label=epoch)
            entry = {
                "epoch": epoch,
                "train": _accuracy(model, x_fit, y_fit),
                "probe": _accuracy(model, x_probe, y_probe),
            }
            if len(chosen):
                entry.update(
                    scrambled_given=_accuracy(model, x_fit[chosen], y_fit[chosen]),
                    scrambled_true=_accuracy(model, x_fit[chosen], y_train[chosen]),
                )
            accuracy.append(entry)
    timings["training_and_tracking"] = time.perf_counter() - start
    described = {
        "dataset": {"name": "sklearn load_digits", "train": len(x_train), "probe": len(x_probe)},
        "model": {"sizes": list(sizes), "activation": activation},
        "accuracy": accuracy,
    }
    robustness = None
    if len(chosen):
        described["scrambled"] = {"fraction": scrambled, "kind": scramble_kind, "count": len(chosen)}
        marked = np.zeros(len(probe_y), dtype=bool)
        marked[len(y_probe) :] = True
        robustness = {
            "mask": marked,
            "true_labels": torch.cat([y_probe, y_train[chosen]]).numpy(),
            "kind": scramble_kind,
        }
    # Digits are ink on paper: the page shows 1 - x, dark strokes on white.
    images = 1.0 - probe_x.view(-1, 8, 8).numpy()
    summary = (
        f"MLP {'-'.join(map(str, sizes))} ({activation}) learning scikit-learn's digits; the map shows the "
        f"{len(x_probe)} held-out probe images"
        + (f" and {len(chosen)} training images with scrambled {scramble_kind}" if len(chosen) else "")
        + "."
    )
    return write_maps(
        out_dir,
        tracker,
        described,
        timings,
        k=k,
        seed=seed,
        compare=compare,
        html=html,
        subspace=subspace,
        robustness=robustness,
        images=images,
        summary=summary,
        classes=classes,
        metadata=metadata,
        hover_text=hover_text,
    )


def run_checkpoint_maps(
    out_dir,
    model: torch.nn.Module,
    checkpoints,
    probe,
    *,
    layers=None,
    loss_fn=None,
    batch_size: int = 256,
    k: int = 15,
    seed: int = 0,
    description=None,
    compare=(),
    html: bool = True,
    subspace_k: int = 10,
    progress: bool = True,
    classes=None,
    metadata=None,
    hover_text=None,
) -> dict:
    """The maps of a training run the user saved: one snapshot per file of ``checkpoints`` (in the
    order given), each loaded into ``model`` and run on ``probe`` (a pair (inputs, labels) or a
    DataLoader); figures, GIFs, GraphML maps, ``metrics.json`` and (``html``) ``maps.html`` go
    to ``out_dir``; ``compare`` as in :func:`run_structure_study`. ``subspace_k``: the probe's
    data-mode active subspace at each checkpoint (top k; 0: none), under ``loss_fn`` (default
    cross-entropy on the probe's labels). ``classes``, ``metadata``, ``hover_text``: for the
    page, as for :meth:`netscope.StructureMap.to_html` (one row or string per probe example).
    """
    compare = check_references(compare)
    subspace_k = check_int(subspace_k, "subspace_k", minimum=0)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tracker = ActivationTracker(model, probe, layers=layers, loss_fn=loss_fn, batch_size=batch_size)
    _check_page_extras(tracker.batches.n_examples, metadata, hover_text)
    subspace = None
    if subspace_k:
        try:
            subspace = SubspaceTracker(
                model, loss_fn or torch.nn.functional.cross_entropy, tracker.batches, n_components=subspace_k
            )
        except ValueError as error:
            raise ValueError(
                f"--loss: the probe's active subspace needs a loss of (outputs, labels); "
                f"{'the given loss' if loss_fn else 'cross-entropy, the default,'} fails ({error}); "
                "pass --loss, or --subspace-k 0"
            ) from error
    start = time.perf_counter()
    for path in tqdm(checkpoints, desc="checkpoints", unit="file", disable=not progress):
        load_weights(model, path)
        tracker.snapshot(label=Path(path).stem)
        if subspace is not None:
            subspace.snapshot(label=Path(path).stem)
    timings = {"tracking": time.perf_counter() - start}
    described: dict[str, Any] = {
        "dataset": {"probe": tracker.batches.n_examples},
        "model": description or {"class": type(model).__name__},
        "checkpoints": [str(path) for path in checkpoints],
    }
    model_name = described["model"].get("class", "model")
    summary = f"{model_name}: {len(checkpoints)} checkpoints, {tracker.batches.n_examples} probe examples."
    return write_maps(
        out_dir,
        tracker,
        described,
        timings,
        k=k,
        seed=seed,
        compare=compare,
        html=html,
        subspace=subspace,
        images=image_inputs(tracker.batches),
        summary=summary,
        classes=classes,
        metadata=metadata,
        hover_text=hover_text,
    )


def write_maps(
    out_dir: Path,
    tracker,
    described: dict,
    timings: dict,
    *,
    k: int,
    seed: int,
    compare=(),
    html: bool = True,
    subspace: SubspaceRecords | None = None,
    robustness: dict | None = None,
    images=None,
    summary: str = "",
    maps: StructureMap | None = None,
    classes=None,
    metadata=None,
    hover_text=None,
) -> dict:
    """Map every (layer, snapshot) the tracker (or a :class:`netscope.recording.RunFolder`)
    holds — or take ``maps``, fitted to them already —; write figures, GIFs, GraphML and
    ``metrics.json`` (``described`` merged in); with ``compare``, also the last snapshot of every
    layer drawn by netscope and those methods side by side (``compare.png``, ``metrics["compare"]``);
    with ``html``, the interactive page ``maps.html`` (with ``subspace``'s energies and spectra,
    ``robustness``'s scrambled points — ``{"mask", "true_labels", "kind"}`` —, ``images`` in
    the tooltips, the ``classes``' names, the ``metadata`` columns and the ``hover_text``);
    return the metrics.
    """
    if maps is None:
        start = time.perf_counter()
        maps = StructureMap(k=k, seed=seed).fit(tracker)
        timings["maps"] = time.perf_counter() - start
    placement = None
    if robustness is not None:
        placement = {
            layer: [
                scrambled_placement(
                    snapshot.activations[layer],
                    positions,
                    robustness["mask"],
                    maps.labels_,
                    robustness["true_labels"],
                    k=k,
                )
                for snapshot, positions in zip(tracker.snapshots, maps.positions_[layer])
            ]
            for layer in maps.layers_
        }

    start = time.perf_counter()
    figures = {
        "small_multiples.png": structure_plots.plot_small_multiples(maps),
        "sensitivity.png": structure_plots.plot_sensitivity(maps),
        "metrics.png": structure_plots.plot_metrics(maps),
    }
    last_layer = maps.layers_[-1]
    neurons = maps.neuron_maps_[last_layer][-1]
    figures["neuron_sample.png"] = structure_plots.plot_neuron_sample_map(
        neurons.positions,
        None if maps.labels_ is None else maps.labels_[neurons.samples],
        len(neurons.samples),
        title=f"{last_layer}: samples and their {neurons.top} most active neurons\n"
        f"({len(neurons.neurons)} of {neurons.width} neurons are some sample's top {neurons.top})",
    )
    for name, figure in figures.items():
        figure.savefig(out_dir / name, dpi=110)
        plt.close(figure)
    for layer in maps.layers_:
        structure_plots.animate_layer(maps, layer, out_dir / f"animation_{layer}.gif")
        maps.write_graphml(out_dir / f"map_{layer}.graphml", layer)
        maps.write_projector(out_dir / f"projector_{layer}", layer, tensors=tracker.snapshots[-1].activations[layer])
    timings["figures"] = time.perf_counter() - start
    if html:
        start = time.perf_counter()
        maps.to_html(
            out_dir / "maps.html",
            images=images,
            subspace=subspace,
            true_labels=None if robustness is None else robustness["true_labels"],
            scrambled=None if robustness is None else robustness["mask"],
            scramble_kind="labels" if robustness is None else robustness["kind"],
            placement=placement,
            classes=classes,
            metadata=metadata,
            hover_text=hover_text,
            summary=summary,
        )
        timings["page"] = time.perf_counter() - start

    compared = {}
    if compare:
        start = time.perf_counter()
        compared = {
            layer: compare_maps(tracker.snapshots[-1].activations[layer], compare, k=k, seed=seed)
            for layer in maps.layers_
        }
        figure = structure_plots.plot_comparison(compared, maps.labels_)
        figure.savefig(out_dir / "compare.png", dpi=110)
        plt.close(figure)
        timings["compare"] = time.perf_counter() - start

    claim = {}
    for layer in maps.layers_ if maps.labels_ is not None else ():  # the claim is about classes
        series = maps.metrics_[layer]
        if any(m.activation is None for m in series):
            continue
        ratio = [m.activation.ratio for m in series]
        layout_ratio = [m.layout.ratio for m in series]
        claim[layer] = {
            "activation_ratio_first": ratio[0],
            "activation_ratio_last": ratio[-1],
            "activation_ratio_trend": _trend(ratio),
            "layout_ratio_first": layout_ratio[0],
            "layout_ratio_last": layout_ratio[-1],
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
    if subspace is not None:
        metrics["subspace"] = {
            "k": subspace.n_components,
            "method": subspace.method,
            "eigenvalues": subspace.eigenvalues.tolist(),
            "mean_energy": subspace.energy.mean(axis=1).tolist(),
        }
        if maps.predictions_ is not None and maps.labels_ is not None:
            correct = maps.predictions_ == maps.labels_[None, :]
            metrics["subspace"]["mean_energy_correct"] = subspace.mean_energy(correct)
            metrics["subspace"]["mean_energy_wrong"] = subspace.mean_energy(~correct)
    if placement is not None:
        metrics["scrambled_placement"] = {layer: [p.to_dict() for p in series] for layer, series in placement.items()}
    if compared:
        metrics["compare"] = {
            layer: [{"method": c.method, "seconds": c.seconds, **c.fidelity.to_dict()} for c in runs]
            for layer, runs in compared.items()
        }
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2))
    return metrics


def run_recorded_maps(
    run_dir,
    out_dir=None,
    *,
    k: int = 15,
    seed: int = 0,
    compare=(),
    html: bool = True,
    classes=None,
    metadata=None,
    hover_text=None,
) -> dict:
    """The maps, metrics and page of a run folder that :class:`netscope.Recorder` wrote (while
    training goes on, or after), into ``out_dir`` (default ``RUN/maps``).

    The page takes the class names, metadata and hover text recorded with the run; ``classes``,
    ``metadata`` and ``hover_text``, where given, replace them (each on its own; forms as for
    :meth:`netscope.StructureMap.to_html`, one row or string per probe example).

    The fitted map is saved there (``structure_map.npz``); a later call with the same ``k`` and
    ``seed`` lays out only the snapshots recorded since, warm-started from that saved map
    (:meth:`netscope.StructureMap.extend`), and its result equals one call over all snapshots.
    Returns the metrics (``metrics["run"]`` tells how many snapshots were new). Cost: one map per
    new snapshot and layer, then the figures and the page of all of them.
    """
    run = RunFolder(run_dir)
    if not len(run):
        raise ValueError(f"run: {run.path} holds no snapshot yet; call recorder.step() during training first")
    classes = run.classes if classes is None else classes
    metadata = run.metadata if metadata is None else metadata
    hover_text = run.hover_text if hover_text is None else hover_text
    _check_page_extras(run.manifest["probe_size"], metadata, hover_text)
    out_dir = run.path / "maps" if out_dir is None else Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    saved_path = out_dir / "structure_map.npz"
    fresh = StructureMap(k=k, seed=seed)
    start = time.perf_counter()
    saved = StructureMap.load(saved_path) if saved_path.is_file() else None
    reusable = (
        saved is not None
        and saved.get_params() == fresh.get_params()
        and saved.layers_ == run.layers
        and len(saved.snapshot_labels_) <= len(run)
        and saved.snapshot_labels_ == [s.label for s in run.snapshots[: len(saved.snapshot_labels_)]]
    )
    before = len(saved.snapshot_labels_) if saved is not None and reusable else 0
    if saved is not None and before == len(run):
        maps = saved
    elif saved is not None and before:
        maps = saved.extend(run)
    else:
        maps = fresh.fit(run)
    maps.save(saved_path)
    timings = {"maps": time.perf_counter() - start}
    described = {
        "run": {
            "folder": str(run.path),
            "snapshots": len(run),
            "new_snapshots": len(run) - before,
            "model_class": run.manifest.get("model_class"),
            "netscope_version": run.manifest.get("netscope_version"),
        },
        "dataset": {"probe": run.manifest["probe_size"]},
    }
    summary = (
        f"{run.manifest.get('model_class', 'model')}: a recorded run of {len(run)} snapshots, "
        f"{run.manifest['probe_size']} probe examples."
    )
    return write_maps(
        out_dir,
        run,
        described,
        timings,
        k=k,
        seed=seed,
        compare=check_references(compare),
        html=html,
        subspace=run.subspace,
        images=run.images,
        summary=summary,
        maps=maps,
        classes=classes,
        metadata=metadata,
        hover_text=hover_text,
    )
