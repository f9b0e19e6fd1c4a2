"""A self-checking demo of the core on a problem whose active subspace is known exactly.

For the quadratic loss f(x) = ½ xᵀ A x with x ~ N(0, I), the gradient is A x, so
C = E[∇f ∇fᵀ] = A². The demo streams sampled gradients through :class:`GramAccumulator`,
extracts the leading eigenpairs with :func:`eigh_top` (the Gram route) and with
:func:`randomized_svd` of the gradient matrix (the snapshot route), and compares both with the
analytic answer: eigenvalues a_i² and eigenvectors of A.
"""

from __future__ import annotations

import dataclasses
import json
import time
import warnings
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .._result import Result
from ..core.gram import GramAccumulator
from ..core.rsvd import eigh_top, randomized_svd
from ..core.spectra import max_relative_error, subspace_sines


@dataclasses.dataclass(frozen=True)
class DemoSummary(Result):
    """What the demo found: for ``dim`` parameters and ``n_samples`` gradients, the top ``k``
    eigenvalues exactly and by each route (the Gram accumulator + ``eigh_top``, the snapshot's
    randomized SVD), each route's largest relative eigenvalue error and the sine of its largest
    angle to the exact subspace, beside the Monte Carlo scale sqrt(2 / N); and the stages'
    ``timings_s``. :meth:`to_dict` is ``summary.json``.
    """

    problem: str
    dim: int
    n_samples: int
    k: int
    exact_eigenvalues: list
    gram_eigenvalues: list
    snapshot_eigenvalues: list
    gram_max_relative_error: float
    snapshot_max_relative_error: float
    gram_subspace_sine: float
    snapshot_subspace_sine: float
    monte_carlo_scale: float
    timings_s: dict

    def __getitem__(self, key: str):
        """Deprecated: ``summary["key"]``, as of the dict it was; read the attribute."""
        warnings.warn(f"DemoSummary[{key!r}] is deprecated: read summary.{key}", DeprecationWarning, stacklevel=2)
        return self.to_dict()[key]


def run_quadratic_demo(
    out_dir, *, dim: int = 500, n_samples: int = 5000, k: int = 10, chunk: int = 1000, seed: int = 0
) -> DemoSummary:
    """Run the demo, write ``summary.json`` into ``out_dir`` and return its :class:`DemoSummary`.

    Cost: O(n_samples dim²) for the Gram sum, O(n_samples dim k) for the snapshot SVD.
    """
    rng = np.random.default_rng(seed)
    basis, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
    spectrum = np.exp(-np.arange(dim) / 8.0)  # a_i: a fast decay, so the top k are well separated
    A = (basis * spectrum) @ basis.T
    timings = {}

    start = time.perf_counter()
    gram = GramAccumulator(dim)
    gradients = np.empty((n_samples, dim))
    for begin in tqdm(range(0, n_samples, chunk), desc="gradients -> Gram", unit="chunk"):
        x = rng.standard_normal((min(chunk, n_samples - begin), dim))
        gradients[begin : begin + len(x)] = x @ A  # rows of ∇f = A x (A is symmetric)
        gram.update(gradients[begin : begin + len(x)])
    timings["gram_accumulate"] = time.perf_counter() - start

    start = time.perf_counter()
    gram_values, gram_vectors = eigh_top(gram.matrix(), k, seed=seed)
    timings["eigh_top"] = time.perf_counter() - start

    start = time.perf_counter()
    U, s, _ = randomized_svd(gradients.T / np.sqrt(n_samples), k, seed=seed)
    timings["snapshot_randomized_svd"] = time.perf_counter() - start

    exact_values = spectrum[:k] ** 2
    exact_vectors = basis[:, :k]
    summary = DemoSummary(
        problem="f(x) = 1/2 x^T A x, x ~ N(0, I): C = A^2",
        dim=dim,
        n_samples=n_samples,
        k=k,
        exact_eigenvalues=exact_values.tolist(),
        gram_eigenvalues=gram_values.tolist(),
        snapshot_eigenvalues=(s**2).tolist(),
        gram_max_relative_error=max_relative_error(gram_values, exact_values),
        snapshot_max_relative_error=max_relative_error(s**2, exact_values),
        gram_subspace_sine=float(subspace_sines(exact_vectors, gram_vectors)[-1]),
        snapshot_subspace_sine=float(subspace_sines(exact_vectors, U)[-1]),
        # Monte Carlo: the relative error of an eigenvalue estimate is about sqrt(2 / N).
        monte_carlo_scale=float(np.sqrt(2.0 / n_samples)),
        timings_s=timings,
    )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "summary.json").write_text(json.dumps(summary.to_dict(), indent=2))
    return summary
