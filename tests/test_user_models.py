"""netscope on what a researcher holds: their own layers, DataLoaders, dict and token inputs,
train-mode modules and devices. Every estimate is checked against a hand-written per-example
``torch.autograd.grad`` loop and numpy's ``eigh``."""

import warnings

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

import netscope
from netscope import ActivationTracker
from netscope.nn.data import call_model
from netscope.studies.models import mlp, regression_1d


class SmallCNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 4, 3, padding=1)
        self.norm = torch.nn.BatchNorm2d(4)
        self.drop = torch.nn.Dropout(0.3)
        self.head = torch.nn.Linear(4 * 4 * 4, 3)

    def forward(self, x):
        h = torch.nn.functional.max_pool2d(torch.relu(self.norm(self.conv(x))), 2)
        return self.head(self.drop(h.flatten(1)))


class Recurrent(torch.nn.Module):
    def __init__(self, kind):
        super().__init__()
        self.rnn = getattr(torch.nn, kind)(3, 6, batch_first=True)
        self.head = torch.nn.Linear(6, 3)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


class Attention(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.attend = torch.nn.MultiheadAttention(8, 2, batch_first=True)
        self.norm = torch.nn.LayerNorm(8)
        self.head = torch.nn.Linear(8, 3)

    def forward(self, x):
        h, _ = self.attend(x, x, x, need_weights=False)
        return self.head(self.norm(x + h).mean(dim=1))


class TwoInputs(torch.nn.Module):
    """Called as model(image=..., extra=...)."""

    def __init__(self):
        super().__init__()
        self.image = torch.nn.Linear(6, 5)
        self.extra = torch.nn.Linear(2, 5)
        self.head = torch.nn.Linear(5, 3)

    def forward(self, image, extra):
        return self.head(torch.tanh(self.image(image) + self.extra(extra)))


class Tokens(torch.nn.Module):
    """Token ids -> embedding -> mean -> classes, with the output layer tied to the embedding
    and a frozen projection."""

    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(11, 6)
        self.frozen = torch.nn.Linear(6, 6).requires_grad_(False)
        self.out = torch.nn.Linear(6, 11, bias=False)
        self.out.weight = self.embed.weight  # tied

    def forward(self, tokens):
        return self.out(torch.tanh(self.frozen(self.embed(tokens).mean(dim=1))))


def classification(inputs, classes=3, seed=0):
    generator = torch.Generator().manual_seed(seed)
    first = inputs if isinstance(inputs, torch.Tensor) else next(iter(inputs.values()))
    return torch.randint(0, classes, (len(first),), generator=generator)


def reference_eigenvalues(model, loss_fn, inputs, targets, k=10):
    """Top-k eigenvalues of (1/N) Σ g gᵀ from a per-example autograd loop in eval mode."""
    params = [p for p in model.parameters() if p.requires_grad]
    was_training = model.training
    model.eval()
    rows = []
    for i in range(len(targets)):
        one = (
            {key: value[i : i + 1] for key, value in inputs.items()} if isinstance(inputs, dict) else inputs[i : i + 1]
        )
        loss = loss_fn(call_model(model, one), targets[i : i + 1])
        rows.append(torch.cat([g.reshape(-1) for g in torch.autograd.grad(loss, params)]).double().numpy())
    model.train(was_training)
    G = np.stack(rows)
    small = G @ G.T / len(G) if len(G) < G.shape[1] else G.T @ G / len(G)
    return np.linalg.eigvalsh(small)[::-1][:k]


def user_models():
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(1)
    cnn = SmallCNN()
    with torch.no_grad():  # running statistics that are not the defaults
        cnn.norm.running_mean.uniform_(-0.5, 0.5, generator=generator)
        cnn.norm.running_var.uniform_(0.5, 2.0, generator=generator)
    images = torch.randn(40, 1, 8, 8, generator=generator)
    sequences = torch.randn(40, 5, 3, generator=generator)
    tokens = torch.randint(0, 11, (40, 7), generator=generator)
    two = {"image": torch.randn(40, 6, generator=generator), "extra": torch.randn(40, 2, generator=generator)}
    return {
        "cnn_batchnorm_dropout": (cnn, images),
        "lstm": (Recurrent("LSTM"), sequences),
        "gru": (Recurrent("GRU"), sequences),
        "attention_layernorm": (Attention(), torch.randn(40, 4, 8, generator=generator)),
        "dict_inputs": (TwoInputs(), two),
        "embedding_tied_frozen": (Tokens(), tokens),
    }


@pytest.mark.parametrize("name", list(user_models()))
def test_data_sampling_matches_a_per_example_autograd_loop(name):
    model, inputs = user_models()[name]
    targets = classification(inputs, 11 if name == "embedding_tied_frozen" else 3)
    loss_fn = torch.nn.CrossEntropyLoss()
    model.train()  # left in train mode by the user: gradients are still taken in eval mode
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = netscope.ActiveSubspace(n_components=10, chunk_size=16, progress=False).fit(
            model, loss_fn, (inputs, targets), sampling="data"
        )
    fallbacks = [w for w in caught if "Falling back to a per-example autograd loop" in str(w.message)]
    # torch.func cannot batch a GRU (the LSTM it runs through its slow per-sample fallback): one
    # warning that names the layer, and the loop from then on.
    assert len(fallbacks) == (name == "gru")
    if fallbacks:
        assert "cannot batch layer 'rnn' (GRU)" in str(fallbacks[0].message)
    assert all(module.training for module in model.modules())
    expected = reference_eigenvalues(model, loss_fn, inputs, targets)
    np.testing.assert_allclose(result.eigenvalues_, expected, rtol=1e-5)
    assert result.n_parameters_ == sum(p.numel() for p in model.parameters() if p.requires_grad)


def test_the_loop_backend_gives_the_vmap_numbers_and_vmap_alone_names_what_fails():
    for name in ("cnn_batchnorm_dropout", "embedding_tied_frozen"):
        model, inputs = user_models()[name]
        targets = classification(inputs)
        for sampling in ("data", "prior"):
            fits = {
                backend: netscope.ActiveSubspace(n_components=5, backend=backend, progress=False).fit(
                    model, torch.nn.CrossEntropyLoss(), (inputs, targets), sampling=sampling, n_samples=20, scale=0.3
                )
                for backend in ("vmap", "loop")
            }
            np.testing.assert_allclose(fits["loop"].gradients_, fits["vmap"].gradients_, rtol=1e-4, atol=1e-6)
    gru, sequences = user_models()["gru"]
    with pytest.raises(ValueError, match="backend='vmap': torch.func.vmap cannot batch layer 'rnn' .GRU."):
        netscope.ActiveSubspace(backend="vmap", progress=False).fit(
            gru, torch.nn.CrossEntropyLoss(), (sequences, classification(sequences)), sampling="data"
        )
    with pytest.raises(ValueError, match="backend must be one of"):
        netscope.ActiveSubspace(backend="jit")


def loader_of(inputs, targets, batch_size, **options):
    return DataLoader(TensorDataset(inputs, targets), batch_size=batch_size, **options)


@pytest.mark.parametrize("sampling", ["data", "prior"])
def test_a_dataloader_gives_the_tensor_pair_result(sampling):
    torch.manual_seed(0)
    model, (x, y) = mlp(1, 6, 2, 1), regression_1d(50)

    def fit(data):
        return netscope.ActiveSubspace(n_components=8, chunk_size=16, progress=False).fit(
            model, torch.nn.MSELoss(), data, sampling=sampling, n_samples=60 if sampling == "prior" else None, seed=2
        )

    pair, loader = fit((x, y)), fit(loader_of(x, y, 12))
    assert loader.n_samples_ == pair.n_samples_
    # Prior sampling sums the mean loss batch by batch, weighted by batch size: the same loss.
    np.testing.assert_allclose(loader.eigenvalues_, pair.eigenvalues_, rtol=1e-5)
    np.testing.assert_allclose(loader.losses_, pair.losses_, rtol=1e-5)
    np.testing.assert_allclose(np.abs(loader.eigenvectors_[:, :3].T @ pair.eigenvectors_[:, :3]), np.eye(3), atol=1e-3)
    if sampling == "prior":  # a fixed subset of batches is another loss: the first 12 examples'
        subset = netscope.ActiveSubspace(n_components=8, progress=False).fit(
            model, torch.nn.MSELoss(), loader_of(x, y, 12), n_samples=60, seed=2, prior_batches=1
        )
        first = netscope.ActiveSubspace(n_components=8, progress=False).fit(
            model, torch.nn.MSELoss(), (x[:12], y[:12]), n_samples=60, seed=2
        )
        np.testing.assert_allclose(subset.eigenvalues_, first.eigenvalues_, rtol=1e-5)
        with pytest.raises(ValueError, match="prior_batches must be >= 1"):
            netscope.ActiveSubspace(progress=False).fit(
                model, torch.nn.MSELoss(), loader_of(x, y, 12), n_samples=4, prior_batches=0
            )
        with pytest.raises(ValueError, match="prior_batches: the loader shuffles"):
            netscope.ActiveSubspace(progress=False).fit(
                model, torch.nn.MSELoss(), loader_of(x, y, 12, shuffle=True), n_samples=4, prior_batches=1
            )


def test_dict_batches_from_a_list_give_the_whole_pair_result():
    torch.manual_seed(0)
    model, two = user_models()["dict_inputs"]
    targets = classification(two)
    batches = [({key: value[i : i + 10] for key, value in two.items()}, targets[i : i + 10]) for i in range(0, 40, 10)]
    whole = netscope.ActiveSubspace(n_components=6, progress=False).fit(
        model, torch.nn.CrossEntropyLoss(), (two, targets), sampling="data"
    )
    listed = netscope.ActiveSubspace(n_components=6, progress=False).fit(
        model, torch.nn.CrossEntropyLoss(), batches, sampling="data"
    )
    np.testing.assert_allclose(listed.gradients_, whole.gradients_, rtol=1e-5, atol=1e-7)


def test_prior_sampling_on_a_train_mode_model_leaves_its_modes_alone():
    model, images = user_models()["cnn_batchnorm_dropout"]
    targets = classification(images)
    model.train()
    model.head.eval()
    modes = [m.training for m in model.modules()]
    state = {key: value.clone() for key, value in model.state_dict().items()}
    result = netscope.ActiveSubspace(n_components=5, progress=False).fit(
        model, torch.nn.CrossEntropyLoss(), (images, targets), n_samples=40, scale=0.1, seed=1
    )
    assert [m.training for m in model.modules()] == modes
    for key, value in model.state_dict().items():  # running statistics untouched
        assert torch.equal(value, state[key]), key
    assert np.all(np.isfinite(result.eigenvalues_)) and result.eigenvalues_[0] > 0


def test_dropout_mode_is_seeded_and_train_mode_refuses_batchnorm():
    model, images = user_models()["cnn_batchnorm_dropout"]
    targets = classification(images)

    def fit(seed):
        return netscope.ActiveSubspace(n_components=5, progress=False).fit(
            model, torch.nn.CrossEntropyLoss(), (images, targets), sampling="data", mode="dropout", seed=seed
        )

    before = torch.random.get_rng_state()
    first, again, other = fit(0), fit(0), fit(1)
    assert torch.equal(torch.random.get_rng_state(), before)  # the caller's random stream is untouched
    np.testing.assert_array_equal(first.gradients_, again.gradients_)
    assert not np.allclose(first.gradients_, other.gradients_)
    evaluated = netscope.ActiveSubspace(n_components=5, progress=False).fit(
        model, torch.nn.CrossEntropyLoss(), (images, targets), sampling="data"
    )
    assert not np.allclose(first.gradients_, evaluated.gradients_)  # dropout was on
    with pytest.raises(ValueError, match="BatchNorm layers .'norm'. in train mode.*couple the examples"):
        netscope.ActiveSubspace(progress=False).fit(
            model, torch.nn.CrossEntropyLoss(), (images, targets), sampling="data", mode="train"
        )
    with pytest.raises(ValueError, match="mode must be one of"):
        netscope.ActiveSubspace(progress=False).fit(model, torch.nn.CrossEntropyLoss(), (images, targets), mode="test")


def test_a_failed_fit_leaves_the_estimator_as_it_was():
    torch.manual_seed(0)
    model, (x, y) = mlp(1, 4, 1, 1), regression_1d(20)
    estimator = netscope.ActiveSubspace(n_components=3, progress=False)
    with pytest.raises(ValueError):
        estimator.fit(model, torch.nn.MSELoss(), (x, y.fill_(float("nan"))), sampling="data")
    assert not any(name.endswith("_") and not name.startswith("_") for name in vars(estimator))
    assert not hasattr(estimator, "_prior")
    estimator.fit(model, torch.nn.MSELoss(), regression_1d(20), n_samples=30, seed=0)
    before = {name: value for name, value in vars(estimator).items()}
    with pytest.raises(ValueError):
        estimator.fit(model, torch.nn.MSELoss(), (x, y), sampling="data")
    assert vars(estimator).keys() == before.keys()
    assert all(vars(estimator)[name] is value for name, value in before.items())
    assert estimator.sampling_ == "prior" and estimator.n_samples_ == 30


def test_bad_data_gives_errors_that_name_it():
    torch.manual_seed(0)
    model, (x, y) = mlp(1, 4, 1, 1), regression_1d(20)

    def fit(data, **options):
        return netscope.ActiveSubspace(progress=False).fit(model, torch.nn.MSELoss(), data, sampling="data", **options)

    with pytest.raises(
        TypeError, match=r"data: batch 0 must be a pair \(inputs, targets\), a mapping .* got list of length 3"
    ):
        fit([[x, y, y]])
    with pytest.raises(TypeError, match="data must be a batch .* or a re-iterable"):
        fit(3.0)
    with pytest.raises(ValueError, match="data holds no targets, but loss_fn needs them"):
        fit(x)
    with pytest.raises(ValueError, match="batch 2 lacks targets but earlier batches hold them"):
        fit([(x[:4], y[:4]), (x[4:8], y[4:8]), x[8:12]])
    with pytest.raises(TypeError, match="one-shot iterator"):
        fit(iter([(x, y)]))
    with pytest.raises(ValueError, match="data yielded no batches"):
        fit(loader_of(x[:0], y[:0], 4))
    with pytest.raises(ValueError, match=r"data: batch 1: inputs hold \[5\] examples .* targets hold 4"):
        fit([(x[:4], y[:4]), (x[4:9], y[4:8])])
    with pytest.raises(ValueError, match=r"device='meta' differs from the device of the model's parameters \(cpu\)"):
        fit((x, y), device="meta")
    with pytest.raises(ValueError, match="device: 'gpu7' is not a torch device"):
        fit((x, y), device="gpu7")
    with pytest.raises(ValueError, match="checkpoint: the loader shuffles"):
        fit(loader_of(x, y, 4, shuffle=True), checkpoint="unused.ckpt")
    # A model that does not fit its data fails under vmap and in the loop alike: said so, once.
    with pytest.raises(ValueError, match="fails on single examples too"), pytest.warns(RuntimeWarning):
        netscope.ActiveSubspace(progress=False).fit(model, torch.nn.MSELoss(), (torch.randn(20, 3), y), sampling="data")


def test_activation_tracker_reads_a_loader_in_batches():
    torch.manual_seed(0)
    model, images = user_models()["cnn_batchnorm_dropout"]
    labels = classification(images)
    whole = ActivationTracker(model, (images, labels), layers=["norm", "head"], batch_size=1000).snapshot()
    batched = ActivationTracker(model, loader_of(images, labels, 7), layers=["norm", "head"], batch_size=5).snapshot()
    for layer in ("norm", "head"):
        assert batched.activations[layer].dtype == np.float32
        np.testing.assert_allclose(batched.activations[layer], whole.activations[layer], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(batched.sensitivity[layer], whole.sensitivity[layer], rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match="probe loader shuffles"):
        ActivationTracker(model, loader_of(images, labels, 7, shuffle=True))
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        ActivationTracker(model, (images, labels), batch_size=0)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_on_a_cuda_device_results_match_the_cpu():
    model, images = user_models()["cnn_batchnorm_dropout"]
    targets = classification(images)
    on_cpu = netscope.ActiveSubspace(n_components=5, progress=False).fit(
        model, torch.nn.CrossEntropyLoss(), loader_of(images, targets, 16), sampling="data"
    )
    model.cuda()
    for sampling in ("data", "prior"):
        on_gpu = netscope.ActiveSubspace(n_components=5, progress=False).fit(
            model, torch.nn.CrossEntropyLoss(), loader_of(images, targets, 16), sampling=sampling, n_samples=40
        )
        assert all(p.is_cuda for p in model.parameters())
        if sampling == "data":
            np.testing.assert_allclose(on_gpu.eigenvalues_, on_cpu.eigenvalues_, rtol=1e-4)
    tracker = ActivationTracker(model, loader_of(images, targets, 16))
    assert tracker.snapshot().activations[tracker.layers[0]].dtype == np.float32
