"""Multipass fits beyond one process and one sitting: the passes' state protocol, checkpoints after
every pass, kill -9 and resume, torchrun on two processes."""

import numpy as np
import pytest

from netscope.active.passes import BlockKrylovPasses, SubspacePasses


def decaying_rows(rng, n=600, dim=80):
    return (rng.standard_normal((n, dim)) * 0.9 ** np.arange(dim)) @ np.linalg.qr(rng.standard_normal((dim, dim)))[0]


def run_passes(passes, chunks, n_passes, stop_after=None):
    """``n_passes`` over ``chunks``; with ``stop_after``, only that many (the run killed there)."""
    for index in range(n_passes if stop_after is None else stop_after):
        for chunk in chunks:
            passes.consume(chunk)
        if not passes.end_pass(extend=index < n_passes - 1):
            break
    return passes


@pytest.mark.parametrize(
    "make",
    [lambda: BlockKrylovPasses(80, 12, seed=5), lambda: SubspacePasses(80, 12, seed=5, dtype=np.float32)],
    ids=["krylov", "subspace"],
)
@pytest.mark.parametrize("stop_after", [1, 3])
def test_passes_go_on_from_their_saved_state_bit_for_bit(rng, tmp_path, make, stop_after):
    G = decaying_rows(rng)
    chunks = [G[:250], G[250:]]
    whole = run_passes(make(), chunks, 5).ritz_pairs(4)
    stopped = run_passes(make(), chunks, 5, stop_after=stop_after)
    np.savez(tmp_path / "state.npz", **stopped.state())
    with np.load(tmp_path / "state.npz") as archive:
        restored = type(stopped).from_state(dict(archive))
    for index in range(stop_after, 5):  # the passes the killed run did not make
        for chunk in chunks:
            restored.consume(chunk)
        restored.end_pass(extend=index < 4)
    for ours, theirs in zip(restored.ritz_pairs(4), whole):
        np.testing.assert_array_equal(ours, theirs)
