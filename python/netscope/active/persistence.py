"""An :class:`netscope.ActiveSubspace` result on disk: one ``.npz`` (arrays and a JSON header), no
pickle; the gradients are not saved.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np

from ..nn.parameters import ParameterLayout
from .fitting import Fitted
from .solvers import SOLVERS

if TYPE_CHECKING:
    from .settings import FitSettings


def save(path, settings: FitSettings, fitted: Fitted) -> None:
    """Write a fitted result (the estimator's ``settings`` and what its fit found) to ``path``.
    O(D k).
    """
    prior = fitted.prior
    meta = {
        "method": settings.method,
        "n_components": settings.n_components,
        "full_spectrum": settings.full_spectrum,
        "sketch_size": settings.sketch_size,
        "sketch_dtype": settings.sketch_dtype,
        "n_passes": settings.n_passes,
        "n_samples": fitted.n_samples,
        "n_parameters": fitted.n_parameters,
        "sampling": fitted.sampling,
        "timings": fitted.timings,
        "layout": None if fitted.layout is None else fitted.layout.to_dict(),
        "prior": None if prior is None else {k: v for k, v in prior.items() if k != "center"},
    }
    arrays: dict[str, Any] = {
        "eigenvalues": fitted.eigenvalues,
        "eigenvectors": fitted.eigenvectors,
        "meta": np.array(json.dumps(meta)),
    }
    for name in ("losses", "residuals"):
        if getattr(fitted, name) is not None:
            arrays[name] = getattr(fitted, name)
    if prior is not None and prior["center"] is not None:
        arrays["prior_center"] = prior["center"]
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)


def load(cls, path):
    """``(estimator, fitted)``: a ``cls`` built with the parameters read from ``path`` and the
    fitted state it is to take; ValueError for a file that is no saved result.
    """
    try:
        with np.load(path, allow_pickle=False) as archive:
            meta = json.loads(str(archive["meta"]))
            solver = SOLVERS.get(meta["method"])
            replays = solver is not None and solver.capabilities.replays_stream
            result = cls(
                method=meta["method"],
                n_components=meta["n_components"],
                full_spectrum=meta["full_spectrum"],
                sketch_size=meta["sketch_size"],
                sketch_dtype=meta.get("sketch_dtype", "auto"),
                n_passes=meta.get("n_passes") if replays else None,
                progress=False,
            )
            eigenvalues, eigenvectors = archive["eigenvalues"], archive["eigenvectors"]
            losses = archive["losses"] if "losses" in archive else None
            residuals = archive["residuals"] if "residuals" in archive else None
            center = archive["prior_center"] if "prior_center" in archive else None
    except (KeyError, ValueError, OSError) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise ValueError(f"path: {path} is not a saved ActiveSubspace ({error})") from None
    fitted = Fitted(
        eigenvalues=eigenvalues,
        eigenvectors=eigenvectors,
        n_samples=meta["n_samples"],
        n_parameters=meta["n_parameters"],
        sampling=meta["sampling"],
        timings=meta["timings"],
        layout=None if meta["layout"] is None else ParameterLayout.from_dict(meta["layout"]),
        prior=None if meta["prior"] is None else {**meta["prior"], "center": center},
        gradients=None,
        losses=losses,
        stream_convergence=None,
        residuals=residuals,
    )
    return result, fitted
