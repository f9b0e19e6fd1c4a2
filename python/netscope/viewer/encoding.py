"""How the page stores its arrays: quantised to as few levels as they need in 8 or 16 bits,
byte planes, differences along time, gzip, base64 — decoded in the browser by its own
``DecompressionStream``.

100 000 points × 10 snapshots of positions are 4 MB as 16-bit integers; differences between
consecutive (aligned) snapshots are small numbers, whose high bytes are mostly 0 or 255 once the
bytes are stored plane by plane, and gzip packs those (bench/bench_page.py measures it).
"""

from __future__ import annotations

import base64
import gzip

import numpy as np

# Quantisation steps, each as coarse as what it shows allows (fewer levels pack smaller; at
# 100 000 points × 10 snapshots × 3 layers they took the page from 29 to under 20 MB,
# bench/bench_page.py):
POSITION_LEVELS = 4095  # 12 bits: a step is 0.16 px of the 640-px map, 0.5 px of a 2 000-px screen
SENSITIVITY_LEVELS = 4095  # 12 bits of log range: 0.3 % steps over 5 decades (the tooltip shows 3 digits)
ENERGY_LEVELS = 1000  # energies in [0, 1] to 3 decimals, as the tooltip shows them
IMAGE_LEVELS = 16  # grey levels of the tooltip's thumbnails (the digits have 17)
_CODES = {np.dtype("<u1"): "u1", np.dtype("<u2"): "u2"}


def encode(values: np.ndarray, *, delta: bool = False) -> dict:
    """``values`` (uint8 or uint16, any shape) as the page's JSON blob: ``dtype``, ``shape``,
    ``delta`` (stored as differences along axis 0, modulo 2^bits) and ``b64`` (gzip of the byte
    planes, base64). O(size).
    """
    values = np.ascontiguousarray(values)
    if values.dtype.newbyteorder("<") not in _CODES:
        raise TypeError(f"values must be uint8 or uint16, got {values.dtype}")
    values = values.astype(values.dtype.newbyteorder("<"), copy=False)
    if delta and len(values) > 1:
        values = np.concatenate([values[:1], values[1:] - values[:-1]])  # unsigned: wraps modulo 2^bits
    planes = values.reshape(-1).view(np.uint8).reshape(-1, values.itemsize).T
    packed = gzip.compress(np.ascontiguousarray(planes).tobytes(), compresslevel=6, mtime=0)
    return {
        "dtype": _CODES[values.dtype],
        "shape": list(values.shape),
        "delta": bool(delta),
        "b64": base64.b64encode(packed).decode("ascii"),
    }


def quantise_positions(positions: np.ndarray, levels: int = POSITION_LEVELS):
    """Positions (T, n, 2) as uint16 in one square box over every snapshot (so motion between
    snapshots shows), centred: ``(q (T, n, 2) uint16, lower corner (2,), side)``;
    position = corner + q / levels · side. O(T n).
    """
    positions = np.asarray(positions, dtype=np.float64)
    low, high = positions.min(axis=(0, 1)), positions.max(axis=(0, 1))
    side = float((high - low).max()) or 1.0
    corner = (low + high) / 2 - side / 2
    q = np.rint((positions - corner) / side * levels)
    return np.clip(q, 0, levels).astype(np.uint16), corner, side


def quantise_log(values: np.ndarray, levels: int = SENSITIVITY_LEVELS):
    """Non-negative values as uint16 on a log scale: 0 stays 0, positive values map to
    1..levels between their smallest and largest logarithm. Returns ``(q, log10 low, log10 high,
    :func:`shown_range` of the log10 values)``; value = 10^(low + (q - 1)/(levels - 1) · (high − low)).
    O(size).
    """
    values = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(values)) or values.min(initial=0.0) < 0:
        raise ValueError("values must be finite and non-negative")
    positive = values > 0
    logs = np.log10(values[positive]) if positive.any() else np.zeros(1)
    low, high = float(logs.min()), float(logs.max())
    q = np.zeros(values.shape, dtype=np.uint16)
    scaled = (np.log10(values[positive]) - low) / (high - low) if high > low else np.zeros(positive.sum())
    q[positive] = 1 + np.rint(scaled * (levels - 1)).astype(np.uint16)
    return q, low, high, shown_range(logs)


def shown_range(values) -> list:
    """The colour ramp's ends for ``values``: their 1st and 99th percentiles, so that a few
    outliers do not flatten the ramp (at least 1e-3 apart). O(size).
    """
    low, high = np.percentile(values, [1, 99])
    return [float(low), float(max(high, low + 1e-3))]


def quantise_unit(values: np.ndarray, levels: int = ENERGY_LEVELS) -> np.ndarray:
    """Values in [0, 1] as uint16 (value = q / levels). O(size)."""
    values = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(values)) or values.min(initial=0.0) < 0 or values.max(initial=0.0) > 1:
        raise ValueError("values must lie in [0, 1]")
    return np.rint(values * levels).astype(np.uint16)


def as_images(images, n: int) -> tuple:
    """Inputs to show in the tooltips as ``(uint8 (n, h, w, c), (h, w, c))`` with c 1 or 3,
    scaled to 0..255 over the whole array in ``IMAGE_LEVELS`` steps: ``images`` (n, h, w), (n, h, w, c), (n, c, h, w)
    or (n, d) with d a square number. O(n h w c).
    """
    images = np.asarray(images, dtype=np.float64)
    if len(images) != n:
        raise ValueError(f"images must have one entry per mapped point ({n}), got {len(images)}")
    if images.ndim == 2:
        side = int(round(np.sqrt(images.shape[1])))
        if side * side != images.shape[1]:
            raise ValueError(f"images of shape {images.shape} are flat but not square; pass (n, h, w) or (n, h, w, c)")
        images = images.reshape(n, side, side, 1)
    elif images.ndim == 3:
        images = images[..., None]
    elif images.ndim == 4 and images.shape[1] in (1, 3) and images.shape[3] not in (1, 3):
        images = images.transpose(0, 2, 3, 1)
    if images.ndim != 4 or images.shape[3] not in (1, 3):
        raise ValueError(
            f"images must be (n, h, w), (n, h, w, c), (n, c, h, w) or (n, h*w) with c 1 or 3; got shape {images.shape}"
        )
    if not np.all(np.isfinite(images)):
        raise ValueError("images hold NaN or inf")
    low, high = images.min(), images.max()
    scaled = (images - low) / (high - low) if high > low else np.zeros_like(images)
    steps = np.rint(scaled * (IMAGE_LEVELS - 1)) * (255 // (IMAGE_LEVELS - 1))
    return steps.astype(np.uint8), list(images.shape[1:])
