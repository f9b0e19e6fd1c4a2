"""The seed's active-subspace fit, stage by stage, against the careful plain pipeline.

Same model (MLP 1-5x35-1, tanh, 5 146 parameters), same data (256 points), N = 10 000 prior
samples. The plain pipeline is what a user would write with the libraries at hand: torch.func
``vmap(grad)`` over chunks of 100 parameter vectors (per-parameter inputs, the fast form),
scipy's dsyrk for C and numpy's eigh. netscope is timed for every eigenpair (like the plain
pipeline), for all eigenvalues with the top 100 eigenvectors, and for the top 100 only; then the
whole ``netscope active-subspace`` command, and per-example gradient throughput (data sampling)
against torch.func and a plain ``backward()`` loop.

    python bench/bench_active_subspace.py [--samples 10000]
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np
import torch
from scipy.linalg.blas import dsyrk
from torch.func import functional_call, grad, vmap

import netscope
import netscope.nn.gradients
from _harness import write_result
from netscope.studies.active import run_active_subspace_study
from netscope.studies.models import mlp, regression_1d


def plain_prior_gradients(model, data, n_samples, chunk=100):
    inputs, targets = data
    names = [name for name, _ in model.named_parameters()]
    shapes = [p.shape for _, p in model.named_parameters()]
    D = sum(p.numel() for p in model.parameters())

    def loss(params):
        return torch.nn.functional.mse_loss(functional_call(model, params, (inputs,)), targets)

    batched = vmap(grad(loss))
    generator = torch.Generator().manual_seed(0)
    G = np.empty((n_samples, D), dtype=np.float32)
    for start in range(0, n_samples, chunk):
        n = min(chunk, n_samples - start)
        flat = torch.randn(n, D, generator=generator)
        params, offset = {}, 0
        for name, shape in zip(names, shapes):
            size = int(np.prod(shape))
            params[name] = flat[:, offset : offset + size].reshape(n, *shape)
            offset += size
        grads = batched(params)
        G[start : start + n] = torch.cat([grads[name].reshape(n, -1) for name in names], dim=1).numpy()
    return G


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000)
    args = parser.parse_args()
    torch.manual_seed(0)
    model, data = mlp(1, 35, 5, 1), regression_1d(256)
    N = args.samples
    rows = []

    t_grad, G = timed(lambda: plain_prior_gradients(model, data, N))
    t_syrk, lower = timed(lambda: dsyrk(1.0 / N, G.astype(np.float64).T, trans=0, lower=1))
    C = np.tril(lower) + np.tril(lower, -1).T
    t_eigh, _ = timed(lambda: np.linalg.eigh(C))
    t_eigvalsh, _ = timed(lambda: np.linalg.eigvalsh(C))
    plain_total = t_grad + t_syrk + t_eigh
    rows.append(
        {
            "pipeline": "plain: torch.func + dsyrk + numpy eigh (all pairs)",
            "gradients s": t_grad,
            "C + eigen s": t_syrk + t_eigh,
            "total s": plain_total,
            "vs plain": 1.0,
        }
    )
    rows.append(
        {
            "pipeline": "plain: torch.func + dsyrk + numpy eigvalsh (values only)",
            "gradients s": t_grad,
            "C + eigen s": t_syrk + t_eigvalsh,
            "total s": t_grad + t_syrk + t_eigvalsh,
            "vs plain": plain_total / (t_grad + t_syrk + t_eigvalsh),
        }
    )

    variants = {
        "netscope fit, all eigenpairs": dict(n_components=None),
        "netscope fit, all eigenvalues + top-100 vectors": dict(n_components=100, full_spectrum=True),
        "netscope fit, top-100 eigenpairs": dict(n_components=100),
    }
    for name, options in variants.items():
        result = netscope.ActiveSubspace(progress=False, **options).fit(
            model, torch.nn.MSELoss(), data, n_samples=N, seed=0
        )
        total = sum(result.timings_.values())
        rows.append(
            {
                "pipeline": name,
                "gradients s": result.timings_["gradients"],
                "C + eigen s": result.timings_["eigendecomposition"],
                "total s": total,
                "vs plain": plain_total / total,
            }
        )
        print(rows[-1], flush=True)

    with tempfile.TemporaryDirectory() as out:
        t_command, summary = timed(lambda: run_active_subspace_study(out, n_samples=N, progress=False))
    stages = summary["timings_s"]
    rows.append(
        {
            "pipeline": "netscope active-subspace (whole command: fit, bootstrap 50, convergence, 5 figures)",
            "gradients s": stages["gradients"],
            "C + eigen s": stages["eigendecomposition"],
            "total s": t_command,
            "vs plain": plain_total / t_command,
        }
    )

    # Per-example gradients at fixed parameters (the empirical Fisher).
    x = torch.linspace(-1, 1, 100_000).unsqueeze(1)
    examples = (x, torch.sin(3 * x))
    t_netscope, _ = timed(
        lambda: [
            None
            for _ in netscope.nn.gradients.data_gradients(
                model, torch.nn.MSELoss(), examples, chunk_size=1000, progress=False
            )
        ]
    )
    params = {name: p.detach() for name, p in model.named_parameters()}

    def one(params, xi, yi):
        return torch.nn.functional.mse_loss(functional_call(model, params, (xi[None],)), yi[None])

    per_example = vmap(grad(one), in_dims=(None, 0, 0))
    t_func, _ = timed(
        lambda: [per_example(params, x[i : i + 1000], examples[1][i : i + 1000]) for i in range(0, 100_000, 1000)]
    )
    n_loop = 2000

    def loop():
        for i in range(n_loop):
            model.zero_grad()
            torch.nn.functional.mse_loss(model(x[i : i + 1]), examples[1][i : i + 1]).backward()

    t_loop, _ = timed(loop)
    throughput = {
        "netscope data_gradients": 100_000 / t_netscope,
        "torch.func vmap(grad)": 100_000 / t_func,
        "backward() loop": n_loop / t_loop,
    }
    print(throughput)
    write_result(
        "active_subspace",
        rows,
        n_samples=N,
        n_parameters=5146,
        per_example_gradients_per_s=throughput,
        command_stages_s=stages,
    )


if __name__ == "__main__":
    main()
