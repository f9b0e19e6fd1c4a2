"""StructureMap's typed result (a MapResult of LayerMaps): the fitted attributes of before are
views of it, the page takes it and not the estimator, and a file saved before it existed loads
into it with the same numbers as a fit now. And the typed summary of ``netscope structure``
(MapsSummary), whose to_dict() is metrics.json."""

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.utils.validation import check_is_fitted

import netscope
import netscope.structure.fitting
import netscope.structure.neuron_sample
from netscope import NotFittedError, StructureMap
from netscope.structure.results import LayerMaps, MapResult
from netscope.studies.summaries import ClassClaim, DigitsStudy, MapsSummary, SubspaceSummary
from netscope.viewer import page_html, write_page
from test_structure_arrays import assert_same_maps, blobs

DATA = Path(__file__).resolve().parent / "data"


def fixture_inputs():
    """The inputs that tests/data/structure_map_v1.npz was fitted to (by the code of before
    MapResult, commit d4bbdc1): 12 points of 3 named classes, 2 layers, 2 snapshots."""
    rng = np.random.default_rng(23)
    X = rng.standard_normal((12, 4))
    snapshots = {"a": [X, X + 0.1], "b": [X[:, :3], 2 * X[:, :3]]}
    sensitivity = {"a": [np.arange(12.0), np.ones(12)], "b": [np.zeros(12), np.arange(12.0) / 2]}
    labels = np.array(["cat", "dog", "emu"])[np.arange(12) % 3]
    return snapshots, labels, ["start", 1], sensitivity


@pytest.fixture
def fitted(rng):
    X, classes = blobs(rng, n_per_class=10, centres=3)
    return StructureMap(k=4, n_iter=30, neuron_samples=8).fit(
        {"first": [X, 1.1 * X, 1.2 * X], "second": [X[:, :3], X[:, 1:4], X[:, 2:5]]}, classes, ["a", "b", "c"]
    )


def test_the_fitted_attributes_are_views_of_the_typed_result(fitted):
    result = fitted.result_
    assert isinstance(result, MapResult) and all(isinstance(layer, LayerMaps) for layer in result.layers)
    assert result.names == fitted.layers_ == ["first", "second"] and result.n_points == 30
    assert fitted.snapshot_labels_ == list(result.snapshot_labels) == ["a", "b", "c"]
    assert fitted.labels_ is result.labels and fitted.predictions_ is None
    for layer in result.layers:
        assert len(layer) == 3
        for name in ("positions", "graphs", "sensitivity", "metrics", "neuron_maps"):
            view, held = getattr(fitted, name + "_")[layer.name], getattr(layer, name)
            assert isinstance(view, list) and len(view) == len(held) and all(a is b for a, b in zip(view, held))
    assert result.layer("second") is result.layers[1]
    with pytest.raises(ValueError, match=r"layer must be one of the mapped layers \['first', 'second'\], got 'x'"):
        result.layer("x")
    # Read-only: the result is frozen, and the views have no setters.
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.labels = None
    with pytest.raises(AttributeError):
        fitted.positions_ = {}
    # A view built anew at each read: changing it leaves the maps alone.
    fitted.positions_["first"].clear()
    assert len(fitted.positions_["first"]) == 3
    # scikit-learn sees a fitted estimator (result_); an unfitted one has none of the views.
    check_is_fitted(fitted)
    unfitted = StructureMap()
    for name in ("result_", "positions_", "layers_", "metrics_", "neuron_maps_"):
        assert not hasattr(unfitted, name)
    with pytest.raises(NotFittedError, match=r"call StructureMap.fit\(\) first"):
        unfitted.positions_  # noqa: B018  (the read is the test)
    assert StructureMap(k=4, neuron_samples=0).fit(fitted.positions_["first"]).neuron_maps_ == {}


def test_the_page_takes_the_result_and_to_html_is_the_same_page(fitted, tmp_path):
    options = {"classes": ["x", "y", "z"], "title": "t", "summary": "s"}
    path = write_page(tmp_path / "direct.html", fitted.result_, **options)
    assert fitted.to_html(tmp_path / "method.html", **options).read_bytes() == path.read_bytes()
    # The estimator itself, as the page took it before: the same page, with a DeprecationWarning.
    with pytest.warns(DeprecationWarning, match="pass its result_"):
        assert page_html(fitted, **options) == path.read_text(encoding="utf-8")
    with pytest.raises(TypeError, match="result must be the fitted maps' MapResult"):
        page_html(StructureMap())
    # netscope's import installed the viewer's page for the estimator (structure/ imports no viewer).
    from netscope.structure.display import page_functions

    assert page_functions().page_html(fitted.result_) == page_html(fitted.result_)
    assert netscope.StructureMap is StructureMap


def test_a_map_saved_before_the_typed_result_loads_with_the_numbers_of_a_fit_now(monkeypatch):
    saved = StructureMap.load(DATA / "structure_map_v1.npz")
    assert saved.get_params() == StructureMap(k=4, neuron_samples=6, n_iter=40).get_params()
    snapshots, labels, snapshot_labels, sensitivity = fixture_inputs()
    # The layout has changed since the file was saved (UMAP's forces then, t-SNE's now): the fit
    # below takes the saved positions for its maps' and neuron maps' layouts, in the order it lays
    # them out (layer by layer, snapshot by snapshot), and everything else it computes now.
    with np.load(DATA / "structure_map_v1.npz") as archive:
        maps = iter([archive[f"positions_{i}"][t].copy() for i in range(2) for t in range(2)])
        neurons = iter([archive[f"neurons_{i}_{t}_positions"].copy() for i in range(2) for t in range(2)])
    monkeypatch.setattr(netscope.structure.fitting, "force_layout", lambda *args, **kwargs: next(maps))
    monkeypatch.setattr(netscope.structure.fitting, "procrustes_align", lambda layout, previous: layout)
    monkeypatch.setattr(netscope.structure.neuron_sample, "force_layout", lambda *args, **kwargs: next(neurons))
    monkeypatch.setattr(netscope.structure.neuron_sample, "procrustes_align", lambda layout, *_, **__: layout)
    now = StructureMap(k=4, neuron_samples=6, n_iter=40).fit(snapshots, labels, snapshot_labels, sensitivity)
    assert next(maps, None) is None and next(neurons, None) is None
    # Bit for bit: positions, graphs, sensitivities, metrics, neuron maps; the global structure is
    # measured since that file was saved, which holds None for it.
    assert_same_maps(saved, now, measured_since=("global_structure",))
    assert all(m.global_structure is None for m in saved.metrics_[saved.layers_[0]])
    assert saved.snapshot_labels_ == ["start", 1] and saved.labels_.dtype.kind == "U"


def test_extend_appends_to_the_result(rng):
    X, classes = blobs(rng, n_per_class=10, centres=3)
    series = [X, 1.1 * X, 1.2 * X]
    whole = StructureMap(k=4, n_iter=30, neuron_samples=5).fit(series, classes)
    grown = StructureMap(k=4, n_iter=30, neuron_samples=5).fit(series[:2], classes).extend(series[2:])
    assert_same_maps(whole, grown)
    assert [len(layer) for layer in grown.result_.layers] == [3]


def test_the_study_returns_a_typed_summary_whose_dict_is_metrics_json(study):
    summary, page = study
    assert isinstance(summary, MapsSummary) and isinstance(summary.source, DigitsStudy)
    assert json.loads((page.parent / "metrics.json").read_text()) == json.loads(json.dumps(summary.to_dict()))
    assert list(summary.to_dict()) == [
        "dataset",
        "model",
        "accuracy",
        "scrambled",
        "snapshots",
        "layers",
        "claim_inter_grows_intra_shrinks",
        "timings_s",
        "subspace",
        "scrambled_placement",
    ]
    assert summary.snapshots == [0, 2, 4] and list(summary.metrics) == ["act1", "act2", "act3"]
    assert all(isinstance(claim, ClassClaim) for claim in summary.claim.values())
    assert isinstance(summary.subspace, SubspaceSummary) and summary.subspace.mean_energy_wrong is not None
    accuracy = summary.source.accuracy
    assert [entry.epoch for entry in accuracy] == [0, 2, 4] and accuracy[-1].scrambled_given is not None
    assert summary.probe_size == summary.source.probe_size == 360
    # The dict it was still reads, with a DeprecationWarning.
    with pytest.warns(DeprecationWarning, match=r"MapsSummary\['claim_inter_grows_intra_shrinks'\] is deprecated"):
        assert summary["claim_inter_grows_intra_shrinks"]["act3"]["holds"] == summary.claim["act3"].holds
