"""What ``netscope structure`` writes in every mode, once the snapshots are recorded: the maps
(fitted here, or given), figures, GIFs, GraphML and projector files, the page, the comparison
with other methods, and ``metrics.json`` — returned as a typed
:class:`~netscope.studies.summaries.MapsSummary`.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from ..active.tracking import SubspaceRecords
from ..core._metadata import hover_strings, metadata_columns
from ..plotting import structure as structure_plots
from ..structure.compare import compare_maps
from ..structure.maps import StructureMap
from ..structure.robustness import scrambled_placement
from .summaries import ClassClaim, MapsSummary, Source, SubspaceSummary


@dataclasses.dataclass(frozen=True)
class ScrambledPoints:
    """The probe examples whose labels or inputs (``kind``) were scrambled in training: their
    ``mask`` (n,) bool and ``true_labels`` (n,), for the page and the placement chart.
    """

    mask: np.ndarray
    true_labels: np.ndarray
    kind: str


def check_page_extras(n: int, metadata, hover_text) -> None:
    """Refuse bad ``metadata`` and ``hover_text`` for ``n`` probe examples before any training
    or mapping, not when the page is written at the end. O(n) per column.
    """
    metadata_columns(metadata, n)
    hover_strings(hover_text, n)


def _subspace_summary(subspace: SubspaceRecords, maps: StructureMap) -> SubspaceSummary:
    """The probe's subspace over the snapshots, with the energy by outcome where the maps know
    the model's predictions and the labels. O(T n).
    """
    by_outcome = {}
    if maps.predictions_ is not None and maps.labels_ is not None:
        correct = maps.predictions_ == maps.labels_[None, :]
        by_outcome = {
            "mean_energy_correct": subspace.mean_energy(correct),
            "mean_energy_wrong": subspace.mean_energy(~correct),
        }
    return SubspaceSummary(
        k=subspace.n_components,
        method=subspace.method,
        eigenvalues=subspace.eigenvalues.tolist(),
        mean_energy=subspace.energy.mean(axis=1).tolist(),
        **by_outcome,
    )


def _figures(maps: StructureMap, tracker, out_dir: Path) -> None:
    """The figures, one GIF, GraphML map and projector folder per layer."""
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


def write_maps(
    out_dir: Path,
    tracker,
    source: Source,
    timings: dict,
    *,
    k: int,
    seed: int,
    compare=(),
    html: bool = True,
    subspace: SubspaceRecords | None = None,
    robustness: ScrambledPoints | None = None,
    images=None,
    summary: str = "",
    maps: StructureMap | None = None,
    classes=None,
    metadata=None,
    hover_text=None,
) -> MapsSummary:
    """Map every (layer, snapshot) the tracker (or a :class:`netscope.recording.RunFolder`)
    holds — or take ``maps``, fitted to them already —; write figures, GIFs, GraphML and
    ``metrics.json`` (the ``source`` described there); with ``compare``, also the last snapshot
    of every layer drawn by netscope and those methods side by side (``compare.png``,
    ``MapsSummary.compare``); with ``html``, the interactive page ``maps.html`` (with
    ``subspace``'s energies and spectra, ``robustness``'s scrambled points, ``images`` in the
    tooltips, the ``classes``' names, the ``metadata`` columns and the ``hover_text``); return
    the :class:`~netscope.studies.summaries.MapsSummary` (``metrics.json`` is its ``to_dict()``).
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
                    snapshot.activations[layer], positions, robustness.mask, maps.labels_, robustness.true_labels, k=k
                )
                for snapshot, positions in zip(tracker.snapshots, maps.positions_[layer])
            ]
            for layer in maps.layers_
        }

    start = time.perf_counter()
    _figures(maps, tracker, out_dir)
    timings["figures"] = time.perf_counter() - start
    if html:
        start = time.perf_counter()
        maps.to_html(
            out_dir / "maps.html",
            images=images,
            subspace=subspace,
            true_labels=None if robustness is None else robustness.true_labels,
            scrambled=None if robustness is None else robustness.mask,
            scramble_kind="labels" if robustness is None else robustness.kind,
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

    claims = {layer: ClassClaim.of(maps.metrics_[layer]) for layer in maps.layers_ if maps.labels_ is not None}
    result = MapsSummary(
        source=source,
        snapshots=maps.snapshot_labels_,
        metrics=maps.metrics_,
        claim={layer: claim for layer, claim in claims.items() if claim is not None},  # the claim is about classes
        timings_s=timings,
        subspace=None if subspace is None else _subspace_summary(subspace, maps),
        scrambled_placement=placement,
        compare=compared or None,
    )
    (out_dir / "metrics.json").write_text(json.dumps(result.to_dict(), indent=2))
    return result
