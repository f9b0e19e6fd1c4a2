"""Hugging Face models as researchers use them: dict batches with ``labels`` inside, ``ModelOutput``
results, the model's own loss, token ids and padding masks — against hand-written autograd."""

import warnings

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

import netscope
from netscope import ActivationTracker, StructureMap
from netscope.active.tracking import SubspaceTracker
from token_models import N_EXAMPLES, classification_set, language_set, tiny_bert, tiny_gpt2

transformers = pytest.importorskip("transformers")
transformers.logging.set_verbosity_error()


def loop_eigenvalues(model, dataset, k):
    """Top-k eigenvalues of (1/N) Σ g gᵀ from per-example gradients taken one by one with backward()."""
    parameters = [p for p in model.parameters() if p.requires_grad]
    model.eval()
    rows = []
    for i in range(len(dataset)):
        example = {key: value[None] for key, value in dataset[i].items()}
        model.zero_grad()
        model(**example).loss.backward()
        rows.append(torch.cat([p.grad.reshape(-1) for p in parameters]).double().numpy())
    gradients = np.stack(rows)
    return np.linalg.eigvalsh(gradients @ gradients.T / len(rows))[::-1][:k]


def fit_data_mode(model, data, **options):
    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore", RuntimeWarning
        )  # vmap cannot batch HF's padding-mask checks: the loop takes over
        return netscope.ActiveSubspace(n_components=10, progress=False).fit(
            model, None, data, sampling="data", **options
        )


@pytest.mark.parametrize(
    "make_model, make_set", [(tiny_bert, classification_set), (tiny_gpt2, language_set)], ids=["bert", "gpt2"]
)
def test_own_loss_eigenvalues_equal_a_hand_written_loop(make_model, make_set):
    model, dataset = make_model(), make_set()
    loader = DataLoader(dataset, batch_size=7)  # dict batches, labels inside, as a HF collator gives them
    fitted = fit_data_mode(model, loader)
    assert fitted.n_samples_ == N_EXAMPLES
    reference = loop_eigenvalues(model, dataset, 10)
    np.testing.assert_allclose(fitted.eigenvalues_[:10], reference, rtol=1e-5, atol=1e-6 * reference[0])


def test_a_loss_fn_receives_the_model_output_and_target_key_names_the_targets():
    model, dataset = tiny_bert(), classification_set()
    inputs = {"input_ids": dataset.ids, "attention_mask": dataset.mask}
    own = fit_data_mode(model, DataLoader(dataset, batch_size=5))

    def logits_loss(outputs, y):
        return torch.nn.functional.cross_entropy(outputs.logits, y)  # a ModelOutput in

    for data, options in [
        ({**inputs, "y": dataset.labels}, {"target_key": "y"}),  # the whole set as one mapping
        ([(inputs, dataset.labels)], {}),
    ]:  # (inputs, targets) pairs with dict inputs
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            fitted = netscope.ActiveSubspace(n_components=10, progress=False).fit(
                model, logits_loss, data, sampling="data", **options
            )
        np.testing.assert_allclose(fitted.eigenvalues_, own.eigenvalues_, rtol=1e-5)
    with pytest.raises(ValueError, match=r"target_key='target' is not a key of the batch; its keys are"):
        fit_data_mode(model, {**inputs, "y": dataset.labels}, target_key="target")
    with pytest.raises(ValueError, match=r"loss_fn=None takes the model's own loss .* without one"):
        fit_data_mode(model, inputs)
    with pytest.raises(TypeError, match="loss_fn must be callable"):
        netscope.ActiveSubspace(progress=False).fit(model, "cross_entropy", inputs, sampling="data")


@pytest.mark.parametrize(
    "make_model, make_set", [(tiny_bert, classification_set), (tiny_gpt2, language_set)], ids=["bert", "gpt2"]
)
def test_prior_sampling_runs_on_token_inputs(make_model, make_set):
    model, dataset = make_model(), make_set()
    fitted = netscope.ActiveSubspace("sketch", n_components=5, progress=False).fit(
        model, None, DataLoader(dataset, batch_size=12), n_samples=8, sampling="prior", scale=0.1
    )
    assert fitted.n_samples_ == 8 and np.all(np.isfinite(fitted.eigenvalues_)) and fitted.eigenvalues_[0] > 0


def test_tracker_pools_encoder_blocks_under_the_attention_mask():
    model, dataset = tiny_bert(), classification_set()
    loader = DataLoader(dataset, batch_size=8)
    tracker = ActivationTracker(model, loader)
    assert tracker.layers == ["bert.encoder.layer.0", "bert.encoder.layer.1"] and tracker.pool == "mean"
    record = tracker.snapshot()
    hidden = model.eval()(input_ids=dataset.ids, attention_mask=dataset.mask, output_hidden_states=True).hidden_states
    mask = dataset.mask.unsqueeze(-1).float()
    expected = ((hidden[2] * mask).sum(1) / mask.sum(1)).detach().numpy()  # block 1's output, padding left out
    np.testing.assert_allclose(record.activations["bert.encoder.layer.1"], expected, rtol=1e-5, atol=1e-6)
    assert record.predictions.shape == (N_EXAMPLES,)  # from the output's logits
    np.testing.assert_array_equal(tracker.labels, dataset.labels.numpy())
    last = ActivationTracker(model, loader, pool="last", labels=[f"class {c}" for c in dataset.labels.tolist()])
    rows = last.snapshot().activations["bert.encoder.layer.1"]
    ends = dataset.mask.sum(1) - 1
    np.testing.assert_allclose(rows, hidden[2][torch.arange(N_EXAMPLES), ends].detach().numpy(), rtol=1e-5, atol=1e-6)
    assert last.labels.dtype.kind == "U" and last.snapshots[0].predictions is None  # names do not index logits
    maps = StructureMap(k=5, n_iter=50, neuron_samples=0).fit(tracker)
    assert maps.positions_["bert.encoder.layer.0"][0].shape == (N_EXAMPLES, 2)


def test_language_model_tracker_and_subspace_on_its_own_loss():
    model, dataset = tiny_gpt2(), language_set()
    loader = DataLoader(dataset, batch_size=8)
    tracker = ActivationTracker(model, loader)
    assert tracker.layers == ["transformer.h.0", "transformer.h.1"] and tracker.labels is None  # (n, seq) targets
    tracker.snapshot()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        subspace = SubspaceTracker(model, None, loader, n_components=3)
        record = subspace.snapshot()
    assert record["energy"].shape == (N_EXAMPLES,) and np.all((record["energy"] >= 0) & (record["energy"] <= 1 + 1e-6))
    with pytest.raises(TypeError, match="no tensor field 'nope'"):
        ActivationTracker(model, loader, output_field="nope").snapshot()
