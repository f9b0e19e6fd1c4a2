"""The observatory page: its data against independent decodings and hand computations, and the
page itself in a real headless Chromium with the network off.

The browser tests need Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them);
without them they are skipped here and fail under CI (``CI`` set), so CI never skips them.
``NETSCOPE_PAGE=path/to/maps.html`` tests that page instead of a small one made here
(tests/test_page_views.py takes the README's picture).
"""

import base64
import gzip
import io
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from netscope.active.tracking import SubspaceTracker
from netscope.studies.models import digits, mlp_from_sizes
from netscope.studies.structure import scramble
from netscope.viewer.encoding import (
    ENERGY_LEVELS,
    POSITION_LEVELS,
    SENSITIVITY_LEVELS,
    encode,
    quantise_log,
    quantise_positions,
)
from page_driver import open_page, settled, wait_for


def page_data(path) -> dict:
    text = Path(path).read_text(encoding="utf-8")
    block = re.search(r'<script type="application/json" id="netscope-data">(.*?)</script>', text, re.S).group(1)
    return json.loads(block)


def decoded(blob) -> np.ndarray:
    """A page blob decoded here, independently of the page's JavaScript."""
    raw = gzip.decompress(base64.b64decode(blob["b64"]))
    width = {"u1": 1, "u2": 2}[blob["dtype"]]
    planes = np.frombuffer(raw, dtype=np.uint8).reshape(width, -1)
    values = planes.T.copy().view("<u1" if width == 1 else "<u2").reshape(blob["shape"])
    return np.cumsum(values, axis=0, dtype=values.dtype) if blob["delta"] else values


# ---------------------------------------------------------------- the page's data, without a browser
def test_blobs_round_trip_with_deltas_that_wrap(rng):
    values = rng.integers(0, 65536, size=(5, 300, 2)).astype(np.uint16)
    np.testing.assert_array_equal(decoded(encode(values, delta=True)), values)
    small = rng.integers(0, 256, size=(40,)).astype(np.uint8)
    np.testing.assert_array_equal(decoded(encode(small)), small)
    with pytest.raises(TypeError, match="uint8 or uint16"):
        encode(np.zeros(3))


def test_quantised_positions_and_logs_stay_within_a_step(rng):
    positions = rng.standard_normal((4, 100, 2)) * [3.0, 1.0]
    q, corner, side = quantise_positions(positions)
    np.testing.assert_allclose(corner + q / POSITION_LEVELS * side, positions, atol=side / POSITION_LEVELS / 2 + 1e-12)
    values = np.concatenate([[0.0], 10 ** rng.uniform(-4, 2, 99)])
    q, low, high, _ = quantise_log(values)
    back = np.where(q == 0, 0, 10 ** (low + (q.astype(float) - 1) / (SENSITIVITY_LEVELS - 1) * (high - low)))
    np.testing.assert_allclose(back, values, rtol=np.log(10) * (high - low) / (SENSITIVITY_LEVELS - 1) / 2 + 1e-12)
    with pytest.raises(ValueError, match="non-negative"):
        quantise_log(np.array([1.0, -1.0]))


def per_example_gradients_by_hand(model, loss, x, y) -> np.ndarray:
    rows = []
    for i in range(len(x)):
        model.zero_grad()
        loss(model(x[i : i + 1]), y[i : i + 1]).backward()
        rows.append(torch.cat([p.grad.flatten() for p in model.parameters()]).double().numpy())
    return np.stack(rows)


@pytest.mark.parametrize("kept_bytes", [2**30, 0])  # 0: the sketch and a second pass over the probe
def test_subspace_tracker_against_a_hand_computation(monkeypatch, kept_bytes):
    import netscope.active.tracking as tracking

    monkeypatch.setattr(tracking, "KEPT_GRADIENT_BYTES", kept_bytes)
    torch.manual_seed(0)
    _, _, x, y = digits()
    x, y = x[:12], y[:12]
    model, loss = mlp_from_sizes([64, 6, 10], "tanh"), torch.nn.functional.cross_entropy
    tracker = SubspaceTracker(model, loss, (x, y), n_components=3)
    assert tracker.method == ("randomized" if kept_bytes else "sketch")
    record = tracker.snapshot(label="start")
    G = per_example_gradients_by_hand(model, loss, x, y)
    values, vectors = np.linalg.eigh(G.T @ G / len(G))
    top = vectors[:, ::-1][:, :3]
    energy = ((G @ top) ** 2).sum(axis=1) / (G**2).sum(axis=1)
    # The sketch of s = 16 columns is exact for a matrix of rank 12, up to its stabilising shift.
    tolerance = 1e-6 if kept_bytes else 1e-4
    np.testing.assert_allclose(record["eigenvalues"], values[::-1][:3], rtol=tolerance)
    np.testing.assert_allclose(record["energy"], energy, atol=tolerance)
    assert tracker.eigenvalues.shape == (1, 3) and tracker.energy.shape == (1, 12)
    assert tracker.mean_energy(np.ones((1, 12), bool)) == pytest.approx([energy.mean()], abs=tolerance)


def test_subspace_tracker_refuses_bad_arguments():
    model = mlp_from_sizes([4, 3, 2], "tanh")
    data = (torch.zeros(5, 4), torch.zeros(5, dtype=torch.long))
    with pytest.raises(ValueError, match="n_components"):
        SubspaceTracker(model, torch.nn.functional.cross_entropy, data, n_components=0)
    with pytest.raises(TypeError, match="loss_fn"):
        SubspaceTracker(model, "cross_entropy", data)
    tracker = SubspaceTracker(model, torch.nn.functional.cross_entropy, data, n_components=2)
    tracker.snapshot()
    with pytest.raises(ValueError, match="where"):
        tracker.mean_energy(np.ones(5, bool))


def test_scramble_changes_exactly_the_chosen_examples():
    x, y = torch.arange(40.0).view(10, 4), torch.arange(10) % 3
    x_labels, y_labels, chosen = scramble(x, y, 0.3, "labels", n_classes=3)
    assert len(chosen) == 3 and torch.equal(x_labels, x)
    changed = torch.nonzero(y_labels != y).flatten()
    assert torch.equal(changed, chosen)
    x_inputs, y_inputs, chosen = scramble(x, y, 0.3, "inputs", n_classes=3)
    assert torch.equal(y_inputs, y)
    for i in chosen:
        assert sorted(x_inputs[i].tolist()) == sorted(x[i].tolist())
    with pytest.raises(ValueError, match="scrambled"):
        scramble(x, y, 1.0, "labels", n_classes=3)
    with pytest.raises(ValueError, match="scramble"):
        scramble(x, y, 0.1, "pixels", n_classes=3)


def test_the_page_holds_what_the_study_computed(study):
    metrics, page = study
    data = page_data(page)
    n = data["n"]
    assert data["layers"] == ["act1", "act2", "act3"] and data["snapshots"] == ["0", "2", "4"]
    assert n == metrics.probe_size + metrics.source.scrambled.count
    energy = decoded(data["energy"]) / ENERGY_LEVELS
    assert energy.shape == (3, n)
    np.testing.assert_allclose(energy.mean(axis=1), metrics.subspace.mean_energy, atol=0.5 / ENERGY_LEVELS)
    np.testing.assert_allclose(data["eigenvalues"], metrics.subspace.eigenvalues)
    assert decoded(data["scrambled"]).sum() == metrics.source.scrambled.count
    assert decoded(data["images"]).shape == (n, 8, 8, 1)
    positions = decoded(data["maps"]["act2"]["positions"])
    assert positions.shape == (3, n, 2) and positions.max() == POSITION_LEVELS  # the square box touches the map
    placement = metrics.scrambled_placement["act3"]
    assert len(placement) == 3 and all(0 <= p.given_share <= 1 and 0 <= p.true_share <= 1 for p in placement)


def test_write_page_refuses_inconsistent_arguments(study, tmp_path):
    from netscope.structure.results import LayerMaps, MapResult
    from netscope.viewer import write_page

    # What write_page reads, for 4 points and 2 snapshots (the checks refuse before the maps are read).
    maps = MapResult(
        layers=(LayerMaps("a", positions=(np.zeros((4, 2)),) * 2, graphs=(None,) * 2, sensitivity=(), metrics=()),),
        labels=np.array([0, 1, 0, 1]),
        snapshot_labels=(0, 1),
    )
    with pytest.raises(ValueError, match="scramble_kind"):
        write_page(tmp_path / "p.html", maps, scramble_kind="pixels")
    with pytest.raises(ValueError, match="scrambled and true_labels go together"):
        write_page(tmp_path / "p.html", maps, scrambled=np.zeros(4, bool))
    with pytest.raises(ValueError, match="classes must name"):
        write_page(tmp_path / "p.html", maps, classes=["a"])

    class Subspace:
        eigenvalues, energy = np.ones((3, 2)), np.zeros((3, 4))

    with pytest.raises(ValueError, match="one snapshot per map snapshot"):
        write_page(tmp_path / "p.html", maps, subspace=Subspace())


def test_the_pages_javascript_passes_its_node_unit_tests():
    """tests/js: the pure parts of the page's JavaScript (decoding, geometry, search, URL state)
    under Node's own test runner, here too so that the README's pytest runs them."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is missing: tests/js needs node >= 18")
    root = Path(__file__).resolve().parent.parent
    run = subprocess.run([node, "--test", "tests/js/"], cwd=root, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr


# ---------------------------------------------------------------- the page in Chromium
def test_the_page_works_offline_in_chromium(browser, study, tmp_path):
    from PIL import Image
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    page = Path(os.environ.get("NETSCOPE_PAGE") or study[1]).resolve()
    browser.get_log("browser")
    browser.get_log("performance")
    browser.get(page.as_uri())
    wait_for(browser, "return document.body.dataset.ready === 'true'")
    pixels = "return window.netscope.pixelSum()"

    # The epoch slider, by keyboard: the points move.
    start, first = browser.execute_script(pixels), browser.execute_script("return window.netscope.screenPosition(0)")
    slider = browser.find_element(By.ID, "epoch")
    slider.send_keys(Keys.ARROW_RIGHT)
    settled(browser)
    assert browser.execute_script("return window.netscope.state.t") == 1
    assert browser.execute_script(pixels) != start
    assert browser.execute_script("return window.netscope.screenPosition(0)") != first

    # Between snapshots, points lie on the straight line between their places.
    at = [
        browser.execute_script(f"window.netscope.show({t}); return window.netscope.screenPosition(3)")
        for t in (0, 1, 0.25)
    ]
    np.testing.assert_allclose(at[2], 0.75 * np.array(at[0]) + 0.25 * np.array(at[1]), atol=1e-3)
    browser.execute_script("window.netscope.show(1)")

    # Hovering a point shows its tooltip; clicking pins it.
    overlay = browser.find_element(By.ID, "overlay")
    size = overlay.size
    x, y = browser.execute_script("return window.netscope.screenPosition(5)")
    ActionChains(browser).move_to_element_with_offset(
        overlay, int(x - size["width"] / 2), int(y - size["height"] / 2)
    ).perform()
    tooltip = browser.find_element(By.ID, "tooltip")
    wait_for(browser, "return !document.getElementById('tooltip').hidden")
    assert re.search(r"sample \d+\nlabel \d", tooltip.text) and "sensitivity" in tooltip.text, tooltip.text
    ActionChains(browser).click().perform()
    assert browser.execute_script("return window.netscope.state.pinned.size") == 1

    # Switching the colour changes the drawing; a legend class highlights.
    before = browser.execute_script(pixels)
    Select(browser.find_element(By.ID, "colour")).select_by_value("energy")
    assert browser.execute_script(pixels) != before
    Select(browser.find_element(By.ID, "colour")).select_by_value("class")
    before = browser.execute_script(pixels)
    browser.find_element(By.CSS_SELECTOR, "#legend button").click()
    assert browser.execute_script(pixels) != before

    # Play runs to the last snapshot.
    browser.find_element(By.ID, "play").click()
    settled(browser)
    assert (
        browser.execute_script("return window.netscope.state.t")
        == len(browser.execute_script("return window.netscope.snapshots")) - 1
    )

    shot = tmp_path / "page.png"
    browser.save_screenshot(str(shot))
    picture = np.asarray(Image.open(io.BytesIO(shot.read_bytes())).convert("RGB"))
    # Mostly white even when drawn: the map fills the window, and the legend's class fades the other points.
    assert picture.std() > 10 and len(np.unique(picture.reshape(-1, 3), axis=0)) > 50, "the screenshot is blank"

    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, errors
    requests = [json.loads(entry["message"])["message"] for entry in browser.get_log("performance")]
    fetched = {m["params"]["request"]["url"] for m in requests if m["method"] == "Network.requestWillBeSent"}
    assert fetched <= {page.as_uri()}, f"the page asked for {fetched - {page.as_uri()}}"


def test_zoom_search_charts_and_the_shared_view_in_chromium(browser, study):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.actions.wheel_input import ScrollOrigin
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    page = Path(study[1]).resolve()
    data = page_data(page)
    browser.get_log("browser")
    open_page(browser, page.as_uri())
    position = "return window.netscope.screenPosition(arguments[0])"
    view = "return window.netscope.state.view"
    fitted, start = browser.execute_script(view), browser.execute_script("return window.netscope.pixelSum()")
    first = np.array(browser.execute_script(position, 7))
    overlay = browser.find_element(By.ID, "overlay")
    size = browser.execute_script("return window.netscope.mapSize().css")

    # The wheel zooms about the cursor: the map point under it stays, the others move away from it by the zoom.
    ActionChains(browser).scroll_from_origin(ScrollOrigin.from_element(overlay, 40, -60), 0, -300).perform()
    wait_for(browser, "return window.netscope.state.view.k > 1")
    time.sleep(0.1)
    k = browser.execute_script(view)["k"]
    cursor = np.array([size / 2 + 40, size / 2 - 60])
    np.testing.assert_allclose(browser.execute_script(position, 7), cursor + k * (first - cursor), atol=1.5 * k)
    assert browser.execute_script("return window.netscope.pixelSum()") != start

    # + zooms in by a step, an arrow (with the map focused) pans, a drag pans without pinning.
    overlay.send_keys("+")
    assert browser.execute_script(view)["k"] == pytest.approx(k * 1.25)
    before = np.array(browser.execute_script(position, 7))
    overlay.send_keys(Keys.ARROW_LEFT)
    np.testing.assert_allclose(browser.execute_script(position, 7), before + [40, 0], atol=1e-3)
    before = np.array(browser.execute_script(position, 7))
    ActionChains(browser).move_to_element(overlay).click_and_hold().move_by_offset(50, 30).release().perform()
    np.testing.assert_allclose(browser.execute_script(position, 7), before + [50, 30], atol=1.5)
    assert browser.execute_script("return window.netscope.state.pinned.size") == 0

    # Reset restores the fitted view, and the same drawing.
    browser.find_element(By.ID, "reset-view").click()
    assert browser.execute_script(view) == fitted
    np.testing.assert_allclose(browser.execute_script(position, 7), first, atol=1e-4)
    assert browser.execute_script("return window.netscope.pixelSum()") == start

    # Two fingers pinching apart zoom by the ratio of their spans.
    left, top, width = browser.execute_script(
        "const r = arguments[0].getBoundingClientRect(); return [r.left, r.top, r.width]", overlay
    )
    for kind, spread in (("touchStart", 50), ("touchMove", 70), ("touchMove", 100), ("touchEnd", None)):
        fingers = (
            []
            if spread is None
            else [
                {"x": left + width / 2 + side * spread, "y": top + width / 2, "id": j} for j, side in enumerate((-1, 1))
            ]
        )
        browser.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": kind, "touchPoints": fingers})
    assert browser.execute_script(view)["k"] == pytest.approx(2)
    browser.find_element(By.ID, "reset-view").click()

    # A search fades the points that do not match and counts those that do.
    labels = decoded(data["labels"])
    three = data["classes"].index("3")
    box = browser.find_element(By.ID, "search")
    box.send_keys("label=3")
    count = browser.find_element(By.ID, "search-count")
    wait_for(browser, "return document.getElementById('search-count').textContent !== ''")
    assert count.text == f"{(labels == three).sum()} of {data['n']} match"
    xy = np.array([browser.execute_script(position, i) for i in range(data["n"])])
    matched, faded = np.flatnonzero(labels == three), np.flatnonzero(labels != three)
    apart = lambda i, group: np.min(np.hypot(*(xy[group] - xy[i]).T), initial=np.inf)  # noqa: E731
    lone_faded = next(i for i in faded if apart(i, matched) > 12)
    lone_match = next(i for i in matched if apart(i, matched[matched != i]) > 12 and apart(i, faded) > 12)
    assert min(browser.execute_script("return window.netscope.colourAt(...arguments)", *xy[lone_faded])) >= 200
    assert min(browser.execute_script("return window.netscope.colourAt(...arguments)", *xy[lone_match])) < 150
    box.clear()
    box.send_keys("colour=red")
    wait_for(browser, "return document.getElementById('search-count').textContent.startsWith('no column')")
    box.send_keys(Keys.CONTROL, "a", Keys.DELETE)
    wait_for(browser, "return document.getElementById('search-count').textContent === ''")
    assert browser.execute_script("return window.netscope.pixelSum()") == start

    # Clicking a chart goes to the snapshot under the pointer.
    chart = browser.find_element(By.CSS_SELECTOR, "#charts svg")
    ActionChains(browser).move_to_element_with_offset(chart, chart.size["width"] // 2 - 8, 0).click().perform()
    settled(browser)
    assert browser.execute_script("return window.netscope.state.t") == len(data["snapshots"]) - 1
    ActionChains(browser).move_to_element_with_offset(chart, -chart.size["width"] // 2 + 36, 0).click().perform()
    settled(browser)
    assert browser.execute_script("return window.netscope.state.t") == 0

    # The view goes into the URL's fragment; opening the page with it restores layer, snapshot, colour, zoom, search.
    Select(browser.find_element(By.ID, "layer")).select_by_visible_text("act2")
    Select(browser.find_element(By.ID, "colour")).select_by_value("energy")
    browser.find_element(By.ID, "epoch").send_keys(Keys.ARROW_RIGHT)
    settled(browser)
    overlay.send_keys("+", "+", Keys.ARROW_UP)
    box.send_keys("label=3")
    shown = browser.execute_script("return [window.netscope.state.view, window.netscope.pixelSum()]")
    fragment = wait_for(browser, "return location.hash === window.netscope.fragment() && location.hash")
    assert fragment.startswith("#layer=act2&snapshot=2&colour=energy&zoom=1.5625%2C") and "search=label%3D3" in fragment
    open_page(browser, page.as_uri() + fragment)
    state = browser.execute_script("const s = window.netscope.state; return [s.layer, s.t, s.colour, s.search]")
    assert state == [1, 1, "energy", "label=3"]
    reopened = browser.execute_script("return [window.netscope.state.view, window.netscope.pixelSum()]")
    assert reopened[0] == pytest.approx(shown[0]) and reopened[1] == shown[1]
    assert browser.find_element(By.ID, "search").get_attribute("value") == "label=3"
    assert browser.find_element(By.ID, "layer").get_attribute("value") == "1"

    # Crisp on a high-density screen: the canvas has two backing pixels per CSS pixel at a ratio of 2.
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 1500, "height": 1100, "deviceScaleFactor": 2, "mobile": False}
    )
    try:
        open_page(browser, page.as_uri())
        sizes = browser.execute_script("return window.netscope.mapSize()")
        assert sizes["backing"] == 2 * sizes["css"]
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, errors


def distance_to_outline(points, polygon) -> np.ndarray:
    """Each point's distance to the closed polygon's edges."""
    starts, ends = polygon, np.roll(polygon, -1, axis=0)
    edge = ends - starts
    along = np.clip(np.einsum("pkd,kd->pk", points[:, None] - starts, edge) / (edge**2).sum(axis=1), 0, 1)
    nearest = starts + along[..., None] * edge
    return np.hypot(*(points[:, None] - nearest).transpose(2, 0, 1)).min(axis=1)


def test_lasso_selection_follows_the_snapshots_and_exports_in_chromium(browser, study, tmp_path):
    from matplotlib.path import Path as Outline
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    page = Path(study[1]).resolve()
    data = page_data(page)
    browser.get_log("browser")
    open_page(browser, page.as_uri())
    overlay = browser.find_element(By.ID, "overlay")
    size = browser.execute_script("return window.netscope.mapSize().css")
    xy = np.array(
        browser.execute_script(
            f"return Array.from({{length: {data['n']}}}, (_, i) => window.netscope.screenPosition(i))"
        )
    )

    # A lasso (a pentagon about the map's centre, offsets from it) selects exactly the points inside.
    corners = np.array([[-200, -150], [0, -250], [180, -100], [120, 150], [-160, 120]])
    Select(browser.find_element(By.ID, "drag-mode")).select_by_value("lasso")
    chain = ActionChains(browser).move_to_element_with_offset(overlay, *corners[0]).click_and_hold()
    for step in np.diff(np.vstack([corners, corners[:1]]), axis=0):
        chain.move_by_offset(*step)
    chain.release().perform()
    selection = browser.execute_script("return window.netscope.state.selection")
    polygon = corners + size / 2
    inside = Outline(polygon).contains_points(xy)
    clear = distance_to_outline(xy, polygon) > 2  # the cursor lands on whole pixels: leave the outline's edge out
    assert clear.sum() > 0.9 * len(xy) and inside[clear].sum() > 5
    assert sorted(set(selection) & set(np.flatnonzero(clear))) == np.flatnonzero(inside & clear).tolist()
    assert browser.execute_script("return window.netscope.state.pinned.size") == 0

    # The selection stays while the slider moves; its table follows the snapshot.
    browser.find_element(By.ID, "epoch").send_keys(Keys.ARROW_RIGHT)
    settled(browser)
    assert browser.execute_script("return window.netscope.state.selection") == selection
    count = browser.find_element(By.ID, "selection-count").text
    assert count.startswith(f"{len(selection)} selected (act1, snapshot {data['snapshots'][1]})")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#selection-table tr")) == len(selection) + 1

    # The CSV and JSON downloads hold the selected samples.
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    browser.find_element(By.ID, "export-csv").click()
    browser.find_element(By.ID, "export-json").click()
    stem = f"netscope-selection-act1-{data['snapshots'][1]}"
    deadline = time.monotonic() + 10  # both whole: Chromium writes a .crdownload first, then renames it
    while not all((tmp_path / f"{stem}.{kind}").exists() for kind in ("csv", "json")) and time.monotonic() < deadline:
        time.sleep(0.1)
    lines = (tmp_path / f"{stem}.csv").read_text().splitlines()
    assert lines[0].startswith("sample,label,") and [int(line.split(",")[0]) for line in lines[1:]] == selection
    rows = json.loads((tmp_path / f"{stem}.json").read_text())
    labels = decoded(data["labels"])
    assert [row["sample"] for row in rows] == selection
    assert [row["label"] for row in rows] == [data["classes"][labels[i]] for i in selection]

    # The selection goes into the fragment, and comes back with it.
    fragment = wait_for(browser, "return location.hash === window.netscope.fragment() && location.hash")
    assert "selection=" in fragment
    open_page(browser, page.as_uri() + fragment)
    assert browser.execute_script("return window.netscope.state.selection") == selection
    assert browser.execute_script("return window.netscope.state.t") == 1

    # Escape clears it.
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    assert browser.execute_script("return window.netscope.state.selection.length") == 0
    assert browser.find_element(By.ID, "selection-panel").get_attribute("hidden") is not None

    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, errors


def test_keyboard_alone_reaches_and_pins_a_point_in_chromium(browser, study):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    page = Path(study[1]).resolve()
    data = page_data(page)
    browser.get_log("browser")
    open_page(browser, page.as_uri())
    press = lambda *keys: ActionChains(browser).send_keys(*keys).perform()  # noqa: E731
    for _ in range(20):  # Tab through the controls to the map
        if browser.execute_script("return document.activeElement.id") == "overlay":
            break
        press(Keys.TAB)
    assert browser.execute_script("return document.activeElement.id") == "overlay"
    size = browser.execute_script("return window.netscope.mapSize().css")
    xy = np.array(
        browser.execute_script(
            f"return Array.from({{length: {data['n']}}}, (_, i) => window.netscope.screenPosition(i))"
        )
    )
    hovered = "return window.netscope.state.hover"

    press(Keys.ENTER)  # the point nearest the centre
    reached = browser.execute_script(hovered)
    assert reached == int(np.argmin(np.hypot(*(xy - size / 2).T)))
    press(Keys.ARROW_RIGHT)  # its nearest neighbour within 45 degrees of the right
    offset = xy - xy[reached]
    cone = (offset[:, 0] > 0) & (np.abs(offset[:, 1]) <= offset[:, 0])
    expected = int(np.flatnonzero(cone)[np.argmin(np.hypot(*offset[cone].T))])
    assert browser.execute_script(hovered) == expected
    press(Keys.ENTER)
    assert browser.execute_script("return [...window.netscope.state.pinned]") == [expected]
    assert not browser.find_element(By.ID, "tooltip").get_attribute("hidden")
    status = browser.execute_script("return document.getElementById('map-status').textContent")
    assert status.startswith(f"sample {expected}, label ") and status.endswith(", pinned")
    press("s")  # into the selection, and out
    assert browser.execute_script("return window.netscope.state.selection") == [expected]
    assert browser.execute_script("return document.getElementById('map-status').textContent").endswith(
        ", pinned, selected"
    )
    press("s")
    assert browser.execute_script("return window.netscope.state.selection") == []
    press(Keys.ESCAPE)
    assert browser.execute_script(hovered) == -1
    assert browser.find_element(By.ID, "overlay").get_attribute("role") == "application"
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, errors


def test_scrambled_placement_on_two_clusters():
    from netscope.structure.robustness import scrambled_placement

    rng = np.random.default_rng(0)
    true = np.repeat([0, 1], 20)
    points = rng.standard_normal((40, 3)) * 0.1 + true[:, None] * 5.0
    scrambled = np.zeros(40, bool)
    scrambled[[0, 1, 2]] = True  # in cluster 0, told they are 1
    given = true.copy()
    given[scrambled] = 1
    placed = scrambled_placement(points, points[:, :2], scrambled, given, true, k=5)
    assert (placed.given_share, placed.true_share, placed.map_true_share, placed.count) == (0.0, 1.0, 1.0, 3)
    memorised = points.copy()
    memorised[scrambled] += 5.0  # now they sit in cluster 1
    assert scrambled_placement(memorised, memorised[:, :2], scrambled, given, true, k=5).given_share == 1.0
    with pytest.raises(ValueError, match="scrambled must mark some"):
        scrambled_placement(points, points[:, :2], np.zeros(40, bool), given, true)
    with pytest.raises(ValueError, match="k"):
        scrambled_placement(points, points[:, :2], scrambled, given, true, k=40)


def test_sample_energy_against_numpy_and_its_errors(rng):
    from netscope import ActiveSubspace

    G = rng.standard_normal((50, 8))
    G[3] = 0.0  # a zero gradient has energy 0, not NaN
    fitted = ActiveSubspace("snapshot", n_components=3, progress=False).fit_gradients(G)
    U = np.linalg.eigh(G.T @ G / 50)[1][:, ::-1][:, :3]
    norms = (G**2).sum(axis=1)
    expected = np.divide(((G @ U) ** 2).sum(axis=1), norms, out=np.zeros(50), where=norms > 0)
    # The fit keeps its rows in float32, so its eigenvectors and energies agree to ~1e-7.
    np.testing.assert_allclose(fitted.sample_energy(3), expected, atol=1e-6)
    np.testing.assert_allclose(
        fitted.sample_energy(2, gradients=[G[:20], G[20:]]),
        np.divide(((G @ U[:, :2]) ** 2).sum(axis=1), norms, out=np.zeros(50), where=norms > 0),
        atol=1e-6,
    )
    with pytest.raises(ValueError, match="8 columns"):
        fitted.sample_energy(2, gradients=np.ones((4, 7)))
    broken = G.copy()
    broken[5, 1] = np.nan
    with pytest.raises(ValueError, match="row 5"):
        fitted.sample_energy(2, gradients=broken)
    with pytest.raises(ValueError, match="k"):
        fitted.sample_energy(4)
    without = ActiveSubspace("gram", n_components=3, keep_gradients=False, progress=False).fit_gradients(G)
    with pytest.raises(ValueError, match="needs the gradients"):
        without.sample_energy(2)


def test_narrow_layers_and_labels_that_are_not_class_indices():
    from netscope import ActivationTracker, StructureMap

    torch.manual_seed(0)
    _, _, x, y = digits()
    model = mlp_from_sizes([64, 2, 10], "relu")  # a 2-neuron bottleneck: fewer neurons than the top 3
    tracker = ActivationTracker(model, (x[:60], y[:60]))
    tracker.snapshot()
    maps = StructureMap(k=5, n_iter=20).fit(tracker)
    view = maps.neuron_maps_["act1"][0]
    assert view.top == 2 and len(view.positions) == 60 + len(view.neurons)
    assert maps.predictions_.shape == (1, 60)
    shifted = ActivationTracker(model, (x[:60], y[:60] + 1))  # labels 1..10: not indices of the 10 outputs
    shifted.snapshot()
    assert shifted.snapshots[0].predictions is None


def test_subspace_tracker_names_a_loss_that_does_not_fit_the_labels():
    model = mlp_from_sizes([4, 3, 2], "tanh")
    data = (torch.zeros(5, 4), torch.zeros(5, 3))  # regression targets of the wrong width
    with pytest.raises(ValueError, match="loss_fn fails on the probe's outputs and labels"):
        SubspaceTracker(model, torch.nn.functional.mse_loss, data)
