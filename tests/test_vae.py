import json

import numpy as np
import pytest
import torch

from conftest import assert_drawn
from netscope.studies.models import digits_images
from netscope.studies.vae import (
    BetaVAE,
    active_units,
    decoder_jacobians,
    evaluate_vae,
    gaussian_kl,
    mutual_information,
    train_vae,
)


def test_kl_matches_torch_distributions(rng):
    mean = torch.as_tensor(rng.standard_normal((5, 3)))
    log_variance = torch.as_tensor(rng.standard_normal((5, 3)))
    posterior = torch.distributions.Normal(mean, torch.exp(0.5 * log_variance))
    prior = torch.distributions.Normal(torch.zeros(5, 3), torch.ones(5, 3))
    expected = torch.distributions.kl_divergence(posterior, prior)
    np.testing.assert_allclose(gaussian_kl(mean, log_variance).numpy(), expected.numpy(), rtol=1e-12)


class FixedEncoder(BetaVAE):
    """A VAE whose posterior means are set by hand: constant, or a copy of the first inputs."""

    def __init__(self, mode):
        super().__init__(n_inputs=6, latent_dim=3)
        self.mode = mode

    def encode(self, x):
        mean = torch.zeros(len(x), 3) if self.mode == "ignore" else x[:, :3]
        return mean, torch.zeros(len(x), 3)


@pytest.mark.parametrize("mode, expected", [("ignore", 0), ("copy", 3)])
def test_active_units_on_constructed_encoders(rng, mode, expected):
    x = torch.as_tensor(rng.uniform(0, 1, (200, 6)), dtype=torch.float32)
    result = evaluate_vae(FixedEncoder(mode).eval(), x)
    assert result["active_units"] == expected
    if mode == "ignore":
        # q(z|x) = p(z) for every x: no KL, no information about x.
        assert result["kl_total"] == pytest.approx(0.0, abs=1e-12)
        assert abs(result["mutual_information"]) < 0.05
    else:
        # Means spread over [0, 1] under unit posterior variance: a little information, ≤ the
        # Gaussian bound ½ Σ log(1 + Var μ) = 0.12 nats.
        assert 0.02 < result["mutual_information"] < 0.13


def test_active_units_threshold():
    means = np.stack([np.linspace(-1, 1, 50), np.full(50, 3.0), 0.05 * np.linspace(-1, 1, 50)], axis=1)
    assert active_units(means).tolist() == [True, False, False]
    with pytest.raises(ValueError, match="means must be"):
        active_units(np.ones(4))


def test_mutual_information_is_zero_for_the_prior_and_bounded_by_log_n(rng):
    n = 300
    assert abs(mutual_information(np.zeros((n, 2)), np.zeros((n, 2)))) < 0.05
    sharp = mutual_information(rng.standard_normal((n, 2)) * 10, np.full((n, 2), -8.0))
    assert sharp <= np.log(n) + 1e-9 and sharp > np.log(n) - 0.5


def tiny_data():
    return digits_images()[0][:300]


def test_extreme_beta_collapses_every_unit_and_small_beta_does_not():
    x = tiny_data()
    collapsed = evaluate_vae(train_vae(x, 200.0, latent_dim=4, epochs=15, progress=False), x)
    assert collapsed["active_units"] == 0 and collapsed["kl_total"] < 0.05
    alive = evaluate_vae(train_vae(x, 0.1, latent_dim=4, epochs=15, progress=False), x)
    assert alive["active_units"] >= 2 and alive["kl_total"] > 1.0


def test_decoder_measures_against_a_hand_computation():
    x = tiny_data()
    model = train_vae(x, 0.1, latent_dim=4, epochs=10, progress=False)  # all 4 units active, cosines of both signs
    result = evaluate_vae(model, x, seed=0)
    with torch.no_grad():
        mean = model.encode(x)[0]
    # Jacobians one point at a time by autograd, against the batched torch.func ones.
    J = decoder_jacobians(model, mean)
    for i in (0, 150, 299):
        expected = torch.autograd.functional.jacobian(lambda z: model.decode(z[None])[0], mean[i])
        np.testing.assert_allclose(J[i], expected.numpy(), rtol=1e-5, atol=1e-7)
    # Orthogonality: mean |cos| between the active units' Jacobian columns, point by point.
    active = np.array(result["active"])
    assert active.sum() == 4
    cosines = []
    for row in J[:, :, active]:
        for a in range(row.shape[1]):
            for b in range(row.shape[1]):
                if a != b:
                    cosines.append(abs(row[:, a] @ row[:, b]) / (np.linalg.norm(row[:, a]) * np.linalg.norm(row[:, b])))
    assert result["orthogonality"] == pytest.approx(np.mean(cosines), rel=1e-6)
    # Principal angles between the mean Jacobian's span and the leading principal components.
    data = x.numpy() - x.numpy().mean(axis=0)
    components = np.linalg.svd(data, full_matrices=False)[2][: active.sum()].T
    basis = np.linalg.qr(J[:, :, active].mean(axis=0))[0]
    cosines = np.clip(np.linalg.svd(basis.T @ components, compute_uv=False), 0, 1)
    np.testing.assert_allclose(result["principal_angles_deg"], np.sort(np.degrees(np.arccos(cosines))), atol=1e-4)


def test_same_seed_same_metrics():
    x = tiny_data()
    a = evaluate_vae(train_vae(x, 1.0, latent_dim=3, epochs=3, seed=5, progress=False), x)
    b = evaluate_vae(train_vae(x, 1.0, latent_dim=3, epochs=3, seed=5, progress=False), x)
    assert a == b


def test_bad_input():
    with pytest.raises(ValueError, match="likelihood"):
        BetaVAE(4, likelihood="poisson")
    with pytest.raises(ValueError, match="beta"):
        train_vae(torch.zeros(5, 4), -1.0)


def test_cli_vae_writes_metrics_and_figures(tmp_path):
    from netscope.cli import main

    assert main(["vae", "--out", str(tmp_path), "--betas", "0.1", "200", "--epochs", "5", "--latent", "3"]) == 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert [run["beta"] for run in metrics["runs"]] == [0.1, 200.0]
    # The sweep's verdict: at the extreme β every unit has collapsed, at the small one not.
    assert metrics["all_collapsed_from_beta"] == 200.0
    assert metrics["runs"][1]["collapsed_dims"] == [0, 1, 2] and metrics["runs"][0]["active_units"] > 0
    for run in metrics["runs"]:
        assert {"beta", "active_units", "kl_per_dim", "reconstruction"} <= set(run)
        assert len(run["kl_per_dim"]) == 3
    for name in ("kl_per_dim.png", "active_units.png", "latent_maps.png", "prior_samples.png", "orthogonality.png"):
        assert_drawn(tmp_path / name)
