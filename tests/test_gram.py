import threading

import numpy as np
import pytest

import netscope
from conftest import assert_damaged_copies_refused


def reference(G):
    G = np.asarray(G, dtype=np.float64)
    return G.T @ G / len(G)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("chunk", [1, 7, 100, 600])
def test_matches_numpy_in_chunks(rng, dtype, chunk):
    G = rng.standard_normal((1300, 45)).astype(dtype)
    gram = netscope.GramAccumulator(45)
    for start in range(0, len(G), chunk):
        gram.update(G[start : start + chunk])
    assert gram.count == 1300
    # float32 rows are widened exactly, so both dtypes match the float64 reference to rounding.
    np.testing.assert_allclose(gram.matrix(), reference(G), rtol=1e-12, atol=1e-13)


def test_many_small_updates_equal_one_big(rng):
    G = rng.standard_normal((500, 30))
    small, big = netscope.GramAccumulator(30), netscope.GramAccumulator(30)
    for row in G:
        small.update(row[None, :])
    big.update(G)
    np.testing.assert_allclose(small.matrix(), big.matrix(), rtol=1e-12, atol=1e-14)
    assert np.array_equal(big.matrix(), big.matrix().T)


def test_mixed_precision_within_stated_error(rng):
    G = rng.standard_normal((3000, 200)).astype(np.float32)
    mixed = netscope.GramAccumulator(200, precision="mixed")
    for start in range(0, 3000, 1000):
        mixed.update(G[start : start + 1000])
    exact = reference(G)
    # float32 dot products of length 1000: relative error ~ sqrt(1000) * 6e-8 = 2e-6 at worst.
    assert np.linalg.norm(mixed.matrix() - exact) / np.linalg.norm(exact) < 1e-6
    assert mixed.precision == "mixed"


def test_merge_of_halves_equals_whole(rng):
    G = rng.standard_normal((400, 25))
    first, second, whole = (netscope.GramAccumulator(25) for _ in range(3))
    first.update(G[:150])
    second.update(G[150:])
    whole.update(G)
    assert first.merge(second) is first
    assert first.count == 400
    np.testing.assert_allclose(first.matrix(), whole.matrix(), rtol=1e-13, atol=1e-15)


def test_save_load_round_trip_is_bit_for_bit(rng, tmp_path):
    gram = netscope.GramAccumulator(33).update(rng.standard_normal((70, 33)))
    path = tmp_path / "gram.bin"
    gram.save(path)
    loaded = netscope.GramAccumulator.load(path)
    assert loaded.count == gram.count and loaded.dim == gram.dim
    assert np.array_equal(loaded.matrix(), gram.matrix())
    loaded.save(tmp_path / "again.bin")
    assert path.read_bytes() == (tmp_path / "again.bin").read_bytes()
    assert not (tmp_path / "gram.bin.tmp").exists()
    # A loaded accumulator keeps streaming: equal to one that never stopped.
    more = rng.standard_normal((20, 33))
    loaded.update(more)
    gram.update(more)
    assert np.array_equal(loaded.matrix(), gram.matrix())


def test_load_rejects_missing_foreign_truncated_and_corrupt_files(rng, tmp_path):
    with pytest.raises(FileNotFoundError, match="path"):
        netscope.GramAccumulator.load(tmp_path / "missing.bin")
    foreign = tmp_path / "foreign.bin"
    foreign.write_bytes(b"PK\x03\x04 this is a zip file, not an accumulator" * 3)
    with pytest.raises(ValueError, match="not a netscope GramAccumulator file"):
        netscope.GramAccumulator.load(foreign)
    path = tmp_path / "gram.bin"
    netscope.GramAccumulator(10).update(rng.standard_normal((5, 10))).save(path)
    assert_damaged_copies_refused(netscope.GramAccumulator.load, path, tmp_path)


def test_nonfinite_row_is_named_and_sum_unchanged(rng):
    gram = netscope.GramAccumulator(8).update(rng.standard_normal((10, 8)))
    before = gram.matrix()
    G = rng.standard_normal((6, 8)).astype(np.float32)
    G[4, 3] = np.inf
    with pytest.raises(ValueError, match="^G: row 4 holds NaN or inf; the .* was left unchanged"):
        gram.update(G)
    assert gram.count == 10
    assert np.array_equal(gram.matrix(), before)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: netscope.GramAccumulator(0), ValueError, "dim"),
        (lambda: netscope.GramAccumulator(2.5), TypeError, "dim"),
        (lambda: netscope.GramAccumulator(4, precision="half"), ValueError, "precision"),
        (lambda: netscope.GramAccumulator(4).update(np.ones(4)), ValueError, "G must be 2-D"),
        (lambda: netscope.GramAccumulator(4).update(np.ones((3, 5))), ValueError, r"G must have shape \(n, 4\)"),
        (lambda: netscope.GramAccumulator(4).update(np.array([["a"] * 4])), TypeError, "G must hold real numbers"),
        (lambda: netscope.GramAccumulator(4).update(np.ones((0, 4))), ValueError, "G must not be empty"),
        (lambda: netscope.GramAccumulator(4).matrix(), ValueError, "empty"),
        (lambda: netscope.GramAccumulator(4).merge(netscope.GramAccumulator(5)), ValueError, "other has dim 5"),
        (lambda: netscope.GramAccumulator(4).merge(np.eye(4)), TypeError, "other"),
    ],
)
def test_bad_input_raises_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_save_names_the_path_it_cannot_write(rng, tmp_path):
    gram = netscope.GramAccumulator(4).update(rng.standard_normal((3, 4)))
    with pytest.raises(FileNotFoundError, match="the folder .*missing' does not exist"):
        gram.save(tmp_path / "missing" / "gram.bin")
    (tmp_path / "taken").mkdir()  # a folder where the file should go: the rename fails
    with pytest.raises(OSError, match="path: cannot write .*taken"):
        gram.save(tmp_path / "taken")
    unfitted = netscope.ActiveSubspace()
    with pytest.raises(netscope.NotFittedError):
        unfitted.save(tmp_path / "result.npz")
    assert not hasattr(unfitted, "eigenvalues_")


def test_other_layouts_and_dtypes_are_converted(rng):
    G = rng.integers(-3, 4, size=(50, 6))
    gram = netscope.GramAccumulator(6).update(G)
    np.testing.assert_allclose(gram.matrix(), reference(G), rtol=1e-14)
    F = np.asfortranarray(rng.standard_normal((40, 6)))
    np.testing.assert_allclose(netscope.GramAccumulator(6).update(F).matrix(), reference(F), rtol=1e-12)


def test_concurrent_updates_from_threads_all_count(rng):
    chunks = [rng.standard_normal((200, 64)) for _ in range(8)]
    gram = netscope.GramAccumulator(64)
    threads = [threading.Thread(target=gram.update, args=(chunk,)) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert gram.count == 1600
    np.testing.assert_allclose(gram.matrix(), reference(np.vstack(chunks)), rtol=1e-12, atol=1e-14)
