"""The seed experiment of structural-visualization-nn.md for MLPs, and the maps of a user's saved training
run: ``netscope structure``. What every mode writes is :mod:`.map_outputs`'s; a recorded run folder's
maps are :mod:`.recorded`'s (``run_recorded_maps``, importable from here as before); what they return
is a :class:`~netscope.studies.summaries.MapsSummary`.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from ..active.tracking import SubspaceTracker
from ..core._validation import check_int
from ..nn.activations import ActivationTracker
from ..nn.data import image_inputs
from ..nn.user_code import load_weights
from ..structure.compare import check_references
from ..viewer.page import SCRAMBLE_KINDS
from .map_outputs import ScrambledPoints, check_page_extras, write_maps
from .models import digits, mlp_from_sizes, train_epoch
from .recorded import run_recorded_maps
from .summaries import Accuracy, DigitsStudy, MapsSummary, SavedCheckpoints, Scrambling

__all__ = ["run_checkpoint_maps", "run_recorded_maps", "run_structure_study", "scramble", "write_maps"]

DEFAULT_SIZES = (64, 128, 64, 32, 10)
DEFAULT_SNAPSHOTS = (0, 1, 2, 3, 5, 8, 13, 20, 30)


def _accuracy(model, x, y) -> float:
    was_training = model.training
    model.eval()
    with torch.no_grad():
        accuracy = float((model(x).argmax(dim=1) == y).float().mean())
    model.train(was_training)
    return accuracy


def _digits_class_names() -> list:
    """The names of scikit-learn's digits classes ("0" .. "9"), as strings."""
    from sklearn.datasets import load_digits

    return [str(name) for name in load_digits().target_names]


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
) -> MapsSummary:
    """Train an MLP on the digits, map every hidden layer at each snapshot epoch, write figures,
    GIFs, ``metrics.json`` and (``html``) the interactive page ``maps.html`` to ``out_dir``;
    return the :class:`~netscope.studies.summaries.MapsSummary` (``metrics.json`` is its
    ``to_dict()``; its ``source`` is a :class:`~netscope.studies.summaries.DigitsStudy`).
    ``compare`` ("umap", "tsne"): also draw the last snapshot with those methods
    (``compare.png``). ``subspace_k``: at each snapshot, the probe set's data-mode
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
    check_page_extras(len(probe_y), metadata, hover_text)
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
            train, probe = _accuracy(model, x_fit, y_fit), _accuracy(model, x_probe, y_probe)
            scrambled_accuracy = (
                {
                    "scrambled_given": _accuracy(model, x_fit[chosen], y_fit[chosen]),
                    "scrambled_true": _accuracy(model, x_fit[chosen], y_train[chosen]),
                }
                if len(chosen)
                else {}
            )
            accuracy.append(Accuracy(epoch=epoch, train=train, probe=probe, **scrambled_accuracy))
    timings["training_and_tracking"] = time.perf_counter() - start
    source = DigitsStudy(
        train_size=len(x_train),
        probe_size=len(x_probe),
        sizes=list(sizes),
        activation=activation,
        accuracy=accuracy,
        scrambled=Scrambling(fraction=scrambled, kind=scramble_kind, count=len(chosen)) if len(chosen) else None,
    )
    robustness = None
    if len(chosen):
        marked = np.zeros(len(probe_y), dtype=bool)
        marked[len(y_probe) :] = True
        robustness = ScrambledPoints(
            mask=marked, true_labels=torch.cat([y_probe, y_train[chosen]]).numpy(), kind=scramble_kind
        )
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
        source,
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
) -> MapsSummary:
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
    check_page_extras(tracker.batches.n_examples, metadata, hover_text)
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
    source = SavedCheckpoints(
        probe_size=tracker.batches.n_examples,
        model=description or {"class": type(model).__name__},
        checkpoints=[str(path) for path in checkpoints],
    )
    model_name = source.model.get("class", "model")
    summary = f"{model_name}: {len(checkpoints)} checkpoints, {tracker.batches.n_examples} probe examples."
    return write_maps(
        out_dir,
        tracker,
        source,
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
