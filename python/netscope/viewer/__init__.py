"""The interactive page of a training run: one self-contained, offline HTML file.

It takes fitted results only (a :class:`netscope.StructureMap`, a
:class:`netscope.active.tracking.SubspaceTracker`) and imports neither torch nor the estimators.
"""

from .page import write_page

__all__ = ["write_page"]
