"""What the per-layer blocks cost on top of the global accumulation (``layer_blocks=True``).

The same precomputed gradient chunks are streamed with ``fit_gradients`` into a fit that keeps no
gradients, once without and once with each layer's block accumulated beside the global state, so
that the ratio is the accumulation's alone (the gradients themselves, usually the larger cost, are
computed once): the seed's network (D = 5 146, N = 10 000 prior gradients, ``method="gram"``, the
exact D × D Gram) and the large preset's (D = 1 126 410, N = 256 prior gradients, ``method="sketch"``,
s = 80; its 1 049 600-parameter hidden layer gets a 30-column sketch). Records the wall time of
each fit (best of ``--repeat``), the overhead, and the states' sizes. Writes
``bench/results/layer_blocks.json``.

    python bench/bench_layer_blocks.py [--repeat 2]
"""

from __future__ import annotations

import argparse

import netscope
from _harness import best_time, write_result
from netscope.active.layer_blocks import LayerBlocks
from netscope.studies.active import preset_problem


def gradients(preset: str, n: int, chunk: int):
    problem = preset_problem(preset)
    fitted = netscope.ActiveSubspace("snapshot", n_components=1, chunk_size=chunk, progress=False).fit(
        problem.model, problem.loss, problem.data, n_samples=n, seed=0
    )
    G = fitted.gradients_
    return [G[start : start + chunk] for start in range(0, n, chunk)], fitted.parameter_layout_


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    rows = []
    for preset, n, chunk, method, options in (
        ("seed", 10_000, 1000, "gram", {}),
        ("large", 256, 32, "sketch", {"n_components": 50, "sketch_size": 80}),
    ):
        chunks, layout = gradients(preset, n, chunk)
        seconds = {}
        for blocks in (False, True):

            def fit():
                return netscope.ActiveSubspace(
                    method, keep_gradients=False, layer_blocks=blocks, progress=False, **options
                ).fit_gradients(chunks, layout=layout)

            seconds[blocks], fitted = best_time(fit, args.repeat)
        state_mb = (8 * layout.n_parameters**2 if method == "gram" else 8 * layout.n_parameters * 80) / 2**20
        rows.append(
            {
                "network": preset,
                "D": layout.n_parameters,
                "N": n,
                "method": method,
                "global s": seconds[False],
                "global + layers s": seconds[True],
                "overhead": seconds[True] / seconds[False] - 1,
                "global state MB": state_mb,
                "layer blocks MB": LayerBlocks.nbytes(layout) / 2**20,
                "layers": len(layout.layer_slices()),
            }
        )
        print(rows[-1], flush=True)
    write_result("layer_blocks", rows)


if __name__ == "__main__":
    main()
