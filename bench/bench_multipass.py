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

``--part ranks`` fits multipass (``--rank-passes`` passes) on the same problem in one process,
again with a checkpoint after every pass, and under ``torchrun`` on two processes (gloo; each
rank reads half of every pass and the pass's product is all-reduced): the eigenvalues' largest
relative difference from the one-process run, the sine of the largest principal angle between
the top-k subspaces, the seconds and the checkpoint's size. Each run is its own process
(torchrun gives each rank one thread; the single process uses every core). Writes
``bench/results/multipass_ranks.json``.

    python bench/bench_multipass.py [--part {methods,ranks}] [--n 10000] [--k 10] [--passes 2 3 4 6 8 12]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.linalg
import torch

import netscope
from _harness import max_principal_angle_degrees, write_result
from netscope.core.spectra import max_relative_error
from netscope.studies.models import mlp, regression_1d


def seed_problem():
    """The seed's network, data and loss, the same in every process."""
    torch.manual_seed(0)
    return mlp(1, 35, 5, 1), regression_1d(256), torch.nn.MSELoss()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["methods", "ranks"], default="methods")
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--passes", type=int, nargs="+", default=[2, 3, 4, 6, 8, 12])
    parser.add_argument("--rank-passes", type=int, default=8)
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # one run of --part ranks: its options (JSON)
    args = parser.parse_args()
    if args.worker:
        return ranks_worker(json.loads(args.worker))
    if args.part == "ranks":
        return ranks(args)
    model, data, loss = seed_problem()
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


def ranks_worker(options: dict) -> None:
    """One multipass fit of ``--part ranks`` in this process (a rank, under torchrun): rank 0
    writes its eigenpairs, seconds and checkpoint bytes to ``options["out"]``.
    """
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        torch.distributed.init_process_group("gloo")
    model, data, loss = seed_problem()
    study = netscope.ActiveSubspace("multipass", n_components=options["k"], n_passes=options["passes"], progress=False)
    start = time.perf_counter()
    study.fit(model, loss, data, n_samples=options["n"], seed=0, checkpoint=options["checkpoint"])
    seconds = time.perf_counter() - start
    if torch.distributed.is_initialized() and torch.distributed.get_rank() > 0:
        return
    saved = list(Path(options["folder"]).glob("*.pass*")) if options["checkpoint"] else []
    np.savez(
        options["out"],
        eigenvalues=study.eigenvalues_,
        eigenvectors=study.eigenvectors_,
        seconds=seconds,
        checkpoint_bytes=sum(path.stat().st_size for path in saved),
    )


def ranks(args) -> None:
    """``--part ranks``: one process, one process checkpointing every pass, two under torchrun."""
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2"]
    runs = {
        "1 process": ([sys.executable], False),
        "1 process, a checkpoint after every pass": ([sys.executable], True),
        "2 processes (torchrun, gloo)": (torchrun, False),
    }
    rows, one = [], None
    with tempfile.TemporaryDirectory() as folder:
        for name, (launcher, checkpoint) in runs.items():
            out = os.path.join(folder, "result.npz")
            options = {
                "n": args.n,
                "k": args.k,
                "passes": args.rank_passes,
                "out": out,
                "folder": folder,
                "checkpoint": os.path.join(folder, "fit.ckpt") if checkpoint else None,
            }
            subprocess.run([*launcher, __file__, "--worker", json.dumps(options)], check=True)
            with np.load(out) as result:
                run = {key: result[key] for key in result.files}
            one = one or run
            rows.append(
                {
                    "run": name,
                    "seconds": float(run["seconds"]),
                    "max rel. diff. λ vs 1 process": max_relative_error(run["eigenvalues"], one["eigenvalues"]),
                    "max diff. / λ_1 vs 1 process": float(
                        np.max(np.abs(run["eigenvalues"] - one["eigenvalues"])) / one["eigenvalues"][0]
                    ),
                    "sine top-k vs 1 process": float(
                        np.sin(np.max(scipy.linalg.subspace_angles(run["eigenvectors"], one["eigenvectors"])))
                    ),
                    "checkpoint MB": float(run["checkpoint_bytes"]) / 1e6,
                }
            )
            print(rows[-1], flush=True)
    D = sum(p.numel() for p in seed_problem()[0].parameters())
    write_result("multipass_ranks", rows, n_samples=args.n, n_parameters=D, k=args.k, passes=args.rank_passes)


if __name__ == "__main__":
    main()
