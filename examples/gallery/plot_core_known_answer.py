"""
The core on a known answer
==========================

For the quadratic loss f(x) = ½ xᵀAx with x drawn from N(0, I), the gradient is Ax, so the
active-subspace matrix C = E[∇f ∇fᵀ] is exactly A². Stream sampled gradients through a
:class:`netscope.GramAccumulator`, take the top eigenpairs with :func:`netscope.eigh_top` and
compare them with the truth; a :class:`netscope.NystromSketch` of a few columns does the same in
O(D·s) memory. This is what ``netscope demo`` checks.
"""

import matplotlib.pyplot as plt
import numpy as np

import netscope

rng = np.random.default_rng(0)
D, N, k = 200, 4000, 10
exact = np.exp(-np.arange(D) / 8.0)  # the eigenvalues of C = A², decaying
basis, _ = np.linalg.qr(rng.standard_normal((D, D)))
A = basis @ np.diag(np.sqrt(exact)) @ basis.T

gram = netscope.GramAccumulator(D)
sketch = netscope.NystromSketch(D, sketch_size=3 * k, seed=0)
for _ in range(N // 500):  # gradients arrive in chunks, as they do from a network
    x = rng.standard_normal((500, D))
    gradients = x @ A  # one gradient Ax per row (A is symmetric)
    gram.update(gradients)
    sketch.update(gradients)

values, vectors = netscope.eigh_top(gram.matrix(), k)
sketched, _ = sketch.eigenpairs(k)
print(f"{gram.count} gradients of D = {D}")
print("max relative eigenvalue error, Gram:", float(np.max(np.abs(values - exact[:k]) / exact[:k])).__round__(3))
print("max relative eigenvalue error, sketch:", float(np.max(np.abs(sketched - exact[:k]) / exact[:k])).__round__(3))

# %%
# The Monte Carlo error of N samples, about √(2/N) relative, is what separates the Gram route
# from the exact values; the sketch of 30 columns adds its own truncation error.

fig, ax = plt.subplots(figsize=(5, 3.5))
ax.semilogy(np.arange(1, k + 1), exact[:k], "k-", label="exact (A²)")
ax.semilogy(np.arange(1, k + 1), values, "o", label="GramAccumulator + eigh_top")
ax.semilogy(np.arange(1, k + 1), sketched, "x", label="NystromSketch, s = 30")
ax.set_xlabel("i")
ax.set_ylabel("λ_i")
ax.legend()
fig.tight_layout()
