"""Print bench/results/*.json as Markdown tables, each under the command that produced it.

python bench/report.py

The documentation's benchmarks page and the guides' tables are made from these at build time
(docs/_scripts/generate.py calls ``markdown``): no number there is copied by hand.
"""

from __future__ import annotations

import json

from _harness import RESULTS, _format

TITLES = {
    "active_subspace": (
        "The seed's fit, D={n_parameters}, N={n_samples}, stage by stage: `python bench/bench_active_subspace.py`"
    ),
    "maps": (
        "Maps of the digits and of 10 000 blobs, k={k}, each method at its defaults: "
        "`python bench/bench_maps.py --million`"
    ),
    "snapshots": (
        "Maps across {n_epochs} training snapshots of the same activations (first hidden layer of the "
        "structure study's MLP, epochs {epoch_list}), netscope against AlignedUMAP, means over the snapshots, "
        "k={k}: `python bench/bench_snapshots.py`"
    ),
    "knn": (
        "k={k} nearest neighbours of 100 000 points, recall on {recall_queries} queries: "
        "`python bench/bench_maps.py --sections knn`"
    ),
    "maps_scale": (
        "netscope's whole pipeline (knn_graph + force_layout) at its defaults on make_blobs (50 dims, 10 "
        "centres), UMAP beside it: `python bench/bench_maps.py --umap-million --sections scale`"
    ),
    "gram": (
        "Gram matrix of N={n} float32 gradients of D={dim} parameters (chunks of {chunk}): `python bench/bench_gram.py`"
    ),
    "rsvd": "Top-{k} SVD of a {m} × {n} float64 matrix with s_i = 1/i: `python bench/bench_rsvd.py`",
    "eigh_top": (
        "Top-{k} eigenpairs of a {n} × {n} symmetric PSD matrix with λ_i = 1/i: `python bench/bench_eigh_top.py`"
    ),
    "sketch": (
        "NystromSketch against the exact Gram route on the seed's N={n} gradients of D={dim} (chunks of {chunk}): "
        "`python bench/bench_sketch.py`"
    ),
    "per_example": "Per-example gradients per second, chunks of {chunk_size}: `python bench/bench_per_example.py`",
    "sketch_scaling": (
        "NystromSketch from D = 10⁴ to 10⁶, float64 and float32 (N = 256 gradients with eigenvalues 1/i², "
        "chunks of 32): `python bench/bench_sketch.py --part scaling`"
    ),
    "layer_blocks": (
        "Each layer's block of C accumulated beside the global state, on the same precomputed gradients: "
        "`python bench/bench_layer_blocks.py`"
    ),
    "recorder": (
        "The digits MLP trained for {epochs} epochs with and without netscope.Recorder (a snapshot of "
        "{probe} probe images after each epoch): `python bench/bench_recorder.py`"
    ),
    "xl": (
        "`netscope active-subspace --preset xl` (8 546 314 parameters, top 50) in both sampling modes, each "
        "command in its own process: `python bench/bench_xl.py`"
    ),
    "multipass": (
        "Every method's whole fit on the seed (D = {n_parameters}, N = {n_samples} prior samples, top {k}), "
        "against the exact top {k} of the same gradients: `python bench/bench_multipass.py`"
    ),
    "multipass_ranks": (
        "Multipass ({passes} passes, top {k}) on the seed (D = {n_parameters}, N = {n_samples}) in one "
        "process, with a checkpoint after every pass, and on two under torchrun: "
        "`python bench/bench_multipass.py --part ranks`"
    ),
    "multipass_xl_data": (
        "The sketch against multipass at D = 8 546 314 (the xl network, top 50), data sampling, by "
        "Rayleigh–Ritz values, residuals and angles: `python bench/bench_multipass_xl.py --sampling data`"
    ),
    "multipass_xl_prior": (
        "The sketch against multipass at D = 8 546 314, prior sampling: "
        "`python bench/bench_multipass_xl.py --sampling prior`"
    ),
    "multipass_mid_prior": (
        "The xl preset's prior problem on an MLP 64-512-512-10 (D = 301 066), where the snapshot gives the "
        "exact top 10: `python bench/bench_multipass_xl.py --sampling prior --network mid --methods snapshot "
        "sketch multipass`"
    ),
    "page": (
        "The observatory page in headless Chromium on 2 cores (software rendering), each of its painters, "
        "against plotly and bokeh on one layer of the same 100 000 points, and at 1 000 000 points: "
        "`python bench/bench_page.py`"
    ),
}


def markdown(name: str, *, title: bool = True) -> str:
    """``bench/results/<name>.json`` as a Markdown table, under its title (the command that made it)."""
    result = json.loads((RESULTS / f"{name}.json").read_text())
    rows = result["rows"]
    columns = list(rows[0])
    lines = [f"**{TITLES[name].format(**result)}**", ""] if title else []
    lines.append("| " + " | ".join(columns) + " |")
    lines.append("|" + "---|" * len(columns))
    lines += ["| " + " | ".join(_format(row[c]).replace("|", "\\|") for c in columns) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def main():
    for name in TITLES:
        if (RESULTS / f"{name}.json").exists():
            print(markdown(name))


if __name__ == "__main__":
    main()
