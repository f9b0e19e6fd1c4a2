"""The observatory page at scale, against the plotting libraries a user would otherwise pick.

A real run: the structure study's MLP (64-128-64-32-10) learns the digits while an
ActivationTracker and a SubspaceTracker follow a probe set of ``--points`` jittered digit images
(default 100 000) at ``--snapshots`` epochs (default 10); StructureMap maps its hidden layers and
``to_html`` writes the page. Then, in one headless Chromium and on the same positions of one layer:

- netscope's page: file size, load time (navigation start to the page's ready flag, data decoded
  and first frame drawn), and the time of one interpolated frame of all points
  (``window.netscope.show(t)`` plus two animation frames, so that it is painted), drawn with
  WebGL2 and with Canvas 2D (the same file opened with ``?renderer=webgl2`` and ``?renderer=canvas2d``);
- plotly (``plotly.express.scatter``, WebGL, one animation frame per snapshot, its JavaScript
  inline) and bokeh (WebGL, a ColumnDataSource with every snapshot, BokehJS inline): file size,
  load time, and one redraw of the same interpolated positions through their own update paths
  (``Plotly.restyle``; new ``source.data`` columns and ``source.change.emit()``).

- at scale (``--scale-points``, default 1 000 000): one layer of the same run, every probe point
  repeated with a fixed jitter of 0.2 % of the map (so the points move as the run's did, and each
  copy has its own place), its sensitivities and predictions repeated with it; netscope's page of
  it with WebGL2 and with Canvas 2D, side by side (each forced by the page's ``?renderer=``; unasked,
  the page picks WebGL2 on a GPU and Canvas 2D where WebGL2 runs on the CPU, as here).

Chromium draws WebGL with SwiftShader here (no GPU): the CPU runs the shaders, so a GPU only widens
the gap. Writes ``bench/results/page.json``. Needs Chromium and chromedriver (Debian's packages)
and ``pip install plotly bokeh selenium``.

    python bench/bench_page.py [--points 100000] [--snapshots 10] [--frames 10] [--scale-points 1000000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from _harness import jittered_digits, write_result
from netscope import ActivationTracker, StructureMap
from netscope.active.tracking import SubspaceTracker
from netscope.structure.results import LayerMaps, MapResult
from netscope.studies.active import peak_memory_mb
from netscope.studies.models import digits, mlp_from_sizes
from netscope.viewer import write_page

EPOCHS = (0, 1, 2, 3, 5, 8, 13, 20, 25, 30)


def training_run(n_points: int, n_snapshots: int, seed: int = 0):
    """Train the study's MLP; return the fitted StructureMap, the SubspaceTracker, the probe
    images and the seconds of each stage."""
    torch.manual_seed(seed)
    x_train, y_train, x_probe, y_probe = digits(seed=seed)
    probe_x, probe_y = jittered_digits(x_probe.numpy(), y_probe.numpy(), n_points, seed=seed)
    probe = (torch.as_tensor(probe_x), torch.as_tensor(probe_y))
    model = mlp_from_sizes([64, 128, 64, 32, 10], "relu")
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss = torch.nn.functional.cross_entropy
    tracker = ActivationTracker(model, probe, loss_fn=loss, batch_size=4096)
    subspace = SubspaceTracker(model, loss, probe)
    snapshots = set(EPOCHS[: n_snapshots - 1] + EPOCHS[-1:]) if n_snapshots < len(EPOCHS) else set(EPOCHS)
    generator = torch.Generator().manual_seed(seed)
    timings = {"tracking": 0.0, "subspace": 0.0}
    for epoch in range(max(snapshots) + 1):
        if epoch > 0:
            for batch in torch.randperm(len(x_train), generator=generator).split(64):
                optimiser.zero_grad()
                loss(model(x_train[batch]), y_train[batch]).backward()
                optimiser.step()
        if epoch in snapshots:
            start = time.perf_counter()
            tracker.snapshot(label=epoch)
            timings["tracking"] += time.perf_counter() - start
            start = time.perf_counter()
            subspace.snapshot(label=epoch)
            timings["subspace"] += time.perf_counter() - start
            print(f"epoch {epoch}: tracked", flush=True)
    start = time.perf_counter()
    maps = StructureMap().fit(tracker)
    timings["maps"] = time.perf_counter() - start
    return maps, subspace, 16 * (1 - probe_x.reshape(-1, 8, 8)), timings


def scaled_up(maps, layer: str, n_points: int, seed: int = 0) -> MapResult:
    """The fitted ``maps``' result with ``layer`` alone and ``n_points`` points: each point
    repeated (whole copies of the probe, then the first points of one more) and moved by a fixed
    Gaussian jitter of 0.2 % of the map's span, with its label, prediction and sensitivity. O(T n_points)."""
    result = maps.result_
    n = result.n_points
    take = np.resize(np.arange(n), n_points)
    one = result.layer(layer)
    positions = np.stack(one.positions)
    span = float(np.ptp(positions.reshape(-1, 2), axis=0).max())
    jitter = np.random.default_rng(seed).normal(scale=0.002 * span, size=(n_points, 2))
    return MapResult(
        layers=(
            LayerMaps(
                name=layer,
                positions=tuple(p[take] + jitter for p in positions),
                graphs=(None,) * len(one),  # the page draws no edges
                sensitivity=tuple(np.asarray(s)[take] for s in one.sensitivity),
                metrics=one.metrics,
            ),
        ),
        labels=np.asarray(result.labels)[take],
        snapshot_labels=result.snapshot_labels,
        predictions=np.asarray(result.predictions)[:, take],
    )


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1500,1100",
        "--enable-unsafe-swiftshader",
        "--use-angle=swiftshader",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_script_timeout(600)
    return driver


def load_seconds(driver, uri: str, ready: str) -> float:
    """Seconds from navigation start until the script ``ready`` returns true."""
    driver.get("about:blank")
    driver.get(uri)
    deadline = time.monotonic() + 300
    while not driver.execute_script(ready):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{uri} did not become ready")
        time.sleep(0.02)
    return driver.execute_script("return performance.now()") / 1000


PAINTED = "await new Promise(r => requestAnimationFrame(r)); await new Promise(r => requestAnimationFrame(r));"


def frame_ms(driver, redraw: str, frames: int) -> float:
    """Mean milliseconds of ``redraw`` (JavaScript with ``t`` in [0, 1) and the arrays ``a``, ``b``
    of two snapshots in scope) followed by its painting, over ``frames`` frames."""
    return driver.execute_async_script(f"""
        const done = arguments[arguments.length - 1];
        (async () => {{
          const start = performance.now();
          for (let f = 0; f < {frames}; f++) {{ const t = (f + 0.5) / {frames}; {redraw} {PAINTED} }}
          done((performance.now() - start) / {frames});
        }})();""")


def plotly_page(path: Path, positions, labels, snapshots):
    import pandas as pd
    import plotly.express as px

    T, n, _ = positions.shape
    frame = pd.DataFrame(
        {
            "x": positions[..., 0].ravel(),
            "y": positions[..., 1].ravel(),
            "snapshot": np.repeat(snapshots, n),
            "id": np.tile(np.arange(n), T),
            "label": np.tile(labels, T),
        }
    )
    # A numeric colour keeps all points in one trace, which one restyle redraws.
    figure = px.scatter(
        frame,
        x="x",
        y="y",
        animation_frame="snapshot",
        animation_group="id",
        color="label",
        render_mode="webgl",
        width=900,
        height=800,
    )
    figure.write_html(path, include_plotlyjs=True, full_html=True)


def bokeh_page(path: Path, positions, labels):
    from bokeh.embed import file_html
    from bokeh.models import ColumnDataSource
    from bokeh.plotting import figure
    from bokeh.resources import INLINE

    columns = {f"x{t}": positions[t, :, 0] for t in range(len(positions))}
    columns.update({f"y{t}": positions[t, :, 1] for t in range(len(positions))})
    palette = np.array(
        ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
    )
    source = ColumnDataSource(
        {"x": positions[0, :, 0], "y": positions[0, :, 1], "colour": palette[labels % 10], **columns}
    )
    plot = figure(width=900, height=800, output_backend="webgl", name="map")
    plot.scatter("x", "y", color="colour", source=source, size=3)
    path.write_text(file_html(plot, INLINE, "bokeh"), encoding="utf-8")


BOKEH_SOURCE = "const doc = Bokeh.documents[0]; const s = [...doc.all_models].find(m => m.data && m.data.x0);"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--snapshots", type=int, default=10)
    parser.add_argument("--frames", type=int, default=10, help="frames timed per page (default: %(default)s)")
    parser.add_argument("--scale-points", type=int, default=1_000_000, help="points of the page at scale (0: none)")
    args = parser.parse_args()

    maps, subspace, images, timings = training_run(args.points, args.snapshots)
    folder = Path(tempfile.mkdtemp(prefix="bench_page_"))
    page = folder / "maps.html"
    start = time.perf_counter()
    maps.to_html(page, images=images, subspace=subspace)
    timings["page"] = time.perf_counter() - start
    print(f"stages (s): {timings}; peak memory {peak_memory_mb():.0f} MB", flush=True)

    layer = maps.layers_[-1]
    positions = np.stack(maps.positions_[layer]).astype(np.float32)
    labels = np.asarray(maps.labels_)
    plotly_path, bokeh_path = folder / "plotly.html", folder / "bokeh.html"
    plotly_page(plotly_path, positions, labels, maps.snapshot_labels_)
    bokeh_page(bokeh_path, positions, labels)
    n, frames = len(labels), args.frames
    interpolated = (
        "const x = new Float32Array(n), y = new Float32Array(n); "
        "for (let i = 0; i < n; i++) { x[i] = a.x[i] + (b.x[i] - a.x[i]) * t; y[i] = a.y[i] + (b.y[i] - a.y[i]) * t; }"
    )
    ready, show = "return document.body.dataset.ready === 'true'", "window.netscope.show(t);"
    pages = {
        "netscope to_html, WebGL2": (page.as_uri() + "?renderer=webgl2", ready, show, n),
        "netscope to_html, Canvas 2D": (page.as_uri() + "?renderer=canvas2d", ready, show, n),
        "plotly express, WebGL, animation frames": (
            plotly_path.as_uri(),
            "const g = document.querySelector('.js-plotly-plot'); return !!(g && g._fullLayout && g._transitionData)",
            "const g = document.querySelector('.js-plotly-plot'), frames = g._transitionData._frames, "
            "n = g.data[0].x.length; "
            "const a = frames[0].data[0], b = frames[1].data[0]; "
            + interpolated
            + " await Plotly.restyle(g, {x: [x], y: [y]}, [0]);",
            n,
        ),
        "bokeh, WebGL, ColumnDataSource": (
            bokeh_path.as_uri(),
            "const r = window.Bokeh && Bokeh.index && Bokeh.index.roots; "
            "return !!(r && r.length && r.every(v => v.has_finished()))",
            BOKEH_SOURCE
            + " const n = s.data.x0.length; const a = {x: s.data.x0, y: s.data.y0}, b = {x: s.data.x1, y: s.data.y1}; "
            + interpolated
            + " s.data.x = x; s.data.y = y; s.change.emit();",
            n,
        ),
    }
    if args.scale_points:
        scaled_path = folder / "scaled.html"
        start = time.perf_counter()
        write_page(scaled_path, scaled_up(maps, layer, args.scale_points))
        timings["scaled page"] = time.perf_counter() - start
        for renderer, query in (("WebGL2", "?renderer=webgl2"), ("Canvas 2D", "?renderer=canvas2d")):
            pages[f"netscope at scale, {renderer}"] = (scaled_path.as_uri() + query, ready, show, args.scale_points)
    driver = browser()
    rows = []
    try:
        for name, (uri, ready, redraw, points) in pages.items():
            seconds = load_seconds(driver, uri, ready)
            time.sleep(1.0)
            milliseconds = frame_ms(driver, redraw, frames)
            path = Path(uri.removeprefix("file://").split("?")[0])
            rows.append(
                {
                    "page": name,
                    "points": points,
                    "snapshots": len(maps.snapshot_labels_),
                    "layers": len(maps.layers_) if path == page else 1,
                    "renderer": driver.execute_script("return window.netscope ? window.netscope.renderer : 'webgl'"),
                    "size MB": path.stat().st_size / 1e6,
                    "load s": seconds,
                    "ms per frame": milliseconds,
                    "frames per s": 1000 / milliseconds,
                }
            )
            print(rows[-1], flush=True)
    finally:
        driver.quit()
    # Each page against netscope's Canvas 2D page of the same points.
    for row in rows:
        base = next(r for r in rows if r["points"] == row["points"] and r["renderer"] == "canvas2d")
        row["frame time / netscope Canvas 2D"] = row["ms per frame"] / base["ms per frame"]
    write_result(
        "page",
        rows,
        stages_s=timings,
        peak_memory_mb=peak_memory_mb(),
        note="plotly and bokeh draw one layer without tooltips' images; netscope's page of the run holds every "
        "layer, sensitivities, energies, predictions, images and the charts; its page at scale one layer, its "
        "sensitivities and predictions. WebGL runs on SwiftShader (the CPU) in this headless Chromium.",
    )


if __name__ == "__main__":
    main()
