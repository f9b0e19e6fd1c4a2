"""randomized_svd versus scikit-learn's randomized_svd and torch.svd_lowrank.

Top-100 SVD of a 5 146 × 10 000 float64 matrix A = U diag(1/i) Vᵀ with random orthonormal U, V
(a slowly decaying spectrum: the hard case for randomized methods). Every method gets the same
array; accuracy is the largest relative error of the 100 singular values and the largest
principal angle between the computed and the true top-10 left singular subspaces. Building A
takes about half a minute (two QR factorisations) and is not timed.

    python bench/bench_rsvd.py [--m 5146] [--n 10000] [--k 100]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from sklearn.utils.extmath import randomized_svd as sklearn_randomized_svd

import netscope
from _harness import compare, max_principal_angle_degrees, random_orthonormal, write_result
from netscope.core.spectra import max_relative_error


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--m", type=int, default=5_146)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--k", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    m, n, k = args.m, args.n, args.k
    rng = np.random.default_rng(0)
    r = min(m, n)
    U = random_orthonormal(rng, m, r)
    singular_values = 1.0 / np.arange(1, r + 1)
    A = (U * singular_values) @ random_orthonormal(rng, n, r).T
    A_torch = torch.from_numpy(A)
    A32 = A.astype(np.float32)

    candidates = {
        "netscope randomized_svd (default: Krylov depth 3)": lambda: netscope.randomized_svd(A, k),
        "netscope randomized_svd, depth 2": lambda: netscope.randomized_svd(A, k, n_power_iter=2),
        "netscope randomized_svd, float32 input, depth 3": lambda: netscope.randomized_svd(A32, k),
        "sklearn randomized_svd (defaults)": lambda: sklearn_randomized_svd(A, k, random_state=0),
        "sklearn randomized_svd, n_iter=12": lambda: sklearn_randomized_svd(A, k, n_iter=12, random_state=0),
        "torch.svd_lowrank(q=k+10, niter=4)": lambda: torch.svd_lowrank(A_torch, q=k + 10, niter=4),
        "torch.svd_lowrank(q=k+10, niter=12)": lambda: torch.svd_lowrank(A_torch, q=k + 10, niter=12),
    }

    def score(result):
        left, values, _ = (np.asarray(x, float) for x in result)
        return {
            "max rel. error of s_1..s_k": max_relative_error(values[:k], singular_values[:k]),
            "top-10 angle (deg)": max_principal_angle_degrees(left[:, :10], U[:, :10]),
        }

    torch.manual_seed(0)
    rows = compare(candidates, score, baseline="sklearn randomized_svd (defaults)", repeat=args.repeat)
    write_result("rsvd", rows, m=m, n=n, k=k, spectrum="s_i = 1/i", dtype="float64")


if __name__ == "__main__":
    main()
