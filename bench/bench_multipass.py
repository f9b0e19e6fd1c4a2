"""Every active-subspace method on the seed's fit, end to end: accuracy against the exact answer and
the whole fit's time, gradients included.

The seed's MLP (D = 5 146), N = 10 000 prior samples, top k = 10 (``--k``). Each method runs
``ActiveSubspace(...).fit`` on the same model, data and seed, so the gradients are the same
numbers: ``snapshot`` (the default: the exact eigenpairs of the D × D Gram of the kept
gradients), ``gram`` (exact, streamed), ``sketch`` (one pass, s = 2k + 10 and s = 1 000) and
``multipass`` for several numbers of passes, each of which recomputes the N gradients. Accuracy
is against the exact top k of the same gradients (scipy's subset ``eigh`` of the float64 Gram of
the snapshot's kept gradients): the largest relative error of λ_1..λ_k and the largest principal
angle between the top-k subspaces. Also: the state each method holds (kept gradients,
D × D Gram, sketch, Krylov basis and products). Writes ``bench/results/multipass.json``.

    python bench/bench_multipass.py [--n 10000] [--k 10] [--passes 2 3 4 6 8 12]
"""

from __future__ import annotations

import argparse
import time

import scipy.linalg
import torch

import netscope
from _harness import max_principal_angle_degrees, write_result
from netscope.core.spectra import max_relative_error
from netscope.studies.models import mlp, regression_1d


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--passes", type=int, nargs="+", default=[2, 3, 4, 6, 8, 12])
    args = parser.parse_args()
    torch.manual_seed(0)
    model, data, loss = mlp(1, 35, 5, 1), regression_1d(256), torch.nn.MSELoss()
    D, k, n = sum(p.numel() for p in model.parameters()), args.k, args.n
    block = 2 * k + 10
    candidates = {
        "snapshot (default)": (dict(method="snapshot"), n * D * 4),
        "gram (streamed)": (dict(method="gram", keep_gradients=False), D * D * 8),
        f"sketch, s = {block} (one pass)": (dict(method="sketch", keep_gradients=False), D * block * 8),
        "sketch, s = 1000 (one pass)": (dict(method="sketch", sketch_size=1000, keep_gradients=False), D * 1000 * 8),
        **{
            f"multipass, {q} passes, b = {block}": (dict(method="multipass", n_passes=q), D * block * (2 * q - 1) * 8)
            for q in args.passes
        },
    }
    rows, exact = [], None
    for name, (settings, state_bytes) in candidates.items():
        study = netscope.ActiveSubspace(n_components=k, progress=False, **settings)
        start = time.perf_counter()
        study.fit(model, loss, data, n_samples=n, sampling="prior", seed=0)
        seconds = time.perf_counter() - start
        if exact is None:
            C = netscope.GramAccumulator(D).update(study.gradients_).matrix()
            values, vectors = scipy.linalg.eigh(C, subset_by_index=[D - k, D - 1])
            exact = values[::-1], vectors[:, ::-1]
        rows.append(
            {
                "method": name,
                "seconds": seconds,
                "gradient s": study.timings_["gradients"],
                "max rel. error λ_1..k": max_relative_error(study.eigenvalues_[:k], exact[0]),
                "max angle top-k (°)": max_principal_angle_degrees(study.eigenvectors_[:, :k], exact[1]),
                "state MB": state_bytes / 1e6,
            }
        )
        print(rows[-1], flush=True)
    for row in rows:
        row["time / snapshot"] = row["seconds"] / rows[0]["seconds"]
    write_result("multipass", rows, n_samples=n, n_parameters=D, k=k)


if __name__ == "__main__":
    main()
