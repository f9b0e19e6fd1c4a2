"""Input checks shared by every public entry point: each names the argument and the fix."""

from __future__ import annotations

import numbers

import numpy as np

from .. import _core

FLOAT_DTYPES = (np.float32, np.float64)
# Label dtypes a map takes: booleans, integers, floats, unicode and byte strings (numpy kinds).
LABEL_KINDS = "biufUS"


def as_labels(labels, name: str) -> np.ndarray:
    """Return ``labels`` as a numpy array of classes: booleans, integers, finite floats or
    strings (an object array, e.g. of class names, becomes the array numpy infers from its
    items). The caller checks the shape. O(n).
    """
    labels = np.asarray(labels)
    if labels.dtype == object:
        labels = np.array(labels.tolist())
    if labels.dtype.kind not in LABEL_KINDS:
        raise TypeError(f"{name} must hold integers, floats, booleans or strings, got dtype {labels.dtype}")
    if labels.dtype.kind == "f" and not np.all(np.isfinite(labels)):
        raise ValueError(f"{name} holds NaN or inf")
    return labels


def as_float_matrix(value, name: str) -> np.ndarray:
    """Return ``value`` as a C-contiguous 2-D float32/float64 array, copying only if needed.

    float32 and float64 arrays pass through untouched (zero copy when already C-contiguous);
    other real dtypes (integers, bool, float16) are converted to float64.
    """
    try:
        array = np.asarray(value)
    except Exception as error:  # e.g. a CUDA tensor or a ragged list
        raise TypeError(f"{name} must be array-like (numpy array, list, CPU tensor): {error}") from None
    if array.dtype.type not in FLOAT_DTYPES:
        if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_) or np.iscomplexobj(array):
            raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
        array = array.astype(np.float64)
    if array.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {array.shape}")
    return np.ascontiguousarray(array)


def check_all_finite(array: np.ndarray, name: str) -> None:
    """Raise ValueError naming the first row of ``array`` that holds NaN or inf. O(size)."""
    row = _core.first_nonfinite_row(array)
    if row >= 0:
        raise ValueError(f"{name} holds NaN or inf in row {row}; remove or fix those values")


def check_int(value, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as an int after checking its type and range."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value
