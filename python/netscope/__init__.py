"""netscope: see inside neural networks.

Public API (everything else is private):

- :class:`ActiveSubspace` — active subspace of a loss over a network's parameters: fit,
  layer importance, bootstrap, convergence, save/load.

- :class:`GramAccumulator` — streaming float64 sum of gradient outer products, mergeable and
  serialisable.
- :func:`randomized_svd` — top-k SVD by randomized block Krylov iteration.
- :func:`eigh_top` — top-k eigenpairs of a symmetric PSD matrix.
- :func:`set_num_threads`, :func:`get_num_threads` — threads of the core and its BLAS.
"""

from . import gradients
from .active import ActiveSubspace
from .gram import GramAccumulator
from .layout import ParameterLayout
from .rsvd import eigh_top, randomized_svd
from .threads import get_num_threads, set_num_threads

__all__ = ["ActiveSubspace", "GramAccumulator", "ParameterLayout", "eigh_top", "get_num_threads", "randomized_svd", "set_num_threads"]
__version__ = "0.1.0"
