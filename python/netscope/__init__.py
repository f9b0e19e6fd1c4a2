"""netscope: see inside neural networks.

Public API (everything else is private):

- :class:`ActiveSubspace` — active subspace of a loss over a network's parameters: fit,
  layer importance, bootstrap, convergence, save/load.

- :class:`GramAccumulator` — streaming float64 sum of gradient outer products, mergeable and
  serialisable.
- :class:`NystromSketch` — streaming O(D·s) sketch of the same matrix, mergeable.
- :func:`randomized_svd` — top-k SVD by randomized block Krylov iteration.
- :func:`eigh_top` — top-k eigenpairs of a symmetric PSD matrix.
- :func:`knn_graph`, :func:`spectral_layout`, :func:`force_layout` — structural maps: kNN
  similarity graphs, a spectral warm start and a Barnes–Hut force layout.
- :func:`set_num_threads`, :func:`get_num_threads` — threads of the core and its BLAS.
"""

from . import gradients
from .active import ActiveSubspace
from .graph_layout import force_layout, spectral_layout
from .gram import GramAccumulator
from .knn import knn_graph
from .parameters import ParameterLayout
from .rsvd import eigh_top, randomized_svd
from .sketch import NystromSketch
from .threads import get_num_threads, set_num_threads

__all__ = ["ActiveSubspace", "GramAccumulator", "NystromSketch", "ParameterLayout", "force_layout", "knn_graph", "spectral_layout", "eigh_top", "get_num_threads", "randomized_svd", "set_num_threads"]
__version__ = "0.1.0"
