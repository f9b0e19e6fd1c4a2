// k-nearest neighbours of every point of a set, exact or approximate.
//
// Exact: squared Euclidean distances of a block of queries to every point come from one GEMM
// (|x|^2 + |y|^2 - 2 x.y), then each query keeps its k smallest in a bounded max-heap. Both
// cores: BLAS for the products, the core's threads for the selection.
//
// Approximate: an inverted-file search (as in FAISS's IVF-Flat, Jegou et al. 2011). k-means
// (Lloyd, on a sample) cuts space into cells; every point is filed in its nearest cell and notes
// its `probes` nearest cells; the points of one cell are then compared, by one small GEMM, with
// the points filed in the cells they noted, most-noted cells first, up to a budget of candidates
// per cell. A true neighbour is missed when it lies outside the cells searched.
#pragma once

#include <netscope/linalg.hpp>

#include <cstdint>

namespace netscope {

struct KnnResult {
  Eigen::Matrix<std::int64_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> indices;  // (n, k)
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> distances;      // (n, k)
};

// The k nearest other points of every row of the row-major (n, d) `points`, nearest first, by
// Euclidean distance. A point never lists itself; among equal distances the lower index comes
// first. Throws std::invalid_argument unless 1 <= k < n. Time O(n^2 d) (BLAS) + O(n^2 log k);
// memory O(n k + n b) with query blocks of b rows.
template <class T>
KnnResult exact_knn(const T* points, Index n, Index d, Index k);

struct ApproximateKnnOptions {
  Index cells = 0;           // k-means cells; 0: 3 sqrt(n)
  Index probes = 3;          // cells each point notes, its nearest ones
  Index kmeans_iterations = 5;
  Index max_candidates = 0;  // candidates per cell's search; 0: 15 sqrt(n)
  std::uint64_t seed = 0;
};

// The k (approximately) nearest other points of every row of `points`, as exact_knn returns them
// (nearest first, never the point itself), deterministic for a seed whatever the number of
// threads. Throws std::invalid_argument unless 1 <= k < n and options are positive. Time
// O(n C d) to file the points in C cells plus O(n m d) to compare each with the m <= max_candidates
// points of the cells searched for its cell; memory O(n (k + probes) + C d + m d) per thread.
// UMAP's fuzzy membership strengths (McInnes et al. 2018) of kNN lists: row i of the row-major
// (n, k) `distances` (nearest first) becomes weights exp(-(d_ij - rho_i) / sigma_i), with rho_i the
// nearest distance and sigma_i found by bisection on log sigma so that the row sums to log2(k)
// within 1e-5 (UMAP's tolerance); for k <= 2, where no sigma reaches that sum, and for a row whose
// neighbours are all as near as the nearest, every weight is 1. Writes `weights` (n, k).
// O(n k) per bisection step (at most 48), both cores.
void fuzzy_memberships(const double* distances, Index n, Index k, double* weights);

template <class T>
KnnResult approximate_knn(const T* points, Index n, Index d, Index k, const ApproximateKnnOptions& options);

}  // namespace netscope
