"""netscope: see inside neural networks.

Public API (everything else is private):

- :class:`ActiveSubspace` — active subspace of a loss over a network's parameters: fit,
  layer importance, bootstrap, convergence, save/load.
- :class:`ActivationTracker`, :class:`StructureMap` — a network's hidden activations on a probe
  set across training, and their 2-D maps with what they show.
- :class:`ParameterLayout` — which coordinate of the flat parameter vector is which parameter.
- :class:`Recorder`, :class:`RunFolder` — snapshots recorded during training into an
  append-only run folder (``netscope.integrations`` has the Lightning and ``Trainer``
  callbacks), and the folder read back.

- :class:`GramAccumulator` — streaming float64 sum of gradient outer products, mergeable and
  serialisable.
- :class:`NystromSketch` — streaming O(D·s) sketch of the same matrix, mergeable.
- :func:`randomized_svd` — top-k SVD by randomized block Krylov iteration.
- :func:`eigh_top` — top-k eigenpairs of a symmetric PSD matrix.
- :func:`knn_graph`, :func:`spectral_layout`, :func:`force_layout` — structural maps: kNN
  similarity graphs (exact or approximate), a spectral warm start and a force layout
  (neighbour embedding, or Fruchterman–Reingold with Barnes–Hut).
- :func:`set_num_threads`, :func:`get_num_threads` — threads of the core and its BLAS.
- :class:`NotFittedError` — a result asked for before ``fit`` (a ValueError and AttributeError).

The layers, one folder each (dependencies point down the list): ``studies`` (the reference
experiments) and ``plotting``; ``active`` and ``structure`` (the estimators); ``viewer`` (the
page, of typed results); ``nn`` (everything that touches torch); ``core`` (numpy in, numpy out,
over the C++ ``_core``). This module, above them all, gives ``StructureMap.to_html`` the viewer's
page (:mod:`netscope.structure.display`). ``import netscope`` loads the core only: torch,
matplotlib and networkx load when a part that needs them is used.
"""

from ._lazy import lazy_getattr
from .core.gram import GramAccumulator
from .core.knn import knn_graph
from .core.layout import force_layout, spectral_layout
from .core.rsvd import eigh_top, randomized_svd
from .core.sketch import NystromSketch
from .core.threads import get_num_threads, set_num_threads
from .exceptions import NotFittedError
from .structure.display import install_page


class _ViewerPage:
    """The viewer's page functions (:mod:`netscope.viewer.page`), imported when a page is first
    asked for. Installed here, above both the estimators and the viewer, because
    ``StructureMap.to_html`` and its notebook view need the page while structure/ imports no viewer
    (:mod:`netscope.structure.display`).
    """

    @staticmethod
    def page_html(result, **options) -> str:
        from .viewer.page import page_html

        return page_html(result, **options)

    @staticmethod
    def write_page(path, result, **options):
        from .viewer.page import write_page

        return write_page(path, result, **options)


install_page(_ViewerPage())

# Public names whose modules import torch: loaded on first use.
_LAZY = {
    "ActiveSubspace": "netscope.active.estimator",
    "ActivationTracker": "netscope.nn.activations",
    "ParameterLayout": "netscope.nn.parameters",
    "StructureMap": "netscope.structure.maps",
    "Recorder": "netscope.recording.recorder",
    "RunFolder": "netscope.recording.run_folder",
}
__getattr__ = lazy_getattr("netscope", _LAZY, globals())


__all__ = [
    "ActiveSubspace",
    "ActivationTracker",
    "GramAccumulator",
    "NotFittedError",
    "NystromSketch",
    "ParameterLayout",
    "Recorder",
    "RunFolder",
    "StructureMap",
    "eigh_top",
    "force_layout",
    "get_num_threads",
    "knn_graph",
    "randomized_svd",
    "set_num_threads",
    "spectral_layout",
]
__version__ = "0.1.0"
