"""Recording during training: the run folder a Recorder writes, what survives kill -9, and
``netscope structure --run`` on it, once or again as the run grows."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import torch

import netscope
from netscope import ActivationTracker, Recorder, RunFolder, StructureMap
from netscope.cli import main
from netscope.studies.models import digits, mlp_from_sizes, train_epoch


@pytest.fixture(scope="module")
def digits_data():
    x_train, y_train, x_probe, y_probe = digits()
    return x_train[:400], y_train[:400], x_probe[:120], y_probe[:120]


def train(model, data, recorder, epochs, *, start=1):
    x_train, y_train, _, _ = data
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    generator = torch.Generator().manual_seed(0)
    for epoch in range(start, start + epochs):
        train_epoch(model, optimiser, torch.nn.functional.cross_entropy, x_train, y_train, generator)
        recorder.step(epoch=epoch)


def test_a_plain_loop_writes_snapshots_that_read_back_as_recorded(digits_data, tmp_path):
    torch.manual_seed(0)
    model = mlp_from_sizes([64, 32, 16, 10], "relu")
    probe = digits_data[2], digits_data[3]
    recorder = Recorder(
        model,
        probe,
        tmp_path / "run",
        every=2,
        subspace_k=3,
        loss_fn=torch.nn.functional.cross_entropy,
        classes=[f"digit {d}" for d in range(10)],
    )
    recorder.record(label="start")
    train(model, digits_data, recorder, 4)  # every=2: epochs 1 and 3 recorded
    run = RunFolder(tmp_path / "run")
    assert [s.label for s in run.snapshots] == ["start", 1, 3] and [s.epoch for s in run.snapshots] == [
        None,
        1,
        3,
    ]
    reference = ActivationTracker(model, probe, loss_fn=torch.nn.functional.cross_entropy).snapshot()
    assert run.layers == recorder.tracker.layers
    recorder.record(epoch=4)  # the model as it is now, to compare with the reference
    run.refresh()
    for layer in run.layers:
        assert run.snapshots[-1].activations[layer].dtype == np.float32
        np.testing.assert_array_equal(run.snapshots[-1].activations[layer], reference.activations[layer])
        np.testing.assert_allclose(run.snapshots[-1].sensitivity[layer], reference.sensitivity[layer], rtol=1e-6)
    np.testing.assert_array_equal(run.snapshots[-1].predictions, reference.predictions)
    np.testing.assert_array_equal(run.labels, probe[1].numpy())
    assert run.subspace.eigenvalues.shape == (4, 3) and run.subspace.energy.shape == (4, 120)
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["probe_size"] == 120 and manifest["pool"] == "flatten" and manifest["classes"][0] == "digit 0"
    assert manifest["netscope_version"] == netscope.__version__ and manifest["model_class"].endswith("Sequential")
    assert not list((tmp_path / "run").rglob("*.partial"))
    # A second recorder on the same folder goes on after the last snapshot.
    Recorder(model, probe, tmp_path / "run", subspace_k=3, loss_fn=torch.nn.functional.cross_entropy).record(
        label="resumed"
    )
    assert [s.label for s in RunFolder(tmp_path / "run").snapshots][-2:] == [4, "resumed"]


def test_structure_run_twice_equals_once_over_all_snapshots(digits_data, tmp_path):
    torch.manual_seed(0)
    model = mlp_from_sizes([64, 32, 16, 10], "relu")
    probe = digits_data[2], digits_data[3]
    recorder = Recorder(model, probe, tmp_path / "run", subspace_k=3, loss_fn=torch.nn.functional.cross_entropy)
    recorder.record(label=0)
    train(model, digits_data, recorder, 2)
    assert main(["structure", "--run", str(tmp_path / "run"), "--k", "8"]) == 0
    first = json.loads((tmp_path / "run" / "maps" / "metrics.json").read_text())
    assert first["run"]["new_snapshots"] == 3 and (tmp_path / "run" / "maps" / "maps.html").stat().st_size > 10_000
    train(model, digits_data, recorder, 2, start=3)
    assert main(["structure", "--run", str(tmp_path / "run"), "--k", "8"]) == 0
    second = json.loads((tmp_path / "run" / "maps" / "metrics.json").read_text())
    assert second["run"]["new_snapshots"] == 2 and second["snapshots"] == [0, 1, 2, 3, 4]
    assert main(["structure", "--run", str(tmp_path / "run"), "--k", "8", "--out", str(tmp_path / "once")]) == 0
    incremental = StructureMap.load(tmp_path / "run" / "maps" / "structure_map.npz")
    once = StructureMap.load(tmp_path / "once" / "structure_map.npz")
    for layer in once.layers_:
        for a, b in zip(incremental.positions_[layer], once.positions_[layer]):
            np.testing.assert_array_equal(a, b)
    assert incremental.metrics_ == once.metrics_
    assert second["layers"] == json.loads((tmp_path / "once" / "metrics.json").read_text())["layers"]
    assert (tmp_path / "run" / "maps" / "maps.html").read_bytes() == (tmp_path / "once" / "maps.html").read_bytes()


KILLED_RUN = textwrap.dedent("""
    import sys, time, torch
    from netscope import Recorder
    from netscope.studies.models import digits, mlp_from_sizes
    x_train, y_train, x_probe, y_probe = digits()
    torch.manual_seed(0)
    model = mlp_from_sizes([64, 256, 256, 10], "relu")
    recorder = Recorder(model, (x_probe, y_probe), sys.argv[1])
    optimiser = torch.optim.SGD(model.parameters(), lr=0.01)
    for epoch in range(10_000):
        optimiser.zero_grad()
        torch.nn.functional.cross_entropy(model(x_train), y_train).backward()
        optimiser.step()
        recorder.step(epoch=epoch)
""")


def test_kill_9_mid_training_leaves_every_earlier_snapshot_readable(tmp_path):
    run_dir = tmp_path / "run"
    process = subprocess.Popen([sys.executable, "-c", KILLED_RUN, str(run_dir)], stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 120
        while time.time() < deadline and len(list((run_dir / "snapshots").glob("*.npz"))) < 6:
            assert process.poll() is None, process.stderr.read().decode()
            time.sleep(0.05)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL
    run = RunFolder(run_dir)
    assert len(run) >= 6 and [s.epoch for s in run.snapshots] == list(range(len(run)))
    assert all(s.activations[run.layers[-1]].shape == (len(run.labels), 256) for s in run.snapshots)
    assert main(["structure", "--run", str(run_dir), "--k", "8", "--no-html"]) == 0
    Recorder(
        mlp_from_sizes([64, 256, 256, 10], "relu"),
        (torch.zeros(len(run.labels), 64), torch.as_tensor(run.labels)),
        run_dir,
    )  # a recorder reopening the folder clears what the killed one left half-written
    assert not list(run_dir.rglob("*.partial"))


def test_bad_input_names_the_argument(tmp_path):
    model = mlp_from_sizes([4, 6, 3], "relu")
    probe = torch.randn(10, 4), torch.arange(10) % 3
    with pytest.raises(ValueError, match="every must be >= 1"):
        Recorder(model, probe, tmp_path / "run", every=0)
    with pytest.raises(ValueError, match="subspace_k must be >= 0"):
        Recorder(model, probe, tmp_path / "run", subspace_k=-1)
    with pytest.raises(ValueError, match="classes must name each of the 3 distinct labels, got 2"):
        Recorder(model, probe, tmp_path / "run", classes=["a", "b"])
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="run_dir: .* is a file"):
        Recorder(model, probe, tmp_path / "file")
    recorder = Recorder(model, probe, tmp_path / "run")
    with pytest.raises(TypeError, match="label must be a string or a number"):
        recorder.record(label=[1])
    with pytest.raises(ValueError, match=r"holds a run recorded with other settings \(layers"):
        Recorder(model, probe, tmp_path / "run", layers=["layer1"])
    with pytest.raises(ValueError, match="is not a netscope run folder"):
        RunFolder(tmp_path)
    assert main(["structure", "--run", str(tmp_path)]) == 2
    assert main(["structure", "--run", str(tmp_path / "run")]) == 2  # no snapshot yet
    assert main(["structure", "--run", str(tmp_path / "run"), "--model", "m:f"]) == 2
