"""Runs beyond one process and one sitting: checkpoints, kill -9 and resume, torch.distributed."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

import netscope
from conftest import assert_drawn
from netscope.studies.models import mlp, regression_1d

SMALL = ["--depth", "2", "--width", "20", "--n-boot", "5", "--k", "3", "--vectors", "10"]


def netscope_command(*arguments):
    return [sys.executable, "-m", "netscope", "active-subspace", *arguments]


def saved_result(folder):
    with np.load(folder / "active_subspace.npz") as archive:
        return archive["eigenvalues"], archive["eigenvectors"], archive["losses"]


class InterruptedLoss(torch.nn.MSELoss):
    """MSE that raises KeyboardInterrupt on its ``calls``-th evaluation (one per chunk): a run
    stopped part-way."""

    def __init__(self, calls):
        super().__init__()
        self.calls_left = calls

    def forward(self, predictions, targets):
        self.calls_left -= 1
        if self.calls_left == 0:
            raise KeyboardInterrupt
        return super().forward(predictions, targets)


def saved_count(path):
    return json.loads(Path(f"{path}.json").read_text())["count"]


@pytest.mark.parametrize("method", ["sketch", "snapshot"])
def test_checkpoints_resume_to_the_uninterrupted_result_in_process(tmp_path, method):
    torch.manual_seed(0)
    model, data = mlp(1, 8, 2, 1), regression_1d(32)
    path = tmp_path / "state.bin"

    def fit(loss, **options):
        estimator = netscope.ActiveSubspace(
            method=method, n_components=4, keep_gradients=method == "snapshot", chunk_size=50, progress=False
        )
        return estimator.fit(model, loss, data, n_samples=400, seed=3, **options)

    whole = fit(torch.nn.MSELoss())
    with pytest.raises(KeyboardInterrupt):  # stopped in chunk 4 of 8: the last checkpoint holds 100
        fit(InterruptedLoss(4), checkpoint=path, checkpoint_every=100)
    assert saved_count(path) == 100
    assert len(json.loads((tmp_path / "state.bin.json").read_text())["losses"]) == 100
    if method == "sketch":
        assert netscope.NystromSketch.load(path).count == 100
    else:  # the kept gradients live beside the checkpoint, 100 rows of them written
        assert not path.exists() and np.load(f"{path}.gradients.npy").shape == (400, whole.n_parameters_)
    resumed = fit(torch.nn.MSELoss(), checkpoint=path, checkpoint_every=100, resume=True)
    np.testing.assert_array_equal(resumed.eigenvalues_, whole.eigenvalues_)
    np.testing.assert_array_equal(resumed.eigenvectors_, whole.eigenvectors_)
    np.testing.assert_array_equal(resumed.losses_, whole.losses_)
    assert saved_count(path) == 400  # the finished run's state
    if method == "snapshot":
        np.testing.assert_array_equal(resumed.gradients_, whole.gradients_)
        # A flipped bit in the kept rows is caught by their checksums.
        rows = np.load(f"{path}.gradients.npy", mmap_mode="r+")
        rows[7, 3] = np.nextafter(rows[7, 3], np.float32(np.inf))
        rows.flush()
        del rows
        with pytest.raises(ValueError, match="corrupt .rows 0..49 fail their checksum"):
            fit(torch.nn.MSELoss(), checkpoint=path, checkpoint_every=100, resume=True)

    with pytest.raises(ValueError, match="other settings.*seed"):
        netscope.ActiveSubspace(
            method=method, n_components=4, keep_gradients=method == "snapshot", chunk_size=50, progress=False
        ).fit(model, torch.nn.MSELoss(), data, n_samples=400, seed=4, checkpoint=path, resume=True)
    with pytest.raises(ValueError, match="resume=True needs checkpoint"):
        fit(torch.nn.MSELoss(), resume=True)
    with pytest.raises(ValueError, match="checkpoint_every must be >= 1"):
        fit(torch.nn.MSELoss(), checkpoint=path, checkpoint_every=0)


def test_stream_convergence_records_the_estimate_along_the_stream():
    torch.manual_seed(0)
    model, data = mlp(1, 8, 2, 1), regression_1d(32)

    def fit(n_samples, **options):
        estimator = netscope.ActiveSubspace(
            method="sketch", n_components=4, keep_gradients=False, chunk_size=50, progress=False
        )
        return estimator.fit(model, torch.nn.MSELoss(), data, n_samples=n_samples, seed=3, **options)

    stream = fit(400, stream_sizes=[100, 180, 300]).stream_convergence_
    assert stream.sizes == [100, 200, 300, 400] and stream.k == 4  # 180 is taken at the chunk end 200
    # The record at 200 samples is the estimate of a run that stops there: same chunks, same sketch.
    np.testing.assert_array_equal(stream.eigenvalues[1], fit(200).eigenvalues_)
    assert stream.eigenvalue_error[-1] == 0 and stream.distance_to_previous[0] is None
    assert all(0 <= distance <= 1 for distance in stream.distance_to_previous[1:])
    with pytest.raises(ValueError, match="stream_sizes must be >= 1"):
        fit(400, stream_sizes=[0, 100])
    with pytest.raises(ValueError, match="stream_sizes needs a streaming method"):
        netscope.ActiveSubspace(progress=False).fit(model, torch.nn.MSELoss(), data, n_samples=10, stream_sizes=[5])


@pytest.mark.parametrize("method", [None, "gram"])
def test_kill_9_then_resume_equals_an_uninterrupted_run(tmp_path, method):
    # The default method (snapshot) keeps its gradients in a file beside the checkpoint.
    arguments = [*(["--method", method] if method else []), "--samples", "6000", "--chunk-size", "100", *SMALL]
    subprocess.run(netscope_command(*arguments, "--out", str(tmp_path / "whole")), check=True, capture_output=True)

    checkpoint = tmp_path / "run.ckpt"
    resumable = [
        *arguments,
        "--out",
        str(tmp_path / "resumed"),
        "--checkpoint",
        str(checkpoint),
        "--checkpoint-every",
        "200",
    ]
    process = subprocess.Popen(netscope_command(*resumable), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not Path(f"{checkpoint}.json").exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL
    killed_at = saved_count(checkpoint)
    assert 0 < killed_at < 6000, "the run must be killed part-way"

    result = subprocess.run(netscope_command(*resumable, "--resume"), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    for whole, resumed in zip(saved_result(tmp_path / "whole"), saved_result(tmp_path / "resumed")):
        np.testing.assert_array_equal(resumed, whole)
    summaries = [json.loads((tmp_path / run / "summary.json").read_text()) for run in ("whole", "resumed")]
    assert summaries[0]["bootstrap"] == summaries[1]["bootstrap"]  # from the same gradients


@pytest.mark.parametrize("method", ["snapshot", "gram", "sketch"])
def test_torchrun_on_two_processes_matches_one(tmp_path, method):
    arguments = ["--method", method, "--samples", "700", "--chunk-size", "64", *SMALL]
    subprocess.run(netscope_command(*arguments, "--out", str(tmp_path / "one")), check=True, capture_output=True)
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2"]
    result = subprocess.run(
        [*launcher, "-m", "netscope", "active-subspace", *arguments, "--out", str(tmp_path / "two")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    one = json.loads((tmp_path / "one" / "summary.json").read_text())
    two = json.loads((tmp_path / "two" / "summary.json").read_text())
    assert two["n_samples"] == one["n_samples"] == 700
    # The same gradients, summed in another order: equal to rounding.
    np.testing.assert_allclose(two["eigenvalues"], one["eigenvalues"], rtol=1e-10)
    for a, b in zip(saved_result(tmp_path / "one")[1:], saved_result(tmp_path / "two")[1:]):
        np.testing.assert_allclose(np.abs(b), np.abs(a), rtol=1e-6, atol=1e-9)


def test_torchrun_checkpoints_per_rank_and_resumes(tmp_path):
    checkpoint = tmp_path / "run.ckpt"
    arguments = [
        "--method",
        "sketch",
        "--samples",
        "700",
        "--chunk-size",
        "64",
        *SMALL,
        "--checkpoint",
        str(checkpoint),
        "--checkpoint-every",
        "128",
        "--out",
        str(tmp_path / "run"),
    ]
    launcher = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc-per-node",
        "2",
        "-m",
        "netscope",
        "active-subspace",
        *arguments,
    ]
    first = subprocess.run(launcher, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    # 11 chunks of 64: rank 0 takes chunks 0-4 (320 samples), rank 1 chunks 5-10 (380).
    counts = [netscope.NystromSketch.load(f"{checkpoint}.rank{rank}").count for rank in (0, 1)]
    assert counts == [320, 380]
    before = saved_result(tmp_path / "run")
    resumed = subprocess.run([*launcher, "--resume"], capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    for a, b in zip(before, saved_result(tmp_path / "run")):
        np.testing.assert_array_equal(b, a)


def test_large_preset_runs_end_to_end_on_a_few_samples(tmp_path):
    from netscope.cli import main

    out = tmp_path / "large"
    assert main(["active-subspace", "--preset", "large", "--samples", "64", "--n-boot", "2", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n_parameters"] == 1_126_410 and summary["method"] == "sketch" and summary["sketch_size"] == 80
    assert len(summary["eigenvalues"]) == 50 and np.all(np.diff(summary["eigenvalues"]) <= 0)
    assert set(summary["layer_importance"]["layers"]) == {"layer1", "layer2", "layer3"}
    for name in ("eigenvalues", "eigenvectors", "layer_importance", "sufficient_summary"):
        assert_drawn(out / f"{name}.png")


def test_runs_without_kept_gradients_report_intervals_from_a_replay(tmp_path, monkeypatch):
    import netscope.studies.active as study

    monkeypatch.setattr(study, "KEPT_GRADIENT_BYTES", 0)  # as if the gradients did not fit
    summary = study.run_active_subspace_study(tmp_path, method="sketch", n_samples=400, n_boot=20, progress=False)
    intervals = summary["intervals"]
    assert summary["bootstrap"] is None and intervals["source"] == "replayed projections on the top 100 directions"
    assert np.all(np.asarray(intervals["eigenvalues_low"]) <= intervals["eigenvalues"])
    assert np.all(np.asarray(intervals["eigenvalues"]) <= intervals["eigenvalues_high"])
    assert intervals["seconds"] > summary["timings_s"]["intervals"] > 0 and "projections" in summary["timings_s"]
    # The layers' blocks came along the stream: their traces are the kept-gradient route's.
    spectra = summary["layer_spectra"]["layers"]
    assert sum(entry["trace_share"] for entry in spectra.values()) == pytest.approx(1.0)
    problem = study.preset_problem("seed")
    kept = netscope.ActiveSubspace(progress=False).fit(problem.model, problem.loss, problem.data, n_samples=400)
    for layer, entry in kept.layer_spectra(10).layers.items():
        assert spectra[layer]["trace"] == pytest.approx(entry.trace, rel=1e-9)
    for name in ("eigenvalues", "layer_spectra"):
        assert_drawn(tmp_path / f"{name}.png")


def test_xl_preset_is_ten_million_parameters_trained_for_data_sampling(monkeypatch):
    import netscope.studies.active as study

    monkeypatch.setattr(study, "XL_TRAIN_EPOCHS", 1)
    prior = study.preset_problem("xl", sampling="prior")
    assert sum(p.numel() for p in prior.model.parameters()) == 8_546_314 and len(prior.data[0]) == 128
    data = study.preset_problem("xl", sampling="data")
    assert len(data.data[0]) == 1437 and data.description["trained_epochs"] == 1
    assert data.description["accuracy"]["test"] > 0.5  # one epoch of Adam already learns the digits
    assert study.PRESETS["xl"]["method"] == "sketch" and study.PRESETS["xl"]["n_vectors"] == 50


LAYER_BLOCKS_SCRIPT = """
import json, os, sys
import torch
import netscope
from netscope.active import distributed
from netscope.studies.models import mlp, regression_1d

if int(os.environ.get("WORLD_SIZE", "1")) > 1:
    torch.distributed.init_process_group("gloo")
torch.manual_seed(0)
model, data = mlp(1, 30, 2, 1), regression_1d(64)  # layer2 has 930 parameters: a sketch below
import netscope.active.layer_blocks as layer_blocks
layer_blocks.GRAM_LAYER_MAX = 100
fit = netscope.ActiveSubspace("sketch", n_components=5, keep_gradients=False, layer_blocks=True, chunk_size=40,
                              progress=False).fit(model, torch.nn.MSELoss(), data, n_samples=400, seed=2)
if distributed.rank_and_size()[0] == 0:
    spectra = fit.layer_spectra(4)
    result = {layer: [list(map(float, s.eigenvalues)), s.trace] for layer, s in spectra.layers.items()}
    json.dump({"world": distributed.rank_and_size()[1], "count": fit.layer_blocks_.count, **result},
              open(sys.argv[1], "w"))
"""


def test_layer_blocks_all_reduce_over_two_processes(tmp_path):
    script = tmp_path / "blocks.py"
    script.write_text(LAYER_BLOCKS_SCRIPT)
    subprocess.run([sys.executable, str(script), str(tmp_path / "one.json")], check=True, capture_output=True)
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2"]
    result = subprocess.run([*launcher, str(script), str(tmp_path / "two.json")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    one, two = (json.loads((tmp_path / name).read_text()) for name in ("one.json", "two.json"))
    assert (one.pop("world"), two.pop("world")) == (1, 2) and one.pop("count") == two.pop("count") == 400
    assert list(one) == list(two) == ["layer1", "layer2", "layer3"]
    for layer in one:  # the same gradients, summed in another order (layer2's sketch in float32)
        np.testing.assert_allclose(two[layer][0], one[layer][0], rtol=1e-6)
        assert two[layer][1] == pytest.approx(one[layer][1], rel=1e-12)


def test_checkpoints_of_earlier_versions_resume(tmp_path):
    # Written before sketch_dtype and layer_blocks were recorded: they resume with those settings'
    # values of the time (float64, no blocks), and are refused for others.
    torch.manual_seed(0)
    model, data = mlp(1, 8, 2, 1), regression_1d(32)
    path = tmp_path / "state.bin"

    def fit(loss, **options):
        return netscope.ActiveSubspace(
            "sketch",
            n_components=4,
            keep_gradients=False,
            chunk_size=50,
            progress=False,
            **options.pop("estimator", {}),
        ).fit(model, loss, data, n_samples=400, seed=3, checkpoint=path, checkpoint_every=100, **options)

    with pytest.raises(KeyboardInterrupt):
        fit(InterruptedLoss(4))
    sidecar = json.loads(Path(f"{path}.json").read_text())
    for key in ("sketch_dtype", "layer_blocks"):
        del sidecar["settings"][key]
    Path(f"{path}.json").write_text(json.dumps(sidecar))
    assert fit(torch.nn.MSELoss(), resume=True).n_samples_ == 400
    Path(f"{path}.json").write_text(json.dumps(sidecar))
    with pytest.raises(ValueError, match="sketch_dtype: 'float64' then, 'float32' now"):
        fit(torch.nn.MSELoss(), resume=True, estimator={"sketch_dtype": "float32"})
