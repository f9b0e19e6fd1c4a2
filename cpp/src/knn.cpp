#include <netscope/knn.hpp>
#include <netscope/parallel.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace netscope {
namespace {

// Distances of one query block to all points are held at once; this many entries keeps that
// matrix near 64 MB whatever n is.
constexpr Index kBlockEntries = Index{1} << 23;

using Candidate = std::pair<double, std::int64_t>;  // (squared distance, index): lexicographic order

}  // namespace

template <class T>
KnnResult exact_knn(const T* points, Index n, Index d, Index k) {
  if (n < 2) throw std::invalid_argument("X must hold at least 2 points");
  if (k < 1 || k >= n) {
    throw std::invalid_argument("k must be in [1, n - 1] = [1, " + std::to_string(n - 1) + "], got " +
                                std::to_string(k));
  }
  // Row-major (n, d) points are the column-major (d, n) matrix P.
  Vector<T> norms(n);
  parallel_for(0, n, 1024, [&](Index first, Index last) {
    for (Index i = first; i < last; ++i) {
      const T* row = points + i * d;
      T sum = 0;
      for (Index j = 0; j < d; ++j) sum += row[j] * row[j];
      norms(i) = sum;
    }
  });
  KnnResult result;
  result.indices.resize(n, k);
  result.distances.resize(n, k);
  const Index block = std::max<Index>(1, std::min(n, kBlockEntries / n));
  Matrix<T> products(n, block);  // column q: dot products of query q with every point
  for (Index start = 0; start < n; start += block) {
    const Index queries = std::min(block, n - start);
    gemm<T>(Op::Transpose, Op::None, n, queries, d, T(1), points, d, points + start * d, d, T(0),
            products.data(), n);
    parallel_for(0, queries, 4, [&](Index first, Index last) {
      std::vector<Candidate> heap;
      heap.reserve(static_cast<std::size_t>(k) + 1);
      for (Index q = first; q < last; ++q) {
        const Index self = start + q;
        const T* dots = products.col(q).data();
        const double self_norm = static_cast<double>(norms(self));
        heap.clear();
        for (Index i = 0; i < n; ++i) {
          if (i == self) continue;
          // Rounding can make the expansion slightly negative for (near-)duplicates.
          const double distance =
              std::max(0.0, self_norm + static_cast<double>(norms(i)) - 2.0 * static_cast<double>(dots[i]));
          const Candidate candidate{distance, static_cast<std::int64_t>(i)};
          if (static_cast<Index>(heap.size()) < k) {
            heap.push_back(candidate);
            std::push_heap(heap.begin(), heap.end());
          } else if (candidate < heap.front()) {
            std::pop_heap(heap.begin(), heap.end());
            heap.back() = candidate;
            std::push_heap(heap.begin(), heap.end());
          }
        }
        std::sort_heap(heap.begin(), heap.end());
        for (Index j = 0; j < k; ++j) {
          result.indices(self, j) = heap[static_cast<std::size_t>(j)].second;
          result.distances(self, j) = std::sqrt(heap[static_cast<std::size_t>(j)].first);
        }
      }
    });
  }
  return result;
}

template KnnResult exact_knn<float>(const float*, Index, Index, Index);
template KnnResult exact_knn<double>(const double*, Index, Index, Index);

}  // namespace netscope
