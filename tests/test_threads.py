import numpy as np
import pytest

import netscope


@pytest.fixture
def restore_threads():
    before = netscope.get_num_threads()
    yield
    netscope.set_num_threads(before)


def test_results_do_not_depend_on_the_thread_count(rng, restore_threads):
    A = rng.standard_normal((600, 300))
    G = rng.standard_normal((700, 90)).astype(np.float32)
    netscope.set_num_threads(1)
    assert netscope.get_num_threads() == 1
    one = netscope.randomized_svd(A, 10)[1], netscope.GramAccumulator(90).update(G).matrix()
    netscope.set_num_threads(2)
    two = netscope.randomized_svd(A, 10)[1], netscope.GramAccumulator(90).update(G).matrix()
    np.testing.assert_allclose(one[0], two[0], rtol=1e-12)
    np.testing.assert_allclose(one[1], two[1], rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("bad, error", [(0, ValueError), (1.5, TypeError)])
def test_set_num_threads_rejects_bad_counts(bad, error, restore_threads):
    with pytest.raises(error, match="n must"):
        netscope.set_num_threads(bad)
