"""The page's flags of ``netscope structure``: ``--classes``, ``--metadata FILE.csv`` and
``--hover-column``, read and checked, and errors that name the flag that gave the value.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

# A metadata cell that reads as a number becomes one (a column is numeric when all its filled cells are).
_INTEGER = re.compile(r"^[+-]?\d+$")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def read_classes(value: str) -> list:
    """``--classes``: comma-separated names, or ``@FILE`` with one name per line (blank lines skipped)."""
    if value.startswith("@"):
        try:
            names = [line.strip() for line in Path(value[1:]).read_text(encoding="utf-8-sig").splitlines()]
        except OSError as error:
            raise ValueError(f"--classes: cannot read {value[1:]} ({error.strerror or error})") from None
        names = [name for name in names if name]
    else:
        names = [name.strip() for name in value.split(",")]
    if not names or not all(names):
        raise ValueError(f"--classes: {value!r} holds an empty name; give one name per class, e.g. cat,dog,bird")
    return names


def csv_column(cells: list):
    """One CSV column: numbers where every filled cell reads as one (ints if all are integers),
    else text; empty cells are missing (None).
    """
    filled = [cell.strip() for cell in cells if cell.strip()]
    if filled and all(_INTEGER.match(cell) for cell in filled):
        return [int(cell) if cell.strip() else None for cell in cells]
    if filled and all(_NUMBER.match(cell) for cell in filled):
        return [float(cell) if cell.strip() else None for cell in cells]
    return [cell if cell.strip() else None for cell in cells]


def read_csv(path: str) -> dict:
    """``--metadata FILE.csv``: a header row of column names, then one row per probe example;
    returns {name: the column's cells as text}, in the file's column order.
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as file:
            rows = list(csv.reader(file))
    except OSError as error:
        raise ValueError(f"--metadata: cannot read {path} ({error.strerror or error})") from None
    except (UnicodeDecodeError, csv.Error) as error:
        raise ValueError(f"--metadata: {path} is not a UTF-8 CSV file ({error})") from None
    if not rows:
        raise ValueError(f"--metadata: {path} is empty; it needs a header row of column names")
    header, rows = [name.strip() for name in rows[0]], rows[1:]
    for line, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise ValueError(
                f"--metadata: {path}, line {line}, has {len(row)} cells; the header row names {len(header)} columns"
            )
    if len(set(header)) != len(header):
        repeated = next(name for name in header if header.count(name) > 1)
        raise ValueError(f"--metadata: {path} names the column {repeated!r} twice")
    return {name: [row[i] for row in rows] for i, name in enumerate(header)}


def page_extras(args) -> dict:
    """The page's ``classes``, ``metadata`` and ``hover_text`` from --classes, --metadata and
    --hover-column (each None where not given).
    """
    from ..core._metadata import metadata_columns

    if args.hover_column is not None and args.metadata is None:
        raise ValueError("--hover-column names a column of --metadata FILE.csv; give --metadata too")
    cells = None if args.metadata is None else read_csv(args.metadata)
    metadata = None if cells is None else {name: csv_column(column) for name, column in cells.items()}
    if cells is not None:  # the names and values now; the number of rows once the probe's size is known
        metadata_columns(metadata, len(next(iter(cells.values()), [])))
    hover_text = None
    if args.hover_column is not None:
        assert cells is not None
        if args.hover_column not in cells:
            raise ValueError(
                f"--hover-column: {args.metadata} has no column {args.hover_column!r} (its columns: {', '.join(cells)})"
            )
        hover_text = cells[args.hover_column]  # the text as written, also where it reads as numbers
    return {
        "classes": None if args.classes is None else read_classes(args.classes),
        "metadata": metadata,
        "hover_text": hover_text,
    }


def flag_error(error: ValueError, args) -> ValueError:
    """A page argument's error (its message starts with classes, metadata or hover_text) as the
    error of the flag that gave it; other errors as they are.
    """
    message = str(error)
    flags = {
        "classes": ("--classes", args.classes),
        "metadata": (f"--metadata {args.metadata}", args.metadata),
        "hover_text": (f"--hover-column {args.hover_column}", args.hover_column),
    }
    for name, (flag, given) in flags.items():
        if given is not None and re.match(rf"{name}\b", message):
            return ValueError(flag + message[len(name) :])
    return error
