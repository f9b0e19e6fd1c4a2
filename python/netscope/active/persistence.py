"""An :class:`netscope.ActiveSubspace` result on disk: one ``.npz`` (arrays and a JSON header), no
pickle; the gradients are not saved.
"""

from __future__ import annotations

import json

import numpy as np

from ..nn.parameters import ParameterLayout
from .solvers import SOLVERS


def save(estimator, path) -> None:
    """Write the fitted ``estimator`` to ``path``. O(D k)."""
    meta = {
        "method": estimator.method,
        "n_components": estimator.n_components,
        "full_spectrum": estimator.full_spectrum,
        "sketch_size": estimator.sketch_size,
        "sketch_dtype": estimator.sketch_dtype,
        "n_passes": estimator.n_passes,
        "n_samples": estimator.n_samples_,
        "n_parameters": estimator.n_parameters_,
        "sampling": estimator.sampling_,
        "timings": estimator.timings_,
        "layout": None if estimator.parameter_layout_ is None else estimator.parameter_layout_.to_dict(),
        "prior": None if estimator._prior is None else {k: v for k, v in estimator._prior.items() if k != "center"},
    }
    arrays = {
        "eigenvalues": estimator.eigenvalues_,
        "eigenvectors": estimator.eigenvectors_,
        "meta": np.array(json.dumps(meta)),
    }
    for name in ("losses", "residuals"):
        if getattr(estimator, name + "_") is not None:
            arrays[name] = getattr(estimator, name + "_")
    if estimator._prior is not None and estimator._prior["center"] is not None:
        arrays["prior_center"] = estimator._prior["center"]
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)


def load(cls, path):
    """A ``cls`` whose fitted attributes are read from ``path``; ValueError for a file that is no
    saved result.
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
            result.eigenvalues_ = archive["eigenvalues"]
            result.eigenvectors_ = archive["eigenvectors"]
            result.losses_ = archive["losses"] if "losses" in archive else None
            result.residuals_ = archive["residuals"] if "residuals" in archive else None
            center = archive["prior_center"] if "prior_center" in archive else None
    except (KeyError, ValueError, OSError) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise ValueError(f"path: {path} is not a saved ActiveSubspace ({error})") from None
    result.n_samples_ = meta["n_samples"]
    result.n_parameters_ = meta["n_parameters"]
    result.sampling_ = meta["sampling"]
    result.timings_ = meta["timings"]
    result.parameter_layout_ = None if meta["layout"] is None else ParameterLayout.from_dict(meta["layout"])
    result._prior = None if meta["prior"] is None else {**meta["prior"], "center": center}
    result.gradients_ = result.projections_ = result.layer_blocks_ = None
    result.stream_convergence_ = None
    return result
