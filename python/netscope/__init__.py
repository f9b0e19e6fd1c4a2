"""netscope: see inside neural networks.

Public API (everything else is private):

- :class:`GramAccumulator` — streaming float64 sum of gradient outer products, mergeable and
  serialisable.
- :func:`randomized_svd` — top-k SVD by randomized block Krylov iteration.
- :func:`eigh_top` — top-k eigenpairs of a symmetric PSD matrix.
"""

from .gram import GramAccumulator
from .rsvd import eigh_top, randomized_svd

__all__ = ["GramAccumulator", "eigh_top", "randomized_svd"]
__version__ = "0.1.0"
