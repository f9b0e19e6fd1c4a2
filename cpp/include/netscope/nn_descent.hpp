// NN-descent (Dong, Charikar & Li, WWW 2011): a kNN graph refined by local joins. A neighbour of
// a neighbour is likely a neighbour, so each round compares, for every point, the neighbours it
// lists and the points that list it, pairwise, and keeps for each the k nearest it has seen.
// Started from the inverted-file graph (knn.hpp), it repairs what the cells missed: on data
// without clusters to file by, such as isotropic Gaussian blobs, the inverted file alone finds
// about a third of the true neighbours.
//
// Deterministic for a seed whatever the number of threads: the samples come from a counter-based
// hash, and each round's candidates are drawn before its joins, so a round ends with each row
// holding the nearest of what it held and what the round proposed to it, whatever the order
// (blocks of points join against the graph as it stands and their proposals are applied in an
// order fixed by the block, not by the threads). A join's distances come from one small GEMM over
// the candidates centred on their point; the k returned are each row's nearest by the exact distance.
#pragma once

#include <netscope/knn.hpp>

#include <cstdint>
#include <vector>

namespace netscope {

struct NnDescentOptions {
  Index max_rounds = 12;
  // New neighbours joined per point and round, listed or listing it, drawn at random when there
  // are more (pynndescent's max_candidates); the old ones joined with them are capped the same.
  // 0: the built width.
  Index max_candidates = 0;
  double delta = 0.001;  // stop after a round that changed fewer than delta n width entries
  // The share of each built row filled with random points rather than the start's nearest
  // entries. A graph whose rows all lie in one cell is closed under local joins (its neighbours'
  // neighbours are its cell-mates again): random entries let the joins reach beyond.
  double random_share = 0.5;
  std::uint64_t seed = 0;
};

struct NnDescentReport {
  std::vector<std::int64_t> updates;  // entries changed in each round, one per round run
};

// Builds `width` neighbours per point of the row-major (n, d) `points` by local joins, starting
// from the nearest entries of the rows of the row-major (n, start_width) `start` (the indices of a
// kNN graph, nearest first, as exact_knn and approximate_knn return them) and random points, and
// returns the nearest `k` of them (k <= width < n), nearest first, with their Euclidean
// distances; a point never lists itself. With random_share 0 and width equal to start_width,
// every row is at least as near as the start's. Throws std::invalid_argument for a start index
// out of range or repeated in a row, or options out of range.
// Time O(rounds n c^2 d) with c = max_candidates (each round joins at most c new with c new and
// c old neighbours per point); memory O(n width) in 32-bit indices and the points' precision,
// plus O(b c^2) proposals for blocks of b points. Applying a proposal costs O(1) when it is not
// nearer than the row's farthest entry, O(width) when it enters.
template <class T>
KnnResult nn_descent(const T* points, Index n, Index d, const std::int64_t* start, Index start_width, Index width, Index k,
                     const NnDescentOptions& options, NnDescentReport* report = nullptr);

}  // namespace netscope
