import json

import networkx as nx
import numpy as np
import pytest
import torch
from sklearn.metrics import silhouette_score

from conftest import assert_drawn
from netscope import ActivationTracker, StructureMap, force_layout, knn_graph
from netscope.nn.activations import default_hidden_layers
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
    np.testing.assert_allclose(record["activations"]["act1"], expected.double().numpy(), rtol=1e-6)
    assert model.training and not model.layer2.training and model.layer1.training
    for p, old in zip(model.parameters(), before):
        assert torch.equal(p, old)
        assert torch.equal(p.grad, torch.full_like(p, 0.5))


def test_sensitivity_is_the_per_sample_gradient_norm(small_model, probe):
    x, labels = probe
    tracker = ActivationTracker(small_model, (x, labels), loss_fn=torch.nn.functional.cross_entropy)
    record = tracker.snapshot()
    i = 7
    hidden = torch.relu(small_model.layer1(x[i:i + 1])).detach().requires_grad_(True)
    rest = small_model.layer3(torch.relu(small_model.layer2(hidden)))
    loss = torch.nn.functional.cross_entropy(rest, torch.as_tensor(labels[i:i + 1]))
    (gradient,) = torch.autograd.grad(loss, hidden)
    assert record["sensitivity"]["act1"][i] == pytest.approx(float(gradient.norm()), rel=1e-5)


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
    activations = tracker.snapshots[0]["activations"]["act1"]
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
    np.testing.assert_allclose(np.loadtxt(default / "tensors.tsv", delimiter="\t"), maps.positions_["act2"][-1], rtol=1e-6)
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
    with pytest.raises(ValueError, match="labels must be 1-D"):
        ActivationTracker(small_model, (x, np.zeros((40, 2))))
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
    monkeypatch.setattr(compare.importlib.util, "find_spec",
                        lambda name: None if name == "openTSNE" else real_find_spec(name))
    with pytest.raises(ValueError, match=r"comparing needs openTSNE: pip install \"netscope\[compare\]\""):
        compare.check_references(["umap", "tsne"])
