"""StructureMap on plain arrays, without labels or with class names, saved and reopened, cloned,
and shown in a notebook — against sklearn's measures, hand-made files and the tracker's path."""

import dataclasses
import html
import json
import re

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.manifold import trustworthiness
from sklearn.metrics import silhouette_score
from sklearn.neighbors import NearestNeighbors

import netscope
from netscope import ActivationTracker, StructureMap
from netscope.plotting import structure as plots
from netscope.structure import maps as maps_module
from netscope.structure.metrics import class_separation
from netscope.structure.storage import FORMAT_VERSION
from netscope.studies.models import mlp_from_sizes
from netscope.viewer.page import page_html
from test_page import decoded


def blobs(rng, n_per_class=60, centres=4, dim=10, spread=0.3, gap=6.0):
    """Gaussian blobs in ``dim`` dimensions whose centres lie ``gap`` apart on the axes."""
    X = np.vstack([rng.normal(0, spread, (n_per_class, dim)) + gap * np.eye(dim)[c] for c in range(centres)])
    return X, np.repeat(np.arange(centres), n_per_class)


def knn_kept(X, Y, k):
    """Mean share of each point's k nearest in X that are among its k nearest in Y (sklearn)."""
    near = [NearestNeighbors(n_neighbors=k + 1).fit(Z).kneighbors(Z, return_distance=False)[:, 1:] for Z in (X, Y)]
    return np.mean([len(set(a) & set(b)) / k for a, b in zip(*near)])


def page_data(text: str) -> dict:
    return json.loads(
        re.search(r'<script type="application/json" id="netscope-data">(.*?)</script>', text, re.S).group(1)
    )


@pytest.fixture
def recorded():
    """A tracker with two snapshots of a small MLP (one training step apart) on 40 points of 3
    classes: its layers' activations, sensitivities and predictions."""
    torch.manual_seed(0)
    model = mlp_from_sizes([5, 8, 6, 3], "relu")
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(40, 5, generator=generator)
    labels = np.arange(40) % 3
    tracker = ActivationTracker(model, (x, labels), loss_fn=torch.nn.functional.cross_entropy)
    tracker.snapshot(label="before")
    optimiser = torch.optim.SGD(model.parameters(), lr=0.5)
    torch.nn.functional.cross_entropy(model(x), torch.as_tensor(labels)).backward()
    optimiser.step()
    tracker.snapshot(label="after")
    return tracker


def arrays_of(tracker, key):
    return {layer: [getattr(s, key)[layer] for s in tracker.snapshots] for layer in tracker.layers}


def assert_same_maps(a, b, *, measured_since=()):
    """``a`` and ``b`` hold the same maps, bit for bit; metrics fields named in ``measured_since``
    are compared only where ``a`` has them (a map saved before they were measured holds None)."""
    assert a.layers_ == b.layers_ and a.snapshot_labels_ == b.snapshot_labels_
    for layer in a.layers_:
        for t in range(len(a.snapshot_labels_)):
            np.testing.assert_array_equal(a.positions_[layer][t], b.positions_[layer][t])
            np.testing.assert_array_equal(a.sensitivity_[layer][t], b.sensitivity_[layer][t])
            for part in ("data", "indices", "indptr"):
                np.testing.assert_array_equal(getattr(a.graphs_[layer][t], part), getattr(b.graphs_[layer][t], part))
        later = [
            dataclasses.replace(mb, **{f: None for f in measured_since if getattr(ma, f) is None})
            for ma, mb in zip(a.metrics_[layer], b.metrics_[layer])
        ]
        assert a.metrics_[layer] == later
        assert len(a.neuron_maps_.get(layer, [])) == len(b.neuron_maps_.get(layer, []))
        for va, vb in zip(a.neuron_maps_.get(layer, []), b.neuron_maps_.get(layer, [])):
            for part in ("samples", "neurons", "positions", "edges"):
                np.testing.assert_array_equal(getattr(va, part), getattr(vb, part))
            assert (va.top, va.width) == (vb.top, vb.width)
    for name in ("labels_", "predictions_"):
        if getattr(a, name) is None:
            assert getattr(b, name) is None, name
        else:
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
            assert getattr(a, name).dtype == getattr(b, name).dtype, name


# ---------------------------------------------------------------- arrays in
def test_arrays_map_as_the_tracker_that_holds_them(recorded):
    tracker = recorded
    assert tracker.snapshots[0].predictions is not None  # labels are the output's classes
    from_tracker = StructureMap(k=5, neuron_samples=20).fit(tracker)
    from_arrays = StructureMap(k=5, neuron_samples=20).fit(
        arrays_of(tracker, "activations"),
        labels=tracker.labels,
        snapshot_labels=["before", "after"],
        sensitivity=arrays_of(tracker, "sensitivity"),
    )
    assert from_arrays.predictions_ is None  # arrays bring no model to predict with
    from_arrays.result_ = dataclasses.replace(from_arrays.result_, predictions=from_tracker.predictions_)
    assert_same_maps(from_tracker, from_arrays)
    # One layer as a list of arrays, and as CPU tensors: the same maps, under the name "layer".
    layer = tracker.layers[-1]
    listed = StructureMap(k=5, neuron_samples=0).fit(arrays_of(tracker, "activations")[layer], tracker.labels)
    tensors = StructureMap(k=5, neuron_samples=0).fit(
        [torch.from_numpy(a) for a in arrays_of(tracker, "activations")[layer]], torch.from_numpy(tracker.labels)
    )
    assert listed.layers_ == ["layer"] and listed.snapshot_labels_ == [0, 1]
    assert_same_maps(listed, tensors)
    np.testing.assert_array_equal(listed.positions_["layer"][1], from_tracker.positions_[layer][1])
    assert all(np.array_equal(s, np.zeros(40)) for s in listed.sensitivity_["layer"])  # no sensitivity: zeros


def test_fit_transform_of_separated_blobs_keeps_neighbours_and_classes(rng):
    X, labels = blobs(rng)
    maps = StructureMap(k=10, neuron_samples=0)
    Y = maps.fit_transform(X, labels)
    assert Y.shape == (len(X), 2) and Y.dtype == np.float64
    assert Y is maps.positions_["layer"][0]
    random_map = rng.standard_normal((len(X), 2))
    # sklearn's measures of the map, and a random map of the same points as the floor.
    assert trustworthiness(X, Y, n_neighbors=10) > 0.9 > 0.6 > trustworthiness(X, random_map, n_neighbors=10)
    assert knn_kept(X, Y, 10) > 0.4 > 0.1 > knn_kept(X, random_map, 10)
    assert silhouette_score(Y, labels) > 0.8 and abs(silhouette_score(random_map, labels)) < 0.2
    metrics = maps.metrics_["layer"][0]
    assert metrics.layout.silhouette == pytest.approx(silhouette_score(Y, labels), rel=1e-8)
    assert metrics.fidelity.trustworthiness == pytest.approx(trustworthiness(X, Y, n_neighbors=10), abs=1e-9)
    assert metrics.fidelity.knn_preservation == pytest.approx(knn_kept(X, Y, 10), abs=1e-9)
    # Without labels: no class separation, the map's fidelity all the same.
    unlabelled = StructureMap(k=10, neuron_samples=0)
    np.testing.assert_array_equal(unlabelled.fit_transform(X), Y)
    assert unlabelled.labels_ is None
    assert unlabelled.metrics_["layer"][0].layout is None and unlabelled.metrics_["layer"][0].activation is None
    assert unlabelled.metrics_["layer"][0].fidelity == metrics.fidelity
    one_class = StructureMap(k=10, neuron_samples=0).fit(X, np.zeros(len(X), dtype=int))
    assert one_class.metrics_["layer"][0].layout is None
    assert one_class.metrics_["layer"][0].to_dict()["activation"] is None


# ---------------------------------------------------------------- scikit-learn's conventions
def test_clone_get_and_set_params(rng):
    maps = StructureMap(k=10)
    assert repr(maps) == "StructureMap(k=10)"
    params = maps.get_params()
    assert params["k"] == 10 and params["n_iter"] is None and params["n_iter_warm"] is None  # stored as given
    twin = clone(maps)
    assert twin is not maps and twin.get_params() == params and not hasattr(twin, "positions_")
    X, labels = blobs(rng, n_per_class=15, centres=2)
    maps.fit(X, labels)
    assert maps.get_params() == params  # fit resolved n_iter without writing it back
    assert not hasattr(clone(maps), "positions_")  # a clone is unfitted
    assert twin.set_params(k=4, neuron_samples=0) is twin and repr(twin) == "StructureMap(k=4, neuron_samples=0)"
    np.testing.assert_array_equal(twin.fit_transform(X), StructureMap(k=4, neuron_samples=0).fit_transform(X))


def test_a_failed_fit_leaves_the_previous_one(rng):
    X, labels = blobs(rng, n_per_class=15, centres=2)
    maps = StructureMap(k=5, neuron_samples=0).fit(X, labels)
    before = {name: value for name, value in vars(maps).items() if name.endswith("_")}
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        maps.fit([X, bad], 1 - labels)
    with pytest.raises(ValueError, match="k must be >= 1"):
        maps.set_params(k=0).fit(X, 1 - labels)
    assert all(getattr(maps, name) is value for name, value in before.items()) and list(before) == ["result_"]


# ---------------------------------------------------------------- bad input
def _bad_inputs(rng):
    X = rng.standard_normal((12, 4))
    nan, inf = X.copy(), X.copy()
    nan[2, 1], inf[5, 0] = np.nan, np.inf
    fit = lambda *args, **kwargs: StructureMap(k=3, neuron_samples=0).fit(*args, **kwargs)  # noqa: E731
    return [
        (
            lambda: fit([]),
            ValueError,
            r"snapshots must hold at least one array \(one per snapshot\), got an empty list",
        ),
        (lambda: fit({}), ValueError, "snapshots must map at least one layer"),
        (lambda: fit({"a": []}), ValueError, r"snapshots\['a'\] must be a non-empty list"),
        (lambda: fit([X, X[:-1]]), ValueError, r"snapshots\[1\] has 11 rows but snapshots\[0\] has 12"),
        (lambda: fit({"a": [X], "b": [X[:-2]]}), ValueError, r"snapshots\['b'\]\[0\] has 10 rows"),
        (lambda: fit({"a": [X, X], "b": [X]}), ValueError, "every layer needs the same number of snapshots"),
        (lambda: fit([X, nan]), ValueError, r"snapshots\[1\] holds NaN or inf in row 2"),
        (lambda: fit({"a": [inf]}), ValueError, r"snapshots\['a'\]\[0\] holds NaN or inf in row 5"),
        (lambda: fit(X[:2]), ValueError, r"snapshots holds 2 points \(rows\); a map needs at least 3"),
        (lambda: fit(X[0]), ValueError, r"snapshots must be 2-D, got shape \(4,\)"),
        (lambda: fit(np.stack([X, X])), ValueError, r"snapshots must be 2-D, got shape \(2, 12, 4\)"),
        (lambda: fit([X[0]]), ValueError, r"snapshots\[0\] must be 2-D"),
        (lambda: fit(X.astype(complex)), TypeError, "snapshots must hold real numbers"),
        (lambda: fit({3: [X]}), TypeError, "snapshots: layer names must be strings"),
        (
            lambda: fit(X, np.arange(11)),
            ValueError,
            r"labels must be 1-D with one class per point \(12,\), got shape \(11,\)",
        ),
        (lambda: fit(X, np.zeros((12, 2))), ValueError, r"labels must be 1-D .* got shape \(12, 2\)"),
        (lambda: fit(X, np.full(12, np.nan)), ValueError, "labels holds NaN or inf"),
        (lambda: fit(X, np.array([None] * 12)), TypeError, "labels must hold integers, floats, booleans or strings"),
        (
            lambda: fit([X, X], snapshot_labels=["a"]),
            ValueError,
            r"snapshot_labels must hold one label per snapshot \(2\)",
        ),
        (lambda: fit([X], snapshot_labels=[("a", 1)]), TypeError, r"snapshot_labels\[0\] must be a string or a number"),
        (lambda: fit([X, X], sensitivity=[np.ones(12)]), ValueError, "sensitivity must hold one"),
        (lambda: fit([X], sensitivity=np.ones(12)), TypeError, "sensitivity must be a list"),
        (lambda: fit([X], sensitivity=[np.ones(11)]), ValueError, r"sensitivity\[0\] must have shape \(12,\)"),
        (
            lambda: fit({"a": [X]}, sensitivity={"a": [-np.ones(12)]}),
            ValueError,
            r"sensitivity\['a'\]\[0\] must be finite and non-negative",
        ),
        (lambda: StructureMap(k=3).fit_transform(nan), ValueError, "X holds NaN or inf in row 2"),
        (lambda: StructureMap(k=3).fit_transform([X, X]), ValueError, r"X must be 2-D, got shape \(2, 12, 4\)"),
        (lambda: StructureMap().set_params(method="umap").fit(X), ValueError, "method must be one of"),
        (lambda: StructureMap().set_params(n_iter=2.5).fit(X), TypeError, "n_iter must be an integer"),
        (lambda: class_separation(X, np.zeros(12)), ValueError, "labels must hold at least two classes .*, got 1"),
    ]


def test_bad_input_is_refused_naming_the_argument(rng):
    for call, error, message in _bad_inputs(rng):
        with pytest.raises(error, match=message):
            call()


def test_a_tracker_brings_its_own_labels(recorded):
    for argument in ("labels", "snapshot_labels", "sensitivity"):
        with pytest.raises(ValueError, match=f"{argument}: a tracker brings its own"):
            StructureMap(k=5).fit(recorded, **{argument: [0] * 40})
    recorded.snapshots[1].activations["act2"][4, 0] = np.inf
    with pytest.raises(ValueError, match=r"tracker.snapshots\[1\].activations\['act2'\] holds NaN or inf in row 4"):
        StructureMap(k=5).fit(recorded)


# ---------------------------------------------------------------- labels: none, or names
@pytest.mark.parametrize("kind", ["none", "names"])
def test_labels_none_or_names_run_to_figures_exports_and_a_page(rng, tmp_path, kind):
    X, classes = blobs(rng, n_per_class=20, centres=3)
    names = np.array(["cat", "dog", "emu"])[classes]
    labels = None if kind == "none" else names
    maps = StructureMap(k=5, neuron_samples=30).fit(
        {"a": [X, X + 0.05], "b": [X[:, :3], X[:, :3]]}, labels, snapshot_labels=["e0", "e1"]
    )
    path = maps.to_html(tmp_path / "maps.html")
    data = page_data(path.read_text(encoding="utf-8"))
    titles = [chart["title"] for chart in data["maps"]["a"]["charts"]]
    assert any("fidelity" in title for title in titles)
    if kind == "none":
        assert data["labels"] is None and data["classes"] == [] and not any("class" in title for title in titles)
    else:
        assert data["classes"] == ["cat", "dog", "emu"]
        assert any("inter/intra-class" in title for title in titles)
        np.testing.assert_array_equal(decoded(data["labels"]), classes)  # names as class indices, sorted
        renamed = page_data(page_html(maps.result_, classes=["Cat", "Dog", "Emu"]))
        assert renamed["classes"] == ["Cat", "Dog", "Emu"]
    # Figures: one colour without labels, the class names in the legend with them.
    figure = plots.plot_small_multiples(maps)
    legend_texts = [t.get_text() for legend in figure.legends for t in legend.get_texts()]
    assert legend_texts == ([] if kind == "none" else ["cat", "dog", "emu"])
    view = maps.neuron_maps_["a"][-1]
    for drawn in (
        plots.plot_metrics(maps),
        plots.plot_sensitivity(maps),
        plots.plot_neuron_sample_map(
            view.positions, None if labels is None else labels[view.samples], len(view.samples)
        ),
    ):
        plt.close(drawn)
    plt.close(figure)
    plots.animate_layer(maps, "b", tmp_path / "b.gif")
    # GraphML and TensorBoard's projector carry the names, or no label column.
    maps.write_graphml(tmp_path / "a.graphml", "a")
    nodes = nx.read_graphml(tmp_path / "a.graphml").nodes
    assert ("label" not in nodes["0"]) if kind == "none" else nodes["0"]["label"] == "cat"
    metadata = (maps.write_projector(tmp_path / "projector", "a") / "metadata.tsv").read_text().splitlines()
    if kind == "none":
        assert metadata[0] == "sensitivity\tx\ty"
    else:
        assert metadata[0] == "label\tsensitivity\tx\ty" and [row.split("\t")[0] for row in metadata[1:]] == list(names)


def test_class_names_with_tabs_stay_in_their_column(rng, tmp_path):
    X, classes = blobs(rng, n_per_class=5, centres=2)
    maps = StructureMap(k=3, neuron_samples=0).fit(X, np.array(["a\tb", "c\nd"], dtype=object)[classes])
    assert maps.labels_.dtype.kind == "U"  # an object array of names becomes a unicode one
    rows = (maps.write_projector(tmp_path, "layer") / "metadata.tsv").read_text().splitlines()
    assert len(rows) == 11 and all(len(row.split("\t")) == 4 for row in rows) and rows[1].startswith("a b\t")


# ---------------------------------------------------------------- saved and reopened
@pytest.fixture(params=["tracker", "names", "none"])
def fitted(request, recorded, rng):
    if request.param == "tracker":  # integer labels, predictions, neuron maps
        return StructureMap(k=5, neuron_samples=20).fit(recorded)
    X, classes = blobs(rng, n_per_class=10, centres=3)
    labels = None if request.param == "none" else np.array(["ant", "bee", "cow"])[classes]
    return StructureMap(k=4, n_iter=30, neuron_samples=0, symmetrize="mutual").fit(
        {"first layer": [X, 1.1 * X], "b": [X[:, :2], X[:, 1:3]]},
        labels,
        snapshot_labels=[1.5, "end"],
        sensitivity={"first layer": [np.arange(30.0)] * 2, "b": [np.ones(30)] * 2},
    )


def test_save_and_load_give_back_the_same_maps_and_page(fitted, tmp_path):
    path = fitted.save(tmp_path / "maps.npz")
    assert path == tmp_path / "maps.npz" and [p.name for p in tmp_path.iterdir()] == ["maps.npz"]  # no partial left
    with np.load(path, allow_pickle=False) as archive:  # every entry reads without pickle, none is an object array
        assert all(archive[name].dtype != object for name in archive.files)
        assert json.loads(str(archive["header"]))["version"] == FORMAT_VERSION
    loaded = StructureMap.load(path)
    assert type(loaded) is StructureMap and loaded.get_params() == fitted.get_params()
    assert_same_maps(fitted, loaded)
    assert fitted.to_html(tmp_path / "a.html").read_bytes() == loaded.to_html(tmp_path / "b.html").read_bytes()
    fitted.save(path)  # over an existing file
    assert_same_maps(fitted, StructureMap.load(path))


def test_load_refuses_other_files_and_newer_versions(fitted, tmp_path):
    (tmp_path / "notes.txt").write_text("not a map")
    np.save(tmp_path / "bare.npy", np.arange(3))
    np.savez(tmp_path / "other.npz", x=np.arange(3))
    np.savez(tmp_path / "foreign.npz", header=np.array(json.dumps({"format": "something else", "version": 1})))
    for name, message in (
        ("notes.txt", "is not a saved netscope StructureMap"),
        ("bare.npy", "one bare array"),
        ("other.npz", "it has no header"),
        ("foreign.npz", "names no netscope.StructureMap format"),
    ):
        with pytest.raises(ValueError, match=message):
            StructureMap.load(tmp_path / name)
    with np.load(fitted.save(tmp_path / "maps.npz"), allow_pickle=False) as archive:
        entries = {name: archive[name] for name in archive.files}
    header = json.loads(str(entries["header"]))
    np.savez(
        tmp_path / "newer.npz", **{**entries, "header": np.array(json.dumps({**header, "version": FORMAT_VERSION + 1}))}
    )
    with pytest.raises(
        ValueError,
        match=f"newer netscope \\(format version {FORMAT_VERSION + 1}; this one reads "
        f"versions up to {FORMAT_VERSION}\\)",
    ):
        StructureMap.load(tmp_path / "newer.npz")
    del entries["positions_0"]
    np.savez(tmp_path / "damaged.npz", **entries)
    with pytest.raises(ValueError, match="damaged saved StructureMap"):
        StructureMap.load(tmp_path / "damaged.npz")
    with pytest.raises(FileNotFoundError):
        StructureMap.load(tmp_path / "missing.npz")


# ---------------------------------------------------------------- in a notebook
def test_repr_html_inlines_the_page_up_to_a_size(rng, monkeypatch):
    maps = StructureMap(k=5, neuron_samples=0)
    unfitted = maps._repr_html_()
    assert "<iframe" not in unfitted and "StructureMap(k=5, neuron_samples=0)" in unfitted
    X, labels = blobs(rng, n_per_class=10, centres=2)
    maps.fit([X, X], labels)
    shown = maps._repr_html_()
    source = re.fullmatch(r'<iframe srcdoc="([^"]*)" sandbox="allow-scripts" [^>]*></iframe>', shown, re.S)
    assert source and html.unescape(source.group(1)) == page_html(maps.result_)
    assert maps._repr_mimebundle_() == {"text/plain": repr(maps), "text/html": shown}  # not sklearn's diagram
    size = len(page_html(maps.result_).encode("utf-8"))
    monkeypatch.setattr(maps_module, "INLINE_PAGE_LIMIT", size - 1)
    note = maps._repr_html_()
    assert "<iframe" not in note and 'maps.to_html("maps.html")' in note and f"{size / 2**20:.1f} MB" in note
    monkeypatch.setattr(maps_module, "INLINE_PAGE_LIMIT", size)
    assert maps._repr_html_() == shown


# ---------------------------------------------------------------- maps that grow
def test_extend_after_save_and_load_equals_one_fit_over_all_snapshots(rng, tmp_path):
    X, labels = blobs(rng, n_per_class=30, centres=3)
    snapshots = [X + 0.2 * t * rng.standard_normal(X.shape) for t in range(4)]
    whole = StructureMap(k=8, neuron_samples=20).fit(snapshots, labels=labels)
    StructureMap(k=8, neuron_samples=20).fit(snapshots[:2], labels=labels).save(tmp_path / "first.npz")
    grown = StructureMap.load(tmp_path / "first.npz").extend(snapshots[2:])
    assert_same_maps(whole, grown)
    assert grown.metrics_["layer"][2].stability is not None  # measured against the loaded last map


def test_extend_a_grown_tracker_maps_only_its_new_snapshots(recorded):
    first = StructureMap(k=5).fit(recorded)
    recorded.snapshot(label="again")
    grown = first.extend(recorded)
    assert_same_maps(StructureMap(k=5).fit(recorded), grown)
    with pytest.raises(ValueError, match="none past the 3 already mapped"):
        grown.extend(recorded)


def test_extend_refuses_other_points_layers_or_labels(rng):
    X, labels = blobs(rng, n_per_class=10, centres=3)
    fitted = StructureMap(k=5).fit([X], labels=labels)
    with pytest.raises(ValueError, match="hold 29 points, the fitted maps 30"):
        fitted.extend([X[:-1]])
    with pytest.raises(ValueError, match="layers .* differ from the fitted"):
        fitted.extend({"other": [X]})
    with pytest.raises(netscope.NotFittedError):
        StructureMap().extend([X])
