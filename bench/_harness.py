"""Shared pieces of the benchmarks: timing, accuracy measures, and the results file."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import scipy.linalg

RESULTS = Path(__file__).resolve().parent / "results"


def best_time(function, repeat: int = 3):
    """Smallest wall time of ``repeat`` calls, and the last call's result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def compare(candidates: dict, score, *, baseline: str, repeat: int) -> list[dict]:
    """Time every candidate on the same input and score its result.

    ``candidates`` maps a method name to a zero-argument call; ``score(result)`` returns the
    accuracy columns of a row. Each row also gets its speed-up over the ``baseline`` method.
    """
    rows = []
    for name, run in candidates.items():
        seconds, result = best_time(run, repeat)
        rows.append({"method": name, "seconds": seconds, **score(result)})
        print(rows[-1], flush=True)
    baseline_seconds = next(row["seconds"] for row in rows if row["method"] == baseline)
    for row in rows:
        row[f"speed-up vs {baseline}"] = baseline_seconds / row["seconds"]
    return rows


def stream(state, rows, chunk: int):
    """Feed ``rows`` to a GramAccumulator or NystromSketch ``state`` in chunks; return the state."""
    for start in range(0, len(rows), chunk):
        state.update(rows[start : start + chunk])
    return state


def max_principal_angle_degrees(A, B) -> float:
    """Largest principal angle between the column spans of A and B, in degrees."""
    return float(np.degrees(np.max(scipy.linalg.subspace_angles(np.asarray(A, float), np.asarray(B, float)))))


def random_orthonormal(rng, rows: int, cols: int) -> np.ndarray:
    q, _ = np.linalg.qr(rng.standard_normal((rows, cols)))
    return q


def jittered_digits(images, labels, n: int, seed: int = 0):
    """``n`` noisy copies of the 8×8 digit ``images`` (m, 64), each shifted by up to a pixel:
    ``(float32 (n, 64), labels (n,))`` — real-looking inputs at any size."""
    rng = np.random.default_rng(seed)
    chosen = rng.integers(len(images), size=n)
    shifts = rng.integers(-1, 2, size=(n, 2))
    shifted = np.stack(
        [np.roll(image, tuple(shift), axis=(0, 1)) for image, shift in zip(images.reshape(-1, 8, 8)[chosen], shifts)]
    )
    noisy = shifted.reshape(n, 64) + 0.1 * rng.standard_normal((n, 64))
    return noisy.astype(np.float32), labels[chosen]


def machine() -> dict:
    import scipy

    import netscope

    return {
        "cpu_count": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "netscope": netscope.__version__,
    }


def write_result(name: str, rows: list[dict], **extra) -> Path:
    """Write ``bench/results/<name>.json`` and print the rows as a table."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"benchmark": name, "machine": machine(), **extra, "rows": rows}, indent=2))
    columns = list(rows[0])
    widths = [max(len(c), *(len(_format(row[c])) for row in rows)) for c in columns]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
    for row in rows:
        print("  ".join(_format(row[c]).ljust(w) for c, w in zip(columns, widths)))
    print(f"wrote {path}")
    return path


def _format(value) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)
