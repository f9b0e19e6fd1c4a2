import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def orthonormal(rng, rows, cols):
    """A random (rows, cols) matrix with orthonormal columns, from numpy's QR."""
    q, _ = np.linalg.qr(rng.standard_normal((rows, cols)))
    return q


def assert_damaged_copies_refused(load, path, tmp_path):
    """``load`` refuses a truncated copy of the saved file at ``path`` and a copy with one bit of
    its payload flipped, each with a ValueError that says which."""
    data = path.read_bytes()
    (tmp_path / "truncated.bin").write_bytes(data[:-9])
    with pytest.raises(ValueError, match="truncated"):
        load(tmp_path / "truncated.bin")
    flipped = bytearray(data)
    flipped[60] ^= 0x01  # past the 48-byte header
    (tmp_path / "corrupt.bin").write_bytes(bytes(flipped))
    with pytest.raises(ValueError, match="corrupt"):
        load(tmp_path / "corrupt.bin")


def assert_drawn(path, min_width=400):
    """The image at ``path`` is a real figure: at least ``min_width`` pixels wide and not blank."""
    from PIL import Image

    image = np.asarray(Image.open(path).convert("L"), dtype=float)
    assert image.shape[1] >= min_width and image.std() > 10, (path, image.shape, image.std())


@pytest.fixture(scope="session")
def study(tmp_path_factory):
    """A short run of the built-in study with scrambled labels: its metrics and its page."""
    from netscope.studies.structure import run_structure_study

    out = tmp_path_factory.mktemp("study")
    metrics = run_structure_study(out, epochs=4, snapshots=(0, 2, 4), scrambled=0.05, progress=False)
    return metrics, out / "maps.html"


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium with the network off (tests/page_driver.py), one per test module."""
    from page_driver import start_browser

    driver = start_browser()
    yield driver
    driver.quit()
