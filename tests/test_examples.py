"""The notebooks in examples/ run from top to bottom without an error, in a kernel on this
interpreter, and are committed without outputs."""

import os
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NOTEBOOKS = ["active_subspaces.ipynb", "structural_maps.ipynb"]


def execute(nb, folder):
    """Run ``nb`` in a fresh python3 kernel whose working directory is ``folder``; nbclient raises
    CellExecutionError at the first cell that fails. jupyter_client starts a kernel spec whose
    command is ``python`` with this interpreter (sys.executable), so the kernel sees this
    environment's netscope. One OpenMP thread unless the caller set OMP_NUM_THREADS: on a
    loaded machine torch's spinning threads made three epochs of a small MLP take 20 s instead
    of 0.3 s."""
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    )
    client.execute(env=env)
    return nb


def test_the_kernel_runs_this_interpreter(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import sys, netscope; print(sys.executable)")])
    execute(nb, tmp_path)
    printed = "".join(o.get("text", "") for o in nb.cells[0].outputs if o.output_type == "stream").strip()
    assert Path(printed).resolve() == Path(sys.executable).resolve()


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_without_errors(name, tmp_path):
    nb = execute(nbformat.read(EXAMPLES / name, as_version=4), tmp_path)
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert (tmp_path / "netscope-out").is_dir()  # wrote where it ran, not into examples/
    html = [o.data["text/html"] for o in outputs if "data" in o and "text/html" in o.data]
    if name == "active_subspaces.ipynb":
        assert any("netscope-active-subspace" in page and "<svg" in page for page in html)  # the estimator's view
    else:
        assert any(page.startswith("<iframe srcdoc=") for page in html)  # the map's page, inline
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 1  # a matplotlib figure


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_notebook_has_no_outputs(name):
    nb = nbformat.read(EXAMPLES / name, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code and all(cell.outputs == [] and cell.execution_count is None for cell in code)
    assert all(not cell.metadata for cell in nb.cells)  # no execution timings, no widget state
    assert "widgets" not in nb.metadata
