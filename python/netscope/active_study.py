"""The seed experiment of active-subspaces-nn.md, end to end: ``netscope active-subspace``."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch

from . import active_plots
from .active import ActiveSubspace
from .models import mlp, regression_1d


def mlp_parameter_count(n_inputs: int, width: int, depth: int, n_outputs: int) -> int:
    return (n_inputs + 1) * width + (depth - 1) * (width + 1) * width + (width + 1) * n_outputs


def run_active_subspace_study(out_dir, *, n_samples: int = 10_000, depth: int = 5, width: int = 35,
                              activation: str = "tanh", method: str = "snapshot", seed: int = 0,
                              n_boot: int = 50, k: int = 10, n_vectors: int = 100,
                              progress: bool = True) -> dict:
    """Reproduce the seed: the active subspace of an MLP's loss under a standard-normal prior.

    An MLP 1 → ``depth`` × ``width`` → 1 (5 146 parameters by default) on a generated 1-D
    regression set of 256 points; ``n_samples`` prior samples; every eigenvalue and the leading
    ``n_vectors`` eigenvectors; layer importance, bootstrap and convergence of the top-``k``
    subspace; five figures and ``summary.json`` in ``out_dir``. Returns the summary.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    timings = {}
    torch.manual_seed(seed)
    model = mlp(1, width, depth, 1, activation)
    data = regression_1d(256, seed=seed)
    n_parameters = sum(p.numel() for p in model.parameters())
    expected = mlp_parameter_count(1, width, depth, 1)
    assert n_parameters == expected, f"the MLP has {n_parameters} parameters, expected {expected}"

    full_spectrum = method != "randomized"
    study = ActiveSubspace(method=method, n_components=min(n_vectors, n_samples, n_parameters),
                           full_spectrum=full_spectrum, progress=progress)
    study.fit(model, torch.nn.MSELoss(), data, n_samples=n_samples, sampling="prior", seed=seed)
    timings["gradients"] = study.timings_["gradients"]
    timings["eigendecomposition"] = study.timings_["eigendecomposition"]

    k = min(k, study.eigenvectors_.shape[1])
    start = time.perf_counter()
    importance = study.layer_importance(k)
    timings["layer_importance"] = time.perf_counter() - start
    start = time.perf_counter()
    bootstrap = study.bootstrap(n_boot=n_boot, k=k, seed=seed)
    timings["bootstrap"] = time.perf_counter() - start
    start = time.perf_counter()
    convergence = study.convergence(k=k)
    timings["convergence"] = time.perf_counter() - start

    start = time.perf_counter()
    figures = {
        "eigenvalues.png": active_plots.plot_eigenvalues(study),
        "eigenvectors.png": active_plots.plot_eigenvectors(study),
        "layer_importance.png": active_plots.plot_layer_importance(study, k),
        "convergence.png": active_plots.plot_convergence(convergence),
        "sufficient_summary.png": active_plots.plot_sufficient_summary(study),
    }
    for name, figure in figures.items():
        figure.savefig(out_dir / name, dpi=110)
        figure.clf()
    timings["figures"] = time.perf_counter() - start
    study.save(out_dir / "active_subspace.npz")

    eigenvalues = study.eigenvalues_
    share = np.cumsum(eigenvalues) / eigenvalues.sum()
    summary = {
        "n_parameters": n_parameters,
        "n_samples": study.n_samples_,
        "method": method,
        "model": {"depth": depth, "width": width, "activation": activation},
        "eigenvalues": eigenvalues.tolist(),
        "eigenvalues_for_90_percent_of_trace": int(np.searchsorted(share, 0.9) + 1),
        "eigenvalues_for_50_percent_of_trace": int(np.searchsorted(share, 0.5) + 1),
        "layer_importance": {"k": k, "layers": importance},
        "layer_importance_all_vectors": {"k": study.eigenvectors_.shape[1],
                                         "layers": study.layer_importance(study.eigenvectors_.shape[1])},
        "bootstrap": {key: np.asarray(value).tolist() for key, value in bootstrap.items()},
        "convergence": convergence,
        "timings_s": timings,
    }
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary
