"""The training-framework callbacks (netscope.integrations): a Lightning fit and a Hugging Face
Trainer run each write the run folder a hand-driven Recorder would, with the start state and one
snapshot per epoch whose activations are the trained model's; the frameworks load only when used."""

import copy
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

import netscope
from netscope import ActivationTracker
from netscope.cli import main
from netscope.recording import RunFolder
from netscope.studies.models import digits
from token_models import N_EXAMPLES, classification_set, tiny_bert


def tracked_activations(model, probe, **options):
    """The activations an ActivationTracker records of ``model`` on ``probe`` now."""
    return ActivationTracker(model, probe, **options).snapshot().activations


def assert_same_activations(recorded, expected):
    assert list(recorded) == list(expected)
    for layer in expected:
        np.testing.assert_allclose(recorded[layer], expected[layer], rtol=1e-5, atol=1e-6, err_msg=layer)


# ---------------------------------------------------------------------------------------------- Lightning


def digits_module():
    """A LightningModule wrapping a small MLP as ``self.network``, fixed initial weights."""
    lightning = pytest.importorskip("lightning")

    class DigitsModule(lightning.pytorch.LightningModule):
        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.network = torch.nn.Sequential(
                torch.nn.Linear(64, 32),
                torch.nn.ReLU(),
                torch.nn.Linear(32, 16),
                torch.nn.ReLU(),
                torch.nn.Linear(16, 10),
            )

        def forward(self, x):
            return self.network(x)

        def training_step(self, batch, _index):
            x, y = batch
            return torch.nn.functional.cross_entropy(self(x), y)

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.2)

    return DigitsModule()


def lightning_fit(module, callback, epochs, train_loader):
    lightning = pytest.importorskip("lightning")
    trainer = lightning.pytorch.Trainer(
        max_epochs=epochs,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        accelerator="cpu",
        devices=1,
        callbacks=[callback],
    )
    trainer.fit(module, train_loader)
    return trainer


@pytest.fixture(scope="module")
def digits_data():
    x_train, y_train, x_test, y_test = digits()
    train_loader = DataLoader(
        TensorDataset(x_train[:320], y_train[:320]),
        batch_size=64,
        shuffle=True,
        generator=torch.Generator().manual_seed(0),
    )
    return train_loader, (x_test[:150], y_test[:150])


def test_lightning_fit_records_the_start_and_every_epoch_of_the_trained_module(tmp_path, digits_data):
    from netscope.integrations import LightningRecorder

    lightning = pytest.importorskip("lightning")
    train_loader, probe = digits_data
    module = digits_module()
    untrained = copy.deepcopy(module)
    callback = LightningRecorder(probe, tmp_path / "run")
    assert isinstance(callback, lightning.pytorch.Callback)
    trainer = lightning_fit(module, callback, 3, train_loader)

    run = RunFolder(tmp_path / "run")
    steps_per_epoch = len(train_loader)
    assert [s.epoch for s in run.snapshots] == [0, 1, 2, 3]
    assert [s.label for s in run.snapshots] == ["start", 1, 2, 3]
    assert [s.step for s in run.snapshots] == [0, steps_per_epoch, 2 * steps_per_epoch, 3 * steps_per_epoch]
    assert trainer.global_step == 3 * steps_per_epoch
    assert run.layers == ["network.1", "network.3"]  # the LightningModule's own activation modules
    np.testing.assert_array_equal(run.labels, probe[1].numpy())
    assert_same_activations(run.snapshots[0].activations, tracked_activations(untrained, probe))
    assert_same_activations(run.snapshots[-1].activations, tracked_activations(module, probe))
    assert not np.allclose(run.snapshots[0].activations["network.3"], run.snapshots[-1].activations["network.3"])
    structure = netscope.StructureMap(k=5).fit(run)
    assert len(structure.positions_["network.3"]) == 4 and structure.snapshot_labels_ == ["start", 1, 2, 3]
    assert main(["structure", "--run", str(tmp_path / "run"), "--k", "5"]) == 0
    assert (tmp_path / "run" / "maps" / "maps.html").stat().st_size > 10_000


def test_lightning_records_a_wrapped_network_every_other_epoch_without_the_start(tmp_path, digits_data):
    from netscope.integrations import LightningRecorder

    train_loader, probe = digits_data
    module = digits_module()
    callback = LightningRecorder(
        probe, tmp_path / "run", every=2, record_at_start=False, module_attribute="network", layers=["3"]
    )
    lightning_fit(module, callback, 3, train_loader)
    run = RunFolder(tmp_path / "run")
    assert [s.epoch for s in run.snapshots] == [1, 3]
    assert run.layers == ["3"] and run.manifest["model_class"] == "torch.nn.modules.container.Sequential"
    assert_same_activations(run.snapshots[-1].activations, tracked_activations(module.network, probe, layers=["3"]))


def test_lightning_records_on_rank_zero_only_and_names_a_wrong_module_or_a_missing_forward(tmp_path):
    from netscope.integrations import LightningRecorder

    lightning = pytest.importorskip("lightning")

    module, probe = digits_module(), (torch.rand(10, 64), torch.arange(10))
    other_rank = SimpleNamespace(is_global_zero=False, current_epoch=0, global_step=0)
    callback = LightningRecorder(probe, tmp_path / "run")
    callback.on_train_start(other_rank, module)
    callback.on_train_epoch_end(other_rank, module)
    assert callback.recorder is None and not (tmp_path / "run").exists()
    rank_zero = SimpleNamespace(is_global_zero=True, current_epoch=0, global_step=0)
    with pytest.raises(
        ValueError,
        match=r"module_attribute='model' names no submodule of DigitsModule; "
        r"its children are \['network'\]",
    ):
        LightningRecorder(probe, tmp_path / "run", module_attribute="model").on_train_start(rank_zero, module)

    class WithoutForward(lightning.pytorch.LightningModule):  # training_step calls its network directly
        def __init__(self):
            super().__init__()
            self.network = torch.nn.Sequential(torch.nn.Linear(64, 10), torch.nn.ReLU())

    with pytest.raises(
        ValueError,
        match=r"WithoutForward defines no forward\(\), which the Recorder calls on the probe; "
        r"define one, or give module_attribute= naming the network it trains",
    ):
        LightningRecorder(probe, tmp_path / "run").on_train_start(rank_zero, WithoutForward())
    without_forward = LightningRecorder(probe, tmp_path / "inner", module_attribute="network")
    without_forward.on_train_start(rank_zero, WithoutForward())
    assert [s.label for s in RunFolder(tmp_path / "inner").snapshots] == ["start"]
    with pytest.raises(RuntimeError, match="an epoch ended before training started"):
        callback.on_train_epoch_end(rank_zero, module)


# ------------------------------------------------------------------------------------ Hugging Face Trainer


def test_hf_trainer_records_the_start_and_every_epoch_of_the_encoder_blocks(tmp_path):
    transformers = pytest.importorskip("transformers")
    from netscope.integrations import TrainerRecorder

    transformers.logging.set_verbosity_error()
    model, dataset = tiny_bert(), classification_set()
    probe = DataLoader(dataset, batch_size=8)  # dict batches, labels inside, in a fixed order
    callback = TrainerRecorder(probe, tmp_path / "run")
    assert isinstance(callback, transformers.TrainerCallback)
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path / "hf"),
        num_train_epochs=2,
        per_device_train_batch_size=8,
        learning_rate=1e-2,
        report_to=[],
        save_strategy="no",
        use_cpu=True,
        logging_strategy="no",
        disable_tqdm=True,
    )
    trainer = transformers.Trainer(model=model, args=args, train_dataset=dataset, callbacks=[callback])
    trainer.train()

    run = RunFolder(tmp_path / "run")
    steps_per_epoch = N_EXAMPLES // 8
    assert [s.epoch for s in run.snapshots] == [0, 1, 2]
    assert [s.label for s in run.snapshots] == ["start", 1, 2]
    assert [s.step for s in run.snapshots] == [0, steps_per_epoch, 2 * steps_per_epoch]
    assert run.layers == ["bert.encoder.layer.0", "bert.encoder.layer.1"]
    np.testing.assert_array_equal(run.labels, dataset.labels.numpy())
    assert run.manifest["pool"] == "mean"
    assert_same_activations(run.snapshots[-1].activations, tracked_activations(model, probe))
    assert not np.allclose(
        run.snapshots[0].activations["bert.encoder.layer.1"],
        run.snapshots[-1].activations["bert.encoder.layer.1"],
    )
    assert main(["structure", "--run", str(tmp_path / "run"), "--k", "5"]) == 0
    assert (tmp_path / "run" / "maps" / "maps.html").stat().st_size > 10_000


def test_hf_trainer_records_on_world_process_zero_only(tmp_path):
    transformers = pytest.importorskip("transformers")
    from netscope.integrations import TrainerRecorder

    state = transformers.TrainerState()
    state.is_world_process_zero = False
    callback = TrainerRecorder(DataLoader(classification_set(), batch_size=8), tmp_path / "run")
    callback.on_train_begin(None, state, None, model=tiny_bert())
    state.epoch = 1.0
    callback.on_epoch_end(None, state, None)
    assert callback.recorder is None and not (tmp_path / "run").exists()


# ------------------------------------------------------------------------------------- imports and input


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_importing_the_integrations_loads_no_framework():
    result = run_python(
        "import netscope.integrations, sys\n"
        "loaded = {'lightning', 'pytorch_lightning', 'transformers', 'torch'} & set(sys.modules)\n"
        "assert not loaded, loaded"
    )
    assert result.returncode == 0, result.stderr


def test_a_missing_framework_says_what_to_install():
    result = run_python(
        "import sys\n"
        "sys.modules.update(dict.fromkeys(['lightning', 'lightning.pytorch', 'pytorch_lightning', 'transformers']))\n"
        "import netscope.integrations\n"
        "for name in ('LightningRecorder', 'TrainerRecorder'):\n"
        "    try:\n"
        "        getattr(netscope.integrations, name)\n"
        "    except ImportError as error:\n"
        "        print(error)\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "netscope.integrations.LightningRecorder needs Lightning: pip install lightning",
        "netscope.integrations.TrainerRecorder needs Hugging Face transformers: pip install transformers",
    ]


@pytest.mark.parametrize("name", ["LightningRecorder", "TrainerRecorder"])
def test_bad_options_fail_when_the_callback_is_made(name, tmp_path):
    pytest.importorskip("lightning" if name == "LightningRecorder" else "transformers")
    import netscope.integrations

    callback_class = getattr(netscope.integrations, name)
    probe = (torch.rand(10, 64), torch.arange(10))
    with pytest.raises(ValueError, match="every must be >= 1, got 0"):
        callback_class(probe, tmp_path / "run", every=0)
    with pytest.raises(TypeError, match="every must be an integer, got float"):
        callback_class(probe, tmp_path / "run", every=1.5)
    with pytest.raises(TypeError, match="record_at_start must be True or False, got str"):
        callback_class(probe, tmp_path / "run", record_at_start="yes")
    with pytest.raises(TypeError, match=rf"{name} got unknown options \['layer'\]; the Recorder takes layers, labels"):
        callback_class(probe, tmp_path / "run", layer=["0"])
    assert not (tmp_path / "run").exists()
