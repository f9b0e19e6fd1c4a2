import json

import numpy as np
import pytest
import scipy.linalg
import torch

import netscope
import netscope.nn.gradients
from conftest import assert_drawn, orthonormal
from netscope.active import diagnostics
from netscope.nn.parameters import ParameterLayout
from netscope.studies.active import preset_problem
from netscope.studies.models import mlp, regression_1d


class Quadratic(torch.nn.Module):
    """f(x) = ½ xᵀ A x over the parameter vector x; the inputs are ignored."""

    def __init__(self, A):
        super().__init__()
        self.register_buffer("A", torch.as_tensor(A, dtype=torch.float32))
        self.x = torch.nn.Parameter(torch.zeros(len(A)))

    def forward(self, inputs):
        return 0.5 * self.x @ self.A @ self.x + 0.0 * inputs.sum()


def identity_loss(value, _targets):
    return value


def quadratic_problem(rng, spectrum):
    Q = orthonormal(rng, len(spectrum), len(spectrum))
    return Q, (Q * spectrum) @ Q.T


def test_quadratic_loss_recovers_A_squared(rng):
    # x ~ N(0, I) and ∇f = A x, so C = E[A x xᵀ A] = A²: eigenvectors of A, eigenvalues a_i².
    spectrum = np.array([3.0, 2.0, 1.2, 0.6, 0.3, 0.1])
    Q, A = quadratic_problem(rng, spectrum)
    n = 20_000
    dummy = (torch.zeros(4, 1), torch.zeros(4, 1))
    for method in ("snapshot", "gram", "randomized", "sketch"):
        result = netscope.ActiveSubspace(method=method, n_components=3, progress=False).fit(
            Quadratic(A), identity_loss, dummy, n_samples=n, seed=1
        )
        # The estimate of λ_i = a_i² from N samples has relative standard error ≈ √(2/N) = 0.01
        # (for Gaussian x); five standard errors bound it.
        np.testing.assert_allclose(result.eigenvalues_, spectrum[:3] ** 2, rtol=5 * np.sqrt(2 / n))
        # Eigenvector errors scale like √(1/N) divided by the relative eigenvalue gaps (≥ 0.4 here).
        angles = scipy.linalg.subspace_angles(result.eigenvectors_, Q[:, :3])
        assert np.max(angles) < 0.05, (method, angles)


def test_per_sample_gradients_match_a_backward_loop():
    torch.manual_seed(0)
    model = mlp(2, 4, 2, 1)
    inputs, targets = torch.randn(7, 2), torch.randn(7, 1)
    loss_fn = torch.nn.MSELoss()
    layout = ParameterLayout.from_module(model)

    def loop_gradient(x, y):
        model.zero_grad()
        loss_fn(model(x), y).backward()
        return torch.cat([p.grad.reshape(-1) for p in model.parameters()]).numpy().copy()

    data = list(netscope.nn.gradients.data_gradients(model, loss_fn, (inputs, targets), chunk_size=3, progress=False))
    G = np.concatenate([g.numpy() for _, g, _ in data])
    expected = np.stack([loop_gradient(inputs[i : i + 1], targets[i : i + 1]) for i in range(7)])
    np.testing.assert_allclose(G, expected, rtol=1e-5, atol=1e-6)

    # Prior mode: the loss over the whole dataset at each sampled parameter vector.
    chunks = list(
        netscope.nn.gradients.prior_gradients(
            model, loss_fn, (inputs, targets), n_samples=5, seed=3, chunk_size=2, progress=False
        )
    )
    G = np.concatenate([g.numpy() for _, g, _ in chunks])
    samples = netscope.nn.gradients.PriorSamples(layout, seed=3, scale=1.0, center=None).rows(0, 5)
    original = [p.detach().clone() for p in model.parameters()]
    for row, sample in zip(G, samples):
        with torch.no_grad():
            for p, part in zip(model.parameters(), layout.unflatten_rows(sample[None]).values()):
                p.copy_(part[0])
        np.testing.assert_allclose(row, loop_gradient(inputs, targets), rtol=1e-4, atol=1e-5)
    with torch.no_grad():
        for p, value in zip(model.parameters(), original):
            p.copy_(value)


def test_prior_stream_does_not_depend_on_chunk_size():
    torch.manual_seed(0)
    model, data = mlp(1, 6, 2, 1), regression_1d(20)
    a = np.concatenate(
        [
            g.numpy()
            for _, g, _ in netscope.nn.gradients.prior_gradients(
                model, torch.nn.MSELoss(), data, n_samples=150, chunk_size=37, progress=False
            )
        ]
    )
    b = np.concatenate(
        [
            g.numpy()
            for _, g, _ in netscope.nn.gradients.prior_gradients(
                model, torch.nn.MSELoss(), data, n_samples=150, chunk_size=150, progress=False
            )
        ]
    )
    np.testing.assert_allclose(a, b, rtol=1e-6)


@pytest.fixture(scope="module")
def fitted():
    torch.manual_seed(0)
    model, data = mlp(1, 8, 3, 1), regression_1d(64)
    result = netscope.ActiveSubspace(progress=False).fit(model, torch.nn.MSELoss(), data, n_samples=600, seed=0)
    return model, data, result


def test_methods_agree_on_the_leading_eigenpairs(fitted):
    model, data, snapshot = fitted
    D = snapshot.n_parameters_
    assert D == 1 * 8 + 8 + 2 * (8 * 8 + 8) + 8 + 1 and snapshot.eigenvalues_.shape == (D,)
    assert np.all(np.diff(snapshot.eigenvalues_) <= 1e-9 * snapshot.eigenvalues_[0])
    gram = netscope.ActiveSubspace(method="gram", n_components=5, progress=False).fit(
        model, torch.nn.MSELoss(), data, n_samples=600, seed=0
    )
    randomized = netscope.ActiveSubspace(method="randomized", n_components=5, progress=False).fit_gradients(
        snapshot.gradients_
    )
    for other in (gram, randomized):
        np.testing.assert_allclose(other.eigenvalues_, snapshot.eigenvalues_[:5], rtol=1e-4)
        assert np.max(scipy.linalg.subspace_angles(other.eigenvectors_[:, :3], snapshot.eigenvectors_[:, :3])) < 1e-3


def test_sketch_method_matches_the_snapshot_leading_eigenvalues(fitted):
    model, data, snapshot = fitted
    sketch = netscope.ActiveSubspace(
        method="sketch", n_components=3, sketch_size=120, keep_gradients=False, progress=False
    ).fit(model, torch.nn.MSELoss(), data, n_samples=600, seed=0)
    assert sketch.gradients_ is None
    # A Nyström sketch of 120 of the 169 columns: the leading eigenvalues to a few per cent.
    np.testing.assert_allclose(sketch.eigenvalues_, snapshot.eigenvalues_[:3], rtol=0.05)
    with pytest.raises(ValueError, match="needs n_components"):
        netscope.ActiveSubspace(method="sketch")
    with pytest.raises(ValueError, match="n_components=30 exceeds sketch_size=20"):
        netscope.ActiveSubspace(method="sketch", n_components=30, sketch_size=20)


def test_float32_sketch_fit_matches_float64_and_auto_picks_by_size(fitted, monkeypatch, tmp_path):
    model, data, _ = fitted
    fits = {
        dtype: netscope.ActiveSubspace(
            method="sketch", n_components=3, sketch_size=40, sketch_dtype=dtype, keep_gradients=False, progress=False
        ).fit(model, torch.nn.MSELoss(), data, n_samples=600, seed=0)
        for dtype in ("float64", "float32", "auto")
    }
    assert fits["float32"].eigenvectors_.dtype == np.float32 and fits["auto"].eigenvectors_.dtype == np.float64
    np.testing.assert_allclose(fits["float32"].eigenvalues_, fits["float64"].eigenvalues_, rtol=1e-5)
    assert np.array_equal(fits["auto"].eigenvalues_, fits["float64"].eigenvalues_)  # 169 x 40 x 8 B is small
    fits["float32"].save(tmp_path / "narrow.npz")
    assert netscope.ActiveSubspace.load(tmp_path / "narrow.npz").sketch_dtype == "float32"
    # Beyond the threshold "auto" stores float32, and a checkpoint records which.
    monkeypatch.setattr(netscope.active.decompositions, "FLOAT32_SKETCH_BEYOND_BYTES", 1000)
    netscope.ActiveSubspace(method="sketch", n_components=3, sketch_size=40, progress=False).fit(
        model, torch.nn.MSELoss(), data, n_samples=60, seed=0, checkpoint=tmp_path / "ck"
    )
    assert json.loads((tmp_path / "ck.json").read_text())["settings"]["sketch_dtype"] == "float32"
    assert netscope.NystromSketch.load(tmp_path / "ck").dtype == np.float32
    with pytest.raises(ValueError, match="sketch_dtype must be one of"):
        netscope.ActiveSubspace(method="sketch", n_components=3, sketch_dtype="half")


def test_snapshot_uses_the_small_gram_when_n_is_below_d(fitted):
    _, _, full = fitted
    G = full.gradients_[:40]  # N = 40 < D = 169
    small = netscope.ActiveSubspace(n_components=10, full_spectrum=True, progress=False).fit_gradients(G)
    reference = np.linalg.eigh(G.astype(float).T @ G.astype(float) / 40)
    assert small.eigenvalues_.shape == (40,)
    np.testing.assert_allclose(small.eigenvalues_[:10], reference[0][::-1][:10], rtol=1e-5)
    assert np.max(scipy.linalg.subspace_angles(small.eigenvectors_[:, :5], reference[1][:, ::-1][:, :5])) < 1e-3


def test_layer_importance_transform_and_summary_against_hand_computations(fitted):
    model, data, result = fitted
    importance = result.layer_importance(5)
    assert list(importance.layers) == ["layer1", "layer2", "layer3", "layer4"] and importance.k == 5
    W = result.eigenvectors_[:, :5]
    offset = 0
    for linear in (model.layer1, model.layer2, model.layer3, model.layer4):  # weights, then biases
        weight, bias = linear.weight.numel(), linear.bias.numel()
        entry = importance[next(name for name, module in model.named_children() if module is linear)]
        expected_weight = (W[offset : offset + weight] ** 2).sum() / 5
        expected_bias = (W[offset + weight : offset + weight + bias] ** 2).sum() / 5
        assert entry.kinds["weight"] == pytest.approx(expected_weight) and entry.kinds["bias"] == pytest.approx(
            expected_bias
        )
        assert entry.parameter_fraction == pytest.approx((weight + bias) / result.n_parameters_)
        assert entry.enrichment == pytest.approx((expected_weight + expected_bias) / entry.parameter_fraction)
        offset += weight + bias
    # Ŵ's own columns have coordinates e_i in the subspace; a vector orthogonal to it has none.
    np.testing.assert_allclose(result.transform(W.T), np.eye(result.eigenvectors_.shape[1])[:5], atol=1e-12)
    orthogonal = result.eigenvectors_[:, -1] if result.eigenvectors_.shape[1] > 5 else None
    assert np.abs(result.transform(orthogonal)[:5]).max() < 1e-12
    # The sufficient summary: the prior samples regenerated and projected, beside their losses.
    active, losses = result.sufficient_summary(2)
    samples = netscope.nn.gradients.PriorSamples(result.parameter_layout_, seed=0, scale=1.0, center=None).rows(0, 600)
    np.testing.assert_allclose(active, samples.numpy().astype(np.float64) @ result.eigenvectors_[:, :2], rtol=1e-10)
    layout = result.parameter_layout_
    with torch.no_grad():
        for j in (0, 299, 599):  # the loss at sample j, evaluated by hand
            params = {name: part[0] for name, part in layout.unflatten_rows(samples[j : j + 1]).items()}
            prediction = torch.func.functional_call(model, params, (data[0],))
            assert losses[j] == pytest.approx(float(torch.nn.functional.mse_loss(prediction, data[1])), rel=1e-5)


@pytest.mark.parametrize("exact_below", [diagnostics.EXACT_REPLICATE_COLUMNS, 0])
def test_bootstrap_replicates_weight_rows_as_if_repeated(fitted, monkeypatch, exact_below):
    # Both routes: the exact Gram of narrow rows (D = 169 here), and the randomized solve.
    monkeypatch.setattr(diagnostics, "EXACT_REPLICATE_COLUMNS", exact_below)
    _, _, result = fitted
    G = result.gradients_[:200]
    counts = np.random.default_rng(5).multinomial(200, np.full(200, 1 / 200))
    values, vectors = diagnostics.bootstrap_replicate(G, counts, 4)
    repeated = np.repeat(G.astype(np.float64), counts, axis=0)
    expected_values, expected_vectors = np.linalg.eigh(repeated.T @ repeated / 200)
    np.testing.assert_allclose(values, expected_values[::-1][:4], rtol=1e-4)
    assert np.max(scipy.linalg.subspace_angles(vectors[:, :2], expected_vectors[:, ::-1][:, :2])) < 1e-3


def test_bootstrap_intervals_have_the_monte_carlo_width_and_cover_the_truth(rng):
    # C = A² with well separated eigenvalues a_i²: from N samples each estimate has relative
    # standard error √(2/N) (Gaussian x), so a 95 % interval spans about 2 · 1.96 · √(2/N). The
    # held-out estimate uses every sample once as held out, so it keeps that width.
    spectrum = np.array([3.0, 2.0, 1.2, 0.6, 0.3, 0.1])
    _, A = quadratic_problem(rng, spectrum)
    n = 2000
    result = netscope.ActiveSubspace(n_components=5, progress=False).fit(
        Quadratic(A), identity_loss, (torch.zeros(4, 1), torch.zeros(4, 1)), n_samples=n, seed=2
    )
    boot = result.bootstrap(n_boot=40, k=3, seed=1)
    np.testing.assert_array_equal(boot.eigenvalues, result.eigenvalues_[:3])
    assert boot.method == "held-out"
    truth = spectrum[:3] ** 2
    np.testing.assert_allclose(boot.eigenvalues_corrected, truth, rtol=3 * np.sqrt(2 / n))
    assert np.all(boot.eigenvalues_low < truth) and np.all(truth < boot.eigenvalues_high)
    width = (boot.eigenvalues_high - boot.eigenvalues_low) / truth
    np.testing.assert_allclose(width, 2 * 1.96 * np.sqrt(2 / n), rtol=0.5)
    # Gaps of 2x and more: every leading subspace is pinned down to a few degrees.
    assert np.all(boot.distance_high < 0.1)
    assert boot.to_dict()["n_boot"] == 40 and isinstance(boot.to_dict()["distance_mean"], list)


def test_convergence(fitted):
    _, _, result = fitted
    convergence = result.convergence(sizes=[20, 100, 600], k=3)
    assert convergence.sizes == [20, 100, 600]
    # All 600 samples reproduce the full estimate; 20 samples do not.
    assert convergence.distance[-1] < 0.02 < convergence.distance[0]


def test_same_seed_same_result_and_save_load(fitted, tmp_path):
    model, data, result = fitted
    again = netscope.ActiveSubspace(progress=False).fit(model, torch.nn.MSELoss(), data, n_samples=600, seed=0)
    assert np.array_equal(again.eigenvalues_, result.eigenvalues_)
    result.save(tmp_path / "result.npz")
    loaded = netscope.ActiveSubspace.load(tmp_path / "result.npz")
    assert np.array_equal(loaded.eigenvectors_, result.eigenvectors_)
    assert loaded.parameter_layout_ == result.parameter_layout_
    np.testing.assert_array_equal(loaded.sufficient_summary(1)[0], result.sufficient_summary(1)[0])
    with pytest.raises(ValueError, match="keep_gradients"):
        loaded.bootstrap()
    (tmp_path / "other.npz").write_bytes(b"not an archive")
    with pytest.raises(ValueError, match="not a saved ActiveSubspace"):
        netscope.ActiveSubspace.load(tmp_path / "other.npz")


def test_data_sampling_is_the_empirical_fisher():
    torch.manual_seed(0)
    model, (x, y) = mlp(1, 5, 2, 1), regression_1d(50)
    result = netscope.ActiveSubspace(progress=False).fit(model, torch.nn.MSELoss(), (x, y), sampling="data")
    assert result.n_samples_ == 50
    G = result.gradients_.astype(float)
    np.testing.assert_allclose(result.eigenvalues_[:3], np.linalg.eigvalsh(G.T @ G / 50)[::-1][:3], rtol=1e-6)


def test_bad_input_gives_clear_errors():
    data = regression_1d(16)
    frozen = mlp(1, 3, 1, 1).requires_grad_(False)
    with pytest.raises(ValueError, match="no trainable parameters"):
        netscope.ActiveSubspace().fit(frozen, torch.nn.MSELoss(), data, n_samples=4)
    with pytest.raises(ValueError, match="loss_fn must return a scalar"):
        netscope.ActiveSubspace(progress=False).fit(
            mlp(1, 3, 1, 1), torch.nn.MSELoss(reduction="none"), data, n_samples=4
        )
    with pytest.raises(ValueError, match="n_samples must be >= 1"):
        netscope.ActiveSubspace(progress=False).fit(mlp(1, 3, 1, 1), torch.nn.MSELoss(), data, n_samples=0)
    with pytest.raises(ValueError, match="n_components=50 exceeds"):
        netscope.ActiveSubspace(n_components=50, progress=False).fit(
            mlp(1, 3, 1, 1), torch.nn.MSELoss(), data, n_samples=20
        )
    with pytest.raises(ValueError, match="method must be one of"):
        netscope.ActiveSubspace(method="svd")
    with pytest.raises(ValueError, match="sampling must be one of"):
        netscope.ActiveSubspace().fit(mlp(1, 3, 1, 1), torch.nn.MSELoss(), data, sampling="posterior")
    with pytest.raises(ValueError, match="data holds no targets, but loss_fn needs them"):
        netscope.ActiveSubspace().fit(mlp(1, 3, 1, 1), torch.nn.MSELoss(), data[0])
    with pytest.raises(netscope.NotFittedError, match="not fitted"):
        netscope.ActiveSubspace().layer_importance()
    assert issubclass(netscope.NotFittedError, ValueError) and issubclass(netscope.NotFittedError, AttributeError)

    model = mlp(1, 3, 1, 1)
    x, y = data
    y_bad = y.clone()
    y_bad[5] = float("nan")
    with pytest.raises(ValueError, match="example 5 holds NaN or inf"):
        netscope.ActiveSubspace(progress=False).fit(model, torch.nn.MSELoss(), (x, y_bad), sampling="data")


def test_cli_active_subspace_writes_figures_and_summary(tmp_path):
    from netscope.cli import main

    out = tmp_path / "run"
    assert (
        main(
            [
                "active-subspace",
                "--out",
                str(out),
                "--samples",
                "300",
                "--depth",
                "2",
                "--width",
                "6",
                "--n-boot",
                "3",
                "--k",
                "3",
                "--vectors",
                "20",
                "--activation",
                "relu",
            ]
        )
        == 0
    )
    summary = json.loads((out / "summary.json").read_text())
    D = 2 * 6 + 7 * 6 + 7
    assert summary["n_parameters"] == D and summary["n_samples"] == 300 and summary["method"] == "snapshot"
    # The same fit by hand: the preset's network, the prior's 300 samples, every eigenvalue.
    problem = preset_problem("seed", depth=2, width=6, activation="relu", seed=0)
    direct = netscope.ActiveSubspace(n_components=20, full_spectrum=True, progress=False).fit(
        problem.model, problem.loss, problem.data, n_samples=300, seed=0
    )
    np.testing.assert_allclose(summary["eigenvalues"], direct.eigenvalues_, rtol=1e-12)
    assert summary["eigenvalues_for_90_percent_of_trace"] == int(
        np.searchsorted(np.cumsum(direct.eigenvalues_) / direct.eigenvalues_.sum(), 0.9) + 1
    )
    layers = summary["layer_importance"]["layers"]
    assert list(layers) == ["layer1", "layer2", "layer3"] and summary["layer_importance"]["k"] == 3
    assert sum(entry["share"] for entry in layers.values()) == pytest.approx(1.0)
    assert layers["layer1"]["share"] == pytest.approx(direct.layer_importance(3)["layer1"].share)
    assert len(summary["bootstrap"]["distance_mean"]) == 3 and summary["bootstrap"]["n_boot"] == 3
    assert summary["convergence"]["sizes"][-1] == 300 and summary["convergence"]["distance"][-1] < 1e-2
    for name in ("eigenvalues", "eigenvectors", "layer_importance", "convergence", "sufficient_summary"):
        assert_drawn(out / f"{name}.png", min_width=700)  # 6.4 in at 110 dpi


def test_layer_spectra_are_the_diagonal_blocks_of_c(rng):
    layout = ParameterLayout(
        names=("a.weight", "a.bias", "b.weight"),
        shapes=((3, 4), (3,), (5,)),
        layers=("a", "a", "b"),
        kinds=("weight", "bias", "weight"),
    )
    G = rng.standard_normal((40, 20)) * np.linspace(0.2, 2.0, 20)  # layer a: columns 0..14, b: 15..19
    fitted = netscope.ActiveSubspace("snapshot", n_components=6, progress=False).fit_gradients(G, layout=layout)
    spectra = fitted.layer_spectra(4)
    C = G.astype(np.float32).astype(np.float64).T @ G.astype(np.float32).astype(np.float64) / 40
    W = fitted.eigenvectors_[:, :4]
    for layer, (start, stop) in {"a": (0, 15), "b": (15, 20)}.items():
        block = C[start:stop, start:stop]
        np.testing.assert_allclose(spectra[layer].eigenvalues, np.linalg.eigvalsh(block)[::-1][:4], rtol=1e-5)
        assert spectra[layer].trace == pytest.approx(np.trace(block), rel=1e-6)
        assert spectra[layer].trace_share == pytest.approx(np.trace(block) / np.trace(C), rel=1e-6)
        np.testing.assert_allclose(spectra[layer].global_share, (W[start:stop] ** 2).sum(axis=0), atol=1e-12)
        assert spectra[layer].parameters == stop - start
    np.testing.assert_allclose(spectra["a"].global_share + spectra["b"].global_share, 1.0, atol=1e-8)
    with pytest.raises(ValueError, match="k"):
        fitted.layer_spectra(7)
    with pytest.raises(ValueError, match="needs the gradients"):
        netscope.ActiveSubspace("gram", keep_gradients=False, progress=False).fit_gradients(
            G, layout=layout
        ).layer_spectra(2)
    with pytest.raises(ValueError, match="parameter layout"):
        netscope.ActiveSubspace("snapshot", n_components=3, progress=False).fit_gradients(G).layer_spectra(2)


def use_restarted_passes(monkeypatch, iterate: bool) -> None:
    """Make method="multipass" restart its Krylov basis within two blocks (as it does beyond
    KRYLOV_STATE_BYTES of Krylov basis) instead of keeping it whole, on a small problem."""
    if iterate:
        monkeypatch.setattr(netscope.active.solvers, "KRYLOV_STATE_BYTES", 0)


@pytest.mark.parametrize("iterate", [False, True], ids=["krylov", "restarted"])
def test_multipass_reaches_the_exact_top_k_of_a_decaying_spectrum(rng, tmp_path, monkeypatch, iterate):
    use_restarted_passes(monkeypatch, iterate)
    D, N, k = 300, 2000, 8
    basis = np.linalg.qr(rng.standard_normal((D, D)))[0]
    G = (rng.standard_normal((N, D)) * (0.93 ** np.arange(D))) @ basis.T  # λ_i ∝ 0.93^(2i): slow decay
    C = G.astype(np.float32).astype(np.float64).T @ G.astype(np.float32) / N
    values, vectors = np.linalg.eigh(C)
    exact, top = values[::-1][:k], vectors[:, ::-1][:, :k]
    errors, residuals = [], []
    for passes in (2, 3, 8):
        fitted = netscope.ActiveSubspace("multipass", n_components=k, n_passes=passes, progress=False).fit_gradients(
            [G[:700].astype(np.float32), G[700:].astype(np.float32)]
        )
        errors.append(np.abs(fitted.eigenvalues_ / exact - 1).max())
        assert fitted.gradients_ is None and fitted.n_samples_ == N
        # residuals_ is ‖C v − λ v‖ of the returned pairs, checked against the explicit C
        explicit = np.linalg.norm(C @ fitted.eigenvectors_ - fitted.eigenvectors_ * fitted.eigenvalues_, axis=0)
        np.testing.assert_allclose(fitted.residuals_, explicit, rtol=1e-6, atol=1e-12 * exact[0])
        residuals.append(fitted.residuals_.max() / exact[-1])
    assert errors[0] > 1e-4 and errors[0] > errors[1] > errors[2]  # the passes are the accuracy knob
    assert residuals[0] > residuals[1] > residuals[2]
    # the whole basis goes to the float32 floor; the restarted one stops at ‖C v − λ v‖ ≤ 10⁻³ λ
    assert errors[2] < 1e-8 if not iterate else residuals[2] <= 1e-3 and errors[2] < 1e-6
    fitted.save(tmp_path / "multipass.npz")
    loaded = netscope.ActiveSubspace.load(tmp_path / "multipass.npz")
    assert loaded.method == "multipass" and loaded.n_passes == 8
    np.testing.assert_array_equal(loaded.eigenvalues_, fitted.eigenvalues_)
    np.testing.assert_array_equal(loaded.residuals_, fitted.residuals_)
    sines = np.linalg.svd(top.T @ fitted.eigenvectors_, compute_uv=False)
    assert np.sqrt(1 - sines.min() ** 2) < (1e-3 if iterate else 1e-6)


def test_multipass_restarted_in_float32(rng, monkeypatch):
    # The restarted basis stored in float32 (as "auto" picks beyond 1 GiB of float64): the
    # products are float32 sums, so the pairs reach float32's accuracy, not float64's.
    use_restarted_passes(monkeypatch, True)
    D, N, k = 400, 1500, 6
    G = (rng.standard_normal((N, D)) * (0.9 ** np.arange(D))) @ np.linalg.qr(rng.standard_normal((D, D)))[0].T
    G = G.astype(np.float32)
    values, vectors = np.linalg.eigh(G.astype(np.float64).T @ G / N)
    fitted = netscope.ActiveSubspace(
        "multipass", n_components=k, n_passes=10, sketch_dtype="float32", progress=False
    ).fit_gradients([G[:500], G[500:]])
    assert fitted.eigenvectors_.dtype == np.float32
    np.testing.assert_allclose(fitted.eigenvalues_, values[::-1][:k], rtol=1e-5)
    sines = np.linalg.svd(vectors[:, ::-1][:, :k].T @ fitted.eigenvectors_, compute_uv=False)
    assert np.sqrt(1 - sines.min() ** 2) < 1e-3


def test_multipass_restarts_beyond_its_krylov_budget(monkeypatch):
    solvers = netscope.active.solvers
    monkeypatch.setattr(solvers, "KRYLOV_STATE_BYTES", 8 * 1000 * 30 * 11)  # q = 6, b = 30 at D = 1000 fits
    assert isinstance(solvers.MultipassSolver(1000, sketch_size=30, n_passes=6).passes, solvers.BlockKrylovPasses)
    restarted = solvers.MultipassSolver(1000, sketch_size=30, n_passes=7, n_components=10).passes
    assert isinstance(restarted, solvers.RestartedPasses) and restarted.dtype == np.float64
    assert restarted.columns == 60 and restarted.block == 10 and restarted.wanted == 10
    monkeypatch.setattr(netscope.active.decompositions, "FLOAT32_SKETCH_BEYOND_BYTES", 1000)
    assert solvers.MultipassSolver(1000, sketch_size=30, n_passes=7).passes.dtype == np.float32


@pytest.mark.parametrize("iterate", [False, True], ids=["krylov", "restarted"])
@pytest.mark.parametrize("sampling", ["prior", "data"])
def test_multipass_equals_the_snapshot_on_a_small_network(sampling, iterate, monkeypatch):
    from torch.utils.data import DataLoader, TensorDataset

    use_restarted_passes(monkeypatch, iterate)
    torch.manual_seed(0)
    model, (x, y) = mlp(1, 5, 2, 1), regression_1d(64)
    data = DataLoader(TensorDataset(x, y), batch_size=16)  # read again in every pass
    loss, samples = torch.nn.MSELoss(), (300 if sampling == "prior" else None)
    exact = netscope.ActiveSubspace("snapshot", n_components=5, progress=False).fit(
        model, loss, data, n_samples=samples, sampling=sampling, seed=3
    )
    replayed = netscope.ActiveSubspace("multipass", n_components=5, n_passes=8 if iterate else 4, progress=False).fit(
        model, loss, data, n_samples=samples, sampling=sampling, seed=3
    )
    # the restarted basis stops at ‖C v − λ v‖ ≤ 10⁻³ λ: λ to about its square
    np.testing.assert_allclose(replayed.eigenvalues_, exact.eigenvalues_, rtol=1e-6 if iterate else 1e-8)
    overlaps = np.abs(replayed.eigenvectors_.T @ exact.eigenvectors_)
    np.testing.assert_allclose(overlaps, np.eye(5), atol=1e-3 if iterate else 1e-6)
    np.testing.assert_array_equal(replayed.losses_, exact.losses_)


@pytest.mark.parametrize("iterate", [False, True], ids=["krylov", "restarted"])
def test_multipass_says_when_the_passes_found_too_few_directions(rng, monkeypatch, iterate):
    use_restarted_passes(monkeypatch, iterate)
    study = netscope.ActiveSubspace("multipass", n_components=5, sketch_size=6, n_passes=3, progress=False)
    with pytest.raises(ValueError, match="found no direction: the gradients are all zero"):
        study.fit_gradients(np.zeros((30, 6)))
    rank_two = rng.standard_normal((30, 2)) @ rng.standard_normal((2, 6))
    with pytest.raises(ValueError, match="n_components=5 exceeds the 2 directions the passes found"):
        study.fit_gradients(rank_two)
    fitted = netscope.ActiveSubspace("multipass", n_components=2, n_passes=3, progress=False).fit_gradients(rank_two)
    np.testing.assert_allclose(fitted.eigenvalues_, np.linalg.eigvalsh(rank_two.T @ rank_two / 30)[::-1][:2], rtol=1e-6)
    assert not hasattr(study, "eigenvalues_")


def test_multipass_refuses_what_it_cannot_replay():
    from torch.utils.data import DataLoader, TensorDataset

    with pytest.raises(ValueError, match="n_passes goes with method='multipass'"):
        netscope.ActiveSubspace("sketch", n_components=3, n_passes=4)
    with pytest.raises(ValueError, match="n_passes"):
        netscope.ActiveSubspace("multipass", n_components=3, n_passes=1)
    with pytest.raises(ValueError, match="needs n_components"):
        netscope.ActiveSubspace("multipass")
    study = netscope.ActiveSubspace("multipass", n_components=2, n_passes=3, progress=False)
    G = np.random.default_rng(0).standard_normal((30, 6))
    with pytest.raises(ValueError, match="one-shot iterator"):
        study.fit_gradients(iter([G]))
    model, (x, y) = mlp(1, 3, 1, 1), regression_1d(32)
    shuffled = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True)
    with pytest.raises(ValueError, match="shuffles"):
        study.fit(model, torch.nn.MSELoss(), shuffled, sampling="data")
    assert not hasattr(study, "eigenvalues_")


def test_projection_bootstrap_matches_the_gradient_bootstrap(rng):
    # One stream, bootstrapped twice: from the kept gradients, and from their replayed
    # projections on the top 40 of 60 directions. Both resample in a fitted span of 40 (the
    # gram's exact one, the sketch's), with the same seed, so the subspace distances agree; the
    # replay's basic intervals are those of the same bootstrap on the kept gradients' projections.
    N, D = 1500, 60
    G = (rng.standard_normal((N, D)) * 0.8 ** np.arange(D)).astype(np.float32) @ orthonormal(rng, D, D).T.astype(
        np.float32
    )
    chunks = [G[:800], G[800:]]
    kept = netscope.ActiveSubspace("gram", n_components=40, progress=False).fit_gradients(chunks)
    replayed = netscope.ActiveSubspace(
        "sketch", n_components=40, sketch_size=60, keep_gradients=False, keep_projections=True, progress=False
    ).fit_gradients(chunks)
    assert replayed.gradients_ is None and replayed.projections_.shape == (N, 40)
    np.testing.assert_allclose(
        replayed.projections_, G.astype(np.float64) @ replayed.eigenvectors_, rtol=1e-4, atol=1e-5
    )
    assert "projections" in replayed.timings_
    a, b = kept.bootstrap(n_boot=60, k=5, seed=2), replayed.bootstrap(n_boot=60, k=5, seed=2)
    assert a.method == "held-out" and b.method == "basic bootstrap in the fitted span"
    assert b.eigenvalues_corrected is None and a.eigenvalues_corrected is not None
    np.testing.assert_allclose(b.distance_mean, a.distance_mean, rtol=0.1)
    exact = diagnostics.bootstrap_projections(
        G.astype(np.float64) @ kept.eigenvectors_, n_boot=60, k=5, confidence=0.95, seed=2, progress=False
    )
    width = exact.eigenvalues_high - exact.eigenvalues_low
    np.testing.assert_allclose(b.eigenvalues, exact.eigenvalues, atol=1e-3 * width.min())
    np.testing.assert_allclose(b.eigenvalues_low, exact.eigenvalues_low, atol=0.05 * width.min())
    np.testing.assert_allclose(b.eigenvalues_high, exact.eigenvalues_high, atol=0.05 * width.min())


def test_projection_intervals_cover_a_known_spectrum():
    # Gaussian gradients with C = diag(λ), λ well separated: the 90 % intervals of λ1..λ3 from
    # replayed projections should hold the true λ about 90 % of the time (checked over 40 streams).
    D, N, k, confidence = 80, 1500, 3, 0.9
    spectrum = 10.0 * 0.6 ** np.arange(D)
    covered = np.zeros(k)
    for stream in range(40):
        G = np.random.default_rng(100 + stream).standard_normal((N, D)) * np.sqrt(spectrum)
        fit = netscope.ActiveSubspace(
            "sketch", n_components=30, sketch_size=50, keep_gradients=False, keep_projections=True, progress=False
        ).fit_gradients([G[:700], G[700:]])
        intervals = fit.bootstrap(n_boot=200, k=k, confidence=confidence, seed=stream)
        covered += (intervals.eigenvalues_low <= spectrum[:k]) & (spectrum[:k] <= intervals.eigenvalues_high)
    rates = covered / 40
    assert np.all(rates >= 0.75) and np.all(rates <= 1.0), rates
    assert rates.mean() >= 0.8


def test_keep_projections_refuses_what_it_cannot_replay():
    from torch.utils.data import DataLoader, TensorDataset

    with pytest.raises(ValueError, match="keep_projections replays the stream for a fit that keeps no gradients"):
        netscope.ActiveSubspace("sketch", n_components=3, keep_projections=True)
    with pytest.raises(ValueError, match="keep_projections replays"):
        netscope.ActiveSubspace("snapshot", keep_gradients=False, keep_projections=True)
    estimator = netscope.ActiveSubspace(
        "sketch", n_components=2, keep_gradients=False, keep_projections=True, progress=False
    )
    with pytest.raises(ValueError, match="not a one-shot iterator"):
        estimator.fit_gradients(iter([np.ones((5, 4))]))
    torch.manual_seed(0)
    model, (x, y) = mlp(1, 4, 1, 1), regression_1d(32)
    with pytest.raises(ValueError, match="the loader shuffles, but keep_projections"):
        estimator.fit(
            model, torch.nn.MSELoss(), DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True), sampling="data"
        )
    fitted = netscope.ActiveSubspace("sketch", n_components=2, keep_gradients=False, progress=False).fit(
        model, torch.nn.MSELoss(), (x, y), n_samples=40
    )
    with pytest.raises(ValueError, match="keep_projections=True"):
        fitted.bootstrap()


@pytest.mark.parametrize("sampling", ["prior", "data"])
def test_replayed_projections_are_the_gradients_in_the_fitted_directions(sampling, tmp_path):
    torch.manual_seed(0)
    model, data = mlp(1, 6, 2, 1), regression_1d(64)
    samples = 200 if sampling == "prior" else None
    kept = netscope.ActiveSubspace("snapshot", n_components=4, progress=False).fit(
        model, torch.nn.MSELoss(), data, n_samples=samples, sampling=sampling, seed=4
    )
    replayed = netscope.ActiveSubspace(
        "sketch",
        n_components=4,
        sketch_size=20,
        keep_gradients=False,
        keep_projections=True,
        layer_blocks=True,
        chunk_size=48,
        progress=False,
    ).fit(
        model,
        torch.nn.MSELoss(),
        data,
        n_samples=samples,
        sampling=sampling,
        seed=4,
        checkpoint=tmp_path / "ck",
        stream_sizes=[50],
    )
    expected = kept.gradients_.astype(np.float64) @ replayed.eigenvectors_
    np.testing.assert_allclose(replayed.projections_, expected, rtol=1e-4, atol=1e-6 * np.abs(expected).max())
    assert replayed.stream_convergence_ is not None  # the first pass still records along the stream
    # the layer blocks filled along the replay, not the checkpointed first pass
    assert not list(tmp_path.glob("ck.layers*"))
    for layer, entry in replayed.layer_spectra(3).layers.items():
        np.testing.assert_allclose(entry.eigenvalues, kept.layer_spectra(3)[layer].eigenvalues, rtol=1e-4)


def test_layer_blocks_from_the_stream_are_the_diagonal_blocks_of_c(rng, monkeypatch):
    import netscope.active.layer_blocks as layer_blocks

    monkeypatch.setattr(layer_blocks, "GRAM_LAYER_MAX", 20)  # layer "b" (40 parameters) gets a sketch
    layout = ParameterLayout(
        names=("a.weight", "b.weight", "c.bias"),
        shapes=((3, 5), (40,), (6,)),
        layers=("a", "b", "c"),
        kinds=("weight", "weight", "bias"),
    )
    N = 300
    G = rng.standard_normal((N, 61)) * np.linspace(0.3, 2.0, 61)
    G[:, 15:55] = rng.standard_normal((N, 6)) @ rng.standard_normal((6, 40))  # rank 6 < 30 - 1: the sketch is exact
    chunks = [G[:120], G[120:]]
    fitted = netscope.ActiveSubspace(
        "sketch", n_components=5, sketch_size=40, keep_gradients=False, layer_blocks=True, progress=False
    ).fit_gradients(chunks, layout=layout)
    assert isinstance(fitted.layer_blocks_.states["b"], netscope.NystromSketch)
    assert fitted.layer_blocks_.states["b"].dtype == np.float32
    spectra = fitted.layer_spectra(4)
    C = G.T @ G / N
    total = np.trace(C)
    for layer, (start, stop) in layout.layer_slices().items():
        block = C[start:stop, start:stop]
        exact = np.linalg.eigvalsh(block)[::-1][: min(4, stop - start)]
        sketched = isinstance(fitted.layer_blocks_.states[layer], netscope.NystromSketch)  # float32: its rounding
        np.testing.assert_allclose(
            spectra[layer].eigenvalues, exact, rtol=1e-5 if sketched else 1e-8, atol=1e-10 * exact[0]
        )
        assert spectra[layer].trace == pytest.approx(np.trace(block), rel=1e-12)
        assert spectra[layer].trace_share == pytest.approx(np.trace(block) / total, rel=1e-12)
        restricted = fitted.eigenvectors_[start:stop, :4]
        np.testing.assert_allclose(spectra[layer].global_share, (restricted**2).sum(axis=0), rtol=1e-12)
    # With keep_projections the blocks fill along the replay instead: the same numbers, and
    # multipass (which cannot fill them along its passes) gets them too.
    for method in ("sketch", "multipass"):
        replayed = netscope.ActiveSubspace(
            method,
            n_components=5,
            sketch_size=40,
            keep_gradients=False,
            keep_projections=True,
            layer_blocks=True,
            progress=False,
        ).fit_gradients(chunks, layout=layout)
        np.testing.assert_array_equal(replayed.layer_blocks_.traces, fitted.layer_blocks_.traces)
        for layer in layout.layer_slices():
            np.testing.assert_allclose(
                replayed.layer_spectra(4)[layer].eigenvalues, spectra[layer].eigenvalues, rtol=1e-12
            )
    with pytest.raises(ValueError, match="layer_blocks accumulates the layers' blocks for a fit that keeps no"):
        netscope.ActiveSubspace("sketch", n_components=3, layer_blocks=True)
    with pytest.raises(ValueError, match="or 'multipass' with keep_projections=True"):
        netscope.ActiveSubspace("multipass", n_components=3, keep_gradients=False, layer_blocks=True)
    with pytest.raises(ValueError, match="layer_blocks needs layout="):
        netscope.ActiveSubspace("gram", keep_gradients=False, layer_blocks=True).fit_gradients(chunks)
    with pytest.raises(ValueError, match="layer_blocks=True"):
        netscope.ActiveSubspace("gram", keep_gradients=False, progress=False).fit_gradients(chunks).layer_spectra()


def test_layer_blocks_resume_from_a_checkpoint_to_the_uninterrupted_result(tmp_path):
    from test_long_runs import InterruptedLoss

    torch.manual_seed(0)
    model, data = mlp(1, 8, 2, 1), regression_1d(32)
    path = tmp_path / "state.bin"

    def fit(loss, **options):
        return netscope.ActiveSubspace(
            "sketch", n_components=4, keep_gradients=False, layer_blocks=True, chunk_size=50, progress=False
        ).fit(model, loss, data, n_samples=400, seed=3, **options)

    whole = fit(torch.nn.MSELoss())
    with pytest.raises(KeyboardInterrupt):  # stopped in chunk 4 of 8: the last checkpoint holds 100
        fit(InterruptedLoss(4), checkpoint=path, checkpoint_every=100)
    assert sorted(p.name for p in tmp_path.glob("state.bin.layers@*.json")) == ["state.bin.layers@100.json"]
    resumed = fit(torch.nn.MSELoss(), checkpoint=path, checkpoint_every=100, resume=True)
    for layer, spectrum in whole.layer_spectra(3).layers.items():
        np.testing.assert_array_equal(resumed.layer_spectra(3)[layer].eigenvalues, spectrum.eigenvalues)
        assert resumed.layer_spectra(3)[layer].trace == spectrum.trace
    assert sorted(p.name for p in tmp_path.glob("state.bin.layers@*.json")) == ["state.bin.layers@400.json"]
    (tmp_path / "state.bin.layers@400.json").unlink()
    with pytest.raises(ValueError, match="layer blocks of sample 400 are missing"):
        fit(torch.nn.MSELoss(), checkpoint=path, resume=True)
