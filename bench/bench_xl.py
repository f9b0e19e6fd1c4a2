"""The ten-million-parameter preset end to end, in both sampling modes: wall time and peak memory.

Runs ``netscope active-subspace --preset xl`` (an MLP 64 → 2048 → 2048 → 2048 → 10, 8 546 314
parameters; top 50 by a float32 Nyström sketch of s = 80, then one more read of the stream for
the intervals) twice, each in its own process: ``--sampling prior`` (1 024 parameter vectors
from N(0, I), the loss over 128 digits) and ``--sampling data`` (the network trained for 10
epochs, one gradient per each of the 1 437 training digits). Records each command's wall time,
its own ``peak_memory_mb`` (VmHWM), its stage timings and what it found. Targets: < 15 min and
< 6 GiB each. Writes ``bench/results/xl.json``; takes about 25 minutes on 2 cores. With
``--sampling`` one mode runs again and the other's row is kept from the file.

Each mode's row also holds the gradient stage against a hand-written loop on the same network:
the first ``--reference-samples`` gradients in chunks of 8 by netscope's stream
(``prior_gradients`` / ``data_gradients``, as the fit reads them) and by ``torch.func``'s
``vmap(grad(·))`` over the same parameter vectors (numpy's normal draws, as the stream makes
them) or examples, written by hand; each timed best of two, side by side in one process.

    python bench/bench_xl.py [--sampling prior data] [--reference-samples 64] [--out netscope-out/bench-xl]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from _harness import RESULTS, best_time, write_result

CHUNK = 8


def gradient_stage_against_torch_func(sampling: str, samples: int) -> dict:
    """Seconds per gradient of netscope's stream and of a hand-written torch.func loop, on the xl
    network in ``sampling`` mode, over the first ``samples`` gradients in chunks of CHUNK.
    """
    import numpy as np
    import torch
    from torch.func import functional_call, grad, vmap

    from netscope.nn.gradients import SAMPLE_BLOCK, data_gradients, prior_gradients
    from netscope.studies.active import preset_problem

    problem = preset_problem("xl", sampling=sampling, seed=0)
    model, loss, (x, y) = problem.model, problem.loss, problem.data
    model.eval()
    names = [name for name, _ in model.named_parameters()]
    shapes = [p.shape for p in model.parameters()]
    sizes = [p.numel() for p in model.parameters()]

    def netscope_stream():
        options = dict(chunk_size=CHUNK, progress=False)
        if sampling == "prior":
            chunks = prior_gradients(model, loss, (x, y), n_samples=samples, **options)
        else:
            chunks = data_gradients(model, loss, (x, y), n_samples=samples, **options)
        return sum(len(rows) for _, rows, _ in chunks)

    def by_hand():
        def prior_loss(params):
            return loss(functional_call(model, params, (x,)), y)

        def example_loss(params, xi, yi):
            return loss(functional_call(model, params, (xi[None],)), yi[None])

        fixed = {name: p.detach() for name, p in model.named_parameters()}
        count, generator = 0, None
        for start in range(0, samples, CHUNK):
            n = min(CHUNK, samples - start)
            if sampling == "prior":
                # the stream's own draws: each block of SAMPLE_BLOCK rows from its own generator
                if start % SAMPLE_BLOCK == 0 or generator is None:
                    generator = np.random.default_rng([0, start // SAMPLE_BLOCK])
                flat = generator.standard_normal((n, sum(sizes)), dtype=np.float32)
                parts = torch.from_numpy(flat).split(sizes, dim=1)
                params = {name: part.reshape(n, *shape) for name, part, shape in zip(names, parts, shapes)}
                grads = vmap(grad(prior_loss))(params)
            else:
                grads = vmap(grad(example_loss), in_dims=(None, 0, 0))(
                    fixed, x[start : start + n], y[start : start + n]
                )
            rows = torch.cat([grads[name].reshape(n, -1) for name in names], dim=1).numpy()
            count += len(rows)
        return count

    netscope_seconds, _ = best_time(netscope_stream, repeat=2)
    hand_seconds, _ = best_time(by_hand, repeat=2)
    return {
        "gradient s/sample, netscope": netscope_seconds / samples,
        "gradient s/sample, torch.func by hand": hand_seconds / samples,
        "netscope speed / by hand": hand_seconds / netscope_seconds,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sampling", nargs="+", choices=("prior", "data"), default=["prior", "data"])
    parser.add_argument("--out", default="netscope-out/bench-xl")
    parser.add_argument("--reference-samples", type=int, default=64)
    args = parser.parse_args()
    previous = RESULTS / "xl.json"
    kept = json.loads(previous.read_text())["rows"] if previous.exists() else []
    rows = [row for row in kept if row["sampling"] not in args.sampling]
    for sampling in args.sampling:
        out = Path(args.out) / sampling
        start = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "netscope",
                "active-subspace",
                "--preset",
                "xl",
                "--sampling",
                sampling,
                "--out",
                str(out),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        wall = time.perf_counter() - start
        summary = json.loads((out / "summary.json").read_text())
        intervals, timings = summary["intervals"], summary["timings_s"]
        rows.append(
            {
                "sampling": sampling,
                "D": summary["n_parameters"],
                "N": summary["n_samples"],
                "top k": len(summary["eigenvalues"]),
                "sketch": f"float32, s = {summary['sketch_size']}",
                "wall min": wall / 60,
                "peak MB": summary["peak_memory_mb"],
                "gradients s": timings["gradients"],
                "eigenpairs s": timings["eigendecomposition"],
                "intervals (replay) s": intervals["seconds"],
                "figures s": timings["figures"],
                "λ1": summary["eigenvalues"][0],
                "top-10 sin θ, bootstrap mean": intervals["distance_mean"][-1],
                "layer1 share of top 10": summary["layer_importance"]["layers"]["layer1"]["share"],
                "after the gradients / gradients": (
                    intervals["seconds"] + timings["figures"] + timings["eigendecomposition"]
                )
                / timings["gradients"],
                **gradient_stage_against_torch_func(sampling, args.reference_samples),
            }
        )
        print(rows[-1], flush=True)
    write_result("xl", sorted(rows, key=lambda row: row["sampling"] != "prior"))


if __name__ == "__main__":
    main()
