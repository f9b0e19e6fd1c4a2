"""β-VAEs and posterior collapse: a small MLP VAE, its training, and the measures of collapse."""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
import scipy.linalg
import torch
from torch.func import jacrev, vmap
from tqdm.auto import tqdm

from ..core._validation import check_int

LIKELIHOODS = ("bernoulli", "gaussian")
# Burda, Grosse & Salakhutdinov (2016): a latent unit is active when Cov_x(E_q[z_i | x]) > 0.01.
ACTIVE_UNIT_THRESHOLD = 0.01


class BetaVAE(torch.nn.Module):
    """MLP encoder to a diagonal Gaussian posterior q(z|x) = N(μ(x), diag σ²(x)), MLP decoder.

    ``likelihood="bernoulli"`` reads the decoder output as logits of p(x|z) (inputs in [0, 1]);
    ``"gaussian"`` as the mean of N(x̂, I/2), i.e. the reconstruction term is the squared error.
    """

    def __init__(self, n_inputs: int, latent_dim: int = 8, hidden: int = 256, likelihood: str = "bernoulli"):
        super().__init__()
        n_inputs = check_int(n_inputs, "n_inputs", minimum=1)
        self.latent_dim = check_int(latent_dim, "latent_dim", minimum=1)
        hidden = check_int(hidden, "hidden", minimum=1)
        if likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood must be one of {LIKELIHOODS}, got {likelihood!r}")
        self.likelihood = likelihood
        self.encoder = torch.nn.Sequential(
            OrderedDict(
                hidden=torch.nn.Linear(n_inputs, hidden),
                act=torch.nn.ReLU(),
                out=torch.nn.Linear(hidden, 2 * self.latent_dim),
            )
        )
        self.decoder = torch.nn.Sequential(
            OrderedDict(
                hidden=torch.nn.Linear(self.latent_dim, hidden),
                act=torch.nn.ReLU(),
                out=torch.nn.Linear(hidden, n_inputs),
            )
        )

    def encode(self, x):
        """Posterior means and log-variances, each (n, latent_dim)."""
        mean, log_variance = self.encoder(x).chunk(2, dim=1)
        return mean, log_variance

    def decode(self, z):
        """Decoder output: logits (bernoulli) or means (gaussian), (n, n_inputs)."""
        return self.decoder(z)

    def reconstruction_loss(self, output, x):
        """-log p(x|z) summed over the inputs, per sample (up to a constant for gaussian)."""
        if self.likelihood == "bernoulli":
            return torch.nn.functional.binary_cross_entropy_with_logits(output, x, reduction="none").sum(dim=1)
        return ((output - x) ** 2).sum(dim=1)

    def forward(self, x, generator=None):
        """Reconstruction, posterior mean and log-variance of ``x`` (z drawn by ``generator``)."""
        mean, log_variance = self.encode(x)
        noise = torch.randn(mean.shape, generator=generator, dtype=mean.dtype)
        z = mean + torch.exp(0.5 * log_variance) * noise
        return self.decode(z), mean, log_variance


def gaussian_kl(mean, log_variance):
    """KL(N(μ, σ²) ‖ N(0, 1)) per sample and dimension: ½(μ² + σ² − log σ² − 1)."""
    return 0.5 * (mean**2 + torch.exp(log_variance) - log_variance - 1.0)


def active_units(means, threshold: float = ACTIVE_UNIT_THRESHOLD) -> np.ndarray:
    """Boolean mask of the latent units whose posterior mean varies with x: Var_x(μ_i) > threshold."""
    means = np.asarray(means, dtype=np.float64)
    if means.ndim != 2 or len(means) < 2:
        raise ValueError(f"means must be (n >= 2, latent_dim), got shape {means.shape}")
    return means.var(axis=0) > threshold


def mutual_information(mean, log_variance, *, seed: int = 0) -> float:
    """Monte-Carlo estimate of I(x; z) under q: E_x E_q(z|x)[log q(z|x) − log q(z)], with the
    aggregate posterior q(z) = (1/N) Σ_j q(z|x_j) over the N given samples (one z per x).
    Biased low by at most log N. O(N² d).
    """
    mean = torch.as_tensor(mean, dtype=torch.float64)
    log_variance = torch.as_tensor(log_variance, dtype=torch.float64)
    n, d = mean.shape
    generator = torch.Generator().manual_seed(seed)
    z = mean + torch.exp(0.5 * log_variance) * torch.randn(mean.shape, generator=generator, dtype=torch.float64)
    variance = torch.exp(log_variance)
    constant = -0.5 * d * np.log(2 * np.pi)
    # log q(z_i | x_j) for every pair: (n, n)
    log_q = constant - 0.5 * (
        log_variance.sum(dim=1)[None, :] + (((z[:, None, :] - mean[None, :, :]) ** 2) / variance[None, :, :]).sum(dim=2)
    )
    own = torch.diagonal(log_q)
    aggregate = torch.logsumexp(log_q, dim=1) - np.log(n)
    return float((own - aggregate).mean())


def train_vae(
    x: torch.Tensor,
    beta: float,
    *,
    latent_dim: int = 8,
    hidden: int = 256,
    epochs: int = 60,
    batch_size: int = 128,
    learning_rate: float = 1e-3,
    likelihood: str = "bernoulli",
    seed: int = 0,
    progress: bool = True,
) -> BetaVAE:
    """Train a :class:`BetaVAE` on the rows of ``x`` with loss E[-log p(x|z)] + β KL(q(z|x) ‖ p(z)).

    Deterministic for a seed. Cost: epochs × N forward/backward passes.
    """
    if not (np.isfinite(beta) and beta >= 0):
        raise ValueError(f"beta must be a finite number >= 0, got {beta}")
    epochs = check_int(epochs, "epochs", minimum=1)
    torch.manual_seed(seed)
    model = BetaVAE(x.shape[1], latent_dim, hidden, likelihood)
    optimiser = torch.optim.Adam(model.parameters(), lr=learning_rate)
    generator = torch.Generator().manual_seed(seed)
    for _ in tqdm(range(epochs), desc=f"β-VAE β={beta:g}", unit="epoch", disable=not progress, leave=False):
        for batch in torch.randperm(len(x), generator=generator).split(batch_size):
            output, mean, log_variance = model(x[batch], generator)
            loss = (
                model.reconstruction_loss(output, x[batch]) + beta * gaussian_kl(mean, log_variance).sum(dim=1)
            ).mean()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    return model.eval()


def decoder_jacobians(model: BetaVAE, z: torch.Tensor) -> np.ndarray:
    """∂ decoder / ∂ z at each row of ``z``: (n, n_inputs, latent_dim), by torch.func."""
    with torch.no_grad():
        return vmap(jacrev(lambda row: model.decode(row[None])[0]))(z).cpu().numpy()


def evaluate_vae(model: BetaVAE, x: torch.Tensor, *, n_components: int | None = None, seed: int = 0) -> dict:
    """The collapse measures of a trained model on the rows of ``x``.

    Returns ``reconstruction`` (mean −log p(x|z) at z = μ), ``kl_total`` and ``kl_per_dim`` (mean
    over x), ``active_units`` and the ``active`` mask, ``mutual_information`` (nats), decoder
    ``orthogonality`` (mean |cos| between the Jacobian columns of the active units, averaged over
    x; 0 = orthogonal), ``orthogonality_random_baseline`` (E|cos| of two random directions in
    the input space, Γ(m/2) / (√π Γ((m+1)/2)) for m inputs) and ``principal_angles_deg`` between
    the span of those columns (mean Jacobian) and the data's top principal components, as many as
    active units, beside ``principal_angles_random_baseline_deg`` for random subspaces.
    """
    with torch.no_grad():
        mean, log_variance = model.encode(x)
        reconstruction = float(model.reconstruction_loss(model.decode(mean), x).mean())
        kl = gaussian_kl(mean, log_variance).mean(dim=0).cpu().numpy()
    means = mean.cpu().numpy()
    active = active_units(means)
    result = {
        "reconstruction": reconstruction,
        "kl_total": float(kl.sum()),
        "kl_per_dim": kl.tolist(),
        "active_units": int(active.sum()),
        "active": active.tolist(),
        "mutual_information": mutual_information(mean, log_variance, seed=seed),
        "orthogonality_random_baseline": float(
            np.exp(math.lgamma(x.shape[1] / 2) - math.lgamma((x.shape[1] + 1) / 2)) / np.sqrt(np.pi)
        ),
    }
    if active.sum() >= 1:
        J = decoder_jacobians(model, mean)[:, :, active]  # (n, inputs, active)
        norms = np.linalg.norm(J, axis=1, keepdims=True)
        unit = J / np.maximum(norms, 1e-12)
        cosines = np.abs(np.einsum("nia,nib->nab", unit, unit))
        k = int(active.sum())
        off_diagonal = ~np.eye(k, dtype=bool)
        result["orthogonality"] = float(cosines[:, off_diagonal].mean()) if k > 1 else 0.0
        points = x.cpu().numpy()
        data = points - points.mean(axis=0)
        components = np.linalg.svd(data, full_matrices=False)[2][: n_components or k].T
        angles = scipy.linalg.subspace_angles(J.mean(axis=0), components)
        result["principal_angles_deg"] = np.degrees(np.sort(angles)).tolist()
        # The same angles for random k-dimensional subspaces of the input space (100 draws).
        rng = np.random.default_rng(seed)
        random_angles = [
            np.sort(scipy.linalg.subspace_angles(rng.standard_normal((x.shape[1], k)), components)) for _ in range(100)
        ]
        result["principal_angles_random_baseline_deg"] = np.degrees(np.mean(random_angles, axis=0)).tolist()
    else:
        result["orthogonality"] = None
        result["principal_angles_deg"] = []
        result["principal_angles_random_baseline_deg"] = []
    return result
