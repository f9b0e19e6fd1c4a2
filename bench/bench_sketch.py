"""NystromSketch versus the exact Gram route: accuracy, time and memory.

Part 1, the seed's size: N = 10 000 prior gradients of the seed's MLP (D = 5 146), streamed in
chunks of 1 000. The exact answer is numpy's full eigh of GᵀG/N. Timed on the same gradients:
netscope's exact route (GramAccumulator + eigh_top), the route a user would write by hand (numpy
GᵀG + scipy's subset eigh), and the sketch for several sketch sizes s and subspace sizes k.

Part 2, scaling: D from 10⁴ to 10⁶ (each in its own process, for its peak memory), N = 256
synthetic gradients in chunks of 32 whose covariance decays as 1/i² over 200 directions above a
faint isotropic floor; top 50 from a sketch of s = 110, stored in float64 and in float32 (the same
test matrix: the float32 rows show what the halved memory costs in accuracy). ``--dims`` may go
to the xl preset's D = 8 546 314, where the float64 point needs 7.5 GB of sketch and the exact
reference 9 GB of rows. The exact top eigenvalues of the same rows come from the method of
snapshots (the N × N Gram), computed after the sketch's peak memory is read.

    python bench/bench_sketch.py [--part {all,seed,scaling}] [--n 10000] [--dims 10000 100000 1000000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import numpy as np
import scipy.linalg
import torch

import netscope
from _harness import best_time, max_principal_angle_degrees, stream, write_result
from netscope.core.spectra import max_relative_error
from netscope.nn.gradients import prior_gradients
from netscope.studies.active import peak_memory_mb
from netscope.studies.models import mlp, regression_1d


def seed_gradients(n: int) -> np.ndarray:
    torch.manual_seed(0)
    chunks = prior_gradients(mlp(1, 35, 5, 1), torch.nn.MSELoss(), regression_1d(256), n_samples=n, progress=False)
    return np.concatenate([g.numpy() for _, g, _ in chunks])


def seed_size(n: int, chunk: int, repeat: int) -> list[dict]:
    G = seed_gradients(n)
    dim = G.shape[1]
    exact_values, exact_vectors = np.linalg.eigh(stream(netscope.GramAccumulator(dim), G, chunk).matrix())
    exact_values, exact_vectors = exact_values[::-1], exact_vectors[:, ::-1]
    G64 = G.astype(np.float64)
    rows = []

    def add(name, k, seconds, values, vectors, state_bytes):
        rows.append(
            {
                "method": name,
                "k": k,
                "seconds": seconds,
                "max rel. error λ_1..k": max_relative_error(values[:k], exact_values[:k]),
                "max angle top-k (°)": max_principal_angle_degrees(vectors[:, :k], exact_vectors[:, :k]),
                "max angle top-10 (°)": max_principal_angle_degrees(vectors[:, :10], exact_vectors[:, :10]),
                "state MB": state_bytes / 2**20,
            }
        )
        print(rows[-1], flush=True)

    for k in (10, 50):
        seconds, (values, vectors) = best_time(
            lambda: netscope.eigh_top(stream(netscope.GramAccumulator(dim), G, chunk).matrix(), k), repeat
        )
        add("netscope Gram + eigh_top", k, seconds, values, vectors, 8 * dim * dim)
        seconds, (values, vectors) = best_time(
            lambda: scipy.linalg.eigh(G64.T @ G64 / n, subset_by_index=[dim - k, dim - 1]), repeat
        )
        add("numpy GᵀG + scipy subset eigh", k, seconds, values[::-1], vectors[:, ::-1], 8 * dim * dim)
        for s in (2 * k + 10, 4 * k + 10, 400, 1000):
            seconds, (values, vectors) = best_time(
                lambda: stream(netscope.NystromSketch(dim, s), G, chunk).eigenpairs(k), repeat
            )
            add(f"netscope NystromSketch s={s}", k, seconds, values, vectors, 8 * dim * s)
    for k in (10, 50):
        baseline = next(row["seconds"] for row in rows if row["k"] == k and row["method"].startswith("numpy"))
        for row in rows:
            if row["k"] == k:
                row["speed-up vs numpy"] = baseline / row["seconds"]
    return rows


def synthetic_chunk(dim: int, chunk: int, index: int) -> np.ndarray:
    """Rows whose covariance has eigenvalues 1/i² on the first 200 coordinates over an isotropic
    floor of total variance 0.01, the same decay whatever D is."""
    rng = np.random.default_rng([7, index])
    rows = rng.standard_normal((chunk, dim), dtype=np.float32)
    rows *= np.float32(0.1 / np.sqrt(dim))
    rows[:, :200] += rng.standard_normal((chunk, 200), dtype=np.float32) / np.arange(1, 201, dtype=np.float32)
    return rows


def scaling_point(dim: int, n: int, chunk: int, sketch_size: int, k: int, dtype: str) -> dict:
    """One D of part 2, in this process: time, peak memory and accuracy of the sketch."""
    baseline_mb = peak_memory_mb()
    update_seconds = 0.0
    sketch = netscope.NystromSketch(dim, sketch_size, dtype=dtype)
    for index in range(n // chunk):
        rows = synthetic_chunk(dim, chunk, index)
        tick = time.perf_counter()
        sketch.update(rows)
        update_seconds += time.perf_counter() - tick
    tick = time.perf_counter()
    values, vectors = sketch.eigenpairs(k)
    eigen_seconds = time.perf_counter() - tick
    peak_mb = peak_memory_mb()
    del vectors
    # The exact top k from the N x N Gram, widened a million columns at a time (at D = 8.5M the
    # float64 G would be 17 GB).
    G = np.concatenate([synthetic_chunk(dim, chunk, index) for index in range(n // chunk)])
    gram = np.zeros((n, n))
    for start in range(0, dim, 2**20):
        columns = G[:, start : start + 2**20].astype(np.float64)
        gram += columns @ columns.T
    exact = np.linalg.eigvalsh(gram / n)[::-1][:k]
    return {
        "D": dim,
        "N": n,
        "s": sketch_size,
        "k": k,
        "dtype": dtype,
        "update s/sample": update_seconds / n,
        "eigenpairs s": eigen_seconds,
        "sketch MB": np.dtype(dtype).itemsize * dim * sketch_size / 2**20,
        "peak MB above start": peak_mb - baseline_mb,
        "Gram would need MB": 8 * dim * dim / 2**20,
        "max rel. error λ_1..20": max_relative_error(values[:20], exact[:20]),
        "max rel. error λ_21..k": max_relative_error(values[20:], exact[20:]),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--chunk", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--dims", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--part", choices=["all", "seed", "scaling"], default="all")
    parser.add_argument("--point", type=int, help=argparse.SUPPRESS)  # one scaling D, in a child process
    parser.add_argument("--dtype", default="float64", help=argparse.SUPPRESS)  # of that point's sketch
    args = parser.parse_args()
    if args.point:
        print(json.dumps(scaling_point(args.point, n=256, chunk=32, sketch_size=110, k=50, dtype=args.dtype)))
        return
    if args.part in ("all", "seed"):
        write_result("sketch", seed_size(args.n, args.chunk, args.repeat), n=args.n, dim=5146, chunk=args.chunk)
    if args.part == "seed":
        return
    scaling = []
    points = [(dim, dtype) for dim in args.dims for dtype in ("float64", "float32")]
    for dim, dtype in points:
        child = subprocess.run(
            [sys.executable, __file__, "--point", str(dim), "--dtype", dtype],
            capture_output=True,
            text=True,
            check=True,
        )
        scaling.append(json.loads(child.stdout.strip().splitlines()[-1]))
        print(scaling[-1], flush=True)
    write_result("sketch_scaling", scaling)


if __name__ == "__main__":
    main()
