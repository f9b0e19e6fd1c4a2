"""The page's metadata columns and hover text, checked and laid out as the page's data holds them
(:func:`netscope.viewer.page.page_html`), here below the viewer so that the recorder, which keeps
them with a run's probe, checks them the same way. numpy only: a pandas DataFrame is recognised
where pandas is loaded already, and pandas is never imported here.
"""

from __future__ import annotations

import math
import numbers
import re
import sys
from collections.abc import Mapping

import numpy as np

# The page's own columns (search, tooltip, selection table, export): metadata columns may not take these names.
PAGE_COLUMNS = ("sample", "label", "true_label", "prediction", "sensitivity", "energy", "scrambled", "corrupted")
# The page's search syntax reads name=value, name:value, spaces and commas: a column's name holds none of them.
_NAME_BREAKS = re.compile(r"[\s:=,]")


def _looks_like_dataframe(value) -> bool:
    """Whether ``value`` is a pandas DataFrame (or a subclass's), without importing pandas: an
    object can only be one where pandas is imported already.
    """
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(value, pandas.DataFrame)


def _missing(value) -> bool:
    """None, NaN, and pandas' NA and NaT (checked by their type's name: pandas is not imported)."""
    if value is None:
        return True
    if isinstance(value, (float, np.floating)):
        return math.isnan(value)
    return type(value).__name__ in ("NAType", "NaTType")


def _column_values(values, name: str, n: int) -> list:
    """One metadata column as n JSON scalars: int/float for numbers (missing: None), bool for
    booleans, str for anything else (missing: None)."""
    where = f"metadata: column {name!r}"
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__") and not hasattr(values, "__array__"):
        raise TypeError(f"{where} must be a sequence of {n} values (one per point), got {type(values).__name__}")
    try:
        array = np.asarray(values)
    except ValueError as error:  # ragged nested sequences
        raise ValueError(f"{where} must be 1-D, one value per point ({error})") from None
    if array.ndim != 1:
        raise ValueError(f"{where} must be 1-D, one value per point, got shape {array.shape}")
    if len(array) != n:
        raise ValueError(f"{where} has {len(array)} values, expected {n} (one per point)")
    kind = array.dtype.kind
    if kind in "biuU":
        return array.tolist()
    if kind == "S":
        return [item.decode("utf-8", errors="replace") for item in array.tolist()]
    if kind == "f":
        infinite = np.flatnonzero(np.isinf(array))
        if len(infinite):
            raise ValueError(f"{where} holds inf at row {infinite[0]}; numbers must be finite or missing (NaN, None)")
        return [None if v != v else v for v in array.tolist()]
    if kind in "Mm":
        return [None if np.isnat(v) else str(v) for v in array]
    if kind != "O":
        raise TypeError(f"{where} must hold numbers, booleans or strings, got dtype {array.dtype}")
    items = array.tolist()
    present = [v for v in items if not _missing(v)]
    if present and all(isinstance(v, (bool, np.bool_)) for v in present):
        return [None if _missing(v) else bool(v) for v in items]
    if all(isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_)) for v in present):
        column = [None if _missing(v) else int(v) if isinstance(v, numbers.Integral) else float(v) for v in items]
        rows = [i for i, v in enumerate(column) if isinstance(v, float) and math.isinf(v)]
        if rows:
            raise ValueError(f"{where} holds inf at row {rows[0]}; numbers must be finite or missing (NaN, None)")
        return column
    return [
        None if _missing(v) else v.decode("utf-8", errors="replace") if isinstance(v, bytes) else str(v) for v in items
    ]


def metadata_columns(metadata, n: int):
    """``metadata`` checked and laid out as the page holds it: None, or one ``{"name", "values"}``
    dict per column, in the caller's order, each with ``n`` JSON scalars (numbers as int/float,
    booleans as bool, anything else as str; NaN, None and pandas' NA/NaT as None).

    Parameters
    ----------
    metadata : None, a mapping {name: sequence of n values} or a pandas DataFrame (its columns
        in order, its index ignored: row i is point i). An empty one is None.
    n : int — the number of points.

    Returns
    -------
    list of dict or None

    Raises
    ------
    TypeError
        ``metadata`` of another type, a name that is not a string, a column of other values.
    ValueError
        A column that is not 1-D or not of n values, an infinite number, a name that is empty, holds ':',
        '=', ',' or whitespace, repeats another (case-insensitively) or is one of the page's own columns
        (:data:`PAGE_COLUMNS`).

    Cost: O(n) per column.
    """
    if metadata is None:
        return None
    if _looks_like_dataframe(metadata):
        pairs = [(name, metadata[name]) for name in metadata.columns] if metadata.columns.is_unique else None
        if pairs is None:
            repeated = metadata.columns[metadata.columns.duplicated()][0]
            raise ValueError(f"metadata: column name {repeated!r} repeats another column's name")
    elif isinstance(metadata, Mapping):
        pairs = list(metadata.items())
    else:
        raise TypeError(
            f"metadata must be a mapping {{name: sequence of {n} values}} or a pandas DataFrame, "
            f"got {type(metadata).__name__}"
        )
    columns: list = []
    seen: dict[str, str] = {}
    for name, values in pairs:
        if not isinstance(name, str):
            raise TypeError(f"metadata: column names must be strings, got {name!r} ({type(name).__name__})")
        if not name:
            raise ValueError("metadata: a column name is empty; name every column")
        if _NAME_BREAKS.search(name):
            raise ValueError(
                f"metadata: column name {name!r} holds ':', '=', ',' or whitespace, which the page's "
                "search reads as syntax (name=value, name:value, terms split at spaces and commas); "
                "rename it, e.g. with '_'"
            )
        if name.lower() in PAGE_COLUMNS:
            raise ValueError(
                f"metadata: column name {name!r} clashes with the page's own column "
                f"{name.lower()!r} (its own columns: {', '.join(PAGE_COLUMNS)}); rename it"
            )
        if name.lower() in seen:
            raise ValueError(
                f"metadata: column name {name!r} repeats {seen[name.lower()]!r} (names are compared without case)"
            )
        seen[name.lower()] = name
        columns.append({"name": name, "values": _column_values(values, name, n)})
    return columns or None


def hover_strings(hover_text, n: int):
    """``hover_text`` checked, as the page holds it: None, or a list of ``n`` strings (None and
    NaN become ""), one per point, shown in its tooltip.

    Parameters
    ----------
    hover_text : None or a sequence of n strings (a list, a numpy array, a pandas Series).
    n : int — the number of points.

    Returns
    -------
    list of str or None

    Raises
    ------
    TypeError
        Not a sequence (or one string), or an item that is not a string.
    ValueError
        Not 1-D, or not n items.

    Cost: O(n).
    """
    if hover_text is None:
        return None
    if (
        isinstance(hover_text, (str, bytes))
        or not hasattr(hover_text, "__len__")
        and not hasattr(hover_text, "__array__")
    ):
        raise TypeError(
            f"hover_text must be a sequence of {n} strings (one per point), got {type(hover_text).__name__}"
        )
    try:
        array = np.asarray(hover_text, dtype=object)
    except ValueError as error:
        raise ValueError(f"hover_text must be 1-D, one string per point ({error})") from None
    if array.ndim != 1:
        raise ValueError(f"hover_text must be 1-D, one string per point, got shape {array.shape}")
    if len(array) != n:
        raise ValueError(f"hover_text has {len(array)} strings, expected {n} (one per point)")
    strings = []
    for i, item in enumerate(array.tolist()):
        if _missing(item):
            item = ""
        elif not isinstance(item, str):
            raise TypeError(f"hover_text must hold strings, got {type(item).__name__} at row {i}")
        strings.append(str(item))
    return strings
