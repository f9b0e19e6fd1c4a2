"""Multipass fits beyond one process and one sitting: the passes' state protocol, checkpoints after
every pass, kill -9 and resume, torchrun on two processes."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import scipy.linalg

from netscope.active import solvers
from netscope.active.checkpoint import PassCheckpoint


def decaying_rows(rng, n=600, dim=80):
    return (rng.standard_normal((n, dim)) * 0.9 ** np.arange(dim)) @ np.linalg.qr(rng.standard_normal((dim, dim)))[0]


def run_passes(solver, chunks, n_passes, stop_after=None):
    """``n_passes`` over ``chunks``; with ``stop_after``, only that many (the run killed there)."""
    for index in range(n_passes if stop_after is None else stop_after):
        for chunk in chunks:
            solver.consume(chunk)
        if not solver.end_pass(extend=index < n_passes - 1):
            break
    return solver


@pytest.mark.parametrize("budget", [2**30, 0], ids=["krylov", "restarted"])
@pytest.mark.parametrize("stop_after", [1, 3])
def test_passes_go_on_from_their_saved_state_bit_for_bit(rng, tmp_path, monkeypatch, budget, stop_after):
    monkeypatch.setattr(solvers, "KRYLOV_STATE_BYTES", budget)  # 0: the restarted passes

    def solver():
        return solvers.MultipassSolver(80, sketch_size=12, seed=5, n_passes=5, n_components=4)

    G = decaying_rows(rng)
    chunks = [G[:250], G[250:]]
    whole = run_passes(solver(), chunks, 5)
    whole_pairs = whole.eigenpairs(None, 4, False)
    stopped = run_passes(solver(), chunks, 5, stop_after=stop_after)
    np.savez(tmp_path / "state.npz", **stopped.passes_state())
    restored = solver()
    with np.load(tmp_path / "state.npz") as archive:
        restored.restore(dict(archive))
    for index in range(stop_after, 5):  # the passes the killed run did not make
        for chunk in chunks:
            restored.consume(chunk)
        if not restored.end_pass(extend=index < 4):
            break
    pairs = restored.eigenpairs(None, 4, False)
    for ours, theirs in zip((*pairs, restored.residuals), (*whole_pairs, whole.residuals)):
        np.testing.assert_array_equal(ours, theirs)


# One multipass fit, as a script that torchrun can launch: its options in argv[1] (JSON), its
# result (rank 0's) in options["out"], with the number of loss evaluations it made.
SCRIPT = """
import json, os, sys
import numpy as np
import torch
import netscope
import netscope.active.solvers
from netscope.active import distributed
from netscope.studies.models import mlp, regression_1d

options = json.loads(sys.argv[1])
if int(os.environ.get("WORLD_SIZE", "1")) > 1:
    torch.distributed.init_process_group("gloo")
if options["iterate"]:  # the restarted passes, as beyond 1 GiB of Krylov basis
    netscope.active.solvers.KRYLOV_STATE_BYTES = 0
calls = 0


class CountedLoss(torch.nn.MSELoss):
    def forward(self, predictions, targets):
        global calls
        calls += 1
        return super().forward(predictions, targets)


torch.manual_seed(0)
model, data = mlp(1, 30, 2, 1), regression_1d(options["examples"])
blocks = options["layer_blocks"]
fit = netscope.ActiveSubspace(
    "multipass", n_components=5, n_passes=5, keep_gradients=False, keep_projections=blocks, layer_blocks=blocks,
    sketch_size=8, chunk_size=50, progress=False,
).fit(model, CountedLoss(), data, sampling=options["sampling"], n_samples=options["n_samples"], seed=2,
      checkpoint=options.get("checkpoint"), resume=options.get("resume", False))
if distributed.rank_and_size()[0] == 0:
    arrays = {name: getattr(fit, name + "_") for name in ("eigenvalues", "eigenvectors", "losses", "residuals")}
    if blocks:
        arrays["projections"] = fit.projections_
        for layer, entry in fit.layer_spectra(4).layers.items():
            arrays[f"spectrum {layer}"], arrays[f"trace {layer}"] = entry.eigenvalues, entry.trace
    np.savez(options["out"], calls=calls, world=distributed.rank_and_size()[1], n_samples=fit.n_samples_, **arrays)
"""

CASES = {  # each pass computes 400 gradients in 8 chunks
    "prior": {"sampling": "prior", "examples": 32, "n_samples": 400, "iterate": True, "layer_blocks": False},
    "data": {"sampling": "data", "examples": 400, "n_samples": None, "iterate": False, "layer_blocks": False},
    "layer blocks": {"sampling": "prior", "examples": 32, "n_samples": 400, "iterate": False, "layer_blocks": True},
}
TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2"]


def script_command(tmp_path, options, out, launcher=()):
    script = tmp_path / "multipass.py"
    script.write_text(SCRIPT)
    return [*(launcher or [sys.executable]), str(script), json.dumps({**options, "out": str(tmp_path / out)})]


def run_script(tmp_path, options, out, launcher=()):
    result = subprocess.run(script_command(tmp_path, options, out, launcher), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    with np.load(tmp_path / out) as archive:
        return dict(archive)


def saved_passes(checkpoint):
    """The passes whose checkpoint files are beside ``checkpoint`` (not their temporary files)."""
    return PassCheckpoint(checkpoint, {}).saved_passes()


@pytest.mark.parametrize("case", list(CASES))
def test_multipass_killed_mid_run_resumes_bit_for_bit(tmp_path, case):
    options = CASES[case]
    whole = run_script(tmp_path, options, "whole.npz")
    checkpoint = tmp_path / "run.ckpt"
    resumable = {**options, "checkpoint": str(checkpoint)}
    process = subprocess.Popen(
        script_command(tmp_path, resumable, "resumed.npz"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while not saved_passes(checkpoint) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL
    killed_after = max(saved_passes(checkpoint))  # killed while it ran: in a later pass
    resumed = run_script(tmp_path, {**resumable, "resume": True}, "resumed.npz")
    assert 0 < resumed.pop("calls") < whole.pop("calls")  # it went on from a saved pass
    assert len(saved_passes(checkpoint)) == 1 and saved_passes(checkpoint)[0] >= killed_after
    assert list(resumed) == list(whole)
    for name in whole:
        np.testing.assert_array_equal(resumed[name], whole[name], err_msg=name)


@pytest.mark.parametrize("case", list(CASES))
def test_multipass_on_two_processes_equals_one(tmp_path, case):
    one = run_script(tmp_path, CASES[case], "one.npz")
    two = run_script(tmp_path, CASES[case], "two.npz", TORCHRUN)
    assert (one["world"], two["world"]) == (1, 2) and one["n_samples"] == two["n_samples"] == 400
    # Each rank read half of every pass, and each pass's product was summed over the two.
    assert two["calls"] < one["calls"]
    # Rounding in float64 moves every eigenvalue by up to ~ε λ1 whatever the order of the sums
    # (Weyl), so the data's λ5 = 1e-6 λ1 gets that floor (1e-13 λ1) beside the 1e-10 relative.
    np.testing.assert_allclose(two["eigenvalues"], one["eigenvalues"], rtol=1e-10, atol=1e-13 * one["eigenvalues"][0])
    # scipy's angles are accurate down to rounding (not √ε, as √(1 − cos²) would be).
    assert np.sin(scipy.linalg.subspace_angles(two["eigenvectors"], one["eigenvectors"]).max()) <= 1e-8
    np.testing.assert_array_equal(two["losses"], one["losses"])  # the same samples, gathered in order
    for name in one:
        if name.startswith(("spectrum", "trace")):
            np.testing.assert_allclose(two[name], one[name], rtol=1e-10, err_msg=name)
    if "projections" in one:  # coordinates on directions equal up to sign
        signs = np.sign(np.sum(two["eigenvectors"] * one["eigenvectors"], axis=0))
        np.testing.assert_allclose(two["projections"] * signs, one["projections"], rtol=1e-8, atol=1e-10)


def test_pass_checkpoints_keep_what_a_resume_needs_and_refuse_another_run(tmp_path):
    state = {"dim": 3, "basis.0": np.arange(6.0).reshape(3, 2)}
    one = PassCheckpoint(tmp_path / "fit.ckpt", {"seed": 1})
    assert one.begin(resume=True) is None  # nothing saved yet
    for passes in (1, 2, 3):
        one.save(passes, state, more=passes < 3, count=10, losses=np.arange(10.0))
    assert one.saved_passes() == [3]  # one process needs only the last
    saved, passes, more, count, losses = one.begin(resume=True)
    assert (passes, more, count) == (3, False, 10) and int(saved["dim"]) == 3
    np.testing.assert_array_equal(saved["basis.0"], state["basis.0"])
    np.testing.assert_array_equal(losses, np.arange(10.0))
    with pytest.raises(ValueError, match=r"other settings \(seed: 1 then, 2 now\)"):
        PassCheckpoint(tmp_path / "fit.ckpt", {"seed": 2}).begin(resume=True)
    assert one.begin(resume=False) is None and one.saved_passes() == []  # a fresh run starts afresh

    # Under torch.distributed the pass before is kept too, and files of an earlier run that went
    # further are dropped at the first save.
    ranked = PassCheckpoint(tmp_path / "ranked.ckpt", {"seed": 1}, world=2)
    ranked.save(5, state, more=True, count=10, losses=None)
    for passes in (1, 2):
        ranked.save(passes, state, more=True, count=10, losses=None)
    assert ranked.saved_passes() == [1, 2]
    ranked.file(2).write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="is not a pass's checkpoint"):
        PassCheckpoint(tmp_path / "ranked.ckpt", {"seed": 1}).begin(resume=True)
