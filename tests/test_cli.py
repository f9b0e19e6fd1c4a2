import json
import subprocess
import sys

import numpy as np
import torch

import netscope
from netscope.cli import main


def test_demo_recovers_the_known_active_subspace(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--dim", "120", "--samples", "3000", "--k", "6"]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["dim"] == 120 and summary["n_samples"] == 3000
    # Monte Carlo error of each eigenvalue is about sqrt(2/N); allow four times that.
    assert summary["gram_max_relative_error"] < 4 * np.sqrt(2 / 3000)
    # The Gram and snapshot routes diagonalise the same GᵀG/N and must agree to rounding.
    np.testing.assert_allclose(summary["gram_eigenvalues"], summary["snapshot_eigenvalues"], rtol=1e-8)
    assert summary["gram_subspace_sine"] < 0.2
    assert "wrote" in capsys.readouterr().out


def test_cli_reports_bad_arguments_without_a_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "netscope", "demo", "--out", str(tmp_path), "--dim", "0"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "dim must be >= 1" in result.stderr
    assert "Traceback" not in result.stderr


USER_CODE = """
import torch
from torch.utils.data import DataLoader, TensorDataset
from netscope.studies.models import digits

NOT_CALLABLE = 3


def make_cnn():
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Unflatten(1, (1, 8, 8)), torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
        torch.nn.Flatten(), torch.nn.Dropout(0.2), torch.nn.Linear(4 * 6 * 6, 10))


def make_other():
    return torch.nn.Linear(64, 10)


def loader():
    x, y, _, _ = digits()
    return DataLoader(TensorDataset(x[:120], y[:120]), batch_size=32)


def probe():
    _, _, x, y = digits()
    return x[:90], y[:90]
"""


def user_folder(tmp_path, name):
    """A folder with the user's module ``name`` (a CNN, a DataLoader of digits, a probe set) and
    saved weights ckpt/epoch_{1,2,10}.pt, as a researcher would have them."""
    (tmp_path / f"{name}.py").write_text(USER_CODE)
    (tmp_path / "ckpt").mkdir()
    sys.path.insert(0, str(tmp_path))
    try:
        module = __import__(name)
    finally:
        sys.path.remove(str(tmp_path))
    model = module.make_cnn()
    for epoch in (10, 1, 2):
        with torch.no_grad():
            model[-1].weight.mul_(1.5)
        torch.save({"epoch": epoch, "model_state_dict": model.state_dict()}, tmp_path / "ckpt" / f"epoch_{epoch}.pt")
    torch.save(module.make_other().state_dict(), tmp_path / "other.pt")
    return module


def test_both_commands_run_on_a_users_own_model_data_and_checkpoints(tmp_path):
    user_folder(tmp_path, "mynet")
    command = [sys.executable, "-m", "netscope"]
    result = subprocess.run(
        [
            *command,
            "active-subspace",
            "--model",
            "mynet:make_cnn",
            "--data",
            "mynet:loader",
            "--loss",
            "cross_entropy",
            "--sampling",
            "data",
            "--weights",
            "ckpt/epoch_10.pt",
            "--n-boot",
            "4",
            "--k",
            "3",
            "--out",
            "as",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "as" / "summary.json").read_text())
    assert summary["n_samples"] == 120 and summary["sampling"] == "data" and summary["method"] == "snapshot"
    assert summary["n_parameters"] == 4 * 9 + 4 + 2 * 4 + 144 * 10 + 10
    assert summary["model"]["name"] == "Sequential from mynet:make_cnn" and summary["bootstrap"] is not None
    assert (tmp_path / "as" / "eigenvectors.png").exists() and not (tmp_path / "as" / "sufficient_summary.png").exists()

    result = subprocess.run(
        [
            *command,
            "structure",
            "--model",
            "mynet:make_cnn",
            "--checkpoints",
            "ckpt/epoch_*.pt",
            "--probe",
            "mynet:probe",
            "--k",
            "5",
            "--out",
            "maps",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    metrics = json.loads((tmp_path / "maps" / "metrics.json").read_text())
    assert metrics["snapshots"] == ["epoch_1", "epoch_2", "epoch_10"]  # natural order
    assert metrics["dataset"]["probe"] == 90 and list(metrics["layers"]) == ["3"]  # the ReLU's output
    assert (tmp_path / "maps" / "small_multiples.png").exists()
    # The page by default, with the probe's active subspace under cross-entropy (the default loss).
    assert (tmp_path / "maps" / "maps.html").exists() and len(metrics["subspace"]["eigenvalues"]) == 3


def test_user_code_errors_name_the_flag(tmp_path, capsys, monkeypatch):
    user_folder(tmp_path, "mynet_errors")
    monkeypatch.chdir(tmp_path)
    base = ["active-subspace", "--data", "mynet_errors:loader", "--loss", "cross_entropy", "--out", "x"]
    cases = [
        (["--model", "no_such_module:make"], "--model: cannot import module 'no_such_module'"),
        (["--model", "mynet_errors:absent"], "--model: module 'mynet_errors' has no attribute 'absent'"),
        (
            ["--model", "mynet_errors:NOT_CALLABLE"],
            "--model: 'mynet_errors:NOT_CALLABLE' is not callable (its type is int)",
        ),
        (["--model", "mynet_errors"], "--model: 'mynet_errors' must look like 'package.module:name'"),
    ]
    for arguments, message in cases:
        assert main([*base, *arguments]) == 2
        assert message in capsys.readouterr().err
    assert main(["active-subspace", "--model", "mynet_errors:make_cnn", "--out", "x"]) == 2
    assert "--model needs --data and --loss" in capsys.readouterr().err
    assert main([*base, "--model", "mynet_errors:make_cnn", "--weights", "other.pt"]) == 2
    assert "--weights: other.pt does not fit the model from --model" in capsys.readouterr().err
    assert main(["active-subspace", "--weights", "other.pt", "--out", "x"]) == 2
    assert "--weights go with --model" in capsys.readouterr().err
    structure = ["structure", "--model", "mynet_errors:make_cnn", "--probe", "mynet_errors:probe", "--out", "y"]
    assert main([*structure, "--checkpoints", "other.pt"]) == 2
    assert "--checkpoints: other.pt does not fit the model from --model" in capsys.readouterr().err
    assert main([*structure, "--checkpoints", "nothing_*.pt"]) == 2
    assert "--checkpoints: no weights file or save_pretrained folder matches 'nothing_*.pt'" in capsys.readouterr().err
    assert main(["structure", "--probe", "mynet_errors:probe", "--out", "y"]) == 2
    assert "--probe go with --model" in capsys.readouterr().err
    assert main([*structure, "--checkpoints", "ckpt/epoch_*.pt", "--scrambled", "0.1"]) == 2
    assert "--scrambled goes with the built-in study" in capsys.readouterr().err
    assert main(["structure", "--scrambled", "1.5", "--out", "y"]) == 2
    assert "--scrambled must be a fraction in [0, 1)" in capsys.readouterr().err
    assert main(["structure", "--subspace-k", "-1", "--out", "y"]) == 2
    assert "--subspace-k must be 0" in capsys.readouterr().err


def test_the_seed_command_runs_multipass(tmp_path, capsys):
    out = tmp_path / "mp"
    assert (
        main(
            [
                "active-subspace",
                "--method",
                "multipass",
                "--passes",
                "3",
                "--samples",
                "300",
                "--vectors",
                "5",
                "--k",
                "3",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    summary = json.loads((out / "summary.json").read_text())
    assert summary["method"] == "multipass" and summary["n_passes"] == 3 and len(summary["eigenvalues"]) == 5
    # A preset keeps the seed's prior, N(0, I), without --sampling.
    assert summary["sampling"] == "prior" and summary["prior"] == {"scale": 1.0, "centered": False}
    saved = netscope.ActiveSubspace.load(out / "active_subspace.npz")
    np.testing.assert_allclose(summary["relative_residuals"], saved.residuals_ / saved.eigenvalues_)
    assert "multipass residuals" in capsys.readouterr().out
    assert summary["bootstrap"] is None and summary["stream_convergence"] is None
    assert summary["intervals"]["source"].startswith("replayed") and summary["layer_spectra"] is not None
    assert main(["active-subspace", "--passes", "3", "--samples", "50", "--out", str(out)]) == 2
    assert "n_passes goes with method='multipass'" in capsys.readouterr().err


def saved_weights(name):
    """The state dict that user_folder saved as ckpt/epoch_<name>.pt (run from that folder)."""
    return torch.load(f"ckpt/epoch_{name}.pt", weights_only=True)["model_state_dict"]


def loss_at(module, state) -> float:
    """The mean cross-entropy over ``module.loader()`` of ``module.make_cnn()`` with the weights
    ``state``, in eval mode as the fits take it."""
    model = module.make_cnn()
    model.load_state_dict(state)
    model.eval()
    with torch.no_grad():
        x, y = (torch.cat(parts) for parts in zip(*module.loader()))
        return float(torch.nn.functional.cross_entropy(model(x), y))


def test_a_model_is_sampled_at_its_weights_by_default_in_any_weights_format(tmp_path, monkeypatch):
    module = user_folder(tmp_path, "mynet_formats")
    monkeypatch.chdir(tmp_path)
    trained = saved_weights(10)
    # A Lightning checkpoint (the network under the LightningModule's "model."), and a save_pretrained
    # folder (pytorch_model.bin: safetensors, an optional package, is tested in test_weights_formats.py).
    torch.save(
        {
            "epoch": 10,
            "global_step": 40,
            "state_dict": {f"model.{key}": value for key, value in trained.items()},
            "optimizer_states": [{"state": {}, "param_groups": [{"lr": 0.01, "params": [0, 1]}]}],
        },
        "lightning.ckpt",
    )
    (tmp_path / "pretrained").mkdir()
    torch.save(trained, "pretrained/pytorch_model.bin")
    expected = loss_at(module, trained)
    assert abs(expected - loss_at(module, saved_weights(1))) > 0.01  # the weights make a difference to see
    base = [
        "active-subspace",
        "--model",
        "mynet_formats:make_cnn",
        "--data",
        "mynet_formats:loader",
        "--loss",
        "cross_entropy",
        "--n-boot",
        "2",
        "--k",
        "3",
        "--vectors",
        "5",
    ]
    for weights in ("lightning.ckpt", "pretrained"):
        assert main([*base, "--weights", weights, "--out", weights + "-out"]) == 0  # no --sampling
        summary = json.loads((tmp_path / f"{weights}-out" / "summary.json").read_text())
        assert summary["sampling"] == "data" and summary["prior"] is None and summary["n_samples"] == 120
        losses = netscope.ActiveSubspace.load(tmp_path / f"{weights}-out" / "active_subspace.npz").losses_
        np.testing.assert_allclose(losses.mean(), expected, rtol=1e-5)  # one loss per example, at the weights


def test_prior_sampling_of_trained_weights_needs_centered(tmp_path, monkeypatch, capsys):
    module = user_folder(tmp_path, "mynet_centered")
    monkeypatch.chdir(tmp_path)
    # Sharper weights than the saved ones, whose loss is too near ln 10, the loss at zero, to tell them apart.
    sharp = saved_weights(10)
    sharp["6.weight"] = sharp["6.weight"] * 20
    torch.save(sharp, "sharp.pt")
    base = [
        "active-subspace",
        "--model",
        "mynet_centered:make_cnn",
        "--data",
        "mynet_centered:loader",
        "--loss",
        "cross_entropy",
        "--sampling",
        "prior",
        "--weights",
        "sharp.pt",
        "--out",
        "prior",
    ]
    assert main(base) == 2
    error = capsys.readouterr().err
    assert (
        "--sampling prior --weights: the prior N(0, sigma^2 I) is centred at zero, so it ignores the weights" in error
    )
    assert "add --centered to sample around the trained weights (--scale sets sigma)" in error

    assert main([*base, "--centered", "--scale", "1e-3", "--samples", "24", "--n-boot", "2", "--k", "3"]) == 0
    assert "prior samples around the model, sigma 0.001" in capsys.readouterr().out
    summary = json.loads((tmp_path / "prior" / "summary.json").read_text())
    assert summary["sampling"] == "prior" and summary["prior"] == {"scale": 1e-3, "centered": True}
    # Both reach the fit: at sigma 1e-3 around the weights, each sample's loss is the weights' own
    # (around zero it would be ln 10, and at sigma 1 anything).
    expected = loss_at(module, sharp)
    assert abs(expected - np.log(10)) > 0.5
    losses = netscope.ActiveSubspace.load(tmp_path / "prior" / "active_subspace.npz").losses_
    np.testing.assert_allclose(losses, expected, rtol=1e-2)


def test_the_prior_flags_are_checked(tmp_path, capsys, monkeypatch):
    user_folder(tmp_path, "mynet_prior_flags")
    monkeypatch.chdir(tmp_path)
    base = [
        "active-subspace",
        "--model",
        "mynet_prior_flags:make_cnn",
        "--data",
        "mynet_prior_flags:loader",
        "--loss",
        "cross_entropy",
        "--out",
        "x",
    ]
    cases = [
        (["--sampling", "prior", "--scale", "0"], "--scale must be a positive number (the prior's sigma), got 0.0"),
        (["--sampling", "prior", "--scale", "-1"], "--scale must be a positive number (the prior's sigma), got -1.0"),
        (["--sampling", "prior", "--scale", "nan"], "--scale must be a positive number (the prior's sigma), got nan"),
        (["--centered"], "--centered: for --sampling prior only"),  # --model samples the data by default
        (["--sampling", "data", "--scale", "0.5"], "--scale: for --sampling prior only"),
        (["--sampling", "data", "--centered", "--scale", "0.5"], "--centered and --scale: for --sampling prior only"),
    ]
    for arguments, message in cases:
        assert main([*base, *arguments]) == 2
        assert message in capsys.readouterr().err


def test_structure_reads_save_pretrained_folders_as_checkpoints(tmp_path, monkeypatch):
    user_folder(tmp_path, "mynet_folders")
    monkeypatch.chdir(tmp_path)
    # The HF Trainer's layout: run/checkpoint-<step>/ with the weights beside its other files.
    for step, epoch in ((40, 10), (5, 1)):
        (tmp_path / "run" / f"checkpoint-{step}").mkdir(parents=True)
        torch.save(saved_weights(epoch), f"run/checkpoint-{step}/pytorch_model.bin")
        (tmp_path / "run" / f"checkpoint-{step}" / "trainer_state.json").write_text("{}")
    assert (
        main(
            [
                "structure",
                "--model",
                "mynet_folders:make_cnn",
                "--checkpoints",
                "run/checkpoint-*",
                "--probe",
                "mynet_folders:probe",
                "--k",
                "5",
                "--subspace-k",
                "0",
                "--no-html",
                "--out",
                "maps",
            ]
        )
        == 0
    )
    metrics = json.loads((tmp_path / "maps" / "metrics.json").read_text())
    assert metrics["snapshots"] == ["checkpoint-5", "checkpoint-40"]  # natural order
