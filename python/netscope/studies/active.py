"""The seed experiment of active-subspaces-nn.md end to end, and the same study on a user's own network:
``netscope active-subspace``.
"""

from __future__ import annotations

import json
import resource
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import matplotlib.pyplot as plt
import numpy as np
import torch
from tqdm.auto import tqdm

from ..active import distributed
from ..active.estimator import ActiveSubspace
from ..active.layer_blocks import LayerBlocks
from ..active.solvers import SOLVERS
from ..core.spectra import count_for_trace_share
from ..nn.data import as_batches
from ..nn.parameters import ParameterLayout
from ..plotting import active as active_plots
from .models import digits, mlp, mlp_from_sizes, regression_1d, train_epoch

# What each preset fixes; the study's keyword arguments left at None take these values (n_samples
# in prior sampling only: data sampling takes every example).
PRESETS = {
    # The seed: an MLP 1 → 5 × 35 → 1 (5 146 parameters) on a 1-D regression, every eigenvalue.
    "seed": {"n_samples": 10_000, "method": "snapshot", "n_vectors": 100, "chunk_size": None, "sketch_size": None},
    # Beyond D²: an MLP 64 → 1024 → 1024 → 10 (1 126 410 parameters) on the digits, top 50 by the
    # Nyström sketch. Its float64 sketch is D × 80 × 8 B = 0.72 GB; 32-sample chunks keep the
    # gradients of one chunk at 144 MB.
    "large": {"n_samples": 2048, "method": "sketch", "n_vectors": 50, "chunk_size": 32, "sketch_size": 80},
    # Ten million: an MLP 64 → 2048 → 2048 → 2048 → 10 (8 546 314 parameters), top 50 by the
    # sketch, stored in float32 (D × 80 × 4 B = 2.7 GB). Prior mode: 1 024 samples of the loss
    # over 128 digits; data mode: every training digit at the network trained for
    # XL_TRAIN_EPOCHS epochs. 8-sample chunks keep one chunk's gradients, and torch's work on
    # them, near 1.2 GB (16 took the run past 6 GiB).
    "xl": {"n_samples": 1024, "method": "sketch", "n_vectors": 50, "chunk_size": 8, "sketch_size": 80},
}
PRESET_SIZES = {"large": [64, 1024, 1024, 10], "xl": [64, 2048, 2048, 2048, 10]}
# A preset's prior-mode loss is over this many digits images per prior sample.
PRESET_DATA_POINTS = {"large": 256, "xl": 128}
# Epochs of Adam the xl network is trained for before data-mode sampling (test accuracy ~97 %).
XL_TRAIN_EPOCHS = 10
# Kept gradients (for the bootstrap and the convergence study) are capped at this many bytes.
KEPT_GRADIENT_BYTES = 2**30
# Without kept gradients, the layers' blocks are accumulated along the fit's stream when they
# take at most LAYER_BLOCK_BYTES, or along the replay for the intervals, where the solver's
# state is already freed, when they take at most LAYER_BLOCK_REPLAY_BYTES (the large preset's
# take 135 MB; the xl preset's 1 GB, beside its 1.7 GB of eigenvectors in the replay against
# the 2.7 GB sketch and the same eigenvectors at the fit's peak).
LAYER_BLOCK_BYTES = 2**29
LAYER_BLOCK_REPLAY_BYTES = 2**31


def mlp_parameter_count(sizes) -> int:
    """The number of weights and biases of an MLP with layer widths ``sizes``."""
    return sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(sizes[:-1], sizes[1:]))


@dataclass
class Problem:
    """What an active-subspace study runs on: a model, its loss, its data (a tensor pair or a
    DataLoader) and a JSON-able ``description`` whose ``name`` says what it is.
    """

    model: torch.nn.Module
    loss: Callable
    data: object
    description: dict


def preset_problem(
    preset: str = "seed",
    *,
    depth: int = 5,
    width: int = 35,
    activation: str = "tanh",
    seed: int = 0,
    sampling: str = "prior",
    progress: bool = False,
) -> Problem:
    """The built-in network of a preset (see :data:`PRESETS`). The digits presets' data is, for
    ``sampling="prior"``, the first :data:`PRESET_DATA_POINTS` training digits; for "data", every
    training digit, and the xl network is first trained on them (:data:`XL_TRAIN_EPOCHS` epochs
    of Adam; its accuracies go into the description).
    """
    if preset not in PRESETS:
        raise ValueError(f"preset must be one of {sorted(PRESETS)}, got {preset!r}")
    torch.manual_seed(seed)
    trained = {}
    loss: torch.nn.Module
    if preset == "seed":
        sizes = [1] + [width] * depth + [1]
        model, loss, data = mlp(1, width, depth, 1, activation), torch.nn.MSELoss(), regression_1d(256, seed=seed)
    else:
        sizes = PRESET_SIZES[preset]
        x_train, y_train, x_test, y_test = digits(seed=seed)
        model, loss = mlp_from_sizes(sizes, activation), torch.nn.CrossEntropyLoss()
        if sampling == "prior":
            data = (x_train[: PRESET_DATA_POINTS[preset]], y_train[: PRESET_DATA_POINTS[preset]])
        else:
            data = (x_train, y_train)
        if preset == "xl" and sampling == "data":
            trained = _train_on_digits(model, loss, data, (x_test, y_test), seed=seed, progress=progress)
    n_parameters = sum(p.numel() for p in model.parameters())
    assert n_parameters == mlp_parameter_count(sizes), f"the MLP has {n_parameters} parameters"
    name = f"MLP {'-'.join(map(str, sizes))} ({activation})"
    return Problem(
        model,
        loss,
        data,
        {
            "name": name,
            "preset": preset,
            "sizes": sizes,
            "activation": activation,
            "data_points": len(data[0]),
            **trained,
        },
    )


def _train_on_digits(model, loss, train, test, *, seed: int, progress: bool) -> dict:
    """Train ``model`` for :data:`XL_TRAIN_EPOCHS` epochs of Adam (lr 1e-3, batches of 64) and
    return what it reached. O(epochs × len(train) × one forward and backward pass).
    """
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(seed)
    for _ in tqdm(range(XL_TRAIN_EPOCHS), desc="training", unit="epoch", disable=not progress):
        x, y = train
        train_epoch(model, optimiser, loss, x, y, generator)
    model.eval()
    with torch.no_grad():
        accuracy = {
            name: float((model(x).argmax(1) == y).float().mean()) for name, (x, y) in (("train", train), ("test", test))
        }
    return {"trained_epochs": XL_TRAIN_EPOCHS, "accuracy": accuracy}


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far, in MB: VmHWM from /proc (unlike ru_maxrss,
    not inherited across exec), or ru_maxrss where /proc is missing.
    """
    try:
        with open("/proc/self/status") as status:
            return int(next(line for line in status if line.startswith("VmHWM:")).split()[1]) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_active_subspace_study(
    out_dir,
    *,
    problem: Problem | None = None,
    preset: str = "seed",
    sampling: str = "prior",
    n_samples: int | None = None,
    depth: int = 5,
    width: int = 35,
    activation: str = "tanh",
    method: str | None = None,
    sketch_size: int | None = None,
    seed: int = 0,
    n_boot: int = 50,
    k: int = 10,
    n_vectors: int | None = None,
    chunk_size: int | None = None,
    device=None,
    checkpoint=None,
    checkpoint_every: int = 1000,
    resume: bool = False,
    n_passes: int | None = None,
    scale: float = 1.0,
    centered: bool = False,
    progress: bool = True,
):
    """The active subspace of a network's loss, its diagnostics and figures.

    Without ``problem``, the seed: ``preset="seed"``: an MLP 1 → ``depth`` × ``width`` → 1
    (5 146 parameters by default) on a generated 1-D regression set of 256 points,
    ``n_samples`` = 10 000 prior samples, every eigenvalue and the leading ``n_vectors`` = 100
    eigenvectors. ``preset="large"``: an MLP 64 → 1024 → 1024 → 10 (1 126 410 parameters) under
    a cross-entropy loss on 256 digits, 2 048 samples, the top 50 by a Nyström sketch.
    ``preset="xl"``: an MLP 64 → 2048 → 2048 → 2048 → 10 (8 546 314 parameters), 1 024 prior
    samples of the loss over 128 digits (or, in data sampling, every training digit at the
    network trained first), the top 50 by a float32 sketch. Arguments left at None take the
    preset's value.

    ``sampling="prior"`` draws the parameters from N(c, ``scale``² I), c = 0 or, with
    ``centered``, the model's parameters (see :meth:`netscope.ActiveSubspace.fit`).

    With ``problem`` (a user's model, loss and data): ``sampling`` "prior" or "data";
    ``n_samples`` None means D prior samples or every example; ``method`` None means
    "snapshot" with every eigenvalue and ``n_vectors`` = 100 when the N × D float32 gradients
    fit in 1 GiB, else "sketch" with the top 50.

    Writes figures and ``summary.json`` to ``out_dir`` and returns the summary. The bootstrap
    and convergence diagnostics need the gradients, which are kept when they fit in 1 GiB (in a
    file beside ``checkpoint`` if one is given); otherwise they are skipped (null in the
    summary) and, in one process, the estimate is followed along the stream instead
    (``stream_convergence``: six sample counts from N/32 to N), and the stream is read once more
    for bootstrap intervals from the samples' projections (``intervals``, with their cost; the
    kept gradients' bootstrap otherwise). Under ``torch.distributed``
    every rank fits its share, and rank 0 alone runs the diagnostics and writes the files; the
    other ranks return None.
    """
    if problem is None:
        problem = preset_problem(
            preset, depth=depth, width=width, activation=activation, seed=seed, sampling=sampling, progress=progress
        )
        defaults: dict[str, Any] = PRESETS[preset]
        preset_name: str | None = preset
    else:
        preset_name = None
        defaults = {"n_samples": None, "method": None, "n_vectors": None, "chunk_size": None, "sketch_size": None}
    model, loss, data = problem.model, problem.loss, as_batches(problem.data)
    n_parameters = sum(p.numel() for p in model.parameters() if p.requires_grad)
    if n_samples is None and sampling == "prior":  # data sampling takes every example unless told
        n_samples = defaults["n_samples"]
    if n_samples is None:
        n_samples = n_parameters if sampling == "prior" else data.n_examples
    fits_in_memory = n_samples * n_parameters * 4 <= KEPT_GRADIENT_BYTES
    method = str(method or defaults["method"] or ("snapshot" if fits_in_memory else "sketch"))
    if method not in SOLVERS:
        raise ValueError(f"method must be one of {tuple(SOLVERS)}, got {method!r}")
    solver = SOLVERS[method].capabilities
    # The methods that give every eigenvalue draw the leading 100 vectors, the top-k ones 50.
    n_vectors = int(n_vectors or defaults["n_vectors"] or (100 if solver.full_spectrum_possible else 50))
    chunk_size = chunk_size or defaults["chunk_size"]
    sketch_size = sketch_size or defaults["sketch_size"]
    out_dir = Path(out_dir)
    timings = {}

    # A method that replays the stream keeps no gradients, and has no estimate along one pass.
    keep_gradients = not solver.replays_stream and (solver.keeps_rows or fits_in_memory)
    full_spectrum = solver.full_spectrum_possible
    rank, world = distributed.rank_and_size()
    # Without the gradients, the intervals come from a second read of the stream, where it can
    # be read again.
    keep_projections = not keep_gradients and world == 1 and (sampling == "prior" or not data.shuffles)
    layer_blocks = (
        not keep_gradients
        and (keep_projections or not solver.replays_stream)
        and LayerBlocks.nbytes(ParameterLayout.from_module(model))
        <= (LAYER_BLOCK_REPLAY_BYTES if keep_projections else LAYER_BLOCK_BYTES)
    )
    study = ActiveSubspace(
        method=method,
        n_components=min(n_vectors, n_samples, n_parameters),
        full_spectrum=full_spectrum,
        sketch_size=sketch_size,
        n_passes=n_passes,
        keep_gradients=keep_gradients,
        keep_projections=keep_projections,
        layer_blocks=layer_blocks,
        chunk_size=chunk_size,
        progress=progress,
    )
    # Without the gradients, how the estimate settles is followed along the stream instead.
    stream_sizes = None
    if not keep_gradients and world == 1 and solver.estimates_along_stream:
        stream_sizes = np.unique(np.geomspace(max(1, n_samples // 32), n_samples, 6).astype(int))[:-1]
    study.fit(
        model,
        loss,
        data,
        n_samples=n_samples,
        sampling=sampling,
        seed=seed,
        scale=scale,
        centered=centered,
        device=device,
        checkpoint=checkpoint,
        checkpoint_every=checkpoint_every,
        resume=resume,
        stream_sizes=stream_sizes,
    )
    if rank != 0:
        return None
    out_dir.mkdir(parents=True, exist_ok=True)
    timings.update(study.timings_)

    k = min(k, study.eigenvectors_.shape[1])
    start = time.perf_counter()
    importance = study.layer_importance(k)
    timings["layer_importance"] = time.perf_counter() - start
    bootstrap = convergence = spectra = intervals = bands = None
    if keep_projections:
        start = time.perf_counter()
        bands = study.bootstrap(n_boot=n_boot, k=k, seed=seed)
        timings["intervals"] = time.perf_counter() - start
        intervals = {
            "source": f"replayed projections on the top {study.eigenvectors_.shape[1]} directions",
            **bands.to_dict(),
            "seconds": timings["intervals"] + study.timings_["projections"],
        }
    if keep_gradients or layer_blocks:
        start = time.perf_counter()
        spectra = study.layer_spectra(k)
        timings["layer_spectra"] = time.perf_counter() - start
    if keep_gradients:
        start = time.perf_counter()
        bootstrap = study.bootstrap(n_boot=n_boot, k=k, seed=seed)
        timings["intervals"] = time.perf_counter() - start
        bands = bootstrap
        intervals = {"source": "kept gradients", **bootstrap.to_dict(), "seconds": timings["intervals"]}
        start = time.perf_counter()
        convergence = study.convergence(k=k)
        timings["convergence"] = time.perf_counter() - start

    start = time.perf_counter()
    figures = {
        "eigenvalues.png": active_plots.plot_eigenvalues(study, intervals=bands),
        "eigenvectors.png": active_plots.plot_eigenvectors(study),
        "layer_importance.png": active_plots.plot_layer_importance(study, k),
    }
    if sampling == "prior":  # the samples of the sufficient summary are the prior's parameter vectors
        figures["sufficient_summary.png"] = active_plots.plot_sufficient_summary(study)
    if spectra is not None:
        figures["layer_spectra.png"] = active_plots.plot_layer_spectra(spectra, study.eigenvalues_)
    if convergence is not None:
        figures["convergence.png"] = active_plots.plot_convergence(convergence)
    elif study.stream_convergence_ is not None:
        figures["convergence.png"] = active_plots.plot_stream_convergence(study.stream_convergence_)
    for name, figure in figures.items():
        figure.savefig(out_dir / name, dpi=110)
        plt.close(figure)
    timings["figures"] = time.perf_counter() - start
    study.save(out_dir / "active_subspace.npz")

    eigenvalues = study.eigenvalues_
    summary = {
        "preset": preset_name,
        "sampling": sampling,
        "prior": {"scale": float(scale), "centered": bool(centered)} if sampling == "prior" else None,
        "n_parameters": n_parameters,
        "n_samples": study.n_samples_,
        "method": method,
        "sketch_size": sketch_size if solver.takes_sketch_size else None,
        "n_passes": SOLVERS[method].passes_for(n_passes),
        # ‖C v − λ v‖ / λ of each pair of a method that replays the stream: how far its passes got
        "relative_residuals": None
        if study.residuals_ is None
        else (study.residuals_ / np.maximum(eigenvalues[: len(study.residuals_)], np.finfo(float).tiny)).tolist(),
        "model": problem.description,
        "eigenvalues": eigenvalues.tolist(),
        # Shares of the trace need every eigenvalue: only the dense methods compute them.
        "eigenvalues_for_90_percent_of_trace": count_for_trace_share(eigenvalues, 0.9) if full_spectrum else None,
        "eigenvalues_for_50_percent_of_trace": count_for_trace_share(eigenvalues, 0.5) if full_spectrum else None,
        "layer_importance": importance.to_dict(),
        "layer_importance_all_vectors": study.layer_importance(study.eigenvectors_.shape[1]).to_dict(),
        "layer_spectra": None if spectra is None else spectra.to_dict(),
        "bootstrap": None if bootstrap is None else bootstrap.to_dict(),
        # Intervals of the top k from whichever a run has: its gradients (bias-corrected
        # eigenvalues, held-out intervals), or their projections read back from a second pass
        # (basic bootstrap in the fitted span, with the cost of that pass).
        "intervals": intervals,
        "convergence": None if convergence is None else convergence.to_dict(),
        "stream_convergence": None if study.stream_convergence_ is None else study.stream_convergence_.to_dict(),
        "timings_s": timings,
        "peak_memory_mb": peak_memory_mb(),
    }
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary
