"""Structural maps against the libraries a user would otherwise pick, in one process on the same data.

Maps (``maps.json``): netscope's defaults (``knn_graph`` + ``force_layout`` given the points, so
starting from their principal axes), the same from the graph alone (the spectral start), its
earlier default (Gaussian union graph + Fruchterman–Reingold), UMAP and openTSNE at their defaults (from the
points), and igraph's Fruchterman–Reingold and ForceAtlas2 on netscope's kNN graph, on the digits
(1 797 × 64) and make_blobs (10 000 × 50, 10 centres). Columns: total seconds from the points,
seconds of the layout alone, kNN preservation (share of each point's 15 nearest neighbours in the
input among its 15 nearest in the map), trustworthiness (scikit-learn's, 15 neighbours; beyond
2 000 points netscope.structure.fidelity's estimate from 2 000 query points, equal to scikit-learn's
on small inputs), random-triplet accuracy and the Spearman correlation of pairwise distances (10 000
sampled triplets and pairs, netscope.structure.fidelity.global_structure), silhouette of the labels
in the map (≤ 5 000 points), the peak resident memory
the call added, and each time over netscope's.

Nearest neighbours (``knn.json``): the k = 15 graph of 100 000 × 50 blobs (30 centres, std 4), of
100 000 hidden activations of a trained MLP (128 dims) and of 100 000 × 50 isotropic blobs (10
centres, std 1: nothing for an inverted file to file by): netscope's default ("auto": the inverted
file, refined by NN-descent when its sampled recall is below 0.9), exact, approximate and refined,
pynndescent and hnswlib; recall against the exact neighbours of 2 000 query points. netscope's
time includes its similarity weights. With ``--million``, also 1 000 000 × 50 isotropic blobs:
netscope's default against pynndescent.

Scale (``maps_scale.json``): netscope's whole pipeline at its defaults on blobs of 10 000, 100 000
and (``--million``) 1 000 000 points, UMAP beside it up to 100 000 (``--umap-million``: also 1 M);
the kNN graph and the layout timed apart; memory as the peak the pipeline added, and with the
data (the float32 points, 191 MiB at a million) but not the interpreter and its libraries.

    pip install ".[bench]"    # umap-learn, openTSNE, pynndescent, hnswlib, python-igraph, fa2-modified
    python bench/bench_maps.py [--million] [--umap-million] [--sections maps,knn,scale]
"""

from __future__ import annotations

import argparse
import resource
import threading
import time

import numpy as np
from sklearn.datasets import load_digits, make_blobs
from sklearn.manifold import trustworthiness
from sklearn.metrics import silhouette_score
from sklearn.neighbors import NearestNeighbors

import netscope
from _harness import jittered_digits, write_result
from netscope.structure.fidelity import fidelity, global_structure

K = 15


class PeakMemory:
    """Peak resident memory of this process while the block runs, above what it held before
    (sampled every 5 ms from /proc/self/statm), in MiB."""

    def __enter__(self):
        self.before = self.peak = self._resident()
        self._running = True
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._running = False
        self._thread.join()
        self.peak = max(self.peak, self._resident())

    @property
    def added_mb(self) -> float:
        return (self.peak - self.before) / 2**20

    def _watch(self):
        while self._running:
            self.peak = max(self.peak, self._resident())
            time.sleep(0.005)

    @staticmethod
    def _resident() -> int:
        import os

        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure(function, repeat: int = 1):
    """Best wall time of ``repeat`` calls, the last result, and the peak memory the calls added."""
    best, result = float("inf"), None
    with PeakMemory() as memory:
        for _ in range(repeat):
            start = time.perf_counter()
            result = function()
            best = min(best, time.perf_counter() - start)
    return best, result, memory.added_mb


def exact_neighbours(X, queries):
    """Indices of the K nearest other points of each query row (brute force in float64)."""
    X64 = X.astype(np.float64)
    squared = (X64**2).sum(axis=1)
    out = []
    for block in np.array_split(queries, max(1, len(queries) // 256)):
        distances = squared[block, None] + squared[None, :] - 2 * X64[block] @ X64.T
        distances[np.arange(len(block)), block] = np.inf
        out.append(np.argpartition(distances, K, axis=1)[:, :K])
    return np.concatenate(out)


def recall(found, true, queries) -> float:
    return float(np.mean([len(np.intersect1d(found[q], t)) / K for q, t in zip(queries, true)]))


def map_scores(X, labels, positions, true_neighbours) -> dict:
    _, layout = NearestNeighbors(n_neighbors=K + 1).fit(positions).kneighbors(positions)
    preserved = np.mean([len(np.intersect1d(a, b[1:])) for a, b in zip(true_neighbours, layout)]) / K
    if len(X) <= 2000:
        trust = trustworthiness(X, positions, n_neighbors=K)
    else:
        trust = fidelity(X, positions, K, max_queries=2000).trustworthiness
    chosen = np.random.default_rng(0).choice(len(X), min(len(X), 5000), replace=False)
    overall = global_structure(X, positions)
    return {
        "kNN preservation": float(preserved),
        "trustworthiness": float(trust),
        "triplet accuracy": overall.triplet_accuracy,
        "distance Spearman": overall.distance_spearman,
        "silhouette": float(silhouette_score(positions[chosen], labels[chosen])),
    }


def warm_up_jit():
    """UMAP and pynndescent compile with numba on first use: done here, untimed."""
    import pynndescent
    import umap

    small = np.random.default_rng(0).random((300, 8)).astype(np.float32)
    umap.UMAP(n_epochs=10).fit_transform(small)
    _ = pynndescent.NNDescent(small, n_neighbors=5).neighbor_graph


def map_rows(name, X, labels, *, repeat, fa2_iterations):
    import igraph
    import umap
    from fa2_modified import ForceAtlas2
    from openTSNE import TSNE

    X = np.ascontiguousarray(X, dtype=np.float32)
    _, true_neighbours = NearestNeighbors(n_neighbors=K + 1).fit(X).kneighbors(X)
    true_neighbours = true_neighbours[:, 1:]
    graph_seconds, graph, _ = measure(lambda: netscope.knn_graph(X, K), repeat)
    coo = graph.tocoo()
    upper = coo.row < coo.col
    ig_graph = igraph.Graph(n=len(X), edges=np.stack([coo.row[upper], coo.col[upper]], axis=1).tolist())
    fa2_scale = 500 / fa2_iterations
    # name: (call, graph seconds to add (None: it starts from the points), time factor)
    candidates = {
        "netscope (defaults)": (lambda: netscope.force_layout(graph, points=X), graph_seconds, 1.0),
        "netscope (graph only: spectral start)": (lambda: netscope.force_layout(graph), graph_seconds, 1.0),
        "netscope Fruchterman-Reingold (earlier default)": (
            lambda: netscope.force_layout(netscope.knn_graph(X, K, weights="gaussian"), method="fruchterman_reingold"),
            None,
            1.0,
        ),
        "UMAP 0.5 (defaults)": (lambda: umap.UMAP().fit_transform(X), None, 1.0),
        "openTSNE (defaults, n_jobs=-1)": (lambda: np.asarray(TSNE(n_jobs=-1).fit(X)), None, 1.0),
        "igraph Fruchterman-Reingold (netscope's graph)": (
            lambda: np.array(ig_graph.layout_fruchterman_reingold(weights=coo.data[upper], niter=500).coords),
            graph_seconds,
            1.0,
        ),
        f"ForceAtlas2 (netscope's graph){f', {fa2_iterations} it. x{fa2_scale:g}' if fa2_scale != 1 else ''}": (
            lambda: np.array(ForceAtlas2(verbose=False).forceatlas2(graph, iterations=fa2_iterations)),
            graph_seconds,
            fa2_scale,
        ),
    }
    rows = []
    for method, (run, graph_time, factor) in candidates.items():
        seconds, positions, memory = measure(run, repeat if factor == 1 else 1)
        layout_seconds = seconds * factor if graph_time is not None else None
        total = layout_seconds + graph_time if graph_time is not None else seconds
        rows.append(
            {
                "data": name,
                "method": method,
                "total s": total,
                "layout s": layout_seconds,
                **map_scores(X, labels, positions, true_neighbours),
                "peak MB": memory,
            }
        )
        print(rows[-1], flush=True)
    netscope_total, netscope_layout = rows[0]["total s"], rows[0]["layout s"]
    for row in rows:
        row["total / netscope"] = row["total s"] / netscope_total
        row["layout / netscope"] = row["layout s"] / netscope_layout if row["layout s"] is not None else None
    return rows


def mlp_activations(n: int, seed: int = 0) -> np.ndarray:
    """First-hidden-layer activations (128 dims) of an MLP trained on the digits, for ``n`` noisy,
    shifted copies of the digit images: real network activations at any size."""
    import torch

    from netscope.studies.models import digits, mlp_from_sizes

    torch.manual_seed(seed)
    x_train, y_train, _, _ = digits()
    model = mlp_from_sizes([64, 128, 64, 10], "relu")
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(200):
        optimiser.zero_grad()
        torch.nn.functional.cross_entropy(model(x_train), y_train).backward()
        optimiser.step()
    noisy, _ = jittered_digits(x_train.numpy(), y_train.numpy(), n, seed=seed)
    with torch.no_grad():
        return model[:2](torch.as_tensor(noisy)).numpy()


def knn_rows(name, X, only=None):
    """Each kNN method's seconds, recall on 2 000 queries and peak memory on ``X``; ``only``: the
    methods whose names start with one of these (all by default)."""
    import hnswlib
    import pynndescent

    X = np.ascontiguousarray(X, dtype=np.float32)
    queries = np.sort(np.random.default_rng(0).choice(len(X), 2000, replace=False))
    true = exact_neighbours(X, queries)

    def hnsw():
        index = hnswlib.Index(space="l2", dim=X.shape[1])
        index.init_index(max_elements=len(X), ef_construction=200, M=16, random_seed=0)
        index.set_num_threads(2)
        index.add_items(X)
        index.set_ef(50)
        labels, _ = index.knn_query(X, k=K + 1)
        return np.array([row[row != i][:K] for i, row in enumerate(labels)])

    def directed(graph):
        return graph.indices.reshape(len(X), K)

    candidates = {
        "netscope knn_graph (default: auto)": lambda: directed(netscope.knn_graph(X, K, symmetrize=False)),
        "netscope knn_graph, approximate": lambda: directed(
            netscope.knn_graph(X, K, symmetrize=False, method="approximate")
        ),
        "netscope knn_graph, refined (NN-descent)": lambda: directed(
            netscope.knn_graph(X, K, symmetrize=False, method="refined")
        ),
        "netscope knn_graph, exact": lambda: directed(netscope.knn_graph(X, K, symmetrize=False, method="exact")),
        "pynndescent 0.7 (defaults, parallel)": lambda: pynndescent.NNDescent(X, n_neighbors=K + 1).neighbor_graph[0][
            :, 1:
        ],
        "hnswlib 0.8 (M=16, ef_construction=200, ef=50)": hnsw,
    }
    rows = []
    for method, run in candidates.items():
        if only is not None and not method.startswith(only):
            continue
        seconds, found, memory = measure(run)
        rows.append(
            {
                "data": name,
                "method": method,
                "seconds": seconds,
                "recall": recall(found, true, queries),
                "peak MB": memory,
            }
        )
        print(rows[-1], flush=True)
    return rows


def scale_rows(sizes, umap_sizes):
    import umap

    rows = []
    for n in sizes:
        before_data = PeakMemory._resident()
        X, labels = make_blobs(n_samples=n, n_features=50, centers=10, random_state=0)
        X = X.astype(np.float32)  # make_blobs's float64 copy is freed here, before the timed block
        with PeakMemory() as memory:
            start = time.perf_counter()
            graph = netscope.knn_graph(X, K)
            graph_seconds = time.perf_counter() - start
            positions = netscope.force_layout(graph)
            total = time.perf_counter() - start
        chosen = np.random.default_rng(0).choice(n, min(n, 5000), replace=False)
        rows.append(
            {
                "points": n,
                "method": "netscope (defaults)",
                "knn_graph s": graph_seconds,
                "force_layout s": total - graph_seconds,
                "total s": total,
                "silhouette": float(silhouette_score(positions[chosen], labels[chosen])),
                "peak MB": memory.added_mb,
                "peak MB with the data": (memory.peak - before_data) / 2**20,
                "process peak MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
        print(rows[-1], flush=True)
        if n in umap_sizes:
            seconds, positions, memory_mb = measure(lambda: umap.UMAP().fit_transform(X))
            rows.append(
                {
                    "points": n,
                    "method": "UMAP 0.5 (defaults)",
                    "knn_graph s": None,
                    "force_layout s": None,
                    "total s": seconds,
                    "silhouette": float(silhouette_score(positions[chosen], labels[chosen])),
                    "peak MB": memory_mb,
                    "peak MB with the data": memory_mb + X.nbytes / 2**20,
                    "process peak MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                }
            )
            print(rows[-1], flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--million", action="store_true", help="also map 1 000 000 blobs with netscope, and search their kNN"
    )
    parser.add_argument("--umap-million", action="store_true", help="and with UMAP (tens of minutes)")
    parser.add_argument("--sections", default="maps,knn,scale", help="which parts to run (default: %(default)s)")
    args = parser.parse_args()
    sections = set(args.sections.split(","))
    warm_up_jit()
    if "maps" in sections:
        digits, digit_labels = load_digits(return_X_y=True)
        blobs, blob_labels = make_blobs(n_samples=10_000, n_features=50, centers=10, random_state=0)
        rows = map_rows("digits (1 797)", digits, digit_labels, repeat=3, fa2_iterations=500)
        rows += map_rows("blobs (10 000)", blobs, blob_labels, repeat=1, fa2_iterations=50)
        write_result("maps", rows, k=K)
    if "knn" in sections:
        blobs, _ = make_blobs(n_samples=100_000, n_features=50, centers=30, cluster_std=4.0, random_state=0)
        rows = knn_rows("blobs (100 000 x 50, 30 centres, std 4)", blobs)
        rows += knn_rows("MLP activations (100 000 x 128)", mlp_activations(100_000))
        isotropic, _ = make_blobs(n_samples=100_000, n_features=50, centers=10, random_state=0)
        rows += knn_rows("isotropic blobs (100 000 x 50, 10 centres, std 1)", isotropic)
        if args.million:
            isotropic, _ = make_blobs(n_samples=1_000_000, n_features=50, centers=10, random_state=0)
            rows += knn_rows(
                "isotropic blobs (1 000 000 x 50, 10 centres, std 1)",
                isotropic,
                only=("netscope knn_graph (default", "pynndescent"),
            )
        write_result("knn", rows, k=K, recall_queries=2000)
    if "scale" in sections:
        sizes = [10_000, 100_000] + ([1_000_000] if args.million or args.umap_million else [])
        umap_sizes = {10_000, 100_000} | ({1_000_000} if args.umap_million else set())
        write_result("maps_scale", scale_rows(sizes, umap_sizes), k=K)


if __name__ == "__main__":
    main()
