"""Assemble the page: the maps' arrays quantised and packed (:mod:`.encoding`), the charts'
series, and the page's own HTML, CSS and JavaScript (``assets/``), in one file.
"""

from __future__ import annotations

import html
import json
import os
import warnings
from importlib import resources
from pathlib import Path

import numpy as np

# The metadata's checks live below the viewer, for the recorder too; PAGE_COLUMNS is re-exported from here.
from ..core._metadata import PAGE_COLUMNS, hover_strings, metadata_columns  # noqa: F401
from ..structure.results import MapResult
from .encoding import (
    ENERGY_LEVELS,
    POSITION_LEVELS,
    SENSITIVITY_LEVELS,
    as_images,
    encode,
    quantise_log,
    quantise_positions,
    quantise_unit,
    shown_range,
)

SCRAMBLE_KINDS = ("labels", "inputs")
# The page's JavaScript (assets/js/), inlined in this order: each file adds its part to one namespace,
# and each uses only the parts before it; interaction.js, last, starts the page.
SCRIPT_FILES = (
    "decode.js",
    "geometry.js",
    "search.js",
    "state.js",
    "table.js",
    "palette.js",
    "render.js",
    "webgl.js",
    "charts.js",
    "interaction.js",
)


def _series(name, values, *, dash=False, colour=None):
    return {
        "name": name,
        "values": [None if v is None else float(v) for v in values],
        "dash": dash,
        **({"colour": colour} if colour else {}),
    }


def _charts(metrics, placement, scramble_kind, energy_by_outcome) -> list:
    """The metric curves of one layer, one dict per chart (title and series over snapshots);
    the class-separation charts only where classes were measured (labels of two classes).
    """
    charts = (
        []
        if all(m.activation is None for m in metrics)
        else [
            {
                "title": "inter/intra-class distance (— activations, -- map)",
                "series": [
                    _series("activations", [m.activation.ratio for m in metrics]),
                    _series("map", [m.layout.ratio for m in metrics], dash=True),
                ],
            },
            {
                "title": "silhouette of the classes",
                "series": [
                    _series("activations", [m.activation.silhouette for m in metrics]),
                    _series("map", [m.layout.silhouette for m in metrics], dash=True),
                ],
            },
        ]
    )
    charts += [
        {
            "title": "map fidelity to the activations",
            "series": [
                _series("trustworthiness", [m.fidelity.trustworthiness for m in metrics]),
                _series("continuity", [m.fidelity.continuity for m in metrics]),
                _series("kNN preservation", [m.fidelity.knn_preservation for m in metrics]),
                _series(
                    "triplet accuracy",
                    [None if m.global_structure is None else m.global_structure.triplet_accuracy for m in metrics],
                    dash=True,
                ),
                _series(
                    "distance Spearman",
                    [None if m.global_structure is None else m.global_structure.distance_spearman for m in metrics],
                    dash=True,
                ),
            ],
        },
        {
            "title": "stability: map neighbours kept from the previous snapshot",
            "series": [
                _series(
                    "neighbours kept", [None if m.stability is None else m.stability.neighbours_kept for m in metrics]
                )
            ],
        },
    ]
    if energy_by_outcome is not None:
        charts.append(
            {
                "title": "mean active-subspace energy by prediction",
                "series": [
                    _series("correct", energy_by_outcome[0], colour="var(--correct)"),  # page.css's, per theme
                    _series("wrong", energy_by_outcome[1], colour="var(--wrong)"),
                ],
            }
        )
    if placement is not None and scramble_kind == "labels":
        charts.append(
            {
                "title": "scrambled points: neighbours (activations) of their …",
                "series": [
                    _series("given class", [p.given_share for p in placement]),
                    _series("true class", [p.true_share for p in placement], dash=True),
                ],
            }
        )
    elif placement is not None:  # corrupted inputs keep their labels: given and true are one class
        charts.append(
            {
                "title": "corrupted points: neighbours (activations) of their class",
                "series": [_series("own class", [p.true_share for p in placement])],
            }
        )
    return charts


def _neuron_view(view) -> dict:
    positions = view.positions - view.positions.min(axis=0)
    side = positions.max() or 1.0
    return {
        "samples": view.samples.tolist(),
        "neurons": view.neurons.tolist(),
        "top": view.top,
        "width": view.width,
        "positions": np.round(positions / side, 4).ravel().tolist(),
        "edges": view.edges.ravel().tolist(),
    }


def _class_indices(values, classes) -> np.ndarray:
    return np.searchsorted(classes, values).astype(np.uint16)


def _as_result(result) -> MapResult:
    """``result`` (a :class:`~netscope.structure.results.MapResult`) as it is; a fitted
    estimator that holds one (``result_``, the form taken before) with a DeprecationWarning.
    """
    if isinstance(result, MapResult):
        return result
    if isinstance(getattr(result, "result_", None), MapResult):
        warnings.warn(
            "a page of a fitted StructureMap is deprecated: pass its result_ (a MapResult), or call maps.to_html(path)",
            DeprecationWarning,
            stacklevel=3,
        )
        return result.result_
    raise TypeError(
        f"result must be the fitted maps' MapResult (StructureMap(...).fit(...).result_), got {type(result).__name__}"
    )


def write_page(path, result: MapResult, **options) -> Path:
    """Write :func:`page_html` of the fitted maps ``result`` (``options`` as there) to ``path``,
    through a temporary file renamed over it, so a half-written page never replaces a whole one.
    Returns the path. O(T n).
    """
    text = page_html(_as_result(result), **options)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
    return path


def page_html(
    result: MapResult,
    *,
    images=None,
    subspace=None,
    true_labels=None,
    scrambled=None,
    scramble_kind: str = "labels",
    placement=None,
    classes=None,
    metadata=None,
    hover_text=None,
    title: str = "netscope: maps of a training run",
    summary: str = "",
) -> str:
    """One self-contained HTML page of fitted maps, as text.

    Parameters
    ----------
    result : the fitted maps, a :class:`netscope.structure.results.MapResult` (a
        :class:`netscope.StructureMap`'s ``result_``; T snapshots of n points per layer; the
        fitted estimator itself, as before, is read with a DeprecationWarning). Its labels may be None
        (the page then colours by prediction, sensitivity or energy, not by class) or of any
        dtype: each distinct value is a class, named by its text unless ``classes`` names it.
    images : optional inputs shown in the tooltip: (n, h, w), (n, h, w, c), (n, c, h, w) or
        (n, h·w) with c 1 or 3, scaled to 0..255 over the whole array (stored 8-bit).
    subspace : optional :class:`netscope.active.tracking.SubspaceTracker` (its ``eigenvalues``
        (T, k), ``energy`` (T, n) and ``mean_energy``): colours the map by each sample's
        active-subspace energy, draws the spectrum of each snapshot and the mean energy of the
        correctly and wrongly predicted samples.
    true_labels, scrambled : optional (n,) labels and boolean mask of the points whose labels
        (``scramble_kind="labels"``) or inputs (``"inputs"``) were scrambled; the page rings them.
    placement : optional {layer: [ScrambledPlacement per snapshot]} — where the scrambled
        points sit (:func:`netscope.structure.robustness.scrambled_placement`), drawn as a chart.
    classes : optional sequence of names (str) of the classes, one per distinct value of the
        labels, true labels and predictions, in sorted order (default: each value's text).
    metadata : optional columns of facts about the points, for the page's search, tooltip,
        selection table and export: a mapping {name: sequence of n values} or a pandas
        DataFrame (row i is point i, its index ignored; netscope never imports pandas). Numbers stay numbers (finite, or
        NaN/None for missing), booleans stay booleans, anything else becomes text. Names are
        non-empty, hold no ':', '=', ',' or whitespace, differ without case, and are none of the
        page's own columns (:data:`PAGE_COLUMNS`). See :func:`netscope.core._metadata.metadata_columns`.
    hover_text : optional sequence of n strings, one per point, shown in its tooltip (e.g. the
        text of a text input). See :func:`netscope.core._metadata.hover_strings`.
    title, summary : text at the top and under the map.

    The page's data (its JSON) holds ``metadata`` as None or a list of ``{"name": str,
    "values": [n JSON scalars]}`` in the given column order, and ``hover_text`` as None or a
    list of n strings.

    The page holds everything, each array quantised as coarsely as it is shown
    (:mod:`netscope.viewer.encoding`: positions to 12 bits, sensitivities to 12 bits of their log
    range, energies to 3 decimals, images to 16 grey levels). O(T n), plus O(n) per metadata column.
    """
    result = _as_result(result)
    layers, T = result.names, len(result.snapshot_labels)
    labels = None if result.labels is None else np.asarray(result.labels)
    n = result.n_points if labels is None else len(labels)
    metadata, hover_text = metadata_columns(metadata, n), hover_strings(hover_text, n)
    if scramble_kind not in SCRAMBLE_KINDS:
        raise ValueError(f"scramble_kind must be one of {SCRAMBLE_KINDS}, got {scramble_kind!r}")
    if (scrambled is None) != (true_labels is None):
        raise ValueError("scrambled and true_labels go together: the mask of scrambled points and their true labels")
    if scrambled is not None:
        scrambled = np.asarray(scrambled, dtype=bool)
        true_labels = np.asarray(true_labels)
        if scrambled.shape != (n,) or true_labels.shape != (n,):
            raise ValueError(
                f"scrambled and true_labels must have shape ({n},), got {scrambled.shape} and {true_labels.shape}"
            )
    predictions = result.predictions
    values = [np.ravel(v) for v in (labels, true_labels, predictions) if v is not None]
    class_values = np.unique(np.concatenate(values)) if values else np.empty(0)
    if classes is None:
        classes = [v.item() if isinstance(v, np.generic) else v for v in class_values]
    elif len(classes) != len(class_values):
        raise ValueError(f"classes must name each of the {len(class_values)} distinct labels, got {len(classes)} names")
    eigenvalues = energy = None
    if subspace is not None:
        eigenvalues, energy = np.asarray(subspace.eigenvalues, dtype=np.float64), np.asarray(subspace.energy)
        if eigenvalues.ndim != 2 or len(eigenvalues) != T or energy.shape != (T, n):
            raise ValueError(
                f"subspace must hold one snapshot per map snapshot: eigenvalues (T={T}, k) and energy "
                f"({T}, {n}); got {eigenvalues.shape} and {energy.shape}"
            )
        if not np.all(np.isfinite(eigenvalues)):
            raise ValueError("subspace: eigenvalues hold NaN or inf")
    if placement is not None and set(placement) != set(layers):
        raise ValueError(f"placement must have an entry per layer {layers}, got {sorted(placement)}")
    energy_by_outcome = None
    if energy is not None and predictions is not None and labels is not None:
        correct = predictions == labels[None, :]
        energy_by_outcome = (subspace.mean_energy(correct), subspace.mean_energy(~correct))

    data = {
        "summary": summary,
        "n": n,
        "layers": list(layers),
        "snapshots": [str(s) for s in result.snapshot_labels],
        "classes": [str(c) for c in classes],
        "labels": None if labels is None else encode(_class_indices(labels, class_values)),
        "true_labels": None if true_labels is None else encode(_class_indices(true_labels, class_values)),
        "scrambled": None if scrambled is None else encode(scrambled.astype(np.uint8)),
        "scramble_kind": scramble_kind,
        "predictions": None if predictions is None else encode(_class_indices(predictions, class_values)),
        "energy": None if energy is None else encode(quantise_unit(energy)),
        "energy_shown": None if energy is None else shown_range(energy),
        "eigenvalues": None if eigenvalues is None else eigenvalues.tolist(),
        "metadata": metadata,
        "hover_text": hover_text,
        "images": None,
        "image_shape": None,
        "maps": {},
        "levels": {"position": POSITION_LEVELS, "sensitivity": SENSITIVITY_LEVELS, "energy": ENERGY_LEVELS},
    }
    if images is not None:
        pixels, shape = as_images(images, n)
        data["images"], data["image_shape"] = encode(pixels), shape
    for layer_maps in result.layers:
        q, _, _ = quantise_positions(np.stack(layer_maps.positions))  # the page draws shapes, not coordinates
        sensitivity, log_low, log_high, shown = quantise_log(np.stack(layer_maps.sensitivity))
        data["maps"][layer_maps.name] = {
            "positions": encode(q, delta=True),
            "sensitivity": encode(sensitivity),
            "log_lo": log_low,
            "log_hi": log_high,
            "shown": shown,
            "charts": _charts(
                layer_maps.metrics,
                None if placement is None else placement[layer_maps.name],
                scramble_kind,
                energy_by_outcome,
            ),
            "neurons": [_neuron_view(view) for view in layer_maps.neuron_maps] if layer_maps.neuron_maps else None,
        }

    assets = resources.files("netscope.viewer") / "assets"
    text = (assets / "page.html").read_text(encoding="utf-8")
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    for key, value in (
        ("{{TITLE}}", html.escape(title)),
        ("{{STYLE}}", (assets / "page.css").read_text(encoding="utf-8")),
        ("{{SCRIPT}}", "\n".join((assets / "js" / name).read_text(encoding="utf-8") for name in SCRIPT_FILES)),
    ):
        text = text.replace(key, value)
    return text.replace("{{DATA}}", payload)  # last: the data may hold any of the other markers
