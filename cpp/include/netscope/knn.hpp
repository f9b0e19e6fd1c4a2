// Exact k-nearest neighbours by blocked distance computation: squared Euclidean distances of a
// block of queries to every point come from one GEMM (|x|^2 + |y|^2 - 2 x.y), then each query
// keeps its k smallest in a bounded max-heap. Both cores: BLAS for the products, the core's
// threads for the selection.
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

}  // namespace netscope
