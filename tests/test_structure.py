import json
from types import SimpleNamespace

import networkx as nx
import numpy as np
import pytest
import torch
from scipy.spatial.distance import cdist
from sklearn.metrics import silhouette_score

from conftest import assert_drawn
from netscope import ActivationTracker, StructureMap, force_layout, knn_graph
from netscope.nn.activations import Snapshot, default_hidden_layers
from netscope.structure.fidelity import fidelity, stability
from netscope.structure.maps import procrustes_align
from netscope.structure.metrics import class_separation, knn_preservation
from netscope.structure.neuron_sample import neuron_sample_graph
from netscope.studies.models import mlp_from_sizes


@pytest.fixture
def small_model():
    torch.manual_seed(0)
    return mlp_from_sizes([5, 8, 6, 3], "relu")


@pytest.fixture
def probe():
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(40, 5, generator=generator)
    return x, np.arange(40) % 3


def test_tracker_records_hidden_outputs_and_leaves_the_model_alone(small_model, probe):
    x, labels = probe
    model = small_model
    model.train()
    model.layer2.eval()  # a mixed state must come back as it was
    for p in model.parameters():
        p.grad = torch.full_like(p, 0.5)
    before = [p.detach().clone() for p in model.parameters()]
    tracker = ActivationTracker(model, (x, labels))
    assert tracker.layers == default_hidden_layers(model) == ["act1", "act2"]
    record = tracker.snapshot()
    with torch.no_grad():
        expected = torch.relu(model.layer1(x))
    np.testing.assert_allclose(record.activations["act1"], expected.double().numpy(), rtol=1e-6)
    assert model.training and not model.layer2.training and model.layer1.training
    for p, old in zip(model.parameters(), before):
        assert torch.equal(p, old)
        assert torch.equal(p.grad, torch.full_like(p, 0.5))


def test_a_snapshot_is_a_typed_record_and_its_dict_form_still_reads_with_a_warning(small_model, probe):
    x, labels = probe
    tracker = ActivationTracker(small_model, (x, labels))
    record = tracker.snapshot(label="start")
    assert isinstance(record, Snapshot) and tracker.snapshots == [record]
    assert record.label == "start" and record.epoch is None and record.step is None
    assert set(record.activations) == set(record.sensitivity) == {"act1", "act2"}
    assert record.activations["act2"].dtype == np.float32 and record.sensitivity["act2"].dtype == np.float64
    assert record.predictions.shape == (40,) and record.predictions.dtype == np.int64
    with pytest.warns(DeprecationWarning, match=r"snapshot\['activations'\] is deprecated"):
        assert record["activations"] is record.activations
    with pytest.warns(DeprecationWarning):
        assert record.get("predictions") is record.predictions
    assert record.get("no such key", 3) == 3
    with pytest.raises(KeyError):
        record["no such key"]
    # A tracker-like object whose snapshots are the dicts of before still maps, with a warning.
    old_form = SimpleNamespace(
        layers=tracker.layers,
        labels=tracker.labels,
        snapshots=[{key: getattr(record, key) for key in ("label", "activations", "sensitivity", "predictions")}],
    )
    with pytest.warns(DeprecationWarning, match="snapshots as dicts are deprecated"):
        old = StructureMap(k=5, neuron_samples=0).fit(old_form)
    new = StructureMap(k=5, neuron_samples=0).fit(tracker)
    assert old.snapshot_labels_ == new.snapshot_labels_ == ["start"]
    np.testing.assert_array_equal(old.positions_["act2"][0], new.positions_["act2"][0])


def test_sensitivity_is_the_per_sample_gradient_norm(small_model, probe):
    x, labels = probe
    tracker = ActivationTracker(small_model, (x, labels), loss_fn=torch.nn.functional.cross_entropy)
    record = tracker.snapshot()
    i = 7
    hidden = torch.relu(small_model.layer1(x[i : i + 1])).detach().requires_grad_(True)
    rest = small_model.layer3(torch.relu(small_model.layer2(hidden)))
    loss = torch.nn.functional.cross_entropy(rest, torch.as_tensor(labels[i : i + 1]))
    (gradient,) = torch.autograd.grad(loss, hidden)
    assert record.sensitivity["act1"][i] == pytest.approx(float(gradient.norm()), rel=1e-5)


def test_procrustes_recovers_a_similarity_transform(rng):
    points = rng.standard_normal((30, 2))
    angle = 1.1
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    moved = 3.0 * points @ rotation.T + np.array([5.0, -2.0])
    np.testing.assert_allclose(procrustes_align(moved, points), points, atol=1e-10)


def test_class_separation_against_sklearn(rng):
    X = np.vstack([rng.normal(0, 1, (20, 3)), rng.normal(4, 1, (25, 3))])
    labels = np.repeat([0, 1], [20, 25])
    result = class_separation(X, labels)
    # Distances come from |x|² + |y|² - 2x·y here, so they agree with sklearn to rounding of that form.
    assert result.silhouette == pytest.approx(silhouette_score(X, labels), rel=1e-8)
    distances = np.linalg.norm(X[:, None] - X[None], axis=2)
    same = labels[:, None] == labels[None]
    assert result.intra == pytest.approx(distances[same & ~np.eye(45, dtype=bool)].mean())
    assert result.inter == pytest.approx(distances[~same].mean())
    assert result.ratio == pytest.approx(result.inter / result.intra) and result.ratio > 2


def test_knn_preservation_of_the_points_themselves_is_one(rng):
    points = rng.standard_normal((60, 2))
    assert knn_preservation(knn_graph(points, 5, symmetrize=False), points) == pytest.approx(1.0)
    shuffled = rng.permutation(points)
    assert knn_preservation(knn_graph(points, 5, symmetrize=False), shuffled) < 0.3


def separation_by_hand(X, labels):
    """Mean intra- and inter-class distances from scipy's distances between the classes, one
    block at a time, and sklearn's silhouette."""
    classes = np.unique(labels)
    sums = np.array([[cdist(X[labels == a], X[labels == b]).sum() for b in classes] for a in classes])
    sizes = np.array([(labels == c).sum() for c in classes])
    pairs = np.outer(sizes, sizes) - np.diag(sizes)
    within = np.eye(len(classes), dtype=bool)
    return (
        sums[within].sum() / pairs[within].sum(),
        sums[~within].sum() / pairs[~within].sum(),
        silhouette_score(X, labels),
    )


def test_subsampled_class_separation_estimates_the_exact_one(rng):
    # 6 000 points in classes of 4 000 down to 2: the subsample of 1 000 keeps the three small
    # classes whole (50 points) and 316 or 317 of each large one, and weighs them back.
    sizes = [4000, 1500, 450, 40, 8, 2]
    centres = 1.5 * rng.standard_normal((len(sizes), 5))
    X = np.vstack([rng.normal(c, 1 + 0.3 * i, (size, 5)) for i, (c, size) in enumerate(zip(centres, sizes))])
    labels = np.repeat(np.arange(len(sizes)), sizes)
    order = rng.permutation(len(X))
    X, labels = X[order], labels[order]
    intra, inter, silhouette = separation_by_hand(X, labels)
    exact = {"intra": intra, "inter": inter, "ratio": inter / intra, "silhouette": silhouette}
    runs = [class_separation(X, labels, max_points=1000, seed=seed) for seed in range(20)]
    assert all(run.n_points == 1000 for run in runs)
    for name, value in exact.items():
        estimates = np.array([getattr(run, name) for run in runs])
        spread = estimates.std(ddof=1)
        # Over 100 seeds the spread is 0.8 % (inter) to 1.6 % (silhouette) of the value, each
        # estimate stays within 2.8 spreads of it, and their mean within 0.8 standard errors:
        # unweighted class pairs or sizes, or a plain subsample, miss it by far more.
        assert spread < 0.03 * abs(value), name
        assert abs(estimates.mean() - value) < 4 * spread / np.sqrt(len(runs)), name
        assert np.abs(estimates - value).max() < 5 * spread, name
    small = class_separation(X[:1500], labels[:1500], max_points=1500)  # at the limit: exact
    assert small.n_points == 1500
    assert small.silhouette == pytest.approx(silhouette_score(X[:1500], labels[:1500]), rel=1e-8)


def test_knn_preservation_against_brute_force(rng):
    n = 300
    points = rng.standard_normal((n, 3)) * [1.0, 1.0, 0.3]
    positions = points[:, :2] + 0.1 * rng.standard_normal((n, 2))
    # A kNN graph (degrees 6 to about 15) with a hub linked to a third of the points on top.
    graph = knn_graph(points, 6).tolil()
    graph[0, 1:100] = graph[1:100, 0] = 1.0
    graph = graph.tocsr()
    distances = np.linalg.norm(positions[:, None] - positions[None], axis=2)
    np.fill_diagonal(distances, np.inf)
    shares = []
    for i in range(n):
        neighbours = graph.indices[graph.indptr[i] : graph.indptr[i + 1]]
        nearest = np.argsort(distances[i])[: len(neighbours)]
        shares.append(len(set(neighbours) & set(nearest)) / len(neighbours))
    assert 0.2 < np.mean(shares) < 0.8  # neither all nor none kept
    assert knn_preservation(graph, positions) == pytest.approx(np.mean(shares), abs=1e-12)


def test_class_separation_bad_input_names_the_argument(rng):
    X, labels = rng.standard_normal((30, 3)), np.arange(30) % 3
    with pytest.raises(ValueError, match="max_points must be >= 2, got 1"):
        class_separation(X, labels, max_points=1)
    with pytest.raises(TypeError, match="max_points must be an integer"):
        class_separation(X, labels, max_points=20.0)
    with pytest.raises(ValueError, match="max_points must be >= 6 to keep two points of each of the 3 classes"):
        class_separation(X, labels, max_points=5)
    with pytest.raises(ValueError, match="one label per row"):
        class_separation(X, labels[:-1])


def test_each_snapshot_starts_from_the_last_map_aligned_to_it(small_model, probe, tmp_path):
    x, labels = probe
    tracker = ActivationTracker(small_model, (x, labels))
    tracker.snapshot(label="start")
    tracker.snapshot(label="again")  # the same activations
    # With no warm iterations, snapshot 2 is snapshot 1's map (warm start), aligned onto it
    # (Procrustes): the same positions, but for the layout's 1e-3 start nudge that gives
    # coincident points a direction. A map of the same graph from another start is not.
    maps = StructureMap(k=5, n_iter=50, n_iter_warm=0).fit(tracker)
    assert maps.snapshot_labels_ == ["start", "again"]
    before, after = maps.positions_["act2"]
    np.testing.assert_allclose(after, before, atol=1e-3 * np.abs(before).max())
    graph = maps.graphs_["act2"][1]
    fresh = procrustes_align(force_layout(graph, np.random.default_rng(7).standard_normal((40, 2)), n_iter=50), before)
    assert np.abs(fresh - before).max() > 0.1 * np.abs(before).max()
    metrics = maps.metrics_["act1"][0]
    activations = tracker.snapshots[0].activations["act1"]
    assert metrics.activation == class_separation(activations, labels)
    assert metrics.layout == class_separation(maps.positions_["act1"][0], labels)
    assert metrics.to_dict()["activation"]["ratio"] == metrics.activation.ratio
    assert metrics.fidelity == fidelity(activations, maps.positions_["act1"][0], 5)
    assert metrics.stability is None  # the first snapshot has no previous map
    assert maps.metrics_["act1"][1].stability == stability(maps.positions_["act1"][0], maps.positions_["act1"][1], 5)
    graph = maps.to_networkx("act1")
    assert graph.number_of_nodes() == 40 and graph.nodes[3]["label"] == 0
    assert graph.nodes[3]["x"] == maps.positions_["act1"][-1][3, 0]
    maps.write_graphml(tmp_path / "map.graphml", "act2", 0)
    assert nx.read_graphml(tmp_path / "map.graphml").number_of_nodes() == 40
    with pytest.raises(ValueError, match="layer must be one of"):
        maps.to_networkx("layer9")
    with pytest.raises(ValueError, match="snapshot must be <= 1"):
        maps.to_networkx("act1", 2)
    # TensorBoard's projector: the activations as tensors, the map and labels as metadata.
    folder = maps.write_projector(tmp_path / "projector", "act1", 0, tensors=activations)
    np.testing.assert_allclose(np.loadtxt(folder / "tensors.tsv", delimiter="\t"), activations, rtol=1e-6)
    metadata = (folder / "metadata.tsv").read_text().splitlines()
    assert metadata[0] == "label\tsensitivity\tx\ty" and len(metadata) == 41
    columns = np.loadtxt(folder / "metadata.tsv", delimiter="\t", skiprows=1)
    assert np.array_equal(columns[:, 0], labels)
    np.testing.assert_allclose(columns[:, 2:], maps.positions_["act1"][0], rtol=1e-6)
    assert 'tensor_name: "act1 at start"' in (folder / "projector_config.pbtxt").read_text()
    default = maps.write_projector(tmp_path / "map_only", "act2")
    np.testing.assert_allclose(
        np.loadtxt(default / "tensors.tsv", delimiter="\t"), maps.positions_["act2"][-1], rtol=1e-6
    )
    with pytest.raises(ValueError, match=r"tensors must have one row per mapped point, shape \(40, d\)"):
        maps.write_projector(tmp_path / "bad", "act1", tensors=activations[:5])


def test_neuron_sample_graph_is_bipartite_with_top_links(rng):
    activations = rng.random((12, 5))
    graph = neuron_sample_graph(activations, top=2)
    assert graph.shape == (17, 17)
    assert abs(graph - graph.T).max() == 0
    assert graph[:12, :12].nnz == 0 and graph[12:, 12:].nnz == 0
    for i in range(12):
        linked = set(graph[i].indices - 12)
        assert linked == set(np.argsort(-activations[i])[:2])


def test_bad_input(small_model, probe):
    x, labels = probe
    with pytest.raises(ValueError, match=r"data: inputs hold \[40\] examples .* but targets hold 39"):
        ActivationTracker(small_model, (x, labels[:-1]))
    with pytest.raises(ValueError, match=r"labels must be 1-D with one entry per probe example \(40\)"):
        ActivationTracker(small_model, x, labels=np.zeros((40, 2)))
    with pytest.raises(ValueError, match=r"labels must be 1-D with one entry per probe example \(40\)"):
        ActivationTracker(small_model, x, labels=labels[:-1])
    with pytest.raises(ValueError, match="labels holds NaN or inf"):  # the same check as StructureMap's
        ActivationTracker(small_model, x, labels=np.full(40, np.nan))
    assert ActivationTracker(small_model, (x, np.zeros((40, 2)))).labels is None  # token-like targets colour nothing
    with pytest.raises(ValueError, match="pool must be one of"):
        ActivationTracker(small_model, x, pool="max")
    with pytest.raises(ValueError, match="data holds no targets, but loss_fn .* needs them"):
        ActivationTracker(small_model, x, loss_fn=torch.nn.functional.cross_entropy)
    with pytest.raises(ValueError, match="layers must name modules"):
        ActivationTracker(small_model, (x, labels), layers=["nope"])
    with pytest.raises(ValueError, match="no snapshots"):
        StructureMap().fit(ActivationTracker(small_model, (x, labels)))
    with pytest.raises(ValueError, match="method must be one of"):
        StructureMap(method="umap")
    with pytest.raises(ValueError, match="top must be <= 5"):
        neuron_sample_graph(np.ones((3, 5)), top=6)


def test_cli_structure_writes_figures_animation_and_metrics(tmp_path):
    from netscope.cli import main

    assert main(["structure", "--out", str(tmp_path), "--epochs", "2", "--k", "8"]) == 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["snapshots"] == [0, 1, 2]
    assert set(metrics["layers"]) == {"act1", "act2", "act3"}
    for name in ("small_multiples.png", "sensitivity.png", "metrics.png", "neuron_sample.png"):
        assert_drawn(tmp_path / name)
    from PIL import Image

    assert Image.open(tmp_path / "animation_act1.gif").n_frames >= 3  # at least one frame per snapshot
    assert (tmp_path / "projector_act3" / "tensors.tsv").exists()
    graph = nx.read_graphml(tmp_path / "map_act3.graphml")
    assert graph.number_of_nodes() == metrics["dataset"]["probe"] == 360


def test_cli_structure_compare_draws_umap_and_tsne_beside_netscope(tmp_path, capsys):
    from netscope.cli import main

    assert main(["structure", "--out", str(tmp_path), "--epochs", "1", "--compare", "umap,tsne"]) == 0
    assert_drawn(tmp_path / "compare.png")
    compared = json.loads((tmp_path / "metrics.json").read_text())["compare"]
    assert set(compared) == {"act1", "act2", "act3"}
    for runs in compared.values():
        assert [run["method"] for run in runs] == ["netscope", "umap", "tsne"]
        for run in runs:
            assert run["seconds"] > 0 and 0.8 < run["trustworthiness"] <= 1 and 0 < run["knn_preservation"] <= 1
    assert "umap" in capsys.readouterr().out


def test_compare_refuses_unknown_and_missing_methods(tmp_path, monkeypatch, capsys):
    from netscope.cli import main
    from netscope.structure import compare

    with pytest.raises(ValueError, match=r"unknown reference method\(s\) \['pca'\]"):
        compare.compare_maps(np.zeros((10, 2)), ["pca"])
    assert main(["structure", "--out", str(tmp_path), "--compare", "umap,pca"]) == 2
    assert "--compare: unknown reference method(s) ['pca']" in capsys.readouterr().err
    real_find_spec = compare.importlib.util.find_spec
    monkeypatch.setattr(
        compare.importlib.util, "find_spec", lambda name: None if name == "openTSNE" else real_find_spec(name)
    )
    with pytest.raises(ValueError, match=r"comparing needs openTSNE: pip install \"netscope\[compare\]\""):
        compare.check_references(["umap", "tsne"])
