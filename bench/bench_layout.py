"""Structural-map kernels against the libraries a user would otherwise pick.

Layouts: netscope.force_layout (spectral warm start, Barnes–Hut) versus networkx.spring_layout,
igraph's layout_fruchterman_reingold and ForceAtlas2 (fa2-modified), on the same k=15 kNN graph,
500 iterations each, for both symmetrisations: the union (an edge if either end lists the other)
and the mutual graph (if both do). Quality: kNN preservation (share of each point's 15 nearest
neighbours in the input space that are among its 15 nearest in the layout) and the silhouette of
the labels in the layout. Graphs: netscope.knn_graph versus scikit-learn's NearestNeighbors and
pynndescent (approximate).

Data: scikit-learn's digits (1 797 points, 64 dims) and make_blobs (50 dims, 10 centres,
random_state=0) of 10 000 points (and 100 000 with --large, netscope's whole pipeline only).
networkx and ForceAtlas2 take minutes on 10 000 points; there they run fewer iterations and
their time is scaled up to 500 (marked in the method's name); networkx runs on the union graph only.

    python bench/bench_layout.py [--large]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.datasets import load_digits, make_blobs
from sklearn.metrics import silhouette_score
from sklearn.neighbors import NearestNeighbors

import netscope
from _harness import write_result


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def knn_preservation(true_neighbours, positions, k=15):
    _, layout_neighbours = NearestNeighbors(n_neighbors=k + 1).fit(positions).kneighbors(positions)
    hits = [len(np.intersect1d(a, b[1:])) for a, b in zip(true_neighbours, layout_neighbours)]
    return float(np.mean(hits) / k)


def silhouette(positions, labels, rng):
    chosen = rng.choice(len(labels), min(len(labels), 5000), replace=False)
    return float(silhouette_score(positions[chosen], labels[chosen]))


def layouts(name, X, labels, graph, *, slow_iterations, with_networkx=True):
    import igraph
    import networkx as nx
    from fa2_modified import ForceAtlas2

    rng = np.random.default_rng(0)
    _, true = NearestNeighbors(n_neighbors=16).fit(X).kneighbors(X)
    true = true[:, 1:]
    coo = graph.tocoo()
    upper = coo.row < coo.col
    edges = list(zip(coo.row[upper].tolist(), coo.col[upper].tolist()))
    weights = coo.data[upper]
    nx_graph = nx.Graph()
    nx_graph.add_nodes_from(range(graph.shape[0]))
    nx_graph.add_weighted_edges_from((i, j, w) for (i, j), w in zip(edges, weights))
    ig_graph = igraph.Graph(n=graph.shape[0], edges=edges)
    scale = 500 / slow_iterations
    nx_iterations = slow_iterations if slow_iterations == 500 else 20
    # Fewer iterations: the spectral warm start leaves less for the forces to do (the trade-off
    # between these rows is the point of them).
    candidates = {
        "netscope force_layout (spectral start, Barnes-Hut)": (lambda: netscope.force_layout(graph), 1.0),
        "netscope force_layout, 200 iterations": (lambda: netscope.force_layout(graph, n_iter=200), 1.0),
        "netscope force_layout, 100 iterations": (lambda: netscope.force_layout(graph, n_iter=100), 1.0),
        "igraph layout_fruchterman_reingold": (
            lambda: np.array(ig_graph.layout_fruchterman_reingold(weights=weights, niter=500).coords), 1.0),
        "networkx spring_layout": (
            lambda: np.array(list(nx.spring_layout(nx_graph, iterations=nx_iterations, seed=0).values())),
            500 / nx_iterations),
        "ForceAtlas2 (fa2-modified)": (
            lambda: np.array(ForceAtlas2(verbose=False).forceatlas2(graph, iterations=slow_iterations)), scale),
    }
    if not with_networkx:
        del candidates["networkx spring_layout"]
    rows = []
    for method, (run, factor) in candidates.items():
        seconds, positions = timed(run)
        rows.append({"data": name, "method": method + (f" ({500 / factor:g} it., time x{factor:g})" if factor != 1 else ""),
                     "seconds": seconds * factor, "kNN preservation": knn_preservation(true, positions),
                     "silhouette": silhouette(positions, labels, rng)})
        print(rows[-1], flush=True)
    netscope_seconds = rows[0]["seconds"]
    for row in rows:
        row["netscope speed-up"] = row["seconds"] / netscope_seconds
    return rows


def knn_rows(name, X, *, with_sklearn=True):
    import pynndescent

    pynndescent.NNDescent(np.random.default_rng(0).random((200, 4)), n_neighbors=5)  # numba compiles here, untimed
    rows = []
    candidates = {"netscope knn_graph (exact)": lambda: netscope.knn_graph(X, 15)}
    if with_sklearn:
        candidates["sklearn NearestNeighbors (exact)"] = lambda: NearestNeighbors(n_neighbors=16).fit(X).kneighbors_graph(X, mode="distance")
    candidates["pynndescent (approximate)"] = lambda: pynndescent.NNDescent(X, n_neighbors=16, random_state=0).neighbor_graph
    for method, run in candidates.items():
        seconds, _ = timed(run)
        rows.append({"data": name, "method": method, "seconds": seconds})
        print(rows[-1], flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="also time netscope's pipeline on 100 000 points")
    args = parser.parse_args()
    digits, digit_labels = load_digits(return_X_y=True)
    blobs, blob_labels = make_blobs(n_samples=10_000, n_features=50, centers=10, random_state=0)
    layout_rows, graph_rows, pipeline_rows = [], [], []
    for name, X, labels, slow in (("digits (1 797)", digits, digit_labels, 500), ("blobs (10 000)", blobs, blob_labels, 50)):
        X = np.ascontiguousarray(X, dtype=np.float32)
        for kind in (True, "mutual"):
            graph = netscope.knn_graph(X, 15, symmetrize=kind)
            label = f"{name}, {'union' if kind is True else 'mutual'} graph"
            layout_rows += layouts(label, X, labels, graph, slow_iterations=slow,
                                   with_networkx=kind is True or slow == 500)
        graph_rows += knn_rows(name, X)
    sizes = [10_000, 100_000] if args.large else [10_000]
    for n in sizes:
        X, labels = make_blobs(n_samples=n, n_features=50, centers=10, random_state=0)
        X = X.astype(np.float32)
        graph_rows += knn_rows(f"blobs ({n:,})".replace(",", " "), X, with_sklearn=n <= 10_000) if n > 10_000 else []
        t_knn, graph = timed(lambda: netscope.knn_graph(X, 15))
        t_spectral, start = timed(lambda: netscope.spectral_layout(graph))
        t_force, positions = timed(lambda: netscope.force_layout(graph, start))
        pipeline_rows.append({"points": n, "knn_graph s": t_knn, "spectral_layout s": t_spectral,
                              "force_layout s": t_force, "total s": t_knn + t_spectral + t_force,
                              "silhouette": silhouette(positions, labels, np.random.default_rng(0))})
        print(pipeline_rows[-1], flush=True)
    write_result("layout", layout_rows, iterations=500, k=15)
    write_result("knn_graph", graph_rows, k=15)
    write_result("structure_pipeline", pipeline_rows, k=15, iterations=500)


if __name__ == "__main__":
    main()
