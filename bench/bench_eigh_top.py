"""eigh_top versus LAPACK (numpy.linalg.eigh, scipy's subset eigh) and ARPACK (scipy eigsh).

Top-100 eigenpairs of a 5 146 × 5 146 symmetric PSD matrix C = Q diag(1/i) Qᵀ (the size of the
seed's active-subspace matrix, with a slowly decaying spectrum). Accuracy: the largest relative
error of the 100 eigenvalues and the largest principal angle of the top-10 eigenvectors.

    python bench/bench_eigh_top.py [--n 5146] [--k 100]
"""

from __future__ import annotations

import argparse

import numpy as np
import scipy.linalg
import scipy.sparse.linalg

import netscope
from _harness import compare, max_principal_angle_degrees, random_orthonormal, write_result
from netscope.core.spectra import max_relative_error


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5_146)
    parser.add_argument("--k", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    n, k = args.n, args.k
    Q = random_orthonormal(np.random.default_rng(0), n, n)
    spectrum = 1.0 / np.arange(1, n + 1)
    C = (Q * spectrum) @ Q.T
    C = (C + C.T) / 2

    def descending(values, vectors):
        order = np.argsort(values)[::-1][:k]
        return values[order], vectors[:, order]

    candidates = {
        "netscope eigh_top (default: Krylov depth 6)": lambda: netscope.eigh_top(C, k),
        "netscope eigh_top, depth 9": lambda: netscope.eigh_top(C, k, n_power_iter=9),
        "scipy.linalg.eigh(subset_by_index)": lambda: descending(*scipy.linalg.eigh(C, subset_by_index=(n - k, n - 1))),
        "numpy.linalg.eigh (all pairs)": lambda: descending(*np.linalg.eigh(C)),
        "scipy.sparse.linalg.eigsh (ARPACK)": lambda: descending(*scipy.sparse.linalg.eigsh(C, k=k, which="LA")),
    }

    def score(result):
        values, vectors = result
        return {
            "max rel. error of λ_1..λ_k": max_relative_error(values[:k], spectrum[:k]),
            "top-10 angle (deg)": max_principal_angle_degrees(vectors[:, :10], Q[:, :10]),
        }

    rows = compare(candidates, score, baseline="scipy.linalg.eigh(subset_by_index)", repeat=args.repeat)
    write_result("eigh_top", rows, n=n, k=k, spectrum="λ_i = 1/i", dtype="float64")


if __name__ == "__main__":
    main()
