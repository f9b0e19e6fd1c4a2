import networkx as nx
import numpy as np
import pytest
import scipy.optimize
import scipy.sparse
import scipy.sparse.csgraph
import scipy.sparse.linalg
import scipy.spatial.distance
import sklearn.metrics

import netscope
import netscope.core.knn
import netscope.core.layout


def brute_force_neighbours(X, k):
    distances = np.linalg.norm(X[:, None, :] - X[None, :, :], axis=2)
    np.fill_diagonal(distances, np.inf)
    order = np.argsort(distances, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(distances, order, axis=1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_knn_matches_brute_force(rng, dtype):
    X = rng.standard_normal((250, 6)).astype(dtype)
    indices, distances = netscope._core.exact_knn(X, 8)
    expected_indices, expected_distances = brute_force_neighbours(X.astype(float), 8)
    assert np.array_equal(indices, expected_indices)
    np.testing.assert_allclose(distances, expected_distances, rtol=1e-4 if dtype == np.float32 else 1e-10)


def test_approximate_knn_probing_every_cell_is_exact(rng):
    # With every cell noted by every point, the inverted-file search compares all pairs.
    X = rng.standard_normal((400, 6)).astype(np.float32)
    indices, distances = netscope._core.approximate_knn(X, 7, 9, 9, 3, 400, 0)
    expected_indices, expected_distances = brute_force_neighbours(X.astype(float), 7)
    assert np.array_equal(indices, expected_indices)
    np.testing.assert_allclose(distances, expected_distances, rtol=1e-4)


def graphs_on_one_and_two_threads(X, method, seed):
    """``knn_graph(X, 10)``'s directed graph computed on one core, then on two."""
    before = netscope.get_num_threads()
    graphs = []
    try:
        for threads in (1, 2):
            netscope.set_num_threads(threads)
            graphs.append(netscope.knn_graph(X, 10, symmetrize=False, method=method, seed=seed))
    finally:
        netscope.set_num_threads(before)
    return graphs


def test_knn_graph_approximate_finds_most_true_neighbours_whatever_the_threads(rng):
    centres = rng.standard_normal((12, 20)) * 6
    X = (centres[rng.integers(12, size=4000)] + rng.standard_normal((4000, 20))).astype(np.float32)
    one, two = graphs_on_one_and_two_threads(X, "approximate", 3)
    assert (one != two).nnz == 0
    found = one.indices.reshape(4000, 10)
    true = np.argpartition(scipy.spatial.distance.cdist(X, X) + np.diag(np.full(4000, np.inf)), 10, axis=1)[:, :10]
    recall = np.mean([len(np.intersect1d(a, b)) / 10 for a, b in zip(found, true)])
    assert recall > 0.9
    assert np.all(found != np.arange(4000)[:, None])


def recall_against_sklearn(graph, X, k) -> float:
    """The share of each point's k true neighbours (scikit-learn's exact search) that ``graph`` lists."""
    from sklearn.neighbors import NearestNeighbors

    true = NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(X, return_distance=False)[:, 1:]
    found = graph.indices.reshape(len(X), k)
    return float(np.mean([len(np.intersect1d(a, b)) / k for a, b in zip(found, true)]))


def test_refined_knn_repairs_the_inverted_file_on_isotropic_blobs_whatever_the_threads(rng):
    # Two overlapping isotropic Gaussian blobs in 10 dimensions: no clusters for the cells to file by.
    X = (rng.standard_normal((6000, 10)) + (np.arange(6000) % 2)[:, None] * 0.5).astype(np.float32)
    approximate = netscope.knn_graph(X, 10, symmetrize=False, method="approximate", seed=1)
    one, two = graphs_on_one_and_two_threads(X, "refined", 1)
    assert (one != two).nnz == 0
    assert recall_against_sklearn(approximate, X, 10) < 0.85
    assert recall_against_sklearn(one, X, 10) > 0.9
    assert np.all(one.indices.reshape(6000, 10) != np.arange(6000)[:, None])
    start = approximate.indices.reshape(6000, 10)
    indices, distances, updates = netscope._core.nn_descent(X, start, 16, 10, 12, 0, 0.001, 1)
    np.testing.assert_allclose(distances, np.linalg.norm(X[indices] - X[:, None], axis=2), rtol=1e-5)
    assert np.all(np.diff(distances, axis=1) >= 0) and updates[0] > updates[-1]


def test_knn_graph_auto_is_exact_for_small_sets_and_checks_its_recall_beyond(rng, monkeypatch):
    X = rng.standard_normal((300, 5))
    assert (netscope.knn_graph(X, 5) != netscope.knn_graph(X, 5, method="exact")).nnz == 0
    monkeypatch.setattr(netscope.core.knn, "EXACT_UP_TO", 100)
    # Clusters the inverted file files well: its graph, unrefined.
    centres = rng.standard_normal((12, 20)) * 6
    clustered = (centres[rng.integers(12, size=3000)] + rng.standard_normal((3000, 20))).astype(np.float32)
    auto = netscope.knn_graph(clustered, 10, symmetrize=False)
    assert (auto != netscope.knn_graph(clustered, 10, symmetrize=False, method="approximate")).nnz == 0
    # One isotropic cloud: the check finds the inverted file short and NN-descent refines it.
    isotropic = rng.standard_normal((6000, 10)).astype(np.float32)
    approximate = netscope.knn_graph(isotropic, 10, symmetrize=False, method="approximate")
    assert netscope.core.knn.sampled_recall(isotropic, approximate.indices.reshape(6000, 10), 0) < 0.9
    auto = netscope.knn_graph(isotropic, 10, symmetrize=False)
    assert (auto != netscope.knn_graph(isotropic, 10, symmetrize=False, method="refined")).nnz == 0


def test_sampled_recall_against_scikit_learn(rng):
    from sklearn.neighbors import NearestNeighbors

    X = rng.standard_normal((2000, 6)).astype(np.float32)
    true = NearestNeighbors(n_neighbors=9).fit(X).kneighbors(X, return_distance=False)[:, 1:]
    assert netscope.core.knn.sampled_recall(X, true, 0) == 1.0
    half = true.copy()
    half[:, 4:] = (np.arange(2000)[:, None] + 1000 + np.arange(4)) % 2000  # far from most points' true lists
    chosen = np.random.default_rng(0).choice(2000, size=200, replace=False)
    expected = np.mean([len(np.intersect1d(half[i], true[i])) / 8 for i in chosen])
    assert netscope.core.knn.sampled_recall(X, half, 0) == pytest.approx(expected)


def test_knn_graph_gaussian_weights(rng):
    X = rng.standard_normal((120, 4))
    directed = netscope.knn_graph(X, 10, symmetrize=False, weights="gaussian")
    assert np.all(np.diff(directed.indptr) == 10)
    graph = netscope.knn_graph(X, 10, weights="gaussian")
    assert isinstance(graph, scipy.sparse.csr_matrix)
    assert abs(graph - graph.T).max() == 0
    assert graph.diagonal().sum() == 0
    assert 0 < graph.data.min() and graph.data.max() <= 1
    # The kernel: w_ij = exp(-d² / (σ_i σ_j)), σ = distance to the 7th neighbour; union by maximum.
    indices, distances = brute_force_neighbours(X, 10)
    sigma = distances[:, 6]
    i, slot = 3, 4
    j = indices[i, slot]
    expected = np.exp(-(distances[i, slot] ** 2) / (sigma[i] * sigma[j]))
    assert directed[i, j] == pytest.approx(expected, rel=1e-10)
    assert graph[i, j] == pytest.approx(max(directed[i, j], directed[j, i]), rel=1e-12)


def test_knn_graph_fuzzy_weights_solve_umaps_equation(rng):
    # Reference: each row's bandwidth found by scipy's brentq on Σ_j exp(-(d_j - ρ) / σ) = log2(k).
    X = rng.standard_normal((90, 5))
    k = 8
    directed = netscope.knn_graph(X, k, symmetrize=False)
    indices, distances = brute_force_neighbours(X, k)
    for i in (0, 17, 55):
        excess = distances[i] - distances[i, 0]
        sigma = scipy.optimize.brentq(lambda s: np.exp(-excess / s).sum() - np.log2(k), 1e-8, 1e3, xtol=1e-14)
        np.testing.assert_allclose(directed[i, indices[i]].toarray().ravel(), np.exp(-excess / sigma), rtol=1e-4)
        assert directed[i, indices[i, 0]] == 1.0  # the nearest neighbour: full membership
    # Fuzzy union w + w' - w w', symmetric.
    graph = netscope.knn_graph(X, k)
    W = directed.toarray()
    np.testing.assert_allclose(graph.toarray(), W + W.T - W * W.T, atol=1e-15)
    with pytest.raises(ValueError, match="weights must be one of"):
        netscope.knn_graph(X, k, weights="cosine")


def test_knn_graph_mutual_is_the_intersection_and_isolates_no_point(rng):
    X = np.vstack([rng.standard_normal((80, 3)), [[6.0, 6.0, 6.0]]])  # point 80: nobody's neighbour
    directed_graph = netscope.knn_graph(X, 6, symmetrize=False)
    directed = directed_graph.toarray() > 0
    mutual = netscope.knn_graph(X, 6, symmetrize="mutual")
    union = netscope.knn_graph(X, 6)
    assert np.array_equal(union.toarray() > 0, directed | directed.T)
    # The intersection, plus for each point it would leave isolated the edge to its nearest.
    intersection = directed & directed.T
    isolated = np.flatnonzero(~intersection.any(axis=1))
    assert 80 in isolated
    expected = intersection.copy()
    distances = np.linalg.norm(X[:, None] - X[None], axis=2)
    np.fill_diagonal(distances, np.inf)
    for i in isolated:
        nearest = int(np.argmin(distances[i]))
        expected[i, nearest] = expected[nearest, i] = True
        assert mutual[i, nearest] == pytest.approx(directed_graph[i, nearest])
    assert np.array_equal(mutual.toarray() > 0, expected)
    W = directed_graph.toarray()
    np.testing.assert_array_equal(mutual.toarray()[intersection], np.minimum(W, W.T)[intersection])
    assert np.all(np.diff(mutual.indptr) > 0)
    with pytest.raises(ValueError, match="symmetrize"):
        netscope.knn_graph(X, 6, symmetrize="both")


def test_knn_graph_cosine_and_duplicates(rng):
    X = rng.standard_normal((50, 3))
    scaled = X * rng.uniform(1, 5, size=(50, 1))  # cosine ignores the norm of each row
    a = netscope.knn_graph(X, 5, metric="cosine")
    b = netscope.knn_graph(scaled, 5, metric="cosine")
    assert np.array_equal(a.indices, b.indices)
    duplicates = np.vstack([np.ones((6, 3)), rng.standard_normal((20, 3))])
    graph = netscope.knn_graph(duplicates, 3)
    assert np.all(np.isfinite(graph.data))
    assert graph[0, 1] == 1.0


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda X: netscope.knn_graph(X, 30), ValueError, "k must be <= 29"),
        (lambda X: netscope.knn_graph(X, 0), ValueError, "k must be >= 1"),
        (lambda X: netscope.knn_graph(X[:1], 1), ValueError, "at least 2 points"),
        (lambda X: netscope.knn_graph(np.where(X > 1.5, np.nan, X), 3), ValueError, "X holds NaN"),
        (lambda X: netscope.knn_graph(X, 3, metric="manhattan"), ValueError, "metric"),
        (lambda X: netscope.knn_graph(X, 3, method="fast"), ValueError, "method must be one of"),
        (lambda X: netscope.knn_graph(X, 3, seed=-1), ValueError, "seed must be >= 0"),
        (lambda X: netscope.knn_graph(np.zeros((4, 2)), 2, metric="cosine"), ValueError, "all-zero rows"),
        (lambda X: netscope.force_layout(np.triu(np.ones((4, 4)), 1)), ValueError, "symmetric"),
        (lambda X: netscope.force_layout(-np.ones((3, 3))), ValueError, "non-negative"),
        (
            lambda X: netscope.force_layout(np.ones((3, 3)), init=np.zeros((2, 2))),
            ValueError,
            r"init must have shape \(3, 2\)",
        ),
        (
            lambda X: netscope.force_layout(np.ones((3, 3)), method="fruchterman_reingold", theta=-1),
            ValueError,
            "theta",
        ),
        (
            lambda X: netscope.force_layout(np.ones((3, 3)), theta=0.5),
            ValueError,
            "belongs to method='fruchterman_reingold'",
        ),
        (
            lambda X: netscope.force_layout(np.ones((3, 3)), method="fruchterman_reingold", learning_rate=1),
            ValueError,
            "belongs to method='neighbor_embedding'",
        ),
        (lambda X: netscope.force_layout(np.ones((3, 3)), spread=1), ValueError, "takes"),
        (lambda X: netscope.force_layout(np.ones((3, 3)), method="tsne"), ValueError, "method must be one of"),
        (lambda X: netscope.force_layout(np.ones((3, 3)), learning_rate=0), ValueError, "learning_rate must be > 0"),
        (
            lambda X: netscope.force_layout(np.ones((3, 3)), negative_samples=-1),
            ValueError,
            "negative_samples must be >= 0",
        ),
        (lambda X: netscope.spectral_layout(np.ones((2, 3))), ValueError, "square"),
    ],
)
def test_bad_input(rng, call, error, match):
    with pytest.raises(error, match=match):
        call(rng.standard_normal((30, 4)))


def test_spectral_layout_of_a_ring_is_a_circle():
    # Every node of a ring has degree 2, so the eigenvectors of the normalised Laplacian are those
    # of the cycle: cos and sin of 2πj/n, the smallest non-trivial pair. The layout is a circle
    # traversed in order.
    n = 40
    positions = netscope.spectral_layout(nx.cycle_graph(n))
    radius = np.linalg.norm(positions - positions.mean(axis=0), axis=1)
    assert radius.std() / radius.mean() < 1e-6
    angles = np.unwrap(np.arctan2(positions[:, 1], positions[:, 0]))
    steps = np.diff(angles)
    assert np.allclose(np.abs(steps), 2 * np.pi / n, rtol=1e-5)
    assert np.all(np.sign(steps) == np.sign(steps[0]))


def test_spectral_layout_of_a_path_is_monotone():
    positions = netscope.spectral_layout(nx.path_graph(30), dim=1)
    steps = np.diff(positions[:, 0])
    assert np.all(steps > 0) or np.all(steps < 0)


def same_up_to_column_signs(a, b, tolerance=1e-6):
    """a and b (n, dim) agree once each column of b takes the sign that matches a's."""
    signs = np.sign(np.sum(a * b, axis=0))
    np.testing.assert_allclose(a, b * signs, atol=tolerance * np.abs(a).max())


def test_spectral_layout_lays_out_each_component_as_it_would_alone():
    graph = nx.disjoint_union(nx.path_graph(14), nx.path_graph(9))
    graph.add_node(23)  # isolated
    positions = netscope.spectral_layout(graph)
    assert positions.shape == (24, 2) and np.all(np.isfinite(positions))
    for members, alone in ((slice(0, 14), nx.path_graph(14)), (slice(14, 23), nx.path_graph(9))):
        part = positions[members] - positions[members].mean(axis=0)
        same_up_to_column_signs(part, netscope.spectral_layout(alone))


def test_spectral_layout_arpack_branch_matches_the_dense_solver(monkeypatch):
    # 700 nodes: above the dense limit, so ARPACK runs; with the limit raised, numpy's eigh. The
    # small-world graph keeps the eigengaps clear of ARPACK's tolerance (1e-6).
    graph = nx.connected_watts_strogatz_graph(700, 8, 0.1, seed=1)
    sparse = netscope.spectral_layout(graph)
    monkeypatch.setattr(netscope.core.layout, "DENSE_SPECTRAL_LIMIT", 10**6)
    same_up_to_column_signs(sparse, netscope.spectral_layout(graph), tolerance=1e-4)


def block_model(sizes, inside, between, seed):
    """A stochastic block model's symmetric CSR adjacency (weights 1): clusters joined loosely."""
    probabilities = np.full((len(sizes), len(sizes)), between) + (inside - between) * np.eye(len(sizes))
    graph = nx.stochastic_block_model(sizes, probabilities.tolist(), seed=seed)
    return scipy.sparse.csr_matrix(nx.to_scipy_sparse_array(graph, format="csr"), dtype=np.float64)


def test_leading_eigenvectors_converge_to_the_dense_solvers():
    # Three loosely joined clusters: the two leading non-trivial eigenvalues of S (0.94, 0.91)
    # stand clear of the rest (0.50 and below), so LOBPCG converges in a few dozen steps.
    W = block_model([300, 250, 200], 0.06, 0.0015, seed=0)
    scale = 1 / np.sqrt(np.asarray(W.sum(axis=1)).ravel())
    dense = np.linalg.eigh((scipy.sparse.diags(scale) @ W @ scipy.sparse.diags(scale)).toarray())[1]
    expected = dense[:, ::-1][:, 1:3]
    same_up_to_column_signs(expected, netscope.core.layout.leading_eigenvectors(W, scale, 2, 0, 1000), 1e-5)
    # Stopped after one step it is still far from them: the iteration does the work.
    one_step = netscope.core.layout.leading_eigenvectors(W, scale, 2, 0, 1)
    assert np.linalg.svd(expected.T @ one_step, compute_uv=False).min() < 0.9


def test_force_layout_starts_without_arpack_and_keeps_clusters_apart(monkeypatch):
    # The default start of a component above the dense limit comes from leading_eigenvectors:
    # ARPACK is not called, and the clusters of the start (and of the map) lie apart.
    def no_arpack(*args, **kwargs):
        raise AssertionError("ARPACK called")

    monkeypatch.setattr(scipy.sparse.linalg, "eigsh", no_arpack)
    W = block_model([300, 300, 300], 0.05, 0.001, seed=1)
    assert netscope.core.layout.connected_components(W)[0] == 1
    labels = np.repeat(np.arange(3), 300)
    start = netscope.core.layout._spectral_layout(W, 2, 0, np.zeros(900, dtype=np.int64), 20)
    positions = netscope.force_layout(W)
    for layout in (start, positions):
        assert sklearn.metrics.silhouette_score(layout, labels) > 0.5
    with pytest.raises(AssertionError, match="ARPACK"):
        netscope.spectral_layout(W)  # the exact eigenvectors still come from ARPACK


def test_as_csr_graph_reads_a_clean_graph_in_place_and_copies_to_fix_one():
    W = block_model([40, 30], 0.3, 0.02, seed=2)
    assert np.shares_memory(netscope.core.layout.as_csr_graph(W).data, W.data)
    looped = W.copy()
    looped.setdiag(1.0)
    fixed = netscope.core.layout.as_csr_graph(looped)
    assert (fixed != W).nnz == 0 and looped.diagonal().sum() == 70  # the caller's graph is untouched
    # One weight of a symmetric structure changed: asymmetric by weight, refused.
    tilted = W.copy()
    tilted.data[5] *= 1.5
    with pytest.raises(ValueError, match="symmetric"):
        netscope.core.layout.as_csr_graph(tilted)


@pytest.mark.parametrize("method", netscope.core.layout.METHODS)
def test_force_layout_separates_two_cliques_and_is_deterministic(method):
    graph = nx.disjoint_union(nx.complete_graph(15), nx.complete_graph(15))
    graph.add_edge(0, 15)
    a = netscope.force_layout(graph, method=method, seed=3)
    b = netscope.force_layout(graph, method=method, seed=3)
    assert np.array_equal(a, b)
    centroids = np.array([a[:15].mean(axis=0), a[15:].mean(axis=0)])
    spread = max(
        np.linalg.norm(a[:15] - centroids[0], axis=1).max(), np.linalg.norm(a[15:] - centroids[1], axis=1).max()
    )
    assert np.linalg.norm(centroids[0] - centroids[1]) > 2 * spread


def test_neighbor_embedding_attraction_matches_a_numpy_epoch():
    # Without negative samples there is no push, and every edge pulls at every epoch: y_i moves by
    # step · Σ_j 4 v_ij (y_j - y_i) / (1 + d²) (v: weight over the heaviest), all from the
    # positions at the epoch's start, with step = learning_rate (1 - epoch / n_iter).
    graph = nx.random_geometric_graph(40, 0.3, seed=4)
    W = nx.to_scipy_sparse_array(graph, format="csr", dtype=np.float64)
    W.data[:] = np.random.default_rng(6).uniform(0.2, 1.0, W.nnz)
    W = W.maximum(W.T).tocsr()
    rng = np.random.default_rng(5)
    init = rng.uniform(-12, 12, size=(40, 2)).astype(np.float32).astype(np.float64)
    positions = init.copy()
    rows, cols = W.nonzero()
    weights = np.asarray(W[rows, cols]).ravel() / W.max()
    for epoch in range(3):
        offsets = positions[rows] - positions[cols]
        pull = -4.0 * weights / (1.0 + (offsets**2).sum(axis=1))
        moves = np.zeros_like(positions)
        np.add.at(moves, rows, pull[:, None] * offsets)
        positions = positions + 0.7 * (1 - epoch / 3) * moves
    result = netscope.force_layout(W, init, n_iter=3, learning_rate=0.7, negative_samples=0)
    # The seeded nudge of 1e-4 of the extent is the only difference.
    np.testing.assert_allclose(result, positions, rtol=0, atol=1e-3 * np.abs(positions).max())


def test_force_layout_packs_components_so_none_crushes_the_map():
    # One big component and several tiny ones (pairs and lone points): each keeps its shape, no
    # two overlap, and the big one fills a fair share of the picture's width and height.
    big = nx.connected_watts_strogatz_graph(300, 10, 0.05, seed=1)
    graph = nx.disjoint_union_all([big] + [nx.path_graph(2)] * 4 + [nx.empty_graph(1)] * 3)
    positions = netscope.force_layout(graph)
    labels = np.repeat(np.arange(8), [300, 2, 2, 2, 2, 1, 1, 1])
    boxes = np.array([[*positions[labels == c].min(axis=0), *positions[labels == c].max(axis=0)] for c in range(8)])
    for a in range(8):
        for b in range(a + 1, 8):
            apart = (
                boxes[a, 2] < boxes[b, 0]
                or boxes[b, 2] < boxes[a, 0]
                or boxes[a, 3] < boxes[b, 1]
                or boxes[b, 3] < boxes[a, 1]
            )
            assert apart, (a, b)
    span = positions.max(axis=0) - positions.min(axis=0)
    big_span = boxes[0, 2:] - boxes[0, :2]
    assert np.all(big_span > 0.5 * span)
    # Packing moves whole components: within each, the layout is the unpacked one shifted.
    n_components, components = scipy.sparse.csgraph.connected_components(nx.to_scipy_sparse_array(graph))
    unpacked = positions.copy()
    packed = netscope.core.layout.pack_components(unpacked, components)
    for c in range(n_components):
        shift = packed[components == c] - unpacked[components == c]
        assert np.allclose(shift, shift[0])


def test_force_layout_exact_and_barnes_hut_take_the_same_first_steps():
    graph = nx.random_geometric_graph(80, 0.25, seed=1)
    init = netscope.spectral_layout(graph)
    exact = netscope.force_layout(graph, init, method="fruchterman_reingold", n_iter=2, theta=0.0)
    approximate = netscope.force_layout(graph, init, method="fruchterman_reingold", n_iter=2, theta=0.3)
    # One step is the force itself; Barnes–Hut at θ = 0.3 must match it to 1 % of the layout size.
    assert np.max(np.abs(exact - approximate)) < 0.01 * np.max(np.abs(exact))


@pytest.mark.parametrize("method", netscope.core.layout.METHODS)
def test_force_layout_does_not_depend_on_threads(method):
    graph = nx.random_geometric_graph(3000, 0.03, seed=2)
    before = netscope.get_num_threads()
    try:
        netscope.set_num_threads(1)
        one = netscope.force_layout(graph, method=method, n_iter=30)
        netscope.set_num_threads(2)
        two = netscope.force_layout(graph, method=method, n_iter=30)
    finally:
        netscope.set_num_threads(before)
    assert np.array_equal(one, two)
