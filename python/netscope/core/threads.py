"""How many threads netscope's C++ core uses (its own loops and its BLAS)."""

from __future__ import annotations

from .. import _core
from ._validation import check_int


def get_num_threads() -> int:
    """Threads of the core's own loops (OpenBLAS uses the same number unless changed)."""
    return _core.core_threads()


def set_num_threads(n: int) -> None:
    """Use ``n`` threads in the core's loops and its BLAS (default: all hardware threads).

    torch keeps a thread pool of its own (``torch.set_num_threads``); when gradient computation
    and netscope's kernels take turns on few cores, giving each the whole machine in turn is
    fastest, since neither runs while the other does.
    """
    n = check_int(n, "n", minimum=1)
    _core.set_core_threads(n)
    _core.set_blas_threads(n)
