"""The β-VAE study of structural-visualization-nn.md: ``netscope vae``."""

from __future__ import annotations

import dataclasses
import json
import time
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch

from .._result import Result
from ..core.knn import knn_graph
from ..core.layout import force_layout
from .models import digits_images
from .vae import evaluate_vae, train_vae

DEFAULT_BETAS = (0.1, 0.5, 1, 2, 4, 8, 16, 32)


@dataclasses.dataclass(frozen=True)
class BetaRun(Result):
    """One β of the sweep: the collapse measures of :func:`netscope.studies.vae.evaluate_vae`
    (reconstruction, KL in total and per latent dimension, active units and their mask, the
    mutual information, the decoder's orthogonality and principal angles to PCA beside their
    random baselines) and the ``collapsed_dims`` (indices of the inactive units).
    """

    beta: float
    reconstruction: float
    kl_total: float
    kl_per_dim: list
    active_units: int
    active: list
    mutual_information: float
    orthogonality_random_baseline: float
    orthogonality: float | None
    principal_angles_deg: list
    principal_angles_random_baseline_deg: list
    collapsed_dims: list


@dataclasses.dataclass(frozen=True)
class VaeSweep(Result):
    """What ``netscope vae`` measured: one :class:`BetaRun` per β (``runs``) of a β-VAE with
    ``latent_dim`` units (``likelihood``, ``epochs``) on the ``n`` digits, the smallest β at which
    every unit collapsed (or None) and the stages' ``timings_s``. :meth:`to_dict` is
    ``metrics.json``; ``sweep["key"]`` (the dict it was) reads it, deprecated.
    """

    n: int
    latent_dim: int
    likelihood: str
    epochs: int
    runs: list[BetaRun]
    all_collapsed_from_beta: float | None
    timings_s: dict

    def to_dict(self) -> dict:
        """``metrics.json``, key for key."""
        return {
            "dataset": {"name": "sklearn load_digits", "n": self.n},
            "model": {"latent_dim": self.latent_dim, "likelihood": self.likelihood, "epochs": self.epochs},
            "runs": [run.to_dict() for run in self.runs],
            "all_collapsed_from_beta": self.all_collapsed_from_beta,
            "timings_s": dict(self.timings_s),
        }

    def __getitem__(self, key: str):
        """Deprecated: ``sweep["key"]``, as of the dict it was; read the attribute."""
        warnings.warn(
            f"VaeSweep[{key!r}] is deprecated: it is a typed result now; read its attributes, or to_dict() "
            "for the JSON",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.to_dict()[key]


def _figures(runs, maps, samples, labels, out_dir: Path):
    betas = [run.beta for run in runs]
    names = [f"β={b:g}" for b in betas]
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    kl = np.array([run.kl_per_dim for run in runs]).T
    shown = ax.imshow(kl, aspect="auto", cmap="viridis")
    ax.set_xticks(range(len(betas)), names, rotation=30)
    ax.set_ylabel("latent dimension")
    ax.set_title("KL per latent dimension (nats)")
    fig.colorbar(shown, ax=ax)
    fig.tight_layout()
    fig.savefig(out_dir / "kl_per_dim.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    ax.semilogx(betas, [run.active_units for run in runs], "o-", label="active units (Var μ > 0.01)")
    ax.semilogx(betas, [run.mutual_information for run in runs], "s--", label="I(x; z) estimate (nats)")
    ax.set_xlabel("β")
    ax.legend()
    ax.set_title("Posterior collapse as β grows")
    fig.tight_layout()
    fig.savefig(out_dir / "active_units.png", dpi=110)
    plt.close(fig)

    fig, axes = plt.subplots(1, len(runs), figsize=(2.2 * len(runs), 2.4), squeeze=False)
    palette = plt.get_cmap("tab10")
    for ax, name, positions in zip(axes[0], names, maps):
        ax.scatter(positions[:, 0], positions[:, 1], s=2, c=[palette(int(label)) for label in labels], linewidths=0)
        ax.set_title(name, fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    fig.savefig(out_dir / "latent_maps.png", dpi=110)
    plt.close(fig)

    fig, axes = plt.subplots(1, len(runs), figsize=(2.2 * len(runs), 2.4), squeeze=False)
    for ax, name, grid in zip(axes[0], names, samples):
        ax.imshow(grid, cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(name, fontsize=8)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(out_dir / "prior_samples.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    pairs = [(b, run.orthogonality) for b, run in zip(betas, runs) if run.orthogonality is not None]
    if pairs:
        ax.semilogx(*zip(*pairs), "o-", label="mean |cos| between decoder Jacobian columns")
        ax.axhline(runs[0].orthogonality_random_baseline, color="0.5", ls=":", label="random directions")
    angle_pairs = [
        (b, float(np.mean(run.principal_angles_deg))) for b, run in zip(betas, runs) if run.principal_angles_deg
    ]
    if angle_pairs:
        ax2 = ax.twinx()
        ax2.semilogx(*zip(*angle_pairs), "s--", color="C1", label="mean principal angle to PCA (deg)")
        ax2.set_ylabel("degrees")
        ax2.legend(loc="lower right", fontsize=8)
    ax.set_xlabel("β")
    ax.legend(loc="lower left", fontsize=8)
    ax.set_title("Decoder orthogonality and PCA alignment")
    fig.tight_layout()
    fig.savefig(out_dir / "orthogonality.png", dpi=110)
    plt.close("all")


def run_vae_study(
    out_dir,
    *,
    betas=DEFAULT_BETAS,
    latent_dim: int = 8,
    epochs: int = 60,
    likelihood: str = "bernoulli",
    seed: int = 0,
    progress: bool = True,
) -> VaeSweep:
    """Sweep β, train one β-VAE per value on the digits, measure collapse, write figures and
    ``metrics.json`` to ``out_dir``; return the :class:`VaeSweep` (``metrics.json`` is its
    ``to_dict()``).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    x, labels = digits_images()
    runs, maps, samples = [], [], []
    start = time.perf_counter()
    for beta in betas:
        model = train_vae(
            x, float(beta), latent_dim=latent_dim, epochs=epochs, likelihood=likelihood, seed=seed, progress=progress
        )
        measures = evaluate_vae(model, x, seed=seed)
        collapsed_dims = [i for i, active in enumerate(measures["active"]) if not active]
        runs.append(BetaRun(beta=float(beta), **measures, collapsed_dims=collapsed_dims))
        with torch.no_grad():
            means = model.encode(x)[0].numpy()
            z = torch.randn(64, latent_dim, generator=torch.Generator().manual_seed(seed))
            decoded = model.decode(z)
            images = torch.sigmoid(decoded) if likelihood == "bernoulli" else decoded.clamp(0, 1)
        maps.append(force_layout(knn_graph(means, 15), seed=seed))
        samples.append(images.reshape(8, 8, 8, 8).permute(0, 2, 1, 3).reshape(64, 64).numpy())
    train_seconds = time.perf_counter() - start
    start = time.perf_counter()
    _figures(runs, maps, samples, labels, out_dir)
    all_collapsed = [run.beta for run in runs if run.active_units == 0]
    sweep = VaeSweep(
        n=len(x),
        latent_dim=latent_dim,
        likelihood=likelihood,
        epochs=epochs,
        runs=runs,
        all_collapsed_from_beta=min(all_collapsed) if all_collapsed else None,
        timings_s={"training_and_evaluation": train_seconds, "figures": time.perf_counter() - start},
    )
    (out_dir / "metrics.json").write_text(json.dumps(sweep.to_dict(), indent=2))
    return sweep
