"""ActiveSubspace as a scikit-learn estimator (parameters stored as given, clone, get/set_params,
a short repr) and its notebook view (_repr_html_: the spectrum's table and inline SVG, the
leading layers, everything escaped)."""

import html
import json
import re
import subprocess
import sys

import numpy as np
import pytest
import sklearn.base
import torch

import netscope
from netscope.active.estimator import DEFAULT_PASSES
from netscope.active.notebook import SVG_POINTS, spectrum_svg
from netscope.nn.parameters import ParameterLayout
from netscope.studies.models import digits, mlp

NON_DEFAULT = [
    dict(
        method="multipass",
        n_components=4,
        n_passes=3,
        sketch_size=12,
        sketch_dtype="float32",
        chunk_size=50,
        progress=False,
    ),
    dict(method="sketch", n_components=5, sketch_size=20, keep_gradients=False, layer_blocks=True, backend="loop"),
    dict(method="gram", n_components=3, full_spectrum=True, keep_gradients=False, keep_projections=True),
    dict(method="randomized", n_components=7, chunk_size=10, progress=False),
]


def path_points(svg: str) -> np.ndarray:
    """The (x, y) points of the ``<path class="spectrum">`` in ``svg``."""
    d = re.search(r'<path class="spectrum" d="([^"]+)"', svg).group(1)
    commands = re.findall(r"([ML])\s*(-?[\d.]+),(-?[\d.]+)", d)
    assert commands and commands[0][0] == "M" and all(c == "L" for c, _, _ in commands[1:])
    assert len(commands) == len(d.split()), d  # every token parsed
    return np.array([(float(x), float(y)) for _, x, y in commands])


@pytest.fixture(scope="module")
def fitted():
    """A small MLP on 120 digits, its empirical Fisher by the method of snapshots (top 6)."""
    x, y, _, _ = digits()
    torch.manual_seed(0)
    model = mlp(64, 8, 1, 10)
    return netscope.ActiveSubspace("snapshot", n_components=6, progress=False).fit(
        model, torch.nn.CrossEntropyLoss(), (x[:120], y[:120]), sampling="data"
    )


# ------------------------------------------------------------------ scikit-learn conventions
@pytest.mark.parametrize("params", NON_DEFAULT, ids=lambda p: p["method"])
def test_clone_keeps_every_parameter_and_no_fitted_state(params, rng):
    estimator = netscope.ActiveSubspace(**params)
    assert estimator.get_params() == {**netscope.ActiveSubspace().get_params(), **params}
    if params["method"] == "randomized":
        estimator.fit_gradients(rng.standard_normal((30, 12)))
    copy = sklearn.base.clone(estimator)
    assert copy is not estimator and copy.get_params() == estimator.get_params()
    assert not hasattr(copy, "eigenvalues_")


def test_parameters_stored_as_given_and_resolved_where_used(rng):
    estimator = netscope.ActiveSubspace("multipass", n_components=3)
    assert estimator.n_passes is None and estimator._n_passes == DEFAULT_PASSES
    assert netscope.ActiveSubspace("multipass", n_components=3, n_passes=4)._n_passes == 4
    assert netscope.ActiveSubspace("sketch", n_components=3)._n_passes is None
    G = rng.standard_normal((40, 15)) * np.linspace(3, 0.1, 15)
    default = netscope.ActiveSubspace("multipass", n_components=3, progress=False).fit_gradients(G)
    explicit = netscope.ActiveSubspace(
        "multipass", n_components=3, n_passes=DEFAULT_PASSES, progress=False
    ).fit_gradients(G)
    np.testing.assert_array_equal(default.eigenvalues_, explicit.eigenvalues_)
    assert default.n_passes is None and sklearn.base.clone(default).n_passes is None  # fitting left it as given


def test_the_study_reports_the_passes_it_made(tmp_path):
    from netscope.studies.active import run_active_subspace_study

    run_active_subspace_study(
        tmp_path, method="multipass", n_samples=200, depth=1, width=5, n_vectors=4, k=3, n_boot=2, progress=False
    )
    assert json.loads((tmp_path / "summary.json").read_text())["n_passes"] == DEFAULT_PASSES


def test_get_params_set_params_round_trip():
    estimator = netscope.ActiveSubspace()
    target = netscope.ActiveSubspace(**NON_DEFAULT[0])
    assert estimator.set_params(**target.get_params()) is estimator
    assert estimator.get_params() == target.get_params()
    assert estimator._n_passes == 3
    estimator.set_params(**netscope.ActiveSubspace().get_params())
    assert estimator.get_params() == netscope.ActiveSubspace().get_params()


def test_set_params_checks_together_and_keeps_the_last_on_refusal():
    estimator = netscope.ActiveSubspace("sketch", n_components=5)
    before = estimator.get_params()
    with pytest.raises(ValueError, match="n_passes goes with method='multipass'"):
        estimator.set_params(n_passes=4)
    with pytest.raises(ValueError, match="exceeds sketch_size"):
        estimator.set_params(sketch_size=3)
    with pytest.raises(ValueError, match="needs n_components"):
        estimator.set_params(n_components=None)
    assert estimator.get_params() == before
    estimator.set_params(method="multipass", n_passes=4)  # together they go
    assert estimator._n_passes == 4


def test_construction_still_refuses_bad_parameters():
    with pytest.raises(ValueError, match="n_passes"):
        netscope.ActiveSubspace("multipass", n_components=3, n_passes=1)
    with pytest.raises(ValueError, match="method must be one of"):
        netscope.ActiveSubspace("svd")


def test_repr_is_short_and_shows_the_changed_parameters(fitted):
    short = "ActiveSubspace(method='sketch', n_components=10)"
    assert repr(netscope.ActiveSubspace("sketch", n_components=10)) == short
    assert repr(netscope.ActiveSubspace()) == "ActiveSubspace()"
    assert repr(fitted) == "ActiveSubspace(n_components=6, progress=False)"


# ------------------------------------------------------------------ the notebook view
def test_fitted_view_shows_the_spectrum_shares_layers_and_svg(fitted):
    page = fitted._repr_html_()
    values = fitted.eigenvalues_
    assert "<svg" in page and page.count("<svg") == 1 and "<script" not in page
    assert f">{values[0]:.4g}<" in page and f">{values[5]:.4g}<" in page
    assert f"N = {fitted.n_samples_} samples" in page and f"D = {fitted.n_parameters_} parameters" in page
    assert "<code>snapshot</code>" in page and "<code>data</code>" in page
    # The gradients are kept: the shares are of tr C = ‖G‖²/N.
    G = fitted.gradients_.astype(np.float64)
    trace = float((G * G).sum()) / len(G)
    assert "share of tr C" in page and f"tr C = {trace:.4g}" in page
    assert f">{values[0] / trace:.1%}<" in page
    importance = fitted.layer_importance()
    for layer in ("layer1", "layer2"):
        assert f">{layer}<" in page
        assert f">{importance[layer].share:.1%}<" in page and f">{importance[layer].enrichment:.2f}×<" in page
    bundle = fitted._repr_mimebundle_()
    assert bundle == {"text/plain": repr(fitted), "text/html": page}


def test_the_view_lists_ten_eigenvalues_and_five_layers(rng):
    names = tuple(f"l{i}.weight" for i in range(7))
    layout = ParameterLayout(
        names=names, shapes=((3,),) * 7, layers=tuple(f"l{i}" for i in range(7)), kinds=("weight",) * 7
    )
    G = rng.standard_normal((60, 21)) * np.geomspace(5, 0.01, 21)[rng.permutation(21)]
    fitted = netscope.ActiveSubspace(progress=False).fit_gradients(G, layout=layout)
    page = fitted._repr_html_()
    values = fitted.eigenvalues_
    assert len(values) == 21 and "the sum of every eigenvalue" in page
    assert f">{values[9]:.4g}<" in page and f">{values[10]:.4g}<" not in page
    shown = re.findall(r'font-family: monospace">(l\d)<', page)
    ranked = sorted(fitted.layer_importance().layers.items(), key=lambda item: -item[1].share)
    assert shown == [layer for layer, _ in ranked[:5]] and shown != list(layout.layers[:5])  # ranked, not in order
    assert "the top 5 of 7" in page


def test_unknown_trace_says_the_shares_are_of_the_top_k(rng):
    G = rng.standard_normal((50, 30)) * np.geomspace(4, 0.1, 30)
    sketch = netscope.ActiveSubspace("sketch", n_components=5, keep_gradients=False, progress=False).fit_gradients(G)
    page = sketch._repr_html_()
    top = sketch.eigenvalues_
    assert "share of tr C" not in page and "share of the top-5 sum" in page and "tr C is not known" in page
    assert f">{top[0] / top.sum():.1%}<" in page
    # Layer blocks hold the exact trace without the gradients.
    layout = ParameterLayout(
        names=("a.weight", "b.weight"), shapes=((10,), (20,)), layers=("a", "b"), kinds=("weight", "weight")
    )
    blocks = netscope.ActiveSubspace(
        "sketch", n_components=5, keep_gradients=False, layer_blocks=True, progress=False
    ).fit_gradients(G, layout=layout)
    trace = float((G * G).sum()) / len(G)
    assert "the layers&#x27; blocks" in blocks._repr_html_() and f"tr C = {trace:.4g}" in blocks._repr_html_()


def test_svg_path_is_monotone_for_a_decreasing_spectrum(fitted):
    for values in (fitted.eigenvalues_, np.geomspace(10, 1e-6, 37), np.linspace(5, 1, 3 * SVG_POINTS)):
        points = path_points(spectrum_svg(values))
        assert len(points) == min(len(values), SVG_POINTS)
        assert np.all(np.diff(points[:, 0]) > 0)  # x: the index, left to right
        assert np.all(np.diff(points[:, 1]) > 0)  # the SVG's y grows downwards: the value decreases
    in_page = path_points(fitted._repr_html_())
    np.testing.assert_array_equal(in_page, path_points(spectrum_svg(fitted.eigenvalues_)))
    # log scale: equal ratios are equal steps
    steps = np.diff(path_points(spectrum_svg(np.geomspace(100, 1, 5)))[:, 1])
    np.testing.assert_allclose(steps, steps[0], atol=0.02)


def test_svg_leaves_out_what_a_log_axis_cannot_show():
    points = path_points(spectrum_svg(np.array([4.0, 2.0, 1.0, 0.0, -1e-12])))
    assert len(points) == 3
    assert "<path" not in spectrum_svg(np.zeros(4)) and "no positive eigenvalue" in spectrum_svg(np.zeros(4))
    flat = path_points(spectrum_svg(np.ones(4)))
    assert np.all(np.diff(flat[:, 0]) > 0) and np.ptp(flat[:, 1]) == 0


def test_unfitted_view_is_the_repr():
    estimator = netscope.ActiveSubspace("sketch", n_components=10)
    assert estimator._repr_html_() == f"<pre>{html.escape(repr(estimator))}</pre>"
    assert estimator._repr_mimebundle_() == {"text/plain": repr(estimator), "text/html": estimator._repr_html_()}


def test_names_are_escaped(rng):
    layout = ParameterLayout(
        names=("<b>bold</b>&.weight", 'x"<script>.bias'),
        shapes=((10,), (5,)),
        layers=("<b>bold</b>&", 'x"<script>'),
        kinds=("weight", "bias"),
    )
    G = rng.standard_normal((25, 15))
    page = netscope.ActiveSubspace(n_components=4, progress=False).fit_gradients(G, layout=layout)._repr_html_()
    assert "<b>" not in page and "<script" not in page
    assert ">&lt;b&gt;bold&lt;/b&gt;&amp;<" in page and ">x&quot;&lt;script&gt;<" in page


def test_the_notebook_view_needs_no_matplotlib():
    code = (
        "import sys, numpy as np; import netscope.active.estimator as e; "
        "s = e.ActiveSubspace(n_components=2, progress=False).fit_gradients(np.eye(5)[:4]); "
        "assert '<svg' in s._repr_html_(); assert 'matplotlib' not in sys.modules, 'matplotlib'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
