"""The method table at ten million parameters: the one-pass sketch against multipass, in time,
peak memory and accuracy, on the xl preset's network.

The xl preset (an MLP 64 → 2048 → 2048 → 2048 → 10, 8 546 314 parameters), top k = 50, in
``--sampling data`` (the network trained for 10 epochs; one gradient per each of the 1 437
training digits) or ``prior`` (1 024 parameter vectors from N(0, I), the loss over 128 digits).
Each method runs ``ActiveSubspace(...).fit`` in its own process, so that each peak (VmHWM) is
its own: the preset's float32 sketch (s = 80, chunks of 8) and ``method="multipass"`` with
blocks of b = 60 for each ``--passes`` (at this D, subspace iteration on two float32 blocks:
4.1 GB), chunks of 16. A method whose result is already in ``--out`` (same settings) is not
fitted again, so an interrupted run goes on where it stopped.

No exact answer exists at this size, so accuracy is measured by what needs none:
- the Rayleigh–Ritz values of each method's directions, θ_i (the eigenvalues of Vᵀ C V, from
  the sketch's replayed projections, or multipass's own): θ_i ≤ λ_i for every i (Cauchy
  interlacing), so a larger sum of the top 10 (or 50) is a better subspace;
- multipass's residuals ‖C v − θ v‖ / θ (``residuals_``): zero at exact eigenpairs;
- the largest principal angle between each method's top-10 subspace and that of the run with
  the most passes.
Writes ``bench/results/multipass_xl_<sampling>.json``; data: about 20 minutes on 2 cores,
prior: about 30.

    python bench/bench_multipass_xl.py [--sampling data] [--passes 2 4] [--out netscope-out/bench-multipass-xl]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from _harness import write_result

K = 50


def fit_one(sampling: str, settings: dict, out: Path) -> None:
    """Fit one method on the xl preset's network; write its numbers and eigenvectors."""
    import netscope
    from netscope.studies.active import PRESETS, peak_memory_mb, preset_problem

    problem = preset_problem("xl", sampling=sampling, seed=0)
    study = netscope.ActiveSubspace(n_components=K, keep_gradients=False, progress=False, **settings)
    start = time.perf_counter()
    study.fit(
        problem.model,
        problem.loss,
        problem.data,
        sampling=sampling,
        seed=0,
        n_samples=PRESETS["xl"]["n_samples"] if sampling == "prior" else None,
    )
    seconds = time.perf_counter() - start
    if study.projections_ is not None:
        ritz = np.linalg.eigvalsh(study.projections_.T @ study.projections_ / study.n_samples_)[::-1]
    else:
        ritz = study.eigenvalues_
    np.save(out / "vectors.npy", study.eigenvectors_)
    residuals = None if study.residuals_ is None else (study.residuals_ / study.eigenvalues_).tolist()
    (out / "result.json").write_text(
        json.dumps(
            {
                "sampling": sampling,
                "settings": settings,
                "seconds": seconds,
                "timings": study.timings_,
                "peak_mb": peak_memory_mb(),
                "eigenvalues": study.eigenvalues_.tolist(),
                "ritz": ritz.tolist(),
                "relative_residuals": residuals,
            }
        )
    )


def top_angle_degrees(reference: np.ndarray, vectors: np.ndarray, k: int) -> float:
    """Largest principal angle between the spans of the first k (orthonormal) columns of each,
    with the k × k product summed over row blocks in float64."""
    product = np.zeros((k, k))
    for start in range(0, len(reference), 1 << 18):
        rows = slice(start, start + (1 << 18))
        product += reference[rows, :k].astype(np.float64).T @ vectors[rows, :k].astype(np.float64)
    smallest = np.linalg.svd(product, compute_uv=False).min()
    return float(np.degrees(np.arccos(min(smallest, 1.0))))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sampling", choices=("data", "prior"), default="data")
    parser.add_argument("--passes", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--out", default="netscope-out/bench-multipass-xl")
    parser.add_argument("--fit", help=argparse.SUPPRESS)  # internal: one method's settings, as JSON
    args = parser.parse_args()
    if args.fit:
        fit_one(args.sampling, json.loads(args.fit), Path(args.out))
        return
    candidates = {
        "sketch, s = 80, float32 (one pass; the xl preset)": dict(
            method="sketch", sketch_size=80, chunk_size=8, keep_projections=True
        ),
        **{
            f"multipass, {q} passes, b = 60, float32": dict(
                method="multipass", sketch_size=60, n_passes=q, chunk_size=16
            )
            for q in sorted(args.passes)
        },
    }
    results = {}
    for name, settings in candidates.items():
        out = Path(args.out) / args.sampling / "-".join(f"{key}={value}" for key, value in settings.items())
        done = out / "result.json"
        if not (done.exists() and json.loads(done.read_text())["settings"] == settings):
            out.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--sampling",
                    args.sampling,
                    "--fit",
                    json.dumps(settings),
                    "--out",
                    str(out),
                ],
                check=True,
            )
        results[name] = (out, json.loads(done.read_text()))
        print(
            name, {key: value for key, value in results[name][1].items() if key in ("seconds", "peak_mb")}, flush=True
        )
    most_passes = list(candidates)[-1]
    reference = np.load(results[most_passes][0] / "vectors.npy", mmap_mode="r")
    best = {k: max(sum(result["ritz"][:k]) for _, result in results.values()) for k in (10, K)}
    rows = []
    for name, (out, result) in results.items():
        vectors = np.load(out / "vectors.npy", mmap_mode="r")
        residuals = result["relative_residuals"]
        rows.append(
            {
                "method": name,
                "fit min": result["seconds"] / 60,
                "peak MB": result["peak_mb"],
                "gradient passes s": result["timings"]["gradients"],
                "λ1 reported": result["eigenvalues"][0],
                "θ1": result["ritz"][0],
                "Σθ top 10 / best": sum(result["ritz"][:10]) / best[10],
                f"Σθ top {K} / best": sum(result["ritz"][:K]) / best[K],
                "max residual / θ, top 10": None if residuals is None else max(residuals[:10]),
                "top-10 angle to most passes (°)": None
                if name == most_passes
                else top_angle_degrees(reference, vectors, 10),
            }
        )
        print(rows[-1], flush=True)
    write_result(f"multipass_xl_{args.sampling}", rows)


if __name__ == "__main__":
    main()
