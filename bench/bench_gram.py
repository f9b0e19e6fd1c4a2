"""GramAccumulator.update versus scipy's dsyrk and numpy's GᵀG on the seed's size.

N = 10 000 gradients of D = 5 146 parameters, float32 (as torch produces them). netscope streams
them in chunks of 1 000; dsyrk and numpy get the whole float64 copy at once (their best case: the
copy is not timed). Throughput counts N·D² flops (SYRK's real count, half of GEMM's 2·N·D²).

    python bench/bench_gram.py [--n 10000] [--dim 5146] [--chunk 1000]
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy.linalg.blas import dsyrk

import netscope
from _harness import best_time, stream, write_result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--dim", type=int, default=5_146)
    parser.add_argument("--chunk", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    n, dim = args.n, args.dim
    G = np.random.default_rng(0).standard_normal((n, dim), dtype=np.float32)
    G64 = G.astype(np.float64)
    flops = n * dim * dim

    # dsyrk on Gᵀ (F-contiguous (D, N)) computes Gᵀ G without a transposed copy.
    dsyrk_time, lower = best_time(lambda: dsyrk(1.0, G64.T, trans=0, lower=1), args.repeat)
    reference = np.tril(lower)
    reference = (reference + np.tril(reference, -1).T) / n
    numpy_time, _ = best_time(lambda: G64.T @ G64, args.repeat)

    rows = []

    def add(name, seconds, matrix=None):
        error = np.linalg.norm(matrix - reference) / np.linalg.norm(reference) if matrix is not None else 0.0
        rows.append(
            {
                "method": name,
                "seconds": seconds,
                "GFLOP/s": flops / seconds / 1e9,
                "vs dsyrk": dsyrk_time / seconds,
                "relative error": float(error),
            }
        )

    add("scipy dsyrk (float64, one call)", dsyrk_time)
    add("numpy G.T @ G (float64, one call)", numpy_time)
    for precision in ("float64", "mixed"):
        seconds, gram = best_time(
            lambda: stream(netscope.GramAccumulator(dim, precision=precision), G, args.chunk), args.repeat
        )
        add(f"netscope update, {precision}, chunks of {args.chunk}", seconds, gram.matrix())
    write_result("gram", rows, n=n, dim=dim, chunk=args.chunk, input_dtype="float32")


if __name__ == "__main__":
    main()
