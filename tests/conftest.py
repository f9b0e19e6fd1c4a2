import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def orthonormal(rng, rows, cols):
    """A random (rows, cols) matrix with orthonormal columns, from numpy's QR."""
    q, _ = np.linalg.qr(rng.standard_normal((rows, cols)))
    return q
