"""Where scrambled points sit: beside the class they were given, or the class they really are.

The structural-visualisation reference ends on "visualizing scrambled data points": train with
some labels scrambled (or some inputs corrupted) and follow those points. A network that
memorises them moves them, late in training, to the class it was told; before that they stay
with the class their inputs look like.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._result import Result
from ..core._validation import check_int


@dataclasses.dataclass(frozen=True)
class ScrambledPlacement(Result):
    """Over the ``count`` scrambled points, the mean share of each one's ``k`` nearest clean
    points whose label is its given label (``given_share``) and its true label
    (``true_share``), in the activations and (``map_``) in the 2-D map.
    """

    given_share: float
    true_share: float
    map_given_share: float
    map_true_share: float
    count: int
    k: int


def _shares(points, scrambled, given, true, k):
    from sklearn.neighbors import NearestNeighbors

    clean = np.flatnonzero(~scrambled)
    index = NearestNeighbors(n_neighbors=k).fit(points[clean])
    _, neighbours = index.kneighbors(points[scrambled])
    neighbour_labels = given[clean][neighbours]
    return (
        float((neighbour_labels == given[scrambled][:, None]).mean()),
        float((neighbour_labels == true[scrambled][:, None]).mean()),
    )


def scrambled_placement(
    activations, positions, scrambled, given_labels, true_labels, k: int = 15
) -> ScrambledPlacement:
    """Where the ``scrambled`` points (boolean (n,)) sit among the clean ones, in the
    ``activations`` (n, d) and the map ``positions`` (n, 2): the share of their ``k`` nearest
    clean neighbours labelled with their given and with their true class. Cost: one kNN query
    of the scrambled points against the clean ones in each space (scikit-learn's tree or brute
    force: about O(m log n d)).
    """
    scrambled = np.asarray(scrambled, dtype=bool)
    given, true = np.asarray(given_labels), np.asarray(true_labels)
    activations, positions = np.asarray(activations, dtype=np.float64), np.asarray(positions, dtype=np.float64)
    n = len(scrambled)
    if (
        scrambled.ndim != 1
        or given.shape != (n,)
        or true.shape != (n,)
        or len(activations) != n
        or positions.shape != (n, 2)
    ):
        raise ValueError(
            f"scrambled, given_labels and true_labels must be (n,), activations (n, d) and positions (n, 2) "
            f"for the same n; got {scrambled.shape}, {given.shape}, {true.shape}, {activations.shape}, "
            f"{positions.shape}"
        )
    count = int(scrambled.sum())
    if count == 0 or count == n:
        raise ValueError(f"scrambled must mark some but not all points, got {count} of {n}")
    k = check_int(k, "k", minimum=1, maximum=n - count)
    given_share, true_share = _shares(activations, scrambled, given, true, k)
    map_given, map_true = _shares(positions, scrambled, given, true, k)
    return ScrambledPlacement(
        given_share=given_share,
        true_share=true_share,
        map_given_share=map_given,
        map_true_share=map_true,
        count=count,
        k=k,
    )
