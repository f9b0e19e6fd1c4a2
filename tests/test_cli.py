import json
import subprocess
import sys

import numpy as np

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
        capture_output=True, text=True,
    )
    assert result.returncode == 2
    assert "dim must be >= 1" in result.stderr
    assert "Traceback" not in result.stderr
