"""The active-subspace estimator: a facade over a fit's :mod:`.settings`, its :mod:`.plan` of reading
the gradients, the :mod:`.diagnostics`, the :mod:`.projection` and the file (:mod:`.persistence`).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch
from sklearn.base import BaseEstimator

from ..core._validation import check_int
from ..exceptions import check_fitted, check_kept
from ..nn.parameters import ParameterLayout
from . import diagnostics, persistence, projection
from .fitting import Fitted, attribute
from .notebook import active_subspace_html
from .plan import fit_chunks, fit_model
from .results import Bootstrap, Convergence, LayerImportance, LayerSpectra
from .settings import FitSettings
from .solvers import DEFAULT_PASSES, SOLVERS

__all__ = ["DEFAULT_PASSES", "ActiveSubspace"]

# What a result needs that a fit may not have kept, as its error message says.
GRADIENTS = "the gradients: fit with keep_gradients=True"


class ActiveSubspace(BaseEstimator):
    """Estimate the active subspace of a loss over a network's parameters.

    C = E[∇f ∇fᵀ] ≈ (1/N) Σ_j ∇f_j ∇f_jᵀ = Ŵ Λ̂ Ŵᵀ, from N per-sample gradients ∇f_j. Each parameter
    is described in full at :class:`netscope.active.settings.FitSettings`.

    Parameters
    ----------
    method : str — a name in :data:`netscope.active.solvers.SOLVERS`, whose classes say how each
        computes the eigenpairs from the (N, D) gradients G, at what cost (default: snapshots).
    n_components : int or None — eigenvectors to keep (k); None keeps all of them.
    full_spectrum : bool — also every eigenvalue (LAPACK, values only), where the method can.
    sketch_size : int or None — columns of the sketch or of each block (default 2k + 10).
    sketch_dtype : {"auto", "float64", "float32"} — their storage ("auto": float32 beyond 1 GiB).
    n_passes : int or None — passes over a replayed stream (default 6, at least 2).
    keep_gradients : bool — keep G (float32, N × D) for :meth:`bootstrap` and :meth:`convergence`.
    keep_projections : bool — without G, read the stream once more for ``projections_`` (N × k).
    layer_blocks : bool — without G, accumulate each layer's block of C for :meth:`layer_spectra`.
    chunk_size : int or None — samples per torch batch (default 256 prior, 1000 data).
    backend : {"auto", "vmap", "loop"} — how per-sample gradients are batched.
    progress : bool — show tqdm progress bars.

    Attributes
    ----------
    eigenvalues_ : ndarray (k,) or, with full_spectrum, (min(N, D),); descending
    eigenvectors_ : ndarray (D, k), orthonormal columns Ŵ; float64 (float32 from float32 sketch storage)
    parameter_layout_ : ParameterLayout
    n_samples_ : int
    gradients_ : ndarray (N, D) float32 or None
    projections_ : ndarray (N, k) float64 or None — with ``keep_projections``, Ŵᵀ g of every sample
    layer_blocks_ : LayerBlocks or None — with ``layer_blocks``, each layer's block of C
    losses_ : ndarray (N,) or None — the loss at each sample
    residuals_ : ndarray (k,) or None — after passes over the stream, ‖C v_i − λ_i v_i‖ of each pair
    stream_convergence_ : StreamConvergence or None — with ``fit(stream_sizes=...)``, the estimate along the stream
    timings_ : dict — wall seconds of each stage

    Parameters are stored as given (None resolved where used; ``get_params``, ``set_params``, ``clone``
    work) and checked together by ``__init__`` and ``set_params``. Notebooks show a fitted one's spectrum.
    """

    def __init__(
        self,
        method: str = "snapshot",
        n_components: int | None = None,
        *,
        full_spectrum: bool = False,
        sketch_size: int | None = None,
        sketch_dtype: str = "auto",
        n_passes: int | None = None,
        keep_gradients: bool = True,
        keep_projections: bool = False,
        layer_blocks: bool = False,
        chunk_size: int | None = None,
        backend: str = "auto",
        progress: bool = True,
    ):
        self.method = method
        self.n_components = n_components
        self.full_spectrum = full_spectrum
        self.sketch_size = sketch_size
        self.sketch_dtype = sketch_dtype
        self.n_passes = n_passes
        self.keep_gradients = keep_gradients
        self.keep_projections = keep_projections
        self.layer_blocks = layer_blocks
        self.chunk_size = chunk_size
        self.backend = backend
        self.progress = progress
        self._settings()  # checks the parameters together: fail at construction already

    def _settings(self, **fit_arguments) -> FitSettings:
        """The parameters (checked together) and a fit's arguments, as one :class:`FitSettings`."""
        return FitSettings(**self.get_params(deep=False), **fit_arguments)

    def set_params(self, **params) -> ActiveSubspace:
        """Set parameters, checked together: one refused leaves them as they were."""
        before = self.get_params(deep=False)
        super().set_params(**params)
        try:
            self._settings()
        except (TypeError, ValueError):
            super().set_params(**before)
            raise
        return self

    @property
    def _n_passes(self) -> int | None:
        """The passes a fit makes: ``n_passes`` with None resolved (None for a single pass)."""
        return self._settings().passes

    def fit(
        self,
        model: torch.nn.Module,
        loss_fn,
        data,
        *,
        n_samples: int | None = None,
        sampling: str = "prior",
        seed: int = 0,
        scale: float = 1.0,
        centered: bool = False,
        prior_batches: int | None = None,
        device=None,
        mode: str = "eval",
        checkpoint=None,
        checkpoint_every: int = 1000,
        resume: bool = False,
        stream_sizes=None,
        target_key: str | None = None,
    ):
        """Sample gradients of ``loss_fn(model(inputs), targets)`` (None: the model's own
        ``outputs.loss``) over ``data`` (a batch, or re-iterable batches: a ``DataLoader``) and
        estimate the subspace: ``sampling="prior"``, parameters drawn from N(c, scale² I); "data",
        one gradient per example at the model's parameters. Every argument in full:
        :class:`netscope.active.settings.FitSettings`. The fitted state changes only when the fit
        succeeds; returns ``self``. Cost: N forward/backward passes per read, then as ``method`` says.
        """
        # Every keyword argument of fit is a field of FitSettings.
        arguments = {k: v for k, v in locals().items() if k not in ("self", "model", "loss_fn", "data")}
        return self._assign(fit_model(self._settings(**arguments), model, loss_fn, data))

    def fit_gradients(self, chunks, *, layout: ParameterLayout | None = None):
        """Estimate the subspace from gradients you computed, (n, D) arrays; ``layout`` (optional)
        names the coordinates for :meth:`layer_importance` and the plots. Returns ``self``.
        """
        return self._assign(fit_chunks(self._settings(), chunks, layout))

    def _assign(self, fitted: Fitted) -> ActiveSubspace:
        """Take a fit's result as the fitted state, all at once."""
        for field in dataclasses.fields(Fitted):
            setattr(self, attribute(field.name), getattr(fitted, field.name))
        return self

    def _check_k(self, k, name="k"):
        check_fitted(self, "eigenvalues_")
        if k is None:
            return min(10, self.eigenvectors_.shape[1])
        return check_int(k, name, minimum=1, maximum=self.eigenvectors_.shape[1])

    def layer_importance(self, k: int | None = None) -> LayerImportance:
        """How much of the top-k eigenvectors lies on each layer (share, enrichment over the layer's
        share of parameters, each parameter kind's share). Default k: min(10, fitted). O(D k).
        """
        k = self._check_k(k)
        needs = "a parameter layout: fit() a model, or pass layout= to fit_gradients()"
        layout = check_kept(self.parameter_layout_, "layer_importance", needs)
        return diagnostics.layer_importance(layout, self.eigenvectors_, k)

    def layer_spectra(self, k: int | None = None) -> LayerSpectra:
        """Each layer's diagonal block of C: its top-k eigenvalues, its share of the trace, and the
        share of each global top-k direction on it; from the kept gradients, or else the blocks of
        ``layer_blocks`` (:func:`~netscope.active.diagnostics.fitted_layer_spectra`). Default k: min(10, fitted).
        """
        k = self._check_k(k)
        blocks, layout = self.layer_blocks_, self.parameter_layout_
        return diagnostics.fitted_layer_spectra(self.gradients_, blocks, layout, self.eigenvectors_, k)

    def transform(self, x) -> np.ndarray:
        """Coordinates ``Ŵᵀ x`` of parameter vectors x ((D,) or (n, D)) in the fitted subspace."""
        check_fitted(self, "eigenvalues_")
        return projection.coordinates(self.eigenvectors_, x, self.n_parameters_)

    def sample_energy(self, k: int | None = None, gradients=None) -> np.ndarray:
        """Each sample's share of its gradient in the top-k subspace, ‖Ŵ_kᵀ g‖² / ‖g‖² (N,), for
        ``gradients`` ((N, D) or (n, D) chunks; default the kept ones). O(N D k).
        """
        k = self._check_k(k)
        if gradients is None:
            gradients = check_kept(self.gradients_, "sample_energy (without gradients=)", GRADIENTS)
        return projection.sample_energy(self.eigenvectors_, k, gradients, self.n_parameters_)

    def sufficient_summary(self, n_active: int = 1):
        """``(active_variables (N, n_active), losses (N,))`` for a sufficient-summary plot: the prior
        samples regenerated and projected on the leading eigenvectors. Prior sampling only. O(N D n_active).
        """
        n_active = self._check_k(n_active, "n_active")
        if self._prior is None or self.losses_ is None:
            raise ValueError("sufficient_summary needs a fit with sampling='prior'")
        args = (self.parameter_layout_, self._prior, self.eigenvectors_[:, :n_active], self.n_samples_)
        return projection.active_variables(*args, self.n_parameters_, progress=self.progress), self.losses_

    def bootstrap(
        self, n_boot: int = 100, k: int | None = None, *, confidence: float = 0.95, seed: int = 0
    ) -> Bootstrap:
        """Intervals of the top-k eigenvalues and the bootstrap's subspace distances
        (:class:`~netscope.active.results.Bootstrap`). From the kept gradients: bias-corrected
        eigenvalues with held-out intervals (:func:`~netscope.active.diagnostics.heldout_intervals`,
        O(N D k)) and ``n_boot`` replicates resampled in the fitted span (O(N D K) once, then
        O(n_boot N K k)); or else from ``projections_``, basic bootstrap intervals in that span
        (:func:`~.diagnostics.bootstrap_projections`).
        """
        k, n_boot = self._check_k(k), check_int(n_boot, "n_boot", minimum=2)
        options = {"n_boot": n_boot, "k": k, "confidence": confidence, "seed": seed, "progress": self.progress}
        return diagnostics.fitted_bootstrap(
            self.gradients_, self.projections_, self.eigenvalues_, self.eigenvectors_, **options
        )

    def convergence(self, sizes=None, k: int | None = None) -> Convergence:
        """How the top-k estimate from the first n samples approaches the one from all N (the seed
        found n ≳ D is needed). Default sizes: a geometric grid from 2k to N. O(Σ n D k).
        """
        check_fitted(self, "eigenvalues_")
        G = check_kept(self.gradients_, "convergence", GRADIENTS)
        solved_from_rows = SOLVERS[self.method].capabilities.keeps_rows
        return diagnostics.convergence(
            G, self.eigenvalues_, self.eigenvectors_, sizes=sizes, k=self._check_k(k), solved_from_rows=solved_from_rows
        )

    def save(self, path) -> None:
        """Write the fitted result to an ``.npz`` file (no pickle; gradients are not saved)."""
        check_fitted(self, "eigenvalues_")
        fitted = Fitted(**{field.name: getattr(self, attribute(field.name)) for field in dataclasses.fields(Fitted)})
        persistence.save(path, self._settings(), fitted)

    @classmethod
    def load(cls, path) -> ActiveSubspace:
        """Read a result written by :meth:`save`. Diagnostics that need gradients are unavailable."""
        result, fitted = persistence.load(cls, path)
        return result._assign(fitted)

    def _repr_html_(self) -> str:
        """A notebook's view: N, D, the top eigenvalues, the leading layers and the spectrum (SVG)."""
        return active_subspace_html(self)

    def _repr_mimebundle_(self, **kwargs) -> dict:
        # Notebooks ask for this first; scikit-learn's own would show its estimator diagram.
        return {"text/plain": repr(self), "text/html": self._repr_html_()}
