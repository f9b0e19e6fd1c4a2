"""Where fitted maps meet their page, without structure/ importing the viewer.

structure/ computes the maps; :mod:`netscope.viewer` draws a :class:`.results.MapResult` as a page
and imports no estimator. :meth:`netscope.StructureMap.to_html` and its notebook view
(``_repr_html_``) need the page all the same, so the two meet above both: the package's public face
(``netscope/__init__.py``, which Python runs before any module of the package) installs the
viewer's page functions here (:func:`install_page`), and the estimator reaches them through
:func:`page_functions`. Nothing here imports the viewer.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .results import MapResult


class PageFunctions(Protocol):
    """What the page's writer provides (:mod:`netscope.viewer.page`'s functions of the same names)."""

    def page_html(self, result: MapResult, **options) -> str:
        """The page of ``result``, as text."""
        ...

    def write_page(self, path, result: MapResult, **options) -> Path:
        """Write the page of ``result`` to ``path``; returns the path."""
        ...


_installed: list[PageFunctions] = []


def install_page(functions: PageFunctions) -> None:
    """Make ``functions`` the page of fitted maps (``netscope/__init__.py`` installs the viewer's)."""
    _installed[:] = [functions]


def page_functions() -> PageFunctions:
    """The installed page functions; RuntimeError where none is (netscope's own import installs them)."""
    if not _installed:
        raise RuntimeError("no page writer is installed: import netscope (its __init__ installs the viewer's)")
    return _installed[0]
