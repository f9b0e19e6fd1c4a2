"""netscope's files of arrays: one ``.npz`` with a JSON header, no pickle, written atomically.

An archive is a zip of ``.npy`` arrays (``numpy.savez``), none of dtype object, so that
``numpy.load(path, allow_pickle=False)`` reads it whole. Its ``header`` entry is a 0-d unicode
array holding JSON with at least ``format`` (what the file is, e.g. "netscope.StructureMap") and
``version`` (an int); a reader refuses another format and newer versions. Writers go through a
temporary name renamed over the target, so a reader (or a crash) never meets half a file.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import numpy as np


def _json_scalar(value):
    """numpy scalars (e.g. a parameter set to np.int64(10)) as the Python values JSON takes."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} cannot be saved in a netscope file's header")


def write_archive(path, header: dict, arrays: dict, *, compress: bool = True) -> Path:
    """Write ``header`` (JSON-ready, with ``format`` and ``version``) and ``arrays`` (name ->
    ndarray, no object dtype) to ``path`` through ``<path>.partial``, renamed over ``path`` once
    complete. Returns the path. O(size of the arrays)."""
    entries = {"header": np.array(json.dumps(header, default=_json_scalar)), **arrays}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with open(partial, "wb") as file:  # a file object: numpy would append ".npz" to a name
        (np.savez_compressed if compress else np.savez)(file, **entries)
        file.flush()
        os.fsync(file.fileno())
    os.replace(partial, path)
    return path


def read_archive(path, format: str, max_version: int, *, what: str):
    """``(header, archive)`` of the file at ``path``: the checked header and the open
    ``NpzFile`` (use it as a context manager). ValueError naming ``what`` (e.g. "a saved netscope
    StructureMap") for a file that is not one, or one of a version above ``max_version``."""
    not_ours = f"path: {path} is not {what}"
    try:
        archive = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f"{not_ours} ({error})") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"{not_ours} (it holds one bare array)")
    try:
        if "header" not in archive.files:
            raise ValueError(f"{not_ours} (it has no header)")
        try:
            header = json.loads(str(archive["header"]))
        except (ValueError, zipfile.BadZipFile):
            raise ValueError(f"{not_ours} (its header is not JSON)") from None
        if not isinstance(header, dict) or header.get("format") != format or not isinstance(header.get("version"), int):
            raise ValueError(f"{not_ours} (its header names no {format} format)")
        if header["version"] > max_version:
            raise ValueError(
                f"path: {path} was written by a newer netscope (format version {header['version']}; "
                f"this one reads versions up to {max_version}): upgrade netscope to open it"
            )
    except ValueError:
        archive.close()
        raise
    return header, archive
