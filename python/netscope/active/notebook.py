"""Small HTML views of fitted results for notebooks: tables and a hand-written inline SVG (no
script, no matplotlib, no image file), so that a notebook shows them wherever it is opened.
Every name that comes from the user (layers, methods) is HTML-escaped.
"""

from __future__ import annotations

import html

import numpy as np

from .solvers import SOLVERS

# The eigenvalues a view lists, the layers it lists, and the points its curve draws at most.
TOP_EIGENVALUES = 10
TOP_LAYERS = 5
SVG_POINTS = 400

_TABLE = 'style="border-collapse: collapse; margin: 4px 0 8px 0; font-size: 12px"'
_CELL = 'style="padding: 1px 8px; text-align: right; border-bottom: 1px solid #ddd"'
_NAME = 'style="padding: 1px 8px; text-align: left; border-bottom: 1px solid #ddd; font-family: monospace"'
_HEAD = 'style="padding: 1px 8px; text-align: right; border-bottom: 1px solid #888; font-weight: 600"'
_HEAD_NAME = 'style="padding: 1px 8px; text-align: left; border-bottom: 1px solid #888; font-weight: 600"'


def escape(value) -> str:
    """``str(value)`` HTML-escaped, quotes included (safe in text and in attributes)."""
    return html.escape(str(value), quote=True)


def spectrum_svg(
    eigenvalues, *, width: int = 360, height: int = 180, title: str = "eigenvalue decay (log scale)"
) -> str:
    """An inline ``<svg>`` of the eigenvalue decay: λ_i against i, the y axis in log10, one
    ``<path class="spectrum">`` through the positive eigenvalues (zeros and negatives cannot
    sit on a log axis and are left out). The SVG's y grows downwards, so a decreasing spectrum
    is a path whose x increases and whose y increases. Beyond ``SVG_POINTS`` eigenvalues the
    path takes evenly spaced indices (the first and the last among them). O(len).
    """
    values = np.asarray(eigenvalues, dtype=np.float64).ravel()
    index = np.arange(1, len(values) + 1)
    shown = np.isfinite(values) & (values > 0)
    index, values = index[shown], values[shown]
    left, right, top, bottom = 62, 12, 22, 30
    inner_w, inner_h = width - left - right, height - top - bottom
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" style="font: 11px sans-serif">',
        f"<title>{escape(title)}</title>",
        f'<text x="{left}" y="14" fill="#333">{escape(title)}</text>',
        f'<rect x="{left}" y="{top}" width="{inner_w}" height="{inner_h}" fill="none" stroke="#999"/>',
    ]
    if len(values) == 0:
        parts.append(f'<text x="{left + 8}" y="{top + inner_h / 2:.1f}" fill="#666">no positive eigenvalue</text>')
        return "".join(parts) + "</svg>"
    if len(values) > SVG_POINTS:
        pick = np.unique(np.round(np.linspace(0, len(values) - 1, SVG_POINTS)).astype(int))
        index, values = index[pick], values[pick]
    logs = np.log10(values)
    high, low = float(logs.max()), float(logs.min())
    first, last = int(index[0]), int(index[-1])
    if last > first:
        xs = left + (index - first) / (last - first) * inner_w
    else:
        xs = np.full(len(index), left + inner_w / 2)
    ys = top + (high - logs) / (high - low) * inner_h if high > low else np.full(len(logs), top + inner_h / 2)
    path = " ".join(f"{'M' if i == 0 else 'L'}{x:.2f},{y:.2f}" for i, (x, y) in enumerate(zip(xs, ys)))
    parts.append(f'<path class="spectrum" d="{path}" fill="none" stroke="#1f77b4" stroke-width="1.5"/>')
    if len(values) <= 40:
        parts.extend(f'<circle cx="{x:.2f}" cy="{y:.2f}" r="2" fill="#1f77b4"/>' for x, y in zip(xs, ys))
    parts += [
        f'<text x="{left - 4}" y="{top + 4}" text-anchor="end" fill="#333">{10**high:.3g}</text>',
        f'<text x="{left - 4}" y="{top + inner_h}" text-anchor="end" fill="#333">{10**low:.3g}</text>',
        f'<text x="{left}" y="{height - 16}" text-anchor="middle" fill="#333">{first}</text>',
        f'<text x="{left + inner_w}" y="{height - 16}" text-anchor="middle" fill="#333">{last}</text>',
        f'<text x="{left + inner_w / 2:.1f}" y="{height - 4}" text-anchor="middle" fill="#333">index i</text>',
        f'<text x="12" y="{top + inner_h / 2:.1f}" text-anchor="middle" fill="#333" '
        f'transform="rotate(-90 12 {top + inner_h / 2:.1f})">λ_i</text>',
        "</svg>",
    ]
    return "".join(parts)


def _trace(estimator):
    """``(tr C, where it comes from)`` of a fitted ActiveSubspace, or ``(None, None)`` where it
    is unknown (a top-k method without kept gradients or layer blocks). Every exact eigenvalue:
    free; the layers' blocks: their exact traces; the kept gradients: ‖G‖²_F / N, O(N D).
    """
    values, n, dim = estimator.eigenvalues_, estimator.n_samples_, estimator.n_parameters_
    # Exact eigenvalues of C (not a sketch's or a Krylov basis's estimates), all min(N, D) of
    # them: their sum is the trace.
    if SOLVERS[estimator.method].capabilities.exact_eigenvalues and len(values) >= min(n, dim):
        return float(np.sum(values)), "the sum of every eigenvalue"
    blocks = getattr(estimator, "layer_blocks_", None)
    if blocks is not None and blocks.count > 0:
        return float(np.sum(blocks.traces)) / blocks.count, "the layers' blocks (exact traces)"
    gradients = getattr(estimator, "gradients_", None)
    if gradients is not None and len(gradients) > 0:
        step = max(1, 2**22 // max(dim, 1))  # rows per block: about 16 MB of float32 at a time
        total = sum(
            float(
                np.einsum("ij,ij->", gradients[start : start + step], gradients[start : start + step], dtype=np.float64)
            )
            for start in range(0, len(gradients), step)
        )
        return total / len(gradients), "the kept gradients, ‖G‖²/N"
    return None, None


def _eigenvalue_table(values, trace, source) -> str:
    top = values[:TOP_EIGENVALUES]
    if trace is not None and trace > 0:
        denominator, heading = trace, "share of tr C"
        note = f"tr C = {trace:.4g}, from {escape(source)}."
    else:
        denominator, heading = float(np.sum(values)), f"share of the top-{len(values)} sum"
        note = (
            f"tr C is not known (the fit computed only the top {len(values)} eigenvalues and kept no "
            f"gradients): shares are of the sum of the top {len(values)}."
        )
    rows = []
    cumulative = 0.0
    for i, value in enumerate(top, start=1):
        share = value / denominator if denominator > 0 else float("nan")
        cumulative += share
        rows.append(
            f"<tr><td {_CELL}>{i}</td><td {_CELL}>{value:.4g}</td><td {_CELL}>{share:.1%}</td>"
            f"<td {_CELL}>{cumulative:.1%}</td></tr>"
        )
    return (
        f"<table {_TABLE}><thead><tr><th {_HEAD}>i</th><th {_HEAD}>λ_i</th><th {_HEAD}>{escape(heading)}</th>"
        f"<th {_HEAD}>cumulative</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f'<div style="font-size: 11px; color: #555">{note}</div>'
    )


def _layer_table(estimator) -> str:
    importance = estimator.layer_importance()
    ranked = sorted(importance.layers.items(), key=lambda item: item[1].share, reverse=True)[:TOP_LAYERS]
    rows = "".join(
        f"<tr><td {_NAME}>{escape(layer)}</td><td {_CELL}>{entry.parameters}</td>"
        f"<td {_CELL}>{entry.share:.1%}</td><td {_CELL}>{entry.enrichment:.2f}×</td></tr>"
        for layer, entry in ranked
    )
    count = len(importance.layers)
    shown = f"the top {len(ranked)} of {count}" if count > len(ranked) else "every layer"
    return (
        f'<div style="margin-top: 6px">Where the leading {importance.k} eigenvectors load ({shown}):</div>'
        f"<table {_TABLE}><thead><tr><th {_HEAD_NAME}>layer</th><th {_HEAD}>parameters</th>"
        f"<th {_HEAD}>share</th><th {_HEAD}>enrichment</th></tr></thead><tbody>{rows}</tbody></table>"
        f'<div style="font-size: 11px; color: #555">share: of the top-{importance.k} eigenvectors\' squared '
        f"coefficients; enrichment: share / the layer's share of the D parameters.</div>"
    )


def active_subspace_html(estimator) -> str:
    """The notebook view of an :class:`netscope.ActiveSubspace`: unfitted, its repr in
    ``<pre>``; fitted, the method, N and D, the top eigenvalues with their share of tr C (of the
    top-k sum where the trace is unknown, and it says so), the top layers by
    ``layer_importance()`` where a parameter layout exists, and :func:`spectrum_svg`.
    """
    if not hasattr(estimator, "eigenvalues_"):
        return f"<pre>{escape(repr(estimator))}</pre>"
    values = np.asarray(estimator.eigenvalues_, dtype=np.float64)
    trace, source = _trace(estimator)
    k = estimator.eigenvectors_.shape[1]
    sampling = getattr(estimator, "sampling_", None)
    header = (
        f"<div><strong>ActiveSubspace</strong> · method <code>{escape(estimator.method)}</code>"
        + (f" · sampling <code>{escape(sampling)}</code>" if sampling else "")
        + f" · N = {estimator.n_samples_} samples · D = {estimator.n_parameters_} parameters"
        + f" · {len(values)} eigenvalues, {k} eigenvectors</div>"
    )
    tables = _eigenvalue_table(values, trace, source)
    if getattr(estimator, "parameter_layout_", None) is not None and k > 0:
        tables += _layer_table(estimator)
    return (
        f'<div class="netscope-active-subspace" style="font: 12px sans-serif">{header}'
        f'<div style="display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start">'
        f"<div>{tables}</div><div>{spectrum_svg(values)}</div></div>"
        f'<div style="font-size: 11px; color: #555; margin-top: 4px"><code>{escape(repr(estimator))}</code></div>'
        f"</div>"
    )
