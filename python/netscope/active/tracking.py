"""The active subspace of a probe set, followed across training: which samples drive the leading
parameter directions at each snapshot.

:class:`SubspaceTracker` fits, at every :meth:`~SubspaceTracker.snapshot`, the data-mode active
subspace of the probe set at the model's current parameters (one loss gradient per probe
example, the empirical Fisher C = (1/n) Σ g_i g_iᵀ) and each example's projection energy
‖U_kᵀ g_i‖² / ‖g_i‖², next to :class:`netscope.ActivationTracker`'s activations of the same
examples; :meth:`netscope.StructureMap.to_html` colours the maps by it.
"""

from __future__ import annotations

import numpy as np
import torch

from ..core._validation import check_int
from ..nn.data import as_batches, batch_to, model_device
from ..nn.gradients import data_gradients
from ..nn.modes import modes
from ..nn.outputs import Objective
from ..nn.parameters import ParameterLayout
from .estimator import ActiveSubspace
from .solvers import SOLVERS

# The probe's (n, D) float32 gradients are kept for the energies while they fit in this many
# bytes (the "randomized" method: block Krylov on G, O(n D k)); beyond, a Nyström sketch and a
# second pass over the probe set.
KEPT_GRADIENT_BYTES = 2**30


def _check_loss(model, objective: Objective, batches, device) -> None:
    """ValueError unless the loss is a scalar on the probe's first two examples: a loss that
    does not fit the labels fails here, before any snapshot. One small forward pass.
    """
    if objective.needs_targets:
        batches.require_targets("loss_fn")
    _, inputs, targets = next(iter(batches.pieces(2)))
    with modes(model, "eval"), torch.no_grad():
        inputs, targets = batch_to(model_device(model, device), inputs, targets)
        args, kwargs = objective.arguments(inputs, targets)
        try:
            objective(model(*args, **kwargs), targets)
        except ValueError:
            raise
        except Exception as error:  # whatever the user's loss raises on these outputs and labels
            raise ValueError(
                f"loss_fn fails on the probe's outputs and labels: {type(error).__name__}: {error}"
            ) from error


class SubspaceRecords:
    """Snapshots of a probe set's active subspace: ``snapshots`` is a list of ``{"label",
    "eigenvalues" (k,), "energy" (n,)}``, one per snapshot, of the top ``n_components``
    directions found by ``method``. :class:`SubspaceTracker` makes them; a recorded run folder
    (:class:`netscope.recording.RunFolder`) reads them back.
    """

    def __init__(self, n_components: int, method: str, snapshots=None):
        self.n_components, self.method = n_components, method
        self.snapshots = [] if snapshots is None else list(snapshots)

    @property
    def eigenvalues(self) -> np.ndarray:
        """(T, k) float64: the top-k eigenvalues at each snapshot, descending."""
        return np.stack([s["eigenvalues"] for s in self.snapshots])

    @property
    def energy(self) -> np.ndarray:
        """(T, n) float64: each probe example's share of its gradient in the top-k subspace."""
        return np.stack([s["energy"] for s in self.snapshots])

    def mean_energy(self, where) -> list:
        """Mean energy at each snapshot over the examples ``where`` (T, n) marks (e.g. the wrongly
        predicted ones), None at a snapshot where it marks none: T floats. O(T n).
        """
        energy = self.energy
        where = np.asarray(where, dtype=bool)
        if where.shape != energy.shape:
            raise ValueError(f"where must mark examples per snapshot, shape {energy.shape}; got {where.shape}")
        return [float(e[w].mean()) if w.any() else None for e, w in zip(energy, where)]


class SubspaceTracker(SubspaceRecords):
    """Record the top-k active subspace of a probe set's per-example loss gradients at each
    snapshot.

    Parameters
    ----------
    model : torch.nn.Module
    loss_fn : callable(outputs, targets) -> scalar tensor (a mean over the batch, as torch's
        losses are by default), e.g. ``torch.nn.functional.cross_entropy``; or None: the model's
        own ``outputs.loss`` (as for :meth:`netscope.ActiveSubspace.fit`).
    data : the probe set: one batch or a re-iterable of batches in a fixed order (as for
        :class:`netscope.ActivationTracker`).
    n_components : int — k, the leading directions whose energy is measured (default 10).
    device, backend, chunk_size, target_key : as for :class:`netscope.ActiveSubspace`.

    Each :meth:`snapshot` appends the top-k eigenvalues and the n energies; ``eigenvalues``
    (T, k) and ``energy`` (T, n) stack them. Cost per snapshot: n per-example gradients
    (O(n) forward/backward passes), then O(n D k) for the eigenpairs (randomized block Krylov)
    while the n × D float32 gradients fit in ``KEPT_GRADIENT_BYTES`` (1 GiB), else a sketch
    (O(n D s)) and a second gradient pass for the energies.
    """

    def __init__(
        self,
        model: torch.nn.Module,
        loss_fn,
        data,
        *,
        n_components: int = 10,
        device=None,
        backend: str = "auto",
        chunk_size: int | None = None,
        target_key: str | None = None,
    ):
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        objective = Objective(loss_fn, target_key)
        n_components = check_int(n_components, "n_components", minimum=1)
        self.batches = as_batches(data, "data", target_key)
        if self.batches.shuffles:
            raise ValueError(
                "data: the probe loader shuffles, but the energies follow each example across "
                "snapshots; use shuffle=False"
            )
        _check_loss(model, objective, self.batches, device)
        n_parameters = ParameterLayout.from_module(model).n_parameters
        keeps = self.batches.n_examples * n_parameters * 4 <= KEPT_GRADIENT_BYTES
        super().__init__(n_components, "randomized" if keeps else "sketch")
        self.model, self.loss_fn, self.device, self.backend, self.chunk_size = (
            model,
            loss_fn,
            device,
            backend,
            chunk_size,
        )

    def snapshot(self, label=None) -> dict:
        """Fit the probe set's subspace at the model's current parameters; returns and keeps
        ``{"label", "eigenvalues" (k,), "energy" (n,)}``.
        """
        k = min(self.n_components, self.batches.n_examples)
        keeps = SOLVERS[self.method].capabilities.keeps_rows
        estimator = ActiveSubspace(
            self.method,
            n_components=k,
            keep_gradients=keeps,
            chunk_size=self.chunk_size,
            backend=self.backend,
            progress=False,
        )
        estimator.fit(
            self.model,
            self.loss_fn,
            self.batches,
            sampling="data",
            device=self.device,
            target_key=self.batches.target_key,
        )
        if keeps:
            energy = estimator.sample_energy(k)
        else:
            stream = data_gradients(
                self.model,
                self.loss_fn,
                self.batches,
                device=self.device,
                backend=self.backend,
                target_key=self.batches.target_key,
                chunk_size=self.chunk_size or 1000,
                progress=False,
            )
            energy = estimator.sample_energy(k, (gradients for _, gradients, _ in stream))
        record = {
            "label": label if label is not None else len(self.snapshots),
            "eigenvalues": estimator.eigenvalues_[:k].copy(),
            "energy": energy,
        }
        self.snapshots.append(record)
        return record
