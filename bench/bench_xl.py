"""The ten-million-parameter preset end to end, in both sampling modes: wall time and peak memory.

Runs ``netscope active-subspace --preset xl`` (an MLP 64 → 2048 → 2048 → 2048 → 10, 8 546 314
parameters; top 50 by a float32 Nyström sketch of s = 80, then one more read of the stream for
the intervals) twice, each in its own process: ``--sampling prior`` (1 024 parameter vectors
from N(0, I), the loss over 128 digits) and ``--sampling data`` (the network trained for 10
epochs, one gradient per each of the 1 437 training digits). Records each command's wall time,
its own ``peak_memory_mb`` (VmHWM), its stage timings and what it found. Targets: < 15 min and
< 6 GiB each. Writes ``bench/results/xl.json``; takes about 25 minutes on 2 cores. With
``--sampling`` one mode runs again and the other's row is kept from the file.

    python bench/bench_xl.py [--sampling prior data] [--out netscope-out/bench-xl]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from _harness import RESULTS, write_result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sampling", nargs="+", choices=("prior", "data"), default=["prior", "data"])
    parser.add_argument("--out", default="netscope-out/bench-xl")
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
            }
        )
        print(rows[-1], flush=True)
    write_result("xl", sorted(rows, key=lambda row: row["sampling"] != "prior"))


if __name__ == "__main__":
    main()
