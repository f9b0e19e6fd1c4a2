"""The observatory page's views in a real headless Chromium (network off): layers side by side and
linked, WebGL2 against its Canvas 2D fallback, dark mode, and the shape that tells a wrong
prediction from a right one. The study page comes from conftest; the browser from
tests/page_driver.py (skipped without Chromium, except under CI).

``NETSCOPE_PAGE=path/to/maps.html`` tests that page's linked layers instead of the small one, and
``NETSCOPE_SCREENSHOT=file.png`` keeps their screenshot, two layers with a selection (the README's picture).
"""

import os
from pathlib import Path

import numpy as np
import pytest

from page_driver import open_page, settled, wait_for
from test_page import decoded, page_data

POSITIONS = "return Array.from({length: arguments[0]}, (_, i) => window.netscope.screenPosition(i, arguments[1]))"


def severe(browser):
    return [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def screen_positions(browser, n, panel=0) -> np.ndarray:
    return np.array(browser.execute_script(POSITIONS, n, panel))


def lone_points(xy, candidates, apart=12.0):
    """The candidates whose nearest other point (of all xy) is more than ``apart`` CSS pixels away."""
    distances = np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1))
    np.fill_diagonal(distances, np.inf)
    return [i for i in candidates if distances[i].min() > apart]


def overlay_alpha_on_circle(browser, overlay_id, x, y, r) -> float:
    """The largest alpha the overlay canvas holds on the circle of radius ``r`` about (x, y) CSS pixels."""
    return browser.execute_script(
        """const [id, x, y, r] = arguments, canvas = document.getElementById(id), g = canvas.getContext('2d');
        const ratio = canvas.width / canvas.getBoundingClientRect().width; let best = 0;
        for (let k = 0; k < 64; k++) {
          const a = 2 * Math.PI * k / 64, px = (x + r * Math.cos(a)) * ratio, py = (y + r * Math.sin(a)) * ratio;
          best = Math.max(best, g.getImageData(Math.round(px), Math.round(py), 1, 1).data[3]);
        }
        return best;""",
        overlay_id,
        x,
        y,
        r,
    )


def test_two_layers_side_by_side_are_linked_in_chromium(browser, study):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    page = Path(os.environ.get("NETSCOPE_PAGE") or study[1]).resolve()
    data = page_data(page)
    n = data["n"]
    browser.get_log("browser")
    open_page(browser, page.as_uri() + "#snapshot=" + data["snapshots"][-1])  # the trained network
    alone = browser.execute_script("return window.netscope.mapSize().css")
    Select(browser.find_element(By.ID, "beside")).select_by_value("act3")
    assert browser.execute_script("return window.netscope.panels()") == ["act1", "act3"]
    size = browser.execute_script("return window.netscope.mapSize().css")
    assert size < alone
    first, second = screen_positions(browser, n, 0), screen_positions(browser, n, 1)
    assert np.abs(first - second).max() > 20  # two layers, two maps

    # Hovering a sample in the first map rings it in the second, where that layer puts it.
    i = lone_points(first, range(n))[0]
    overlay = browser.find_element(By.ID, "overlay")
    ActionChains(browser).move_to_element_with_offset(
        overlay, int(first[i, 0] - size / 2), int(first[i, 1] - size / 2)
    ).perform()
    wait_for(browser, "return window.netscope.state.hover >= 0")
    assert browser.execute_script("return window.netscope.state.hover") == i
    radius = 3.6  # the page's point radius at n <= 1000
    assert overlay_alpha_on_circle(browser, "overlay-2", *second[i], radius + 3) > 200
    other = next(j for j in lone_points(second, range(n)) if j != i)
    assert overlay_alpha_on_circle(browser, "overlay-2", *second[other], radius + 3) == 0

    # A box drawn in the second map selects there; both maps fade what it left out.
    sums = [browser.execute_script("return window.netscope.pixelSum(arguments[0])", panel) for panel in (0, 1)]
    Select(browser.find_element(By.ID, "drag-mode")).select_by_value("box")
    second_overlay = browser.find_element(By.ID, "overlay-2")
    ActionChains(browser).move_to_element_with_offset(
        second_overlay, -size // 4, -size // 4
    ).click_and_hold().move_by_offset(size // 2, size // 2).release().perform()
    selection = browser.execute_script("return window.netscope.state.selection")
    low, high = size / 4, 3 * size / 4
    inside = np.flatnonzero(np.all((second > low + 1.5) & (second < high - 1.5), axis=1))
    edge = np.flatnonzero(np.any(np.abs(second - low) <= 1.5, axis=1) | np.any(np.abs(second - high) <= 1.5, axis=1))
    assert len(inside) > 5 and set(inside) <= set(selection) and set(selection) - set(inside) <= set(edge)
    assert all(
        browser.execute_script("return window.netscope.pixelSum(arguments[0])", panel) != sums[panel]
        for panel in (0, 1)
    )
    faded = next(j for j in lone_points(first, range(n)) if j not in selection)
    assert min(browser.execute_script("return window.netscope.colourAt(...arguments)", *first[faded], 0)) >= 180
    if os.environ.get("NETSCOPE_SCREENSHOT"):
        browser.save_screenshot(os.environ["NETSCOPE_SCREENSHOT"])

    # The fragment holds the layer beside the first, and a link reopens both maps with the selection.
    fragment = wait_for(browser, "return location.hash === window.netscope.fragment() && location.hash")
    assert "beside=act3" in fragment
    open_page(browser, page.as_uri() + fragment)
    assert browser.execute_script("return window.netscope.panels()") == ["act1", "act3"]
    assert browser.execute_script("return window.netscope.state.selection") == selection

    # All layers at once: a grid of three.
    Select(browser.find_element(By.ID, "beside")).select_by_value("*")
    assert browser.execute_script("return window.netscope.panels()") == ["act1", "act2", "act3"]
    Select(browser.find_element(By.ID, "beside")).select_by_value("")
    assert browser.execute_script("return window.netscope.panels()") == ["act1"]
    assert browser.execute_script("return window.netscope.mapSize().css") == alone
    assert not severe(browser)


def test_webgl_and_canvas_draw_the_same_pixels_in_chromium(browser, study):
    page = Path(study[1]).resolve()
    n = page_data(page)["n"]
    drawn = {}
    browser.get_log("browser")
    for query in ("?renderer=webgl2", "?renderer=canvas2d"):
        open_page(browser, page.as_uri() + query + "#snapshot=2&colour=correct")
        browser.execute_script("window.netscope.show(0.5)")  # between two snapshots: interpolated
        xy = screen_positions(browser, n)
        colours = browser.execute_script(
            "return arguments[0].map(([x, y]) => window.netscope.colourAt(x, y))", xy.tolist()
        )
        drawn[browser.execute_script("return window.netscope.renderer")] = (
            xy,
            colours,
            browser.execute_script("return window.netscope.pixelSum()"),
        )
    assert sorted(drawn) == ["canvas2d", "webgl2"]
    # Unasked, the page draws with WebGL2 on a GPU and with Canvas 2D where WebGL2 runs on the CPU (here: SwiftShader).
    open_page(browser, page.as_uri())
    software = browser.execute_script(
        """const gl = document.createElement('canvas').getContext('webgl2');
        const name = gl.getParameter(gl.getExtension('WEBGL_debug_renderer_info').UNMASKED_RENDERER_WEBGL);
        return /swiftshader|llvmpipe|softpipe|software|basic render/i.test(name);"""
    )
    assert browser.execute_script("return window.netscope.renderer") == ("canvas2d" if software else "webgl2")
    (xy_gl, colours_gl, sum_gl), (xy_2d, colours_2d, sum_2d) = drawn["webgl2"], drawn["canvas2d"]
    np.testing.assert_allclose(xy_gl, xy_2d, atol=1e-9)
    differ = [i for i in range(n) if colours_gl[i] != colours_2d[i]]
    assert not differ, [(i, colours_gl[i], colours_2d[i]) for i in differ[:5]]
    assert sum_gl == sum_2d  # every pixel, not only the points' centres
    assert len({tuple(c) for c in colours_gl}) > 2
    assert not severe(browser)


def test_wrong_predictions_are_crosses_and_dark_mode_follows_the_system_in_chromium(browser, study):
    from selenium.webdriver.common.by import By

    page = Path(study[1]).resolve()
    data = page_data(page)
    n, labels, predictions = data["n"], decoded(data["labels"]), decoded(data["predictions"])
    browser.get_log("browser")
    open_page(browser, page.as_uri() + "#colour=correct")
    theme = browser.execute_script("return netscopeModules.palette.THEMES")
    xy = screen_positions(browser, n)
    wrong = predictions[0] != labels
    lone = lone_points(xy, range(n), apart=14)
    right_point = next(i for i in lone if not wrong[i])
    wrong_point = next(i for i in lone if wrong[i])
    colour = lambda x, y: browser.execute_script("return window.netscope.colourAt(arguments[0], arguments[1])", x, y)  # noqa: E731
    rgb = lambda hex_: [int(hex_[k : k + 2], 16) for k in (1, 3, 5)]  # noqa: E731
    # Two pixels right of the centre: inside a disc, between the arms of a cross.
    assert colour(*xy[right_point]) == rgb(theme["light"]["correct"])
    assert colour(xy[right_point][0] + 2, xy[right_point][1]) == rgb(theme["light"]["correct"])
    assert colour(*xy[wrong_point]) == rgb(theme["light"]["wrong"])
    assert colour(xy[wrong_point][0] + 2, xy[wrong_point][1]) == rgb(theme["light"]["background"])
    assert colour(xy[wrong_point][0] + 2, xy[wrong_point][1] + 2) == rgb(theme["light"]["wrong"])  # on the arm
    legend = browser.find_element(By.ID, "legend").text
    assert "correct" in legend and "wrong (cross)" in legend

    # The toggle turns the page dark: the map's background and the page's colours follow.
    corner = (3, 3)
    assert colour(*corner) == rgb(theme["light"]["background"])
    browser.find_element(By.ID, "theme-toggle").click()
    assert browser.execute_script("return document.documentElement.dataset.theme") == "dark"
    assert colour(*corner) == rgb(theme["dark"]["background"])
    assert colour(*xy[wrong_point]) == rgb(theme["dark"]["wrong"])
    body = browser.execute_script("return getComputedStyle(document.body).backgroundColor")
    assert body != "rgb(250, 250, 250)" and sum(map(int, body[4:-1].split(","))) < 3 * 80

    # A system set to dark opens the page dark, with no toggle pressed.
    browser.execute_cdp_cmd(
        "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]}
    )
    try:
        open_page(browser, page.as_uri())
        assert browser.execute_script("return document.documentElement.dataset.theme") is None
        assert colour(*corner) == rgb(theme["dark"]["background"])
        assert browser.find_element(By.ID, "theme-toggle").get_attribute("aria-pressed") == "true"
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    settled(browser)
    assert not severe(browser)


@pytest.mark.parametrize("renderer", ["?renderer=webgl2", "?renderer=canvas2d"])
def test_both_renderers_pick_the_point_under_the_pointer_in_chromium(browser, study, renderer):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    page = Path(study[1]).resolve()
    n = page_data(page)["n"]
    open_page(browser, page.as_uri() + renderer)
    size = browser.execute_script("return window.netscope.mapSize().css")
    xy = screen_positions(browser, n)
    overlay = browser.find_element(By.ID, "overlay")
    for i in lone_points(xy, range(n))[:3]:
        ActionChains(browser).move_to_element_with_offset(
            overlay, int(round(xy[i, 0] - size / 2)), int(round(xy[i, 1] - size / 2))
        ).perform()
        wait_for(browser, f"return window.netscope.state.hover === {i}")
    # The map's corner: every point is at least its 12-pixel margin away, beyond the pick's reach of 8.
    ActionChains(browser).move_to_element_with_offset(overlay, int(2 - size / 2), int(2 - size / 2)).perform()
    wait_for(browser, "return window.netscope.state.hover === -1")


def test_metadata_and_hover_text_are_searched_shown_and_exported_in_chromium(browser, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    from netscope import StructureMap

    n = 60
    rng = np.random.default_rng(1)
    maps = StructureMap(k=5, neuron_samples=0).fit(rng.standard_normal((n, 6)), np.arange(n) % 3)
    source = [f"b{i % 4}" for i in range(n)]
    score = [None if i % 5 == 0 else i / 4 for i in range(n)]
    hover = [f"the needle of {i}" if i % 7 == 0 else f"text {i}" for i in range(n)]
    page = maps.to_html(tmp_path / "page.html", metadata={"source": source, "score": score}, hover_text=hover)
    browser.get_log("browser")
    open_page(browser, Path(page).resolve().as_uri())
    count = "return document.getElementById('search-count').textContent"
    box = browser.find_element(By.ID, "search")

    # A metadata column and the hover text are searched like the page's own columns.
    box.send_keys("source=b1")
    wait_for(browser, f"{count} !== ''")
    assert browser.execute_script(count) == f"{source.count('b1')} of {n} match"
    box.send_keys(Keys.CONTROL, "a", Keys.DELETE)
    box.send_keys("needle")
    wait_for(browser, f"{count}.startsWith('{sum('needle' in h for h in hover)} of')")
    assert "source" in browser.find_element(By.ID, "search-columns").text
    box.send_keys(Keys.CONTROL, "a", Keys.DELETE)  # as a user empties it (clear() sends no input event)
    wait_for(browser, f"{count} === ''")

    # The tooltip shows the point's hover text and metadata.
    xy = screen_positions(browser, n)
    i = lone_points(xy, range(n), apart=8)[0]
    size = browser.execute_script("return window.netscope.mapSize().css")
    overlay = browser.find_element(By.ID, "overlay")
    ActionChains(browser).move_to_element_with_offset(
        overlay, int(round(xy[i, 0] - size / 2)), int(round(xy[i, 1] - size / 2))
    ).perform()
    wait_for(browser, f"return window.netscope.state.hover === {i}")
    text = browser.find_element(By.ID, "tooltip-text").text
    assert hover[i] in text and f"source {source[i]}" in text

    # The exports hold the metadata columns beside the page's own.
    open_page(browser, Path(page).resolve().as_uri() + "#selection=0-5")
    lines = browser.execute_script("return window.netscope.exportText('csv')").splitlines()
    assert lines[0].split(",")[-3:] == ["source", "score", "hover_text"]
    assert [line.split(",")[-3:] for line in lines[1:]] == [
        [source[j], "" if score[j] is None else f"{score[j]:g}", hover[j]] for j in range(6)
    ]
    assert not severe(browser)
