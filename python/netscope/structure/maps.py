"""Structural maps of hidden representations, followed across training.

:class:`StructureMap` turns every (layer, snapshot) of a recording — an
:class:`netscope.nn.activations.ActivationTracker`, or arrays the user holds — into a 2-D map (kNN
graph of the activations, a start on their principal axes, force layout) where snapshot t + 1 starts from
snapshot t's positions and is aligned to them by orthogonal Procrustes, so points move smoothly;
and it measures what the maps show (class separation, silhouette, fidelity, stability). The
estimator is a small facade: :mod:`.inputs` reads what it is given, :mod:`.fitting` maps it,
:mod:`.results` holds the typed result (``result_``), :mod:`.storage` and :mod:`.exports` write it
out, and the page (:mod:`netscope.viewer`, which structure/ does not import) is reached through
:mod:`.display`. It reads arrays only: no torch here.
"""

from __future__ import annotations

import dataclasses
import html
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from sklearn.base import BaseEstimator

from ..core._validation import check_int
from ..core.layout import METHODS
from ..exceptions import check_fitted
from . import exports
from .alignment import procrustes_align  # noqa: F401  (read from here before it had a module)
from .display import page_functions
from .fitting import WARM_LEARNING_RATE, fit_maps  # noqa: F401  (WARM_LEARNING_RATE: read from here before)
from .inputs import DEFAULT_LAYER, Recording, is_tracker, read_recording
from .results import MapResult
from .storage import load_map, save_map

# The largest page (bytes of HTML) a notebook cell shows inline: a cell's output lives in the
# notebook file and the browser's memory, and past a few tens of MB both slow to a crawl.
INLINE_PAGE_LIMIT = 20 * 2**20


class StructureMap(BaseEstimator):
    """2-D maps of every watched layer at every snapshot, and what they show.

    Parameters
    ----------
    k : int — neighbours in the kNN graph of the activations.
    metric : "euclidean" or "cosine".
    symmetrize : True (default) or "mutual" — how the kNN relation becomes an undirected graph
        (:func:`netscope.knn_graph`).
    method : "neighbor_embedding" (default) or "fruchterman_reingold" — the forces of
        :func:`netscope.force_layout`; the default kept neighbourhoods best (bench/bench_maps.py).
    n_iter : int or None — layout iterations for the first snapshot (from the spectral layout);
        None: the method's default for the number of points
        (:func:`netscope.core.layout.default_iterations`). Later snapshots start from the previous map and take
        ``n_iter_warm`` (None: a quarter of the first's for the neighbour embedding, half for
        Fruchterman–Reingold; ``netscope.structure.fitting.WARM_SHARE``).
    seed : int
    neuron_samples : int — samples drawn in each (layer, snapshot)'s neuron × sample map
        (:func:`netscope.structure.neuron_sample.neuron_sample_map`, the page's neuron view);
        0: no neuron maps.

    The parameters are stored as given (scikit-learn's convention: ``get_params``,
    ``set_params`` and ``sklearn.base.clone`` work) and resolved in :meth:`fit`.

    After :meth:`fit` (set only when a fit succeeds): ``result_``, a
    :class:`~netscope.structure.results.MapResult` (one
    :class:`~netscope.structure.results.LayerMaps` per layer), which the page
    (:func:`netscope.viewer.write_page`) takes; and, read from it: ``layers_``,
    ``labels_`` (n,) or None, ``snapshot_labels_``, ``positions_[layer][t]`` (n, 2) float64,
    ``graphs_[layer][t]`` (CSR), ``sensitivity_[layer][t]`` (n,) float64, ``predictions_``
    (T, n) int64 or None (the model's predicted class at each snapshot), ``neuron_maps_[layer][t]``
    (a :class:`~netscope.structure.neuron_sample.NeuronSampleMap`), ``metrics_[layer][t]`` — a
    :class:`netscope.structure.metrics.MapMetrics`: ``layout`` and ``activation`` class
    separation (``inter``, ``intra``, ``ratio``, ``silhouette``; None without two classes),
    ``knn_preservation``, ``fidelity`` and ``stability``. Those attributes are read-only views,
    built anew at each read (dicts of lists, as they were before ``result_``).
    """

    # What fit sets (an annotation only: an unfitted map has no result_).
    result_: MapResult

    def __init__(
        self,
        k: int = 15,
        *,
        metric: str = "euclidean",
        symmetrize=True,
        method: str = "neighbor_embedding",
        n_iter: int | None = None,
        n_iter_warm: int | None = None,
        seed: int = 0,
        neuron_samples: int = 500,
    ):
        self.k = k
        self.metric = metric
        self.symmetrize = symmetrize
        self.method = method
        self.n_iter = n_iter
        self.n_iter_warm = n_iter_warm
        self.seed = seed
        self.neuron_samples = neuron_samples
        # Fail at construction already; fit checks again, as set_params may have changed them.
        self._resolved_params()

    def _resolved_params(self) -> dict:
        """The parameters checked; ``n_iter`` and ``n_iter_warm`` stay None for :func:`.fitting.fit_maps`
        to resolve, as their defaults depend on the number of points.
        """
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}")
        return {
            "k": check_int(self.k, "k", minimum=1),
            "n_iter": None if self.n_iter is None else check_int(self.n_iter, "n_iter", minimum=0),
            "n_iter_warm": None if self.n_iter_warm is None else check_int(self.n_iter_warm, "n_iter_warm", minimum=0),
            "seed": check_int(self.seed, "seed", minimum=0),
            "neuron_samples": check_int(self.neuron_samples, "neuron_samples", minimum=0),
        }

    def fit(self, snapshots, labels=None, snapshot_labels=None, sensitivity=None) -> StructureMap:
        """Build the map of every (layer, snapshot), with its metrics (class separation, fidelity
        to the activations, stability against the previous snapshot).

        Parameters
        ----------
        snapshots : what to map — an :class:`netscope.ActivationTracker` (its layers, snapshots
            and labels; pass nothing else then); a list of (n, d) arrays (one layer, named
            "layer", over time); a mapping layer name -> list of (n, d) arrays (the same n
            everywhere, the same number of snapshots per layer); or one (n, d) array (one
            snapshot). Anything ``np.asarray`` takes: numpy arrays, CPU tensors; float32 and
            float64 are read in place. At least 3 points, all finite.
        labels : None or (n,) classes of the points — integers or strings (class names); None:
            no class separation is measured and the page colours by the other modes.
        snapshot_labels : None or T labels (strings or numbers) of the snapshots; None: 0..T-1.
        sensitivity : None or per-point sensitivities in the form of ``snapshots`` ((n,) arrays
            where it has (n, d) ones); None: zeros.

        Cost per map: one kNN graph (O(n² d) exact, up to 10 000 points), one force layout, and
        O(min(n, 2000) n log n) metrics.
        """
        return self._fit(read_recording(snapshots, labels, snapshot_labels, sensitivity))

    def fit_transform(self, X, labels=None) -> np.ndarray:
        """Fit on one (n, d) array ``X`` (one snapshot of one layer, as UMAP's ``fit_transform``)
        and return its map, (n, 2) float64. ``labels`` as in :meth:`fit`. Cost as one map of
        :meth:`fit`.
        """
        self._fit(read_recording(X, labels, argument="X", form="array"))
        return self.result_.layer(DEFAULT_LAYER).positions[0]

    def extend(self, snapshots, snapshot_labels=None, sensitivity=None) -> StructureMap:
        """Map snapshots that follow the fitted ones, each warm-started from the map before it
        (the last fitted one first), as :meth:`fit` would have mapped them in one call: a fit
        over T snapshots and then ``extend`` with U more equals a fit over all T + U.

        ``snapshots`` as for :meth:`fit`, holding the new snapshots only — except a tracker (or
        a :class:`netscope.recording.RunFolder`) that has grown since the fit: then its
        snapshots past the T already mapped are the new ones. The layers, the points and the
        labels must be the fitted ones. Cost: as :meth:`fit` for the U new maps.
        """
        fitted = self._fitted()
        T = len(fitted.snapshot_labels)
        if is_tracker(snapshots):
            if len(snapshots.snapshots) <= T:
                raise ValueError(
                    f"snapshots: the tracker holds {len(snapshots.snapshots)} snapshots, none past the "
                    f"{T} already mapped"
                )
            labels = snapshots.labels
            snapshots = SimpleNamespace(layers=snapshots.layers, labels=labels, snapshots=snapshots.snapshots[T:])
            recording = read_recording(snapshots)
        else:
            recording = read_recording(snapshots, None, snapshot_labels, sensitivity)
            recording = dataclasses.replace(
                recording,
                labels=fitted.labels,
                snapshot_labels=(
                    [T + t for t in recording.snapshot_labels] if snapshot_labels is None else recording.snapshot_labels
                ),
            )
        if list(recording.activations) != fitted.names:
            raise ValueError(
                f"snapshots: the layers {list(recording.activations)} differ from the fitted {fitted.names}"
            )
        n, given = fitted.n_points, len(next(iter(recording.activations.values()))[0])
        if given != n:
            raise ValueError(f"snapshots: the new snapshots hold {given} points, the fitted maps {n}")
        if not np.array_equal(np.asarray(recording.labels), np.asarray(fitted.labels)):
            raise ValueError("snapshots: the labels differ from the fitted maps'; extend maps the same points")
        if (recording.predictions is None) != (fitted.predictions is None):
            raise ValueError(
                "snapshots: the new snapshots "
                + ("lack" if recording.predictions is None else "hold")
                + " predictions where the fitted ones "
                + ("hold" if recording.predictions is None else "lack")
                + " them"
            )
        return self._fit(recording, after=fitted)

    def _fit(self, recording: Recording, after: MapResult | None = None) -> StructureMap:
        """Map ``recording``; with ``after`` (the fitted maps of the same points), as the snapshots
        that follow its own, warm-started from its last maps and appended to them.
        """
        self.result_ = fit_maps(
            recording,
            metric=self.metric,
            symmetrize=self.symmetrize,
            method=self.method,
            after=after,
            **self._resolved_params(),
        )
        return self

    def _fitted(self) -> MapResult:
        """``result_``, or :class:`netscope.NotFittedError` before a fit."""
        check_fitted(self, "result_")
        return self.result_

    # The fitted attributes of before, as views of result_ (read-only: each read builds them anew).
    @property
    def layers_(self) -> list[str]:
        """The mapped layers' names, in order."""
        return self._fitted().names

    @property
    def labels_(self) -> np.ndarray | None:
        """(n,) classes of the points, or None."""
        return self._fitted().labels

    @property
    def snapshot_labels_(self) -> list:
        """The T snapshots' labels (strings or numbers)."""
        return list(self._fitted().snapshot_labels)

    @property
    def predictions_(self) -> np.ndarray | None:
        """(T, n) int64: the model's predicted class at each snapshot; or None."""
        return self._fitted().predictions

    @property
    def positions_(self) -> dict[str, list[np.ndarray]]:
        """``positions_[layer][t]``: (n, 2) float64."""
        return self._fitted().by_layer("positions")

    @property
    def graphs_(self) -> dict[str, list]:
        """``graphs_[layer][t]``: the kNN graph of the activations, CSR (n, n)."""
        return self._fitted().by_layer("graphs")

    @property
    def sensitivity_(self) -> dict[str, list[np.ndarray]]:
        """``sensitivity_[layer][t]``: (n,) float64."""
        return self._fitted().by_layer("sensitivity")

    @property
    def metrics_(self) -> dict[str, list]:
        """``metrics_[layer][t]``: a :class:`~netscope.structure.metrics.MapMetrics`."""
        return self._fitted().by_layer("metrics")

    @property
    def neuron_maps_(self) -> dict[str, list]:
        """``neuron_maps_[layer][t]``: a :class:`~netscope.structure.neuron_sample.NeuronSampleMap`
        ({} when fitted with ``neuron_samples=0``).
        """
        return self._fitted().by_layer("neuron_maps")

    def save(self, path) -> Path:
        """Write the fitted maps to ``path`` (conventionally ``.npz``) in netscope's pickle-free
        format (:mod:`netscope.structure.storage`), atomically. Returns the path. O(T n k).
        """
        self._fitted()
        return save_map(self, path)

    @classmethod
    def load(cls, path) -> StructureMap:
        """The fitted maps :meth:`save` wrote to ``path``; ValueError for a file that is not one,
        or one from a newer netscope. O(T n k).
        """
        return load_map(path, cls)

    def to_networkx(self, layer: str, snapshot: int = -1):
        """The map of ``layer`` at ``snapshot`` as a networkx Graph: edge ``weight``, node ``x``,
        ``y``, ``sensitivity`` and (with labels) ``label`` attributes (GraphML-ready, for Gephi).
        """
        return exports.to_networkx(self._fitted(), layer, snapshot)

    def write_graphml(self, path, layer: str, snapshot: int = -1) -> None:
        """Write :meth:`to_networkx` to a GraphML file."""
        import networkx as nx

        nx.write_graphml(self.to_networkx(layer, snapshot), path)

    def write_projector(self, folder, layer: str, snapshot: int = -1, tensors=None) -> Path:
        """Write the map of ``layer`` at ``snapshot`` in TensorBoard's projector format to
        ``folder`` (:func:`netscope.structure.exports.write_projector`: ``tensors.tsv`` —
        ``tensors``, e.g. the activations (n, d), or by default the 2-D map —, ``metadata.tsv``
        and ``projector_config.pbtxt``). Returns the folder. O(n d).
        """
        return exports.write_projector(self._fitted(), folder, layer, snapshot, tensors)

    def to_html(
        self,
        path,
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
    ) -> Path:
        """Write the maps as one self-contained, offline HTML page (:func:`netscope.viewer.write_page`):
        layer selector, snapshot slider with play/pause and interpolated motion, hover tooltips
        (with the input where ``images`` is given), colour by class, by prediction, by
        sensitivity and by active-subspace energy (``subspace``, a
        :class:`netscope.active.tracking.SubspaceTracker`), pinned paths, the metric curves, the
        spectrum and the neuron × sample view; ``true_labels``, ``scrambled`` and ``placement``
        mark scrambled points and chart where they sit. ``classes`` names the classes (one name
        per distinct label, in sorted order); ``metadata`` — a mapping {name: sequence of n
        values} or a pandas DataFrame of n rows — adds columns that the page searches, shows in
        the tooltip and the selection table and exports; ``hover_text`` (n strings) is shown in
        each point's tooltip. Arguments as for :func:`netscope.viewer.page.page_html`. Returns
        the path. O(T n) to encode, plus O(n) per metadata column.

        The same as ``netscope.viewer.write_page(path, maps.result_, ...)``: the package installs
        the viewer's page here (:mod:`netscope.structure.display`), as structure/ imports no viewer.
        """
        return page_functions().write_page(
            path,
            self._fitted(),
            images=images,
            subspace=subspace,
            true_labels=true_labels,
            scrambled=scrambled,
            scramble_kind=scramble_kind,
            placement=placement,
            classes=classes,
            metadata=metadata,
            hover_text=hover_text,
            title=title,
            summary=summary,
        )

    def _repr_html_(self) -> str:
        """A notebook's view: the page of a fitted map inline (an ``<iframe srcdoc>``), or a
        note on how to write it to a file when it exceeds ``INLINE_PAGE_LIMIT`` bytes; an unfitted
        map shows its parameters. O(T n) to encode.
        """
        if not hasattr(self, "result_"):
            return f"<pre>{html.escape(repr(self))}</pre>"
        page = page_functions().page_html(self.result_)
        size = len(page.encode("utf-8"))
        if size > INLINE_PAGE_LIMIT:
            return (
                f"<p><code>{html.escape(repr(self))}</code>: its page is {size / 2**20:.1f} MB, more than a "
                f"notebook shows inline ({INLINE_PAGE_LIMIT / 2**20:.0f} MB). Write it to a file and open that "
                f'in a browser: <code>maps.to_html("maps.html")</code>.</p>'
            )
        # sandbox: the page's script runs, without access to the notebook that holds it.
        return (
            f'<iframe srcdoc="{html.escape(page, quote=True)}" sandbox="allow-scripts" '
            f'style="width: 100%; height: 1000px; border: 0" title="netscope maps"></iframe>'
        )

    def _repr_mimebundle_(self, **kwargs) -> dict:
        # Notebooks ask for this first; scikit-learn's own would show its estimator diagram.
        return {"text/plain": repr(self), "text/html": self._repr_html_()}
