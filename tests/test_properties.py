"""Property tests (hypothesis) of the core against numpy on random inputs, and of its input checks:
any bad array gives a clear Python error, never a crash."""

import numpy as np
import pytest
import scipy.sparse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import netscope

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
finite = st.floats(-10, 10, allow_nan=False, allow_infinity=False, width=64)


@st.composite
def row_splits(draw, max_rows=24, max_dim=9):
    """(rows (n, d) float64, cut points into 1..4 chunks, a merge order of the chunks)."""
    n = draw(st.integers(2, max_rows))
    d = draw(st.integers(1, max_dim))
    rows = draw(arrays(np.float64, (n, d), elements=finite))
    cuts = sorted(draw(st.sets(st.integers(1, n - 1), max_size=3)))
    order = draw(st.permutations(range(len(cuts) + 1)))
    return rows, cuts, order


@SETTINGS
@given(row_splits(), st.sampled_from(["gram", "sketch"]))
def test_any_split_and_merge_order_gives_the_same_state(tmp_path_factory, case, kind):
    rows, cuts, order = case
    d = rows.shape[1]
    new = (lambda: netscope.GramAccumulator(d)) if kind == "gram" else (lambda: netscope.NystromSketch(d, d, seed=3))
    state = (lambda a: a.matrix()) if kind == "gram" else (lambda a: a.eigenpairs(1)[0])
    whole = new().update(rows)
    parts = [new().update(chunk) for chunk in np.split(rows, cuts)]
    merged = parts[order[0]]
    for index in order[1:]:
        merged.merge(parts[index])
    assert merged.count == len(rows)
    scale = max(1.0, float(np.abs(rows).max()) ** 2)
    np.testing.assert_allclose(state(merged), state(whole), rtol=1e-9, atol=1e-9 * scale)
    path = tmp_path_factory.mktemp("state") / "state.bin"
    merged.save(path)
    loaded = type(merged).load(path)
    assert loaded.count == merged.count
    np.testing.assert_array_equal(state(loaded), state(merged))  # bit for bit


@st.composite
def psd_matrices(draw):
    """A symmetric PSD matrix with a clear gap after its top k eigenvalues, and that k."""
    n = draw(st.integers(3, 40))
    k = draw(st.integers(1, min(8, n - 1)))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    values = np.concatenate([rng.uniform(2.0, 10.0, k), rng.uniform(0.0, 0.5, n - k)])
    return (q * values) @ q.T, k


@SETTINGS
@given(psd_matrices())
def test_eigh_top_matches_numpy(case):
    C, k = case
    values, vectors = netscope.eigh_top(C, k)
    expected_values, expected_vectors = np.linalg.eigh(C)
    np.testing.assert_allclose(values, expected_values[::-1][:k], rtol=1e-6, atol=1e-9)
    overlap = np.abs(vectors.T @ expected_vectors[:, ::-1][:, :k])
    np.testing.assert_allclose(np.linalg.svd(overlap, compute_uv=False), 1.0, atol=1e-5)


@st.composite
def rectangular(draw):
    m, n = draw(st.integers(2, 30)), draw(st.integers(2, 30))
    k = draw(st.integers(1, min(6, m, n) - 1 if min(m, n) > 1 else 1))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    u, _ = np.linalg.qr(rng.standard_normal((m, min(m, n))))
    v, _ = np.linalg.qr(rng.standard_normal((n, min(m, n))))
    s = np.concatenate([rng.uniform(2.0, 10.0, k), rng.uniform(0.0, 0.5, min(m, n) - k)])
    return (u * s) @ v.T, k


@SETTINGS
@given(rectangular())
def test_randomized_svd_matches_numpy(case):
    A, k = case
    U, s, Vt = netscope.randomized_svd(A, k)
    np.testing.assert_allclose(s, np.linalg.svd(A, compute_uv=False)[:k], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(Vt, (U.T @ A) / s[:, None], atol=1e-6)  # the triplets belong together
    np.testing.assert_allclose(U.T @ U, np.eye(k), atol=1e-8)


@st.composite
def point_clouds(draw):
    """Points with repeated rows (exact duplicates make ties), and a k below their number."""
    n = draw(st.integers(3, 40))
    d = draw(st.integers(1, 5))
    base = draw(arrays(np.float64, (n, d), elements=st.floats(-5, 5, allow_nan=False, width=32)))
    repeats = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=5))
    for source, target in repeats:
        base[target] = base[source]
    return base, draw(st.integers(1, n - 1))


@SETTINGS
@given(point_clouds())
def test_knn_graph_finds_the_true_nearest_distances(case):
    X, k = case
    graph = netscope.knn_graph(X, k, symmetrize=False).tocsr()
    distances = np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=2))
    np.fill_diagonal(distances, np.inf)
    for i in range(len(X)):
        neighbours = graph.indices[graph.indptr[i] : graph.indptr[i + 1]]
        # Zero-weight edges are dropped by the sparse format: compare what is kept against the
        # k nearest distances (ties, duplicates included, may pick any of the equals).
        assert len(neighbours) <= k and i not in neighbours
        nearest = np.sort(distances[i])[:k]
        np.testing.assert_allclose(np.sort(distances[i, neighbours]), nearest[: len(neighbours)], rtol=1e-5, atol=1e-5)


@st.composite
def graphs(draw):
    """Random weighted undirected graphs, disconnected ones and isolated nodes included."""
    n = draw(st.integers(2, 60))
    edges = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.floats(0.0625, 5.0, width=32)), max_size=3 * n
        )
    )
    rows = [a for a, b, _ in edges if a != b]
    cols = [b for a, b, _ in edges if a != b]
    weights = [w for a, b, w in edges if a != b]
    matrix = scipy.sparse.coo_matrix((weights, (rows, cols)), shape=(n, n)).tocsr()
    return matrix.maximum(matrix.T), draw(st.integers(0, 2**31 - 1))


@SETTINGS
@given(graphs())
def test_force_layout_is_finite_and_deterministic_for_a_seed(case):
    graph, seed = case
    first = netscope.force_layout(graph, n_iter=30, seed=seed)
    again = netscope.force_layout(graph, n_iter=30, seed=seed)
    assert first.shape == (graph.shape[0], 2) and np.all(np.isfinite(first))
    np.testing.assert_array_equal(first, again)


def bad_arrays():
    """Arrays a user might pass by mistake, each with the error it must give."""
    good = np.random.default_rng(0).standard_normal((6, 4))
    nan, inf = good.copy(), good.copy()
    nan[2, 1], inf[3, 0] = np.nan, np.inf
    return [
        (nan, ValueError, "NaN or inf"),
        (inf, ValueError, "NaN or inf"),
        (np.empty((0, 4)), ValueError, "empty"),
        (np.ones(4), ValueError, "2-D"),
        (np.array([["a"] * 4] * 6), TypeError, "real numbers"),
        (np.ones((6, 4), dtype=complex), TypeError, "real numbers"),
    ]


@pytest.mark.parametrize("array, error, match", bad_arrays())
@pytest.mark.parametrize("entry", ["gram", "sketch", "rsvd", "eigh", "knn"])
def test_every_entry_point_refuses_bad_arrays_clearly(entry, array, error, match):
    calls = {
        "gram": lambda a: netscope.GramAccumulator(4).update(a),
        "sketch": lambda a: netscope.NystromSketch(4, 2).update(a),
        "rsvd": lambda a: netscope.randomized_svd(a, 1),
        "eigh": lambda a: netscope.eigh_top(a, 1),
        "knn": lambda a: netscope.knn_graph(a, 2),
    }
    if entry == "eigh" and match == "NaN or inf":
        array = array[:4]  # square, to reach the finiteness check
    with pytest.raises(error, match=match if entry != "eigh" or match != "2-D" else "2-D|square"):
        calls[entry](array)


def test_non_contiguous_and_mismatched_inputs_are_read_or_refused():
    rng = np.random.default_rng(1)
    G = rng.standard_normal((10, 12))[:, ::2]  # a strided view: read correctly, not refused
    np.testing.assert_allclose(netscope.GramAccumulator(6).update(G).matrix(), G.T @ G / 10, rtol=1e-12)
    with pytest.raises(ValueError, match=r"G must have shape \(n, 5\)"):
        netscope.GramAccumulator(5).update(G)
    with pytest.raises(ValueError, match="square"):
        netscope.eigh_top(rng.standard_normal((4, 5)), 1)
    with pytest.raises(ValueError, match="k must be <= 4"):
        netscope.knn_graph(rng.standard_normal((5, 2)), 5)
    with pytest.raises(ValueError, match="init"):
        netscope.force_layout(
            scipy.sparse.eye(5, format="csr") * 0 + scipy.sparse.csr_matrix(np.ones((5, 5))), np.ones((4, 2))
        )
