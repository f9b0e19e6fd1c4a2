"""Splitting a fit over the processes of a ``torch.distributed`` group and joining the results.

A fit runs distributed when a process group is initialised with more than one rank (e.g. under
``torchrun``). The samples are split into contiguous ranges on the grid of whole chunks, so each
gradient is computed in the very chunk it would be in a single-process run, and only the sums
over samples change their order. A method that replays the stream sums each pass's product over
the ranks (:func:`sum_over_ranks`), so that every rank makes the same next block.
"""

from __future__ import annotations

import numpy as np
import torch


def rank_and_size() -> tuple[int, int]:
    """``(rank, world size)`` of the default process group, or ``(0, 1)`` without one."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def sample_range(n_samples: int, chunk_size: int, rank: int, size: int) -> tuple[int, int]:
    """Samples ``[first, stop)`` of ``rank``: its share of the whole chunks, in rank order."""
    n_chunks = -(-n_samples // chunk_size)
    first_chunk, stop_chunk = rank * n_chunks // size, (rank + 1) * n_chunks // size
    return min(first_chunk * chunk_size, n_samples), min(stop_chunk * chunk_size, n_samples)


def gather_rows(rows: np.ndarray) -> np.ndarray:
    """Every rank's ``rows`` (n_rank, ...) stacked in rank order, on every rank.

    Cost: one all-gather of the largest share (shares are padded to it).
    """
    import torch.distributed as dist

    _, size = rank_and_size()
    counts = [torch.zeros(1, dtype=torch.int64) for _ in range(size)]
    dist.all_gather(counts, torch.tensor([len(rows)], dtype=torch.int64))
    largest = max(int(count) for count in counts)
    padded = torch.zeros((largest,) + rows.shape[1:], dtype=torch.from_numpy(rows[:0]).dtype)
    padded[: len(rows)] = torch.from_numpy(np.ascontiguousarray(rows))
    parts = [torch.empty_like(padded) for _ in range(size)]
    dist.all_gather(parts, padded)
    return np.concatenate([part[: int(count)].numpy() for part, count in zip(parts, counts)])


def reduce_count(count: int, op: str = "sum") -> int:
    """``count`` summed (``op="sum"``) or its minimum (``"min"``) over the ranks, on every rank."""
    import torch.distributed as dist

    total = torch.tensor([count], dtype=torch.int64)
    dist.all_reduce(total, op={"sum": dist.ReduceOp.SUM, "min": dist.ReduceOp.MIN}[op])
    return int(total)


def sum_over_ranks(total: np.ndarray, count: int) -> int:
    """Sum ``total`` (a C-contiguous float array, e.g. a pass's D × b product) over the ranks in
    place, and return ``count`` summed likewise: the reduction of
    :meth:`netscope.active.passes.Passes.end_pass`. Every rank gets the same numbers (gloo's
    ring all-reduce sums each element on one rank and copies that sum to the others). Cost: one all-reduce of
    ``total``, no copy (the tensor shares its memory).
    """
    import torch.distributed as dist

    dist.all_reduce(torch.from_numpy(total))
    return reduce_count(count)
