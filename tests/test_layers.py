"""The architecture holds: the core imports no torch, and each layer imports only the ones below it."""

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "python" / "netscope"
# A layer may import itself and what is below it; the order is that of the dependencies.
LAYERS = ["core", "nn", "active", "structure", "viewer", "plotting", "recording", "integrations", "studies"]
# The estimators import no presentation: StructureMap.to_html reaches the viewer through a page that
# netscope/__init__.py installs (structure/display.py). The viewer renders the typed results it is
# handed and imports no estimator (test_the_viewer_reads_results_and_imports_no_estimator).
ALLOWED = {
    "core": {"core"},
    "nn": {"core", "nn"},
    "active": {"core", "nn", "active"},
    "structure": {"core", "structure"},
    "viewer": {"core", "structure", "viewer"},
    "plotting": {"core", "plotting"},
    # Recording drives the trackers during training; the framework callbacks drive the recorder.
    "recording": {"core", "nn", "active", "recording"},
    "integrations": {"core", "recording", "integrations"},
    "studies": {"core", "nn", "active", "viewer", "structure", "plotting", "recording", "studies"},
}


def test_import_netscope_and_its_core_loads_no_torch_matplotlib_or_networkx():
    code = """
import sys
import numpy as np
import netscope
G = np.random.default_rng(0).standard_normal((30, 6))
netscope.GramAccumulator(6).update(G).matrix()
netscope.NystromSketch(6, 3).update(G).eigenpairs(2)
netscope.eigh_top(G.T @ G, 2), netscope.randomized_svd(G, 2)
netscope.force_layout(netscope.knn_graph(G, 4), n_iter=5)
heavy = sorted({name.partition('.')[0] for name in sys.modules} & {'torch', 'matplotlib', 'networkx'})
print(heavy)
netscope.ActiveSubspace  # the torch layer loads on first use
print('torch' in sys.modules)
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split("\n")[:2] == ["[]", "True"], result.stdout + result.stderr


def imported_modules(path: Path):
    """The netscope modules that the module at ``path`` imports, anywhere in it (inside functions
    too), as dotted paths below ``netscope`` (relative and absolute imports resolved)."""
    parts = path.relative_to(PACKAGE).parts
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = list(parts[:-1])[: len(parts) - node.level]
            target = base + (node.module.split(".") if node.module else [])
            yield from ([".".join(target)] if target else [alias.name for alias in node.names])
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("netscope."):
            yield node.module.partition(".")[2]
        elif isinstance(node, ast.Import):
            yield from (alias.name.partition(".")[2] for alias in node.names if alias.name.startswith("netscope."))


def internal_imports(path: Path):
    """The netscope subpackages (layers) that the module at ``path`` imports."""
    yield from (name for name in (module.split(".")[0] for module in imported_modules(path)) if name in LAYERS)


def test_dependencies_point_one_way():
    wrong = []
    for layer in LAYERS:
        for path in (PACKAGE / layer).rglob("*.py"):
            wrong += [
                f"{path.relative_to(PACKAGE)} imports {target}"
                for target in internal_imports(path)
                if target not in ALLOWED[layer]
            ]
    assert not wrong, wrong


def test_the_viewer_reads_results_and_imports_no_estimator():
    """The page takes typed results (structure/results.py) and never the estimator that made them."""
    taken = {
        module
        for path in (PACKAGE / "viewer").rglob("*.py")
        for module in imported_modules(path)
        if module.startswith("structure")
    }
    assert taken <= {"structure.results"}, taken


def test_the_core_stub_declares_exactly_what_the_module_has():
    import netscope._core as core

    stub = ast.parse((PACKAGE / "_core.pyi").read_text())
    declared = {
        node.name
        for node in stub.body
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_")
    }  # private bases exist for typing only
    assert declared == {name for name in dir(core) if not name.startswith("_")}
    assert (PACKAGE / "py.typed").exists()
