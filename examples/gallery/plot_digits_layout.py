"""
A map of the digits, without a network
======================================

The kernels of the structural maps work on any point cloud: :func:`netscope.knn_graph` builds the
k-nearest-neighbour graph of scikit-learn's 1 797 bundled 8 × 8 digits (UMAP's fuzzy weights),
:func:`netscope.force_layout` lays it out (a spectral warm start, then neighbour-embedding forces,
in the C++ core), and :func:`netscope.structure.fidelity.fidelity` says how faithful the map is to
the 64-dimensional pixels.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits

import netscope
from netscope.structure.fidelity import fidelity

digits = load_digits()
X = digits.data.astype(np.float32)

started = time.perf_counter()
graph = netscope.knn_graph(X, k=15)
positions = netscope.force_layout(graph, seed=0)
print(f"{X.shape[0]} points, {graph.nnz} edges, laid out in {time.perf_counter() - started:.2f} s")
measured = fidelity(X, positions, k=15)
print(f"trustworthiness {measured.trustworthiness:.3f}, kNN preservation {measured.knn_preservation:.3f}")

# %%
# Coloured by digit: the map was drawn from the pixels alone, the labels only colour it.

fig, ax = plt.subplots(figsize=(5, 5))
points = ax.scatter(positions[:, 0], positions[:, 1], c=digits.target, cmap="tab10", s=4)
ax.legend(*points.legend_elements(), title="digit", fontsize=7, loc="upper right", ncols=2)
ax.set_xticks([])
ax.set_yticks([])
ax.set_title("the digits' kNN graph, force layout")
fig.tight_layout()
