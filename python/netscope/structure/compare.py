"""netscope's map beside UMAP's and t-SNE's (openTSNE) of the same points, with each one's time and
fidelity: what ``netscope structure --compare umap,tsne`` draws. UMAP and openTSNE are optional
(``pip install "netscope[compare]"``); asking for one that is missing raises before any work.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import time

import numpy as np

from .._result import Result
from ..core.knn import knn_graph
from ..core.layout import force_layout
from .fidelity import Fidelity, fidelity

# name -> (module to import, pip package, what it runs)
REFERENCES = {"umap": ("umap", "umap-learn", "UMAP"), "tsne": ("openTSNE", "openTSNE", "t-SNE (openTSNE)")}


@dataclasses.dataclass(frozen=True)
class ComparedMap(Result):
    """One method's map of the points: ``positions`` (n, 2) float64, the wall ``seconds`` it took
    from the points, and its ``fidelity`` to them.
    """

    method: str
    positions: np.ndarray
    seconds: float
    fidelity: Fidelity


def check_references(methods) -> list[str]:
    """The validated list of reference methods; ValueError for an unknown name or one whose
    library is not installed, naming the package to install.
    """
    methods = list(methods)
    unknown = [m for m in methods if m not in REFERENCES]
    if unknown:
        raise ValueError(f"unknown reference method(s) {unknown}; choose from {sorted(REFERENCES)}")
    missing = [REFERENCES[m][1] for m in methods if importlib.util.find_spec(REFERENCES[m][0]) is None]
    if missing:
        raise ValueError(f'comparing needs {", ".join(missing)}: pip install "netscope[compare]"')
    return methods


def compare_maps(X, methods=("umap", "tsne"), *, k: int = 15, seed: int = 0) -> list[ComparedMap]:
    """Netscope's map of the rows of ``X`` (its defaults: ``knn_graph`` + ``force_layout``) and
    those of the reference ``methods``, each timed from the points and measured by
    :func:`netscope.structure.fidelity.fidelity` at ``k`` neighbours. UMAP runs with
    ``n_neighbors=k`` and ``random_state=seed`` (reproducible, hence single-threaded), openTSNE
    with its defaults, ``random_state=seed`` and both cores. Cost: the three methods' own, plus
    O(min(n, 2000) n log n) per fidelity.
    """
    methods = check_references(methods)
    X = np.ascontiguousarray(X, dtype=np.float32)
    k = min(k, len(X) - 1)
    runs = {"netscope": lambda: force_layout(knn_graph(X, k, seed=seed), seed=seed, points=X)}
    if "umap" in methods:
        import umap

        runs["umap"] = lambda: umap.UMAP(n_neighbors=k, random_state=seed, n_jobs=1).fit_transform(X)
    if "tsne" in methods:
        from openTSNE import TSNE

        runs["tsne"] = lambda: np.asarray(TSNE(random_state=seed, n_jobs=-1).fit(X))
    compared = []
    for method, run in runs.items():
        start = time.perf_counter()
        positions = np.asarray(run(), dtype=np.float64)
        seconds = time.perf_counter() - start
        compared.append(
            ComparedMap(
                method=method,
                positions=positions,
                seconds=seconds,
                fidelity=fidelity(X, positions, min(k, max(1, (2 * len(X) - 4) // 3)), seed=seed),
            )
        )
    return compared
