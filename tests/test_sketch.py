import numpy as np
import pytest

import netscope
from conftest import assert_damaged_copies_refused, orthonormal


def test_low_rank_matrix_is_recovered_exactly(rng):
    basis = orthonormal(rng, 60, 5)
    G = (rng.standard_normal((400, 5)) * [5, 4, 3, 2, 1]) @ basis.T
    sketch = netscope.NystromSketch(60, 12, seed=3)
    for chunk in np.array_split(G, 7):
        sketch.update(chunk.astype(np.float32))
    values, vectors = sketch.eigenpairs(5)
    exact = np.linalg.eigvalsh(G.astype(np.float32).astype(float).T @ G.astype(np.float32).astype(float) / 400)[::-1][
        :5
    ]
    np.testing.assert_allclose(values, exact, rtol=1e-8)
    np.testing.assert_allclose(np.abs(np.linalg.svd(vectors.T @ basis, compute_uv=False)), 1.0, atol=1e-6)


def test_trace_norm_error_within_the_tropp_bound(rng):
    # C with eigenvalues 0.8^i: E‖C − Ĉ‖_* ≤ (1 + r/(s − r − 1)) ‖C − [C]_r‖_* (Tropp et al. 2017,
    # Theorem 4.1), checked for the average over 20 seeds, r = 5, s = 20.
    dim, s, r = 50, 20, 5
    Q = orthonormal(rng, dim, dim)
    spectrum = 0.8 ** np.arange(dim)
    G = rng.standard_normal((3000, dim)) * np.sqrt(spectrum) @ Q.T
    C = G.T @ G / len(G)
    tail = np.sort(np.linalg.eigvalsh(C))[::-1][r:].sum()
    errors = []
    for seed in range(20):
        sketch = netscope.NystromSketch(dim, s, seed=seed).update(G)
        values, vectors = sketch.eigenpairs(s)
        approximation = (vectors * values) @ vectors.T
        errors.append(np.abs(np.linalg.eigvalsh(C - approximation)).sum())
    assert np.mean(errors) <= (1 + r / (s - r - 1)) * tail


def test_merge_and_bad_input(rng):
    G = rng.standard_normal((90, 16))
    whole = netscope.NystromSketch(16, 6, seed=1).update(G)
    first = netscope.NystromSketch(16, 6, seed=1).update(G[:40])
    first.merge(netscope.NystromSketch(16, 6, seed=1).update(G[40:]))
    np.testing.assert_allclose(first.eigenpairs(3)[0], whole.eigenpairs(3)[0], rtol=1e-12)
    with pytest.raises(ValueError, match="same dim, sketch_size, seed and dtype"):
        first.merge(netscope.NystromSketch(16, 6, seed=2))
    with pytest.raises(ValueError, match="same dim, sketch_size, seed and dtype"):
        first.merge(netscope.NystromSketch(16, 6, seed=1, dtype=np.float32))
    with pytest.raises(ValueError, match="dtype must be float64 or float32, got 'int8'"):
        netscope.NystromSketch(16, 6, dtype="int8")
    with pytest.raises(ValueError, match="sketch_size must be <= 16"):
        netscope.NystromSketch(16, 17)
    with pytest.raises(ValueError, match=r"G must have shape \(n, 16\)"):
        whole.update(np.ones((2, 15)))
    bad = G[:3].copy()
    bad[1, 2] = np.nan
    with pytest.raises(ValueError, match="row 1"):
        whole.update(bad)
    assert whole.count == 90
    with pytest.raises(ValueError, match="empty"):
        netscope.NystromSketch(16, 6).eigenpairs(2)


def test_save_load_round_trip_and_bad_files(rng, tmp_path):
    sketch = netscope.NystromSketch(40, 9, seed=5).update(rng.standard_normal((70, 40)))
    sketch.save(tmp_path / "sketch.bin")
    loaded = netscope.NystromSketch.load(tmp_path / "sketch.bin")
    assert (loaded.dim, loaded.sketch_size, loaded.seed, loaded.count) == (40, 9, 5, 70)
    for a, b in zip(loaded.eigenpairs(4), sketch.eigenpairs(4)):
        np.testing.assert_array_equal(a, b)
    # Loaded and live sketches merge: the test matrix is regenerated from the saved seed.
    loaded.merge(netscope.NystromSketch(40, 9, seed=5).update(rng.standard_normal((30, 40))))
    assert loaded.count == 100
    with pytest.raises(FileNotFoundError):
        netscope.NystromSketch.load(tmp_path / "missing.bin")
    netscope.GramAccumulator(40).update(np.eye(40)).save(tmp_path / "gram.bin")
    with pytest.raises(ValueError, match="not a netscope NystromSketch file"):
        netscope.NystromSketch.load(tmp_path / "gram.bin")
    assert_damaged_copies_refused(netscope.NystromSketch.load, tmp_path / "sketch.bin", tmp_path)


def test_float32_sketch_matches_float64(rng, tmp_path):
    # A gradient-like stream: a decaying spectrum over 3 000 dimensions, float32 chunks. The two
    # storages see the same test matrix; only Y's float32 rounding separates them.
    dim, s = 3000, 30
    G = (rng.standard_normal((400, dim)) * 1.0 / np.arange(1, dim + 1) ** 0.7).astype(np.float32)
    wide, narrow = netscope.NystromSketch(dim, s, seed=4), netscope.NystromSketch(dim, s, seed=4, dtype=np.float32)
    for chunk in np.array_split(G, 9):
        wide.update(chunk)
        narrow.update(chunk)
    assert narrow.dtype == np.float32 and wide.dtype == np.float64
    assert narrow._core.state().dtype == np.float32 and narrow._core.state().nbytes == dim * s * 4
    values64, vectors64 = wide.eigenpairs(10)
    values32, vectors32 = narrow.eigenpairs(10)
    assert vectors32.dtype == np.float32
    np.testing.assert_allclose(values32, values64, rtol=1e-5)
    # The float32 sketch is as close to the exact spectrum as the float64 one.
    exact = np.linalg.eigvalsh(G.astype(float).T @ G.astype(float) / len(G))[::-1][:10]
    assert abs(np.abs(values32 - exact).max() - np.abs(values64 - exact).max()) < 1e-5 * exact[0]
    cosines = np.linalg.svd(vectors64[:, :5].T @ vectors32[:, :5].astype(float), compute_uv=False)
    assert cosines.min() > 1 - 1e-6
    narrow.save(tmp_path / "narrow.bin")
    loaded = netscope.NystromSketch.load(tmp_path / "narrow.bin")
    assert loaded.dtype == np.float32 and loaded.count == 400
    np.testing.assert_array_equal(loaded.eigenpairs(10)[0], values32)
    assert_damaged_copies_refused(netscope.NystromSketch.load, tmp_path / "narrow.bin", tmp_path)
