"""The interactive page of a training run: one self-contained, offline HTML file.

It takes fitted results only (a :class:`netscope.structure.results.MapResult`, a
:class:`netscope.active.tracking.SubspaceTracker`) and imports neither torch nor the estimators;
``StructureMap.to_html`` reaches it through the page that ``netscope/__init__.py`` installs.
"""

from .page import page_html, write_page

__all__ = ["page_html", "write_page"]
