// NN-descent (Dong, Charikar & Li, WWW 2011): a kNN graph refined by local joins. A neighbour of
// a neighbour is likely a neighbour, so each round compares, for every point, the neighbours it
// lists and the points that list it, pairwise, and keeps for each the k nearest it has seen.
// Started from the inverted-file graph (knn.hpp), it repairs what the cells missed: on data
// without clusters to file by, such as isotropic Gaussian blobs, the inverted file alone finds
// about a third of the true neighbours.
//
// Deterministic for a seed whatever the number of threads: the samples come from a counter-based
// hash, and the rounds are synchronous over fixed blocks of points (each block's joins are all
// proposed against the graph as it stood, then merged; a merge keeps the k smallest (distance,
// index) pairs of a set, which no order of arrival changes).
#pragma once

#include <netscope/knn.hpp>

#include <cstdint>
#include <vector>

namespace netscope {

struct NnDescentOptions {
  Index max_rounds = 12;
  double sample_rate = 0.5;  // new and old neighbours joined per point, each at most ceil(rate k)
  double delta = 0.001;      // stop after a round that changed fewer than delta n k entries
  // The share of each starting row, its farthest entries, replaced by random points before the
  // first round. A graph whose rows all lie in one cell is closed under local joins (its
  // neighbours' neighbours are its cell-mates again): random entries let the joins reach beyond.
  double random_share = 0.5;
  std::uint64_t seed = 0;
};

struct NnDescentReport {
  std::vector<std::int64_t> updates;  // entries changed in each round, one per round run
};

// Refines `graph` (the (n, k) indices and Euclidean distances of a kNN graph of the row-major
// (n, d) `points`, nearest first, as exact_knn and approximate_knn return them) in place: the
// result is sorted the same way and never lists a point itself; with random_share 0 it is at
// least as near as the start, row by row.
// Throws std::invalid_argument for a graph of the wrong shape, an index out of range, or options
// out of range. Time O(rounds n s^2 d) with s = ceil(rate k) (a round joins at most 2s new with
// 3s + k neighbours per point); memory O(n k) plus O(b s (s + k)) proposals for blocks of b points.
template <class T>
NnDescentReport nn_descent(const T* points, Index n, Index d, KnnResult& graph, const NnDescentOptions& options);

}  // namespace netscope
