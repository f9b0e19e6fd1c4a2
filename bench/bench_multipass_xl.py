"""The method table at ten million parameters: the one-pass sketch against multipass, in time,
peak memory and accuracy, on the xl preset's network (or, with ``--network mid``, a narrower one
where the exact answer is known).

The xl preset (an MLP 64 → 2048 → 2048 → 2048 → 10, 8 546 314 parameters), in ``--sampling
data`` (the network trained for 10 epochs; one gradient per each of the 1 437 training digits)
or ``prior`` (1 024 parameter vectors from N(0, I), the loss over 128 digits). Each method runs
``ActiveSubspace(...).fit`` in its own process, so that each peak (VmHWM) is its own: the
preset's float32 sketch (s = 80, top k = 50, chunks of 8) and ``method="multipass"`` for the top
10 with ``sketch_size=50`` (beyond its Krylov budget, thick-restart block Lanczos in a float32
basis of 100 columns, 3.4 GB at this D, blocks of 18), chunks of 8, until the top 10 have
‖C v − θ v‖ ≤ 10⁻³ θ or ``--passes`` passes have run; its residual after every pass is
recorded. A method whose result is already in ``--out`` (same settings) is not fitted again, so
an interrupted run goes on where it stopped.

No exact answer exists at this size, so accuracy is measured by what needs none:
- the Rayleigh–Ritz values of each method's directions, θ_i (the eigenvalues of Vᵀ C V, from
  the sketch's replayed projections, or multipass's own): θ_i ≤ λ_i for every i (Cauchy
  interlacing), so a larger sum of the top 10 (or 50) is a better subspace;
- multipass's residuals ‖C v − θ v‖ / θ (``residuals_``): zero at exact eigenpairs;
- the largest principal angle between each method's top-10 subspace and the reference's: the
  snapshot's exact one where it runs (``--methods snapshot ...``), else multipass's.
Writes ``bench/results/multipass_xl_<sampling>.json``; each xl multipass pass takes about as
long as the sketch's one pass (3 minutes on 2 idle cores, 17 shared with other work).

``--network mid`` runs the same prior problem on an MLP 64 → 512 → 512 → 10 (301 066
parameters), where the snapshot's kept gradients (1.2 GB) give the exact top 10; writes
``bench/results/multipass_mid_prior.json`` in minutes.

    python bench/bench_multipass_xl.py [--sampling data] [--network mid] [--methods snapshot sketch multipass]
        [--passes 30] [--out netscope-out/bench-multipass-xl]
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
# --network mid: the xl preset's prior problem on a narrower MLP, small enough for the exact
# answer (the snapshot's N × D float32 gradients: 1.2 GB) and for passes of seconds.
MID_SIZES = [64, 512, 512, 10]


def problem_of(network: str, sampling: str):
    """``(model, loss, data)`` of the xl preset, or of the mid network in prior sampling (the
    loss over the preset's 128 digits).
    """
    import torch

    from netscope.studies.active import PRESET_DATA_POINTS, preset_problem
    from netscope.studies.models import digits, mlp_from_sizes

    if network == "xl":
        problem = preset_problem("xl", sampling=sampling, seed=0)
        return problem.model, problem.loss, problem.data
    torch.manual_seed(0)
    x_train, y_train, _, _ = digits(seed=0)
    points = PRESET_DATA_POINTS["xl"]
    return mlp_from_sizes(MID_SIZES), torch.nn.CrossEntropyLoss(), (x_train[:points], y_train[:points])


def fit_one(network: str, sampling: str, settings: dict, out: Path) -> None:
    """Fit one method on the network; write its numbers and eigenvectors."""
    import netscope
    from netscope.active.restarted import RestartedPasses
    from netscope.studies.active import PRESETS, peak_memory_mb

    model, loss, data = problem_of(network, sampling)
    study = netscope.ActiveSubspace(keep_gradients=False, progress=False, **settings)
    history, end_pass = [], RestartedPasses.end_pass

    def recorded_end_pass(passes, extend, reduce=None):
        going = end_pass(passes, extend, reduce)
        _, values, residuals = passes._wanted()
        history.append({"seconds": time.perf_counter() - start, "max residual / θ": float(max(residuals / values))})
        print(history[-1], flush=True)
        return going

    RestartedPasses.end_pass = recorded_end_pass  # the residual after every pass, for the record
    start = time.perf_counter()
    study.fit(
        model,
        loss,
        data,
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
                "passes": history,
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
    parser.add_argument("--network", choices=("xl", "mid"), default="xl")
    parser.add_argument("--passes", type=int, default=30, help="multipass's passes at most")
    parser.add_argument(
        "--methods", nargs="+", choices=("snapshot", "sketch", "multipass"), default=["sketch", "multipass"]
    )
    parser.add_argument("--out", default="netscope-out/bench-multipass-xl")
    parser.add_argument("--fit", help=argparse.SUPPRESS)  # internal: one method's settings, as JSON
    args = parser.parse_args()
    if args.network == "mid" and args.sampling != "prior":
        parser.error("--network mid is the prior problem: give --sampling prior")
    if args.fit:
        fit_one(args.network, args.sampling, json.loads(args.fit), Path(args.out))
        return
    candidates = {
        "snapshot (exact; N × D float32 kept)": dict(method="snapshot", n_components=K),
        "sketch, s = 80, float32 (one pass; the xl preset)": dict(
            method="sketch", n_components=K, sketch_size=80, chunk_size=8, keep_projections=True
        ),
        f"multipass, restarted, 100 columns float32, ≤ {args.passes} passes": dict(
            method="multipass",
            n_components=10,
            sketch_size=50,
            sketch_dtype="float32",
            n_passes=args.passes,
            chunk_size=8,
        ),
    }
    candidates = {name: settings for name, settings in candidates.items() if settings["method"] in args.methods}
    folder = args.sampling if args.network == "xl" else f"{args.network}-{args.sampling}"
    results = {}
    for name, settings in candidates.items():
        out = Path(args.out) / folder / "-".join(f"{key}={value}" for key, value in settings.items())
        done = out / "result.json"
        if not (done.exists() and json.loads(done.read_text())["settings"] == settings):
            out.mkdir(parents=True, exist_ok=True)
            command = [sys.executable, __file__, "--sampling", args.sampling, "--network", args.network]
            subprocess.run([*command, "--fit", json.dumps(settings), "--out", str(out)], check=True)
        results[name] = (out, json.loads(done.read_text()))
        print(
            name, {key: value for key, value in results[name][1].items() if key in ("seconds", "peak_mb")}, flush=True
        )
    # the exact answer where it was computed, else the run with the most passes
    reference_name = list(candidates)[0 if "snapshot" in args.methods else -1]
    reference = np.load(results[reference_name][0] / "vectors.npy", mmap_mode="r")
    best = {
        k: max(sum(result["ritz"][:k]) for _, result in results.values() if len(result["ritz"]) >= k) for k in (10, K)
    }
    rows = []
    for name, (out, result) in results.items():
        vectors = np.load(out / "vectors.npy", mmap_mode="r")
        residuals = result["relative_residuals"]
        exact = results[reference_name][1]["eigenvalues"][:10] if "snapshot" in args.methods else None
        rows.append(
            {
                "method": name,
                "fit min": result["seconds"] / 60,
                "peak MB": result["peak_mb"],
                "gradient passes s": result["timings"]["gradients"],
                "passes": len(result["passes"]) or 1,
                "λ1 reported": result["eigenvalues"][0],
                "θ1": result["ritz"][0],
                "Σθ top 10 / best": sum(result["ritz"][:10]) / best[10],
                f"Σθ top {K} / best": sum(result["ritz"][:K]) / best[K] if len(result["ritz"]) >= K else None,
                "max residual / θ after each pass": ", ".join(
                    f"{entry['max residual / θ']:.2g}" for entry in result["passes"]
                ),
                "max residual / θ, top 10": None if residuals is None else max(residuals[:10]),
                "top-10 λ max relative error": None
                if exact is None
                else max(abs(value / truth - 1) for value, truth in zip(result["eigenvalues"][:10], exact)),
                f"top-10 angle to {'the exact' if exact is not None else 'most passes'} (°)": None
                if name == reference_name
                else top_angle_degrees(reference, vectors, 10),
            }
        )
        print(rows[-1], flush=True)
    write_result(f"multipass_{args.network}_{args.sampling}", rows)


if __name__ == "__main__":
    main()
