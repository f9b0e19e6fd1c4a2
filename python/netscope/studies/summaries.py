"""What ``netscope structure`` measured, typed: the :class:`MapsSummary` that
:func:`netscope.studies.structure.run_structure_study`, ``run_checkpoint_maps`` and
``run_recorded_maps`` return, the command line prints and ``metrics.json`` holds
(:meth:`MapsSummary.to_dict`, the file's JSON exactly).
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Union

import numpy as np

from .._result import Result
from ..structure.compare import ComparedMap
from ..structure.metrics import MapMetrics
from ..structure.robustness import ScrambledPlacement


def _trend(values) -> float:
    """Spearman rank correlation of ``values`` with time (+1: rises at every snapshot)."""
    ranks = np.argsort(np.argsort(values))
    steps = np.arange(len(values))
    return float(np.corrcoef(ranks, steps)[0, 1]) if len(values) > 2 else float(np.sign(values[-1] - values[0]))


class _ReadByKey:
    """``summary["key"]``, the form of the dicts these summaries were: deprecated."""

    def __getitem__(self, key: str):
        """Deprecated: ``summary["key"]``, as of the dict it was; read the attribute."""
        warnings.warn(
            f"{type(self).__name__}[{key!r}] is deprecated: it is a typed result now; read its attributes, "
            "or to_dict() for the JSON",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.to_dict()[key]  # type: ignore[attr-defined]


@dataclasses.dataclass(frozen=True)
class Accuracy(Result):
    """The built-in study's accuracy at one snapshot epoch: on the (possibly scrambled) training
    set and the held-out probe; with scrambled examples, on them against the labels they were
    given and their true ones.
    """

    epoch: int
    train: float
    probe: float
    scrambled_given: float | None = None
    scrambled_true: float | None = None

    def to_dict(self) -> dict:
        """As in metrics.json: the scrambled accuracies only where there are scrambled examples."""
        return {key: value for key, value in super().to_dict().items() if value is not None}


@dataclasses.dataclass(frozen=True)
class Scrambling(Result):
    """The training examples the built-in study scrambled: ``fraction``, ``kind`` ("labels" or
    "inputs") and ``count``.
    """

    fraction: float
    kind: str
    count: int


@dataclasses.dataclass(frozen=True)
class DigitsStudy(Result):
    """What the built-in study trained: an MLP of ``sizes`` (``activation``) on scikit-learn's
    digits (``train_size`` training, ``probe_size`` held-out probe images), its ``accuracy`` at
    each snapshot, and the ``scrambled`` examples (or None).
    """

    train_size: int
    probe_size: int
    sizes: list
    activation: str
    accuracy: list[Accuracy]
    scrambled: Scrambling | None = None

    def to_dict(self) -> dict:
        """metrics.json's ``dataset``, ``model``, ``accuracy`` (and ``scrambled``)."""
        described = {
            "dataset": {"name": "sklearn load_digits", "train": self.train_size, "probe": self.probe_size},
            "model": {"sizes": list(self.sizes), "activation": self.activation},
            "accuracy": [entry.to_dict() for entry in self.accuracy],
        }
        if self.scrambled is not None:
            described["scrambled"] = self.scrambled.to_dict()
        return described


@dataclasses.dataclass(frozen=True)
class SavedCheckpoints(Result):
    """A user's saved training run: ``checkpoints`` (paths, one snapshot each) of ``model`` (a
    description: its class, the factory), mapped on ``probe_size`` probe examples.
    """

    probe_size: int
    model: dict
    checkpoints: list[str]

    def to_dict(self) -> dict:
        """metrics.json's ``dataset``, ``model`` and ``checkpoints``."""
        return {"dataset": {"probe": self.probe_size}, "model": self.model, "checkpoints": list(self.checkpoints)}


@dataclasses.dataclass(frozen=True)
class RecordedRun(Result):
    """A run folder that :class:`netscope.Recorder` wrote: its ``folder``, ``snapshots`` (of them
    ``new_snapshots`` laid out by this call, the rest taken from the saved map), the recorded
    ``model_class`` and ``netscope_version``, and ``probe_size``.
    """

    folder: str
    snapshots: int
    new_snapshots: int
    model_class: str | None
    netscope_version: str | None
    probe_size: int

    def to_dict(self) -> dict:
        """metrics.json's ``run`` and ``dataset``."""
        run = {key: value for key, value in super().to_dict().items() if key != "probe_size"}
        return {"run": run, "dataset": {"probe": self.probe_size}}


Source = Union[DigitsStudy, SavedCheckpoints, RecordedRun]


@dataclasses.dataclass(frozen=True)
class ClassClaim(Result):
    """The seed's claim for one layer — classes move apart as the network learns: the
    inter/intra-class distance ratio of the activations and of the map at the first and last
    snapshot and its rank trend over time, the silhouette at both ends, and whether both ratios
    grew (``holds``).
    """

    activation_ratio_first: float
    activation_ratio_last: float
    activation_ratio_trend: float
    layout_ratio_first: float
    layout_ratio_last: float
    layout_ratio_trend: float
    silhouette_first: float
    silhouette_last: float
    holds: bool

    @classmethod
    def of(cls, series: list[MapMetrics]) -> ClassClaim | None:
        """The claim over one layer's metrics, or None where a snapshot measured no classes."""
        if any(m.activation is None or m.layout is None for m in series):
            return None
        ratio = [m.activation.ratio for m in series]  # type: ignore[union-attr]
        layout_ratio = [m.layout.ratio for m in series]  # type: ignore[union-attr]
        return cls(
            activation_ratio_first=ratio[0],
            activation_ratio_last=ratio[-1],
            activation_ratio_trend=_trend(ratio),
            layout_ratio_first=layout_ratio[0],
            layout_ratio_last=layout_ratio[-1],
            layout_ratio_trend=_trend(layout_ratio),
            silhouette_first=series[0].activation.silhouette,  # type: ignore[union-attr]
            silhouette_last=series[-1].activation.silhouette,  # type: ignore[union-attr]
            holds=bool(ratio[-1] > ratio[0] and layout_ratio[-1] > layout_ratio[0]),
        )


@dataclasses.dataclass(frozen=True)
class SubspaceSummary(Result):
    """The probe set's active subspace over the snapshots: top ``k`` by ``method``, its
    ``eigenvalues`` (T lists of k) and each snapshot's ``mean_energy``; where the model's
    predictions and the labels are known, the mean energy of the correctly and wrongly predicted
    samples.
    """

    k: int
    method: str
    eigenvalues: list
    mean_energy: list
    mean_energy_correct: list | None = None
    mean_energy_wrong: list | None = None

    def to_dict(self) -> dict:
        """As in metrics.json: the energies by outcome only where they were measured."""
        return {key: value for key, value in super().to_dict().items() if value is not None}


@dataclasses.dataclass(frozen=True)
class MapsSummary(_ReadByKey, Result):
    """What ``netscope structure`` measured and wrote, in every mode: the ``source`` (the
    built-in study, saved checkpoints or a recorded run), the ``snapshots``' labels, each
    layer's map ``metrics`` per snapshot, the ``claim`` per layer (layers with classes only), the
    ``timings_s`` of each stage, and where measured the probe's ``subspace``, the
    ``scrambled_placement`` per layer and snapshot, and the ``compare`` runs of other methods on
    each layer's last snapshot.

    :meth:`to_dict` is ``metrics.json``; ``summary["key"]`` (the dict it was) reads it, deprecated.
    """

    source: Source
    snapshots: list
    metrics: dict[str, list[MapMetrics]]
    claim: dict[str, ClassClaim]
    timings_s: dict[str, float]
    subspace: SubspaceSummary | None = None
    scrambled_placement: dict[str, list[ScrambledPlacement]] | None = None
    compare: dict[str, list[ComparedMap]] | None = None

    @property
    def probe_size(self) -> int:
        """The number of probe examples mapped."""
        return self.source.probe_size

    def to_dict(self) -> dict:
        """``metrics.json``, key for key."""
        metrics = {
            **self.source.to_dict(),
            "snapshots": list(self.snapshots),
            "layers": {layer: [m.to_dict() for m in series] for layer, series in self.metrics.items()},
            "claim_inter_grows_intra_shrinks": {layer: claim.to_dict() for layer, claim in self.claim.items()},
            "timings_s": dict(self.timings_s),
        }
        if self.subspace is not None:
            metrics["subspace"] = self.subspace.to_dict()
        if self.scrambled_placement is not None:
            metrics["scrambled_placement"] = {
                layer: [p.to_dict() for p in series] for layer, series in self.scrambled_placement.items()
            }
        if self.compare:
            metrics["compare"] = {
                layer: [{"method": c.method, "seconds": c.seconds, **c.fidelity.to_dict()} for c in runs]
                for layer, runs in self.compare.items()
            }
        return metrics
